#!/usr/bin/env bash
# Compares `switchyard serve http` with nginx serving the same folder.
#
# Both servers run at once on 127.0.0.1; each case loads one of them, then
# the other, with the same wrk command:
#   wrk -t1 -c100 -d10s --latency, for a 13-byte file and a 1 KiB file,
#   with keep-alive, then pipelined 16 deep (scripts/http-pipeline.lua).
# nginx (Debian's nginx-light): 2 workers, access_log off, sendfile on,
# open_file_cache on. switchyard: its defaults (one I/O loop, one worker
# per core).
#
# usage: scripts/bench-http.sh
# environment: DURATION (default 10s), CONNECTIONS (default 100),
#   DEPTH (default 16), SWITCHYARD (a built binary; default: build release).
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-100}
DEPTH=${DEPTH:-16}
NGINX=${NGINX:-/usr/sbin/nginx}

for tool in wrk "$NGINX"; do
    command -v "$tool" >/dev/null || { echo "bench-http: $tool not found" >&2; exit 2; }
done

if [[ -z "${SWITCHYARD:-}" ]]; then
    cargo build --release -q -p switchyard
    SWITCHYARD="${CARGO_TARGET_DIR:-target}/release/switchyard"
fi

work=$(mktemp -d /tmp/switchyard-bench-http.XXXXXX)
sy_pid=""
ng_pid=""
cleanup() {
    [[ -n "$sy_pid" ]] && kill "$sy_pid" 2>/dev/null && wait "$sy_pid" 2>/dev/null
    [[ -n "$ng_pid" ]] && kill "$ng_pid" 2>/dev/null && wait "$ng_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The served folder: readable by nginx's unprivileged workers.
root="$work/root"
mkdir -p "$root"
printf 'hello, world\n' >"$root/13.txt"
head -c 1024 /dev/zero | tr '\0' 'x' >"$root/1k.txt"
chmod 755 "$work" "$root"
chmod 644 "$root"/*

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# nginx, in the foreground of its own background job, so $! is its master.
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
    sendfile on;
    tcp_nopush on;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    keepalive_requests 100000000;
    keepalive_timeout 65s;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    server {
        listen 127.0.0.1:$ng_port;
        root $root;
    }
}
CONF
"$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" &
ng_pid=$!

# switchyard, printing its address on stdout.
"$SWITCHYARD" serve http --root "$root" --listen 127.0.0.1:0 --log-level warn >"$work/sy.out" 2>"$work/sy.err" &
sy_pid=$!

wait_until() { # what, command...
    local what=$1
    shift
    for _ in $(seq 200); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "bench-http: $what did not start" >&2
    exit 1
}
wait_until switchyard grep -q '^listening' "$work/sy.out"
sy_addr=$(awk '/^listening/ {print $3; exit}' "$work/sy.out")
ng_addr="127.0.0.1:$ng_port"
wait_until nginx curl -sf "http://$ng_addr/13.txt"
curl -sf "http://$sy_addr/13.txt" >/dev/null

# Prints "requests/s p50 p99" for one wrk run (p99 "n/a" where wrk reads 0;
# see scripts/http-pipeline.lua).
load() { # addr path pipelined
    local addr=$1 path=$2 pipelined=$3 out
    if [[ "$pipelined" == yes ]]; then
        out=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s scripts/http-pipeline.lua "http://$addr" -- "$path" "$DEPTH")
    else
        out=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "http://$addr$path")
    fi
    if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
        echo "bench-http: errors against $addr$path:" >&2
        grep 'Non-2xx\|Socket errors' <<<"$out" >&2
    fi
    local rps p50 p99
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print ($2 == "0.00us" ? "n/a" : $2)}' <<<"$out")
    echo "$rps $p50 $p99"
}

echo "wrk -t1 -c$CONNECTIONS -d$DURATION --latency; switchyard $("$SWITCHYARD" --version 2>/dev/null | awk '{print $2}') vs $("$NGINX" -v 2>&1 | sed 's/.*: //')"
printf '%-22s %14s %9s %9s %14s %9s %9s %7s\n' case "switchyard r/s" p50 p99 "nginx r/s" p50 p99 ratio
for case in "13.txt no" "1k.txt no" "13.txt yes" "1k.txt yes"; do
    read -r file pipelined <<<"$case"
    read -r sy_rps sy_p50 sy_p99 < <(load "$sy_addr" "/$file" "$pipelined")
    read -r ng_rps ng_p50 ng_p99 < <(load "$ng_addr" "/$file" "$pipelined")
    name="$file keep-alive"
    [[ "$pipelined" == yes ]] && name="$file pipelined x$DEPTH"
    ratio=$(awk -v a="$sy_rps" -v b="$ng_rps" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
    printf '%-22s %14s %9s %9s %14s %9s %9s %7s\n' "$name" "$sy_rps" "$sy_p50" "$sy_p99" "$ng_rps" "$ng_p50" "$ng_p99" "$ratio"
done
