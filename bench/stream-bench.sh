#!/usr/bin/env bash
# What WAL streaming (agent.stream = on) costs the database, side by side in one run: a max-rate
# bulk-insert workload (pgbench: CLIENTS sessions, each transaction one INSERT ... SELECT of ROWS
# rows of 200 bytes, for SECONDS) on one PostgreSQL 15 archiving through walden (the native
# walden-push, the agent's defaults), with the agent streaming off and on in alternating rounds
# (off first; with --synchronous also "sync": agent.stream.synchronous = on and
# synchronous_standby_names = 'walden'). Prints each mode's median TPS and WAL MiB/s and the cost
# against "off" in % (of the medians, and the median of each round against the "off" round
# before it), the CPU seconds of the agent and of walden's walsender, and for the streaming modes
# the stream's lag at the instant the workload ends (PostgreSQL's pg_stat_replication: WAL not yet
# flushed by walden, and flush_lag) and the seconds until walden had stored all WAL the workload
# wrote. An unmeasured "off" round runs first (until pg_wal holds segments to recycle, PostgreSQL
# makes each one anew, and the first round is slower).
#
#   bench/stream-bench.sh [--seconds S] [--rounds N] [--clients N] [--rows N] [--synchronous]
#                         (defaults 30, 3, 2, 1000; build first: mvn -B package -DskipTests)
#
# Between rounds: the table is truncated, a checkpoint taken, archiving drained, the agent
# restarted in the next mode; "off" rounds drop the slot (walden agent --drop-slot), so no
# retained WAL weighs on them. fsync and synchronous_commit stay on (PostgreSQL's defaults).
# As root it re-runs itself as the unprivileged user walden-test (PostgreSQL refuses root).
set -euo pipefail
seconds=30 rounds=3 clients=2 rows=1000 modes=(off on)
args=("$@")
while (($#)); do
    case $1 in
        --seconds) seconds=$2; shift ;;
        --rounds) rounds=$2; shift ;;
        --clients) clients=$2; shift ;;
        --rows) rows=$2; shift ;;
        --synchronous) modes=(off on sync) ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
home=$(cd "$here/../dist/target/walden" 2>/dev/null && pwd -P || echo "$here/../dist/target/walden")
pgbin=${WALDEN_PG_BIN:-/usr/lib/postgresql/15/bin}
[[ -x $home/bin/walden ]] || { echo "build first: mvn -B package -DskipTests" >&2; exit 2; }
if [[ $(id -u) -eq 0 ]]; then
    id -u walden-test >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/walden-test walden-test
    exec runuser -u walden-test -- env WALDEN_PG_BIN="$pgbin" bash "$here/stream-bench.sh" "${args[@]}"
