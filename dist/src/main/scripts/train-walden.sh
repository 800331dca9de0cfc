#!/usr/bin/env bash
# Build step (mvn package): train the start-up cache of bin/walden (every command and the agent)
# with the JVM the distribution runs on (startup-cache.sh). The workload is
# dev.walden.cli.StartupTraining (no PostgreSQL needed).
set -euo pipefail
dist=$1
java_home=$2
lib=$dist/lib
. "$(dirname "${BASH_SOURCE[0]}")/startup-cache.sh"

# the options of bin/walden
train_startup_cache "$lib" walden "$lib/*" dev.walden.cli.StartupTraining \
    --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Dwalden.home="$dist"
