#!/usr/bin/env bash
# Build step of walden-native (mvn compile, the first module built): the native walden-push and the
# walden_archive module.
#
#   native/build.sh OUTPUT_DIR VERSION [MAJORS]
#
# OUTPUT_DIR/bin/walden-push                        needs a C compiler ($CC, else cc); linked
#                                                   statically unless WALDEN_NATIVE_LINK=dynamic (below)
# OUTPUT_DIR/lib/postgresql/MAJOR/walden_archive.so for every PostgreSQL major (15+) whose server
#                                                   headers are found (below; Debian: apt-get install
#                                                   postgresql-server-dev-15; other majors:
#                                                   native/pg-server-headers.sh MAJOR)
#
# What can't be built fails the build at once, naming what is missing, rather than leaving a
# distribution without it to fail later (scripts/prerequisites installs what ./run-tests needs):
# - no C compiler, or (by default) no static libc for walden-push;
# - MAJORS (mvn -Dwalden.native.majors=15,17; else $WALDEN_NATIVE_MAJORS) "15,17": no module for
#   one of these majors; empty: no module at all; "none": no module is needed (PostgreSQL 14 and
#   older have no archive modules).
# WALDEN_NATIVE=off builds nothing here: the distribution's bin/walden-push is then the Java client.
# A compile error or warning fails the build too (-Werror).
set -euo pipefail
out=$1
version=$2
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/src" && pwd -P)
rm -rf "$out/bin" "$out/lib"

fail() {
    echo "walden-native: $*" >&2
    echo "walden-native: FAILED; scripts/prerequisites lists and installs what a build needs;" \
        "WALDEN_NATIVE=off builds walden without its native parts (bin/walden-push is then the Java client)" >&2
    exit 1
}

case ${WALDEN_NATIVE:-on} in
    on) ;;
    off)
        echo "walden-native: WALDEN_NATIVE=off: the native walden-push and the walden_archive module are not built;" \
            "bin/walden-push will be the Java client"
        exit 0
        ;;
    *) fail "WALDEN_NATIVE must be on or off, not '$WALDEN_NATIVE'" ;;
esac
majors=${3:-${WALDEN_NATIVE_MAJORS:-}}
required=${majors//,/ }
if [[ -n $required && $required != none && ! $required =~ ^[0-9\ ]+$ ]]; then
    fail "the majors the module must be built for are PostgreSQL majors (e.g. 15,17) or 'none', not '$majors'"
fi

cc=${CC:-cc}
if ! command -v "$cc" >/dev/null 2>&1; then
    fail "no C compiler ('$cc'): the native walden-push and the walden_archive module can't be built" \
        "(Debian: apt-get install gcc libc6-dev)"
fi

warnings=(-Wall -Wextra -Werror -Wformat=2 -Wformat-security -Wshadow -Wvla -Wstrict-prototypes)
hardening=(-O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -Wl,-z,relro,-z,now,-z,noexecstack)

# walden-push is linked statically by default (-static-pie: still position-independent, full
# RELRO): PostgreSQL starts it once per WAL file, and loading libc.so is a measurable part of
# each call (docs/benchmarks.md, "Where a call's time goes"). It uses only libc's file, socket
# and string functions (no NSS, iconv or dlopen, the parts static glibc can't do), and each build
# links the libc.a installed then. WALDEN_NATIVE_LINK=dynamic links the system's libc.so instead,
# so that libc updates apply without rebuilding walden; without a static libc the build fails and
# names it.
link=${WALDEN_NATIVE_LINK:-static}
case $link in
    static)
        probe=$(mktemp -d)
        echo 'int main(void) { return 0; }' > "$probe/probe.c"
        if ! "$cc" -static-pie -fPIE -o "$probe/probe" "$probe/probe.c" >"$probe/log" 2>&1; then
            why=$(head -1 "$probe/log")
            rm -rf "$probe"
            fail "this toolchain can't link walden-push -static-pie ($why): install a static libc (Debian's" \
                "libc6-dev, Fedora's glibc-static), or link it against the system's libc.so: WALDEN_NATIVE_LINK=dynamic"
        fi
        rm -rf "$probe"
        link_flags=(-static-pie)
        ;;
    dynamic) link_flags=(-pie) ;;
    *) fail "WALDEN_NATIVE_LINK must be static or dynamic, not '$link'" ;;
