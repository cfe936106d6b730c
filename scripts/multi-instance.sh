#!/usr/bin/env bash
# Several switchyard instances behind the proxies people already run, on
# loopback, with Debian's packages (haproxy, nutcracker, wrk, redis-tools).
# See docs/multi-instance.md for what each step shows.
#
#   http: three `switchyard serve http` instances behind HAProxy, which
#         sends them the PROXY protocol (send-proxy-v2) and checks each
#         one's admin /healthz. A client's address (127.0.0.3, through
#         curl --interface) is shown as the instances log it. Then wrk runs
#         through HAProxy while one instance is drained in HAProxy and
#         upgraded in place (SIGUSR2); wrk must see no error.
#   kv:   three `switchyard serve kv` instances behind twemproxy
#         (nutcracker, ketama consistent hashing): redis-benchmark through
#         the proxy, then 3,000 keys written through it and counted on
#         each instance with DBSIZE.
#
# usage: scripts/multi-instance.sh [http|kv|all]   (default: all)
# environment: SWITCHYARD (a built binary; default: build release),
#   DURATION (wrk's run, default 10s), KEEP=1 (keep the work folder).
# Exit status: 0 if every check held, 1 if one failed, 2 if a program is missing.
set -euo pipefail

cd "$(dirname "$0")/.."
WHAT=${1:-all}
DURATION=${DURATION:-10s}
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
NUTCRACKER=${NUTCRACKER:-/usr/sbin/nutcracker}

need=()
case "$WHAT" in
    http) need=("$HAPROXY" wrk curl python3) ;;
    kv) need=("$NUTCRACKER" redis-cli redis-benchmark python3) ;;
    all) need=("$HAPROXY" wrk curl "$NUTCRACKER" redis-cli redis-benchmark python3) ;;
    *) echo "usage: $0 [http|kv|all]" >&2; exit 2 ;;
esac
for tool in "${need[@]}"; do
    command -v "$tool" >/dev/null || {
        echo "multi-instance: $tool not found (apt-get install haproxy nutcracker wrk redis-tools curl)" >&2
        exit 2
    }
done

if [[ -z "${SWITCHYARD:-}" ]]; then
    cargo build --release -q -p switchyard
    SWITCHYARD="${CARGO_TARGET_DIR:-target}/release/switchyard"
fi

work=$(mktemp -d /tmp/switchyard-multi.XXXXXX)
# Every process this script starts, by pid, stopped on exit (an upgraded
# instance's new process is added when it says it is ready).
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        # Not all are our children (an upgrade's new process is not).
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    done
    if [[ "${KEEP:-}" == 1 ]]; then echo "work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

failed=0
check() { # check WHAT CONDITION...: prints ok or FAILED
    local what=$1
    shift
    if "$@"; then echo "  ok: $what"; else echo "  FAILED: $what"; failed=1; fi
}

# A free port on 127.0.0.1 (for the programs that cannot be given port 0).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to 10 s for `cmd` to succeed.
wait_until() {
    local what=$1
    shift
    for _ in $(seq 200); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "multi-instance: timed out waiting for $what" >&2
    return 1
}

# Starts `switchyard serve ARGS...` as instance NAME; its addresses are
# then in $work/NAME.out (`listening ...` lines), its log in $work/NAME.log.
start_instance() {
    local name=$1 lines=$2
    shift 2
    "$SWITCHYARD" serve "$@" >"$work/$name.out" 2>"$work/$name.log" &
    pids+=($!)
    echo $! >"$work/$name.pid"
    wait_until "$name to listen" has_lines "$work/$name.out" "$lines"
}

has_lines() { [[ "$(wc -l <"$1")" -ge "$2" ]]; }

# The address of a `listening SERVICE ADDR` line of instance NAME.
listen_addr() { awk -v s="$2" '$2 == s { print $3; exit }' "$work/$1.out"; }

# Sends a command to HAProxy's runtime API.
haproxy_cmd() {
    python3 - "$work/haproxy.sock" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
out = b""
while chunk := s.recv(65536):
    out += chunk
sys.stdout.write(out.decode())
EOF
}

# The status (UP, DOWN, DRAIN...) of HAProxy's server switchyard/NAME.
server_status() {
    haproxy_cmd "show stat" | awk -F, -v s="$1" '$1 == "switchyard" && $2 == s { print $18 }'
}

