#!/usr/bin/env bash
# WAL archiving, side by side in one run: walden's three paths (the Java walden-push, the native
# walden-push, the walden_archive archive module; the native one also to an encrypted
# repository), pgBackRest async (lz4 and zst; zst also with aes-256-cbc) and a plain durable `cp`
# as archive_command, each on its own PostgreSQL 15 cluster copied from one seed
# cluster, so every contender archives the very same real 16 MiB segments (same system
# identifier, same bytes).
#
#   bench/archive-bench.sh [--no-build] [latency|push-all|workload|all] [--contenders LIST]
#                          [--segments N] [--calls N] [--seconds S] [--clients N] [--drain-timeout S]
#
#   latency   per-call latency of the archive command, invoked the way PostgreSQL invokes it
#             (sh -c, same user, cwd = pgdata, %p = pg_wal/<name>): --calls segments not yet
#             stored ("cold") and --calls segments already stored ("warm"); median and p90.
#             The archive module has no command to call: its figure is per file from a drain
#             by PostgreSQL's archiver (marked as such): --calls segments not yet stored, then
#             the rest of the fixed set once the agent's look-ahead has stored it; the time from
#             the first file's .done to the last one's, divided by the files in between
#   push-all  the fixed set of --segments .ready segments drained by PostgreSQL's own archiver once
#             archive_command (walden.socket for the module) is switched on: seconds,
#             segments/s, MiB/s, bytes stored, and the speed against pgBackRest async lz4; with
#             walden-native-enc also against walden-native and pgbr-zst-cbc (those present)
#   workload  after push-all: --clients sessions of INSERT ... SELECT generate_series for
#             --seconds with archiving on: WAL MiB/s produced, segments archived/s, .ready files
#             pending at the end, seconds to drain them
#   all       the three (default); about 10 minutes on 2 cores with the defaults
#
#   --contenders  comma-separated, in this order in the tables (default: all but
#             walden-native-lz4, walden-native-enc and pgbr-zst-cbc):
#             walden-java        bin/walden-push-java %p (the JVM client)
#             walden-native      bin/walden-push %p (the C client)
#             walden-module      archive_library = lib/postgresql/15/walden_archive.so
#             walden-module-lz4  the module, the agent set to compression = lz4
#             walden-native-lz4  the C client, the agent set to compression = lz4
#             walden-native-enc  the C client, the repository encrypted (repository.encryption =
#                                aes-256-gcm, a key file made for the run, mode 0600): zstd 3,
#                                then AES-GCM-HKDF streaming
#             pgbr-lz4, pgbr-zst pgBackRest async with compress-type lz4 / zst
#             pgbr-zst-cbc       pgBackRest async zst with repo1-cipher-type = aes-256-cbc (a random
#                                repo1-cipher-pass made for the run, set before stanza-create)
#             cp                 cp + fsync + rename + fsync of the directory
#             true               archive_command = 'true': stores nothing, the floor of PostgreSQL's
#                                archiver and sh -c per file (a reference, not a contender)
#
# Each measure also reports the CPU seconds and peak RSS of each contender's resident process
# (walden's agent; pgBackRest's archive-push:async process and its archive-push:local workers)
# and the CPU seconds of the archive commands themselves (the children of PostgreSQL's archiver;
# for the module, the archiver's own CPU since it loaded the module).
#
# Disk: the seed and one contender's copy of it at a time, plus what that contender stores
# (--segments x 16 MiB each; cp stores them uncompressed): about 3 x 16 MiB x --segments + 2 GiB
# free in /tmp, checked before the seed is made. Each copy is removed after its contender.
#
# The build (`mvn -B -q package -DskipTests`, extra arguments from $BENCH_MAVEN_ARGS) runs
# unless --no-build; the native client and the module need gcc and postgresql-server-dev-15 at
# build time. pgBackRest comes from Debian's package: as root the script runs
# `apt-get install -y pgbackrest` when `pgbackrest` is missing, then re-runs itself as the
# unprivileged user walden-test (PostgreSQL refuses root). PostgreSQL's programs: $WALDEN_PG_BIN,
# default /usr/lib/postgresql/15/bin. walden runs with its default settings (zstd level 3, 2
# workers, look-ahead on) but for compression in the -lz4 contenders and encryption in -enc;
# pgBackRest with archive-async=y, process-max=2 and its default level per type (zst: 3).
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
build=1 mode=all segments=100 calls=20 seconds=30 clients=1 drain_timeout=300
known=(walden-java walden-native walden-module walden-module-lz4 walden-native-lz4 pgbr-lz4 pgbr-zst cp true
    walden-native-enc pgbr-zst-cbc)
contenders=(walden-java walden-native walden-module walden-module-lz4 pgbr-lz4 pgbr-zst cp true)
args=("$@")
while (($#)); do
    case $1 in
        --no-build) build=0 ;;
        latency | push-all | workload | all) mode=$1 ;;
        --segments) segments=${2:?}; shift ;;
        --calls) calls=${2:?}; shift ;;
        --seconds) seconds=${2:?}; shift ;;
        --clients) clients=${2:?}; shift ;;
        --drain-timeout) drain_timeout=${2:?}; shift ;;
        --contenders) IFS=, read -r -a contenders <<<"${2:?}"; shift ;;
        -h | --help) usage ;;
        *) echo "unknown argument '$1'" >&2; usage ;;
    esac
    shift
