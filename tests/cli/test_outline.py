"""speechtree outline.

The expected outline of seed 004 is stored in tests/cli/expected/004.outline.txt.
When the parser changes on purpose, regenerate it with

    SPEECHTREE_REGEN=1 meson test -C BUILD --suite cli test_outline.py

(or run this script by hand with the variable set), then review the diff.
"""
import difflib
import os
import sys

from clitest import HERE, SEEDS, case, check, display_width, finish, run

SEED = os.path.join(SEEDS, "004_2a6d75f4afb75138.txt")
EXPECTED = os.path.join(HERE, "expected", "004.outline.txt")
# Fixed width, so the expected text does not depend on the terminal running the tests.
ENV = {"COLUMNS": "100"}


def outline(*args, env=ENV):
    code, out, err = run("outline", *args, env=env)
    return code, out.decode("utf-8"), err


def tree_lines(text):
    """The tree part: from the title to the blank line before the summary."""
    return text.split("\n\n")[0].splitlines()


def test_expected():
    code, out, err = outline(SEED, "--color=never")
    check(code == 0, "outline exits 0", err)
    if os.environ.get("SPEECHTREE_REGEN"):
        os.makedirs(os.path.dirname(EXPECTED), exist_ok=True)
        with open(EXPECTED, "w", encoding="utf-8") as f:
            f.write(out)
        print(f"regenerated {EXPECTED}")
        return
    if not os.path.exists(EXPECTED):
        check(False, "expected outline exists", f"missing {EXPECTED}; create it with SPEECHTREE_REGEN=1")
        return
    with open(EXPECTED, encoding="utf-8") as f:
        expected = f.read()
    diff = "".join(difflib.unified_diff(expected.splitlines(True), out.splitlines(True),
                                        "expected/004.outline.txt", "speechtree outline (actual)"))
    check(out == expected, "outline of seed 004 matches expected/004.outline.txt",
          diff + "\nIf the change is intended, regenerate with SPEECHTREE_REGEN=1 (see test_outline.py).")


def test_shape():
    code, out, _ = outline(SEED, "--color=never")
    lines = tree_lines(out)
    check(lines and "四个对照" in lines[0], "the title is on the first line", lines[:1])
    top = [l for l in lines[1:] if not l.startswith(" ")]
    check(len(top) >= 1 and all("[" in l and "item" in l for l in top), "top-level lines carry [kind] and (N items)",
          top)
    check("\x1b[" not in out, "--color=never has no escapes")
    check("removed:" in out.splitlines()[-1], "the last line is the removed summary", out.splitlines()[-1:])


def test_color_always():
    code, out, _ = outline(SEED, "--color=always")
    check(code == 0 and "\x1b[" in out, "--color=always has ANSI escapes")
    code, out, _ = outline(SEED)
    check("\x1b[" not in out, "--color=auto has none when stdout is not a terminal")


def test_depth():
    code, out, err = outline(SEED, "--depth", "1", "--color=never")
    check(code == 0, "--depth 1 exits 0", err)
    lines = tree_lines(out)
    check(len(lines) > 1 and not any(l.startswith(" ") for l in lines), "--depth 1 shows only top-level lines", lines)
    _, full, _ = outline(SEED, "--color=never")
    full_top = [l for l in tree_lines(full) if not l.startswith(" ")]
    check(lines == full_top, "--depth 1 lines are the top-level lines of the full outline")
    code, _, _ = outline(SEED, "--depth", "0")
    check(code == 2, "--depth 0 is a usage error", code)


def test_width():
    for width in ("30", "60"):
        code, out, _ = outline(SEED, "--color=never", env={"COLUMNS": width})
        lines = tree_lines(out)
        widest = max(display_width(l) for l in lines)
        check(widest <= int(width), f"COLUMNS={width}: every tree line fits", widest)
        check(any(l.endswith("…") for l in lines), f"COLUMNS={width}: long headings end with …")


def test_bad_color():
    code, _, err = outline(SEED, "--color=sometimes")
    check(code == 2 and "usage:" in err, "a bad --color value exits 2", (code, err))


for test in (test_expected, test_shape, test_color_always, test_depth, test_width, test_bad_color):
    case(test)
finish()
sys.exit(0)
