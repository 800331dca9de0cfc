#!/usr/bin/env bash
# PostgreSQL MAJOR's server headers, for building the walden_archive module against a major this
# Debian release doesn't package (bookworm has postgresql-server-dev-15 only).
#
#   native/pg-server-headers.sh MAJOR [PREFIX]      (PREFIX: /usr/local; root to write there)
#
# Downloads Debian's postgresql-server-dev-MAJOR from the first suite in $WALDEN_DEBIAN_SUITES
# (default: trixie forky) that has it, through apt in a private directory (so apt checks the
# archive's signatures against debian-archive-keyring, and nothing of the system's apt state
# changes), and unpacks only its server headers into PREFIX/include/postgresql/MAJOR/server, where
# native/build.sh looks. Nothing is installed through dpkg: these are header files, no programs
# or libraries. Exits 0 with the headers in place, non-zero with one line saying why not.
set -euo pipefail
major=${1:?usage: pg-server-headers.sh MAJOR [PREFIX]}
prefix=${2:-/usr/local}
[[ $major =~ ^[0-9]+$ ]] || { echo "pg-server-headers: MAJOR must be a number, not '$major'" >&2; exit 2; }
target=$prefix/include/postgresql/$major/server
if [[ -r $target/postgres.h ]]; then
    echo "pg-server-headers: PostgreSQL $major's server headers are already in $target"
    exit 0
fi
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
    { echo "pg-server-headers: needs apt-get and dpkg-deb (Debian or Ubuntu)" >&2; exit 1; }
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[[ -r $keyring ]] ||
    { echo "pg-server-headers: no $keyring to check Debian's signatures with (apt-get install debian-archive-keyring)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/download"
apt_options=(-q -o Dir::Etc::sourcelist="$work/sources.list" -o Dir::Etc::sourceparts=-
    -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache" -o Debug::NoLocking=1
    -o APT::Sandbox::User="$(id -un)")   # download as ourselves: _apt can't write to our mktemp dir
package=postgresql-server-dev-$major
for suite in ${WALDEN_DEBIAN_SUITES:-trixie forky}; do
    echo "deb [signed-by=$keyring] http://deb.debian.org/debian $suite main" \
        > "$work/sources.list"
    rm -rf "$work/lists"/*Packages* "$work/lists"/*Release*
    if ! apt-get "${apt_options[@]}" update >"$work/update.log" 2>&1; then
        echo "pg-server-headers: apt-get update for Debian $suite failed: $(grep -m1 -E '^(E|W):' "$work/update.log" || tail -1 "$work/update.log")" >&2
        continue
    fi
    if (cd "$work/download" && apt-get "${apt_options[@]}" download "$package" >"$work/download.log" 2>&1); then
        deb=$(ls "$work/download"/*.deb)
        dpkg-deb -x "$deb" "$work/unpacked"
        unpacked=$work/unpacked/usr/include/postgresql/$major/server
        [[ -r $unpacked/postgres.h ]] || { echo "pg-server-headers: $(basename "$deb") has no server/postgres.h" >&2; exit 1; }
        mkdir -p "$(dirname "$target")"
        rm -rf "$target.partial"
        cp -R "$unpacked" "$target.partial"
        chmod -R u=rwX,go=rX "$target.partial"
        rm -rf "$target"   # a directory left without postgres.h (checked above): replaced, not nested into
        mv "$target.partial" "$target"
        echo "pg-server-headers: PostgreSQL $major's server headers from $(basename "$deb") (Debian $suite) in $target"
        exit 0
    fi
    echo "pg-server-headers: Debian $suite: $(grep -m1 -E '^(E|W):' "$work/download.log" || tail -1 "$work/download.log")" >&2
done
echo "pg-server-headers: no Debian suite of '${WALDEN_DEBIAN_SUITES:-trixie forky}' gave $package" >&2
exit 1