done
for v in segments calls seconds clients drain_timeout; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "--${v//_/-} must be a positive whole number" >&2; exit 2; }
done
((segments <= 2000 && calls <= 500 && seconds <= 3600 && clients <= 16)) || { echo "sizes too large" >&2; exit 2; }
((${#contenders[@]} >= 1 && ${#contenders[@]} <= ${#known[@]})) || { echo "--contenders: 1 to ${#known[@]} names" >&2; exit 2; }
for c in "${contenders[@]}"; do
    [[ " ${known[*]} " == *" $c "* ]] || { echo "--contenders: unknown '$c' (known: ${known[*]})" >&2; exit 2; }
done
if [[ $mode == latency || $mode == all ]] && ((2 * calls > segments)); then
    echo "--calls $calls needs --segments >= $((2 * calls)) (cold and warm calls use different segments)" >&2
    exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd "$here/.." && pwd -P)
home=$root/dist/target/walden
pgbin=${WALDEN_PG_BIN:-/usr/lib/postgresql/15/bin}
# walden runs with its default settings: no WALDEN_* variable of the caller may change them, but
# for WALDEN_JAVA_OPTS, the JVM's options, kept to measure a sizing (e.g. -Xmx96m) against the default
while read -r v; do unset "$v"; done < <(compgen -v WALDEN_ | grep -vx WALDEN_JAVA_OPTS || true)

# the build needs a JDK 21+: the one JAVA_HOME names if it is one, else the newest found
# shellcheck source=../dist/src/main/lib/find-java.sh
source "$root/dist/src/main/lib/find-java.sh"
java_bin=$(walden_find_java) || { echo "$java_bin" >&2; exit 2; }
export JAVA_HOME=${java_bin%/bin/java}
if ((build)); then
    echo "building walden: mvn -B -q package -DskipTests ${BENCH_MAVEN_ARGS:-}"
    # shellcheck disable=SC2086 # extra Maven arguments are meant to be split
    buildlog=$(mktemp /tmp/walden-archive-bench-build.XXXXXX)
    (cd "$root" && mvn -B -q package -DskipTests ${BENCH_MAVEN_ARGS:-}) >"$buildlog" 2>&1 \
        || { tail -40 "$buildlog" >&2; rm -f "$buildlog"; echo "the build failed" >&2; exit 1; }
    rm -f "$buildlog"
fi
[[ -x $home/bin/walden-push ]] || { echo "no $home/bin/walden-push: build first (mvn -B package -DskipTests)" >&2; exit 2; }
[[ -x $pgbin/initdb ]] || { echo "no PostgreSQL programs in $pgbin (set WALDEN_PG_BIN)" >&2; exit 2; }
pg_major=$("$pgbin/postgres" --version | sed -n 's/.* \([0-9][0-9]*\)\.[0-9].*/\1/p')
module_so=$home/lib/postgresql/$pg_major/walden_archive.so
for c in "${contenders[@]}"; do
    case $c in
        walden-module*) [[ -r $module_so ]] || { echo "no $module_so: the archive module was not built (needs gcc and postgresql-server-dev-$pg_major)" >&2; exit 2; } ;;
        walden-native*) [[ $(head -c 4 "$home/bin/walden-push" | tail -c 3) == ELF ]] \
            || { echo "$home/bin/walden-push is not the native client (needs gcc at build time)" >&2; exit 2; } ;;
    esac
done

if [[ $(id -u) -eq 0 ]]; then
    if ! command -v pgbackrest >/dev/null; then
        echo "pgbackrest is missing: installing Debian's package (apt-get install -y pgbackrest)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbackrest >/dev/null
    fi
    id -u walden-test >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/walden-test walden-test
    rest=()
    for a in "${args[@]}"; do [[ $a == --no-build ]] || rest+=("$a"); done
    exec runuser -u walden-test -- env -u BENCH_MAVEN_ARGS WALDEN_PG_BIN="$pgbin" bash "$here/archive-bench.sh" --no-build "${rest[@]}"
fi
command -v pgbackrest >/dev/null || { echo "pgbackrest is missing: apt-get install pgbackrest (or run this as root)" >&2; exit 2; }

declare -A label=([walden-java]="walden java (zstd-3)" [walden-native]="walden native (zstd3)"
    [walden-module]="walden module (zstd3)" [walden-module-lz4]="walden module (lz4)"
    [walden-native-lz4]="walden native (lz4)" [pgbr-lz4]="pgBackRest async lz4"
    [pgbr-zst]="pgBackRest async zst" [cp]="cp+fsync+rename" [true]="true (floor)"
    [walden-native-enc]="walden native+aes-gcm" [pgbr-zst-cbc]="pgBackRest zst+cbc")
tick=$(getconf CLK_TCK)
seg_mib=16
tmp=$(mktemp -d /tmp/walden-archive-bench.XXXXXX)
declare -A R # results: R[measure.contender]