fi
tmp=$(mktemp -d /tmp/walden-stream-bench.XXXXXX)
port=5497
agent=
cleanup() {
    set +e
    [[ -n $agent ]] && kill "$agent" 2>/dev/null && wait "$agent"
    "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
psql_() { PGOPTIONS='-c client_min_messages=warning' "$pgbin/psql" -h "$tmp" -p "$port" -U postgres -qAtX postgres -c "$1"; }

"$pgbin/initdb" -D "$tmp/pg" -U postgres --auth=trust --no-sync >/dev/null
cat >> "$tmp/pg/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$tmp'
port = $port
wal_level = replica
archive_mode = on
archive_command = '"$home/bin/walden-push" --config "$tmp/walden.conf" %p'
max_wal_size = '4GB'
CONF
cat > "$tmp/walden.conf" <<CONF
pgdata = $tmp/pg
repository.path = $tmp/repo
agent.socket = $tmp/agent.sock
http.listen = off
schedule =
schedule.drill =
schedule.verify =
CONF
printf 'DB_HOST=%s\nDB_PORT=%s\nDB_USER=postgres\nDB_NAME=postgres\n' "$tmp" "$port" > "$tmp/.env"
echo "INSERT INTO w SELECT g, repeat('x', 200) FROM generate_series(1, $rows) g;" > "$tmp/insert.sql"
"$home/bin/walden" init --config "$tmp/walden.conf" >/dev/null
"$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w start >/dev/null
psql_ "CREATE TABLE w (id bigint, payload text)" >/dev/null

start_agent() { # mode
    local stream=off sync=off
    [[ $1 != off ]] && stream=on
    [[ $1 == sync ]] && sync=on
    if [[ $1 == off ]]; then
        "$home/bin/walden" agent --config "$tmp/walden.conf" --drop-slot >/dev/null
    fi
    WALDEN_AGENT_STREAM=$stream WALDEN_AGENT_STREAM_SYNCHRONOUS=$sync \
        "$home/bin/walden" agent --config "$tmp/walden.conf" 2>>"$tmp/agent.log" &
    agent=$!
    for ((i = 0; i < 3000; i++)); do
        [[ -S $tmp/agent.sock ]] && "$home/bin/walden-push" --config "$tmp/walden.conf" --ping >/dev/null 2>&1 && break
        sleep 0.01
    done
    if [[ $1 != off ]]; then # wait for the stream to be connected
        for ((i = 0; i < 3000; i++)); do
            [[ $(psql_ "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'walden'") == 1 ]] && break
            sleep 0.01
        done
    fi
    if [[ $1 == sync ]]; then
        psql_ "ALTER SYSTEM SET synchronous_standby_names = 'walden'" >/dev/null
        psql_ "SELECT pg_reload_conf()" >/dev/null
    fi
}
stop_agent() { # commits must not wait for an agent that is gone
    psql_ "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null
    psql_ "SELECT pg_reload_conf()" >/dev/null
    kill "$agent"
    wait "$agent" || true
    agent=
}
settle() { # the next round starts from the same state: empty table, checkpointed, archiving drained
    psql_ "TRUNCATE w" >/dev/null
    psql_ "CHECKPOINT" >/dev/null
    for ((i = 0; i < 6000; i++)); do
        [[ -z $(ls "$tmp/pg/pg_wal/archive_status" | grep '\.ready$' || true) ]] && break
        sleep 0.05
    done
}
declare -A tps wal lagb lags catch acpu wcpu
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; } # utime + stime of a process
walsender() { psql_ "SELECT coalesce(max(pid), 0) FROM pg_stat_replication WHERE application_name = 'walden'"; }
round() { # mode
    local mode=$1 l0 l1 out t0 end a0 a1 w0=0 w1=0 sender hz
    hz=$(getconf CLK_TCK)
    settle
    start_agent "$mode"
    sender=$(walsender)
    a0=$(ticks "$agent")
    ((sender > 0)) && w0=$(ticks "$sender")
    l0=$(psql_ "SELECT pg_current_wal_lsn()")
    out=$("$pgbin/pgbench" -h "$tmp" -p "$port" -U postgres -n -c "$clients" -j "$clients" -T "$seconds" \
        -f "$tmp/insert.sql" postgres 2>&1)
    t0=$EPOCHREALTIME
    l1=$(psql_ "SELECT pg_current_wal_lsn()")
    if [[ $mode != off ]]; then
        # at the instant the workload ends: what walden has not flushed, and PostgreSQL's flush_lag
        read -r b s < <(psql_ "SELECT pg_wal_lsn_diff('$l1', flush_lsn)::bigint || ' ' || coalesce(round(extract(epoch FROM flush_lag)::numeric, 2), 0) FROM pg_stat_replication WHERE application_name = 'walden'" | tr -d '|')
        lagb[$mode]+="$b " lags[$mode]+="$s "
        for ((i = 0; i < 6000; i++)); do
            [[ $(psql_ "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'walden' AND flush_lsn >= '$l1'") == 1 ]] && break
            sleep 0.01
        done
        end=$EPOCHREALTIME
        catch[$mode]+="$(awk -v s="$t0" -v e="$end" 'BEGIN { printf "%.2f", e - s }') "
    fi
    a1=$(ticks "$agent")
    ((sender > 0)) && w1=$(ticks "$sender")
    acpu[$mode]+="$(awk -v t="$((a1 - a0))" -v h="$hz" 'BEGIN { printf "%.1f", t / h }') "
    wcpu[$mode]+="$(awk -v t="$((w1 - w0))" -v h="$hz" 'BEGIN { printf "%.1f", t / h }') "
    tps[$mode]+="$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out" | head -1) "
    wal[$mode]+="$(psql_ "SELECT round(pg_wal_lsn_diff('$l1', '$l0') / 1048576.0 / $seconds, 1)") "
    stop_agent
    echo "  $mode: ${out##*tps = }" | head -1
}
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "stream-bench: $clients client(s) x $seconds s of INSERT ... generate_series(1, $rows), $rounds round(s) per mode"
# an unmeasured round first: until pg_wal holds recycled segments, PostgreSQL creates each one anew
round off >/dev/null
tps[off]=
wal[off]=
acpu[off]=
for ((r = 1; r <= rounds; r++)); do
    for m in "${modes[@]}"; do round "$m"; done
