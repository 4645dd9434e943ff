#!/usr/bin/env python3
"""Lossless test: nothing of the source is dropped or doubled by the parser.

    check_lossless.py SPEECHTREE [--allow-reject] [--keep-noise] PATH...
    check_lossless.py SPEECHTREE --selftest FILE
    check_lossless.py SPEECHTREE --spec tests/spec/spec.md [PATH...]

PATH is a file or a directory (its files, sorted; README.md skipped). For each
input this runs `SPEECHTREE parse FILE` and checks the contract of
docs/FORMAT.md ("Lossless"):

* the decoded source (file bytes decoded in the reported encoding, BOM
  dropped, CRLF and CR turned into LF) has source.chars characters;
* the spans of title, preamble, closing (from "places") and of every node
  (marker start to end of own text) do not overlap each other;
* every non-whitespace character of the source lies in a field span or in a
  removed span (removed spans do not overlap each other);
* for each field, source[start:end] with the removed spans inside it cut out
  and whitespace dropped equals the field's text (title; preamble; closing;
  marker+heading+text of a node) with whitespace dropped;
* removed[].text == source[start:end], censored[].word == source[start:end],
  and line/column of every place match its start.

Whitespace is the library's st_is_space() set plus line ends and the other
Unicode spaces (the same set as tests/fuzz/fuzz_common.h), ignored on both
sides.

--spec FILE: also check the input of every ```example block of the spec.
--selftest: check that the checker passes FILE's real output and catches a
dropped, a doubled character, overlapping spans, a gap, a wrong removed
text, a wrong line and a wrong character count.
--allow-reject: an input the CLI refuses (exit 1 with a message naming the
file) is skipped instead of failing (for fuzz corpora with binary junk).
Exit status: 0 when every input passes, 1 otherwise. Each violation is
printed with the field, offset, line:column and the text around it."""
import json
import os
import subprocess
import sys

WS = set(map(ord, " \t\n\r\f\v\u3000\u00a0\u0085\u1680\u200b\u200c\u200d\ufeff\u2060"
                  "\u2028\u2029\u202f\u205f\x1c\x1d\x1e\x1f"))
WS.update(range(0x2000, 0x200B))
MAX_REPORTS = 8


def is_ws(ch):
    return ord(ch) in WS


def strip_ws(s):
    return "".join(ch for ch in s if not is_ws(ch))


