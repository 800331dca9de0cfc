# Sourced by bin/walden and bin/walden-push when the JVM the build used is gone: finds a Java 21+
# without starting one (the version comes from the JDK's release file).
walden_find_java() {
    local candidates=() j release version
    [[ -n ${JAVA_HOME:-} ]] && candidates+=("$JAVA_HOME/bin/java")
    j=$(command -v java 2>/dev/null) && candidates+=("$(readlink -f -- "$j")")
    for j in $(ls -d /usr/lib/jvm/*/bin/java 2>/dev/null | sort -rV); do
        candidates+=("$j")
    done
    for j in "${candidates[@]}"; do
        release=${j%/bin/java}/release
        [[ -x $j && -r $release ]] || continue
        version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
        if [[ ${version:-0} -ge 21 ]]; then
            echo "$j"
            return 0
        fi
    done
    echo "no Java 21 or newer found (set WALDEN_JAVA or JAVA_HOME)"
    return 1
}
