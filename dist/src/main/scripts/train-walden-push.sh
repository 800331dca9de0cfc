#!/usr/bin/env bash
# Build step (mvn package): record the JVM the distribution runs on, and train walden-push's
# start-up cache with it: an AOT cache on JDK 25+ (JEP 483/514), a dynamic CDS archive on 21-24.
# bin/walden-push uses the cache only with the very JVM that made it.
set -euo pipefail
dist=$1
java_home=$2
java=$java_home/bin/java
lib=$dist/lib
cp=$lib/walden-push.jar:$lib/walden-protocol.jar:$lib/walden-config.jar
# must match bin/walden-push, or the JVM may refuse the cache
flags=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xss512k -XX:MaxRAM=256m)

echo "$java" > "$lib/java.path"
rm -f "$lib/walden-push.aot" "$lib/walden-push.jsa" "$lib/walden-push.cache-java"
version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$java_home/release")
if [[ ${version:-0} -ge 25 ]]; then
    "$java" "${flags[@]}" -XX:AOTCacheOutput="$lib/walden-push.aot" -Xlog:aot=error -Xlog:cds=error \
        -cp "$cp" dev.walden.push.StartupTraining
elif [[ ${version:-0} -ge 21 ]]; then
    "$java" "${flags[@]}" -XX:ArchiveClassesAtExit="$lib/walden-push.jsa" -Xlog:cds=error \
        -cp "$cp" dev.walden.push.StartupTraining
else
    echo "train-walden-push: Java $version is older than 21; no start-up cache" >&2
    exit 0
fi
echo "$java" > "$lib/walden-push.cache-java"
echo "walden-push start-up cache trained with Java $version ($java)"
