#!/usr/bin/env bash
# Start-up of the walden JVM with the start-up cache the build trained (lib/walden.aot on JDK 25+,
# lib/walden.jsa on 21-24; dist/src/main/scripts/train-walden.sh) and without it, in the same run:
# `walden --version`, `walden list` on a fresh repository, and the agent's time from its start to
# its "listening" log line. ROUNDS of each, alternating; prints the mean of each.
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
    echo "$cache_java" > "$home/lib/walden.cache-java"
    rm -rf "$tmp"
}
trap cleanup EXIT

"$pgbin/initdb" -D "$tmp/pg" -U postgres --auth=trust --no-sync >/dev/null
cat > "$tmp/walden.conf" <<CONF
pgdata = $tmp/pg
repository.path = $tmp/repo
agent.socket = $tmp/agent.sock
schedule =
schedule.drill =
schedule.verify =
CONF
"$home/bin/walden" init --config "$tmp/walden.conf" >/dev/null

ms() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%d", (e - s) * 1000 }'; }
declare -A total
measure() { # mode: one round of the three
    local mode=$1 start
    start=$EPOCHREALTIME
    "$home/bin/walden" --version >/dev/null
    total[$mode,version]=$(( ${total[$mode,version]:-0} + $(ms "$start" "$EPOCHREALTIME") ))
    start=$EPOCHREALTIME
    "$home/bin/walden" list --config "$tmp/walden.conf" >/dev/null
    total[$mode,list]=$(( ${total[$mode,list]:-0} + $(ms "$start" "$EPOCHREALTIME") ))
    start=$EPOCHREALTIME
    "$home/bin/walden" agent --config "$tmp/walden.conf" 2>"$tmp/agent.log" &
    local agent=$!
    for ((i = 0; i < 3000; i++)); do
        grep -q "listening on" "$tmp/agent.log" && break
        sleep 0.005
    done
    total[$mode,agent]=$(( ${total[$mode,agent]:-0} + $(ms "$start" "$EPOCHREALTIME") ))
    kill "$agent"
    wait "$agent" || true
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
printf '%-48s %10d %10d\n' "walden agent: start to its \"listening\" line" $((total[with,agent] / rounds)) \
    $((total[without,agent] / rounds))
