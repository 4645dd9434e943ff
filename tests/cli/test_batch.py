"""speechtree batch: a folder tree with good and broken files."""
import filecmp
import json
import os
import random
import shutil
import tempfile
import time

from clitest import case, check, finish, run, seed_files

TMP = tempfile.mkdtemp(prefix="speechtree-batch-")
IN = os.path.join(TMP, "in")

# relative path -> seed it is a copy of
GOOD = {}
BROKEN = ["broken/invalid.txt", "broken/junk.txt"]


def build_tree():
    seeds = seed_files()
    layout = ["top.txt", "a/one.txt", "a/b/two.txt", "a/b/c/three.txt", "d/four.txt", "d/e/five.txt"]
    for i, rel in enumerate(layout):
        GOOD[rel] = seeds[i % len(seeds)]
        os.makedirs(os.path.dirname(os.path.join(IN, rel)), exist_ok=True)
        shutil.copyfile(GOOD[rel], os.path.join(IN, rel))
    # Files that the default glob must leave alone.
    with open(os.path.join(IN, "a", "notes.md"), "w") as f:
        f.write("# not a speech\n")
    os.makedirs(os.path.join(IN, "broken"), exist_ok=True)
    # Invalid UTF-8 (and, with the NUL byte, invalid text in any encoding).
    with open(os.path.join(IN, "broken", "invalid.txt"), "wb") as f:
        f.write("一、存在的问题\n（一）学习不够。".encode() + b"\xff\xfe\xfd\x00\xff" + "二、原因".encode())
    rng = random.Random(1234)
    junk = bytes(rng.randrange(256) for _ in range(4096))
    with open(os.path.join(IN, "broken", "junk.txt"), "wb") as f:
        f.write(junk[:100] + b"\x00\x00" + junk[100:])


def expected_order(root, pattern_suffix=".txt"):
    """Paths in the order speechtree walks: names in byte order, depth first."""
    found = []
    for name in sorted(os.listdir(root), key=lambda n: n.encode()):
        path = os.path.join(root, name)
        if os.path.isdir(path):
            found.extend(expected_order(path, pattern_suffix))
        elif name.endswith(pattern_suffix):
            found.append(path)
    return found


def json_path(out, rel):
    return os.path.join(out, os.path.splitext(rel)[0] + ".json")


def mtimes(out):
    return {rel: os.stat(json_path(out, rel)).st_mtime_ns for rel in GOOD}


def leftovers(root):
    return [os.path.join(d, n) for d, _, names in os.walk(root) for n in names if ".tmp." in n]


OUT = os.path.join(TMP, "out")


def test_first_run():
    code, out, err = run("batch", IN, "--out", OUT, "-j", "2")
    check(code == 1, "a run with broken files exits 1", (code, err))
    check(out == b"", "batch prints nothing on stdout")
    for rel, seed in GOOD.items():
        target = json_path(OUT, rel)
        if check(os.path.exists(target), f"mirrored output {os.path.relpath(target, OUT)} exists"):
            with open(target, encoding="utf-8") as f:
                doc = json.load(f)
            check(doc.get("source", {}).get("path") == os.path.join(IN, rel), f"{rel}: source.path", doc.get("source"))
    check(not os.path.exists(os.path.join(OUT, "a", "notes.json")), "files outside the glob are not converted")
    for rel in BROKEN:
        check(not os.path.exists(json_path(OUT, rel)), f"no output for {rel}")
        check(os.path.join(IN, rel) in err, f"stderr names {rel}", err)
    failures_file = os.path.join(OUT, "failures.jsonl")
    check(os.path.exists(failures_file), "failures.jsonl is written")
    with open(failures_file, encoding="utf-8") as f:
        failures = [json.loads(line) for line in f]
    check(sorted(x["path"] for x in failures) == sorted(os.path.join(IN, r) for r in BROKEN),
          "failures.jsonl lists the broken files", failures)
    check(all(x.get("error") and x.get("status") for x in failures), "each failure has error and status", failures)
    check("6 converted" in err and "2 failed" in err, "the summary counts converted and failed", err)
    check(not leftovers(OUT), "no temporary files are left", leftovers(OUT))


def test_second_run_skips():
    before = mtimes(OUT)
    time.sleep(0.05)
    code, _, err = run("batch", IN, "--out", OUT)
    check(code == 1, "the second run still exits 1 for the broken files", code)
    check("0 converted" in err and "6 skipped" in err, "the second run skips every converted file", err)
    check(mtimes(OUT) == before, "skipped outputs are not rewritten")
    with open(os.path.join(OUT, "failures.jsonl"), encoding="utf-8") as f:
        check(len(f.readlines()) == 2, "failures.jsonl is rewritten, not appended to")