all_up() { for s in s1 s2 s3; do [[ "$(server_status "$s")" == UP ]] || return 1; done; }

http_case() {
    echo "== http: three instances behind HAProxy (send-proxy-v2, checks on /healthz)"
    mkdir -p "$work/www"
    printf 'hello from behind HAProxy\n' >"$work/www/index.html"
    local i
    for i in 1 2 3; do
        # A fixed admin port: an upgraded instance binds it again
        # (SO_REUSEPORT), and HAProxy checks that port.
        start_instance "s$i" 2 http --proxy-listen 127.0.0.1:0 --proxy-from 127.0.0.2 \
            --admin "127.0.0.1:$(free_port)" --root "$work/www" \
            --log-level "info,switchyard_engine::reactor=debug"
    done
    local front
    front=$(free_port)
    {
        cat <<EOF
global
    maxconn 4096
    stats socket $work/haproxy.sock mode 600 level admin

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    # A request sent on a kept-alive connection that the instance closes
    # (draining after an upgrade answers what arrived before the signal,
    # nothing after) gets no response: HAProxy sends it again, to another
    # instance if need be, as it does when a connection is refused.
    retries 3
    retry-on conn-failure empty-response
    option redispatch

frontend web
    bind 127.0.0.1:$front
    default_backend switchyard

backend switchyard
    balance roundrobin
    option httpchk
    http-check send meth GET uri /healthz
    http-check expect status 200
    # The instances see HAProxy come from 127.0.0.2 and the clients from
    # where they really are.
    source 127.0.0.2
EOF
        for i in 1 2 3; do
            local addr admin
            addr=$(listen_addr "s$i" http)
            admin=$(listen_addr "s$i" admin)
            echo "    server s$i $addr send-proxy-v2 check port ${admin##*:} inter 500ms fall 2 rise 1"
        done
    } >"$work/haproxy.cfg"
    "$HAPROXY" -c -q -f "$work/haproxy.cfg"
    "$HAPROXY" -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
    pids+=($!)
    wait_until "HAProxy's runtime API" test -S "$work/haproxy.sock"
    wait_until "the three instances UP in HAProxy" all_up
    echo "  HAProxy on 127.0.0.1:$front; instances: $(for i in 1 2 3; do listen_addr "s$i" http; done | xargs)"

    # A client on 127.0.0.3: each instance that served it logs that address.
    for _ in 1 2 3; do
        curl -sS --interface 127.0.0.3 "http://127.0.0.1:$front/" >"$work/curl.out"
    done
    check "a response through HAProxy" grep -q "hello from behind HAProxy" "$work/curl.out"
    echo "  as the instances log the three requests:"
    grep -h "PROXY protocol header read client=127.0.0.3" "$work"/s?.log | sed 's/^/    /' | head -3
    check "the instances saw the client's address, 127.0.0.3" \
        test "$(grep -h "PROXY protocol header read client=127.0.0.3" "$work"/s?.log | wc -l)" -eq 3
    check "all three instances served" \
        test "$(grep -l "client=127.0.0.3" "$work"/s?.log | wc -l)" -eq 3

    echo "== http: wrk -c100 for $DURATION through HAProxy; s2 drained and upgraded (SIGUSR2) meanwhile"
    wrk -t2 -c100 -d"$DURATION" "http://127.0.0.1:$front/" >"$work/wrk.out" 2>&1 &
    local wrk_pid=$!
    pids+=($wrk_pid)
    sleep 2
    haproxy_cmd "set server switchyard/s2 state drain" >/dev/null
    echo "  $(date +%T) s2 drained in HAProxy: $(server_status s2)"
    local old_pid
    old_pid=$(cat "$work/s2.pid")
    kill -USR2 "$old_pid"
    wait_until "the upgrade of s2" grep -q "the new process is ready" "$work/s2.log"
    local new_pid
    new_pid=$(grep -m1 "the new process is ready" "$work/s2.log" | sed 's/.*pid=\([0-9]*\).*/\1/')
    pids+=("$new_pid")
    echo "  $(date +%T) s2 upgraded: process $old_pid handed its socket to $new_pid and drains"
    wait_until "the old s2 to exit" sh -c "! kill -0 $old_pid 2>/dev/null"
    haproxy_cmd "set server switchyard/s2 state ready" >/dev/null
    wait_until "s2 UP again" all_up
    echo "  $(date +%T) old s2 exited; s2 ready in HAProxy: $(server_status s2)"
    wait "$wrk_pid" || true
    sed 's/^/    /' "$work/wrk.out"
    check "wrk completed requests" grep -q "requests in" "$work/wrk.out"
    check "wrk saw no socket error" sh -c "! grep -q 'Socket errors' '$work/wrk.out'"
    check "wrk saw no non-2xx response" sh -c "! grep -q 'Non-2xx' '$work/wrk.out'"
    check "the new s2 serves through HAProxy" sh -c "curl -sS --interface 127.0.0.3 'http://127.0.0.1:$front/' >/dev/null"
    echo "  requests each instance's connections carried a PROXY header for:"
    for i in 1 2 3; do
        local admin
        admin=$(listen_addr "s$i" admin)
        echo "    s$i: $(curl -s "http://$admin/metrics" | awk '$1 == "switchyard_proxy_headers_total{command=\"proxy\"}" { print $2 }') headers (since its start)"
    done
}

