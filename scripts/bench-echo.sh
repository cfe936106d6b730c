#!/usr/bin/env bash
# Compares `switchyard serve echo` with a minimal tokio echo server
# (crates/baseline) under the same `switchyard bench echo` load.
#
# For each server configuration and load, the two servers take turns (one
# run of each, then the other order, and so on), each run on a fresh
# server on 127.0.0.1 port 0 (its `listening echo ADDR` line tells where),
# started and stopped by pid. The figure is the median requests/s of the
# runs; the ratio is switchyard over tokio. Beside it, each server's CPU
# time per request (from /proc/PID/stat), which the machine's other load
# disturbs less than the rate.
#
#   loads:   64 B ping-pong over 50 connections; the same pipelined 16 deep
#   servers: --workers 0 | --workers 2 --respond loop |
#            --workers 2 --respond direct | --workers 0 --poller poll
#
# Then resident memory: each server's VmRSS before and with 10,000 idle
# connections (opened by `switchyard bench echo --idle 10000`), silent, and
# warm (each connection first echoes 64 bytes once, `--warm`).
#
# usage: scripts/bench-echo.sh [--quick] [--runs N] [--duration DUR] [--threads N]
#   --quick       1 s runs: a smoke run of the script (about two minutes)
#   --runs N      runs per server and case (default 3, at least 3 for figures)
#   --duration D  length of one run (default 3s)
#   --threads N   client threads of the load generator (default 1)
# environment: CARGO_TARGET_DIR as for cargo.
set -euo pipefail

cd "$(dirname "$0")/.."

RUNS=3
DURATION=3s
THREADS=1
IDLE=10000
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) DURATION=1s ;;
        --runs) RUNS=$2; shift ;;
        --duration) DURATION=$2; shift ;;
        --threads) THREADS=$2; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-echo: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

cargo build --release -q -p switchyard -p switchyard-baseline
bin="${CARGO_TARGET_DIR:-target}/release"
SWITCHYARD="$bin/switchyard"
TOKIO="$bin/switchyard-baseline"

# Both servers and the idle client need a descriptor per connection.
ulimit -n "$(ulimit -Hn)"
if (($(ulimit -n) < IDLE + 100)); then
    echo "bench-echo: ulimit -n is $(ulimit -n); $IDLE idle connections need more" >&2
    exit 1
fi

HZ=$(getconf CLK_TCK)
work=$(mktemp -d /tmp/switchyard-bench-echo.XXXXXX)
server_pid=""
idle_pid=""
cleanup() {
    [[ -n "$idle_pid" ]] && kill "$idle_pid" 2>/dev/null && wait "$idle_pid" 2>/dev/null
    [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# start_server NAME: starts it on 127.0.0.1:0 with the flags in $flags;
# sets server_pid and server_addr.
start_server() {
    local name=$1
    : >"$work/out"
    if [[ $name == switchyard ]]; then
        # shellcheck disable=SC2086
        "$SWITCHYARD" serve echo --listen 127.0.0.1:0 --max-connections 20000 --shutdown-timeout 2s --log-level warn $flags \
            >"$work/out" 2>>"$work/server.log" &
    else
        "$TOKIO" 127.0.0.1:0 >"$work/out" 2>>"$work/server.log" &
    fi
    server_pid=$!
    local waited=0
    until server_addr=$(sed -n 's/^listening echo //p' "$work/out") && [[ -n $server_addr ]]; do
        if ! kill -0 "$server_pid" 2>/dev/null || ((waited > 200)); then
            echo "bench-echo: $name did not start; its log:" >&2
            cat "$work/server.log" >&2
            exit 1
        fi
        sleep 0.05
        waited=$((waited + 1))
    done
}

# stop_server: SIGTERM, and SIGKILL if it is still there 5 s later.
stop_server() {
    kill -TERM "$server_pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$server_pid" 2>/dev/null && ((waited < 100)); do
        sleep 0.05
        waited=$((waited + 1))
    done
    if kill -0 "$server_pid" 2>/dev/null; then
        echo "bench-echo: the server did not stop within 5 s of SIGTERM; killing it" >&2
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# field NAME JSON: a number from the load generator's flat JSON report.
field() {
    sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$2"
}

# shellcheck source=scripts/bench-common.sh
. scripts/bench-common.sh

# cpu_ticks PID: user plus system time so far, in clock ticks.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# one_run NAME LOAD...: one fresh server, one load; sets result to its
# requests/s and cpu to the server's CPU microseconds per request.
one_run() {
    local name=$1
    shift
    start_server "$name"
    local json ticks_before ticks_after
    ticks_before=$(cpu_ticks "$server_pid")
    json=$("$SWITCHYARD" bench echo --target "$server_addr" --duration "$DURATION" --threads "$THREADS" --json "$@" \
        2>>"$work/bench.log") || true
    ticks_after=$(cpu_ticks "$server_pid")
    stop_server
    local errors requests
    errors=$(field errors "$json")
    if [[ $errors != 0 ]]; then
        echo "bench-echo: $name had ${errors:-unknown} errors under $*:" >&2
        tail -5 "$work/bench.log" >&2
        failures=$((failures + 1))
    fi
    result=$(field requests_per_s "$json")
    result=${result:-0}
    requests=$(field requests "$json")
    cpu=$(awk -v t=$((ticks_after - ticks_before)) -v hz="$HZ" -v n="${requests:-0}" \
        'BEGIN { printf "%.2f", (n > 0) ? t * 1e6 / hz / n : 0 }')
}

failures=0
echo "# switchyard echo vs tokio echo"
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), Linux $(uname -r)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "runs: $RUNS per server and case, $DURATION each, alternating; client: $THREADS thread(s)"
echo
echo "requests/s: medians; CPU: the server's CPU time per request (user + system), medians"
echo
printf '| %-30s | %-13s | %12s | %12s | %6s | %6s | %-4s | %9s | %9s |\n' \
    "switchyard flags" load "switchyard/s" "tokio/s" ratio target met "sy CPU µs" "tk CPU µs"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..32})" "$(printf -- '-%.0s' {1..15})" \
    "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..14})" "--------" "--------" "------" \
    "-----------" "-----------"