# --- clean-up: every cluster, agent and pgBackRest process of this run, then the directory ----
cleanup() {
    set +e
    trap - EXIT INT TERM
    local d pid
    for d in "$tmp"/*/pg "$tmp/seed"; do
        [[ -f $d/postmaster.pid ]] && "$pgbin/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1
    done
    for pid in ${agent_pid:-} ${sampler_pid:-}; do kill "$pid" 2>/dev/null; done
    # pgBackRest's async processes detach from their parent; ours name our config file
    for pid in $(pgrep -u "$(id -u)" -f -- "--config=$tmp/" 2>/dev/null); do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

psql_() { # port, sql
    "$pgbin/psql" -h "$tmp/sock" -p "$1" -U postgres -qAtX -v ON_ERROR_STOP=1 -c "$2" postgres
}
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.2f", e - s }'; }
ready_count() { # pgdata
    local r=("$1"/pg_wal/archive_status/*.ready)
    echo "${#r[@]}"
}
shopt -s nullglob
mkdir -p "$tmp/sock"

# --- the seed cluster and its fixed set of real segments ---------------------------------------
# archive_mode = on with an empty archive_command: PostgreSQL keeps every finished segment and its
# .ready file (archiving "not configured"), exactly what a backlog looks like.
common_conf() {
    cat <<CONF
listen_addresses = ''
unix_socket_directories = '$tmp/sock'
wal_level = replica
archive_mode = on
archive_command = ''
max_wal_size = '1GB'
checkpoint_timeout = '30min'
log_min_messages = 'warning'
CONF
}
# the seed, one copy of it and what one contender stores (cp: all of it), plus 2 GiB
need_mib=$((3 * segments * seg_mib + 2048))
free_mib=$(df -Pm "$tmp" | awk 'NR == 2 { print $4 }')
((free_mib >= need_mib)) || { echo "$tmp: $free_mib MiB free, --segments $segments needs about $need_mib MiB" >&2; exit 1; }
cpu_busy() { # percent of all cores busy over 2 s (everything on the machine, this script included)
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
    sleep 2
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.0f %%", 100 * (y[1] - x[1]) / (y[2] - x[2]) }'
}
others() { # the busiest processes right now, before this run starts any (a quiet machine has none)
    top -b -n 2 -d 1 -w 200 2>/dev/null | awk '/^top -/ { n++ } n == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 >= 10 && $12 != "top" {
        printf "%s%s:%s %s%%", sep, $2, $12, $9; sep = ", " }'
}
echo "== $(date -u '+%F %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
    "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r), $free_mib MiB free in $tmp"
echo "== before the run: CPU busy $(cpu_busy); processes >= 10 % CPU: $(others | sed 's/^$/none/')"
echo "== $("$pgbin/postgres" --version), $(pgbackrest version), $("$home/bin/walden" --version 2>/dev/null | head -1 || echo 'walden ?'), $("$(cat "$home/lib/java.path")" -version 2>&1 | head -1)"
echo "making the fixed set: $segments real 16 MiB segments from a bulk-insert workload ..."
"$pgbin/initdb" -D "$tmp/seed" -U postgres --auth=trust >/dev/null
common_conf >> "$tmp/seed/postgresql.conf"
# (fsync off for the seed only, on the command line: the contenders' postgresql.conf stays the same)
"$pgbin/pg_ctl" -D "$tmp/seed" -l "$tmp/seed.log" -o "-p 55430 -c fsync=off" -w start >/dev/null
psql_ 55430 "CREATE TABLE t (id bigint, payload text)"
start=$SECONDS
for ((i = 0; $(ready_count "$tmp/seed") < segments && i < 10 * segments; i++)); do
    ((SECONDS - start < 600)) || { echo "seed: no $segments segments after 600 s" >&2; exit 1; }
    psql_ 55430 "INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 100000) g" >/dev/null
    if ((i % 5 == 4)); then psql_ 55430 "TRUNCATE t"; fi
done
psql_ 55430 "TRUNCATE t; CHECKPOINT"
"$pgbin/pg_ctl" -D "$tmp/seed" -m fast -w stop >/dev/null
mapfile -t seg_all < <(cd "$tmp/seed/pg_wal/archive_status" && ls -- *.ready | sed 's/\.ready$//' | sort)
((${#seg_all[@]} >= segments)) || { echo "seed: only ${#seg_all[@]} segments" >&2; exit 1; }
nseg=${#seg_all[@]} # the fixed set: every .ready segment of the seed (a few more than asked, at most)
sync
echo "fixed set: $nseg segments (${seg_all[0]} .. ${seg_all[-1]}), $((nseg * seg_mib)) MiB"

# --- contenders -----------------------------------------------------------------------------
port_of() { # contender -> its cluster's port: 55431 onwards, in the order of known
    local i
    for i in "${!known[@]}"; do
        if [[ ${known[i]} == "$1" ]]; then echo $((55431 + i)); fi
    done
}
is_module() { [[ $1 == walden-module* ]]; }

archive_command_of() { # contender -> the archive_command, with %p (the module: none)
    local c=$1 d=$tmp/$1
    case $c in
        walden-java) echo "$home/bin/walden-push-java --config $d/walden.conf %p" ;;
        walden-native*) echo "$home/bin/walden-push --config $d/walden.conf %p" ;;
        walden-module*) echo "" ;;
        pgbr-*) echo "pgbackrest --config=$d/pgbackrest.conf --stanza=bench archive-push %p" ;;
        cp) echo "$d/cp-archive.sh %p $d/archive" ;;
        true) echo "true %p" ;;
    esac
}
# switches PostgreSQL's archiving on (the contender's archive_command; for the module, loaded
# by the archiver from the start, walden.socket) or off again; the reload wakes the archiver.
# The module's walden.socket is set in an included file: PostgreSQL 15's ALTER SYSTEM refuses a
# parameter the backend has not loaded. (archive_library itself is not switched at run time:
# PostgreSQL 15 restarts the archiver for that, and its postmaster may take up to a minute to.)
archiving() { # contender, on|off
    local c=$1 port
    port=$(port_of "$c")
    if is_module "$c"; then
        if [[ $2 == on ]]; then
            echo "walden.socket = '$tmp/$c/agent.sock'" > "$tmp/$c/pg/walden_archiving.conf"
        else
            echo "walden.socket = ''" > "$tmp/$c/pg/walden_archiving.conf"
        fi
    elif [[ $2 == on ]]; then
        psql_ "$port" "ALTER SYSTEM SET archive_command = '$(archive_command_of "$c")'"
    else
        psql_ "$port" "ALTER SYSTEM RESET archive_command"
    fi
    psql_ "$port" "SELECT pg_reload_conf()" >/dev/null
}

stored_dir() { # where the contender keeps archived WAL
    case $1 in walden-*) echo "$tmp/$1/repo/wal" ;; pgbr-*) echo "$tmp/$1/repo/archive" ;; *) echo "$tmp/$1/archive" ;; esac
}
stored_count() { { find "$(stored_dir "$1")" -type f -name '0000*' ! -name '*.tmp' 2>/dev/null || true; } | wc -l; }
stored_bytes() { { find "$(stored_dir "$1")" -type f -name '0000*' -printf '%s\n' 2>/dev/null || true; } | awk '{ s += $1 } END { printf "%.0f\n", s }'; }

# copies the seed, starts PostgreSQL (archive_command still empty), sets the contender up. The
# seed's .ready files wait in $d/stash until a measure hands them back, so that no contender that
# watches archive_status (look-ahead) can start on the backlog before the clock does.
up() {
    local c=$1 d=$tmp/$1 port
    port=$(port_of "$c")
    rm -rf "$d"
    mkdir -p "$d/stash"
    cp -a "$tmp/seed" "$d/pg"
    mv "$d/pg"/pg_wal/archive_status/*.ready "$d/stash/"
    # the module is loaded from the start, "not configured" (no walden.socket) until switched on
    if is_module "$c"; then
        printf "archive_library = '%s'\ninclude = 'walden_archiving.conf'\n" "$module_so" >> "$d/pg/postgresql.conf"
        echo "walden.socket = ''" > "$d/pg/walden_archiving.conf"
    fi
    sync # the copy (up to 32 GiB) is on disk before any clock runs
    "$pgbin/pg_ctl" -D "$d/pg" -l "$d/pg.log" -o "-p $port" -w start >/dev/null
    case $c in
        walden-*)
            printf 'pgdata = %s\nrepository.path = %s\nagent.socket = %s\nhttp.listen = off\nschedule =\n' \
                "$d/pg" "$d/repo" "$d/agent.sock" > "$d/walden.conf"
            if [[ $c == *-lz4 ]]; then echo "compression = lz4" >> "$d/walden.conf"; fi
            if [[ $c == *-enc ]]; then
                # the master key: 64 hex digits, mode 0600, owned by this user (the agent's);
                # recorded by walden init, which writes the repository's keyring.json
                (umask 077 && head -c 32 /dev/urandom | od -An -v -tx1 | tr -d ' \n' > "$d/walden.key")
                chmod 600 "$d/walden.key"
                printf 'repository.encryption = aes-256-gcm\nrepository.encryption.key_file = %s\n' \
                    "$d/walden.key" >> "$d/walden.conf"
            fi
            "$home/bin/walden" init --config "$d/walden.conf" >/dev/null
            "$home/bin/walden" agent --config "$d/walden.conf" 2>"$d/agent.log" &
            agent_pid=$!
            for ((i = 0; i < 150; i++)); do
                "$home/bin/walden-push" --config "$d/walden.conf" --ping 2>/dev/null && break
                kill -0 "$agent_pid" 2>/dev/null || { cat "$d/agent.log" >&2; exit 1; }
                sleep 0.1
            done
            ;;
        pgbr-*)
            mkdir -p "$d/repo" "$d/spool" "$d/lock" "$d/log"
            local cipher=
            if [[ $c == *-cbc ]]; then # set before stanza-create: the repository is made encrypted
                cipher="repo1-cipher-type=aes-256-cbc
repo1-cipher-pass=$(head -c 48 /dev/urandom | base64 -w0 | tr -d '+/=')"
            fi
            (umask 077 && : > "$d/pgbackrest.conf")
            cat > "$d/pgbackrest.conf" <<CONF
[global]
repo1-path=$d/repo
spool-path=$d/spool
lock-path=$d/lock
log-path=$d/log
log-level-console=warn
log-level-stderr=warn
log-level-file=info
archive-async=y
process-max=2
compress-type=$(c=${c#pgbr-} && echo "${c%-cbc}")
$cipher

[bench]
pg1-path=$d/pg
pg1-socket-path=$tmp/sock
pg1-port=$port
pg1-user=postgres
CONF
            pgbackrest --config="$d/pgbackrest.conf" --stanza=bench stanza-create >/dev/null
            ;;
        cp)
            mkdir -p "$d/archive"
            # the durable cp: copy to a temporary name, fsync it, rename, fsync the directory;
            # an identical file already there is a success, a different one a failure
            cat > "$d/cp-archive.sh" <<'SH'
#!/bin/sh
set -e
dst=$2/${1##*/}
if [ -f "$dst" ]; then cmp -s "$1" "$dst"; exit; fi
cp "$1" "$dst.tmp"
sync "$dst.tmp"
mv "$dst.tmp" "$dst"
sync "$2"
SH
            chmod +x "$d/cp-archive.sh"
            ;;
    esac
}

