#!/usr/bin/env bash
# Build step (mvn package): train the start-up cache of bin/walden (every command and the agent)
# with the JVM the distribution runs on: an AOT cache on JDK 25+ (JEP 483/514/515: classes loaded
# and linked, method profiles), a dynamic CDS archive on 21-24. The workload is
# dev.walden.cli.StartupTraining (no PostgreSQL needed). bin/walden uses the cache only with the
# very JVM that made it.
set -euo pipefail
dist=$1
java_home=$2
java=$java_home/bin/java
lib=$dist/lib
# must match bin/walden, or the JVM refuses the cache
flags=(--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Dwalden.home="$dist")

rm -f "$lib/walden.aot" "$lib/walden.jsa" "$lib/walden.cache-java"
version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$java_home/release")
if [[ ${version:-0} -ge 25 ]]; then
    "$java" "${flags[@]}" -XX:AOTCacheOutput="$lib/walden.aot" -Xlog:aot=error -Xlog:cds=error \
        -cp "$lib/*" dev.walden.cli.StartupTraining
elif [[ ${version:-0} -ge 21 ]]; then
    "$java" "${flags[@]}" -XX:ArchiveClassesAtExit="$lib/walden.jsa" -Xlog:cds=error \
        -cp "$lib/*" dev.walden.cli.StartupTraining
else
    echo "train-walden: Java $version is older than 21; no start-up cache" >&2
    exit 0
fi
echo "$java" > "$lib/walden.cache-java"
echo "walden start-up cache trained with Java $version ($java)"
