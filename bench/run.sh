#!/usr/bin/env bash
# The speechtree benchmark: one command, from a checkout after the bootstrap.
#
#   bash bench/run.sh            # full run: 200 MiB archive, 50 MiB document, 5 runs
#   bash bench/run.sh --quick    # smoke test: 20 MiB archive, 10 MiB document, 3 runs
#
# Environment (all optional):
#   BENCH_BUILD   release build dir            (default: build-release in the checkout)
#   BENCH_CACHE   where archives are cached    (default: /tmp/speechtree-bench)
#   BENCH_OUT     where results go             (default: $BENCH_CACHE/results-DATE)
#   BENCH_MB, BENCH_BIG_MB, BENCH_RUNS, BENCH_PY_MB, BENCH_PY_RUNS, BENCH_BATCH_RUNS
#   BENCH_STEPS   which steps to run (default "lib batch python"); a step left
#                 out keeps its result file if BENCH_OUT already has one
#
# Steps: build (release) -> archive (cached by the generator's hash) ->
# speechtree-bench (library, one thread) -> `speechtree batch` -j1/-j2 (timed,
# peak RSS on the archive and on half of it) -> Python baseline -> table.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MB=${BENCH_MB:-200}
BIG_MB=${BENCH_BIG_MB:-50}
RUNS=${BENCH_RUNS:-5}
PY_MB=${BENCH_PY_MB:-50}
PY_RUNS=${BENCH_PY_RUNS:-3}
BATCH_RUNS=${BENCH_BATCH_RUNS:-3}
STEPS=" ${BENCH_STEPS:-lib batch python} "
if [[ "${1:-}" == "--quick" ]]; then
    MB=${BENCH_MB:-20}; BIG_MB=${BENCH_BIG_MB:-10}; RUNS=${BENCH_RUNS:-3}
    PY_MB=${BENCH_PY_MB:-10}; PY_RUNS=${BENCH_PY_RUNS:-1}; BATCH_RUNS=${BENCH_BATCH_RUNS:-2}
