#!/usr/bin/env bash
# Set up a Debian (bookworm) machine to build and test speechtree, then build.
# Idempotent: packages are installed only when missing (checked with dpkg), the
# build directory is configured only when it is not configured yet (afterwards
# ninja re-runs meson itself when a meson.build changes), so a second run takes
# about as long as a no-op ninja.
#
# Usage: scripts/bootstrap.sh            (as root, or with every package present)
# Environment: BUILD_DIR (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
export DEBIAN_FRONTEND=noninteractive

packages=(build-essential meson ninja-build pkg-config libcjson-dev libicu-dev
          libpcre2-dev python3 python3-jsonschema icu-devtools clang valgrind)
# Sanitizer and libFuzzer runtimes for clang; the name carries clang's version.
clang_rt_default=libclang-rt-14-dev

say() { printf 'bootstrap: %s\n' "$*"; }

installed() {
    dpkg -s "$1" 2>/dev/null | grep -qx 'Status: install ok installed'
}

clang_major() {
    command -v clang >/dev/null 2>&1 || return 1
    clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9][0-9]*\)\..*/\1/p' | head -n 1
}

# The clang runtime counts as present when the default one or the one that
# matches the installed clang is installed.
clang_rt_installed() {
    installed "$clang_rt_default" && return 0
    local v
    v=$(clang_major) && [ -n "$v" ] && installed "libclang-rt-$v-dev"
}

missing=()
for p in "${packages[@]}"; do
    installed "$p" || missing+=("$p")
done
need_clang_rt=0
clang_rt_installed || need_clang_rt=1

if [ ${#missing[@]} -gt 0 ] || [ $need_clang_rt -eq 1 ]; then
    want=("${missing[@]}")
    [ $need_clang_rt -eq 1 ] && want+=("$clang_rt_default")
    if ! command -v apt-get >/dev/null 2>&1; then
        say "missing packages: ${want[*]}; this script needs Debian's apt-get" >&2
        exit 1
    fi
    if [ "$(id -u)" -ne 0 ]; then
        say "missing packages: ${want[*]}" >&2
        say "install them as root:  apt-get install ${want[*]}" >&2
        exit 1
    fi
    log=$(mktemp)
    trap 'rm -f "$log"' EXIT
    say "updating package lists (missing: ${want[*]})"
    if ! apt-get -qq update >"$log" 2>&1; then
        cat "$log" >&2
        say "apt-get update failed" >&2
        exit 1
    fi
    if [ $need_clang_rt -eq 1 ]; then
        # Check that the runtime package exists under this name; otherwise take
        # the one that goes with the clang this release ships.
        rt=""
        if apt-cache show "$clang_rt_default" >/dev/null 2>&1; then
            rt=$clang_rt_default
        else
            v=$(apt-cache depends clang 2>/dev/null |
                sed -n 's/^ *Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -n 1)
            if [ -n "$v" ] && apt-cache show "libclang-rt-$v-dev" >/dev/null 2>&1; then
                rt=libclang-rt-$v-dev
            fi
        fi
        if [ -n "$rt" ]; then
            missing+=("$rt")
        else
            say "warning: no libclang-rt-N-dev package found; sanitizer and fuzz builds may not link" >&2
        fi
    fi
    [ ${#missing[@]} -gt 0 ] && say "installing: ${missing[*]}"
    if [ ${#missing[@]} -gt 0 ] &&
       ! apt-get -qq install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
        cat "$log" >&2
        say "apt-get install failed" >&2
        exit 1
    fi
else
    say "all packages present"
fi

# Configure once; ninja regenerates the build files when meson.build changes.
if [ ! -f "$BUILD_DIR/meson-private/coredata.dat" ]; then
    say "configuring $BUILD_DIR"
    if ! out=$(meson setup "$BUILD_DIR" 2>&1); then
        printf '%s\n' "$out" >&2
        say "meson setup failed" >&2
        exit 1
    fi
    # Show meson's warnings, not the rest of its report.
    printf '%s\n' "$out" | grep -E '^(WARNING|DEPRECATION)' >&2 || true
fi
ninja -C "$BUILD_DIR"
say "ok: $BUILD_DIR/speechtree"
