#!/usr/bin/env bash
# Measures what decides where the TLS work runs (docs/architecture.md,
# "Where the TLS work runs"), for switchyard's http service (one I/O loop
# doing all the TLS work) and Debian's nginx with `ssl` (each worker does
# its handshakes on its event loop too), on one ECDSA P-256 certificate:
#
#   a. handshake: the server's CPU time per new connection (accept,
#      handshake, one GET of a 13-byte file, close) with `openssl s_time`:
#      a full TLS 1.3 handshake (-new -tls1_3), a full TLS 1.2 one, and a
#      resumed TLS 1.3 one (-reuse, a session ticket); beside them the same
#      with no TLS (wrk with `Connection: close` on the clear listener).
#   b. stall: scripts/tls-probe.py keeps PROBE_CONNECTIONS connections
#      alive and sends a GET every PROBE_INTERVAL_MS, measuring p50, p99
#      and max latency, first alone, then while `wrk -t1 -cFLOOD -H
#      'Connection: close'` opens new TLS connections as fast as it can.
#   c. records: the server's CPU time per MiB of a BIG_MIB MiB file sent
#      with `curl` over HTTPS (encrypted, 16 KiB records), and the same in
#      clear (sendfile).
#
# Server CPU is utime + stime of all its threads (and nginx's workers)
# from /proc/PID/stat. Every row runs ROUNDS times, switchyard first in
# odd rounds and nginx first in even ones; each round is printed.
# Loopback only; every process is stopped by its pid.
#
# usage: scripts/bench-tls-stall.sh
# environment: DURATION (seconds, default 8), ROUNDS (default 2),
#   FLOOD (wrk connections opening, default 50), PROBE_CONNECTIONS
#   (default 4), PROBE_INTERVAL_MS (default 2), BIG_MIB (default 64),
#   DOWNLOADS (default 8), NGINX_WORKERS (default 2), SWITCHYARD (a built
#   binary; default: build release), SWITCHYARD_ARGS (extra engine flags),
#   PARTS (any of "a b c"; default all).
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-2}
FLOOD=${FLOOD:-50}
PROBE_CONNECTIONS=${PROBE_CONNECTIONS:-4}
PROBE_INTERVAL_MS=${PROBE_INTERVAL_MS:-2}
BIG_MIB=${BIG_MIB:-64}
DOWNLOADS=${DOWNLOADS:-8}
NGINX=${NGINX:-/usr/sbin/nginx}
NGINX_WORKERS=${NGINX_WORKERS:-2}
PARTS=${PARTS:-a b c}
read -r -a sy_args <<<"${SWITCHYARD_ARGS:-}"
want() { [[ " $PARTS " == *" $1 "* ]]; }

for tool in wrk openssl curl python3 "$NGINX"; do
    command -v "$tool" >/dev/null || { echo "bench-tls-stall: $tool not found" >&2; exit 2; }
done

if [[ -z "${SWITCHYARD:-}" ]]; then
    cargo build --release -q -p switchyard
    SWITCHYARD="${CARGO_TARGET_DIR:-target}/release/switchyard"
fi

work=$(mktemp -d /tmp/switchyard-bench-tls-stall.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
root="$work/root"
mkdir -p "$root"
printf 'hello, world\n' >"$root/13.txt"
head -c "$((BIG_MIB << 20))" /dev/urandom >"$root/big.bin"
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
    echo "bench-tls-stall: $what did not start" >&2
    exit 1
}

cpu_ticks() { # pid: utime + stime of it and its children (nginx's workers)
    local pid=$1 total=0 child
    for child in "$pid" $(pgrep -P "$pid" || true); do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$child/stat")))
    done
    echo "$total"
}
hz=$(getconf CLK_TCK)
us_per() { # ticks count: microseconds of CPU per unit
    awk -v t="$1" -v n="$2" -v hz="$hz" 'BEGIN { printf "%.1f", (n > 0 ? t / hz / n * 1e6 : 0) }'
}

# a. "connections/s server-us-per-connection" for one s_time run.
s_time() { # pid addr args...
    local pid=$1 addr=$2 before after out n start end
    shift 2
    before=$(cpu_ticks "$pid")
    start=$(date +%s.%N)
    out=$(openssl s_time -connect "$addr" -www /13.txt -time "$DURATION" "$@" 2>&1)
    end=$(date +%s.%N)
    after=$(cpu_ticks "$pid")
    # "N connections in T real seconds" rounds T to whole seconds.
    n=$(awk '/connections in .* real seconds/ {print $1; exit}' <<<"$out")
    awk -v n="$n" -v s="$start" -v e="$end" 'BEGIN { printf "%.0f ", n / (e - s) }'
    us_per $((after - before)) "$n"
}

# a, no TLS. "connections/s server-us-per-connection".
clear_close() { # pid url
    local pid=$1 before after out n rps
    before=$(cpu_ticks "$pid")
    out=$(wrk -t1 -c"$FLOOD" -d"${DURATION}s" -H 'Connection: close' "$2")
    after=$(cpu_ticks "$pid")
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
    echo "$rps $(us_per $((after - before)) "$n")"
}

# b. The probe's line, alone or beside a flood of new connections.
probe() { # addr flood(yes|no)
    local host=${1%:*} port=${1##*:} flood_pid out
    if [[ $2 == yes ]]; then
        wrk -t1 -c"$FLOOD" -d"$((DURATION + 2))s" -H 'Connection: close' "https://$1/13.txt" >"$work/flood.out" &
        flood_pid=$!
        sleep 1
    fi
    out=$(python3 scripts/tls-probe.py "$host" "$port" /13.txt "$work/cert.pem" \
        "$PROBE_CONNECTIONS" "$DURATION" "$PROBE_INTERVAL_MS")
    if [[ $2 == yes ]]; then
        wait "$flood_pid"
        out="$out; flood $(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$work/flood.out") new connections/s"
    fi
    echo "$out"
}

