#!/usr/bin/env python3
"""Parse every seed and score the structure against the gold outlines.

Usage: score_seeds.py EXE SEED_DIR GOLD_DIR SCORE_PY [--min KEY=VALUE ...]

Runs `EXE parse SEED -o OUTDIR/NAME.json` for every SEED_DIR/*.txt into a
temporary directory, then `SCORE_PY GOLD_DIR OUTDIR --min-tree-f1 T
--verbose`, and passes only when score.py passes and its last line reports
tree_f1, title and kind at least at their floors: 1.000 each unless --min
tree_f1=0.97 (and so on) sets a lower one, as for the evaluation corpus.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile


def main(argv):
    floors = {"tree_f1": 1.0, "title": 1.0, "kind": 1.0}
    while len(argv) > 4 and argv[-2] == "--min":
        key, _, value = argv[-1].partition("=")
        if key not in floors:
            sys.stderr.write(__doc__)
            return 2
        floors[key] = float(value)
        argv = argv[:-2]
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    exe, seeds, gold, score = argv
    inputs = sorted(glob.glob(os.path.join(seeds, "*.txt")))
    if not inputs:
        print("no *.txt in %s" % seeds)
        return 1
    ok = True
    with tempfile.TemporaryDirectory(prefix="speechtree-seeds-") as out:
        for path in inputs:
            name = os.path.splitext(os.path.basename(path))[0]
            p = subprocess.run([exe, "parse", path, "-o", os.path.join(out, name + ".json")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if p.returncode != 0:
                ok = False
                print("parse %s: exit status %d: %s" % (
                    name, p.returncode, p.stdout.decode("utf-8", "replace").strip()))
        p = subprocess.run([sys.executable, score, gold, out, "--min-tree-f1", str(floors["tree_f1"]), "--verbose"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
    print(p.stdout, end="")
    if p.returncode != 0:
        ok = False
        print("score.py: exit status %d (tree F1 below %.3f or error)" % (p.returncode, floors["tree_f1"]))
    lines = p.stdout.strip().splitlines()
    last = lines[-1] if lines else ""
    figures = dict(re.findall(r"(\w+)=([0-9.]+)", last))
    for key in ("tree_f1", "title", "kind"):
        if key not in figures:
            ok = False
            print("score.py: no %s= in its last line: %r" % (key, last))
        elif float(figures[key]) < floors[key]:
            ok = False
            print("%s=%s, want at least %.3f" % (key, figures[key], floors[key]))
    print("seed score: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
