#!/usr/bin/env bash
# Start-up of the walden JVM with the start-up cache the build trained (lib/walden.aot on JDK 25+,
# lib/walden.jsa on 21-24; dist/src/main/scripts/train-walden.sh) and without it, in the same run:
# `walden --version`, `walden list` on a fresh repository, the agent's time from its start to
# its "listening" log line, and then its first pushes: 10 real segments pushed one after another
# with bin/walden-push into a fresh repository, the first against the median of the 6th to 10th
# (the steady state a cold JVM must reach); the first at once, and 1 s after the agent listens, as
# under the unit, where PostgreSQL starts after the agent answers. ROUNDS of each, alternating;
# prints the mean of each.
#
#   bench/startup-bench.sh [ROUNDS]   (default 5; build first: mvn -B package -DskipTests)
#
# As root it re-runs itself as the unprivileged user walden-test (PostgreSQL's initdb refuses root).
set -euo pipefail
rounds=${1:-5}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
home=$(cd "$here/../dist/target/walden" 2>/dev/null && pwd -P || echo "$here/../dist/target/walden")
pgbin=${WALDEN_PG_BIN:-/usr/lib/postgresql/15/bin}
[[ -x $home/bin/walden ]] || { echo "build first: mvn -B package -DskipTests" >&2; exit 2; }
if [[ $(id -u) -eq 0 ]]; then
    id -u walden-test >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/walden-test walden-test
    exec runuser -u walden-test -- env WALDEN_PG_BIN="$pgbin" bash "$here/startup-bench.sh" "$rounds"
fi
[[ -r $home/lib/walden.cache-java ]] || { echo "no start-up cache in $home/lib (built with Java older than 21?)" >&2; exit 2; }
# the launcher uses the cache only when lib/walden.cache-java names its JVM: "without" points it elsewhere
cache_java=$(cat "$home/lib/walden.cache-java")
tmp=$(mktemp -d /tmp/walden-startup-bench.XXXXXX)
cleanup() {
    set +e
    pkill -f "dev.walden.cli.Walden agent --config $tmp/walden.conf" 2>/dev/null
    "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1
    echo "$cache_java" > "$home/lib/walden.cache-java"
    rm -rf "$tmp"
}
trap cleanup EXIT

"$pgbin/initdb" -D "$tmp/pg" -U postgres --auth=trust --no-sync >/dev/null
# ten real segments to push (as bench/push-latency.sh makes them)
cat >> "$tmp/pg/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$tmp'
port = 5498
fsync = off
wal_keep_size = '1GB'
CONF
"$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w start >/dev/null
for ((i = 0; i < 11; i++)); do
    PGOPTIONS='-c client_min_messages=warning' "$pgbin/psql" -h "$tmp" -p 5498 -U postgres -qAtX postgres -c "CREATE TABLE IF NOT EXISTS t (id bigint, payload text)" \
        -c "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 40000) g" -c "SELECT pg_switch_wal()" >/dev/null
done
"$pgbin/pg_ctl" -D "$tmp/pg" -m fast -w stop >/dev/null
sync
mapfile -t segments < <(ls "$tmp/pg/pg_wal" | grep -E '^[0-9A-F]{24}$' | sort | sed -n 2,11p) # not initdb's first
cat > "$tmp/walden.conf" <<CONF
pgdata = $tmp/pg
repository.path = $tmp/repo
agent.socket = $tmp/agent.sock
schedule =
schedule.drill =
schedule.verify =
CONF

ms() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%d", (e - s) * 1000 }'; }
declare -A total
# one agent: started, timed to its "listening" line, then after PAUSE seconds the ten pushes
agent_round() { # mode, pause (0: at once; 1: as under the unit, PostgreSQL starting after the agent)
    local mode=$1 pause=$2 start pushes=()
    rm -rf "$tmp/repo"
    "$home/bin/walden" init --config "$tmp/walden.conf" >/dev/null
    start=$EPOCHREALTIME
    "$home/bin/walden" agent --config "$tmp/walden.conf" 2>"$tmp/agent.log" &
    local agent=$!
    for ((i = 0; i < 3000; i++)); do
        grep -q "listening on" "$tmp/agent.log" && break
        sleep 0.005
    done
    total[$mode,agent]=$(( ${total[$mode,agent]:-0} + $(ms "$start" "$EPOCHREALTIME") ))
    sleep "$pause"
    for seg in "${segments[@]}"; do
        start=$EPOCHREALTIME
        "$home/bin/walden-push" --config "$tmp/walden.conf" "$tmp/pg/pg_wal/$seg" >/dev/null
        pushes+=("$(ms "$start" "$EPOCHREALTIME")")
    done
    total[$mode,first$pause]=$(( ${total[$mode,first$pause]:-0} + pushes[0] ))
    total[$mode,steady]=$(( ${total[$mode,steady]:-0} + $(printf '%s\n' "${pushes[@]:5}" | sort -n | sed -n 3p) ))
    kill "$agent"
    wait "$agent" || true
}
measure() { # mode: one round of each
    local mode=$1 start
    rm -rf "$tmp/repo"
    "$home/bin/walden" init --config "$tmp/walden.conf" >/dev/null
    start=$EPOCHREALTIME
    "$home/bin/walden" --version >/dev/null
    total[$mode,version]=$(( ${total[$mode,version]:-0} + $(ms "$start" "$EPOCHREALTIME") ))
    start=$EPOCHREALTIME
    "$home/bin/walden" list --config "$tmp/walden.conf" >/dev/null
    total[$mode,list]=$(( ${total[$mode,list]:-0} + $(ms "$start" "$EPOCHREALTIME") ))
    agent_round "$mode" 0
    agent_round "$mode" 1
}
for ((r = 0; r < rounds; r++)); do
    echo "$cache_java" > "$home/lib/walden.cache-java"
    measure with
    echo "none" > "$home/lib/walden.cache-java"
    measure without
done
echo "$cache_java" > "$home/lib/walden.cache-java"
echo "== $("$cache_java" -version 2>&1 | head -1), $(nproc) cores, $rounds rounds; mean ms"
printf '%-48s %10s %10s\n' "" "cache" "no cache"
printf '%-48s %10d %10d\n' "walden --version" $((total[with,version] / rounds)) $((total[without,version] / rounds))
printf '%-48s %10d %10d\n' "walden list (an empty repository)" $((total[with,list] / rounds)) $((total[without,list] / rounds))
printf '%-48s %10d %10d\n' "walden agent: start to its \"listening\" line" $((total[with,agent] / 2 / rounds)) \
    $((total[without,agent] / 2 / rounds))
printf '%-48s %10d %10d\n' "  its first push (walden-push %p), at once" $((total[with,first0] / rounds)) \
    $((total[without,first0] / rounds))
printf '%-48s %10d %10d\n' "  its first push, 1 s after listening" $((total[with,first1] / rounds)) \
    $((total[without,first1] / rounds))
printf '%-48s %10d %10d\n' "  the median of its 6th to 10th push" $((total[with,steady] / 2 / rounds)) \
    $((total[without,steady] / 2 / rounds))
