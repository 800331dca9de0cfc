#!/usr/bin/env bash
# A standby catching up from the archive, walden next to pgBackRest in the same run: one primary
# archives through both (archive_command runs walden-push, then pgBackRest's async archive-push),
# each takes a base backup, then the primary writes SEGMENTS WAL segments. Then, one after the
# other, a standby is built from each repository and timed from the command's start until it has
# replayed everything the primary wrote:
#   - walden recover --standby (restore_command = walden-fetch: the agent serves each file and
#     reads ahead);
#   - pgbackrest restore --type=standby (restore_command = pgbackrest archive-get, async,
#     prefetching), started with pg_ctl.
# Neither may stream: the WAL comes through restore_command alone (walden's primary_conninfo
# points at a port nothing listens on). The target is pgBackRest's time / walden's >= 1.5.
# Last, the floor: a standby restored from pgBackRest's backup replays the same WAL with every
# segment already in its pg_wal and no restore_command, timed from pg_ctl start: what PostgreSQL's
# replay alone costs. No restore_command reaches it: PostgreSQL also keeps each file restored
# from the archive in pg_wal with a durable rename (an fsync of the segment).
#
#   bench/standby-catchup-bench.sh [SEGMENTS]   (default 500; build first: mvn -B package -DskipTests)
#
# As root it installs pgbackrest when missing and re-runs itself as the unprivileged user walden-test.
set -euo pipefail
segments=${1:-500}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
home=$(cd "$here/../dist/target/walden" 2>/dev/null && pwd -P || echo "$here/../dist/target/walden")
pgbin=${WALDEN_PG_BIN:-/usr/lib/postgresql/15/bin}
[[ -x $home/bin/walden ]] || { echo "build first: mvn -B package -DskipTests" >&2; exit 2; }
if [[ $(id -u) -eq 0 ]]; then
    if ! command -v pgbackrest >/dev/null; then
        echo "pgbackrest is missing: installing Debian's package (apt-get install -y pgbackrest)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbackrest >/dev/null
    fi
    id -u walden-test >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/walden-test walden-test
    exec runuser -u walden-test -- env WALDEN_PG_BIN="$pgbin" bash "$here/standby-catchup-bench.sh" "$segments"
fi
command -v pgbackrest >/dev/null || { echo "pgbackrest is missing: apt-get install pgbackrest (or run as root)" >&2; exit 2; }

