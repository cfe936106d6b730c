#!/usr/bin/env bash
# Compares `switchyard serve kv` with Debian's redis-server.
#
# Two settings, each with a fresh pair of servers on 127.0.0.1:
#   no log:    redis-server --save '' --appendonly no;  switchyard kv
#   everysec:  redis-server --save '' --appendonly yes --appendfsync everysec;
#              switchyard kv --appendonly FILE --appendfsync everysec
# For each, every row runs the same redis-benchmark command against
# switchyard, then against Redis (alternating):
#   redis-benchmark -t <test> -c 50 -n 200000 -q -P <1|16>
# for the tests set, get, incr and mset (and, without a log, the collection
# tests lpush, rpush, lpop, rpop, sadd, hset, spop, zadd, zpopmin,
# lrange_100 and lrange_600), ROUNDS times per row, switchyard
# first in odd rounds and Redis first in even ones (whichever runs second
# meets a warmer machine); each column is the median of its rounds. Beside
# the rates: how busy redis-benchmark was (its CPU time over its wall time;
# near 100% the load generator, not the server, sets the rate) and each
# server's CPU time per request (the run time of all its threads, from
# /proc/PID/task/*/schedstat, in nanoseconds), and that time's ratio
# (switchyard over Redis) in each round. Then resident memory (VmRSS from /proc/PID/status) of
# each server, fresh, after loading 1,000,000 keys (key:000000000000 ...)
# with 16-byte values through `redis-cli --pipe`. Last, transactions:
# TX_CLIENTS connections at once each send TX_BLOCKS blocks of
# MULTI / SET / INCR / EXEC through `redis-cli --pipe`, to each server in
# turn (ROUNDS alternating rounds), and the row shows each server's CPU
# time per request (4 requests a block) and per block, medians.
#
# usage: scripts/bench-kv.sh
# environment: REQUESTS (default 200000), CLIENTS (default 50), ROUNDS
#   (default 3),
#   KEYS (default 1000000), SWITCHYARD (a built binary; default: build release),
#   SWITCHYARD_ARGS (extra engine flags, e.g. "--workers 0"; default none),
#   TX_CLIENTS (default 8), TX_BLOCKS (blocks per client, default 25000),
#   LARGE_BYTES, LARGE_CLIENTS, LARGE_GETS (the large-value rows, below),
#   TESTS (the string rows' tests), COLLECTION_TESTS (the collection rows'
#   tests; empty for none), COLLECTION_SCALE (default 1; 0.1 loads a tenth
#   of each collection memory row: its part "collections" loads 1,000,000
#   hashes of 10 short fields, 100,000 lists of 100 short elements, one
#   sorted set of 1,000,000 members, one set of 1,000,000 integers),
#   PARTS (which parts to run: any of "rates memory collections multi
#   large"; default all), DEPTHS (the rates' pipeline depths; default
#   "1 16").
set -euo pipefail

cd "$(dirname "$0")/.."
REQUESTS=${REQUESTS:-200000}
CLIENTS=${CLIENTS:-50}
ROUNDS=${ROUNDS:-3}
KEYS=${KEYS:-1000000}
REDIS=${REDIS:-/usr/bin/redis-server}
TX_CLIENTS=${TX_CLIENTS:-8}
TX_BLOCKS=${TX_BLOCKS:-25000}
TESTS=${TESTS-set get incr mset}
COLLECTION_TESTS=${COLLECTION_TESTS-lpush rpush lpop rpop sadd hset spop zadd zpopmin lrange_100 lrange_600}
COLLECTION_SCALE=${COLLECTION_SCALE:-1}
PARTS=${PARTS:-rates memory collections multi large}
DEPTHS=${DEPTHS:-1 16}
want() { [[ " $PARTS " == *" $1 "* ]]; }

for tool in redis-benchmark redis-cli python3 "$REDIS"; do
    command -v "$tool" >/dev/null || { echo "bench-kv: $tool not found" >&2; exit 2; }
done

if [[ -z "${SWITCHYARD:-}" ]]; then
    cargo build --release -q -p switchyard
    SWITCHYARD="${CARGO_TARGET_DIR:-target}/release/switchyard"
fi

