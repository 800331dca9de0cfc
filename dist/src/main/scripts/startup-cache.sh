# Sourced by train-walden-push.sh and train-walden.sh: trains one program's start-up cache with the
# JVM in $java_home, an AOT cache on JDK 25+ (JEP 483/514/515), a dynamic CDS archive on 21-24.
# The launchers use a cache only with the very JVM that made it (lib/<name>.cache-java).
#
#   train_startup_cache LIB NAME CLASSPATH MAIN [JVM OPTION...]
#
# The JVM options must be the launcher's, or the JVM refuses the cache.
train_startup_cache() {
    local lib=$1 name=$2 classpath=$3 main=$4
    shift 4
    local java=$java_home/bin/java version
    rm -f "$lib/$name.aot" "$lib/$name.jsa" "$lib/$name.cache-java"
    version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$java_home/release")
    if [[ ${version:-0} -ge 25 ]]; then
        "$java" "$@" -XX:AOTCacheOutput="$lib/$name.aot" -Xlog:aot=error -Xlog:cds=error -cp "$classpath" "$main"
    elif [[ ${version:-0} -ge 21 ]]; then
        "$java" "$@" -XX:ArchiveClassesAtExit="$lib/$name.jsa" -Xlog:cds=error -cp "$classpath" "$main"
    else
        echo "train-$name: Java $version is older than 21; no start-up cache" >&2
        return 0
    fi
    echo "$java" > "$lib/$name.cache-java"
    echo "$name start-up cache trained with Java $version ($java)"
}
