#!/usr/bin/env python3
"""Compare each seed's parse output with the expected JSON.

Usage: compare_expected.py EXE SEED_DIR EXPECTED_DIR

For every SEED_DIR/NAME.txt, `EXE parse NAME.txt` must equal
EXPECTED_DIR/NAME.json as JSON data, ignoring "generator" and
"source"."path". Regenerate the expected files with
scripts/update-expected.sh once the parser's output is right.
"""
import glob
import json
import os
import subprocess
import sys

MAX_DIFFS = 15
HINT = "run scripts/update-expected.sh (from the repository root) to regenerate fixtures/expected/"


def normalise(doc):
    if isinstance(doc, dict):
        doc.pop("generator", None)
        if isinstance(doc.get("source"), dict):
            doc["source"].pop("path", None)
    return doc


MISSING = object()


def short(v, limit=70):
    if v is MISSING:
        return "(no such key or item)"
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def where(path):
    return "$" + "".join("[%d]" % p if isinstance(p, int) else "." + p for p in path)


def diff(a, b, path=()):
    """Yield (path, expected, actual) for each difference."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if k not in b:
                yield path + (k,), a[k], MISSING
            elif k not in a:
                yield path + (k,), MISSING, b[k]
            else:
                yield from diff(a[k], b[k], path + (k,))
    elif isinstance(a, list) and isinstance(b, list):
        for i in range(max(len(a), len(b))):
            if i >= len(b):
                yield path + (i,), a[i], MISSING
            elif i >= len(a):
                yield path + (i,), MISSING, b[i]
            else:
                yield from diff(a[i], b[i], path + (i,))
    elif a != b or type(a) is not type(b):
        yield path, a, b


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    exe, seeds, expected = argv
    if not os.path.isdir(expected):
        print("%s does not exist: no expected outputs yet.\n%s" % (expected, HINT))
        return 1
    inputs = sorted(glob.glob(os.path.join(seeds, "*.txt")))
    if not inputs:
        print("no *.txt in %s" % seeds)
        return 1
    names = {os.path.splitext(os.path.basename(p))[0] for p in inputs}
    nbad = 0
    for path in inputs:
        name = os.path.splitext(os.path.basename(path))[0]
        want_path = os.path.join(expected, name + ".json")
        if not os.path.exists(want_path):
            nbad += 1
            print("FAIL %s: no %s; %s" % (name, want_path, HINT))
            continue
        with open(want_path, encoding="utf-8") as f:
            want = normalise(json.load(f))
        p = subprocess.run([exe, "parse", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0:
            nbad += 1
            print("FAIL %s: parse exit status %d: %s" % (
                name, p.returncode, p.stderr.decode("utf-8", "replace").strip()))
            continue
        try:
            got = normalise(json.loads(p.stdout.decode("utf-8")))
        except (UnicodeDecodeError, ValueError) as e:
            nbad += 1
            print("FAIL %s: output is not UTF-8 JSON: %s" % (name, e))
            continue
        diffs = list(diff(want, got))
        if diffs:
            nbad += 1
            print("FAIL %s: %d difference%s from %s" % (
                name, len(diffs), "" if len(diffs) == 1 else "s", want_path))
            for at, a, b in diffs[:MAX_DIFFS]:
                print("    %s\n        expected %s\n        actual   %s" % (where(at), short(a), short(b)))
            if len(diffs) > MAX_DIFFS:
                print("    … %d more" % (len(diffs) - MAX_DIFFS))
        else:
            print("ok   %s" % name)
    stale = sorted(os.path.basename(p) for p in glob.glob(os.path.join(expected, "*.json"))
                   if os.path.splitext(os.path.basename(p))[0] not in names)
    for s in stale:
        nbad += 1
        print("FAIL %s has no seed in %s; %s" % (s, seeds, HINT))
    if nbad:
        print("%d problem%s. If the new output is right: %s" % (nbad, "" if nbad == 1 else "s", HINT))
    else:
        print("all %d seeds match fixtures/expected/" % len(inputs))
    return 1 if nbad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