work=$(mktemp -d /tmp/switchyard-bench-kv.XXXXXX)
sy_pid=""
rd_pid=""
stop_servers() {
    if [[ -n "$sy_pid" ]]; then kill "$sy_pid" 2>/dev/null || true; wait "$sy_pid" 2>/dev/null || true; fi
    if [[ -n "$rd_pid" ]]; then kill "$rd_pid" 2>/dev/null || true; wait "$rd_pid" 2>/dev/null || true; fi
    sy_pid=""
    rd_pid=""
}
cleanup() {
    stop_servers
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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
    echo "bench-kv: $what did not start" >&2
    exit 1
}

# start_servers <none|everysec>: sets sy_port, rd_port, sy_pid, rd_pid.
start_servers() {
    local mode=$1
    local dir="$work/$mode"
    rm -rf "$dir"
    mkdir -p "$dir"
    rd_port=$(free_port)
    sy_port=$(free_port)
    local rd_args=(--port "$rd_port" --bind 127.0.0.1 --save '' --dir "$dir" --daemonize no --logfile "$dir/redis.log")
    local sy_args=(serve kv --listen "127.0.0.1:$sy_port" --log-level warn)
    # shellcheck disable=SC2206 # extra flags split on spaces on purpose
    sy_args+=(${SWITCHYARD_ARGS:-})
    if [[ "$mode" == everysec ]]; then
        rd_args+=(--appendonly yes --appendfsync everysec)
        sy_args+=(--appendonly "$dir/switchyard.aof" --appendfsync everysec)
    else
        rd_args+=(--appendonly no)
    fi
    "$REDIS" "${rd_args[@]}" &
    rd_pid=$!
    "$SWITCHYARD" "${sy_args[@]}" >"$dir/sy.out" 2>"$dir/sy.err" &
    sy_pid=$!
    wait_until redis-server redis-cli -p "$rd_port" ping
    wait_until switchyard redis-cli -p "$sy_port" ping
}

HZ=$(getconf CLK_TCK)
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime, all threads

# One redis-benchmark run; prints its requests/s, how busy the load
# generator was (its CPU time over wall time, in %), and the server's CPU
# time per request in microseconds (all its threads, from schedstat).
load() { # port server-pid test pipeline
    local before after real user sys rps
    before=$(cpu_ns "$2")
    {
        TIMEFORMAT='%R %U %S'
        time redis-benchmark -h 127.0.0.1 -p "$1" -t "$3" -c "$CLIENTS" -n "$REQUESTS" -q -P "$4" >"$work/load.out" 2>/dev/null
    } 2>"$work/load.time"
    after=$(cpu_ns "$2")
    rps=$(tr '\r' '\n' <"$work/load.out" | grep 'requests per second' | tail -1 | sed 's/.*: \([0-9.]*\) requests per second.*/\1/')
    read -r real user sys <"$work/load.time"
    awk -v rps="$rps" -v real="$real" -v user="$user" -v sys="$sys" -v ns=$((after - before)) -v n="$REQUESTS" \
        'BEGIN { printf "%s %.0f %.3f\n", rps, 100 * (user + sys) / real, ns / 1000 / n }'
}

# shellcheck source=scripts/bench-common.sh
. scripts/bench-common.sh

