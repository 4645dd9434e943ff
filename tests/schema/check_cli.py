#!/usr/bin/env python3
"""Run `speechtree parse [ARGS] FILE` on every *.txt in a directory and
validate each output against the schema.

Usage:
  check_cli.py EXE DIR [--arg ARG]... [--require-key KEY]... [--forbid-key KEY]...

--arg passes ARG to `parse` (before the file); --require-key / --forbid-key
assert that a top-level key is present / absent in every output (e.g.
"expanded" exists only with --expand). Exit 0 when every output is valid.
"""
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import validate  # noqa: E402  (may re-exec under /usr/bin/python3)


def main(argv):
    pos, args, require, forbid = [], [], [], []
    it = iter(argv)
    for a in it:
        if a in ("--arg", "--require-key", "--forbid-key"):
            v = next(it, None)
            if v is None:
                sys.stderr.write("check_cli.py: %s needs a value\n" % a)
                return 2
            {"--arg": args, "--require-key": require, "--forbid-key": forbid}[a].append(v)
        else:
            pos.append(a)
    if len(pos) != 2:
        sys.stderr.write(__doc__)
        return 2
    exe, folder = pos
    inputs = sorted(glob.glob(os.path.join(folder, "*.txt")))
    if not inputs:
        print("no *.txt in %s" % folder)
        return 1
    validator = validate.load_validator()
    nbad = 0
    for path in inputs:
        name = os.path.basename(path)
        cmd = [exe, "parse"] + args + [path]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        problems = []
        if p.returncode != 0:
            problems.append("exit status %d; stderr: %s"
                            % (p.returncode, p.stderr.decode("utf-8", "replace").strip()))
        else:
            try:
                doc = validate.loads(p.stdout.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                problems.append("output is not UTF-8 JSON: %s" % e)
            else:
                problems += validate.check(validator, doc)
                if isinstance(doc, dict):
                    problems += ["no top-level %r" % k for k in require if k not in doc]
                    problems += ["unexpected top-level %r" % k for k in forbid if k in doc]
        if problems:
            nbad += 1
            print("FAIL %s  (%s)" % (name, " ".join(cmd)))
            for m in problems[:validate.MAX_ERRORS]:
                print("    " + m)
            if len(problems) > validate.MAX_ERRORS:
                print("    … %d more" % (len(problems) - validate.MAX_ERRORS))
        else:
            print("ok   %s" % name)
    print("%d of %d outputs valid (%s)" % (len(inputs) - nbad, len(inputs), " ".join(["parse"] + args)))
    return 1 if nbad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
