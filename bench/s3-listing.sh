#!/usr/bin/env bash
# Listing and expiry at scale on an S3 repository: fills an in-process S3Proxy with N WAL-like
# objects under one cluster's prefix (and a tenth as many under a neighbour's), then times
# walden's listing against the bare AWS SDK paginator over the same prefix in the same run (the
# floor), and walden's batch delete of half of them.
#
#   bench/s3-listing.sh [N]     (default 100000; build first: mvn -B install -DskipTests)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
[[ -d repository/target/test-classes ]] || { echo "build first: mvn -B install -DskipTests" >&2; exit 2; }
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
mvn -q -o -pl repository dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test >/dev/null
echo "S3 listing at scale: $n objects ($(nproc) cores, $("$java" -version 2>&1 | head -1))"
"$java" -Xmx2g -cp "repository/target/test-classes:repository/target/classes:$(cat "$cp_file")" \
    dev.walden.storage.s3.S3ListingBench "$n"