tmp=$(mktemp -d /tmp/walden-catchup-bench.XXXXXX)
port=5500
stop_all() {
    for d in "$tmp/standby-walden" "$tmp/standby-pgbr" "$tmp/standby-floor" "$tmp/pg"; do
        [[ -f $d/postmaster.pid ]] && "$pgbin/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1
    done
}
cleanup() {
    set +e
    stop_all
    [[ -n ${agent_pid:-} ]] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/pgbr/repo" "$tmp/pgbr/spool" "$tmp/pgbr/lock" "$tmp/pgbr/log"
cat > "$tmp/pgbackrest.conf" <<CONF
[global]
repo1-path=$tmp/pgbr/repo
spool-path=$tmp/pgbr/spool
lock-path=$tmp/pgbr/lock
log-path=$tmp/pgbr/log
log-level-console=warn
log-level-stderr=warn
archive-async=y
process-max=2
compress-type=zst
start-fast=y

[bench]
pg1-path=$tmp/pg
pg1-socket-path=$tmp
pg1-port=$port
pg1-user=postgres
CONF
pgbr=(pgbackrest --config="$tmp/pgbackrest.conf" --stanza=bench)

"$pgbin/initdb" -D "$tmp/pg" -U postgres --auth=trust --no-sync >/dev/null
cat >> "$tmp/pg/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$tmp'
port = $port
wal_level = replica
archive_mode = on
archive_command = '$home/bin/walden-push --config $tmp/walden.conf %p && ${pgbr[*]} archive-push %p'
max_wal_size = '4GB'
CONF
cat > "$tmp/walden.conf" <<CONF
pgdata = $tmp/pg
repository.path = $tmp/repo
agent.socket = $tmp/agent.sock
schedule =
schedule.drill =
schedule.verify =
CONF
printf 'DB_HOST=%s\nDB_PORT=%s\nDB_USER=postgres\nDB_NAME=postgres\n' "$tmp" "$port" > "$tmp/.env"
"$home/bin/walden" init --config "$tmp/walden.conf" >/dev/null
"$home/bin/walden" agent --config "$tmp/walden.conf" 2>"$tmp/agent.log" &
agent_pid=$!
for ((i = 0; i < 300; i++)); do # the agent answers on its socket (a JVM start)
    "$home/bin/walden-push" --ping --config "$tmp/walden.conf" >/dev/null 2>&1 && break
    sleep 0.1
done
"$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w start >/dev/null
"${pgbr[@]}" stanza-create >/dev/null
psql=("$pgbin/psql" -h "$tmp" -p "$port" -U postgres -qAt postgres)
"${psql[@]}" -c "CREATE TABLE t (id int, pad text)"
"$home/bin/walden" backup --config "$tmp/walden.conf" >/dev/null
"${pgbr[@]}" backup --type=full >/dev/null
echo "writing $segments WAL segments after the backups ..."
for ((i = 0; i < segments; i++)); do
    # the segment just completed: what must be archived before fetching starts
    last=$("${psql[@]}" -c "INSERT INTO t SELECT g, md5(g::text) || md5(random()::text) FROM generate_series(1, 75000) g" \
        -c "SELECT pg_walfile_name(pg_switch_wal() - 1)")
done
target=$("${psql[@]}" -c "SELECT pg_current_wal_lsn()")
for ((i = 0; i < 1800; i++)); do
    [[ $("${psql[@]}" -c "SELECT last_archived_wal >= '$last' FROM pg_stat_archiver") == t ]] && break
    sleep 1
done
# the primary stops, so neither standby could stream even if it tried; its WAL is all archived
"$pgbin/pg_ctl" -D "$tmp/pg" -m fast -w stop >/dev/null

seconds=0
wait_replayed() { # DATADIR SOCKETDIR PORT START: waits until the standby replayed up to $target
    local start=$4
    for ((i = 0; i < 7200; i++)); do
        local lsn
        lsn=$("$pgbin/psql" -h "$2" -p "$3" -U postgres -qAt -c \
            "SELECT pg_last_wal_replay_lsn() >= '$target'::pg_lsn" postgres 2>/dev/null || true)
        if [[ $lsn == t ]]; then
            seconds=$(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f", e - s }')
            return 0
        fi
        sleep 0.2
    done
    echo "the standby in $1 did not catch up" >&2
    exit 1
}

echo
echo "== $("$pgbin/postgres" --version), $(pgbackrest version), $(nproc) cores; $segments segments to replay"
start=$EPOCHREALTIME
"$home/bin/walden" recover --config "$tmp/walden.conf" --standby --pgdata "$tmp/standby-walden" --port 5501 \
    --primary-conninfo "host=$tmp port=5599 user=postgres" >"$tmp/walden-standby.out" 2>&1 \
    || { cat "$tmp/walden-standby.out" >&2; exit 1; }
walden_started=$(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f", e - s }')
wait_replayed "$tmp/standby-walden" "$tmp/standby-walden" 5501 "$start"
walden_s=$seconds
printf '%-58s %8s s (the command returned after %s s)\n' "walden recover --standby (walden-fetch, agent reads ahead)" \
    "$walden_s" "$walden_started"
"$pgbin/pg_ctl" -D "$tmp/standby-walden" -m immediate stop >/dev/null

# the standby's own configuration: its restore_command names this file, so archive-get works on its data directory
sed "s#^pg1-path=.*#pg1-path=$tmp/standby-pgbr#" "$tmp/pgbackrest.conf" > "$tmp/pgbackrest-standby.conf"
mkdir -m 0700 "$tmp/standby-pgbr"
start=$EPOCHREALTIME
pgbackrest --config="$tmp/pgbackrest-standby.conf" --stanza=bench restore --type=standby >/dev/null
cat >> "$tmp/standby-pgbr/postgresql.auto.conf" <<CONF
port = 5502
unix_socket_directories = '$tmp/standby-pgbr'
archive_mode = off
CONF
"$pgbin/pg_ctl" -D "$tmp/standby-pgbr" -l "$tmp/standby-pgbr.log" start >/dev/null
pgbr_started=$(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f", e - s }')
wait_replayed "$tmp/standby-pgbr" "$tmp/standby-pgbr" 5502 "$start"
pgbr_s=$seconds
printf '%-58s %8s s (restore and pg_ctl start returned after %s s)\n' \
    "pgbackrest restore --type=standby (archive-get, async)" "$pgbr_s" "$pgbr_started"
"$pgbin/pg_ctl" -D "$tmp/standby-pgbr" -m immediate stop >/dev/null

# The floor: PostgreSQL replaying the same WAL with no restore_command at all, every segment
# already in pg_wal (put there before the clock starts), from pgBackRest's restored backup.
sed "s#^pg1-path=.*#pg1-path=$tmp/standby-floor#" "$tmp/pgbackrest.conf" > "$tmp/pgbackrest-floor.conf"
mkdir -m 0700 "$tmp/standby-floor"
pgbackrest --config="$tmp/pgbackrest-floor.conf" --stanza=bench restore --type=standby >/dev/null
mapfile -t names < <(find "$tmp/repo/wal" -type f -name '0*' | sed 's#.*/##; s/-.*//' | grep -E '^[0-9A-F]{24}$' | sort)
for name in "${names[@]}"; do
    "$home/bin/walden-fetch" --config "$tmp/walden.conf" "$name" "$tmp/standby-floor/pg_wal/$name"
done
rm -f "$tmp"/standby-floor/pg_wal/.walden-ahead-*
cat >> "$tmp/standby-floor/postgresql.auto.conf" <<CONF
port = 5503
unix_socket_directories = '$tmp/standby-floor'
archive_mode = off
restore_command = ''
CONF
start=$EPOCHREALTIME
"$pgbin/pg_ctl" -D "$tmp/standby-floor" -l "$tmp/standby-floor.log" start >/dev/null
wait_replayed "$tmp/standby-floor" "$tmp/standby-floor" 5503 "$start"
floor_s=$seconds
printf '%-58s %8s s (pg_ctl start; no restore_command)\n' "floor: the same WAL replayed from pg_wal" "$floor_s"
echo
awk -v w="$walden_s" -v p="$pgbr_s" -v f="$floor_s" 'BEGIN {
    printf "pgBackRest / walden: %.2fx (target >= 1.5x); pgBackRest / floor: %.2fx (a bound no restore_command reaches)\n",
        p / w, p / f
    printf "above the floor: walden %.1f s, pgBackRest %.1f s\n", w - f, p - f }'