# c. "MiB/s server-us-per-MiB" for DOWNLOADS downloads of big.bin.
download() { # pid url
    local pid=$1 before after start end
    before=$(cpu_ticks "$pid")
    start=$(date +%s.%N)
    for _ in $(seq "$DOWNLOADS"); do
        curl -sf --cacert "$work/cert.pem" -o /dev/null "$2"
    done
    end=$(date +%s.%N)
    after=$(cpu_ticks "$pid")
    awk -v m=$((BIG_MIB * DOWNLOADS)) -v s="$start" -v e="$end" 'BEGIN { printf "%.0f ", m / (e - s) }'
    us_per $((after - before)) $((BIG_MIB * DOWNLOADS))
}

ng_port=$(free_port)
ng_clear=$(free_port)
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes $NGINX_WORKERS;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
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
        listen 127.0.0.1:$ng_clear;
        root $root;
    }
}
CONF
"$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" &
ng_pid=$!
pids+=("$ng_pid")
"$SWITCHYARD" serve http --root "$root" --listen 127.0.0.1:0 --tls-listen 127.0.0.1:0 \
    --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --log-level warn "${sy_args[@]}" \
    >"$work/sy.out" 2>"$work/sy.err" &
sy_pid=$!
pids+=("$sy_pid")
wait_until switchyard grep -q '^listening http-tls' "$work/sy.out"
sy_tls=$(awk '/^listening http-tls/ {print $3; exit}' "$work/sy.out")
sy_clear=$(awk '/^listening http / {print $3; exit}' "$work/sy.out")
ng_tls="127.0.0.1:$ng_port"
wait_until nginx curl -sf --cacert "$work/cert.pem" "https://$ng_tls/13.txt"
curl -sf --cacert "$work/cert.pem" "https://$sy_tls/13.txt" >/dev/null
curl -sf "http://$sy_clear/13.txt" >/dev/null

echo "switchyard $("$SWITCHYARD" --version | awk '{print $2}') ${sy_args[*]}, $("$NGINX" -v 2>&1 | sed 's/.*: //') ($NGINX_WORKERS workers), $(openssl version | awk '{print $1, $2}'); ECDSA P-256; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"

# Runs `$fn sy-args` and `$fn nginx-args` ROUNDS times, alternating, and
# prints each result under its name.
both() { # label fn sy-args... -- nginx-args...
    local label=$1 fn=$2
    shift 2
    local sy=() ng=()
    while [[ $1 != -- ]]; do sy+=("$1"); shift; done
    shift
    ng=("$@")
    for round in $(seq "$ROUNDS"); do
        if ((round % 2)); then
            printf '  %-34s switchyard  %s\n' "$label" "$("$fn" "${sy[@]}")"
            printf '  %-34s nginx       %s\n' "$label" "$("$fn" "${ng[@]}")"
        else
            printf '  %-34s nginx       %s\n' "$label" "$("$fn" "${ng[@]}")"
            printf '  %-34s switchyard  %s\n' "$label" "$("$fn" "${sy[@]}")"
        fi
    done
}

if want a; then
    echo
    echo "the bare public-key operations on this machine (openssl speed, OpenSSL's code, not ring's):"
    openssl speed -seconds 2 ecdsap256 ecdhx25519 2>/dev/null | awk '/ecdsa \(nistp256\)/ {print "  ECDSA P-256: " $(NF-1) " signs/s"} /ecdh \(X25519\)/ {print "  X25519: " $NF " key agreements/s"}'

    echo
    echo "a. handshake: new connections/s, server us per connection (accept, handshake, a 13 B GET, close)"
    both "TLS 1.3 full (s_time -new)" s_time "$sy_pid" "$sy_tls" -new -tls1_3 -- "$ng_pid" "$ng_tls" -new -tls1_3
    both "TLS 1.2 full (s_time -new)" s_time "$sy_pid" "$sy_tls" -new -tls1_2 -- "$ng_pid" "$ng_tls" -new -tls1_2
    both "TLS 1.3 resumed (s_time -reuse)" s_time "$sy_pid" "$sy_tls" -reuse -tls1_3 -- "$ng_pid" "$ng_tls" -reuse -tls1_3
    both "no TLS (wrk, Connection: close)" clear_close "$sy_pid" "http://$sy_clear/13.txt" -- "$ng_pid" "http://127.0.0.1:$ng_clear/13.txt"
fi

if want b; then
    echo
    echo "b. stall: $PROBE_CONNECTIONS kept-alive connections, a GET every $PROBE_INTERVAL_MS ms, latency; alone and beside wrk -c$FLOOD 'Connection: close'"
    both "keep-alive probe alone" probe "$sy_tls" no -- "$ng_tls" no
    both "keep-alive probe + handshake flood" probe "$sy_tls" yes -- "$ng_tls" yes
fi

if want c; then
    echo
    echo "c. records: $DOWNLOADS downloads of $BIG_MIB MiB with curl; MiB/s, server us per MiB"
    both "HTTPS (encrypted records)" download "$sy_pid" "https://$sy_tls/big.bin" -- "$ng_pid" "https://$ng_tls/big.bin"
    both "clear (sendfile)" download "$sy_pid" "http://$sy_clear/big.bin" -- "$ng_pid" "http://127.0.0.1:$ng_clear/big.bin"
fi
