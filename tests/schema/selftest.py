#!/usr/bin/env python3
"""Self-test of the schema and of validate.py, so that a schema check cannot
pass silently:

1. the schema is a valid draft 2020-12 schema with the expected $id;
2. its property names and enums agree with docs/FORMAT.md and the header;
3. every tests/schema/valid/*.json document is accepted;
4. single mutations of valid/full.json that break the format are rejected,
   with an error located at or below the mutated object; mutations that the
   format allows are accepted;
5. validate.py run as a command exits 0 on a valid document, 1 on an invalid
   one, and names the bad line of a JSONL file.

Usage: selftest.py [REPO_ROOT]
"""
import copy
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import validate  # noqa: E402  (may re-exec under /usr/bin/python3)

ROOT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.normpath(
    os.path.join(HERE, "..", ".."))
SCHEMA = os.path.join(ROOT, "schema", "speechtree.schema.json")
SCHEMA_ID = "https://speechtree.invalid/schema/1.0/speechtree.schema.json"

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg)


def ok(msg):
    print("ok   " + msg)


# ---------------------------------------------------------------- helpers
MISSING = object()


def get(doc, path):
    for p in path:
        doc = doc[p]
    return doc


def mutate(doc, path, value=MISSING):
    """Copy of doc with the value at path replaced (or deleted if MISSING)."""
    doc = copy.deepcopy(doc)
    parent = get(doc, path[:-1])
    if value is MISSING:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


def error_paths(errs):
    out = []
    for e in errs:
        out.append(tuple(e.absolute_path))
        out.extend(error_paths(e.context or []))
    return out


def property_names(schema):
    """All names under "properties" anywhere in the schema."""
    names = set()
    if isinstance(schema, dict):
        for k, v in schema.items():
            if k == "properties" and isinstance(v, dict):
                names.update(v)
            names |= property_names(v)
    elif isinstance(schema, list):
        for v in schema:
            names |= property_names(v)
    return names


# ---------------------------------------------------------------- 1. schema
validator = validate.load_validator(SCHEMA)  # raises SchemaError if invalid
schema = validator.schema
ok("schema is a valid draft 2020-12 schema (%s)" % validate.jsonschema.Draft202012Validator.__name__)
if schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
    fail("$schema is %r" % schema.get("$schema"))
if schema.get("$id") != SCHEMA_ID:
    fail("$id is %r, expected %r" % (schema.get("$id"), SCHEMA_ID))