esac

mkdir -p "$out/bin"
"$cc" -std=c11 -Wpedantic -Wconversion -Wno-sign-conversion "${warnings[@]}" "${hardening[@]}" -fPIE "${link_flags[@]}" \
    -DWALDEN_VERSION="\"$version\"" -o "$out/bin/walden-push" "$src/walden_push.c" "$src/walden_wire.c"
echo "walden-native: built $out/bin/walden-push ($link)"

# Every PostgreSQL major (15 or later) whose server headers are here gets its own module: a module
# loads only into the major it was compiled for. Where the headers are, in this order (the first
# found per major wins): pg_config's --includedir-server ($PG_CONFIG, else pg_config on PATH), the
# directories in $WALDEN_PG_SERVER_INCLUDES (colon-separated), Debian's
# /usr/include/postgresql/*/server and /usr/local/include/postgresql/*/server
# (native/pg-server-headers.sh puts other majors there).
candidates=()
pg_config=${PG_CONFIG:-$(command -v pg_config || true)}
if [[ -n $pg_config && -x $pg_config ]]; then
    candidates+=("$("$pg_config" --includedir-server 2>/dev/null || true)")
fi
IFS=: read -r -a extra <<< "${WALDEN_PG_SERVER_INCLUDES:-}"
candidates+=("${extra[@]}")
candidates+=(/usr/include/postgresql/*/server /usr/local/include/postgresql/*/server)

# PostgreSQL's headers are gnu11 and not -Wpedantic/-Wshadow clean; the module's own code is held
# to the same warnings through walden_wire.c, which walden-push compiles with all of them.
built=()
for include in "${candidates[@]}"; do
    [[ -n $include && -r $include/postgres.h && -r $include/pg_config.h ]] || continue
    major=$(sed -n 's/^#define PG_MAJORVERSION_NUM \([0-9][0-9]*\)$/\1/p' "$include/pg_config.h")
    if [[ -z $major || $major -lt 15 ]]; then
        echo "walden-native: PostgreSQL ${major:-?} ($include) has no archive modules (15 or later): skipped"
        continue
    fi
    [[ " ${built[*]} " == *" $major "* ]] && continue
    # A major whose headers the module doesn't compile against (a new one that changed the API) is
    # skipped, loudly, unless WALDEN_NATIVE_MAJORS asks for it (below).
    mkdir -p "$out/lib/postgresql/$major"
    if ! "$cc" -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wformat=2 \
        "${hardening[@]}" -fPIC -shared -I"$include" \
        -o "$out/lib/postgresql/$major/walden_archive.so" "$src/walden_archive.c" "$src/walden_wire.c"; then
        echo "walden-native: walden_archive does NOT compile against PostgreSQL $major's headers ($include," \
            "errors above): no module for PostgreSQL $major"
        rm -rf "$out/lib/postgresql/$major"
        continue
    fi
    echo "walden-native: built $out/lib/postgresql/$major/walden_archive.so (PostgreSQL $major, headers in $include)"
    built+=("$major")
done
where="pg_config --includedir-server, \$WALDEN_PG_SERVER_INCLUDES, /usr/include/postgresql/*/server, /usr/local/include/postgresql/*/server"
if [[ $required == none ]]; then
    ((${#built[@]})) || echo "walden-native: no walden_archive module (none asked for)"
elif [[ -n $required ]]; then
    for major in $required; do
        if [[ " ${built[*]} " != *" $major "* ]]; then
            fail "no walden_archive module for PostgreSQL $major (asked for: $majors):" \
                "its server headers are not in $where, or did not compile (above)" \
                "(Debian: apt-get install postgresql-server-dev-$major, or as root native/pg-server-headers.sh $major)"
        fi
    done
elif ((${#built[@]} == 0)); then
    fail "no PostgreSQL 15+ server headers in $where: the walden_archive module can't be built" \
        "(Debian: apt-get install postgresql-server-dev-15; other majors: native/pg-server-headers.sh MAJOR;" \
        "no module wanted, e.g. for PostgreSQL 14: mvn -Dwalden.native.majors=none)"
fi
