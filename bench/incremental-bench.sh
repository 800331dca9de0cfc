#!/usr/bin/env bash
# Incremental backups, walden next to pgBackRest in the same run, on the same pgbench database:
#   1. a full backup each: walden (zstd, 2 workers) and pgBackRest (zst, process-max=2,
#      repo1-block (beta in 2.45, so beta=y), repo1-bundle, type=full);
#   2. MINUTES of pgbench traffic, then an incremental each (pgBackRest --type=incr);
#   3. five more rounds of traffic (ROUND seconds) and walden incrementals (six in all), a walden
#      full backup of the very same data, and the time to restore each of the two
#      (walden recover --immediate --no-start: every file rebuilt and checked, WAL staged).
#
#   bench/incremental-bench.sh [SCALE [MINUTES [ROUND]]]   (defaults 200, 5, 20; build first:
#                                                          mvn -B package -DskipTests)
#
# As root it installs pgbackrest when missing (apt-get install -y pgbackrest) and re-runs itself
# as the unprivileged user walden-test. Both tools archive the same WAL (archive_command runs
# walden-push, then pgBackRest's async archive-push), so that both backups can wait for theirs.
set -euo pipefail
scale=${1:-200}
minutes=${2:-5}
round=${3:-20}
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
    exec runuser -u walden-test -- env WALDEN_PG_BIN="$pgbin" bash "$here/incremental-bench.sh" "$scale" "$minutes" \
        "$round"
fi
command -v pgbackrest >/dev/null || { echo "pgbackrest is missing: apt-get install pgbackrest (or run as root)" >&2; exit 2; }

tmp=$(mktemp -d /tmp/walden-incr-bench.XXXXXX)
port=5497
cleanup() {
    set +e
    [[ -n ${agent_pid:-} ]] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
    "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1
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
repo1-bundle=y
repo1-block=y
beta=y
start-fast=y

[bench]
pg1-path=$tmp/pg
pg1-socket-path=$tmp
pg1-port=$port
pg1-user=postgres
CONF
pgbr=(pgbackrest --config="$tmp/pgbackrest.conf" --stanza=bench)

"$pgbin/initdb" -D "$tmp/pg" -U postgres --auth=trust --no-sync --data-checksums >/dev/null
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
backup.workers = 2
CONF
printf 'DB_HOST=%s\nDB_PORT=%s\nDB_USER=postgres\nDB_NAME=postgres\n' "$tmp" "$port" > "$tmp/.env"
"$home/bin/walden" init --config "$tmp/walden.conf" >/dev/null
"$home/bin/walden" agent --config "$tmp/walden.conf" 2>"$tmp/agent.log" &
agent_pid=$!
"$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w start >/dev/null
"${pgbr[@]}" stanza-create >/dev/null
echo "pgbench -i -s $scale ..."
"$pgbin/pgbench" -h "$tmp" -p "$port" -U postgres -i -s "$scale" -q postgres >/dev/null 2>&1
"$pgbin/psql" -h "$tmp" -p "$port" -U postgres -qAtc "CHECKPOINT" postgres
size=$(du -sm --exclude=pg_wal "$tmp/pg" | cut -f1)

seconds=0
timed() { # command...: runs it, sets $seconds
    sync
    local start=$EPOCHREALTIME
    "$@" >"$tmp/last.out" 2>&1 || { echo "failed: $*" >&2; tail -20 "$tmp/last.out" >&2; exit 1; }
    seconds=$(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f", e - s }')
}
newest() { ls "$tmp/repo/backups" | grep -v '^\.' | sort | tail -1; }
walden_stored() { du -sb --apparent-size "$tmp/repo/backups/$1" | awk '{ printf "%.1f", $1 / 1048576 }'; }
pgbr_newest() { ls "$tmp/pgbr/repo/backup/bench" | grep -E '^[0-9]{8}-[0-9]{6}F' | sort | tail -1; }
pgbr_stored() { du -sb --apparent-size "$tmp/pgbr/repo/backup/bench/$1" | awk '{ printf "%.1f", $1 / 1048576 }'; }
row() { printf '%-44s %8s s %10s MiB\n' "$@"; }
traffic() { "$pgbin/pgbench" -h "$tmp" -p "$port" -U postgres -c 4 -j 2 -T "$1" postgres >/dev/null 2>&1; }

echo
echo "== $("$pgbin/postgres" --version), $(pgbackrest version), $(nproc) cores"
echo "data directory without pg_wal: $size MiB (pgbench scale $scale, data checksums on)"
printf '%-44s %10s %14s\n' "" "time" "stored"
timed "$home/bin/walden" backup --config "$tmp/walden.conf" --type full
full=$(newest)
row "walden full (zstd, 2 workers)" "$seconds" "$(walden_stored "$full")"
timed "${pgbr[@]}" backup --type=full
pgbr_full=$(ls "$tmp/pgbr/repo/backup/bench" | grep -E 'F$' | sort | tail -1)
row "pgBackRest full (zst, block, bundle)" "$seconds" "$(pgbr_stored "$pgbr_full")"

echo "pgbench traffic for $minutes minute(s) ..."
traffic $((minutes * 60))
timed "$home/bin/walden" backup --config "$tmp/walden.conf" --type incr
incr=$(newest)
row "walden incr" "$seconds" "$(walden_stored "$incr")"
timed "${pgbr[@]}" backup --type=incr
pgbr_incr=$(ls "$tmp/pgbr/repo/backup/bench" | sort | grep -v '^latest$' | grep -v '^backup' | tail -1)
row "pgBackRest incr (zst, block, bundle)" "$seconds" "$(pgbr_stored "$pgbr_incr")"

for ((i = 2; i <= 6; i++)); do
    traffic "$round"
    timed "$home/bin/walden" backup --config "$tmp/walden.conf" --type incr
    row "walden incr $i (after ${round}s of pgbench)" "$seconds" "$(walden_stored "$(newest)")"
done
last_incr=$(newest)
timed "$home/bin/walden" backup --config "$tmp/walden.conf" --type full
same_full=$(newest)
row "walden full of the same data" "$seconds" "$(walden_stored "$same_full")"

echo
printf '%-44s %10s\n' "restore (walden recover --immediate --no-start)" "time"
timed "$home/bin/walden" recover --config "$tmp/walden.conf" --immediate --no-start --backup "$same_full" \
    --pgdata "$tmp/restored-full"
full_restore=$seconds
printf '%-44s %8s s\n' "from one full backup" "$full_restore"
timed "$home/bin/walden" recover --config "$tmp/walden.conf" --immediate --no-start --backup "$last_incr" \
    --pgdata "$tmp/restored-chain"
printf '%-44s %8s s   (%.2fx)\n' "from a full and six incrementals" "$seconds" \
    "$(awk -v a="$seconds" -v b="$full_restore" 'BEGIN { print a / b }')"