if want rates; then
echo "redis-benchmark -t <test> -c $CLIENTS -n $REQUESTS -q -P <depth>, median of $ROUNDS alternating rounds; $("$SWITCHYARD" --version 2>/dev/null || echo switchyard) vs $("$REDIS" --version | awk '{print $1, $2, $3}')"
echo "client busy: redis-benchmark's CPU time over its wall time, median of all runs of the row;"
echo "server us/req: each server's CPU time (all threads, schedstat) per request, medians;"
echo "cpu ratio per round: switchyard's CPU time per request over Redis's, each round"
printf '%-10s %-10s %3s %16s %14s %7s %8s %16s   %s\n' log test P "switchyard r/s" "redis r/s" ratio "client" "server us/req" "cpu ratio per round"
printf '%-10s %-10s %3s %16s %14s %7s %8s %16s\n' "" "" "" "" "" "" busy "switchyard redis"
# One row: every round of one test at one depth, against both servers.
row() { # mode test depth
    local mode=$1 test=$2 depth=$3
    local sys=() rds=() ratios=() busy=() sy_cpu=() rd_cpu=() sy rd ratio round
    for round in $(seq "$ROUNDS"); do
        if ((round % 2)); then
            read -r sy sy_busy sy_us < <(load "$sy_port" "$sy_pid" "$test" "$depth")
            read -r rd rd_busy rd_us < <(load "$rd_port" "$rd_pid" "$test" "$depth")
        else
            read -r rd rd_busy rd_us < <(load "$rd_port" "$rd_pid" "$test" "$depth")
            read -r sy sy_busy sy_us < <(load "$sy_port" "$sy_pid" "$test" "$depth")
        fi
        sys+=("$sy")
        rds+=("$rd")
        busy+=("$sy_busy" "$rd_busy")
        sy_cpu+=("$sy_us")
        rd_cpu+=("$rd_us")
        ratios+=("$(awk -v a="$sy_us" -v b="$rd_us" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')")
    done
    sy=$(printf '%s\n' "${sys[@]}" | median)
    rd=$(printf '%s\n' "${rds[@]}" | median)
    ratio=$(awk -v a="$sy" -v b="$rd" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
    printf '%-10s %-10s %3s %16.0f %14.0f %7s %7s%% %10s %5s   %s\n' "$mode" "$test" "$depth" "$sy" "$rd" "$ratio" \
        "$(printf '%s\n' "${busy[@]}" | median)" "$(printf '%s\n' "${sy_cpu[@]}" | median)" \
        "$(printf '%s\n' "${rd_cpu[@]}" | median)" "${ratios[*]}"
}

for mode in none everysec; do
    start_servers "$mode"
    for depth in $DEPTHS; do
        for test in $TESTS; do
            row "$mode" "$test" "$depth"
        done
        if [[ "$mode" == none ]]; then
            for test in $COLLECTION_TESTS; do
                row "$mode" "$test" "$depth"
            done
        fi
    done
    stop_servers
done
fi

# Memory: fresh servers without a log, the same keys loaded into each.
if want memory; then
python3 - "$KEYS" >"$work/load.resp" <<'PY'
import sys
out = sys.stdout.buffer
value = b"v" * 16
for i in range(int(sys.argv[1])):
    key = b"key:%012d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\n%s\r\n" % (len(key), key, value))
PY
start_servers none
sy_base=$(rss_kib "$sy_pid")
rd_base=$(rss_kib "$rd_pid")
redis-cli -p "$sy_port" --pipe <"$work/load.resp" >/dev/null
redis-cli -p "$rd_port" --pipe <"$work/load.resp" >/dev/null
sy_keys=$(redis-cli -p "$sy_port" dbsize)
rd_keys=$(redis-cli -p "$rd_port" dbsize)
sy_rss=$(rss_kib "$sy_pid")
rd_rss=$(rss_kib "$rd_pid")
echo
echo "resident memory (VmRSS) after SET of $KEYS keys with 16-byte values"
printf '%-12s %10s %14s %14s\n' server keys "empty KiB" "loaded KiB"
printf '%-12s %10s %14s %14s\n' switchyard "$sy_keys" "$sy_base" "$sy_rss"
printf '%-12s %10s %14s %14s\n' redis "$rd_keys" "$rd_base" "$rd_rss"
awk -v a="$sy_rss" -v b="$rd_rss" 'BEGIN { printf "ratio (switchyard / redis): %.2fx\n", a / b }'
stop_servers
fi

