#!/usr/bin/env bash
# The agent's per-segment stages in MiB/s per core, with walden's own classes under JMH
# (bench/jmh: dev.walden.repo.Checksums and Compression), next to the command-line tools on the
# same file as the practical limit: sha256sum, `zstd -b1`, `zstd -b3`, `lz4 -b1` (single-threaded,
# in memory, as JMH is). Then the time to store one segment into a local repository (fsync
# included), the agent's old two-read way as the baseline next to its one-read way
# (bench/jmh: StoreBenchmark).
#
#   bench/pipeline-bench.sh [--no-build] [--quick] [SEGMENT]
#
# SEGMENT: a 16 MiB WAL segment to measure on. Without one, the script makes a real one: a
# throwaway PostgreSQL cluster ($WALDEN_PG_BIN, default /usr/lib/postgresql/15/bin) running
# pgbench -i -s 5, then pgbench's TPC-B (2 clients) until it has filled a whole segment of its
# own, which is the one measured; without PostgreSQL, JMH falls back to a synthetic 16 MiB mix
# (and the CLI tools get the same bytes).
#
# The build: `mvn -DskipTests install -pl repository -am` in the root (walden's jars into the
# local Maven repository; offline first), then `mvn package` of bench/jmh, which is a separate
# project, not a module of the root reactor. $BENCH_MAVEN_ARGS adds Maven arguments, e.g.
# -Dmaven.repo.local=... JMH: 1 fork, 3 warmup iterations of 2 s, 5 of 2 s (--quick: 1 of 1 s, 2 of
# 1 s). As root the measuring part re-runs itself as the unprivileged user walden-test.
set -euo pipefail
build=1 quick=0 segment=
args=("$@")
while (($#)); do
    case $1 in
        --no-build) build=0 ;;
        --quick) quick=1 ;;
        -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
        -*) echo "unknown option '$1'" >&2; exit 2 ;;
        *) segment=$1 ;;
    esac
    shift
done
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd "$here/.." && pwd -P)
pgbin=${WALDEN_PG_BIN:-/usr/lib/postgresql/15/bin}
jar=$here/jmh/target/walden-benchmarks.jar
# the build needs a JDK 21+: the one JAVA_HOME names if it is one, else the newest found
# shellcheck source=../dist/src/main/lib/find-java.sh
source "$root/dist/src/main/lib/find-java.sh"
java_bin=$(walden_find_java) || { echo "$java_bin" >&2; exit 2; }
export JAVA_HOME=${java_bin%/bin/java}
java=$JAVA_HOME/bin/java

mvn_() { # directory-or-pom args...: offline first (no network when everything is cached)
    # shellcheck disable=SC2086 # extra Maven arguments are meant to be split
    mvn -B -q -o "$@" ${BENCH_MAVEN_ARGS:-} >/dev/null 2>&1 || mvn -B -q "$@" ${BENCH_MAVEN_ARGS:-} >/dev/null
}
if ((build)); then
    echo "installing walden's repository module: mvn -DskipTests install -pl repository -am ${BENCH_MAVEN_ARGS:-}"
    (cd "$root" && mvn_ -DskipTests install -pl repository -am)
    echo "building the JMH jar: mvn -f bench/jmh/pom.xml package"
    mvn_ -f "$here/jmh/pom.xml" package
fi
[[ -f $jar ]] || { echo "no $jar: run without --no-build" >&2; exit 2; }

if [[ $(id -u) -eq 0 ]]; then
    id -u walden-test >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/walden-test walden-test
    rest=(--no-build)
    ((quick)) && rest+=(--quick)
    if [[ -n $segment ]]; then # hand walden-test a readable copy
        copy=$(mktemp /tmp/walden-pipeline-segment.XXXXXX)
        trap 'rm -f "$copy"' EXIT
        cp "$segment" "$copy"
        chmod 0644 "$copy"
        rest+=("$copy")
    fi
    runuser -u walden-test -- env WALDEN_PG_BIN="$pgbin" JAVA_HOME="${JAVA_HOME:-}" bash "$here/pipeline-bench.sh" "${rest[@]}"
    exit
fi

