#!/usr/bin/env python3
"""Summarise a callgrind profile of speechtree-bench --profile (used by profile.sh).

    python3 bench/annotate.py CALLGRIND_OUT [TOP [INPUT_BYTES]]

Prints: instructions per input byte; the pipeline stages (inclusive cost);
the share of each library (speechtree, ICU, PCRE2, libc, cJSON); the top
functions by own instructions, with the pieces that callgrind attributes to
inlined code (internal.h:st_segment …) added to the function they are in."""

import re
import subprocess
import sys
from collections import defaultdict

STAGES = ["st_parse", "st_decode", "st_build_line_table", "st_clean", "st_segment", "st_lex",
          "st_parse_tree", "st_classify", "st_render_json", "st_render", "st_doc_free"]
LINE = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*?):([^\s:]+)(?:\s+\[(.*)\])?\s*$")
TOTAL = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+PROGRAM TOTALS")


def annotate(path, inclusive):
    out = subprocess.run(["callgrind_annotate", "--threshold=100", "--inclusive=" + ("yes" if inclusive else "no"),
                          path], capture_output=True, text=True, check=True).stdout
    total = 0
    rows = []
    for line in out.splitlines():
        m = TOTAL.match(line)
        if m:
            total = int(m.group(1).replace(",", ""))
            continue
        m = LINE.match(line)
        if m:
            rows.append((int(m.group(1).replace(",", "")), m.group(2), m.group(3), m.group(4) or ""))
    return total, rows


def lib_of(obj, file):
    s = obj or file
    for key, name in (("icu", "ICU (libicu*)"), ("pcre2", "PCRE2"), ("cjson", "cJSON"), ("libc", "libc (malloc, mem*, str*)"),
                      ("ld-linux", "ld.so"), ("vgpreload", "valgrind")):
        if key in s.lower():
            return name
    return "speechtree"


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    total, self_rows = annotate(path, False)
    _, incl_rows = annotate(path, True)
    if not total:
        print("no instructions recorded (was the bench run with --profile under --instr-atstart=no?)")
        return
    nbytes = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    print("instructions in the parse+json pass: {:,}".format(total) +
          (" = %.1f per input byte" % (total / nbytes) if nbytes else ""))

    incl = defaultdict(int)
    for ir, file, fn, obj in incl_rows:
        incl[fn] += ir
    print("\n-- pipeline stages, inclusive (% of the pass)")
    for s in STAGES:
        if s in incl:
            print("%6.1f%%  %15s  %s" % (100.0 * incl[s] / total, "{:,}".format(incl[s]), s))

    libs = defaultdict(int)
    for ir, file, fn, obj in self_rows:
        libs[lib_of(obj, file)] += ir
    print("\n-- own instructions by library")
    for k, v in sorted(libs.items(), key=lambda kv: -kv[1]):
        print("%6.1f%%  %15s  %s" % (100.0 * v / total, "{:,}".format(v), k))

    agg = defaultdict(int)
    where = defaultdict(set)
    objs = {}
    for ir, file, fn, obj in self_rows:
        agg[fn] += ir
        where[fn].add(file.rsplit("/", 1)[-1])
        if obj:
            objs[fn] = obj.rsplit("/", 1)[-1]
    print("\n-- top %d functions by own instructions (self cost; inlined helpers counted in their caller)" % top)
    for fn, ir in sorted(agg.items(), key=lambda kv: -kv[1])[:top]:
        print("%6.1f%%  %15s  %-34s %s %s" % (100.0 * ir / total, "{:,}".format(ir), fn,
                                            ",".join(sorted(where[fn])), "[%s]" % objs[fn] if fn in objs else ""))


if __name__ == "__main__":
    main()
