#!/bin/sh
# Fan-out benchmark of `switchyard serve chat` against Debian's ngircd, in
# alternating rounds on this machine: M clients in one channel, one in ten
# of them sending (see `switchyard bench chat --help`).
#
#   scripts/bench-chat.sh [MEMBERS] [SECONDS_PER_PHASE] [ROUNDS]
#
# Both servers run with flood control off (ngircd: MaxPenaltyTime = 0, no
# per-address connection limit, no ident or DNS lookups). Needs ngircd
# (apt-get install ngircd) and a release build.
set -eu
members=${1:-100}
secs=${2:-5}
rounds=${3:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CARGO_TARGET_DIR:-$root/target}/release/switchyard
work=$(mktemp -d)
ours_port=16701
ngircd_port=16702
ours_pid=
ngircd_pid=

cleanup() {
    [ -n "$ours_pid" ] && kill "$ours_pid" 2>/dev/null || true
    [ -n "$ngircd_pid" ] && kill "$ngircd_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

command -v ngircd >/dev/null || { echo "ngircd is not installed" >&2; exit 1; }
(cd "$root" && cargo build --release -q -p switchyard)

ids=""
if [ "$(id -u)" = 0 ]; then
    ids="ServerUID = 0
ServerGID = 0"
fi
cat > "$work/ngircd.conf" <<CONF
[Global]
Name = ngircd.bench
Info = benchmark
Listen = 127.0.0.1
Ports = $ngircd_port
MotdPhrase = bench
PidFile = $work/ngircd.pid
$ids
[Limits]
MaxConnections = 0
MaxConnectionsIP = 0
MaxJoins = 0
MaxPenaltyTime = 0
MaxNickLength = 30
[Options]
DNS = no
Ident = no
PAM = no
CONF

"$bin" serve chat --listen "127.0.0.1:$ours_port" --flood-rate 0 --log-level warn >"$work/ours.out" 2>"$work/ours.err" &
ours_pid=$!
ngircd -n -f "$work/ngircd.conf" >"$work/ngircd.log" 2>&1 &
ngircd_pid=$!
sleep 1

echo "# $members members, $((members / 10)) senders, ${secs}s a phase, $rounds rounds, $(nproc) cores"
for round in $(seq "$rounds"); do
    for target in "switchyard:$ours_port" "ngircd:$ngircd_port"; do
        name=${target%%:*}
        port=${target##*:}
        echo "## round $round: $name"
        "$bin" bench chat --target "127.0.0.1:$port" --connections "$members" --duration "${secs}s" || true
    done
done
