#!/usr/bin/env bash
# A restore drill next to walden recover in the same run, on the same pgbench database and
# repository: two rounds of
#   1. walden recover --latest into a new directory (restore, stage, replay, promote), then stopped
#      and removed: the recovery an operator would run;
#   2. walden drill: the same recovery, plus its checks (connections, every database, pg_amcheck on a
#      sample, one SQL check) and the removal of the copy.
# It prints each one's time, the drill's RTO and check seconds from its record, and the drill's
# overhead: drill / (recover + the drill's checks); the target is at most 1.1.
#
#   bench/drill-bench.sh [SCALE [SECONDS]]   (defaults 200 and 60 s of pgbench after the backup;
#                                             build first: mvn -B package -DskipTests)
#
# As root it re-runs itself as the unprivileged user walden-test (PostgreSQL refuses root).
set -euo pipefail
scale=${1:-200}
traffic_seconds=${2:-60}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
home=$(cd "$here/../dist/target/walden" 2>/dev/null && pwd -P || echo "$here/../dist/target/walden")
pgbin=${WALDEN_PG_BIN:-/usr/lib/postgresql/15/bin}
[[ -x $home/bin/walden ]] || { echo "build first: mvn -B package -DskipTests" >&2; exit 2; }
if [[ $(id -u) -eq 0 ]]; then
    id -u walden-test >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/walden-test walden-test
    exec runuser -u walden-test -- env WALDEN_PG_BIN="$pgbin" bash "$here/drill-bench.sh" "$scale" "$traffic_seconds"
fi
command -v jq >/dev/null || { echo "jq is missing: apt-get install jq" >&2; exit 2; }

tmp=$(mktemp -d /tmp/walden-drill-bench.XXXXXX)
port=5498
cleanup() {
    set +e
    [[ -n ${agent_pid:-} ]] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
    [[ -f $tmp/recovered/postmaster.pid ]] && "$pgbin/pg_ctl" -D "$tmp/recovered" -m immediate stop >/dev/null 2>&1
    "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

"$pgbin/initdb" -D "$tmp/pg" -U postgres --auth=trust --no-sync --data-checksums >/dev/null
cat >> "$tmp/pg/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$tmp'
port = $port
wal_level = replica
archive_mode = on
archive_command = '$home/bin/walden-push --config $tmp/walden.conf %p'
max_wal_size = '4GB'
CONF
cat > "$tmp/walden.conf" <<CONF
pgdata = $tmp/pg
repository.path = $tmp/repo
agent.socket = $tmp/agent.sock
schedule =
schedule.drill =
schedule.verify =
backup.workers = 2
drill.directory = $tmp/drills
drill.amcheck = sample
drill.checks = $tmp/checks.sql
CONF
echo "SELECT count(*) = $((scale * 100000)) FROM pgbench_accounts" > "$tmp/checks.sql"
printf 'DB_HOST=%s\nDB_PORT=%s\nDB_USER=postgres\nDB_NAME=postgres\n' "$tmp" "$port" > "$tmp/.env"
"$home/bin/walden" init --config "$tmp/walden.conf" >/dev/null
"$home/bin/walden" agent --config "$tmp/walden.conf" 2>"$tmp/agent.log" &
agent_pid=$!
"$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w start >/dev/null
echo "pgbench -i -s $scale ..."
"$pgbin/pgbench" -h "$tmp" -p "$port" -U postgres -i -s "$scale" -q postgres >/dev/null 2>&1
"$home/bin/walden" backup --config "$tmp/walden.conf" >/dev/null
echo "pgbench traffic for ${traffic_seconds}s after the backup ..."
"$pgbin/pgbench" -h "$tmp" -p "$port" -U postgres -c 4 -j 2 -T "$traffic_seconds" postgres >/dev/null 2>&1
"$home/bin/walden" check --config "$tmp/walden.conf" >/dev/null # a WAL switch, archived
size=$(du -sm --exclude=pg_wal "$tmp/pg" | cut -f1)
wal=$(find "$tmp/repo/wal" -type f | wc -l)

seconds=0
timed() { # command...: runs it, sets $seconds
    sync
    local start=$EPOCHREALTIME
    "$@" >"$tmp/last.out" 2>"$tmp/last.err" || { echo "failed: $*" >&2; tail -20 "$tmp/last.out" "$tmp/last.err" >&2; exit 1; }
    seconds=$(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f", e - s }')
}

echo
echo "== $("$pgbin/postgres" --version), $(nproc) cores; data directory $size MiB (scale $scale), $wal WAL files archived"
printf '%-46s %8s %10s %10s %10s\n' "" "time" "RTO" "checks" "overhead"
for round in 1 2; do
    timed "$home/bin/walden" recover --config "$tmp/walden.conf" --latest --pgdata "$tmp/recovered" --json
    recover_rto=$(jq -r '.phases_seconds.total' "$tmp/last.out")
    start=$EPOCHREALTIME
    "$pgbin/pg_ctl" -D "$tmp/recovered" -m fast -w stop >/dev/null
    rm -rf "$tmp/recovered" "$tmp/recovered.log" "$tmp/recovered.tablespaces"
    recover=$(awk -v r="$seconds" -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f", r + e - s }')
    printf '%-46s %6s s %8.1f s %10s %10s\n' "walden recover --latest, then stop + rm ($round)" "$recover" "$recover_rto" "-" "-"
    timed "$home/bin/walden" drill --config "$tmp/walden.conf" --json
    jq -e '.result == "ok"' "$tmp/last.out" >/dev/null || { echo "the drill failed:" >&2; cat "$tmp/last.out" >&2; exit 1; }
    rto=$(jq -r '.rto_seconds.target' "$tmp/last.out")
    checks=$(jq -r '.phases_seconds.checks' "$tmp/last.out")
    overhead=$(awk -v d="$seconds" -v r="$recover" -v c="$checks" 'BEGIN { printf "%.2fx", d / (r + c) }')
    printf '%-46s %6s s %8.1f s %8.1f s %10s\n' "walden drill (amcheck sample, 1 SQL check) ($round)" "$seconds" "$rto" \
        "$checks" "$overhead"
done
echo
echo "overhead = drill time / (recover time + the drill's check seconds); target <= 1.10x"
