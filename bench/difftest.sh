#!/usr/bin/env bash
# Differential check for speed work: two builds of the CLI must print the same
# JSON for every file under PATHs (default: the cached benchmark archive, its
# 50 MiB document, the fixtures and the fuzz corpus).
#
#   bash bench/difftest.sh BASE_BIN NEW_BIN [PATH...]
#
# Exit 0 when every output is byte-identical; otherwise prints the first files
# whose JSON differs and exits 1.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
base=${1:?usage: difftest.sh BASE_BIN NEW_BIN [PATH...]}
new=${2:?usage: difftest.sh BASE_BIN NEW_BIN [PATH...]}
shift 2
if [[ $# -eq 0 ]]; then
    CACHE=${BENCH_CACHE:-/tmp/speechtree-bench}
    set -- "$ROOT/fixtures" "$ROOT/tests/fuzz"
    for a in "$CACHE"/archive-*/archive "$CACHE"/archive-*/big; do [[ -d $a ]] && set -- "$@" "$a"; done
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$base" batch --jsonl -q -j2 --glob '*' --lossy "$@" >"$tmp/base.jsonl" 2>"$tmp/base.err"
"$new" batch --jsonl -q -j2 --glob '*' --lossy "$@" >"$tmp/new.jsonl" 2>"$tmp/new.err"
n=$(wc -l <"$tmp/base.jsonl")
if cmp -s "$tmp/base.jsonl" "$tmp/new.jsonl" && cmp -s "$tmp/base.err" "$tmp/new.err"; then
    echo "difftest: $n documents, identical output"
    exit 0
fi
echo "difftest: outputs differ ($n documents in base, $(wc -l <"$tmp/new.jsonl") in new)"
python3 - "$tmp/base.jsonl" "$tmp/new.jsonl" <<'PY'
import json, sys
a = open(sys.argv[1], encoding='utf-8', errors='replace').read().splitlines()
b = open(sys.argv[2], encoding='utf-8', errors='replace').read().splitlines()
shown = 0
for i, (x, y) in enumerate(zip(a, b)):
    if x == y:
        continue
    try:
        name = json.loads(x).get('source', {}).get('path') or json.loads(x).get('path')
    except Exception:
        name = None
    k = next((j for j in range(min(len(x), len(y))) if x[j] != y[j]), min(len(x), len(y)))
    print(f"line {i + 1} ({name}): first difference at char {k}")
    print("  base:", x[max(0, k - 80):k + 80])
    print("  new: ", y[max(0, k - 80):k + 80])
    shown += 1
    if shown == 5:
        break
PY
diff <(head -c 2000 "$tmp/base.err") <(head -c 2000 "$tmp/new.err") | head -20
exit 1