tmp=$(mktemp -d /tmp/walden-pipeline-bench.XXXXXX)
cleanup() {
    set +e
    [[ -f $tmp/pg/postmaster.pid ]] && "$pgbin/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

source_note=
if [[ -z $segment && -x $pgbin/initdb ]]; then
    echo "making a real WAL segment: pgbench -i -s 5, then pgbench's TPC-B until it has filled a segment, on PostgreSQL ($pgbin) ..."
    "$pgbin/initdb" -D "$tmp/pg" -U postgres --auth=trust --no-sync >/dev/null
    printf "listen_addresses = ''\nunix_socket_directories = '%s'\nfsync = off\nsynchronous_commit = off\nmax_wal_size = '4GB'\nwal_keep_size = '1GB'\n" \
        "$tmp" >> "$tmp/pg/postgresql.conf"
    "$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -o "-p 55439" -w start >/dev/null
    "$pgbin/pgbench" -h "$tmp" -p 55439 -U postgres -i -s 5 -q postgres >/dev/null 2>&1
    first=$("$pgbin/psql" -h "$tmp" -p 55439 -U postgres -qAtX -c "SELECT pg_walfile_name(pg_current_wal_lsn())" postgres)
    # TPC-B until it has filled at least one whole segment of its own (at most 12 x 5 s)
    for ((i = 0; i < 12; i++)); do
        "$pgbin/pgbench" -h "$tmp" -p 55439 -U postgres -n -c 2 -T 5 postgres >/dev/null 2>&1
        last=$("$pgbin/psql" -h "$tmp" -p 55439 -U postgres -qAtX -c "SELECT pg_walfile_name(pg_current_wal_lsn())" postgres)
        if (($((16#${last:16:8})) - $((16#${first:16:8})) >= 2)); then break; fi
    done
    "$pgbin/pg_ctl" -D "$tmp/pg" -m fast -w stop >/dev/null
    # the newest segment finished during the TPC-B run (else the one pgbench -i finished last)
    pick=$(cd "$tmp/pg/pg_wal" && ls | grep -E '^[0-9A-F]{24}$' | sort | awk -v l="$last" '$1 < l' | tail -1)
    [[ -n $pick ]] || { echo "no finished WAL segment" >&2; exit 1; }
    cp "$tmp/pg/pg_wal/$pick" "$tmp/segment"
    segment=$tmp/segment
    if [[ $pick > $first ]]; then
        source_note="real WAL: segment $pick, written by pgbench's TPC-B"
    else
        source_note="real WAL: segment $pick, written (at least partly) by pgbench -i"
    fi
    rm -rf "$tmp/pg"
elif [[ -n $segment ]]; then
    source_note="the given file $segment"
fi
if [[ -z $segment ]]; then
    echo "no PostgreSQL in $pgbin: a synthetic 16 MiB mix (PipelineBenchmark.synthetic) instead of real WAL"
    "$java" -cp "$jar" dev.walden.bench.WriteSynthetic "$tmp/segment"
    segment=$tmp/segment
    source_note="synthetic 16 MiB mix (no PostgreSQL found)"
fi
bytes=$(stat -c %s "$segment")
mib=$(awk -v b="$bytes" 'BEGIN { printf "%.4f", b / 1048576 }')

if ((quick)); then jmh=(-f 1 -wi 1 -w 1s -i 2 -r 1s); else jmh=(-f 1 -wi 3 -w 2s -i 5 -r 2s); fi
echo "== $(date -u '+%F %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $("$java" -version 2>&1 | head -1)"
echo "== input: $source_note, $bytes bytes"
echo "== JMH ${jmh[*]}, 1 thread, Mode.Throughput (ops/s x $mib MiB = MiB/s per core)"
"$java" -jar "$jar" "${jmh[@]}" -jvmArgsAppend --enable-native-access=ALL-UNNAMED -p "segment=$segment" \
    -rf csv -rff "$tmp/jmh.csv" PipelineBenchmark > "$tmp/jmh.log" 2>&1 || { tail -30 "$tmp/jmh.log" >&2; exit 1; }
declare -A J E
while IFS=, read -r name _ _ _ score err _; do
    name=${name//\"/}
    name=${name##*.}
    J[$name]=$(awk -v s="$score" -v m="$mib" 'BEGIN { printf "%.0f", s * m }')
    E[$name]=$(awk -v s="$err" -v m="$mib" 'BEGIN { if (s == "NaN") print "-"; else printf "%.0f", s * m }')
done < <(tail -n +2 "$tmp/jmh.csv")

# the CLI tools, single-threaded on the same bytes, in memory; their MB/s are 10^6 bytes
cli_bench() { # tool level -> "MiB/s ratio"
    local out
    out=$("$1" -b"$2" -i3 ${3:+"$3"} "$segment" 2>&1 | tr '\r' '\n' | grep -E 'MB/s' | tail -1)
    awk -v line="$out" 'BEGIN {
        if (match(line, /\(x? *[0-9.]+\)/)) { r = substr(line, RSTART, RLENGTH); gsub(/[()x ]/, "", r) } else r = "?"
        if (match(line, /[0-9.]+ MB\/s/)) { v = substr(line, RSTART, RLENGTH) + 0; printf "%.0f %s\n", v * 1000000 / 1048576, r }
        else print "? ?" }'
}
declare -A C
read -r "C[zstd1]" R1 < <(cli_bench zstd 1 -T1)
read -r "C[zstd3]" R3 < <(cli_bench zstd 3 -T1)
read -r "C[lz4]" RL < <(cli_bench lz4 1)
best=
for ((i = 0; i < 7; i++)); do # sha256sum over the file in the page cache: the best of 7
    s=$EPOCHREALTIME
    sha256sum "$segment" >/dev/null
    e=$EPOCHREALTIME
    t=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.6f", e - s }')
    best=$(awk -v b="${best:-999}" -v t="$t" 'BEGIN { print (t < b) ? t : b }')
done
C[sha256]=$(awk -v m="$mib" -v t="$best" 'BEGIN { printf "%.0f", m / t }')
if command -v openssl >/dev/null; then # OpenSSL uses the CPU's SHA extensions; coreutils may not
    best=
    for ((i = 0; i < 7; i++)); do
        s=$EPOCHREALTIME
        openssl dgst -sha256 "$segment" >/dev/null
        e=$EPOCHREALTIME
        t=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.6f", e - s }')
        best=$(awk -v b="${best:-999}" -v t="$t" 'BEGIN { print (t < b) ? t : b }')
    done
    C[sha256ssl]=$(awk -v m="$mib" -v t="$best" 'BEGIN { printf "%.0f", m / t }')
    J[sha256ssl]=${J[sha256]} E[sha256ssl]=${E[sha256]}
fi
# the pipeline against compression alone: the practical limit of one core at zstd level 3
C[sha256AndZstd3]=${C[zstd3]}

echo
printf '%-34s %12s %8s   %-30s %10s %9s\n' "stage (one segment, one core)" "walden MiB/s" "±" "CLI on the same file" "CLI MiB/s" "walden/CLI"
row() { # label key cli-label
    printf '%-34s %12s %8s   %-30s %10s %9s\n' "$1" "${J[$2]:-?}" "${E[$2]:--}" "$3" "${C[$2]:-?}" \
        "$(awk -v a="${J[$2]:-0}" -v b="${C[$2]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
}
row "SHA-256 (Checksums)" sha256 "sha256sum (best of 7 runs)"
[[ -n ${C[sha256ssl]:-} ]] && row "SHA-256 (Checksums)" sha256ssl "openssl dgst -sha256 (best of 7)"
row "zstd level 1 (Compression.ZSTD)" zstd1 "zstd -b1 -T1 (ratio $R1)"
row "zstd level 3, walden's default" zstd3 "zstd -b3 -T1 (ratio $R3)"
row "lz4 fast (Compression.LZ4, 0)" lz4 "lz4 -b1 (ratio $RL)"
row "SHA-256 + zstd 3, as ObjectPut" sha256AndZstd3 "zstd -b3 -T1 (compression only)"
echo
echo "± is JMH's 99.9% error (- with fewer than 3 iterations); sha256sum and openssl include their"
echo "process start and reading the file from the page cache; CLI tools: $(zstd --version 2>&1 | grep -oE 'v[0-9.]+' | head -1) zstd," \
    "$(lz4 --version 2>&1 | grep -oE 'v[0-9.]+' | head -1) lz4, $(sha256sum --version | head -1)"

# Storing one segment into a local repository (PosixStorage, fsync and rename included): the
# agent's two ways side by side, the two-read way being the baseline (see StoreBenchmark).
echo
echo "== JMH ${jmh[*]}, 1 thread, Mode.AverageTime (ms per segment, wall clock: CPU plus the fsync wait)"
"$java" -jar "$jar" "${jmh[@]}" -jvmArgsAppend --enable-native-access=ALL-UNNAMED -p "segment=$segment" \
    -rf csv -rff "$tmp/store.csv" StoreBenchmark > "$tmp/store.log" 2>&1 || { tail -30 "$tmp/store.log" >&2; exit 1; }
declare -A S
while IFS=, read -r name _ _ _ score _ _ codec _; do
    name=${name//\"/}
    codec=${codec//\"/}
    S[${name##*.},$codec]=$(awk -v s="$score" 'BEGIN { printf "%.1f", s }')
done < <(tail -n +2 "$tmp/store.csv")
printf '%-44s %14s %14s %9s\n' "store one segment (local repository)" "two reads ms" "one read ms" "one/two"
for codec in lz4 zstd; do
    label="lz4 fast"
    [[ $codec == zstd ]] && label="zstd 3, walden's default"
    printf '%-44s %14s %14s %9s\n' "$label" "${S[twoReads,$codec]:-?}" "${S[oneRead,$codec]:-?}" \
        "$(awk -v a="${S[oneRead,$codec]:-0}" -v b="${S[twoReads,$codec]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
done
echo "two reads: hash (SHA-256 and CRC-32C), then compress and store checking the CRC-32C (the agent's way"
echo "for a file too large to hold compressed); one read: hash and compress together, the compressed bytes"
echo "held in memory until the SHA-256 names the object (the agent's way for every default-size segment)"