# what went wrong, if anything: PostgreSQL's warnings and errors (but the expected "archiving is
# not configured" while the backlog waits), the agent's warnings and errors, failed calls
log_summary() { # contender
    local c=$1 d=$tmp/$1 f n p
    local bad='WARNING|ERROR|FATAL|PANIC|level=(WARN|ERROR)|"level":"(WARN|ERROR)"| (WARN|ERROR): ' ok='archiving is not configured'
    for f in "$d/pg.log" "$d/agent.log" "$d/calls.log" "$d"/log/*.log; do
        [[ -s $f ]] || continue
        p=$bad
        if [[ $f == */calls.log ]]; then p=. ; fi # an archive command that printed anything
        n=$(grep -E -- "$p" "$f" | grep -cv -- "$ok" || true)
        ((n > 0)) || continue
        echo "  $c: $n warning/error line(s) in ${f#"$d/"}, e.g.:"
        grep -E -- "$p" "$f" | grep -v -- "$ok" | head -3 | cut -c1-300 | sed 's/^/      /'
    done
}

down() {
    local c=$1 d=$tmp/$1 pid
    "$pgbin/pg_ctl" -D "$d/pg" -m fast -w stop >/dev/null 2>&1 || "$pgbin/pg_ctl" -D "$d/pg" -m immediate stop >/dev/null 2>&1 || true
    if [[ -n ${agent_pid:-} ]]; then
        kill "$agent_pid" 2>/dev/null || true
        wait "$agent_pid" 2>/dev/null || true
        agent_pid=
    fi
    for ((i = 0; i < 100; i++)); do # pgBackRest's async process ends by itself shortly
        [[ -z $(pgrep -u "$(id -u)" -f -- "--config=$d/" || true) ]] && break
        sleep 0.1
    done
    for pid in $(pgrep -u "$(id -u)" -f -- "--config=$d/" || true); do kill "$pid" 2>/dev/null || true; done
    log_summary "$c"
    rm -rf "$d"
}

