#!/usr/bin/env bash
# Server CPU time per request of several kv servers under the same
# unpipelined load: builds of `switchyard serve kv` against each other and
# against Redis, for changes too small for the rates to show.
#
# Starts one fresh server per argument on 127.0.0.1 (a switchyard binary,
# or the word `redis` for redis-server without persistence), then for
# ROUNDS rounds runs `redis-benchmark -t TEST -c 50 -n REQUESTS -P 1`
# against each in turn (in reverse order in even rounds, so that none is
# always first on a warm machine) and reads each server's CPU time from
# /proc/PID/task/*/schedstat (nanoseconds, all threads) around it. A pop
# test (lpop, rpop, spop, zpopmin) first fills its key with the matching
# push, unmeasured. Prints every round, then each server's rounds sorted
# and their median, in ns per request.
#
# usage: scripts/bench-kv-cpu.sh TEST REQUESTS ROUNDS SERVER...
#   e.g. scripts/bench-kv-cpu.sh lpush 200000 5 ./old ./new redis
set -euo pipefail
test=${1:?usage: bench-kv-cpu.sh TEST REQUESTS ROUNDS SERVER...}
n=${2:?usage: bench-kv-cpu.sh TEST REQUESTS ROUNDS SERVER...}
rounds=${3:?usage: bench-kv-cpu.sh TEST REQUESTS ROUNDS SERVER...}
shift 3
(($# > 0)) || { echo "usage: bench-kv-cpu.sh TEST REQUESTS ROUNDS SERVER..." >&2; exit 2; }
servers=("$@")

# shellcheck source=scripts/bench-common.sh
. "$(dirname "$0")/bench-common.sh"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

pids=()
ports=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for server in "${servers[@]}"; do
    port=$(free_port)
    if [[ $server == redis ]]; then
        redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
    else
        "$server" serve kv --listen "127.0.0.1:$port" --log-level warn >/dev/null 2>&1 &
    fi
    pids+=($!)
    ports+=("$port")
done
for port in "${ports[@]}"; do
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
    redis-cli -p "$port" ping >/dev/null || { echo "bench-kv-cpu: the server on port $port did not start" >&2; exit 1; }
done

fill=""
case $test in lpop) fill=lpush ;; rpop) fill=rpush ;; zpopmin) fill=zadd ;; spop) fill=sadd ;; esac
declare -A results
last=$((${#servers[@]} - 1))
for round in $(seq "$rounds"); do
    for i in $(seq 0 "$last"); do
        ((round % 2)) || i=$((last - i))
        port=${ports[$i]}
        pid=${pids[$i]}
        # -r makes zadd and sadd add distinct members, so the pops find some.
        [[ -n $fill ]] && redis-benchmark -p "$port" -t "$fill" -n "$n" -c 50 -r 1000000 -q >/dev/null 2>&1
        before=$(cpu_ns "$pid")
        rate=$(redis-benchmark -p "$port" -t "$test" -c 50 -n "$n" -q -P 1 2>/dev/null | tr '\r' '\n' |
            grep 'requests per second' | tail -1 | sed 's/.*: \([0-9.]*\) requests per second.*/\1/')
        after=$(cpu_ns "$pid")
        per=$(((after - before) / n))
        results[$i]="${results[$i]:-} $per"
        echo "round $round: ${servers[$i]}: $rate requests/s, $per ns of server CPU per request"
    done
done
for i in $(seq 0 "$last"); do
    sorted=$(tr ' ' '\n' <<<"${results[$i]}" | grep . | sort -n | tr '\n' ' ')
    median=$(tr ' ' '\n' <<<"${results[$i]}" | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    echo "${servers[$i]}: $sorted median $median ns per request"
done
