#!/usr/bin/env bash
# A base backup of a pgbench database: walden (1 and 2 workers, zstd and lz4) next to
# pg_basebackup (plain, no compression; and tar with gzip) on the same data, in the same run;
# then restoring it: walden recover (files restored and WAL staged, every checksum verified)
# next to cp -a of the plain pg_basebackup and tar -xzf of the gzip one.
#
#   bench/backup-throughput.sh [SCALE]     (build first: mvn -B package -DskipTests; default scale 50 ≈ 750 MiB)
#
# As root it re-runs itself as the unprivileged user walden-test.
set -euo pipefail
scale=${1:-50}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
home=$(cd "$here/../dist/target/walden" 2>/dev/null && pwd -P || echo "$here/../dist/target/walden")
pgbin=${WALDEN_PG_BIN:-/usr/lib/postgresql/15/bin}
[[ -x $home/bin/walden ]] || { echo "build first: mvn -B package -DskipTests" >&2; exit 2; }
if [[ $(id -u) -eq 0 ]]; then
    id -u walden-test >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/walden-test walden-test
    exec runuser -u walden-test -- env WALDEN_PG_BIN="$pgbin" bash "$here/backup-throughput.sh" "$scale"
fi

tmp=$(mktemp -d /tmp/walden-backup-bench.XXXXXX)
cleanup() {
    set +e
    [[ -n ${agent_pid:-} ]] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
    "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

"$pgbin/initdb" -D "$tmp/pg" -U postgres --auth=trust --no-sync --data-checksums >/dev/null
cat >> "$tmp/pg/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$tmp'
port = 5498
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
CONF
printf 'DB_HOST=%s\nDB_PORT=5498\nDB_USER=postgres\nDB_NAME=postgres\n' "$tmp" > "$tmp/.env"
"$home/bin/walden" init --config "$tmp/walden.conf" >/dev/null
"$home/bin/walden" agent --config "$tmp/walden.conf" 2>"$tmp/agent.log" &
agent_pid=$!
"$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w start >/dev/null
echo "pgbench -i -s $scale ..."
"$pgbin/pgbench" -h "$tmp" -p 5498 -U postgres -i -s "$scale" -q postgres >/dev/null 2>&1
"$pgbin/psql" -h "$tmp" -p 5498 -U postgres -qAtc "CHECKPOINT" postgres
size=$(du -sm --exclude=pg_wal "$tmp/pg" | cut -f1) # what a base backup copies
sync

run() { # name, command...
    local name=$1; shift
    sync
    local start=$EPOCHREALTIME
    "$@" >/dev/null 2>&1 || { echo "$name failed" >&2; tail -5 "$tmp/agent.log" >&2; exit 1; }
    local end=$EPOCHREALTIME
    awk -v n="$name" -v s="$start" -v e="$end" -v mb="$size" \
        'BEGIN { printf "%-52s %8.1f s %8.0f MiB/s\n", n, e - s, mb / (e - s) }'
}
stored() { du -sm "$1" | cut -f1; }

echo
echo "data directory without pg_wal: $size MiB (pgbench scale $scale, data checksums on), $(nproc) cores"
printf '%-52s %10s %14s\n' "base backup" "time" "throughput"
run "pg_basebackup -Fp -X none (no compression)" "$pgbin/pg_basebackup" -h "$tmp" -p 5498 -U postgres \
    -D "$tmp/bb-plain" -Fp -X none -c fast
echo "    stored $(stored "$tmp/bb-plain") MiB"
run "pg_basebackup -Ft -z -X none (gzip)" "$pgbin/pg_basebackup" -h "$tmp" -p 5498 -U postgres \
    -D "$tmp/bb-gzip" -Ft -z -X none -c fast
echo "    stored $(stored "$tmp/bb-gzip") MiB"
for workers in 1 2; do
    for compression in lz4 zstd; do # zstd last: the backup recovered below
        kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true
        WALDEN_BACKUP_WORKERS=$workers WALDEN_COMPRESSION=$compression \
            "$home/bin/walden" agent --config "$tmp/walden.conf" 2>>"$tmp/agent.log" &
        agent_pid=$!
        for ((i = 0; i < 100; i++)); do
            "$home/bin/walden-push" --config "$tmp/walden.conf" --ping 2>/dev/null && break
            sleep 0.1
        done
        before=$(du -sm "$tmp/repo/backups" 2>/dev/null | cut -f1 || echo 0)
        run "walden backup, $workers worker(s), $compression, page checksums" \
            "$home/bin/walden" backup --config "$tmp/walden.conf"
        after=$(du -sm "$tmp/repo/backups" | cut -f1)
        echo "    stored $((after - ${before:-0})) MiB"
    done
done

echo
printf '%-52s %10s %14s\n' "restore of that backup into a new directory" "time" "throughput"
run "cp -a of the plain pg_basebackup (nothing checked)" cp -a "$tmp/bb-plain" "$tmp/restored-cp"
mkdir "$tmp/restored-tar"
run "tar -xzf of the gzip pg_basebackup" tar -xzf "$tmp/bb-gzip/base.tar.gz" -C "$tmp/restored-tar"
run "walden recover --immediate --no-start (zstd, 2 workers)" "$home/bin/walden" recover \
    --config "$tmp/walden.conf" --immediate --no-start --pgdata "$tmp/restored-walden"