if want collections; then
# Memory of the collection shapes: a fresh pair of servers for each.
collection_rows() {
    python3 - "$1" "$COLLECTION_SCALE" <<'PY'
import sys
shape, scale = sys.argv[1], float(sys.argv[2])
out = sys.stdout.buffer
def cmd(*args):
    out.write(b"*%d\r\n" % len(args))
    for a in args:
        out.write(b"$%d\r\n%s\r\n" % (len(a), a))
if shape == "hashes":
    for i in range(int(1_000_000 * scale)):
        args = [b"HSET", b"hash:%09d" % i]
        for f in range(10):
            args += [b"field%d" % f, b"value%d" % f]
        cmd(*args)
elif shape == "lists":
    for i in range(int(100_000 * scale)):
        cmd(b"RPUSH", b"list:%08d" % i, *[b"element%03d" % e for e in range(100)])
elif shape == "zset":
    n = int(1_000_000 * scale)
    for start in range(0, n, 100):
        args = [b"ZADD", b"board"]
        for i in range(start, min(n, start + 100)):
            args += [b"%d" % (i * 7 % 1000003), b"member:%09d" % i]
        cmd(*args)
elif shape == "intset":
    n = int(1_000_000 * scale)
    for start in range(0, n, 100):
        cmd(b"SADD", b"ints", *[b"%d" % i for i in range(start, min(n, start + 100))])
PY
}
echo
echo "resident memory (VmRSS) after loading each collection shape (scale $COLLECTION_SCALE)"
printf '%-8s %-12s %14s %14s %14s\n' shape server "empty KiB" "loaded KiB" "grown KiB"
for shape in hashes lists zset intset; do
    collection_rows "$shape" >"$work/shape.resp"
    start_servers none
    sy_base=$(rss_kib "$sy_pid")
    rd_base=$(rss_kib "$rd_pid")
    redis-cli -p "$sy_port" --pipe <"$work/shape.resp" >/dev/null
    redis-cli -p "$rd_port" --pipe <"$work/shape.resp" >/dev/null
    sy_rss=$(rss_kib "$sy_pid")
    rd_rss=$(rss_kib "$rd_pid")
    printf '%-8s %-12s %14s %14s %14s\n' "$shape" switchyard "$sy_base" "$sy_rss" $((sy_rss - sy_base))
    printf '%-8s %-12s %14s %14s %14s\n' "$shape" redis "$rd_base" "$rd_rss" $((rd_rss - rd_base))
    stop_servers
done
fi

# Transactions: TX_CLIENTS pipes of MULTI/SET/INCR/EXEC blocks at once.
if want multi; then
for c in $(seq "$TX_CLIENTS"); do
    python3 - "$c" "$TX_BLOCKS" >"$work/tx.$c.resp" <<'PY'
import sys
c, n = sys.argv[1], int(sys.argv[2])
out = sys.stdout.buffer
def cmd(*args):
    out.write(b"*%d\r\n" % len(args))
    for a in args:
        out.write(b"$%d\r\n%s\r\n" % (len(a), a))
for i in range(n):
    cmd(b"MULTI")
    cmd(b"SET", b"tx:%s:%d" % (c.encode(), i % 1000), b"v" * 16)
    cmd(b"INCR", b"tx:%s:count" % c.encode())
    cmd(b"EXEC")
PY
done
tx_load() { # port server-pid: the server's CPU time per request, in us; call in $(...)
    local before after
    before=$(cpu_ticks "$2")
    for c in $(seq "$TX_CLIENTS"); do
        redis-cli -p "$1" --pipe <"$work/tx.$c.resp" >/dev/null &
    done
    wait # runs in $(...): a subshell whose only children are these pipes
    after=$(cpu_ticks "$2")
    awk -v ticks=$((after - before)) -v hz="$HZ" -v n=$((TX_CLIENTS * TX_BLOCKS * 4)) \
        'BEGIN { printf "%.2f\n", ticks * 1e6 / hz / n }'
}
start_servers none
sy_tx=() rd_tx=()
for round in $(seq "$ROUNDS"); do
    if ((round % 2)); then
        sy_tx+=("$(tx_load "$sy_port" "$sy_pid")")
        rd_tx+=("$(tx_load "$rd_port" "$rd_pid")")
    else
        rd_tx+=("$(tx_load "$rd_port" "$rd_pid")")
        sy_tx+=("$(tx_load "$sy_port" "$sy_pid")")
    fi
done
sy_count=$(redis-cli -p "$sy_port" get tx:1:count)
rd_count=$(redis-cli -p "$rd_port" get tx:1:count)
sy_us=$(printf '%s\n' "${sy_tx[@]}" | median)
rd_us=$(printf '%s\n' "${rd_tx[@]}" | median)
echo
echo "transactions: $TX_CLIENTS connections x $TX_BLOCKS blocks of MULTI/SET/INCR/EXEC through redis-cli --pipe, no log,"
echo "median of $ROUNDS alternating rounds (counter after all rounds: switchyard $sy_count, redis $rd_count)"
printf '%-12s %14s %14s   %s\n' server "us/request" "us/block" "us/request per round"
printf '%-12s %14s %14.2f   %s\n' switchyard "$sy_us" "$(awk -v u="$sy_us" 'BEGIN { print u * 4 }')" "${sy_tx[*]}"
printf '%-12s %14s %14.2f   %s\n' redis "$rd_us" "$(awk -v u="$rd_us" 'BEGIN { print u * 4 }')" "${rd_tx[*]}"
awk -v a="$sy_us" -v b="$rd_us" 'BEGIN { printf "ratio (switchyard / redis): %.2fx\n", a / b }'
stop_servers
fi