def test_changed_input_is_redone():
    rel = "a/one.txt"
    time.sleep(0.05)
    os.utime(os.path.join(IN, rel))  # the input is now newer than its output
    code, _, err = run("batch", IN, "--out", OUT)
    check("1 converted" in err and "5 skipped" in err, "an input newer than its output is converted again", err)


def test_force():
    before = mtimes(OUT)
    time.sleep(0.05)
    code, _, err = run("batch", IN, "--out", OUT, "--force", "--quiet")
    check(code == 1, "--force still exits 1 for the broken files", code)
    after = mtimes(OUT)
    check(all(after[r] > before[r] for r in GOOD), "--force rewrites every output")
    check("converted" not in err, "--quiet prints no summary", err)


def test_jsonl():
    code, out, err = run("batch", "--jsonl", IN, "-j", "3")
    check(code == 1, "--jsonl with broken files exits 1", code)
    lines = out.decode("utf-8").splitlines()
    docs = [json.loads(line) for line in lines]
    order = [p for p in expected_order(IN) if os.path.relpath(p, IN) not in BROKEN]
    check([d["source"]["path"] for d in docs] == order, "--jsonl: one object per good file, in input order",
          [d["source"]["path"] for d in docs])
    for rel in BROKEN:
        check(os.path.join(IN, rel) in err, f"--jsonl reports {rel} on stderr")
    check(not os.path.exists(os.path.join(IN, "failures.jsonl")), "--jsonl writes no files")
    # Same objects as the files, compact.
    for d in docs:
        rel = os.path.relpath(d["source"]["path"], IN)
        with open(json_path(OUT, rel), encoding="utf-8") as f:
            check(json.load(f) == d, f"--jsonl object for {rel} equals its file")


def test_jsonl_stdin_list():
    wanted = [os.path.join(IN, r) for r in ("d/e/five.txt", "top.txt", "a/b/two.txt")]
    listing = ("\n".join(wanted) + "\n").encode()
    code, out, err = run("batch", "--jsonl", "-", "-j", "2", stdin=listing)
    check(code == 0, "--jsonl - exits 0", (code, err))
    paths = [json.loads(line)["source"]["path"] for line in out.decode().splitlines()]
    check(paths == wanted, "--jsonl - follows the order of the list on stdin", paths)


def test_jobs_give_identical_outputs():
    one, two = os.path.join(TMP, "j1"), os.path.join(TMP, "j2")
    run("batch", IN, "--out", one, "-j1", "-q")
    run("batch", IN, "--out", two, "-j", "2", "-q")
    compare = filecmp.dircmp(one, two)

    def differences(c):
        found = c.left_only + c.right_only + c.diff_files + c.funny_files
        for sub in c.subdirs.values():
            found += differences(sub)
        return found

    # dircmp compares shallowly; compare contents too.
    same = not differences(compare)
    for d, _, names in os.walk(one):
        for n in names:
            a = os.path.join(d, n)
            b = os.path.join(two, os.path.relpath(a, one))
            same = same and os.path.exists(b) and filecmp.cmp(a, b, shallow=False)
    check(same, "-j1 and -j2 give identical outputs", differences(compare))


def test_file_arguments_and_glob():
    out = os.path.join(TMP, "files")
    code, _, err = run("batch", os.path.join(IN, "a", "b", "two.txt"), os.path.join(IN, "a", "notes.md"),
                       "--out", out, "-q")
    check(code == 0, "files named on the command line are taken whatever the glob", err)
    check(os.path.exists(os.path.join(out, "two.json")) and os.path.exists(os.path.join(out, "notes.json")),
          "a file argument maps to its basename", os.listdir(out))
    out = os.path.join(TMP, "glob")
    code, _, err = run("batch", IN, "--out", out, "--glob", "t*.txt", "-q")
    got = sorted(os.path.relpath(os.path.join(d, n), out) for d, _, ns in os.walk(out) for n in ns)
    check(got == sorted(["a/b/c/three.json", "a/b/two.json", "failures.jsonl", "top.json"]), "--glob selects by basename",
          got)


def test_usage():
    code, _, err = run("batch", IN)
    check(code == 2 and "usage:" in err, "batch without --out or --jsonl exits 2", (code, err))
    code, _, err = run("batch", "--out", OUT)
    check(code == 2, "batch without PATH exits 2", code)
    code, _, err = run("batch", IN, "--out", OUT, "-j", "0")
    check(code == 2, "-j 0 exits 2", code)


build_tree()
try:
    for test in (test_first_run, test_second_run_skips, test_changed_input_is_redone, test_force, test_jsonl,
                 test_jsonl_stdin_list, test_jobs_give_identical_outputs, test_file_arguments_and_glob, test_usage):
        case(test)
finally:
    shutil.rmtree(TMP, ignore_errors=True)
finish()
