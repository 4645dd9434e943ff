#!/usr/bin/env bash
# Fuzz speechtree with libFuzzer for a bounded time, then replay the saved
# regressions. Non-zero exit on any finding (crash, sanitizer report, leak,
# timeout, lossless violation) or on a build failure.
#
#   scripts/test-fuzz.sh
#
# Environment:
#   FUZZ_SECONDS      time per target (default 60)
#   FUZZ_TARGETS      targets to run (default "fuzz_parse fuzz_render")
#   FUZZ_BUILD_DIR    clang build dir with -Dfuzz=true (default build-fuzz)
#   FUZZ_WORK_DIR     corpus copies, logs and crash artifacts
#                     (default $FUZZ_BUILD_DIR/fuzz-work)
#   FUZZ_DETECT_LEAKS 0 to ignore leaks while fuzzing (default 1)
#   ST_FUZZ_NO_LOSSLESS=1  skip the in-process lossless check
#
# Findings are left in $FUZZ_WORK_DIR/<target>/artifacts/; copy the input
# into tests/fuzz/regressions/ (see its README) once it is understood.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-fuzz_parse fuzz_render}
work=${FUZZ_WORK_DIR:-$build/fuzz-work}
leaks=${FUZZ_DETECT_LEAKS:-1}
fuzz_src=$root/tests/fuzz

if ! command -v clang >/dev/null 2>&1; then
    echo "test-fuzz: clang is needed for the libFuzzer targets (apt-get install clang libclang-rt-14-dev)" >&2
    exit 1
fi

if [ ! -f "$build/build.ninja" ]; then
    CC=${FUZZ_CC:-clang} meson setup "$build" "$root" -Dfuzz=true -Dbuildtype=debugoptimized
else
    meson configure "$build" -Dfuzz=true
fi
ninja -C "$build" $(for t in $targets; do printf 'tests/fuzz/%s ' "$t"; done)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=$leaks:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

status=0
summary=()
for t in $targets; do
    exe=$build/tests/fuzz/$t
    dir=$work/$t
    rm -rf "$dir"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    cp "$fuzz_src"/corpus/* "$dir/corpus/"
    echo "== $t: fuzzing for ${seconds}s (log: $dir/fuzz.log)"
    start=$(date +%s)
    if "$exe" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -error_exitcode=1 -timeout_exitcode=1 -detect_leaks="$leaks" \
        -dict="$fuzz_src/speechtree.dict" -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/fuzz.log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/fuzz.log" | grep -o '[0-9]*$' || echo '?')
        summary+=("$t: ok, $runs runs in $(( $(date +%s) - start ))s")
    else
        status=1
        echo "!! $t: FINDING" >&2
        grep -E 'FUZZ FINDING|ERROR: |SUMMARY|runtime error|#[0-9]+ 0x' "$dir/fuzz.log" | head -40 >&2 || true
        echo "   artifacts:" >&2
        ls -l "$dir/artifacts" >&2
        summary+=("$t: FINDING, see $dir/fuzz.log and $dir/artifacts/")
    fi

    # the saved regressions (and the seed corpus), each run once
    echo "== $t: replaying tests/fuzz/regressions and the seed corpus"
    if ! "$exe" -runs=0 -rss_limit_mb=2048 -timeout=10 -error_exitcode=1 -timeout_exitcode=1 \
        -detect_leaks="$leaks" -artifact_prefix="$dir/artifacts/replay-" \
        "$fuzz_src/regressions" "$fuzz_src/corpus" >"$dir/replay.log" 2>&1; then
        status=1
        echo "!! $t: a regression or seed input fails" >&2
        grep -E 'FUZZ FINDING|ERROR: |SUMMARY|runtime error|#[0-9]+ 0x|Test unit written' "$dir/replay.log" | head -40 >&2 || true
        summary+=("$t: regression replay FAILED, see $dir/replay.log")
    else
        summary+=("$t: regressions ok")
    fi
done

echo
printf '%s\n' "${summary[@]}"
fails=$(printf '%s\n' "${summary[@]}" | grep -c -E 'FINDING|FAILED' || true)
echo "fuzz: $(( ${#summary[@]} - fails )) passed, $fails failed"
exit $status
