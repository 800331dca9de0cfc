#!/usr/bin/env bash
# restore_command, one process per file as PostgreSQL runs it, walden next to pgBackRest in the
# same run on the same archived WAL: SEGMENTS full WAL segments (archived by both: archive_command
# runs walden-push, then pgBackRest's async archive-push), then each fetched in order, one call per
# file, into a pg_wal/RECOVERYXLOG as a replay does (unlinked before each call, as PostgreSQL
# does, untimed), by
#   - walden fetch (the JVM: reads the repository itself),
#   - walden-fetch (native: the agent serves files it read ahead: decompressed, verified, written),
#   - pgbackrest archive-get (archive-async=y: it prefetches into its spool, queue 128 MiB),
# the native clients twice: back to back, then with REPLAY_MS between calls, the time a replay
# spends on a segment (bench/standby-catchup-bench.sh: ~100 ms), each time beside /bin/true run
# the same way (what starting any process costs, as PostgreSQL starts restore_command). It prints
# the mean time a call takes and walden-fetch's against pgBackRest's; the target is <= 0.2.
#
#   bench/fetch-bench.sh [SEGMENTS [REPLAY_MS]]   (default 100 100; build first: mvn -B package -DskipTests)
#
# As root it installs pgbackrest when missing (apt-get install -y pgbackrest) and re-runs itself
# as the unprivileged user walden-test.
set -euo pipefail
segments=${1:-100}
replay_ms=${2:-100}
declare -a native pgbr_ms floor
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
    exec runuser -u walden-test -- env WALDEN_PG_BIN="$pgbin" bash "$here/fetch-bench.sh" "$segments" "$replay_ms"
fi
command -v pgbackrest >/dev/null || { echo "pgbackrest is missing: apt-get install pgbackrest (or run as root)" >&2; exit 2; }
[[ -L $home/bin/walden-fetch ]] || { echo "bin/walden-fetch is not the native client: build with a C compiler" >&2; exit 2; }

tmp=$(mktemp -d /tmp/walden-fetch-bench.XXXXXX)
port=5499
cleanup() {
    set +e
    [[ -n ${agent_pid:-} ]] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
    "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/pgbr/repo" "$tmp/pgbr/spool" "$tmp/pgbr/lock" "$tmp/pgbr/log" "$tmp/replay/pg_wal"
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

[bench]
pg1-path=$tmp/replay
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
archive_command = '$home/bin/walden-push --config $tmp/walden.conf %p && pgbackrest --config=$tmp/pgbackrest.conf --stanza=bench --pg1-path=$tmp/pg archive-push %p'
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
"$home/bin/walden" init --config "$tmp/walden.conf" >/dev/null
"$home/bin/walden" agent --config "$tmp/walden.conf" 2>"$tmp/agent.log" &
agent_pid=$!
"$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w start >/dev/null
"${pgbr[@]}" --pg1-path="$tmp/pg" stanza-create >/dev/null
psql=("$pgbin/psql" -h "$tmp" -p "$port" -U postgres -qAt postgres)
echo "writing $segments WAL segments ..."
"${psql[@]}" -c "CREATE TABLE t (id int, pad text)"
first=$("${psql[@]}" -c "SELECT pg_walfile_name(pg_current_wal_lsn())")
for ((i = 0; i < segments; i++)); do
    # the segment just completed: what must be archived before fetching starts
    last=$("${psql[@]}" -c "INSERT INTO t SELECT g, md5(g::text) || md5(random()::text) FROM generate_series(1, 75000) g" \
        -c "SELECT pg_walfile_name(pg_switch_wal() - 1)")
done
for ((i = 0; i < 600; i++)); do
    [[ $("${psql[@]}" -c "SELECT last_archived_wal >= '$last' FROM pg_stat_archiver") == t ]] && break
    sleep 1
done
mapfile -t names < <(find "$tmp/repo/wal" -type f -name '0*' | sed 's#.*/##; s/-.*//' | grep -E '^[0-9A-F]{24}$' \
    | sort | awk -v f="$first" -v l="$last" '$0 >= f && $0 <= l')
echo "archived: ${#names[@]} segments, $first .. $last"
# pgBackRest's archive-get reads pg_control in pg1-path (system identifier, version): the replaying
# "cluster" is a copy of the primary's
mkdir -p "$tmp/replay/global"
cp "$tmp/pg/global/pg_control" "$tmp/replay/global/"

per_file=0
run() { # label pause-ms command...: fetches every segment, one call each, from $tmp/replay (PostgreSQL's cwd)
    local label=$1 pause=$2
    shift 2
    sync
    local total=0 began
    for name in "${names[@]}"; do
        # PostgreSQL unlinks RECOVERYXLOG before each restore_command (xlogarchive.c), untimed here too
        rm -f "$tmp/replay/pg_wal/RECOVERYXLOG"
        began=${EPOCHREALTIME/./}
        (cd "$tmp/replay" && "$@" "$name" pg_wal/RECOVERYXLOG) || { echo "$label failed on $name" >&2; exit 1; }
        total=$((total + ${EPOCHREALTIME/./} - began))
        if ((pause > 0)); then
            sleep "$(awk -v p="$pause" 'BEGIN { printf "%.3f", p / 1000 }')"
        fi
    done
    per_file=$(awk -v t="$total" -v n="${#names[@]}" 'BEGIN { printf "%.1f", t / 1000 / n }')
    printf '%-60s %8s ms/file\n' "$label" "$per_file"
}

echo
echo "== $("$pgbin/postgres" --version), $(pgbackrest version), $(nproc) cores; ${#names[@]} segments, one call per file"
run "walden fetch (JVM, reads the repository)" 0 "$home/bin/walden" fetch --config "$tmp/walden.conf"
jvm=$per_file
for pause in 0 "$replay_ms"; do
    if ((pause == 0)); then
        echo "-- back to back (each call waits for the one before; read-ahead must keep up)"
    else
        echo "-- ${pause} ms between calls (the time PostgreSQL spends replaying a segment)"
    fi
    run "/bin/true (the cost of starting any process)" "$pause" /bin/true
    floor[pause]=$per_file
    run "walden-fetch (native, the agent reads ahead)" "$pause" "$home/bin/walden-fetch" --config "$tmp/walden.conf"
    native[pause]=$per_file
    run "pgbackrest archive-get (async, prefetching)" "$pause" "${pgbr[@]}" archive-get
    pgbr_ms[pause]=$per_file
done
echo
awk -v n="${native[0]}" -v p="${pgbr_ms[0]}" -v np="${native[$replay_ms]}" -v pp="${pgbr_ms[$replay_ms]}" -v j="$jvm" \
    -v r="$replay_ms" 'BEGIN {
    printf "walden-fetch / pgbackrest archive-get: %.2fx back to back, %.2fx with %d ms between calls (target <= 0.20x)\n",
        n / p, np / pp, r
    printf "walden fetch (JVM) / pgbackrest: %.2fx\n", j / p }'
awk -v n="${native[$replay_ms]}" -v p="${pgbr_ms[$replay_ms]}" -v f="${floor[$replay_ms]}" 'BEGIN {
    printf "above the process start (%.1f ms): walden-fetch %.1f ms, pgbackrest %.1f ms (%.2fx)\n", f, n - f, p - f,
        (n - f) / (p - f) }'
