#!/usr/bin/env python3
"""Run the examples of tests/spec/spec.md against the speechtree CLI.

Usage:
  run_spec.py SPEECHTREE_BIN SPEC_FILE [--filter WORD] [--verbose]

Every fenced block opened by a line "```example" and closed by a line "```"
is an example: the input comes before a line holding only ".", the
expectation after it.  In the input, "→" stands for a tab and "␣" for a space
(so that significant trailing spaces survive editors).

The expectation is an outline in the gold format (shared/gold/README.md):
two spaces per depth, marker, space, heading start, optional {kind};
"·" is the marker of a heading paragraph without a marker.  Before the first
node there may be check lines:

  title: TEXT | OTHER    title equals one of the readings ("-": no title)
  preamble: PREFIX       preamble starts with PREFIX ("-": no preamble)
  closing: PREFIX        closing starts with PREFIX ("-": no closing)
  removed: RULE TEXT     some removed span has this rule and starts with TEXT
  diagnostic: CODE       some diagnostic has this code (repeat the line to
                         require several)

Comparison: all text comparisons ignore whitespace.  The node lists must
match exactly (count, nesting, order).  Markers are compared exactly as
written (fullwidth and ASCII forms differ).  The expected heading must be a
prefix of the parser's heading.  A kind is compared only where the
expectation gives one.  title/preamble/closing are checked only when given.

--filter WORD runs the examples whose number is WORD (or in the range N-M),
or whose section heading contains WORD (case-insensitive).
--verbose also lists the passing examples and shows the parser's JSON of the
failing ones.

Prints every failure and a final line "N passed, M failed"; exits 1 if any
example failed, 2 on a usage error.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

KINDS = {"preparation", "problems", "causes", "measures", "rectification", "other"}
CHECK_KEYS = ("title", "preamble", "closing", "removed", "diagnostic")
TIMEOUT = 20
SPEC_NAME = "spec.md"  # set from the command line, for messages


def squash(s):
    """Drop all whitespace (the comparisons ignore it)."""
    return "".join((s or "").split())


class Example:
    def __init__(self, number, section, line):
        self.number = number
        self.section = section      # nearest heading above the example
        self.line = line            # line of the opening fence in spec.md
        self.input_lines = []
        self.expect_lines = []      # (line number, text)
        self.checks = []            # (key, value, line number)
        self.nodes = []             # tree of dicts
        self.errors = []            # syntax errors in the example itself


def parse_spec(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    examples = []
    section = ""
    cur = None
    part = None
    for i, raw in enumerate(lines, 1):
        line = raw.rstrip("\r")
        if cur is None:
            m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
            if m:
                section = m.group(2)
            elif line == "```example":
                cur = Example(len(examples) + 1, section, i)
                part = "input"
            continue
        if line == "```":
            if part == "input":
                cur.errors.append(f"{SPEC_NAME}:{i}: example has no '.' separator line")
            finish_example(cur)
            examples.append(cur)
            cur = None
            continue
        if part == "input":
            if line == ".":
                part = "expect"
            else:
                cur.input_lines.append(line.replace("→", "\t").replace("␣", " "))
        else:
            cur.expect_lines.append((i, line))
    if cur is not None:
        cur.errors.append(f"{SPEC_NAME}:{cur.line}: example not closed by ```")
        finish_example(cur)
        examples.append(cur)
    return examples


def parse_node_line(text):
    depth_spaces = len(text) - len(text.lstrip(" "))
    body = text.strip()
    kind = None
    m = re.match(r"^(.*\S)\s+\{([a-z]+)\}$", body)
    if m and m.group(2) in KINDS:
        body, kind = m.group(1), m.group(2)
    marker, _, heading = body.partition(" ")
    return depth_spaces, marker, heading.strip(), kind


def finish_example(ex):
    roots = []
    stack = []  # (depth, node)
    seen_node = False
    for lineno, text in ex.expect_lines:
        if not text.strip():
            continue
        m = re.match(r"^(title|preamble|closing|removed|diagnostic):\s?(.*)$", text)
        if m and not text.startswith(" "):
            if seen_node:
                ex.errors.append(f"{SPEC_NAME}:{lineno}: check line after the first node")
            key, val = m.group(1), m.group(2).strip()
            if key == "removed" and len(val.split(None, 1)) != 2:
                ex.errors.append(f"{SPEC_NAME}:{lineno}: 'removed:' needs RULE and TEXT")
            if not val:
                ex.errors.append(f"{SPEC_NAME}:{lineno}: empty '{key}:' line")
            ex.checks.append((key, val, lineno))
            continue
        seen_node = True
        spaces, marker, heading, kind = parse_node_line(text)
        if spaces % 2:
            ex.errors.append(f"{SPEC_NAME}:{lineno}: odd indentation")
        depth = spaces // 2
        if not heading:
            ex.errors.append(f"{SPEC_NAME}:{lineno}: node without heading text")
        if " {" in text and kind is None:
            ex.errors.append(f"{SPEC_NAME}:{lineno}: unknown kind in {text.strip()!r}")
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if (stack and depth != stack[-1][0] + 1) or (not stack and depth != 0):
            ex.errors.append(f"{SPEC_NAME}:{lineno}: depth jumps by more than one level")
        node = {"marker": "" if marker == "·" else marker, "heading": heading,
                "kind": kind, "children": [], "line": lineno}
        (stack[-1][1]["children"] if stack else roots).append(node)
        stack.append((depth, node))
    ex.nodes = roots


# ---------------------------------------------------------------- actual side

def actual_tree(sections):
    out = []
    for n in sections or []:
        out.append({"marker": n.get("marker") or "",
                    "heading": n.get("heading") or "",
                    "kind": n.get("kind"),
                    "children": actual_tree(n.get("children"))})
    return out


def render(nodes, depth=0, full=False):
    lines = []
    for n in nodes:
        head = squash(n["heading"])
        if not full and len(head) > 24:
            head = head[:24] + "…"
        kind = f" {{{n['kind']}}}" if n.get("kind") else ""
        lines.append("  " * depth + (n["marker"] or "·") + " " + head + kind)
        lines.extend(render(n["children"], depth + 1, full))
    return lines


def compare_nodes(exp, act, path, diffs):
    if len(exp) != len(act):
        where = " > ".join(path) or "top level"
        diffs.append(f"{where}: expected {len(exp)} node(s), got {len(act)}")
    for i, (e, a) in enumerate(zip(exp, act)):
        label = (e["marker"] or "·") + e["heading"][:8]
        here = path + [label]
        if e["marker"] != a["marker"]:
            diffs.append(f"{' > '.join(here)}: marker {a['marker'] or '·'!r} "
                         f"instead of {e['marker'] or '·'!r}")
        if not squash(a["heading"]).startswith(squash(e["heading"])):
            diffs.append(f"{' > '.join(here)}: heading {squash(a['heading'])[:30]!r} "
                         f"does not start with {squash(e['heading'])!r}")
        if e["kind"] is not None and e["kind"] != a["kind"]:
            diffs.append(f"{' > '.join(here)}: kind {a['kind']!r} instead of {e['kind']!r}")
        compare_nodes(e["children"], a["children"], here, diffs)


def check_extras(ex, doc, diffs):
    removed = doc.get("removed") or []
    diags = [d.get("code") for d in doc.get("diagnostics") or []]
    want_diag = {}
    for key, val, lineno in ex.checks:
        if key == "title":
            got = doc.get("title")
            readings = [t.strip() for t in val.split(" | ")]
            ok = False
            for t in readings:
                if t == "-":
                    ok = ok or not squash(got)
                elif got is not None and squash(got) == squash(t):
                    ok = True
            if not ok:
                diffs.append(f"title: got {got!r}, expected {val!r}")
        elif key in ("preamble", "closing"):
            got = doc.get(key) or ""
            if val == "-":
                if squash(got):
                    diffs.append(f"{key}: expected none, got {got[:40]!r}")
            elif not squash(got).startswith(squash(val)):
                diffs.append(f"{key}: got {got[:40]!r}, expected to start with {val!r}")
        elif key == "removed":
            rule, _, text = val.partition(" ")
            text = squash(text)
            if not any(r.get("rule") == rule and squash(r.get("text")).startswith(text)
                       for r in removed):
                got = ", ".join(f"{r.get('rule')}:{squash(r.get('text'))[:20]}"
                                for r in removed) or "nothing"
                diffs.append(f"removed: no {rule} span starting with {text!r} "
                             f"(removed: {got})")
        elif key == "diagnostic":
            want_diag[val] = want_diag.get(val, 0) + 1
    for code, n in want_diag.items():
        if code == "-":
            if diags:
                diffs.append(f"diagnostics: expected none, got {diags}")
        elif diags.count(code) < n:
            diffs.append(f"diagnostic: expected {n} × {code}, got {diags or 'none'}")


def expected_text(ex):
    return [t for _, t in ex.expect_lines if t.strip()]


def run_example(binary, ex, tmpdir):
    """Return (ok, diffs, actual_lines, raw_json_or_stderr)."""
    if ex.errors:
        return False, ["spec syntax: " + e for e in ex.errors], [], ""
    path = os.path.join(tmpdir, f"example-{ex.number:03d}.txt")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(ex.input_lines) + "\n")
    try:
        proc = subprocess.run([binary, "parse", path], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return False, [f"speechtree timed out after {TIMEOUT}s"], [], ""
    except OSError as e:
        return False, [f"cannot run {binary}: {e}"], [], ""
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        sig = f" (signal {-proc.returncode})" if proc.returncode < 0 else ""
        return False, [f"speechtree exited with {proc.returncode}{sig}: {stderr.strip()[:300]}"], [], stderr
    raw = proc.stdout.decode("utf-8", "replace")
    try:
        doc = json.loads(raw)
        if not isinstance(doc, dict):
            raise ValueError("top level is not an object")
    except ValueError as e:
        return False, [f"output is not a JSON object: {e}"], [], raw[:2000]
    act = actual_tree(doc.get("sections"))
    diffs = []
    compare_nodes(ex.nodes, act, [], diffs)
    check_extras(ex, doc, diffs)
    lines = []
    for key in ("title", "preamble", "closing"):
        if any(k == key for k, _, _ in ex.checks):
            v = doc.get(key)
            lines.append(f"{key}: " + ("-" if not squash(v) else squash(v)[:40]))
    if any(k == "removed" for k, _, _ in ex.checks):
        for r in doc.get("removed") or []:
            lines.append(f"removed: {r.get('rule')} {squash(r.get('text'))[:30]}")
    if any(k == "diagnostic" for k, _, _ in ex.checks):
        for d in doc.get("diagnostics") or []:
            lines.append(f"diagnostic: {d.get('code')}")
    lines.extend(render(act))
    return not diffs, diffs, lines, raw


def matches_filter(ex, word):
    if word is None:
        return True
    m = re.fullmatch(r"(\d+)(?:-(\d+))?", word)
    if m:
        lo = int(m.group(1))
        hi = int(m.group(2) or lo)
        return lo <= ex.number <= hi
    return word.lower() in ex.section.lower()


def main(argv):
    args, filt, verbose = [], None, False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--verbose" or a == "-v":
            verbose = True
        elif a == "--filter":
            if i + 1 >= len(argv):
                print("--filter needs a WORD", file=sys.stderr)
                return 2
            filt = argv[i + 1]
            i += 1
        elif a.startswith("--filter="):
            filt = a.split("=", 1)[1]
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            args.append(a)
        i += 1
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary, spec = args
    global SPEC_NAME
    SPEC_NAME = os.path.basename(spec)
    try:
        examples = parse_spec(spec)
    except OSError as e:
        print(f"cannot read {spec}: {e}", file=sys.stderr)
        return 2
    selected = [ex for ex in examples if matches_filter(ex, filt)]
    if not selected:
        print(f"no example matches (spec has {len(examples)} examples)")
        print("0 passed, 0 failed")
        return 1 if filt is None else 0
    passed = failed = 0
    specname = SPEC_NAME
    with tempfile.TemporaryDirectory(prefix="speechtree-spec-") as tmpdir:
        for ex in selected:
            ok, diffs, actual, raw = run_example(binary, ex, tmpdir)
            if ok:
                passed += 1
                if verbose:
                    print(f"PASS example {ex.number} ({ex.section}) {specname}:{ex.line}")
                continue
            failed += 1
            print(f"FAIL example {ex.number} ({ex.section}) {specname}:{ex.line}")
            print("  --- input")
            for l in ex.input_lines:
                print("  | " + l)
            print("  --- expected")
            for l in expected_text(ex):
                print("  | " + l)
            print("  --- actual")
            for l in actual:
                print("  | " + l)
            print("  --- differences")
            for d in diffs[:12]:
                print("  * " + d)
            if len(diffs) > 12:
                print(f"  * … {len(diffs) - 12} more")
            if verbose and raw:
                print("  --- parser output")
                print("  " + raw.strip()[:4000].replace("\n", "\n  "))
            print()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
