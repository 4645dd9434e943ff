#!/usr/bin/env python3
"""The Python program a user would write instead of speechtree, and its speed.

    python3 bench/python_baseline.py ARCHIVE_DIR [--min-mb 50] [--runs 3] [--json OUT]

A straightforward implementation with the standard library only (re + json):
decode (UTF-16 by BOM, else UTF-8, else GB18030), drop noise with one regex,
split into lines, recognise line-start markers 一、 （一） 1. （1） and inline
一是/二要/三则 after punctuation, build a nested dict tree, json.dumps it.
It does much less than speechtree (no places/offsets, no wrapped-line joining,
no diagnostics, no censored words, no kinds) — it is the cheap baseline.

Measures it on an even sample of the archive (every k-th file, at least
--min-mb MB), files preloaded into memory, median of --runs passes.
MB = 10^6 bytes of input.
"""

import argparse
import json
import os
import re
import sys
import time

CN = "一二三四五六七八九十"
RE_NOISE = re.compile(
    r"##paid(?:begin|end)##|【[^】\n]*(?:微信|QQ|公众号|会员|下载|VIP)[^】\n]*】"
    r"|稿子铺整理|仅供学习\s*禁止外传\s*用后删除|第\d+页共\d+页")
RE_LEVELS = [
    re.compile(r"^([" + CN + r"]+)[、．.]"),            # 一、
    re.compile(r"^[（(]([" + CN + r"]+)[）)]"),          # （一）
    re.compile(r"^(\d+)[.．、]"),                        # 1.
    re.compile(r"^[（(](\d+)[）)]"),                     # （1）
]
RE_INLINE = re.compile(r"(?:^|(?<=[。；;：:，,！？]))([" + CN + r"]+)(是|要|则)")
RE_HEAD = re.compile(r"^[^。！？；：]*[。！？；：]?")


def cn_value(s):
    if s.isdigit():
        return int(s)
    v = 0
    if "十" in s:
        a, _, b = s.partition("十")
        v = (CN.index(a) + 1 if a else 1) * 10
        s = b
    return v + (CN.index(s) + 1 if s else 0)


def decode(data):
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def node(marker, ordinal, body, lineno):
    head = RE_HEAD.match(body).group(0)
    return {"marker": marker, "ordinal": ordinal, "heading": head, "text": body[len(head):],
            "line": lineno, "children": []}


def add_inline(parent, text, lineno):
    """Split `text` at inline lead markers; items become children of parent."""
    ms = list(RE_INLINE.finditer(text))
    if len(ms) < 2:
        return text
    for i, m in enumerate(ms):
        end = ms[i + 1].start() if i + 1 < len(ms) else len(text)
        parent["children"].append(node(m.group(0), cn_value(m.group(1)), text[m.end():end], lineno))
    return text[:ms[0].start()]


def parse(data):
    text = RE_NOISE.sub("", decode(data))
    doc = {"title": None, "preamble": "", "sections": []}
    stack = []  # (level, node)
    pre = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        for level, rx in enumerate(RE_LEVELS):
            m = rx.match(line)
            if m:
                n = node(m.group(0), cn_value(m.group(1)), line[m.end():], lineno)
                n["text"] = add_inline(n, n["text"], lineno)
                while stack and stack[-1][0] >= level:
                    stack.pop()
                (stack[-1][1]["children"] if stack else doc["sections"]).append(n)
                stack.append((level, n))
                break
        else:
            if not stack:
                if doc["title"] is None:
                    doc["title"] = line
                else:
                    pre.append(line)
            else:
                cur = stack[-1][1]
                rest = add_inline(cur, line, lineno)
                cur["text"] += ("\n" if cur["text"] else "") + rest
    doc["preamble"] = "\n".join(pre)
    return doc


def sniff(data):
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16"
    try:
        data.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        return "GB18030"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("archive")
    ap.add_argument("--min-mb", type=float, default=50)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()

    paths = []
    for d, _, fs in os.walk(args.archive):
        paths.extend(os.path.join(d, f) for f in fs if not f.startswith("."))
    paths.sort()
    sizes = [os.path.getsize(p) for p in paths]
    total = sum(sizes)
    want = args.min_mb * 1e6
    step = max(1, int(total // want)) if want > 0 else 1
    files = []
    for p in paths[::step]:  # an even sample: same mix of encodings and layouts
        with open(p, "rb") as f:
            files.append(f.read())
    got = sum(len(d) for d in files)
    encs = [sniff(d) for d in files]

    times = []
    out_bytes = 0
    per_enc = {}
    for r in range(args.runs):
        t0 = time.perf_counter()
        out_bytes = 0
        for data, enc in zip(files, encs):
            t1 = time.perf_counter()
            out_bytes += len(json.dumps(parse(data), ensure_ascii=False))
            if r == 0:
                e = per_enc.setdefault(enc, [0, 0, 0.0])
                e[0] += 1
                e[1] += len(data)
                e[2] += time.perf_counter() - t1
        times.append(time.perf_counter() - t0)
    times.sort()
    med = times[len(times) // 2] if len(times) % 2 else (times[len(times) // 2 - 1] + times[len(times) // 2]) / 2
    res = {"files": len(files), "bytes": got, "runs": args.runs, "median_s": med,
           "mb_per_s": got / 1e6 / med, "docs_per_s": len(files) / med, "json_chars": out_bytes,
           "by_encoding": {k: {"files": v[0], "bytes": v[1], "mb_per_s": v[1] / 1e6 / v[2] if v[2] else 0}
                           for k, v in per_enc.items()},
           "python": sys.version.split()[0]}
    print("python baseline: %d files, %.1f MB, median %.2f s of %d: %.2f MB/s, %.0f docs/s (%s)" % (
        len(files), got / 1e6, med, args.runs, res["mb_per_s"], res["docs_per_s"],
        ", ".join("%s %.2f MB/s" % (k, v["mb_per_s"]) for k, v in sorted(res["by_encoding"].items()))))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
