"""Shared helpers for the CLI tests: run the built program, check, report.

Each test script is run by meson as: python3 SCRIPT SPEECHTREE_EXE SOURCE_ROOT
"""
import os
import subprocess
import sys
import traceback

EXE = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "speechtree"
ROOT = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "..")
SEEDS = os.path.join(ROOT, "fixtures", "seeds")
HERE = os.path.join(ROOT, "tests", "cli")

_failures = []


def run(*args, stdin=None, env=None, cwd=None):
    """Runs speechtree with args; returns (exit code, stdout bytes, stderr text)."""
    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    if env:
        full_env.update(env)
    proc = subprocess.run([EXE, *args], input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=full_env, cwd=cwd, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace")


def check(condition, what, detail=""):
    if condition:
        print(f"ok   {what}")
    else:
        print(f"FAIL {what}")
        if detail:
            print("     " + str(detail).replace("\n", "\n     "))
        _failures.append(what)
    return condition


def case(function):
    """Runs one test function; an exception counts as a failure, not a crash."""
    try:
        function()
    except Exception:  # noqa: BLE001 - report and go on with the other cases
        traceback.print_exc()
        _failures.append(function.__name__)
        print(f"FAIL {function.__name__} raised")


def finish():
    if _failures:
        print(f"\n{len(_failures)} check(s) failed:")
        for f in _failures:
            print(f"  - {f}")
        sys.exit(1)
    print("\nall checks passed")
    sys.exit(0)


def seed_files():
    return sorted(os.path.join(SEEDS, n) for n in os.listdir(SEEDS) if n.endswith(".txt"))


def display_width(text):
    """Terminal columns, as speechtree counts them: East Asian Wide/Fullwidth = 2."""
    import unicodedata
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or ch in "\u200b\u200c\u200d\u2060\ufeff":
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width