if want large; then
# Large values: one LARGE_BYTES value (64 MiB by default), fetched by
# LARGE_CLIENTS clients (8) with GET, LARGE_GETS GETs in all per run
# (64), alternating as above; fresh servers, so that the peak resident
# memory (VmHWM) is this section's. kv refers to the stored value in
# every reply; a server that copies it into each client's buffer holds
# up to one copy per client.
LARGE_BYTES=${LARGE_BYTES:-67108864}
LARGE_CLIENTS=${LARGE_CLIENTS:-8}
LARGE_GETS=${LARGE_GETS:-64}
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
large() { # port server-pid: GET/s, MiB/s, server CPU ms per GET
    local before after rps
    before=$(cpu_ticks "$2")
    redis-benchmark -h 127.0.0.1 -p "$1" -t get -c "$LARGE_CLIENTS" -n "$LARGE_GETS" -q >"$work/large.out" 2>/dev/null
    after=$(cpu_ticks "$2")
    rps=$(tr '\r' '\n' <"$work/large.out" | grep 'requests per second' | tail -1 | sed 's/.*: \([0-9.]*\) requests per second.*/\1/')
    awk -v rps="$rps" -v b="$LARGE_BYTES" -v ticks=$((after - before)) -v hz="$HZ" -v n="$LARGE_GETS" \
        'BEGIN { printf "%s %.0f %.2f\n", rps, rps * b / 1048576, ticks * 1e3 / hz / n }'
}
start_servers none
for port in "$sy_port" "$rd_port"; do
    redis-benchmark -h 127.0.0.1 -p "$port" -t set -c 1 -n 1 -d "$LARGE_BYTES" -q >/dev/null 2>&1
done
sy_set=$(rss_kib "$sy_pid")
rd_set=$(rss_kib "$rd_pid")
sys=() rds=() sy_mbs=() rd_mbs=() sy_ms=() rd_ms=()
for round in $(seq "$ROUNDS"); do
    if ((round % 2)); then
        read -r sy sy_mb sy_c < <(large "$sy_port" "$sy_pid")
        read -r rd rd_mb rd_c < <(large "$rd_port" "$rd_pid")
    else
        read -r rd rd_mb rd_c < <(large "$rd_port" "$rd_pid")
        read -r sy sy_mb sy_c < <(large "$sy_port" "$sy_pid")
    fi
    sys+=("$sy") rds+=("$rd") sy_mbs+=("$sy_mb") rd_mbs+=("$rd_mb") sy_ms+=("$sy_c") rd_ms+=("$rd_c")
done
echo
echo "GET of one $((LARGE_BYTES >> 20)) MiB value by $LARGE_CLIENTS clients ($LARGE_GETS GETs a run), median of $ROUNDS alternating rounds"
printf '%-12s %8s %8s %14s %14s %14s\n' server "GET/s" "MiB/s" "CPU ms/GET" "KiB after SET" "peak KiB"
printf '%-12s %8s %8s %14s %14s %14s\n' switchyard "$(printf '%s\n' "${sys[@]}" | median)" \
    "$(printf '%s\n' "${sy_mbs[@]}" | median)" "$(printf '%s\n' "${sy_ms[@]}" | median)" "$sy_set" "$(hwm_kib "$sy_pid")"
printf '%-12s %8s %8s %14s %14s %14s\n' redis "$(printf '%s\n' "${rds[@]}" | median)" \
    "$(printf '%s\n' "${rd_mbs[@]}" | median)" "$(printf '%s\n' "${rd_ms[@]}" | median)" "$rd_set" "$(hwm_kib "$rd_pid")"
stop_servers
fi