# --- CPU and memory ---------------------------------------------------------------------------
# The resident side (walden's agent; pgBackRest's archive-push:async process and its :local
# workers, which detach from the archive command) is sampled every 0.2 s: CPU ticks, VmHWM and
# VmRSS per pid. Peak RSS: the larger of one process's VmHWM and the sum of VmRSS in one round. The archive commands
# are children PostgreSQL's archiver waits for, so their CPU is in the archiver's cutime + cstime.
proc_ticks() { # pid -> utime+stime, or cutime+cstime with "children"
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    s=${s##*) }
    awk -v k="${2:-self}" '{ print (k == "children") ? $14 + $15 : $12 + $13 }' <<<"$s"
}
sampler() { # contender, out file; ends when the stop file appears (at most 1 h)
    local c=$1 out=$2 pid mem t round=0 end=$((SECONDS + 3600))
    while [[ ! -e $out.stop ]] && ((SECONDS < end)); do
        if [[ $c == walden-* ]]; then
            pids=$agent_pid
        elif [[ $c == pgbr-* ]]; then
            pids=$(pgrep -u "$(id -u)" -f -- "--config=$tmp/$c/.*archive-push:(async|local)" || true)
        else
            pids=
        fi
        for pid in $pids; do
            t=$(proc_ticks "$pid")
            mem=$(awk '/^VmHWM/ { h = $2 } /^VmRSS/ { r = $2 } END { if (h) print h, r }' "/proc/$pid/status" 2>/dev/null || true)
            if [[ -n $mem ]]; then echo "$round $pid $t $mem" >> "$out"; fi
        done
        round=$((round + 1))
        sleep 0.2
    done
}
start_sampler() { # contender
    samples=$tmp/samples.$1.$RANDOM
    : > "$samples"
    sampler "$1" "$samples" &
    sampler_pid=$!
}
stop_sampler() { # -> "cpu_seconds peak_rss_mib" of the resident side since start_sampler
    touch "$samples.stop"
    wait "$sampler_pid" 2>/dev/null || true
    sampler_pid=
    awk -v tick="$tick" -v base="$1" '
        { if ($3 > last[$2]) last[$2] = $3; if (!($2 in first)) first[$2] = $3
          if ($4 > peak) peak = $4; sum[$1] += $5 }
        END { for (p in last) ticks += last[p] - ((p == base) ? first[p] : 0)
              for (r in sum) if (sum[r] > peak) peak = sum[r]
              printf "%.1f %.0f\n", ticks / tick, peak / 1024 }' "$samples"
}
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat; }
busy_since() { # "busy total" from cpu_ticks -> percent of all cores busy since then (every process)
    local now_
    now_=$(cpu_ticks)
    awk -v a="$1" -v b="$now_" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]) }'
}
archiver_pid() { psql_ "$(port_of "$1")" "SELECT pid FROM pg_stat_activity WHERE backend_type = 'archiver'"; }

