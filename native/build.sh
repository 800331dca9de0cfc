#!/usr/bin/env bash
# Build step of walden-native (mvn compile): the native walden-push and the walden_archive module.
#
#   native/build.sh OUTPUT_DIR VERSION
#
# OUTPUT_DIR/bin/walden-push                       when a C compiler is found ($CC, else cc)
# OUTPUT_DIR/lib/postgresql/MAJOR/walden_archive.so when PostgreSQL's server headers are found too
#                                                  (pg_config: $PG_CONFIG, else the one on PATH, else
#                                                  /usr/lib/postgresql/*/bin/pg_config, the newest;
#                                                  Debian: apt-get install postgresql-server-dev-15)
# Either missing is not an error: the build says so and the distribution ships the Java client as
# bin/walden-push. A compile error or warning is (-Werror).
set -euo pipefail
out=$1
version=$2
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/src" && pwd -P)
rm -rf "$out/bin" "$out/lib"

cc=${CC:-cc}
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "walden-native: no C compiler ('$cc'): the native walden-push and the walden_archive module are NOT built;" \
        "bin/walden-push will be the Java client (install gcc to build them)"
    exit 0
fi

warnings=(-Wall -Wextra -Werror -Wformat=2 -Wformat-security -Wshadow -Wvla -Wstrict-prototypes)
hardening=(-O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -Wl,-z,relro,-z,now,-z,noexecstack)

mkdir -p "$out/bin"
"$cc" -std=c11 -Wpedantic -Wconversion -Wno-sign-conversion "${warnings[@]}" "${hardening[@]}" -fPIE -pie \
    -DWALDEN_VERSION="\"$version\"" -o "$out/bin/walden-push" "$src/walden_push.c" "$src/walden_wire.c"
echo "walden-native: built $out/bin/walden-push"

pg_config=${PG_CONFIG:-$(command -v pg_config || true)}
if [[ -z $pg_config ]]; then
    pg_config=$(ls -d /usr/lib/postgresql/*/bin/pg_config 2>/dev/null | sort -V | tail -1 || true)
fi
server_include=
if [[ -n $pg_config && -x $pg_config ]]; then
    server_include=$("$pg_config" --includedir-server 2>/dev/null || true)
fi
if [[ -z $server_include || ! -r $server_include/postgres.h ]]; then
    echo "walden-native: no PostgreSQL server headers (pg_config --includedir-server${server_include:+ = $server_include}):" \
        "the walden_archive module is NOT built (Debian: apt-get install postgresql-server-dev-15)"
    exit 0
fi
major=$("$pg_config" --version | sed -n 's/^PostgreSQL \([0-9][0-9]*\).*/\1/p')
if [[ -z $major || $major -lt 15 ]]; then
    echo "walden-native: PostgreSQL ${major:-?} has no archive modules (15 or later): walden_archive is NOT built"
    exit 0
fi
# PostgreSQL's headers are gnu11 and not -Wpedantic/-Wshadow clean; the module's own code is held
# to the same warnings through walden_wire.c, which walden-push compiles with all of them.
mkdir -p "$out/lib/postgresql/$major"
"$cc" -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wformat=2 \
    "${hardening[@]}" -fPIC -shared -I"$server_include" \
    -o "$out/lib/postgresql/$major/walden_archive.so" "$src/walden_archive.c" "$src/walden_wire.c"
echo "walden-native: built $out/lib/postgresql/$major/walden_archive.so (PostgreSQL $major)"
