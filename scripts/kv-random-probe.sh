#!/usr/bin/env bash
# Server CPU time per call of the random picks on a big set: SPOP,
# SPOP 100, SRANDMEMBER 100 and SRANDMEMBER -100 on one set of MEMBERS
# integers (the hashtable encoding), for each binary given and for Debian's
# redis-server. Each server is fresh; the set is loaded through
# `redis-cli --pipe`, then each command runs CALLS times through
# redis-benchmark (-c 1, not pipelined), and the row is the server's
# utime + stime (all threads, /proc/PID/stat) over the calls, in us, with
# PING's for the cost of a call that does nothing. /proc counts in ticks
# (10 ms): CALLS 4000 resolves 2.5 us.
# Pops shrink the set: CALLS * 201 must stay well under MEMBERS.
#
# usage: scripts/kv-random-probe.sh BINARY...
# environment: MEMBERS (default 1000000), CALLS (default 2000),
#   REDIS (default /usr/bin/redis-server; empty to skip)
set -euo pipefail
(($# > 0)) || { echo "usage: kv-random-probe.sh BINARY..." >&2; exit 2; }
MEMBERS=${MEMBERS:-1000000}
CALLS=${CALLS:-2000}
REDIS=${REDIS-/usr/bin/redis-server}
HZ=$(getconf CLK_TCK)
work=$(mktemp -d /tmp/switchyard-random-probe.XXXXXX)
pid=""
cleanup() {
    if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

python3 - "$MEMBERS" >"$work/load.resp" <<'PY'
import sys
n, out = int(sys.argv[1]), sys.stdout.buffer
for start in range(0, n, 100):
    args = [b"SADD", b"ints"] + [b"%d" % i for i in range(start, min(n, start + 100))]
    out.write(b"*%d\r\n" % len(args))
    for a in args:
        out.write(b"$%d\r\n%s\r\n" % (len(a), a))
PY

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

probe() { # name command...
    local name=$1 port
    shift
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$@" "$port" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 200); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
    redis-cli -p "$port" --pipe <"$work/load.resp" >/dev/null
    local row
    row=$(printf '%-28s %-10s' "$name" "$(redis-cli -p "$port" object encoding ints)")
    for c in "PING" "SPOP ints" "SPOP ints 100" "SRANDMEMBER ints 100" "SRANDMEMBER ints -100"; do
        local b a
        b=$(ticks "$pid")
        # shellcheck disable=SC2086 # the command's words, split on purpose
        redis-benchmark -p "$port" -c 1 -n "$CALLS" $c >/dev/null 2>&1
        a=$(ticks "$pid")
        row+=$(awk -v t=$((a - b)) -v hz="$HZ" -v n="$CALLS" 'BEGIN { printf " %12.1f", t * 1e6 / hz / n }')
    done
    echo "$row $(redis-cli -p "$port" scard ints)"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
}

sy() { exec "$1" serve kv --listen "127.0.0.1:$2" --log-level warn; }
rd() { exec "$REDIS" --port "$1" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --logfile ''; }

echo "server CPU us per call, set of $MEMBERS integers, $CALLS calls each"
printf '%-28s %-10s %12s %12s %12s %12s %12s %s\n' server encoding ping spop "spop 100" "srandm 100" "srandm -100" "left"
for bin in "$@"; do
    probe "$bin" sy "$bin"
done
if [[ -n "$REDIS" ]]; then probe redis rd; fi
