#!/usr/bin/env python3
"""Print the benchmark table from the files bench/run.sh leaves in RESULTS_DIR:
bench.json (speechtree-bench), python.json (python_baseline.py), batch.env and
machine.env (run.sh). Markdown, so it can be pasted into bench/README.md."""

import json
import os
import sys

# targets of the issue (2-core machine, one thread unless said)
T_UTF8 = 200.0       # MB/s, parse+JSON, UTF-8
T_GB = 100.0         # MB/s, parse+JSON, GB18030
T_SPEEDUP = 1.8      # batch -j2 / -j1
T_PYTHON = 10.0      # x the Python implementation
T_MEM_FACTOR, T_MEM_PLUS = 4.0, 32.0  # peak <= 4 x size + 32 MiB
T_MEM_INDEP = 1.25   # peak RSS(full archive) / peak RSS(half archive)


def load_env(path):
    d = {}
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            k, _, v = line.rstrip("\n").partition("=")
            if k:
                d[k] = v
    return d


def load_json(path):
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    return None


def yn(ok):
    return "n/a" if ok is None else ("yes" if ok else "**NO**")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    bench = load_json(os.path.join(out, "bench.json")) or {"measurements": []}
    py = load_json(os.path.join(out, "python.json"))
    batch = load_env(os.path.join(out, "batch.env"))
    mach = load_env(os.path.join(out, "machine.env"))

    m = {(x["name"], x["encoding"]): x for x in bench["measurements"]}
    rows = []

    def thr(key, label, target=None):
        x = m.get(key)
        if not x:
            rows.append((label, "-", "-", "≥ %g MB/s" % target if target else "", "n/a"))
            return None
        fail = " (%d failed)" % x["failures"] if x["failures"] else ""
        ok = None if target is None else (x["mb_per_s"] >= target and not x["failures"])
        rows.append((label + fail, "%.1f" % x["mb_per_s"], "%.0f" % x["docs_per_s"],
                     "≥ %g MB/s" % target if target else "", yn(ok) if target else "",
                     "%.1f" % x["cpu_mb_per_s"] if "cpu_mb_per_s" in x else ""))
        return x

    thr(("parse", "UTF-8"), "library parse only, UTF-8 (1 thread)")
    thr(("parse+json", "UTF-8"), "library parse+JSON, UTF-8 (1 thread)", T_UTF8)
    thr(("parse", "GB18030"), "library parse only, GB18030 (1 thread)")
    thr(("parse+json", "GB18030"), "library parse+JSON, GB18030 (1 thread)", T_GB)
    thr(("parse+json", "UTF-16"), "library parse+JSON, UTF-16LE (1 thread)")

    # all files: sum of the groups
    allj = [x for x in bench["measurements"] if x["name"] == "parse+json"]
    c_all = None
    if allj:
        t = sum(x["median_s"] for x in allj)
        b = sum(x["bytes"] for x in allj)
        n = sum(x["files"] for x in allj)
        c_all = b / 1e6 / t
        cpu = sum(x.get("cpu_median_s", 0) for x in allj)
        rows.append(("library parse+JSON, whole archive (1 thread)", "%.1f" % c_all, "%.0f" % (n / t), "", "",
                     "%.1f" % (b / 1e6 / cpu) if cpu else ""))

    if py:
        rows.append(("Python re+json baseline, %.0f MB sample (1 thread)" % (py["bytes"] / 1e6),
                     "%.2f" % py["mb_per_s"], "%.0f" % py["docs_per_s"], "", ""))
        if c_all:
            r = c_all / py["mb_per_s"]
            rows.append(("speed-up of the library over Python", "%.1f×" % r, "", "≥ %g×" % T_PYTHON,
                         yn(r >= T_PYTHON)))

    big = bench.get("big")
    if big:
        size = big["bytes"] / 1048576
        peak = big["peak_kb"] / 1024
        lim = T_MEM_FACTOR * size + T_MEM_PLUS
        label = "one %.0f MiB document, parse+JSON" % size + ("" if big["ok"] else " (FAILED)")
        rows.append((label, "%.1f" % (big["bytes"] / 1e6 / big["parse_json_s"]),
                     "%.2f" % (1 / big["parse_json_s"]), "", ""))
        rows.append(("peak RSS for that document: %.0f MiB (%.2f× size; %.0f MiB with the input loaded, %s after st_parse)"
                     % (peak, peak / size, big["base_kb"] / 1024,
                        "%.0f MiB" % (big["parse_peak_kb"] / 1024) if "parse_peak_kb" in big else "?"), "", "",
                     "≤ %g×size+%g MiB = %.0f MiB" % (T_MEM_FACTOR, T_MEM_PLUS, lim), yn(peak <= lim and big["ok"])))

    if batch.get("batch_available") == "1":
        files = int(mach.get("archive_files", 0))
        byts = int(mach.get("archive_bytes", 0))
        j1 = float(batch["batch_j1_s"])
        j2 = float(batch["batch_j2_s"])
        rows.append(("CLI batch -j1 (%d files → %s outputs)" % (files, batch.get("batch_out_files", "?")),
                     "%.1f" % (byts / 1e6 / j1), "%.0f" % (files / j1), "", ""))
        rows.append(("CLI batch -j2", "%.1f" % (byts / 1e6 / j2), "%.0f" % (files / j2), "", ""))
        sp = j1 / j2
        bb = max(int(batch.get("busy_before_batch", 0) or 0), int(batch.get("busy_after_batch", 0) or 0))
        note = " (machine %d%% busy with other work: not meaningful)" % bb if bb > 10 else ""
        rows.append(("batch speed-up -j2 / -j1" + note, "%.2f×" % sp, "", "≥ %g×" % T_SPEEDUP, yn(sp >= T_SPEEDUP)))
        if "tmpfs_j1_s" in batch and "tmpfs_j2_s" in batch:
            m1 = float(batch["tmpfs_j1_s"])
            m2 = float(batch["tmpfs_j2_s"])
            rows.append(("CLI batch -j1, outputs on tmpfs", "%.1f" % (byts / 1e6 / m1), "%.0f" % (files / m1), "", ""))
            rows.append(("CLI batch -j2, outputs on tmpfs", "%.1f" % (byts / 1e6 / m2), "%.0f" % (files / m2), "", ""))
            rows.append(("batch speed-up -j2 / -j1, outputs on tmpfs", "%.2f×" % (m1 / m2), "",
                         "≥ %g×" % T_SPEEDUP, yn(m1 / m2 >= T_SPEEDUP)))
        if "jsonl_j1_s" in batch and "jsonl_j2_s" in batch:
            k1 = float(batch["jsonl_j1_s"])
            k2 = float(batch["jsonl_j2_s"])
            rows.append(("CLI batch --jsonl -j1 (no output files; stdout to /dev/null)",
                         "%.1f" % (byts / 1e6 / k1), "%.0f" % (files / k1), "", ""))
            rows.append(("CLI batch --jsonl -j2", "%.1f" % (byts / 1e6 / k2), "%.0f" % (files / k2), "", ""))
            rows.append(("batch --jsonl speed-up -j2 / -j1", "%.2f×" % (k1 / k2), "", "(for comparison)", ""))
        if "rss_j2_full_kb" in batch and "rss_j2_half_kb" in batch:
            full = int(batch["rss_j2_full_kb"]) / 1024
            half = int(batch["rss_j2_half_kb"]) / 1024
            j1r = int(batch.get("rss_j1_full_kb", 0)) / 1024
            rows.append(("batch peak RSS -j2: %.0f MiB (%.0f MB archive) vs %.0f MiB (half); -j1 %.0f MiB"
                         % (full, byts / 1e6, half, j1r), "", "",
                         "full/half ≤ %g" % T_MEM_INDEP, yn(full <= T_MEM_INDEP * half) + " (%.2f)" % (full / half)))
    else:
        rows.append(("CLI batch: SKIPPED — " + batch.get("batch_error", "not run"), "", "", "≥ %g× j2/j1" % T_SPEEDUP,
                     "n/a"))

    print("machine: %s, %s cores; load %s → %s; other work %s%% → %s%% of all CPUs; git %s" % (
        mach.get("cpu", "?"), mach.get("nproc", "?"), mach.get("load_before", "?"), mach.get("load_after", "?"),
        mach.get("busy_before", "?"), mach.get("busy_after", "?"), mach.get("git", "?")))
    print("archive: %s files, %.1f MB (MB = 10^6 bytes); library figures are medians of %s runs"
          % (mach.get("archive_files", "?"), int(mach.get("archive_bytes", 0)) / 1e6, bench.get("runs", "?")))
    print()
    busy = max(int(mach.get("busy_before", 0) or 0), int(mach.get("busy_after", 0) or 0))
    if busy > 10:
        print("**WARNING: the machine was busy with other work (%d%% of all CPUs before/after the run):"
              " wall-clock figures are low and -j2 speed-ups are not meaningful; the last column (MB/s by"
              " the thread's CPU time) is the better estimate of the library's speed.**" % busy)
        print()
    hdr = ("measurement", "MB/s", "docs/s", "target", "met?", "MB/s by CPU time")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "|".join(["---", "---:", "---:", "---", "---", "---:"]) + "|")
    for r in rows:
        r = tuple(r) + ("",) * (len(hdr) - len(r))
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
