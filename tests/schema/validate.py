#!/usr/bin/env python3
"""Validate speechtree JSON output against schema/speechtree.schema.json.

Usage:
  validate.py [--schema PATH] [--jsonl] [--quiet] FILE...

Each FILE is one JSON document, or, when it ends in .jsonl/.ndjson or --jsonl
is given, one document per non-empty line. "-" reads standard input.
Documents must be UTF-8 JSON without duplicate keys or NaN/Infinity.

Exit status: 0 all valid, 1 some document invalid or unreadable, 2 usage
error or no usable jsonschema (Debian: apt-get install python3-jsonschema).

As a module: load_validator(path) and check(validator, doc) -> [messages].
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA = os.path.normpath(
    os.path.join(HERE, "..", "..", "schema", "speechtree.schema.json"))
FALLBACK_PYTHON = "/usr/bin/python3"
MAX_ERRORS = 20


def _import_jsonschema():
    """jsonschema with Draft202012Validator, from this interpreter or, failing
    that, by re-running the main script under /usr/bin/python3."""
    try:
        import jsonschema
        if hasattr(jsonschema, "Draft202012Validator"):
            return jsonschema
        why = "jsonschema in %s is too old (no Draft202012Validator)" % sys.executable
    except ImportError:
        why = "no jsonschema module in %s" % sys.executable
    main = getattr(sys.modules.get("__main__"), "__file__", None)
    if (main and not os.environ.get("ST_VALIDATE_REEXEC")
            and os.access(FALLBACK_PYTHON, os.X_OK)
            and os.path.realpath(sys.executable) != os.path.realpath(FALLBACK_PYTHON)):
        env = dict(os.environ, ST_VALIDATE_REEXEC="1")
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(FALLBACK_PYTHON,
                  [FALLBACK_PYTHON, os.path.abspath(main)] + sys.argv[1:], env)
    sys.stderr.write("validate.py: %s; install python3-jsonschema (>= 4.0)\n" % why)
    sys.exit(2)


jsonschema = _import_jsonschema()


class DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise DuplicateKey("duplicate key %r" % k)
        obj[k] = v
    return obj


def _no_constants(name):
    raise ValueError("%s is not JSON" % name)


def loads(text):
    """json.loads that refuses duplicate keys and NaN/Infinity."""
    return json.loads(text, object_pairs_hook=_no_duplicates,
                      parse_constant=_no_constants)


def load_schema(path=DEFAULT_SCHEMA):
    with open(path, encoding="utf-8") as f:
        return loads(f.read())


def load_validator(path=DEFAULT_SCHEMA):
    schema = load_schema(path)
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    return cls(schema)


def where(path):
    out = "$"
    for p in path:
        out += "[%d]" % p if isinstance(p, int) else "." + str(p)
    return out


def _short(value, limit=80):
    s = json.dumps(value, ensure_ascii=False)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def errors(validator, doc):
    """All errors, deepest first within each place, as jsonschema errors."""
    return sorted(validator.iter_errors(doc),
                  key=lambda e: (list(map(str, e.absolute_path)), e.message))


def describe(error):
    msg = error.message
    if error.context:
        best = jsonschema.exceptions.best_match(error.context)
        if best is not None:
            msg += " (closest: %s: %s)" % (where(best.absolute_path), best.message)
    if len(msg) > 300:
        msg = msg[:299] + "…"
    return "%s: %s" % (where(error.absolute_path), msg)


def check(validator, doc):
    """Messages describing why doc is invalid; [] when it is valid."""
    return [describe(e) for e in errors(validator, doc)]


def _documents(name, jsonl):
    """(label, text) for each document in the file."""
    if name == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(name, "rb") as f:
            data = f.read()
    text = data.decode("utf-8")
    if not jsonl:
        yield name, text
        return
    for i, line in enumerate(text.split("\n"), 1):
        if line.strip():
            yield "%s:%d" % (name, i), line


def main(argv):
    schema_path = DEFAULT_SCHEMA
    jsonl = quiet = False
    files = []
    it = iter(argv)
    for a in it:
        if a == "--schema":
            schema_path = next(it, None)
            if schema_path is None:
                sys.stderr.write("validate.py: --schema needs a path\n")
                return 2
        elif a == "--jsonl":
            jsonl = True
        elif a == "--quiet":
            quiet = True
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        elif a.startswith("--"):
            sys.stderr.write("validate.py: unknown option %s\n" % a)
            return 2
        else:
            files.append(a)
    if not files:
        sys.stderr.write(__doc__)
        return 2
    try:
        validator = load_validator(schema_path)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as e:
        sys.stderr.write("validate.py: bad schema %s: %s\n" % (schema_path, e))
        return 2

    ndocs = nbad = 0
    for name in files:
        is_jsonl = jsonl or name.endswith((".jsonl", ".ndjson"))
        try:
            docs = list(_documents(name, is_jsonl))
        except (OSError, UnicodeDecodeError) as e:
            print("%s: unreadable: %s" % (name, e))
            nbad += 1
            continue
        if not docs:
            print("%s: no document" % name)
            nbad += 1
            continue
        for label, text in docs:
            ndocs += 1
            try:
                doc = loads(text)
            except ValueError as e:
                print("%s: not JSON: %s" % (label, e))
                nbad += 1
                continue
            msgs = check(validator, doc)
            if msgs:
                nbad += 1
                print("%s: INVALID (%d error%s)" % (label, len(msgs), "" if len(msgs) == 1 else "s"))
                for m in msgs[:MAX_ERRORS]:
                    print("    " + m)
                if len(msgs) > MAX_ERRORS:
                    print("    … %d more" % (len(msgs) - MAX_ERRORS))
            elif not quiet:
                print("%s: ok" % label)
    if not quiet or nbad:
        print("%d document%s, %d invalid" % (ndocs, "" if ndocs == 1 else "s", nbad))
    return 1 if nbad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
