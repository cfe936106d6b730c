#!/usr/bin/env bash
# Two builds of `switchyard serve kv` against each other, alternating:
# requests/s and the server's CPU time per request (us, all threads), for
# redis-benchmark -t get|set -P 16 and get -P 1, four rounds each.
# CONFIGS overrides the rows: "test depth requests" triples, e.g.
#   CONFIGS="lpush 16 1000000;lpop 16 1000000" scripts/bench-kv-ab.sh OLD NEW
# A pop test (lpop, rpop, zpopmin, spop) first fills its key with the
# matching push, unmeasured, so that it pops real elements. (A build
# before the O(1) random picks of big sets walks the set on every SPOP,
# milliseconds a pop at a million members: give spop a small count there.)
#
# usage: scripts/bench-kv-ab.sh OLD_BINARY NEW_BINARY
set -euo pipefail
OLD=${1:?usage: bench-kv-ab.sh OLD_BINARY NEW_BINARY}
NEW=${2:?usage: bench-kv-ab.sh OLD_BINARY NEW_BINARY}
HZ=$(getconf CLK_TCK)
run() { # bin test P n
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  $1 serve kv --listen 127.0.0.1:$port --log-level warn >/dev/null 2>&1 & local pid=$!
  for _ in $(seq 100); do redis-cli -p $port ping >/dev/null 2>&1 && break; sleep 0.05; done
  kill -0 $pid 2>/dev/null || { echo "bench-kv-ab: $1 did not start" >&2; exit 1; }
  local fill=""
  case $2 in lpop) fill=lpush ;; rpop) fill=rpush ;; zpopmin) fill=zadd ;; spop) fill=sadd ;; esac
  # -r makes zadd and sadd add distinct members, so the pops find some.
  [[ -n $fill ]] && redis-benchmark -p $port -t $fill -P $3 -n $4 -c 50 -r 1000000 -q >/dev/null 2>&1
  local b=$(awk '{print $14+$15}' /proc/$pid/stat)
  local out=$(redis-benchmark -p $port -t $2 -P $3 -n $4 -c 50 -q 2>/dev/null | tr '\r' '\n' | grep 'requests per second' | tail -1 | sed 's/.*: \([0-9.]*\) requests per second.*/\1/')
  local a=$(awk '{print $14+$15}' /proc/$pid/stat)
  kill $pid; wait $pid 2>/dev/null || true
  awk -v r="$out" -v t=$((a-b)) -v hz=$HZ -v n=$4 'BEGIN{printf "%s %.2f", r, t*1e6/hz/n}'
}
IFS=';' read -r -a configs <<<"${CONFIGS:-get 16 1000000;set 16 1000000;get 1 100000}"
for cfg in "${configs[@]}"; do
  set -- $cfg
  for round in 1 2 3 4; do
    if ((round % 2)); then o=$(run $OLD $1 $2 $3); n=$(run $NEW $1 $2 $3); else n=$(run $NEW $1 $2 $3); o=$(run $OLD $1 $2 $3); fi
    echo "$1 P$2 round $round: old $o | new $n"
  done
done