# --- latency --------------------------------------------------------------------------------
percentiles() { sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    i = int(NR * 0.9 + 0.999); if (i > NR) i = NR; printf "%.1f %.1f\n", m, v[i] }'; }
call() { # contender, segment -> milliseconds, run as PostgreSQL runs archive_command
    local cmd s e
    cmd=$(archive_command_of "$1")
    cmd=${cmd//%p/pg_wal/$2}
    s=$EPOCHREALTIME
    sh -c "$cmd" >>"$tmp/$1/calls.log" 2>&1 || { echo "$1: archive_command failed for $2: $(tail -3 "$tmp/$1/calls.log")" >&2; exit 1; }
    e=$EPOCHREALTIME
    awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f\n", (e - s) * 1000 }'
}
mark_done() { mv "$1/pg_wal/archive_status/$2.ready" "$1/pg_wal/archive_status/$2.done"; }
settle() { # contender, target stored count: wait while the contender stores files by itself
    local c=$1 target=$2 n last=-1 still=0 end=$((SECONDS + 60))
    while ((SECONDS < end)); do
        n=$(stored_count "$c")
        ((n >= target)) && break
        if ((n == last)); then ((++still >= 10)) && break; else still=0; fi
        last=$n
        sleep 0.2
    done
}

wait_drained() { # contender, seconds at most: until PostgreSQL's archiver has no .ready file left
    local end=$((SECONDS + $2))
    while (($(ready_count "$tmp/$1/pg") > 0)); do
        ((SECONDS < end)) || { echo "$1: .ready files still there after $2 s" >&2; log_summary "$1" >&2; exit 1; }
        sleep 0.01
    done
}
# the module has no command to time: PostgreSQL's archiver drains the cold set (not yet stored;
# the agent's look-ahead and the archiver work on it together), then, with archiving off again,
# the rest of the fixed set appears, the agent stores it by look-ahead, and the archiver drains
# it (already stored). Per file: from the first file's .done to the last one's, divided by the
# files archived in between (n - 1), so that switching archiving on (a psql reload, slow while
# the agent's workers hold both cores) stays out; polled every 2 ms. What the first file took
# from the switch is printed.
wait_file() { # path, seconds at most
    local end=$((SECONDS + $2))
    until [[ -e $1 ]]; do
        ((SECONDS < end)) || { echo "no $1 after $2 s" >&2; exit 1; }
        sleep 0.002
    done
}
module_drain() { # contender, key, the segments .ready: drains them, sets R[key.c] (ms per file), R[key_first.c]
    local c=$1 key=$2 pg=$tmp/$1/pg s f e
    shift 2
    s=$(now)
    archiving "$c" on
    wait_file "$pg/pg_wal/archive_status/$1.done" 600
    f=$(now)
    wait_drained "$c" 600
    e=$(now)
    R[$key.$c]=$(awk -v f="$f" -v e="$e" -v n="$#" 'BEGIN { printf "%.2f", (e - f) * 1000 / (n - 1) }')
    R[${key}_first.$c]=$(awk -v s="$s" -v f="$f" 'BEGIN { printf "%.0f", (f - s) * 1000 }')
}
run_latency_module() {
    local c=$1 d=$tmp/$1 pg=$tmp/$1/pg seg
    local cold=("${seg_all[@]:0:calls}") warm=("${seg_all[@]:calls}")
    for seg in "${cold[@]}"; do mv "$d/stash/$seg.ready" "$pg/pg_wal/archive_status/"; done
    module_drain "$c" cold_med "${cold[@]}"
    archiving "$c" off
    sleep 0.5 # the idle archiver reloads at once
    for seg in "${warm[@]}"; do mv "$d/stash/$seg.ready" "$pg/pg_wal/archive_status/"; done
    settle "$c" "$nseg"
    R[warm_primed.$c]=$((nseg - $(stored_count "$c")))
    module_drain "$c" warm_med "${warm[@]}"
    R[cold_p90.$c]=- R[warm_p90.$c]=- R[lat_n.$c]="$((calls - 1)) / $((${#warm[@]} - 1)) drained"
    echo "  $c (drain / files): cold ${R[cold_med.$c]} ms ($((calls - 1)) files; the first took ${R[cold_med_first.$c]} ms" \
        "from switching on), warm ${R[warm_med.$c]} ms ($((${#warm[@]} - 1)) files; first ${R[warm_med_first.$c]} ms;" \
        "not stored by look-ahead before: ${R[warm_primed.$c]})"
}

run_latency() {
    local c=$1 d=$tmp/$1 pg=$tmp/$1/pg seg ms primed=0 i
    local cold=("${seg_all[@]:0:calls}") warm=("${seg_all[@]:calls:calls}")
    up "$c"
    if is_module "$c"; then run_latency_module "$c"; down "$c"; return; fi
    cd "$pg"
    # cold: PostgreSQL's archiver is caught up, the new segment's .ready is the only one
    : > "$d/cold.ms"
    for seg in "${cold[@]}"; do
        mv "$d/stash/$seg.ready" "$pg/pg_wal/archive_status/"
        call "$c" "$seg" >> "$d/cold.ms"
        mark_done "$pg" "$seg"
    done
    # warm: a backlog of .ready files; the first call archives (pgBackRest's async process pushes
    # the whole backlog ahead); whatever the contender has not stored by itself once it stops
    # making progress is archived by one untimed call; then every call is for a stored file
    for seg in "${warm[@]}"; do mv "$d/stash/$seg.ready" "$pg/pg_wal/archive_status/"; done
    call "$c" "${warm[0]}" >/dev/null
    mark_done "$pg" "${warm[0]}"
    settle "$c" $((2 * calls))
    for seg in "${warm[@]:1}"; do
        if ! { find "$(stored_dir "$c")" -name "$seg*" ! -name '*.tmp' 2>/dev/null || true; } | grep -q .; then
            call "$c" "$seg" >/dev/null
            primed=$((primed + 1))
        fi
    done
    : > "$d/warm.ms"
    for seg in "${warm[@]:1}"; do
        call "$c" "$seg" >> "$d/warm.ms"
        mark_done "$pg" "$seg"
    done
    cd "$tmp"
    read -r "R[cold_med.$c]" "R[cold_p90.$c]" < <(percentiles < "$d/cold.ms")
    read -r "R[warm_med.$c]" "R[warm_p90.$c]" < <(percentiles < "$d/warm.ms")
    R[warm_primed.$c]=$primed R[lat_n.$c]="$calls / $((calls - 1)) calls"
    echo "  $c: cold median ${R[cold_med.$c]} ms, warm median ${R[warm_med.$c]} ms (primed by an extra call: $primed of $((calls - 1)))"
    down "$c"
}

# --- push-all, then the workload ----------------------------------------------------------------
run_push_all() { # leaves the cluster up for run_workload
    local c=$1 d=$tmp/$1 pg=$tmp/$1/pg port s e arch a0 a1 cpu rss who=children
    port=$(port_of "$c")
    up "$c"
    arch=$(archiver_pid "$c")
    if is_module "$c"; then who=self; fi # the module runs in the archiver: its own CPU
    start_sampler "$c"
    a0=$(proc_ticks "$arch" "$who")
    local m0
    m0=$(cpu_ticks)
    s=$(now)
    mv "$d"/stash/*.ready "$pg/pg_wal/archive_status/" # the backlog appears, the clock runs
    archiving "$c" on
    wait_drained "$c" 600
    e=$(now)
    a1=$(proc_ticks "$arch" "$who")
    R[pa_busy.$c]=$(busy_since "$m0")
    read -r cpu rss < <(stop_sampler "${agent_pid:-}")
    R[pa_s.$c]=$(elapsed "$s" "$e")
    R[pa_segs.$c]=$(awk -v n="$nseg" -v t="${R[pa_s.$c]}" 'BEGIN { printf "%.1f", n / t }')
    R[pa_mibs.$c]=$(awk -v n="$nseg" -v t="${R[pa_s.$c]}" -v m="$seg_mib" 'BEGIN { printf "%.0f", n * m / t }')
    R[pa_stored.$c]=$(stored_bytes "$c")
    R[pa_ratio.$c]=$(awk -v n="$nseg" -v b="${R[pa_stored.$c]}" -v m="$seg_mib" 'BEGIN { if (b > 0) printf "%.1f", n * m * 1048576 / b; else print "-" }')
    R[pa_cmdcpu.$c]=$(awk -v t="$((a1 - a0))" -v k="$tick" 'BEGIN { printf "%.1f", t / k }')
    R[pa_cpu.$c]=$cpu R[pa_rss.$c]=$rss
    [[ $c == cp || $c == true ]] && R[pa_cpu.$c]=- R[pa_rss.$c]=-
    echo "  $c: $nseg segments in ${R[pa_s.$c]} s, $(numfmt --to=iec "${R[pa_stored.$c]}")B stored"
}

run_workload() {
    local c=$1 d=$tmp/$1 pg=$tmp/$1/pg port arch a0 a1 l0 l1 n0 n1 s e w cpu rss k pids=() who=children
    port=$(port_of "$c")
    arch=$(archiver_pid "$c")
    if is_module "$c"; then who=self; fi
    for ((k = 1; k <= clients; k++)); do psql_ "$port" "CREATE TABLE IF NOT EXISTS w$k (id bigint, payload text)"; done
    start_sampler "$c"
    a0=$(proc_ticks "$arch" "$who")
    l0=$(psql_ "$port" "SELECT pg_current_wal_lsn()")
    n0=$(psql_ "$port" "SELECT archived_count FROM pg_stat_archiver")
    s=$(now)
    for ((k = 1; k <= clients; k++)); do
        (
            end=$((SECONDS + seconds))
            for ((i = 0; SECONDS < end && i < 100000; i++)); do
                psql_ "$port" "INSERT INTO w$k SELECT g, repeat('x', 200) FROM generate_series(1, 100000) g"
                if ((i % 4 == 3)); then psql_ "$port" "TRUNCATE w$k"; fi
            done
        ) &
        pids+=($!)
    done
    wait "${pids[@]}"
    w=$(now)
    l1=$(psql_ "$port" "SELECT pg_current_wal_lsn()")
    n1=$(psql_ "$port" "SELECT archived_count FROM pg_stat_archiver")
    R[wl_ready.$c]=$(ready_count "$pg")
    local end=$((SECONDS + drain_timeout))
    while (($(ready_count "$pg") > 0)) && ((SECONDS < end)); do sleep 0.05; done
    e=$(now)
    a1=$(proc_ticks "$arch" "$who")
    read -r cpu rss < <(stop_sampler "${agent_pid:-}")
    local secs
    secs=$(elapsed "$s" "$w")
    R[wl_walmibs.$c]=$(psql_ "$port" "SELECT round(pg_wal_lsn_diff('$l1', '$l0') / 1048576.0 / $secs, 1)")
    R[wl_made.$c]=$(awk -v m="${R[wl_walmibs.$c]}" -v s="$seg_mib" 'BEGIN { printf "%.1f", m / s }')
    R[wl_segs.$c]=$(awk -v n="$((n1 - n0))" -v t="$secs" 'BEGIN { printf "%.1f", n / t }')
    if (($(ready_count "$pg") > 0)); then
        R[wl_drain.$c]=">$drain_timeout"
    else
        R[wl_drain.$c]=$(elapsed "$w" "$e")
    fi
    R[wl_cmdcpu.$c]=$(awk -v t="$((a1 - a0))" -v k="$tick" 'BEGIN { printf "%.1f", t / k }')
    R[wl_cpu.$c]=$cpu R[wl_rss.$c]=$rss
    [[ $c == cp || $c == true ]] && R[wl_cpu.$c]=- R[wl_rss.$c]=-
    echo "  $c: ${R[wl_walmibs.$c]} MiB/s of WAL for $secs s, ${R[wl_ready.$c]} .ready at the end, drained in ${R[wl_drain.$c]} s"
}

# --- tables -------------------------------------------------------------------------------------
# One column per contender. A row is "label|key": R[key.contender]; "label|key|x": that value over
# pgBackRest async lz4's (for times, below 1 is faster); "label|key|/": pgBackRest async lz4's
# over that value (for times: how many times faster than pgBackRest async lz4; 1.5 = 1.5x);
# "label|key|x|REF", "label|key|/|REF": the same against contender REF's value instead.
table() { # title, then rows
    local title=$1 row lbl key op ref c v
    shift
    echo
    echo "$title"
    printf '%-44s' ""
    for c in "${contenders[@]}"; do printf ' %21s' "${label[$c]}"; done
    echo
    for row in "$@"; do
        IFS='|' read -r lbl key op ref <<<"$row"
        printf '%-44s' "$lbl"
        for c in "${contenders[@]}"; do
            v=${R[$key.$c]:-n/a}
            if [[ -n $op ]]; then
                v=$(awk -v a="$v" -v b="${R[$key.${ref:-pgbr-lz4}]:-x}" -v op="$op" 'BEGIN {
                    if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || a == 0 || b == 0) { print "-"; exit }
                    printf "%.2f", (op == "/") ? b / a : a / b }')
            fi
            printf ' %21s' "$v"
        done
        echo
    done
}

if [[ $mode == latency || $mode == all ]]; then
    echo
    echo "latency: $calls cold and $calls warm calls per contender ..."
    for c in "${contenders[@]}"; do run_latency "$c"; done
fi
if [[ $mode != latency ]]; then
    echo
    if [[ $mode == push-all ]]; then echo "push-all: $nseg segments ..."; else echo "push-all: $nseg segments; then workload: $clients client(s) x $seconds s ..."; fi
    for c in "${contenders[@]}"; do
        run_push_all "$c"
        [[ $mode == push-all ]] || run_workload "$c"
        down "$c"
    done
fi

echo
echo "== results ($(date -u '+%F %H:%M UTC'), $(nproc) cores, load average now $(cut -d' ' -f1-3 /proc/loadavg))"
if [[ $mode == latency || $mode == all ]]; then
    table "per-call latency of archive_command, ms (sh -c from pgdata, as PostgreSQL runs it; walden module*: per file from a drain)" \
        "not yet stored: median (module*: drain/file)|cold_med" "not yet stored: p90|cold_p90" \
        "already stored: median (module*: drain/file)|warm_med" "already stored: p90|warm_p90" \
        "already stored: median / pgBR lz4's|warm_med|x" \
        "calls timed (cold / warm)|lat_n" \
        "(warm files archived by an extra call)|warm_primed"
    if [[ " ${contenders[*]} " == *" walden-module"* ]]; then
        echo "module*: no command per file: the figure is PostgreSQL's archiver draining that many .ready files"
        echo "through walden_archive.so, from the first file archived to the last, divided by the files in between"
        echo "(the row \"calls timed\"); the warm files were stored by the agent's look-ahead before (the last row: those it had not)."
    fi
fi
if [[ $mode != latency ]]; then
    for c in "${contenders[@]}"; do
        R[pa_storedmib.$c]=$(awk -v b="${R[pa_stored.$c]}" 'BEGIN { printf "%.1f", b / 1048576 }')
    done
    # the speed against pgBackRest async lz4; with walden-native-enc also against walden's own
    # speed without encryption and pgBackRest's with its cipher (each when in the run)
    speed=()
    selected() { [[ " ${contenders[*]} " == *" $1 "* ]]; }
    if selected pgbr-lz4; then speed+=("x as fast as pgBackRest async lz4|pa_s|/"); fi
    if selected walden-native-enc; then
        for ref in walden-native pgbr-zst pgbr-zst-cbc; do
            if selected "$ref"; then speed+=("x as fast as ${label[$ref]}|pa_s|/|$ref"); fi
        done
    fi
    table "push-all: $nseg segments ($((nseg * seg_mib)) MiB) drained by PostgreSQL's archiver" \
        "seconds|pa_s" "segments/s|pa_segs" "MiB/s of WAL|pa_mibs" \
        ${speed[@]+"${speed[@]}"} \
        "MiB stored|pa_storedmib" \
        "compression ratio|pa_ratio" "resident CPU s (agent / async)|pa_cpu" \
        "resident peak RSS MiB|pa_rss" "archive_command CPU s (module*: archiver)|pa_cmdcpu" \
        "machine CPU busy %, every process|pa_busy"
    if selected walden-native-enc; then
        ratio() { # contender, reference -> the reference's seconds over the contender's
            awk -v a="${R[pa_s.$1]:-x}" -v b="${R[pa_s.$2]:-x}" 'BEGIN {
                if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || a == 0) print "-"; else printf "%.2f", b / a }'
        }
        echo
        echo -n "encrypted (walden-native-enc): ${R[pa_s.walden-native-enc]} s, peak RSS ${R[pa_rss.walden-native-enc]} MiB"
        if selected walden-native; then echo -n "; $(ratio walden-native-enc walden-native) x walden native's speed (${R[pa_s.walden-native]} s)"; fi
        if selected pgbr-zst-cbc; then echo -n "; $(ratio walden-native-enc pgbr-zst-cbc) x pgBackRest zst+cbc's (${R[pa_s.pgbr-zst-cbc]} s)"; fi
        if selected pgbr-zst && selected pgbr-zst-cbc; then echo -n "; pgBackRest's own cipher: zst+cbc at $(ratio pgbr-zst-cbc pgbr-zst) x zst's speed"; fi
        echo
    fi
fi
if [[ $mode == workload || $mode == all ]]; then
    table "workload: $clients x INSERT ... generate_series for $seconds s, archiving on" \
        "WAL MiB/s produced|wl_walmibs" "WAL segments produced/s|wl_made" "segments archived/s|wl_segs" ".ready pending at the end|wl_ready" \
        "seconds to drain them|wl_drain" "resident CPU s (agent / async)|wl_cpu" \
        "resident peak RSS MiB (whole run)|wl_rss" "archive_command CPU s (module*: archiver)|wl_cmdcpu"
fi
echo
echo "resident CPU/RSS: walden's agent; pgBackRest's archive-push:async and :local processes, sampled every 0.2 s"
echo "(a lower bound: a process that ends between samples loses its last 0.2 s); cp has none."
echo "== after the run: CPU busy $(cpu_busy) (nothing of this run is left running)"