def decode_source(data, encoding):
    """The decoded source as FORMAT.md defines it."""
    codec = {"utf-8": "utf-8", "utf8": "utf-8"}.get(encoding.lower(), encoding)
    text = data.decode(codec, "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def context(src, start, end=None, width=12):
    end = start + 1 if end is None else end
    a, b = max(0, start - width), min(len(src), end + width)
    return (src[a:start] + "⟦" + src[start:end] + "⟧" + src[end:b]).replace("\n", "⏎")


class Checker:
    def __init__(self, name, src, doc):
        self.name, self.src, self.doc = name, src, doc
        self.errors = []
        # line/column of each offset
        self.line_of, self.col_of = [], []
        line, col = 1, 1
        for ch in src:
            self.line_of.append(line)
            self.col_of.append(col)
            if ch == "\n":
                line, col = line + 1, 1
            else:
                col += 1
        self.line_of.append(line)
        self.col_of.append(col)

    def err(self, msg):
        self.errors.append(msg)

    def where(self, off):
        off = min(max(off, 0), len(self.src))
        return f"offset {off} (line {self.line_of[off]} column {self.col_of[off]})"

    def place(self, obj, what):
        """(start, end) of a place, after checking it; None if unusable."""
        try:
            start, end, line, col = obj["start"], obj["end"], obj["line"], obj["column"]
        except (KeyError, TypeError):
            self.err(f"{what}: no line/column/start/end")
            return None
        if not all(isinstance(v, int) for v in (start, end, line, col)):
            self.err(f"{what}: line/column/start/end are not integers")
            return None
        if not 0 <= start <= end <= len(self.src):
            self.err(f"{what}: span [{start},{end}) outside the source of {len(self.src)} chars")
            return None
        if (line, col) != (self.line_of[start], self.col_of[start]):
            self.err(f"{what}: says line {line} column {col}, but its start {start} is "
                     f"line {self.line_of[start]} column {self.col_of[start]}")
        return start, end

    def run(self):
        doc, src = self.doc, self.src
        chars = doc.get("source", {}).get("chars")
        if chars != len(src):
            self.err(f"source.chars is {chars}, the decoded file has {len(src)} chars "
                     f"(encoding {doc.get('source', {}).get('encoding')}; decoded as FORMAT.md says: "
                     f"one leading BOM dropped, CRLF/CR -> LF; it starts {src[:12]!r})")
            return  # offsets would be meaningless

        removed = [False] * len(src)
        for i, r in enumerate(doc.get("removed", [])):
            span = self.place(r, f"removed[{i}] ({r.get('rule')})")
            if not span:
                continue
            s, e = span
            if r.get("text") != src[s:e]:
                self.err(f"removed[{i}] ({r.get('rule')}): text {r.get('text')!r} != "
                         f"source[{s}:{e}] {src[s:e]!r}")
            for k in range(s, e):
                if removed[k]:
                    self.err(f"removed[{i}] overlaps another removed span at {self.where(k)}")
                    break
                removed[k] = True
        for i, c in enumerate(doc.get("censored", [])):
            span = self.place(c, f"censored[{i}]")
            if span and c.get("word") != src[span[0]:span[1]]:
                self.err(f"censored[{i}]: word {c.get('word')!r} != source {src[span[0]:span[1]]!r}")
        for i, d in enumerate(doc.get("diagnostics", [])):
            self.place(d, f"diagnostics[{i}] ({d.get('code')})")

        fields = []  # (name, start, end, text)
        places = doc.get("places") or {}
        for key in ("title", "preamble", "closing"):
            text = doc.get(key) or ""
            p = places.get(key)
            if p is None:
                if strip_ws(text):
                    self.err(f"{key}: has text {text[:30]!r} but places.{key} is null")
                continue
            span = self.place(p, key)
            if span:
                fields.append((key, span[0], span[1], text))
        # nodes, iteratively: trees may be deep
        stack = [(f"sections[{i}]", n) for i, n in reversed(list(enumerate(doc.get("sections", []))))]
        while stack:
            path, node = stack.pop()
            label = f"{path} (marker {node.get('marker')!r})"
            span = self.place(node, label)
            if span:
                text = (node.get("marker") or "") + (node.get("heading") or "") + (node.get("text") or "")
                fields.append((label, span[0], span[1], text))
            kids = node.get("children") or []
            stack.extend((f"{path}.children[{i}]", k) for i, k in reversed(list(enumerate(kids))))

        # spans do not overlap
        by_start = sorted((f for f in fields if f[2] > f[1]), key=lambda f: (f[1], f[2]))
        for a, b in zip(by_start, by_start[1:]):
            if b[1] < a[2]:
                self.err(f"{a[0]} [{a[1]},{a[2]}) and {b[0]} [{b[1]},{b[2]}) overlap at "
                         f"{self.where(b[1])}: {context(src, b[1], min(a[2], b[2]))}")

        # coverage
        covered = [False] * len(src)
        for _, s, e, _ in fields:
            for k in range(s, e):
                covered[k] = True
        missing = [k for k, ch in enumerate(src) if not covered[k] and not removed[k] and not is_ws(ch)]
        if missing:
            runs, start = [], missing[0]
            for a, b in zip(missing, missing[1:] + [None]):
                if b != a + 1:
                    runs.append((start, a + 1))
                    start = b
            for s, e in runs[:MAX_REPORTS]:
                self.err(f"dropped: source[{s}:{e}] at {self.where(s)} is in no field and no removed "
                         f"span: {context(src, s, e)}")
            if len(runs) > MAX_REPORTS:
                self.err(f"dropped: … and {len(runs) - MAX_REPORTS} more runs "
                         f"({len(missing)} chars in all)")

        # each field's span says what its text says
        for name, s, e, text in fields:
            have = [(k, src[k]) for k in range(s, e) if not removed[k] and not is_ws(src[k])]
            want = strip_ws(text)
            got = "".join(ch for _, ch in have)
            if got == want:
                continue
            i = 0
            while i < min(len(got), len(want)) and got[i] == want[i]:
                i += 1
            if i < len(have):
                off = have[i][0]
                where = f"at {self.where(off)}: source {context(src, off)}"
            else:
                where = f"after the end of its span [{s},{e})"
            self.err(f"{name}: span [{s},{e}) does not match its text, first difference {where}; "
                     f"text has {want[i:i + 12]!r}, span has {got[i:i + 12]!r} "
                     f"({len(want)} vs {len(got)} non-space chars)")


def selftest(exe, path):
    """The checker must pass the real output and catch each kind of breakage."""
    import copy
    proc = subprocess.run([exe, "parse", path], capture_output=True, timeout=120)
    if proc.returncode != 0:
        print(f"selftest: speechtree parse {path} exited {proc.returncode}")
        return 1
    doc = json.loads(proc.stdout)
    with open(path, "rb") as f:
        src = decode_source(f.read(), doc["source"]["encoding"])

    def nodes(d):
        stack = list(d["sections"])
        while stack:
            n = stack.pop()
            yield n
            stack.extend(n["children"])

    def first_node(d):
        return max(nodes(d), key=lambda n: len(n["heading"]) + len(n["text"]))

    def drop_char(d):
        n = first_node(d)
        t = n["text"] or n["heading"]
        key = "text" if n["text"] else "heading"
        i = next(k for k, ch in enumerate(t) if not is_ws(ch))
        n[key] = t[:i] + t[i + 1:]

    def double_char(d):
        n = first_node(d)
        n["heading"] = n["heading"][:1] + n["heading"]

    def overlap(d):
        d["sections"].append(copy.deepcopy(first_node(d)))

    def gap(d):
        n = first_node(d)
        n["end"] -= 3
        n["text"] = n["text"][:-3]

    def removed_text(d):
        if d["removed"]:
            d["removed"][0]["text"] += "x"
        else:
            d["removed"].append({"rule": "fake", "text": "x", "line": 1, "column": 1, "start": 0, "end": 1})

    def wrong_line(d):
        first_node(d)["line"] += 1

    def chars(d):
        d["source"]["chars"] += 1

    failures = 0
    c = Checker(path, src, doc)
    c.run()
    if c.errors:
        print(f"selftest: the real output of {path} fails: {c.errors[:3]}")
        failures += 1
    for mutate in (drop_char, double_char, overlap, gap, removed_text, wrong_line, chars):
        d = copy.deepcopy(doc)
        mutate(d)
        c = Checker(path, src, d)
        c.run()
        if c.errors:
            print(f"ok   {mutate.__name__}: caught: {c.errors[0][:150]}")
        else:
            print(f"FAIL {mutate.__name__}: not caught")
            failures += 1
    print(f"lossless-selftest: {8 - failures} passed, {failures} failed")
    return 1 if failures else 0


def spec_examples(spec, tmpdir):
    """Write the inputs of the ```example blocks of tests/spec/spec.md (the
    part before the "." line; "→" is a tab, "␣" a space) to tmpdir; return
    their paths."""
    paths, cur, number = [], None, 0
    with open(spec, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for i, raw in enumerate(lines, 1):
        line = raw.rstrip("\r")
        if cur is None:
            if line == "```example":
                number += 1
                cur, start = [], i
            continue
        if line == "." or line == "```":
            if cur is not False:
                path = os.path.join(tmpdir, f"spec.md-line{start}-example{number:03d}.txt")
                with open(path, "w", encoding="utf-8") as out:
                    out.write("\n".join(cur) + "\n")
                paths.append(path)
            cur = False if line == "." else None
            continue
        if cur is not False:
            cur.append(line.replace("→", "\t").replace("␣", " "))
    return paths


def inputs(paths):
    for p in paths:
        if os.path.isdir(p):
            for name in sorted(os.listdir(p)):
                full = os.path.join(p, name)
                if os.path.isfile(full) and name != "README.md" and not name.startswith("."):
                    yield full
        else:
            yield p


def main(argv):
    argv = list(argv)
    spec = None
    if "--spec" in argv:
        k = argv.index("--spec")
        spec = argv[k + 1]
        del argv[k:k + 2]
    args = [a for a in argv[1:] if not a.startswith("--")]
    opts = {a for a in argv[1:] if a.startswith("--")}
    if spec:
        import tempfile
        import atexit
        import shutil
        tmpdir = tempfile.mkdtemp(prefix="st-lossless-spec-")
        atexit.register(shutil.rmtree, tmpdir, True)
        args.extend(spec_examples(spec, tmpdir))
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    exe, paths = args[0], args[1:]
    if "--selftest" in opts:
        return selftest(exe, paths[0])
    extra = ["--keep-noise"] if "--keep-noise" in opts else []
    allow_reject = "--allow-reject" in opts
    passed = failed = skipped = 0
    for path in inputs(paths):
        proc = subprocess.run([exe, "parse", path] + extra, capture_output=True, timeout=120)
        if proc.returncode != 0:
            msg = proc.stderr.decode("utf-8", "replace").strip()
            if allow_reject and proc.returncode == 1 and msg:
                skipped += 1
                continue
            print(f"FAIL {path}: speechtree parse exited {proc.returncode}: {msg[:300]}")
            failed += 1
            continue
        try:
            doc = json.loads(proc.stdout)
        except ValueError as e:
            print(f"FAIL {path}: output is not JSON: {e}")
            failed += 1
            continue
        enc = (doc.get("source") or {}).get("encoding") or "UTF-8"
        with open(path, "rb") as f:
            data = f.read()
        try:
            src = decode_source(data, enc)
        except (LookupError, UnicodeError) as e:
            print(f"SKIP {path}: cannot decode as {enc} in Python: {e}")
            skipped += 1
            continue
        c = Checker(path, src, doc)
        c.run()
        if c.errors:
            failed += 1
            print(f"FAIL {path}: {len(c.errors)} violation(s)")
            for e in c.errors[:40]:
                print(f"  - {e}")
            if len(c.errors) > 40:
                print(f"  - … {len(c.errors) - 40} more")
        else:
            passed += 1
            print(f"ok   {path}")
    print(f"lossless: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
