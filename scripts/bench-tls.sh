#!/usr/bin/env bash
# Compares switchyard's TLS listeners with nginx's (`listen ... ssl`) and
# Redis's (`--tls-port`), on the same certificate and files.
#
# One ECDSA P-256 certificate for 127.0.0.1 (made here with openssl) serves
# all four servers, with TLS 1.2 and 1.3 and session resumption on:
#   http: switchyard serve http --tls-listen, against Debian's nginx with
#     `ssl`, 2 workers, access_log off, a shared session cache, tickets;
#     wrk -t1 -c100 -d10s over HTTPS: a 13-byte file with keep-alive, a
#     1 KiB file with keep-alive, and the 13-byte file with
#     `Connection: close` (a new connection, so a full handshake, per
#     request: wrk does not resume sessions);
#   kv: switchyard serve kv --tls-listen, against redis-server --tls-port
#     (no persistence); redis-benchmark --tls -t set,get -P 16 -c 50.
# Each row runs ROUNDS times, switchyard first in odd rounds and the other
# server first in even ones (whichever runs second meets a warmer
# machine); each column is the median of its rounds. Beside each rate: the
# server's CPU time per request in microseconds (utime + stime of all its
# threads and, for nginx, its worker processes, from /proc/PID/stat), and
# the load generator's CPU use (its CPU time over its wall time; near
# 100% the generator, not the server, sets the rate).
#
# usage: scripts/bench-tls.sh
# environment: DURATION (default 10s), CONNECTIONS (default 100), ROUNDS
#   (default 3), REQUESTS (redis-benchmark, default 200000), SWITCHYARD
#   (a built binary; default: build release), SWITCHYARD_ARGS (extra
#   engine flags), PARTS (any of "http kv"; default both).
set -euo pipefail

cd "$(dirname "$0")/.."
source scripts/bench-common.sh
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-100}
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-200000}
NGINX=${NGINX:-/usr/sbin/nginx}
REDIS=${REDIS:-/usr/bin/redis-server}
PARTS=${PARTS:-http kv}
read -r -a sy_args <<<"${SWITCHYARD_ARGS:-}"
want() { [[ " $PARTS " == *" $1 "* ]]; }

for tool in wrk openssl redis-benchmark "$NGINX" "$REDIS"; do
    command -v "$tool" >/dev/null || { echo "bench-tls: $tool not found" >&2; exit 2; }
done

if [[ -z "${SWITCHYARD:-}" ]]; then
    cargo build --release -q -p switchyard
    SWITCHYARD="${CARGO_TARGET_DIR:-target}/release/switchyard"
fi

