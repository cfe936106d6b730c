#!/usr/bin/env bash
# A new client's wait under a slow-read attack, switchyard against nginx.
#
# For each server in turn (switchyard `serve http`, its defaults; nginx
# 1.22 as in scripts/bench-http.sh: 2 workers, sendfile on), on 127.0.0.1:
#   slowhttptest -X -c 500 -r 200 -w 512 -y 1024 -n 5 -z 32 -k 1 -l 25
# opens 500 connections that each ask for a 1 MiB file and read it with a
# 512 to 1,024-byte receive window, 32 bytes every 5 s; meanwhile a new
# curl asks for a 3-byte file every 100 ms (120 probes). Printed: the
# probes' mean, 90th percentile and worst time to the whole response.
# Each run is bounded (timeout 40 s); both servers are stopped by pid.
#
# usage: scripts/bench-slow-read.sh
# environment: ROUNDS (default 2; servers alternate), CONNECTIONS (500),
#   RATE (200 per second), SWITCHYARD (a built binary; default: build release).
set -euo pipefail

cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2}
CONNECTIONS=${CONNECTIONS:-500}
RATE=${RATE:-200}
NGINX=${NGINX:-/usr/sbin/nginx}

for tool in slowhttptest curl "$NGINX"; do
    command -v "$tool" >/dev/null || { echo "bench-slow-read: $tool not found" >&2; exit 2; }
done

if [[ -z "${SWITCHYARD:-}" ]]; then
    cargo build --release -q -p switchyard
    SWITCHYARD="${CARGO_TARGET_DIR:-target}/release/switchyard"
fi

work=$(mktemp -d /tmp/switchyard-bench-slow-read.XXXXXX)
pid=""
cleanup() {
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

root="$work/root"
mkdir -p "$root"
head -c $((1 << 20)) /dev/urandom >"$root/big.bin"
printf 'hi\n' >"$root/small.txt"
chmod 755 "$work" "$root"
chmod 644 "$root"/*

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_switchyard() {
    "$SWITCHYARD" serve http --root "$root" --listen 127.0.0.1:0 --log-level warn >"$work/sy.out" 2>"$work/sy.err" &
    pid=$!
    for _ in $(seq 200); do
        grep -q '^listening' "$work/sy.out" && break
        sleep 0.05
    done
    addr=$(awk '/^listening/ {print $3; exit}' "$work/sy.out")
}

start_nginx() {
    local port
    port=$(free_port)
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
    sendfile on;
    open_file_cache max=1000 inactive=60s;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    server {
        listen 127.0.0.1:$port;
        root $root;
    }
}
CONF
    "$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" &
    pid=$!
    addr="127.0.0.1:$port"
}

# Prints "mean p90 max" (seconds) of the probes during one attack on $addr.
attack() {
    for _ in $(seq 200); do
        curl -sf -o /dev/null "http://$addr/small.txt" && break
        sleep 0.05
    done
    timeout 40 slowhttptest -X -c "$CONNECTIONS" -r "$RATE" -w 512 -y 1024 -n 5 -z 32 -k 1 \
        -u "http://$addr/big.bin" -l 25 -p 3 -v 0 >"$work/slow.log" 2>&1 &
    local attacker=$!
    for _ in $(seq 120); do
        curl -s -o /dev/null --max-time 10 -w '%{time_total}\n' "http://$addr/small.txt" || echo 10
        sleep 0.1
    done >"$work/probe.txt"
    wait "$attacker" || true
    sort -n "$work/probe.txt" | awk '{ t[NR] = $1; s += $1 } END { printf "%.3f %.3f %.3f\n", s / NR, t[int(NR * 0.9)], t[NR] }'
}

stop() {
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    pid=""
}

echo "slowhttptest -X -c $CONNECTIONS -r $RATE, 1 MiB each; a new client every 100 ms (seconds per response)"
printf '%-6s %-11s %7s %7s %7s\n' round server mean p90 max
for round in $(seq "$ROUNDS"); do
    for server in switchyard nginx; do
        "start_$server"
        read -r mean p90 max < <(attack)
        stop
        printf '%-6s %-11s %7s %7s %7s\n' "$round" "$server" "$mean" "$p90" "$max"
    done
done