done

echo
echo "== PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}'), $(nproc) cores; median of $rounds round(s) (each round's value in brackets)"
printf '%-52s' ""; for m in "${modes[@]}"; do printf ' %14s' "stream $m"; done; echo
printf '%-52s' "TPS (pgbench, excluding connection time)"; for m in "${modes[@]}"; do printf ' %14s' "$(median "${tps[$m]}")"; done; echo
printf '%-52s' "  against off"
off=$(median "${tps[off]}")
for m in "${modes[@]}"; do printf ' %14s' "$(awk -v a="$(median "${tps[$m]}")" -v b="$off" 'BEGIN { printf "%+.1f %%", (a - b) / b * 100 }')"; done; echo
printf '%-52s' "WAL written, MiB/s"; for m in "${modes[@]}"; do printf ' %14s' "$(median "${wal[$m]}")"; done; echo
printf '%-52s' "CPU s of the agent (the round and its catch-up)"; for m in "${modes[@]}"; do printf ' %14s' "$(median "${acpu[$m]}")"; done; echo
printf '%-52s' "CPU s of walden's walsender"; for m in "${modes[@]}"; do printf ' %14s' "$([[ $m == off ]] && echo - || median "${wcpu[$m]}")"; done; echo
printf '%-52s' "at the end: WAL not yet flushed by walden, bytes"; for m in "${modes[@]}"; do printf ' %14s' "$([[ $m == off ]] && echo - || median "${lagb[$m]}")"; done; echo
printf '%-52s' "at the end: pg_stat_replication.flush_lag, s"; for m in "${modes[@]}"; do printf ' %14s' "$([[ $m == off ]] && echo - || median "${lags[$m]}")"; done; echo
printf '%-52s' "seconds until walden stored all the workload's WAL"; for m in "${modes[@]}"; do printf ' %14s' "$([[ $m == off ]] && echo - || median "${catch[$m]}")"; done; echo
# each round against the "off" round just before it: drift over the run (the machine, the page
# cache) cancels out of the ratio
for m in "${modes[@]:1}"; do
    echo "  $m against the off round before it, median of the rounds: $(paste -d' ' <(tr ' ' '\n' <<<"${tps[off]}") <(tr ' ' '\n' <<<"${tps[$m]}") | grep -v '^ *$' \
        | awk '{ printf "%.4f\n", $2 / $1 }' | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%+.1f %%", (m - 1) * 100 }') TPS"
done
for m in "${modes[@]}"; do echo "  $m rounds: TPS [${tps[$m]% }]$([[ $m == off ]] || echo "; caught up in [${catch[$m]% }] s")"; done