work=$(mktemp -d /tmp/switchyard-bench-tls.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The certificate, readable by nginx's unprivileged workers.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
root="$work/root"
mkdir -p "$root"
printf 'hello, world\n' >"$root/13.txt"
head -c 1024 /dev/zero | tr '\0' 'x' >"$root/1k.txt"
chmod 755 "$work" "$root"
chmod 644 "$root"/* "$work"/*.pem

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_until() { # what, command...
    local what=$1
    shift
    for _ in $(seq 200); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "bench-tls: $what did not start" >&2
    exit 1
}

# CPU ticks (utime + stime) of a process and its children (nginx's workers).
cpu_ticks() { # pid
    local pid=$1 total=0 child
    for child in "$pid" $(pgrep -P "$pid" || true); do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$child/stat")))
    done
    echo "$total"
}
hz=$(getconf CLK_TCK)

# Runs a command, timing its CPU; prints its output, then a line
# "busy PERCENT" (its CPU time over its wall time).
timed() {
    local out
    out=$( { /usr/bin/time -f 'busy %P' "$@"; } 2>&1 )
    echo "$out"
}

# Prints "rate server-us-per-request generator-busy" for one wrk run.
wrk_load() { # pid url close
    local pid=$1 url=$2 close=$3 before after out rps n busy
    local headers=()
    [[ "$close" == yes ]] && headers=(-H "Connection: close")
    before=$(cpu_ticks "$pid")
    out=$(timed wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "${headers[@]}" "$url")
    after=$(cpu_ticks "$pid")
    if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
        echo "bench-tls: errors against $url: $(grep 'Non-2xx\|Socket errors' <<<"$out" | tr '\n' ' ')" >&2
    fi
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    busy=$(awk '/^busy/ {print $2}' <<<"$out")
    awk -v r="$rps" -v t=$((after - before)) -v n="$n" -v hz="$hz" -v b="$busy" \
        'BEGIN { printf "%.0f %.1f %s\n", r, (n > 0 ? t / hz / n * 1e6 : 0), b }'
}

# Prints "rate server-us-per-request generator-busy" for one
# redis-benchmark test.
rb_load() { # pid port test
    local pid=$1 port=$2 test=$3 before after out rps busy
    before=$(cpu_ticks "$pid")
    out=$(timed redis-benchmark --tls --cacert "$work/cert.pem" -h 127.0.0.1 -p "$port" \
        -t "$test" -P 16 -c 50 -n "$REQUESTS" -q)
    after=$(cpu_ticks "$pid")
    rps=$(awk -F'[: ]+' '/requests per second/ {for (i = 1; i <= NF; i++) if ($(i+1) == "requests") {print $i; exit}}' <<<"$out")
    busy=$(awk '/^busy/ {print $2}' <<<"$out")
    awk -v r="$rps" -v t=$((after - before)) -v n="$REQUESTS" -v hz="$hz" -v b="$busy" \
        'BEGIN { printf "%.0f %.2f %s\n", r, t / hz / n * 1e6, b }'
}

# One row: ROUNDS alternating rounds of `$1 sy...` and `$1 other...`;
# prints the medians.
row() { # name loader sy-args... -- other-args...
    local name=$1 loader=$2
    shift 2
    local sy=() other=()
    while [[ $1 != -- ]]; do sy+=("$1"); shift; done
    shift
    other=("$@")
    local sy_r=() sy_c=() sy_b=() ot_r=() ot_c=() ot_b=() r c b
    for round in $(seq "$ROUNDS"); do
        if ((round % 2)); then
            read -r r c b < <("$loader" "${sy[@]}"); sy_r+=("$r"); sy_c+=("$c"); sy_b+=("$b")
            read -r r c b < <("$loader" "${other[@]}"); ot_r+=("$r"); ot_c+=("$c"); ot_b+=("$b")
        else
            read -r r c b < <("$loader" "${other[@]}"); ot_r+=("$r"); ot_c+=("$c"); ot_b+=("$b")
            read -r r c b < <("$loader" "${sy[@]}"); sy_r+=("$r"); sy_c+=("$c"); sy_b+=("$b")
        fi
    done
    local m_sr m_sc m_or m_oc
    m_sr=$(printf '%s\n' "${sy_r[@]}" | median)
    m_sc=$(printf '%s\n' "${sy_c[@]}" | median)
    m_or=$(printf '%s\n' "${ot_r[@]}" | median)
    m_oc=$(printf '%s\n' "${ot_c[@]}" | median)
    printf '%-30s %12s %8s %6s %12s %8s %6s %7s\n' "$name" "$m_sr" "$m_sc" "${sy_b[0]}" "$m_or" "$m_oc" "${ot_b[0]}" \
        "$(awk -v a="$m_sr" -v b="$m_or" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')"
}

header() { # other
    printf '%-30s %12s %8s %6s %12s %8s %6s %7s\n' row "switchyard/s" "us/req" gen "$1/s" "us/req" gen ratio
}

echo "switchyard $("$SWITCHYARD" --version | awk '{print $2}'), $("$NGINX" -v 2>&1 | sed 's/.*: //'), redis $("$REDIS" --version | awk '{print $3}' | sed 's/v=//'), $(openssl version | awk '{print $1, $2}'); ECDSA P-256; $ROUNDS rounds, medians"

if want http; then
    ng_port=$(free_port)
    mkdir -p "$work/nginx/logs"
    cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    open_file_cache max=1000 inactive=60s;
    keepalive_requests 100000000;
    keepalive_timeout 65s;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    ssl_session_cache shared:SSL:10m;
    ssl_session_tickets on;
    server {
        listen 127.0.0.1:$ng_port ssl;
        root $root;
    }
}
CONF
    "$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" &
    ng_pid=$!
    pids+=("$ng_pid")
    "$SWITCHYARD" serve http --root "$root" --listen 127.0.0.1:0 --tls-listen 127.0.0.1:0 \
        --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --log-level warn "${sy_args[@]}" \
        >"$work/sy-http.out" 2>"$work/sy-http.err" &
    sy_pid=$!
    pids+=("$sy_pid")
    wait_until "switchyard http" grep -q '^listening http-tls' "$work/sy-http.out"
    sy_addr=$(awk '/^listening http-tls/ {print $3; exit}' "$work/sy-http.out")
    ng_addr="127.0.0.1:$ng_port"
    wait_until nginx curl -sfk "https://$ng_addr/13.txt"
    curl -sf --cacert "$work/cert.pem" "https://$sy_addr/13.txt" >/dev/null

    echo
    echo "HTTPS: wrk -t1 -c$CONNECTIONS -d$DURATION (gen: wrk's CPU use in the first round)"
    header nginx
    row "13 B keep-alive" wrk_load "$sy_pid" "https://$sy_addr/13.txt" no -- "$ng_pid" "https://$ng_addr/13.txt" no
    row "1 KiB keep-alive" wrk_load "$sy_pid" "https://$sy_addr/1k.txt" no -- "$ng_pid" "https://$ng_addr/1k.txt" no
    row "13 B new connection each" wrk_load "$sy_pid" "https://$sy_addr/13.txt" yes -- "$ng_pid" "https://$ng_addr/13.txt" yes
    kill "$sy_pid" "$ng_pid"
    wait "$sy_pid" "$ng_pid" 2>/dev/null || true
    pids=()
fi

if want kv; then
    rd_port=$(free_port)
    "$REDIS" --port 0 --tls-port "$rd_port" --tls-cert-file "$work/cert.pem" --tls-key-file "$work/key.pem" \
        --tls-auth-clients no --save '' --appendonly no --loglevel warning >"$work/redis.log" 2>&1 &
    rd_pid=$!
    pids+=("$rd_pid")
    "$SWITCHYARD" serve kv --listen 127.0.0.1:0 --tls-listen 127.0.0.1:0 \
        --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --log-level warn "${sy_args[@]}" \
        >"$work/sy-kv.out" 2>"$work/sy-kv.err" &
    sy_pid=$!
    pids+=("$sy_pid")
    wait_until "switchyard kv" grep -q '^listening kv-tls' "$work/sy-kv.out"
    sy_port=$(awk '/^listening kv-tls/ {print $3; exit}' "$work/sy-kv.out" | sed 's/.*://')
    wait_until redis redis-cli --tls --cacert "$work/cert.pem" -h 127.0.0.1 -p "$rd_port" ping

    echo
    echo "kv over TLS: redis-benchmark --tls -P 16 -c 50 -n $REQUESTS (gen: redis-benchmark's CPU use in the first round)"
    header redis
    for test in set get; do
        row "$test -P 16" rb_load "$sy_pid" "$sy_port" "$test" -- "$rd_pid" "$rd_port" "$test"
    done
fi
