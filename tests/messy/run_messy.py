#!/usr/bin/env python3
"""Messy copies of the seeds must give the seeds' outline.

Usage: run_messy.py SPEECHTREE SOURCE_ROOT [--only VARIANT]

Each seed in fixtures/seeds is turned, here in the test, into the kinds of copy
that archives hold: hard-wrapped at 18, 27 and 40 characters, flattened onto one
line, punctuation converted to ASCII (with and without a space after it), CRLF
line ends, and traditional script (ICU's uconv, Simplified-Traditional). Each
copy is parsed and scored against fixtures/gold with tools/score.py; every
variant must reach tree F1, title and kind of 1.000. Traditional copies are
scored against the gold converted to traditional script the same way, so the
comparison does not depend on a lossy round trip.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

ASCII_PUNCT = str.maketrans({"，": ",", "：": ":", "；": ";", "（": "(", "）": ")", "！": "!", "？": "?"})
ASCII_SPACED = str.maketrans({"，": ", ", "：": ": ", "；": "; ", "（": "(", "）": ")", "。": ". ",
                              "！": "! ", "？": "? "})


def wrap(text, width):
    out = []
    for line in text.split("\n"):
        out += [line[i:i + width] for i in range(0, len(line), width)] or [""]
    return "\n".join(out)


def flatten(text):
    return " ".join(line.strip() for line in text.split("\n") if line.strip())


def uconv(text, transform):
    r = subprocess.run(["uconv", "-f", "utf-8", "-t", "utf-8", "-x", transform],
                       input=text.encode("utf-8"), capture_output=True, check=True)
    return r.stdout.decode("utf-8")


VARIANTS = {
    "wrap18": lambda t: wrap(t, 18),
    "wrap27": lambda t: wrap(t, 27),
    "wrap40": lambda t: wrap(t, 40),
    "flattened": flatten,
    "ascii-punct": lambda t: t.translate(ASCII_PUNCT),
    "ascii-spaced": lambda t: t.translate(ASCII_SPACED),
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "traditional": lambda t: uconv(t, "Simplified-Traditional"),
}


def traditional_gold(gold, tmp):
    """The gold outlines in traditional script, converted as the inputs were."""
    out = os.path.join(tmp, "gold-traditional")
    os.makedirs(out)
    for f in os.listdir(gold):
        if f.endswith(".outline"):
            with open(os.path.join(gold, f), encoding="utf-8") as fh:
                text = fh.read()
            converted = uconv(text, "Simplified-Traditional")
            # kinds and the title: prefix are ASCII and survive the transform
            with open(os.path.join(out, f), "w", encoding="utf-8") as fh:
                fh.write(converted)
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    exe, root = sys.argv[1], sys.argv[2]
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    seeds = os.path.join(root, "fixtures", "seeds")
    gold = os.path.join(root, "fixtures", "gold")
    score = os.path.join(root, "tools", "score.py")
    have_uconv = shutil.which("uconv") is not None
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in VARIANTS.items():
            if only and name != only:
                continue
            if name == "traditional" and not have_uconv:
                print(f"FAIL {name}: uconv (package icu-devtools) is missing")
                failed += 1
                continue
            vdir = os.path.join(tmp, name)
            outdir = os.path.join(tmp, name + "-out")
            os.makedirs(vdir)
            os.makedirs(outdir)
            ok = True
            for f in sorted(os.listdir(seeds)):
                if not f.endswith(".txt"):
                    continue
                with open(os.path.join(seeds, f), encoding="utf-8") as fh:
                    text = make(fh.read())
                path = os.path.join(vdir, f)
                with open(path, "w", encoding="utf-8", newline="") as fh:
                    fh.write(text)
                r = subprocess.run([exe, "parse", path], capture_output=True)
                if r.returncode != 0:
                    print(f"FAIL {name} {f}: exit {r.returncode}: {r.stderr.decode(errors='replace')}")
                    ok = False
                    continue
                doc = json.loads(r.stdout)
                if name == "traditional" and not doc["source"]["traditional"]:
                    print(f"FAIL {name} {f}: source.traditional is false")
                    ok = False
                with open(os.path.join(outdir, f[:-4] + ".json"), "w", encoding="utf-8") as fh:
                    json.dump(doc, fh, ensure_ascii=False)
            g = traditional_gold(gold, tmp) if name == "traditional" else gold
            r = subprocess.run([sys.executable, score, g, outdir, "--verbose"], capture_output=True, text=True)
            last = r.stdout.strip().splitlines()[-1]
            figures = dict(kv.split("=") for kv in last.split() if "=" in kv)
            good = ok and all(float(figures[k]) == 1.0 for k in ("tree_f1", "title", "kind"))
            print(("ok   " if good else "FAIL ") + f"{name}: {last}")
            if not good:
                print("\n".join("    " + l for l in r.stdout.splitlines() if "missed" in l or "extra" in l or l[:3].isdigit()))
            passed += good
            failed += not good
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
