#!/usr/bin/env bash
# Build step (mvn package): record the JVM the distribution runs on, and train walden-push's
# start-up cache with it (startup-cache.sh) on dev.walden.push.StartupTraining.
set -euo pipefail
dist=$1
java_home=$2
lib=$dist/lib
. "$(dirname "${BASH_SOURCE[0]}")/startup-cache.sh"

echo "$java_home/bin/java" > "$lib/java.path"
# the options of bin/walden-push-java
train_startup_cache "$lib" walden-push "$lib/walden-push.jar:$lib/walden-protocol.jar:$lib/walden-config.jar" \
    dev.walden.push.StartupTraining -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xss512k -XX:MaxRAM=256m
