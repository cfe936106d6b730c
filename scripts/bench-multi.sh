#!/usr/bin/env bash
# What the PROXY protocol costs, and what three instances give, behind
# HAProxy (mode tcp) on 127.0.0.1; a benchmark, not a test.
#
# Cases, each with the same wrk load (-t2 -c100, a 26-byte file):
#   one, plain:  one `switchyard serve http`, HAProxy sending no header
#   one, proxy:  the same instance, HAProxy sending send-proxy-v2 to its
#                --proxy-listen address
#   three, proxy: three instances, send-proxy-v2, round robin
# each with kept-alive connections (one header per connection) and with
# `Connection: close` (a new connection, so a header, per request).
# Reports requests/s and the CPU time (utime + stime from /proc, all
# instances together; then HAProxy's) per request; rounds in rotating
# order, medians.
#
# usage: scripts/bench-multi.sh
# environment: DURATION (default 10s), ROUNDS (default 3),
#   SWITCHYARD (a built binary; default: build release).
set -euo pipefail

cd "$(dirname "$0")/.."
source scripts/bench-common.sh
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}

for tool in wrk "$HAPROXY" python3; do
    command -v "$tool" >/dev/null || { echo "bench-multi: $tool not found" >&2; exit 2; }
done
if [[ -z "${SWITCHYARD:-}" ]]; then
    cargo build --release -q -p switchyard
    SWITCHYARD="${CARGO_TARGET_DIR:-target}/release/switchyard"
fi

work=$(mktemp -d /tmp/switchyard-bench-multi.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [[ "${KEEP:-}" == 1 ]]; then echo "work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# CPU ticks (utime + stime) of the given processes, all threads.
ticks() {
    local total=0 pid
    for pid in "$@"; do
        total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
    done
    echo "$total"
}
HZ=$(getconf CLK_TCK)

mkdir -p "$work/www"
printf 'hello from behind HAProxy\n' >"$work/www/index.html"
declare -A plain proxy
instances=()
for i in 1 2 3; do
    "$SWITCHYARD" serve http --listen 127.0.0.1:0 --proxy-listen 127.0.0.1:0 --root "$work/www" \
        --log-level warn >"$work/s$i.out" 2>"$work/s$i.log" &
    pids+=($!)
    instances+=($!)
    for _ in $(seq 200); do [[ "$(wc -l <"$work/s$i.out")" -ge 2 ]] && break; sleep 0.05; done
    plain[$i]=$(sed -n 1p "$work/s$i.out" | awk '{ print $3 }')
    proxy[$i]=$(sed -n 2p "$work/s$i.out" | awk '{ print $3 }')
done

# One HAProxy frontend per case, all in one process.
declare -A front
{
    cat <<EOF
global
    maxconn 4096

defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
EOF
    for case in one_plain one_proxy three_proxy; do
        front[$case]=$(free_port)
        printf '\nlisten %s\n    bind 127.0.0.1:%s\n    balance roundrobin\n' "$case" "${front[$case]}"
        case $case in
            one_plain) echo "    server s1 ${plain[1]}" ;;
            one_proxy) echo "    server s1 ${proxy[1]} send-proxy-v2" ;;
            three_proxy) for i in 1 2 3; do echo "    server s$i ${proxy[$i]} send-proxy-v2"; done ;;
        esac
    done
} >"$work/haproxy.cfg"
"$HAPROXY" -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
haproxy_pid=$!
pids+=($haproxy_pid)
for case in "${!front[@]}"; do
    for _ in $(seq 200); do curl -s "http://127.0.0.1:${front[$case]}/" >/dev/null && break; sleep 0.05; done
done

# run CASE MODE: one wrk run; appends "reqs/s instance-us/req haproxy-us/req" to $work/CASE.MODE
run() {
    local case=$1 mode=$2 header=()
    [[ "$mode" == close ]] && header=(-H "Connection: close")
    local before_i before_h
    before_i=$(ticks "${instances[@]}")
    before_h=$(ticks "$haproxy_pid")
    wrk -t2 -c100 -d"$DURATION" "${header[@]}" "http://127.0.0.1:${front[$case]}/" >"$work/wrk.out" 2>&1
    local after_i after_h
    after_i=$(ticks "${instances[@]}")
    after_h=$(ticks "$haproxy_pid")
    local requests rps
    requests=$(awk '/requests in/ { print $1 }' "$work/wrk.out")
    rps=$(awk '/Requests\/sec/ { print $2 }' "$work/wrk.out")
    if grep -q -E 'Socket errors|Non-2xx' "$work/wrk.out"; then
        echo "bench-multi: $case $mode: $(grep -E 'Socket errors|Non-2xx' "$work/wrk.out" | xargs)" >&2
    fi
    awk -v r="$rps" -v n="$requests" -v i=$((after_i - before_i)) -v h=$((after_h - before_h)) -v hz="$HZ" \
        'BEGIN { printf "%s %.2f %.2f\n", r, i * 1e6 / hz / n, h * 1e6 / hz / n }' >>"$work/$case.$mode"
}

cases=(one_plain one_proxy three_proxy)
for round in $(seq "$ROUNDS"); do
    for mode in keepalive close; do
        # Rotate the order each round, so that no case always runs first.
        for k in 0 1 2; do
            case=${cases[$(((k + round) % 3))]}
            run "$case" "$mode"
        done
    done
done

echo "wrk -t2 -c100 -d$DURATION through HAProxy (mode tcp), $ROUNDS rounds, medians"
printf '%-12s %-10s %12s %22s %22s\n' case connections requests/s "instances CPU us/req" "HAProxy CPU us/req"
for mode in keepalive close; do
    for case in "${cases[@]}"; do
        f="$work/$case.$mode"
        printf '%-12s %-10s %12s %22s %22s\n' "$case" "$mode" \
            "$(awk '{ print $1 }' "$f" | median)" "$(awk '{ print $2 }' "$f" | median)" "$(awk '{ print $3 }' "$f" | median)"
    done
done
echo "all rounds (requests/s, instances us/req, HAProxy us/req):"
for mode in keepalive close; do
    for case in "${cases[@]}"; do
        echo "  $case $mode: $(tr '\n' ';' <"$work/$case.$mode")"
    done
done