configs=(
    "--workers 0"
    "--workers 2 --respond loop"
    "--workers 2 --respond direct"
    "--workers 0 --poller poll"
)
loads=(
    "ping-pong|--connections 50 --size 64 --pipeline 1"
    "pipelined 16|--connections 50 --size 64 --pipeline 16"
)
for flags in "${configs[@]}"; do
    case "$flags" in
        *"--workers 0"*) target=1.0 ;;
        *) target=0.9 ;;
    esac
    for entry in "${loads[@]}"; do
        label=${entry%%|*}
        # shellcheck disable=SC2206
        load=(${entry#*|})
        sy=()
        tk=()
        sy_cpu=()
        tk_cpu=()
        for ((run = 0; run < RUNS; run++)); do
            if ((run % 2 == 0)); then
                one_run switchyard "${load[@]}" && sy+=("$result") && sy_cpu+=("$cpu")
                one_run tokio "${load[@]}" && tk+=("$result") && tk_cpu+=("$cpu")
            else
                one_run tokio "${load[@]}" && tk+=("$result") && tk_cpu+=("$cpu")
                one_run switchyard "${load[@]}" && sy+=("$result") && sy_cpu+=("$cpu")
            fi
        done
        sy_med=$(printf '%s\n' "${sy[@]}" | median)
        tk_med=$(printf '%s\n' "${tk[@]}" | median)
        ratio=$(awk -v a="$sy_med" -v b="$tk_med" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')
        met=$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r >= t) ? "yes" : "no" }')
        printf '| %-30s | %-13s | %12.0f | %12.0f | %6s | %6s | %-4s | %9s | %9s |\n' \
            "$flags" "$label" "$sy_med" "$tk_med" "${ratio}x" "${target}x" "$met" \
            "$(printf '%s\n' "${sy_cpu[@]}" | median)" "$(printf '%s\n' "${tk_cpu[@]}" | median)"
        echo "  $flags, $label: switchyard ${sy[*]}; tokio ${tk[*]}" >>"$work/runs.log"
    done
done
echo
echo "each run's requests/s, in order:"
cat "$work/runs.log"

# rss PID: resident memory in KiB.
rss() {
    sed -n 's/^VmRSS:\s*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}

echo
echo "# resident memory with $IDLE idle connections"
echo "silent: connected only; warm: each connection first echoed 64 bytes once"
printf '| %-24s | %-6s | %12s | %12s | %12s |\n' server idle "before, MiB" "with, MiB" "per conn, B"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..26})" "--------" "$(printf -- '-%.0s' {1..14})" \
    "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..14})"
for name in switchyard tokio; do
    for mode in silent warm; do
        flags=""
        warm=()
        [[ $mode == warm ]] && warm=(--warm)
        start_server "$name"
        before=$(rss "$server_pid")
        "$SWITCHYARD" bench echo --target "$server_addr" --idle "$IDLE" "${warm[@]}" --duration 120s \
            >"$work/idle.out" 2>>"$work/bench.log" &
        idle_pid=$!
        waited=0
        # Wait until the client has them all open and the server holds a descriptor for each.
        until grep -q '^idle ' "$work/idle.out" && (($(ls "/proc/$server_pid/fd" | wc -l) >= IDLE)); do
            if ! kill -0 "$idle_pid" 2>/dev/null || ((waited > 1200)); then
                echo "bench-echo: $IDLE idle connections to $name did not open" >&2
                tail -5 "$work/bench.log" >&2
                exit 1
            fi
            sleep 0.05
            waited=$((waited + 1))
        done
        with=$(rss "$server_pid")
        kill "$idle_pid"
        wait "$idle_pid" 2>/dev/null || true
        idle_pid=""
        stop_server
        label=$name
        [[ $name == switchyard ]] && label="switchyard (defaults)"
        printf '| %-24s | %-6s | %12.1f | %12.1f | %12.0f |\n' "$label" "$mode" \
            "$(awk -v k="$before" 'BEGIN { print k / 1024 }')" "$(awk -v k="$with" 'BEGIN { print k / 1024 }')" \
            "$(awk -v a="$before" -v b="$with" -v n="$IDLE" 'BEGIN { print (b - a) * 1024 / n }')"
    done
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if ((failures > 0)); then
    echo "bench-echo: $failures runs had errors" >&2
    exit 1
fi