kv_case() {
    echo "== kv: three instances behind twemproxy (nutcracker, ketama)"
    local i
    for i in 1 2 3; do
        start_instance "k$i" 1 kv --listen 127.0.0.1:0
    done
    local port stats
    port=$(free_port)
    stats=$(free_port)
    {
        cat <<EOF
switchyard:
  listen: 127.0.0.1:$port
  hash: fnv1a_64
  distribution: ketama
  redis: true
  auto_eject_hosts: false
  timeout: 5000
  servers:
EOF
        for i in 1 2 3; do
            echo "   - $(listen_addr "k$i" kv):1 k$i"
        done
    } >"$work/nutcracker.yml"
    "$NUTCRACKER" -t -c "$work/nutcracker.yml" >/dev/null 2>&1
    "$NUTCRACKER" -c "$work/nutcracker.yml" -s "$stats" -a 127.0.0.1 -o "$work/nutcracker.log" &
    pids+=($!)
    wait_until "twemproxy" redis-cli -p "$port" SET probe 1
    redis-cli -p "$port" DEL probe >/dev/null
    echo "  twemproxy on 127.0.0.1:$port; instances: $(for i in 1 2 3; do listen_addr "k$i" kv; done | xargs)"

    echo "== kv: redis-benchmark through twemproxy"
    redis-benchmark -p "$port" -t set,get -n 100000 -r 100000 -c 50 -q 2>&1 | grep -v '^WARN' | tr '\r' '\n' |
        grep -E 'requests per second' | sed 's/^/    /' | tee "$work/bench.out"
    check "redis-benchmark ran SET and GET" test "$(wc -l <"$work/bench.out")" -ge 2

    echo "== kv: 3000 keys written through twemproxy, counted on each instance"
    for i in 1 2 3; do
        redis-cli -p "$(listen_addr "k$i" kv | sed 's/.*://')" FLUSHALL >/dev/null
    done
    seq 1 3000 | awk '{ printf "SET key:%d value-%d\n", $1, $1 }' | redis-cli -p "$port" >/dev/null
    local total=0 counts=() n
    for i in 1 2 3; do
        n=$(redis-cli -p "$(listen_addr "k$i" kv | sed 's/.*://')" DBSIZE)
        counts+=("$n")
        total=$((total + n))
        echo "    k$i DBSIZE: $n"
    done
    check "the instances hold all 3000 keys between them" test "$total" -eq 3000
    for n in "${counts[@]}"; do
        check "each instance holds a share (at least 500 of 3000)" test "$n" -ge 500
    done
    check "a key reads back through twemproxy" test "$(redis-cli -p "$port" GET key:1234)" = value-1234
}

case "$WHAT" in
    http) http_case ;;
    kv) kv_case ;;
    all) http_case; kv_case ;;
esac
if [[ "$failed" -ne 0 ]]; then
    echo "multi-instance: some checks FAILED; logs in $work" >&2
    KEEP=1
    exit 1
fi
echo "multi-instance: every check held"
