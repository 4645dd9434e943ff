#!/usr/bin/env bash
# Where the parser's time goes: callgrind (instruction counts) on speechtree-bench
# parsing + rendering a few MB of the synthetic archive, and, when `perf record`
# works, a cpu-clock sample profile of the same.
#
#   bash bench/profile.sh [UTF8_MB [GB_MB]]     # default 4 MB of UTF-8, 2 MB of GB18030
#
# Environment: BENCH_PROF_BUILD (default: build-profile in the checkout; release
# + debug info), BENCH_CACHE (default /tmp/speechtree-bench), BENCH_OUT,
# BENCH_PERF=0 (instruction counts only: skip perf, for comparing a change).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UTF8_MB=${1:-4}
GB_MB=${2:-2}
BUILD=${BENCH_PROF_BUILD:-$ROOT/build-profile}
CACHE=${BENCH_CACHE:-/tmp/speechtree-bench}
OUT=${BENCH_OUT:-$CACHE/profile-$(date +%Y%m%d-%H%M%S)}
TOP=${BENCH_TOP:-30}
mkdir -p "$CACHE" "$OUT"
BENCH_ROOT=$ROOT BENCH_CACHE=$CACHE
. "$ROOT/bench/lib.sh"

say() { printf '\n== %s\n' "$*"; }

# -O3 as in release, plus -g so that the profile has names and lines
bench_build "$BUILD" --buildtype=release -Ddebug=true
BENCH="$BUILD/bench/speechtree-bench"
# 30 MiB is plenty for a few MB of each encoding; the files are the first ones
# of the full archive (same generator, same seed).
ARCH=$(bench_archive 30 0)
FILES=$(( (UTF8_MB + GB_MB) * 150 ))

profile_one() { # ENC MB
    local enc=$1 mb=$2 out="$OUT/callgrind.$1.out" log="$OUT/callgrind.$1.log"
    say "callgrind: parse+json of $mb MB of $enc files (instructions, one pass)"
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
        "$BENCH" "$ARCH/archive" --profile --enc "$enc" --max-mb "$mb" --max-files "$FILES" >"$log" 2>&1 ||
        { cat "$log"; return 0; }
    grep '^profiled' "$log" || true
    local bytes
    bytes=$(awk '/^profiled/ {print $4}' "$log")
    python3 "$ROOT/bench/annotate.py" "$out" "$TOP" "${bytes:-0}"
    echo "(full: callgrind_annotate --inclusive=yes $out | less; by line: callgrind_annotate --auto=yes $out)"
}

{
    profile_one utf8 "$UTF8_MB"
    profile_one gb18030 "$GB_MB"

    if [[ ${BENCH_PERF:-1} == 0 ]]; then
        say "perf skipped (BENCH_PERF=0)"
    elif perf record -e cpu-clock -o "$OUT/.perf-probe" -- true >/dev/null 2>&1; then
        say "perf (cpu-clock samples, -g): parse+json, 3 runs over ~$(( (UTF8_MB + GB_MB) * 5 )) MB"
        perf record -e cpu-clock -g -o "$OUT/perf.data" -- \
            "$BENCH" "$ARCH/archive" --only json --runs 3 --max-files $(( FILES * 5 )) >/dev/null 2>"$OUT/perf.log" || true
        perf report -i "$OUT/perf.data" --stdio --no-children --sort symbol 2>/dev/null |
            grep -E '^ +[0-9.]+%' | head -n "$TOP"
        echo "(full: perf report -i $OUT/perf.data)"
    else
        say "perf record does not work here; callgrind only"
    fi
    rm -f "$OUT/.perf-probe"
} | tee "$OUT/profile.txt"
echo "profile written to $OUT/profile.txt" >&2
