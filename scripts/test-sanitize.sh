#!/usr/bin/env bash
# The whole meson test suite in an ASan + UBSan build (gcc or clang).
#
#   scripts/test-sanitize.sh [extra `meson test` arguments, e.g. --suite hostile]
#
# Environment:
#   SANITIZE_BUILD_DIR  build dir (default build-sanitize)
#   TEST_JOBS           parallel tests (default 2)
#
# Any sanitizer report aborts the test that triggered it (abort_on_error),
# leaks included (detect_leaks); the hostile suite relaxes its time bounds
# and skips memory bounds in a sanitized build (it sees b_sanitize).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SANITIZE_BUILD_DIR:-$root/build-sanitize}

if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$root" -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
else
    meson configure "$build" -Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C "$build"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
exec meson test -C "$build" --print-errorlogs --num-processes "${TEST_JOBS:-2}" \
    --timeout-multiplier 3 "$@"
