#!/usr/bin/env bash
# The CLI of the normal build under valgrind (memcheck): every seed through
# `speechtree parse`, plus the other commands once. Non-zero on any memory
# error or definite/indirect leak.
#
#   scripts/test-valgrind.sh [more input files]
#
# Environment:
#   BUILD_DIR   a normal (not sanitized) build dir (default build; set up
#               and built if missing)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}

if ! command -v valgrind >/dev/null 2>&1; then
    echo "test-valgrind: valgrind not installed (apt-get install valgrind)" >&2
    exit 1
fi
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$root"
fi
ninja -C "$build" speechtree
exe=$build/speechtree
if grep -q 'fsanitize' "$build/build.ninja" 2>/dev/null; then
    echo "test-valgrind: $build is a sanitized build; valgrind needs a normal one (set BUILD_DIR)" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# PCRE2's JIT-compiled matchers (src/rules.c) read words of which only some
# bytes are defined; memcheck reports that from the generated code, which
# belongs to no object file ("???"). Only such frames are suppressed: every
# frame of speechtree, ICU, PCRE2 or libc has an object and is still checked.
cat >"$tmp/jit.supp" <<'SUPP'
{
   pcre2-jit-generated-code-cond
   Memcheck:Cond
   obj:???
}
{
   pcre2-jit-generated-code-value8
   Memcheck:Value8
   obj:???
}
{
   pcre2-jit-generated-code-value4
   Memcheck:Value4
   obj:???
}
SUPP
vg=(valgrind -q --error-exitcode=1 --leak-check=full --suppressions="$tmp/jit.supp"
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
    --track-origins=yes --num-callers=30)

passed=0
failed=0
run() { # name, command...
    local name=$1
    shift
    if "${vg[@]}" --log-file="$tmp/vg.log" "$@" >"$tmp/out" 2>"$tmp/err"; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        local rc=$?
        failed=$((failed + 1))
        echo "FAIL $name (exit $rc)"
        sed 's/^/     /' "$tmp/vg.log" | head -80
        sed 's/^/     stderr: /' "$tmp/err" | head -10
    fi
}

seeds=("$root"/fixtures/seeds/*.txt)
for f in "${seeds[@]}" "$@"; do
    run "parse $(basename "$f")" "$exe" parse "$f" -o "$tmp/x.json"
done
# the other paths once: pretty/expand rendering, keep-noise, lossy decoding,
# outline, stats, and batch with worker threads
run "parse --pretty --expand" "$exe" parse "${seeds[0]}" --pretty --expand -o "$tmp/y.json"
run "parse --keep-noise" "$exe" parse "${seeds[1]}" --keep-noise -o "$tmp/z.json"
printf '\xef\xbb\xbf\xe4\xb8\x80\xe3\x80\x81\xff\xfe\xe6\xa0\x87\xe9\xa2\x98\n' >"$tmp/bad.txt"
run "parse --lossy (invalid UTF-8)" "$exe" parse "$tmp/bad.txt" --lossy -o "$tmp/w.json"
printf '%s\n' '關於召開民主生活會的對照檢查材料' '一、存在的問題' '（一）理論學習方面。學習不夠深入。' \
    '二、產生問題的原因' '三、整改措施' >"$tmp/traditional.txt"
run "parse (traditional script)" "$exe" parse "$tmp/traditional.txt" -o "$tmp/t.json"
run "outline" "$exe" outline "${seeds[2]}"
run "stats" "$exe" stats "${seeds[@]}"
run "batch -j2" "$exe" batch "$root/fixtures/seeds" --out "$tmp/batch" -j 2 --quiet

echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
