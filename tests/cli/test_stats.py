"""speechtree stats, on a small speech counted by hand (tests/cli/stats_sample.txt)."""
import csv
import io
import os
import shutil
import tempfile

from clitest import HERE, SEEDS, case, check, finish, run, seed_files

SAMPLE = os.path.join(HERE, "stats_sample.txt")

HEADER = ["file", "title", "encoding", "chars_total", "chars_problems", "chars_causes", "chars_measures",
          "chars_other", "share_problems_causes", "sections", "items_problems", "items_causes", "items_measures",
          "examples_problems", "examples_causes", "examples_measures", "figures_problems", "figures_causes",
          "figures_measures", "diagnostics", "removed"]

# Counted by hand; non-whitespace characters of each line of the sample:
#   title 19, preamble 28                                  -> other    19 + 28      = 47
#   一、存在的问题 7, （一）… 34, （二）… 38                  -> problems 7 + 34 + 38  = 79
#   二、原因分析 6, （一）… 31                               -> causes   6 + 31       = 37
#   三、整改措施 6, （一）… 31, （二）… 45                    -> measures 6 + 31 + 45  = 82
#   total 47 + 79 + 37 + 82 = 245; share (79 + 37) / 245 = 0.4734…
# Examples: problems 比如, 例如 = 2; causes 比如说 = 1; measures 再如 = 1.
# Figures: problems 3次 2篇 12项 = 3 (第三次 is an ordinal);
#          causes 2年 = 1 (一次 is "once", not a figure);
#          measures 4天 6篇 3100余万元 三年 1.5倍 = 5.
# The 3个 of the preamble belongs to no section.
EXPECTED = {
    "title": "关于张三同志专题民主生活会对照检查材料",
    "encoding": "UTF-8",
    "chars_total": "245",
    "chars_problems": "79",
    "chars_causes": "37",
    "chars_measures": "82",
    "chars_other": "47",
    "share_problems_causes": "0.473",
    "sections": "3",
    "items_problems": "2",
    "items_causes": "1",
    "items_measures": "2",
    "examples_problems": "2",
    "examples_causes": "1",
    "examples_measures": "1",
    "figures_problems": "3",
    "figures_causes": "1",
    "figures_measures": "5",
    "diagnostics": "0",
    "removed": "0",
}


def rows(out, delimiter=","):
    return list(csv.reader(io.StringIO(out.decode("utf-8")), delimiter=delimiter))


def test_sample_counts():
    code, out, err = run("stats", SAMPLE)
    check(code == 0, "stats exits 0", err)
    table = rows(out)
    check(table[0] == HEADER, "the header row names the columns", table[0])
    check(len(table) == 2, "one row per speech", len(table))
    row = dict(zip(table[0], table[1]))
    check(row.get("file") == SAMPLE, "file column is the path", row.get("file"))
    for column, value in EXPECTED.items():
        check(row.get(column) == value, f"{column} = {value}", f"got {row.get(column)!r}")


def test_tsv():
    code, out, err = run("stats", "--tsv", SAMPLE)
    check(code == 0, "stats --tsv exits 0", err)
    lines = out.decode("utf-8").splitlines()
    check(lines[0] == "\t".join(HEADER), "--tsv header is tab-separated", lines[0])
    fields = lines[1].split("\t")
    check(len(fields) == len(HEADER), "--tsv row has one field per column", len(fields))
    check(dict(zip(HEADER, fields)).get("figures_measures") == "5", "--tsv gives the same counts")
    check("," not in lines[0], "--tsv header has no commas")


def test_quoting():
    with tempfile.TemporaryDirectory() as tmp:
        odd = os.path.join(tmp, 'a,b "c".txt')
        shutil.copyfile(SAMPLE, odd)
        code, out, err = run("stats", odd)
        check(code == 0, "stats of an oddly named file exits 0", err)
        text = out.decode("utf-8")
        check('"' + odd.replace('"', '""') + '"' in text, "a field with , and \" is quoted (RFC 4180)", text)
        check(rows(out)[1][0] == odd, "the quoted field reads back")
        code, out, err = run("stats", "--tsv", odd)
        check(out.decode().splitlines()[1].split("\t")[0] == odd, "--tsv does not quote")


def test_order_and_failures():
    with tempfile.TemporaryDirectory() as tmp:
        for i, seed in enumerate(seed_files()):
            sub = os.path.join(tmp, f"d{i % 2}")
            os.makedirs(sub, exist_ok=True)
            shutil.copyfile(seed, os.path.join(sub, os.path.basename(seed)))
        with open(os.path.join(tmp, "d0", "zz_bad.txt"), "wb") as f:
            f.write(b"\x00\x01binary\x00\xff")
        code, out, err = run("stats", "-j", "3", tmp)
        check(code == 1, "a file that fails makes stats exit 1", code)
        check(os.path.join(tmp, "d0", "zz_bad.txt") in err, "the failure is reported on stderr", err)
        table = rows(out)
        files = [r[0] for r in table[1:]]
        expected = sorted(os.path.join(tmp, f"d{i % 2}", os.path.basename(s)) for i, s in enumerate(seed_files()))
        check(files == expected, "rows in input order, the failed file omitted", files)
        _, out1, _ = run("stats", "-j1", tmp)
        check(out1 == out, "-j1 and -j3 give the same rows")


def test_usage():
    code, _, err = run("stats")
    check(code == 2 and "usage:" in err, "stats without PATH exits 2", (code, err))


for test in (test_sample_counts, test_tsv, test_quoting, test_order_and_failures, test_usage):
    case(test)
finish()
