#!/usr/bin/env bash
# Build step (mvn package, after the distribution and its start-up caches): the Debian package
# walden_<version>_amd64.deb, with its own Java runtime so the host needs no JDK.
#
#   build-deb.sh DISTRIBUTION_DIR JAVA_HOME VERSION OUTPUT_DIR DEB_FILES_DIR DOCS_DIR
#
# What goes where (docs/deployment.md#debian-and-ubuntu):
#   /usr/lib/walden/{bin,lib}            the distribution, as in the tarball
#   /usr/lib/walden/runtime              a Java runtime trimmed by jlink to the modules walden uses
#   /usr/lib/walden/postgresql/<major>/  the walden_archive module (lib/postgresql links there)
#   /usr/bin/walden, walden-push (native), walden-push-java, walden-fetch   links into bin/
#   /lib/systemd/system/walden-agent@.service
#   /etc/walden/walden.conf              a conffile: the annotated example
#   /usr/share/doc/walden/               README, CHANGELOG and docs/*.md (the unit links there)
# The start-up caches are trained again with that runtime (a cache is only valid for the JVM that
# made it); the JVM accepts them after dpkg moves the tree to /usr/lib/walden.
#
# Without dpkg-deb (a build on RHEL) there is no package and the build goes on; a JDK that can't
# jlink (no jmods, not a JDK 24+ linkable runtime) fails the build, naming the way out.
set -euo pipefail
dist=$1
java_home=$2
version=$3
out=$4
deb_files=$5
docs=$6
here=$(dirname "${BASH_SOURCE[0]}")

if ! command -v dpkg-deb >/dev/null; then
    echo "build-deb: no dpkg-deb on this machine: no .deb built (the distribution is $dist)"
    exit 0
fi
package=walden_${version}_amd64
stage=$out/deb/$package
root=/usr/lib/walden
rm -rf "$out/deb" "$out/$package.deb"
mkdir -p "$stage$root" "$stage/usr/bin" "$stage/etc/walden" "$stage/lib/systemd/system" "$stage/DEBIAN" \
    "$stage/usr/share/doc/walden"

cp -a "$dist/bin" "$dist/lib" "$stage$root/"
# the build JVM's caches and path mean nothing on the target host
rm -f "$stage$root"/lib/*.aot "$stage$root"/lib/*.jsa "$stage$root"/lib/*.cache-java "$stage$root/lib/java.path"
if [[ -d $stage$root/lib/postgresql ]]; then
    mv "$stage$root/lib/postgresql" "$stage$root/postgresql"
    ln -s ../postgresql "$stage$root/lib/postgresql"
fi

# the runtime: the modules walden's jars use (jdeps), plus the JDK's CDS archive and jcmd, so an
# operator can take a thread dump of the agent (jcmd PID Thread.print) with the package alone
modules=$("$java_home/bin/jdeps" --multi-release base --ignore-missing-deps --print-module-deps \
    "$stage$root"/lib/*.jar)
if ! "$java_home/bin/jlink" --add-modules "$modules,jdk.crypto.ec,jdk.jcmd" --strip-debug --no-header-files \
    --no-man-pages --generate-cds-archive --output "$stage$root/runtime" >"$out/deb/jlink.log" 2>&1; then
    echo "build-deb: jlink could not make a runtime from $java_home: $(tail -n 1 "$out/deb/jlink.log")" >&2
    echo "build-deb: build with a JDK that has its jmods (or Temurin 25), or skip the package: -Dwalden.deb.skip=true" >&2
    exit 1
fi
rm "$out/deb/jlink.log"

# the start-up caches, trained with the package's runtime (train-walden-push.sh writes java.path)
for training in train-walden-push.sh train-walden.sh; do
    bash "$here/$training" "$stage$root" "$stage$root/runtime" >"$out/deb/training.log" 2>&1 ||
        { cat "$out/deb/training.log" >&2; echo "build-deb: $training failed with the package's runtime" >&2; exit 1; }
done
for f in "$stage$root/lib/java.path" "$stage$root"/lib/*.cache-java; do
    echo "$root/runtime/bin/java" > "$f"
done

for program in walden walden-push walden-push-java walden-fetch; do
    ln -s "../lib/walden/bin/$program" "$stage/usr/bin/$program"
done
install -m 0644 "$dist/systemd/walden-agent@.service" "$stage/lib/systemd/system/"
install -m 0644 "$dist/conf/walden.conf.example" "$stage/etc/walden/walden.conf"
install -m 0644 "$docs"/../README.md "$docs"/../CHANGELOG.md "$docs"/*.md "$stage/usr/share/doc/walden/"
install -m 0644 "$deb_files/copyright" "$stage/usr/share/doc/walden/copyright"

install -m 0755 "$deb_files/postinst" "$deb_files/prerm" "$deb_files/postrm" "$stage/DEBIAN/"
echo /etc/walden/walden.conf > "$stage/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$size/" "$deb_files/control" > "$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
    > "$stage/DEBIAN/md5sums"

# files owned by root whoever builds; gzip: a third of xz's time for 10 % more bytes, and every dpkg reads it
dpkg-deb --root-owner-group -Zgzip --build "$stage" "$out/$package.deb" >/dev/null
rm -rf "$out/deb"
echo "build-deb: $out/$package.deb ($(du -h "$out/$package.deb" | cut -f1); runtime modules: $modules)"
