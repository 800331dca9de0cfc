#!/usr/bin/env bash
# What one archive_command call costs: walden-push (the JVM client bin/walden-push-java and the
# native bin/walden-push) against the usual `cp` baselines, measured in
# the same run on the same segments. PostgreSQL calls archive_command once per WAL segment, one
# after another, so this latency bounds how many segments per second can be archived.
#
#   bench/push-latency.sh [RUNS]        (build first: mvn -B package -DskipTests)
#
# Needs PostgreSQL's server programs ($WALDEN_PG_BIN, default /usr/lib/postgresql/15/bin) to
# make real WAL segments. As root it re-runs itself as the unprivileged user walden-test.
set -euo pipefail
runs=${1:-30}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
home=$(cd "$here/../dist/target/walden" 2>/dev/null && pwd -P || echo "$here/../dist/target/walden")
pgbin=${WALDEN_PG_BIN:-/usr/lib/postgresql/15/bin}
[[ -x $home/bin/walden-push ]] || { echo "build first: mvn -B package -DskipTests" >&2; exit 2; }

if [[ $(id -u) -eq 0 ]]; then
    id -u walden-test >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/walden-test walden-test
    exec runuser -u walden-test -- env WALDEN_PG_BIN="$pgbin" bash "$here/push-latency.sh" "$runs"
fi

tmp=$(mktemp -d /tmp/walden-bench.XXXXXX)
cleanup() {
    set +e
    if [[ -n ${agent_pid:-} ]]; then
        kill "$agent_pid" 2>/dev/null
        wait "$agent_pid" 2>/dev/null
    fi
    "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

echo "making $runs real 16 MiB WAL segments with PostgreSQL ($pgbin)..."
"$pgbin/initdb" -D "$tmp/pg" -U postgres --auth=trust --no-sync >/dev/null
cat >> "$tmp/pg/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$tmp'
port = 5499
fsync = off
wal_keep_size = '4GB'
max_wal_size = '8GB'
CONF
"$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w start >/dev/null
psql() { "$pgbin/psql" -h "$tmp" -p 5499 -U postgres -qAtX -c "$1" postgres; }
psql "CREATE TABLE t (id bigint, payload text)"
for ((i = 0; i < runs + 1; i++)); do
    psql "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 40000) g; SELECT pg_switch_wal()" >/dev/null
done
"$pgbin/pg_ctl" -D "$tmp/pg" -m fast -w stop >/dev/null
sync # flush PostgreSQL's dirty pages now, so write-back doesn't land in one case's timing
mapfile -t segments < <(ls "$tmp/pg/pg_wal" | grep -E '^[0-9A-F]{24}$' | sort | head -n "$runs")

cat > "$tmp/walden.conf" <<CONF
pgdata = $tmp/pg
repository.path = $tmp/repo
agent.socket = $tmp/agent.sock
CONF
"$home/bin/walden" init --config "$tmp/walden.conf" >/dev/null
"$home/bin/walden" agent --config "$tmp/walden.conf" 2>"$tmp/agent.log" &
agent_pid=$!
for ((i = 0; i < 100; i++)); do
    "$home/bin/walden-push" --config "$tmp/walden.conf" --ping 2>/dev/null && break
    sleep 0.1
done

read -r java < "$home/lib/java.path"
lib=$home/lib
cp_=$lib/walden-push.jar:$lib/walden-protocol.jar:$lib/walden-config.jar
flags=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xss512k -XX:MaxRAM=256m)
# a dynamic AppCDS archive: what bin/walden-push-java uses on JDK 21-24
"$java" "${flags[@]}" -XX:ArchiveClassesAtExit="$tmp/push.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off \
    -cp "$cp_" dev.walden.push.StartupTraining >/dev/null 2>&1 || true

mkdir -p "$tmp/cp" "$tmp/cpsync"
declare -A median p95 mean
measure() { # name, then a command template in which {} is replaced by a segment path
    local name=$1; shift
    local samples=() seg start end cmd
    for seg in "${segments[@]}"; do
        cmd=("${@//\{\}/$tmp/pg/pg_wal/$seg}")
        start=$EPOCHREALTIME
        "${cmd[@]}" >/dev/null 2>&1 || { echo "$name failed: ${cmd[*]}" >&2; exit 1; }
        end=$EPOCHREALTIME
        samples+=("$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", (e - s) * 1000 }')")
    done
    read -r median["$name"] p95["$name"] mean["$name"] < <(printf '%s\n' "${samples[@]}" | sort -n | awk '
        { v[NR] = $1; sum += $1 }
        END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              i = int(NR * 0.95 + 0.5); if (i < 1) i = 1; if (i > NR) i = NR
              printf "%.1f %.1f %.1f\n", m, v[i], sum / NR }')
    printf '%-58s %8s %8s %8s\n' "$name" "${median[$name]}" "${p95[$name]}" "${mean[$name]}"
}

echo
echo "$runs runs each, milliseconds per call ($(nproc) cores, $("$java" -version 2>&1 | head -1))"
printf '%-58s %8s %8s %8s\n' "archive_command" "median" "p95" "mean"
measure "baseline: cp %p /archive/%f (not durable)" bash -c 'cp "$1" "$2"' _ {} "$tmp/cp/"
measure "baseline: cp + sync the copy (durable file, not dir)" bash -c 'cp "$1" "$2" && sync "$2/${1##*/}"' _ {} \
    "$tmp/cpsync"
measure "java, default CDS only: walden-push --ping" "$java" "${flags[@]}" -cp "$cp_" dev.walden.push.WaldenPush \
    --socket "$tmp/agent.sock" --ping
