#!/usr/bin/env bash
# Everything CI runs: set-up and build (scripts/bootstrap.sh), the whole meson
# test suite, then the sanitizer, fuzz and valgrind runs when their scripts
# (scripts/test-sanitize.sh, test-fuzz.sh, test-valgrind.sh) exist and are
# executable. Exits non-zero when any part fails; the last line counts the
# parts: "N passed, M failed".
#
# Usage: scripts/test.sh [MESON TEST ARGS...]   e.g. scripts/test.sh --suite schema
# Environment: BUILD_DIR (default: build)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

export BUILD_DIR=${BUILD_DIR:-build}
passed=0
failed=0
failed_parts=()

part() {
    local name=$1 rc=0
    shift
    printf '\n==== %s\n' "$name"
    "$@" || rc=$?
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        printf '==== %s: ok\n' "$name"
    else
        failed=$((failed + 1))
        failed_parts+=("$name")
        printf '==== %s: FAILED (exit status %d)\n' "$name" "$rc"
    fi
    return $rc
}

if part bootstrap bash scripts/bootstrap.sh; then
    part "meson test" meson test -C "$BUILD_DIR" --print-errorlogs "$@"
    for s in sanitize fuzz valgrind; do
        f=scripts/test-$s.sh
        if [ -f "$f" ] && [ -x "$f" ]; then
            part "$f" "./$f"
        elif [ -e "$f" ]; then
            printf '\n==== %s: skipped (not executable)\n' "$f"
        fi
    done
else
    printf '\nbuild failed: nothing else run\n'
fi

printf '\n'
[ $failed -gt 0 ] && printf 'failed: %s\n' "${failed_parts[*]}"
printf '%d passed, %d failed\n' "$passed" "$failed"
[ $failed -eq 0 ]
