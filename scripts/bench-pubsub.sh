#!/usr/bin/env bash
# Pub/sub fan-out: `switchyard serve kv` against Debian's redis-server.
#
# One fresh pair of servers on 127.0.0.1 (redis-server --save ''
# --appendonly no; switchyard kv), then ROUNDS rounds of
#   switchyard bench pubsub --connections SUBSCRIBERS --senders PUBLISHERS
#       --size SIZE --duration DURATION --json
# against each, switchyard first in odd rounds and Redis first in even ones
# (whichever runs second meets a warmer machine). Each round has a
# full-speed phase (each publisher keeps 64 messages in flight: deliveries
# per second) and a fixed-rate phase (RATE messages a second per
# publisher: delivery latency). Each column is the median of its rounds;
# the server's CPU time per delivery (utime + stime of all its threads,
# from /proc/PID/stat) over the whole round.
#
# usage: scripts/bench-pubsub.sh
# environment: ROUNDS (default 5), SUBSCRIBERS (default 100), PUBLISHERS
#   (default 1), SIZE (default 64), DURATION (default 5s), RATE (default
#   100), SWITCHYARD (a built binary; default: build release),
#   SWITCHYARD_ARGS (extra flags for `serve kv`, e.g. "--io-threads 2").
set -euo pipefail

cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
SUBSCRIBERS=${SUBSCRIBERS:-100}
PUBLISHERS=${PUBLISHERS:-1}
SIZE=${SIZE:-64}
DURATION=${DURATION:-5s}
RATE=${RATE:-100}
REDIS=${REDIS:-/usr/bin/redis-server}
# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh

for tool in redis-cli python3 "$REDIS"; do
    command -v "$tool" >/dev/null || { echo "bench-pubsub: $tool not found" >&2; exit 2; }
done
if [[ -z "${SWITCHYARD:-}" ]]; then
    cargo build --release -q -p switchyard
    SWITCHYARD="${CARGO_TARGET_DIR:-target}/release/switchyard"
fi

work=$(mktemp -d /tmp/switchyard-bench-pubsub.XXXXXX)
sy_pid=""
rd_pid=""
cleanup() {
    if [[ -n "$sy_pid" ]]; then kill "$sy_pid" 2>/dev/null || true; wait "$sy_pid" 2>/dev/null || true; fi
    if [[ -n "$rd_pid" ]]; then kill "$rd_pid" 2>/dev/null || true; wait "$rd_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_until() { # what, command...
    local what=$1
    shift
    for _ in $(seq 200); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "bench-pubsub: $what did not start" >&2
    exit 1
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

rd_port=$(free_port)
sy_port=$(free_port)
"$REDIS" --port "$rd_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" --daemonize no \
    --logfile "$work/redis.log" &
rd_pid=$!
# shellcheck disable=SC2086 # extra flags split on spaces on purpose
"$SWITCHYARD" serve kv --listen "127.0.0.1:$sy_port" --log-level warn ${SWITCHYARD_ARGS:-} \
    >"$work/sy.out" 2>"$work/sy.err" &
sy_pid=$!
wait_until redis-server redis-cli -p "$rd_port" ping
wait_until switchyard redis-cli -p "$sy_port" ping

# One round against one server: appends "rate p99_full p50_fixed p99_fixed
# us_per_delivery" to $work/<name>.
round() { # name port pid
    local name=$1 port=$2 pid=$3 before after out
    before=$(cpu_ticks "$pid")
    out=$("$SWITCHYARD" bench pubsub --target "127.0.0.1:$port" --connections "$SUBSCRIBERS" \
        --senders "$PUBLISHERS" --size "$SIZE" --duration "$DURATION" --rate "$RATE" --json)
    after=$(cpu_ticks "$pid")
    python3 - "$out" "$((after - before))" "$HZ" >>"$work/$name" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
ticks, hz = int(sys.argv[2]), int(sys.argv[3])
if r["errors"]:
    sys.exit(f"bench-pubsub: {r['errors']} errors")
us = ticks / hz * 1e6 / max(r["delivered"], 1)
f, x = r["full_speed"], r["fixed_rate"]
print(f'{f["deliveries_per_s"]} {f["p99_ms"]} {x["p50_ms"]} {x["p99_ms"]} {us:.3f}')
EOF
}

for r in $(seq "$ROUNDS"); do
    if (( r % 2 == 1 )); then
        round switchyard "$sy_port" "$sy_pid"
        round redis "$rd_port" "$rd_pid"
    else
        round redis "$rd_port" "$rd_pid"
        round switchyard "$sy_port" "$sy_pid"
    fi
    echo "bench-pubsub: round $r of $ROUNDS done" >&2
done

col() { awk -v c="$2" '{ print $c }' "$work/$1" | median; }
version=$("$SWITCHYARD" --version 2>/dev/null || echo switchyard)
echo "switchyard bench pubsub: $SUBSCRIBERS subscribers, $PUBLISHERS publisher(s), $SIZE-byte messages," \
    "$DURATION a phase, median of $ROUNDS alternating rounds; $version vs $("$REDIS" --version | awk '{print $3}')"
printf '%-11s %14s %13s %15s %15s %13s\n' server "deliveries/s" "full p99 ms" "fixed p50 ms" "fixed p99 ms" "cpu us/deliv"
for name in switchyard redis; do
    printf '%-11s %14s %13s %15s %15s %13s\n' "$name" "$(col "$name" 1)" "$(col "$name" 2)" "$(col "$name" 3)" \
        "$(col "$name" 4)" "$(col "$name" 5)"
done
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}x')" "$1" "$2"; }
echo "deliveries/s ratio (switchyard / redis): $(ratio "$(col switchyard 1)" "$(col redis 1)")"
echo "per round, switchyard / redis deliveries/s:" \
    "$(paste -d' ' <(awk '{print $1}' "$work/switchyard") <(awk '{print $1}' "$work/redis") |
        awk '{ printf "%.2f ", $1 / $2 }')"