# ---------------------------------------------------------------- 2. FORMAT.md
def format_block():
    with open(os.path.join(ROOT, "docs", "FORMAT.md"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"```\n(.*?)```", text, re.S)
    return m.group(1) if m else ""


block = format_block()
if not block:
    fail("docs/FORMAT.md: no fenced block with the format")
else:
    doc_keys = set(re.findall(r'"([a-z_]+)"\s*:', block))
    schema_keys = property_names(schema)
    if doc_keys != schema_keys:
        fail("keys differ from docs/FORMAT.md: only in FORMAT.md %s, only in schema %s"
             % (sorted(doc_keys - schema_keys), sorted(schema_keys - doc_keys)))
    else:
        ok("schema has exactly the %d key names of docs/FORMAT.md" % len(doc_keys))

    def enum_in_doc(key):
        m = re.search(r'"%s"\s*:\s*"([^"]*)"' % key, block)
        if m and "|" in m.group(1):  # "a|b|c"
            return m.group(1).split("|")
        m = re.search(r'"%s"\s*:\s*((?:"[a-z-]+"\s*\|\s*)+"[a-z-]+")' % key, block)
        return re.findall(r'"([a-z-]+)"', m.group(1)) if m else None

    defs = schema["$defs"]
    for key, enum in (("style", defs["style"]["enum"]),
                      ("kind", defs["kind_name"]["enum"]),
                      ("encoding_source", defs["source"]["properties"]["encoding_source"]["enum"])):
        want = enum_in_doc(key)
        if want is None:
            fail("docs/FORMAT.md: cannot find the values of %r" % key)
        elif want != enum:
            fail("%s enum %s differs from docs/FORMAT.md %s" % (key, enum, want))
        else:
            ok("%s enum matches docs/FORMAT.md" % key)

with open(os.path.join(ROOT, "include", "speechtree.h"), encoding="utf-8") as f:
    header = f.read()
nstyles = len(re.findall(r"^\s*ST_STYLE_(?!COUNT)[A-Z_]+\b", header, re.M))
nkinds = len(re.findall(r"^\s*ST_KIND_(?!NONE)[A-Z_]+\b", header, re.M))
if nstyles != len(schema["$defs"]["style"]["enum"]):
    fail("speechtree.h has %d styles, schema %d" % (nstyles, len(schema["$defs"]["style"]["enum"])))
if nkinds != len(schema["$defs"]["kind_name"]["enum"]):
    fail("speechtree.h has %d kinds, schema %d" % (nkinds, len(schema["$defs"]["kind_name"]["enum"])))
m = re.search(r'#define ST_SCHEMA_VERSION "([^"]+)"', header)
if not m or m.group(1) != schema["properties"]["schema_version"]["const"]:
    fail("ST_SCHEMA_VERSION in speechtree.h does not match the schema's const")
else:
    ok("header: %d styles, %d kinds, schema version %s" % (nstyles, nkinds, m.group(1)))

# ---------------------------------------------------------------- 3. valid documents
valid_files = sorted(glob.glob(os.path.join(HERE, "valid", "*.json")))
if len(valid_files) < 2:
    fail("expected at least 2 documents in tests/schema/valid/")
for path in valid_files:
    with open(path, encoding="utf-8") as f:
        doc = validate.loads(f.read())
    msgs = validate.check(validator, doc)
    if msgs:
        fail("%s rejected: %s" % (os.path.basename(path), "; ".join(msgs[:5])))
    else:
        ok("%s accepted" % os.path.basename(path))

# ---------------------------------------------------------------- 4. mutations
with open(os.path.join(HERE, "valid", "full.json"), encoding="utf-8") as f:
    FULL = validate.loads(f.read())

S0 = ("sections", 0)
C0 = S0 + ("children", 0)          # （一） under 一、
G0 = C0 + ("children", 0)          # 一是 under （一）
H1 = S0 + ("children", 1)          # unmarked heading paragraph under 一、
PLACE = {"line": 1, "column": 1, "start": 0, "end": 1}

BAD = [
    # (what, path, value); value MISSING means: delete the key
    ("node without marker", C0 + ("marker",), MISSING),
    ("top-level node without marker", S0 + ("marker",), MISSING),
    ("depth-2 node without marker", G0 + ("marker",), MISSING),
    ("wrong kind value", S0 + ("kind",), "problem"),
    ("wrong kind value on a heading paragraph", H1 + ("kind",), "measure"),
    ("top-level node without a kind", S0 + ("kind",), None),
    ("kind on a nested marked node", G0 + ("kind",), "problems"),
    ("extra key at top level", ("extra",), 1),
    ("extra key in source", ("source", "extra"), True),
    ("extra key in places", ("places", "body"), None),
    ("extra key in a place", ("places", "title", "extra"), 0),
    ("extra key in a section", S0 + ("depth",), 0),
    ("extra key in a nested node", G0 + ("depth",), 2),
    ("extra key in removed", ("removed", 0, "extra"), ""),
    ("extra key in censored", ("censored", 0, "extra"), ""),
    ("extra key in a diagnostic", ("diagnostics", 0, "severity"), "warning"),
    ("schema_version 1.1", ("schema_version",), "1.1"),
    ("schema_version as a number", ("schema_version",), 1.0),
    ("generator of another program", ("generator",), "other 1.0"),
    ("unknown style", C0 + ("style",), "roman"),
    ("style as an enum number", C0 + ("style",), 2),
    ("unknown encoding_source", ("source", "encoding_source"), "guessed"),
    ("empty encoding", ("source", "encoding"), ""),
    ("confidence above 100", ("source", "confidence"), 101),
    ("negative confidence", ("source", "confidence"), -1),
    ("fractional confidence", ("source", "confidence"), 50.5),
    ("traditional as a string", ("source", "traditional"), "false"),
    ("negative chars", ("source", "chars"), -1),
    ("line 0", S0 + ("line",), 0),
    ("column 0", G0 + ("column",), 0),
    ("negative start", S0 + ("start",), -1),
    ("start as a string", S0 + ("start",), "51"),
    ("end as a float", ("removed", 0, "end"), 13.0 + 0.5),
    ("node without end", G0 + ("end",), MISSING),
    ("node without children", G0 + ("children",), MISSING),
    ("children not an array", C0 + ("children",), {}),
    ("ordinal as a string", C0 + ("ordinal",), "1"),
    ("negative ordinal", C0 + ("ordinal",), -1),
    ("fractional ordinal", C0 + ("ordinal",), 1.5),
    ("marked node without an ordinal", C0 + ("ordinal",), None),
    ("inline as a string", G0 + ("inline",), "true"),
    ("heading null", C0 + ("heading",), None),
    ("style none with a marker", C0 + ("style",), "none"),
    ("empty marker with a style", C0 + ("marker",), ""),
    ("unmarked heading with an ordinal", H1 + ("ordinal",), 1),
    ("unmarked heading marked inline", H1 + ("inline",), True),
    ("title null but placed", ("title",), None),
    ("title without a place", ("places", "title"), None),
    ("preamble without a place", ("places", "preamble"), None),
    ("closing without a place", ("places", "closing"), None),
    ("place missing its end", ("places", "closing", "end"), MISSING),
    ("preamble null", ("preamble",), None),
    ("sections not an array", ("sections",), {}),
    ("removed null", ("removed",), None),
    ("removed without rule", ("removed", 0, "rule"), MISSING),
    ("censored without expansion key", ("censored", 0, "expansion"), MISSING),
    ("empty censored word", ("censored", 1, "word"), ""),
    ("diagnostic code not kebab-case", ("diagnostics", 0, "code"), "Ordinal Gap"),
    ("diagnostic without message", ("diagnostics", 0, "message"), MISSING),
    ("expanded not a string", ("expanded",), None),
    ("source path as a number", ("source", "path"), 0),
    ("depth-3 node missing marker",
     G0 + ("children",), [dict({k: v for k, v in get(FULL, G0).items() if k != "marker"})]),
]
for key in validate.load_schema(SCHEMA)["required"]:
    BAD.append(("no %s" % key, (key,), MISSING))

GOOD = [
    ("no expanded", ("expanded",), MISSING),
    ("no title, no title place",
     (), dict(mutate(FULL, ("title",), None), places=dict(FULL["places"], title=None))),
    ("nested heading paragraph without kind", H1 + ("kind",), None),
    ("nested heading paragraph of kind other", H1 + ("kind",), "other"),
    ("ordinal 0", C0 + ("ordinal",), 0),
    ("empty preamble with a place", ("preamble",), ""),
    ("empty preamble without a place",
     (), dict(FULL, preamble="", places=dict(FULL["places"], preamble=None))),
    ("unknown encoding name", ("source", "encoding"), "windows-1252"),
    ("source path null", ("source", "path"), None),
    ("top-level unmarked heading paragraph",
     ("sections",), [dict(get(FULL, H1), kind="other")] + FULL["sections"]),
    ("generator with a suffix", ("generator",), "speechtree 0.1.0-dev"),
    ("inline marker on a top-level node", S0 + ("inline",), True),
    ("every style on a marked node", (), None),  # expanded below
]

nbad = 0
for what, path, value in BAD:
    doc = mutate(FULL, path, value)
    errs = list(validator.iter_errors(doc))
    container = tuple(path[:-1])
    if not errs:
        fail("accepted a document with %s (%s)" % (what, validate.where(path)))
    elif not any(p[:len(container)] == container for p in error_paths(errs)):
        fail("%s: rejected, but not at %s: %s" % (what, validate.where(container),
                                                   "; ".join(validate.describe(e) for e in errs)))
    else:
        nbad += 1
ok("%d of %d broken documents rejected at the right place" % (nbad, len(BAD)))

ngood = 0
for what, path, value in GOOD:
    if what == "every style on a marked node":
        docs = [mutate(FULL, C0 + ("style",), s)
                for s in schema["$defs"]["style"]["enum"] if s != "none"]
    elif path == ():
        docs = [value]
    else:
        docs = [mutate(FULL, path, value)]
    for doc in docs:
        msgs = validate.check(validator, doc)
        if msgs:
            fail("rejected a valid document with %s: %s" % (what, "; ".join(msgs[:3])))
            break
    else:
        ngood += 1
ok("%d of %d allowed variations accepted" % (ngood, len(GOOD)))

# ---------------------------------------------------------------- 5. the command
script = os.path.join(HERE, "validate.py")
with tempfile.TemporaryDirectory() as tmp:
    good = os.path.join(tmp, "good.json")
    bad = os.path.join(tmp, "bad.json")
    lines = os.path.join(tmp, "docs.jsonl")
    dup = os.path.join(tmp, "dup.json")
    with open(good, "w", encoding="utf-8") as f:
        json.dump(FULL, f, ensure_ascii=False)
    with open(bad, "w", encoding="utf-8") as f:
        json.dump(mutate(FULL, C0 + ("marker",)), f, ensure_ascii=False)
    with open(lines, "w", encoding="utf-8") as f:
        f.write(json.dumps(FULL, ensure_ascii=False) + "\n")
        f.write(json.dumps(mutate(FULL, S0 + ("kind",), "bogus"), ensure_ascii=False) + "\n")
    with open(dup, "w", encoding="utf-8") as f:
        f.write(json.dumps(FULL, ensure_ascii=False)[:-1] + ', "title": null}')

    def run(*args):
        p = subprocess.run([sys.executable, script, "--schema", SCHEMA] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        return p.returncode, p.stdout

    for what, args, want_rc, want_text in (
            ("valid document", [good], 0, "ok"),
            ("document without a marker", [bad], 1, "$.sections[0].children[0]"),
            ("JSONL with a bad second line", [lines], 1, "docs.jsonl:2: INVALID"),
            ("JSON with a duplicate key", [dup], 1, "duplicate key"),
            ("missing file", [os.path.join(tmp, "nope.json")], 1, "unreadable"),
            ("no arguments", [], 2, "")):
        rc, out = run(*args)
        if rc != want_rc or want_text not in out:
            fail("validate.py on %s: exit %d (want %d), output:\n%s" % (what, rc, want_rc, out))
        else:
            ok("validate.py on %s: exit %d" % (what, rc))

if failures:
    print("\n%d check%s failed" % (len(failures), "" if len(failures) == 1 else "s"))
    sys.exit(1)
print("\nall schema self-checks passed")
