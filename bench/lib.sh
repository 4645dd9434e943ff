# Shared by bench/run.sh and bench/profile.sh (sourced, not run).

# bench_build DIR [meson setup args...]: configure DIR if needed, build the CLI
# and speechtree-bench. Logs go to DIR/bench-*.log.
bench_build() {
    local dir=$1; shift
    if [[ ! -f "$dir/build.ninja" ]]; then
        meson setup "$dir" "$BENCH_ROOT" "$@" >"/tmp/bench-setup.$$.log" 2>&1 ||
            { cat "/tmp/bench-setup.$$.log" >&2; rm -f "/tmp/bench-setup.$$.log"; return 1; }
        rm -f "/tmp/bench-setup.$$.log"
    else
        local bt
        bt=$(meson introspect --buildoptions "$dir" 2>/dev/null | python3 -c \
            'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="buildtype"][0])' || true)
        [[ "$bt" == release || "$bt" == custom ]] || meson configure "$dir" -Dbuildtype=release >/dev/null
    fi
    ninja -C "$dir" speechtree bench/speechtree-bench >"$dir/bench-ninja.log" 2>&1 ||
        { tail -n 40 "$dir/bench-ninja.log" >&2; return 1; }
}

# bench_archive MB BIG_MB: print the path of a cached archive made by
# make_archive.py, keyed by the generator, the seeds and the sizes.
bench_archive() {
    local mb=$1 big=$2 key arch
    key=$( { cat "$BENCH_ROOT/bench/make_archive.py"; cat "$BENCH_ROOT"/fixtures/seeds/*.txt; echo "$mb $big"; } |
           sha256sum | cut -c1-12)
    arch="$BENCH_CACHE/archive-$key"
    if [[ ! -f "$arch/.complete" ]]; then
        printf '\n== make archive %s (%s MiB + %s MiB document)\n' "$arch" "$mb" "$big" >&2
        rm -rf "$arch.tmp"
        python3 "$BENCH_ROOT/bench/make_archive.py" "$arch.tmp" --mb "$mb" --big-mb "$big" >&2 || return 1
        rm -rf "$arch"
        mv "$arch.tmp" "$arch"
    fi
    echo "$arch"
}

# cpu_busy [SECONDS]: percent of all CPUs busy (not idle/iowait) over a short
# window, while this script only sleeps: other work on the machine.
cpu_busy() {
    local s=${1:-3} a b
    a=$(head -1 /proc/stat)
    sleep "$s"
    b=$(head -1 /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN {
        na = split(a, x, " "); split(b, y, " ")
        for (i = 2; i <= na; i++) { d = y[i] - x[i]; tot += d; if (i == 5 || i == 6) idle += d }
        printf "%.0f\n", tot ? 100 * (tot - idle) / tot : 0 }'
}
