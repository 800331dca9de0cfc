#!/usr/bin/env bash
# Build step (mvn package, after the assembly): install what walden-native built into the
# distribution. bin/walden-push is the native client when there is one, else a copy of the Java
# client bin/walden-push-java; bin/walden-fetch (restore_command) is the native client run under
# that name when there is one, else 'walden fetch'; the archive module goes to
# lib/postgresql/MAJOR/walden_archive.so.
#
#   install-native.sh NATIVE_BUILD_DIR DISTRIBUTION_DIR
set -euo pipefail
native=$1
dist=$2
rm -f "$dist/bin/walden-push" "$dist/bin/walden-fetch"
rm -rf "$dist/lib/postgresql"
if [[ -x $native/bin/walden-push ]]; then
    install -m 0755 "$native/bin/walden-push" "$dist/bin/walden-push"
    ln -s walden-push "$dist/bin/walden-fetch" # the same program, which reads its name
    echo "install-native: bin/walden-push is the native client (bin/walden-push-java is the Java one);" \
        "bin/walden-fetch is its restore_command"
else
    install -m 0755 "$dist/bin/walden-push-java" "$dist/bin/walden-push"
    printf '#!/bin/sh\n# no native client was built: restore_command through the JVM\nexec "$(dirname "$0")/walden" fetch "$@"\n' \
        > "$dist/bin/walden-fetch"
    chmod 0755 "$dist/bin/walden-fetch"
    echo "install-native: no native walden-push was built: bin/walden-push is the Java client, bin/walden-fetch" \
        "runs walden fetch"
fi
if [[ -d $native/lib/postgresql ]]; then
    mkdir -p "$dist/lib/postgresql"
    cp -R "$native/lib/postgresql/." "$dist/lib/postgresql/"
    chmod -R u=rwX,go=rX "$dist/lib/postgresql"
    echo "install-native: archive module: $(cd "$dist" && ls lib/postgresql/*/walden_archive.so | tr '\n' ' ')"
fi