measure "java + AppCDS archive (JDK 21-24 path): walden-push --ping" "$java" "${flags[@]}" \
    -XX:SharedArchiveFile="$tmp/push.jsa" -Xlog:cds=off -cp "$cp_" dev.walden.push.WaldenPush \
    --socket "$tmp/agent.sock" --ping
measure "bin/walden-push-java --ping (AOT cache, JDK 25)" "$home/bin/walden-push-java" --config "$tmp/walden.conf" --ping
measure "bin/walden-push-java %p: check, sha256, zstd, fsync, ack" "$home/bin/walden-push-java" --config "$tmp/walden.conf" {}
measure "bin/walden-push-java %p again: already archived" "$home/bin/walden-push-java" \
    --config "$tmp/walden.conf" {}
# bin/walden-push is the native client when the build had a C compiler (else a copy of the Java one)
measure "bin/walden-push --ping" "$home/bin/walden-push" --config "$tmp/walden.conf" --ping
measure "bin/walden-push %p again: already archived" "$home/bin/walden-push" --config "$tmp/walden.conf" {}
# The steady state of a real installation: PostgreSQL has marked the files .ready (this cluster
# ran without archive_mode, so mark them here), the agent's look-ahead has seen them (its index
# answers only for .ready files), and a resident agent has answered thousands of pushes, so its
# JIT has compiled the answer path, which the rows above ran cold. Then the call as the command
# alone and as PostgreSQL runs it (system(): sh -c), next to sh -c's own floor.
for seg in "${segments[@]}"; do : > "$tmp/pg/pg_wal/archive_status/$seg.ready"; done
sleep 3
warm_until=$((SECONDS + 60))
for ((i = 0; i < 3000 && SECONDS < warm_until; i++)); do
    "$home/bin/walden-push" --config "$tmp/walden.conf" "$tmp/pg/pg_wal/${segments[0]}" >/dev/null 2>&1 || break
done
sleep 3 # the JIT compiles what the warm-up made hot; let it finish rather than time it
measure "floor: sh -c true (what PostgreSQL pays for any command)" sh -c true
measure "bin/walden-push %p, already archived, warm agent" "$home/bin/walden-push" --config "$tmp/walden.conf" {}
measure "  the same through sh -c, as PostgreSQL runs it" sh -c "\"\$0\" --config \"\$1\" \"\$2\"" \
    "$home/bin/walden-push" "$tmp/walden.conf" {}
# The rows above time each call from a bash loop, which adds the cost of forking bash. PostgreSQL's
# archiver calls system(3) from a small process: bench/system-call.c does exactly that (and, with
# --exec, starts the program alone without a shell), $((runs * 10)) times on one already archived
# segment. Next to the default static walden-push, the same client linked against the system's
# libc.so (WALDEN_NATIVE_LINK=dynamic), built here.
cc=${CC:-cc}
linked="as built"   # how bin/walden-push was linked: a program interpreter means libc.so
if command -v readelf >/dev/null; then
    case $(readelf -l "$home/bin/walden-push" 2>/dev/null) in
        *INTERP*) linked=dynamic ;;
        *) linked=static ;;
    esac
fi
if ! command -v "$cc" >/dev/null; then
    echo "(no C compiler: the system() rows are skipped)"
elif ! "$cc" -O2 -o "$tmp/system-call" "$here/system-call.c" \
        || ! WALDEN_NATIVE_LINK=dynamic bash "$here/../native/build.sh" "$tmp/dynamic" bench >/dev/null; then
    echo "(building bench/system-call.c or the dynamic walden-push failed: the system() rows are skipped)"
else
    system_row() { # name, then system-call's arguments after RUNS
        local name=$1 figures
        shift
        figures=$("$tmp/system-call" $((runs * 10)) "$@") || exit 1
        printf '%-58s %8s %8s %8s\n' "$name" $figures
    }
    one="'$tmp/pg/pg_wal/${segments[0]}'"
    echo "system(), as PostgreSQL's archiver calls it, and the program alone (posix_spawn), $((runs * 10)) runs each:"
    for round in 1 2; do
        system_row "floor: system(\"/bin/true\") (sh, then one program)" "/bin/true"
        system_row "system(): walden-push %p ($linked), stored" \
            "'$home/bin/walden-push' --config '$tmp/walden.conf' $one"
        system_row "system(): walden-push %p linked dynamically, stored" \
            "'$tmp/dynamic/bin/walden-push' --config '$tmp/walden.conf' $one"
        system_row "floor: /bin/true alone" --exec /bin/true
        system_row "walden-push %p alone ($linked), stored" --exec "$home/bin/walden-push" \
            --config "$tmp/walden.conf" "$tmp/pg/pg_wal/${segments[0]}"
        system_row "walden-push %p alone, linked dynamically, stored" --exec "$tmp/dynamic/bin/walden-push" \
            --config "$tmp/walden.conf" "$tmp/pg/pg_wal/${segments[0]}"
    done
fi
echo
grep -o "archived '[0-9A-F]*' ([0-9]* bytes, [0-9]* stored, zstd) in [0-9]* ms" "$tmp/agent.log" \
    | sed 's/.* in \([0-9]*\) ms/\1/' | sort -n \
    | awk '{ v[NR] = $1 } END { if (NR) printf "inside the agent (one read: check, sha256, zstd -3; write, fsync): median %d ms, max %d ms\n", v[int((NR + 1) / 2)], v[NR] }'
awk -v a="${median[bin/walden-push-java %p: check, sha256, zstd, fsync, ack]}" 'BEGIN { printf "at the median, walden-push-java archives %.0f segments/s (%.0f MiB/s of WAL) one after another\n", 1000 / a, 16000 / a }'
du -sk "$tmp/pg/pg_wal" "$tmp/repo/wal" | awk '{ printf "%-40s %8.1f MiB\n", $2, $1 / 1024 }'
