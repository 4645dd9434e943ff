#!/usr/bin/env bash
# Regenerate fixtures/expected/NAME.json from the current build, one per
# fixtures/seeds/NAME.txt (`speechtree parse --pretty`). Run it only when the
# parser's output on the seeds has been checked and is right; then review the
# change with `git diff fixtures/expected/`.
#
# Usage: scripts/update-expected.sh [BUILD_DIR]     (default: build, or $BUILD_DIR)
# Every output must validate against schema/speechtree.schema.json; if one does
# not, nothing is written.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-${BUILD_DIR:-build}}
exe=$build/speechtree
if [ ! -d "$build" ]; then
    echo "update-expected: no build directory $build; run scripts/bootstrap.sh first" >&2
    exit 1
fi
ninja -C "$build" >/dev/null
[ -x "$exe" ] || { echo "update-expected: $exe not built" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

shopt -s nullglob
seeds=(fixtures/seeds/*.txt)
if [ ${#seeds[@]} -eq 0 ]; then
    echo "update-expected: no fixtures/seeds/*.txt" >&2
    exit 1
fi
for seed in "${seeds[@]}"; do
    name=$(basename "$seed" .txt)
    "$exe" parse --pretty "$seed" -o "$tmp/$name.json"
done

python=python3
PYTHONDONTWRITEBYTECODE=1 "$python" tests/schema/validate.py --quiet "$tmp"/*.json || {
    echo "update-expected: outputs do not match the schema; fixtures/expected/ left unchanged" >&2
    exit 1
}

mkdir -p fixtures/expected
rm -f fixtures/expected/*.json
cp "$tmp"/*.json fixtures/expected/
echo "update-expected: wrote ${#seeds[@]} files to fixtures/expected/ (review with: git diff --stat fixtures/expected/)"
