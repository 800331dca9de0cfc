#!/usr/bin/env bash
# Build step (mvn package): record which commit the distribution was built from, for
# `walden --version` (lib/build-info.properties). Outside a git checkout the commit is "unknown";
# a checkout with uncommitted changes is marked "-dirty".
set -euo pipefail
dist=$1
source_tree=$2
commit=unknown
if command -v git >/dev/null && git -C "$source_tree" rev-parse --git-dir >/dev/null 2>&1; then
    commit=$(git -C "$source_tree" rev-parse --short=12 HEAD)
    if [[ -n $(git -C "$source_tree" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
        commit+=-dirty
    fi
fi
printf 'commit=%s\n' "$commit" > "$dist/lib/build-info.properties"
echo "build-info: commit $commit"