fi
BUILD=${BENCH_BUILD:-$ROOT/build-release}
CACHE=${BENCH_CACHE:-/tmp/speechtree-bench}
OUT=${BENCH_OUT:-$CACHE/results-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$CACHE" "$OUT"

say() { printf '\n== %s\n' "$*" >&2; }

BENCH_ROOT=$ROOT BENCH_CACHE=$CACHE
. "$ROOT/bench/lib.sh"

# ---- 1. release build --------------------------------------------------------
say "build ($BUILD, release)"
bench_build "$BUILD" --buildtype=release
ST="$BUILD/speechtree"
BENCH="$BUILD/bench/speechtree-bench"

# ---- 2. archive (cached, keyed by the generator, the seeds and the sizes) -----
ARCH=$(bench_archive "$MB" "$BIG_MB")
say "archive $ARCH: $(cat "$ARCH/.complete")"
ARCH_FILES=$(find "$ARCH/archive" -type f | wc -l)
ARCH_BYTES=$(find "$ARCH/archive" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
HALF_FILES=$(find "$ARCH/half" -type f | wc -l)
HALF_BYTES=$(find "$ARCH/half" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')

# ---- machine -------------------------------------------------------------------
{
    echo "date=$(date -Is)"
    echo "nproc=$(nproc)"
    echo "cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
    echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "busy_before=$(cpu_busy 3)"
    echo "git=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo -dirty)"
    echo "archive=$ARCH"
    echo "archive_files=$ARCH_FILES"
    echo "archive_bytes=$ARCH_BYTES"
} >"$OUT/machine.env"

# ---- 3. the library, one thread ----------------------------------------------------
busy=$(sed -n 's/^busy_before=//p' "$OUT/machine.env")
if (( busy > 10 )); then
    echo "speechtree-bench: WARNING: the machine is busy (${busy}% of all CPUs used by other processes);" \
         "wall-clock figures will be low and -j2 speed-ups meaningless. CPU-time figures are printed too." >&2
fi
if [[ "$STEPS" == *" lib "* ]]; then
    say "speechtree-bench (library, 1 thread, median of $RUNS)"
    "$BENCH" "$ARCH/archive" --big "$ARCH/big/big.txt" --runs "$RUNS" --json "$OUT/bench.json" |
        tee "$OUT/bench.txt"
fi

# ---- 4. the CLI: speechtree batch -j1 / -j2 ------------------------------------------
# peak RSS (KiB) of a command: GNU time if present, else getrusage in Python.
# Note: ru_maxrss is the largest single process (batch uses threads, so that is
# all of it). The Python fallback is an upper bound: Linux carries the parent's
# RSS (the interpreter, ~10 MB) into the child's ru_maxrss across fork+exec.
peak_rss_kb() {
    local f="$OUT/.rss"
    if /usr/bin/time -f %M -o "$f" true 2>/dev/null; then
        /usr/bin/time -f %M -o "$f" "$@" >/dev/null 2>"$OUT/.rss.err" || { cat "$OUT/.rss.err" >&2; return 1; }
        tail -n 1 "$f"
    else
        python3 - "$@" <<'PY'
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
if r.returncode:
    sys.exit(r.returncode)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
    fi
}

# median wall time of a command over N runs, output dir wiped before each run
time_median() { # OUTDIR N cmd...
    local outdir=$1 n=$2; shift 2
    if command -v hyperfine >/dev/null; then
        local j="$OUT/.hf.json" prep=()
        [[ -n "$outdir" ]] && prep=(--prepare "rm -rf '$outdir'")
        hyperfine --style none --runs "$n" --warmup 1 "${prep[@]}" \
            --export-json "$j" "$(printf '%q ' "$@")" >&2
        python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$j"
    else
        python3 - "$outdir" "$n" "$@" <<'PY'
import shutil, subprocess, sys, time
outdir, n, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
ts = []
for i in range(n + 1):
    if outdir:
        shutil.rmtree(outdir, ignore_errors=True)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    if i:
        ts.append(time.perf_counter() - t)
ts.sort()
print(ts[len(ts) // 2] if len(ts) % 2 else (ts[len(ts) // 2 - 1] + ts[len(ts) // 2]) / 2)
PY
    fi
}

if [[ "$STEPS" == *" batch "* ]]; then
    BOUT="$CACHE/batch-out"
    : >"$OUT/batch.env"
    echo "busy_before_batch=$(cpu_busy 3)" >>"$OUT/batch.env"
    say "speechtree batch"
    probe="$OUT/.probe"
    rm -rf "$probe"; mkdir -p "$probe/in"
    cp "$ROOT"/fixtures/seeds/*.txt "$probe/in/"
    if "$ST" batch "$probe/in" --out "$probe/out" -j1 >"$probe/log" 2>&1 &&
       [[ -n "$(find "$probe/out" -type f 2>/dev/null | head -1)" ]]; then
        echo "batch_available=1" >>"$OUT/batch.env"
        for j in 1 2; do
            say "batch -j$j: median of $BATCH_RUNS (hyperfine)"
            t=$(time_median "$BOUT" "$BATCH_RUNS" "$ST" batch "$ARCH/archive" --out "$BOUT" -j$j)
            echo "batch_j${j}_s=$t" >>"$OUT/batch.env"
        done
        echo "batch_out_files=$(find "$BOUT" -type f | wc -l)" >>"$OUT/batch.env"
        # the same with the outputs on tmpfs (when /dev/shm is one): the CLI's
        # own scaling, apart from the disk file system's inode allocation,
        # which serialises file creation (see bench/README.md)
        TOUT=${BENCH_TMPFS_OUT:-/dev/shm/speechtree-bench-out.$$}
        if [[ "$(stat -f -c %T "$(dirname "$TOUT")" 2>/dev/null)" == tmpfs ]] &&
           (( $(df -Pk "$(dirname "$TOUT")" | awk 'NR==2 {print $4}') > 4 * $(du -sk "$ARCH/archive" | cut -f1) )); then
            for j in 1 2; do
                say "batch -j$j, outputs on tmpfs: median of $BATCH_RUNS (hyperfine)"
                t=$(time_median "$TOUT" "$BATCH_RUNS" "$ST" batch "$ARCH/archive" --out "$TOUT" -j$j)
                echo "tmpfs_j${j}_s=$t" >>"$OUT/batch.env"
            done
            rm -rf "$TOUT"
        else
            echo "tmpfs: $(dirname "$TOUT") is not a tmpfs with room for the outputs; skipped" >&2
        fi
        # the same without writing files (JSON lines to /dev/null): parsing and
        # rendering in parallel, without the cost of creating and syncing 10k files
        for j in 1 2; do
            say "batch --jsonl -j$j >/dev/null: median of $BATCH_RUNS (hyperfine)"
            t=$(time_median "" "$BATCH_RUNS" "$ST" batch --jsonl "$ARCH/archive" -j$j)
            echo "jsonl_j${j}_s=$t" >>"$OUT/batch.env"
        done
        echo "batch_out_bytes=$(find "$BOUT" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')" >>"$OUT/batch.env"
        say "batch peak RSS: -j1 and -j2 on the archive, -j2 on half of it"
        rm -rf "$BOUT"; echo "rss_j1_full_kb=$(peak_rss_kb "$ST" batch "$ARCH/archive" --out "$BOUT" -j1)" >>"$OUT/batch.env"
        rm -rf "$BOUT"; echo "rss_j2_full_kb=$(peak_rss_kb "$ST" batch "$ARCH/archive" --out "$BOUT" -j2)" >>"$OUT/batch.env"
        rm -rf "$BOUT"; echo "rss_j2_half_kb=$(peak_rss_kb "$ST" batch "$ARCH/half" --out "$BOUT" -j2)" >>"$OUT/batch.env"
        echo "half_files=$HALF_FILES" >>"$OUT/batch.env"
        echo "half_bytes=$HALF_BYTES" >>"$OUT/batch.env"
        echo "busy_after_batch=$(cpu_busy 3)" >>"$OUT/batch.env"
        rm -rf "$BOUT"
    else
        echo "batch_available=0" >>"$OUT/batch.env"
        echo "batch_error=$(head -c 200 "$probe/log" | tr '\n' ' ')" >>"$OUT/batch.env"
        echo "speechtree-bench: SKIPPING batch: '$ST batch DIR --out OUT -j1' does not work yet: $(head -n 1 "$probe/log")" >&2
    fi
    rm -rf "$probe"
fi

# ---- 5. Python baseline -------------------------------------------------------------
if [[ "$STEPS" == *" python "* ]]; then
    say "Python baseline (>= $PY_MB MB sample, median of $PY_RUNS)"
    python3 "$ROOT/bench/python_baseline.py" "$ARCH/archive" --min-mb "$PY_MB" --runs "$PY_RUNS" \
        --json "$OUT/python.json"
fi

echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.env"
echo "busy_after=$(cpu_busy 3)" >>"$OUT/machine.env"

# ---- 6. table -----------------------------------------------------------------------
say "results ($OUT)"
python3 "$ROOT/bench/report.py" "$OUT" | tee "$OUT/table.md"
