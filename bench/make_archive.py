#!/usr/bin/env python3
"""Build a synthetic archive of review speeches for the speechtree benchmark.

    python3 bench/make_archive.py OUTDIR [--mb 200] [--big-mb 50] [--seed 20240601]

Writes
    OUTDIR/archive/NNNNNN.txt   ~10-20 KB each, until the archive holds >= --mb MiB
    OUTDIR/half/                every other file of archive/ (hard links), for the
                                "batch memory is independent of archive size" check
    OUTDIR/big/big.txt          one document of --big-mb MiB (many sections)
    OUTDIR/manifest.tsv         path, encoding, line ends, layout, bytes
    OUTDIR/.complete            written last

Everything is derived from the seed speeches in fixtures/seeds/ with a seeded
random generator, so the output is byte-for-byte reproducible.  The documents are
recombined, not copied: sections, sub-sections, lead items (一是…) and sentences
are drawn from all seeds, shuffled and re-numbered; noise (paywall tags, ads,
watermarks, page headers) is inserted; some files are hard-wrapped at 20-40
characters, some flattened onto one line; about 20% are written as GB18030, about
1% as UTF-16LE with a BOM, about 15% with CRLF line ends.
"""

import argparse
import hashlib
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEEDS = os.path.join(ROOT, "fixtures", "seeds")

CN = "零一二三四五六七八九"


def cn_num(n):
    """1..9999 as Chinese numerals (十一, 二十, 一百零五, …)."""
    if n < 10:
        return CN[n]
    if n < 20:
        return "十" + (CN[n % 10] if n % 10 else "")
    if n < 100:
        return CN[n // 10] + "十" + (CN[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        s = CN[n // 100] + "百"
        if rest == 0:
            return s
        if rest < 10:
            return s + "零" + CN[rest]
        return s + (CN[rest // 10] + "十" + (CN[rest % 10] if rest % 10 else ""))
    rest = n % 1000
    s = CN[n // 1000] + "千"
    if rest == 0:
        return s
    if rest < 100:
        return s + "零" + cn_num(rest)
    return s + cn_num(rest)


CNUM = "[一二三四五六七八九十]+"
RE_TOP = re.compile(r"^\s*(?:##paidbegin##)?\s*(" + CNUM + r")、")
RE_SUB = re.compile(r"^\s*[（(](" + CNUM + r")[）)]")
RE_LEAD_LINE = re.compile(r"^\s*(" + CNUM + r")(是|要|则)")
RE_INLINE = re.compile(r"(?<=[。；;！？：:，])(" + CNUM + r")(是|要|则)")
RE_ARABIC = re.compile(r"(?<=[。；：])(\d{1,2})([.．、])")
RE_CLOSING = re.compile(r"^(以上|同志们|恳请|请同志们|敬请|最后)")
RE_SENT = re.compile(r"[^。！？；]*[。！？；]")

NOISE_HEAD = [
    "仅供学习 禁止外传 用后删除",
    "【会员资料仅供内部交流使用，严禁外传及用于商业用途，违者后果自负】",
    "稿子铺 www.gaozipu.example 专业公文写作平台",
    "首页 > 公文范文 > 对照检查材料 > 正文",
    "【第{n}篇】",
    "范文网整理发布，更多资料请关注公众号",
]
NOISE_LINE = [
    "【更多公文素材，微信：{wx}】",
    "【更多公文素材，微信：{wx}】",
    "更多精品资料请加QQ{qq}，VIP会员免费下载",
    "第{n}页共{m}页",
    "关注公众号“{wx}”获取更多范文",
    "本文档由会员上传，下载后请于24小时内删除",
]
WATERMARKS = ["稿子铺整理", "公文素材库", "材料狗整理"]
TITLE_PREFIX = ["", "", "", "2021年度", "2022年", "2023年", "某局", "县委", "XX公司", "区政府办公室"]
YEARS = ["2018", "2019", "2020", "2021", "2022", "2023", "2024"]


def split_items(para):
    """Split a paragraph at inline lead markers (一是/二要…): [prefix, item, item…]."""
    cuts = [m.start() for m in RE_INLINE.finditer(para)]
    if not cuts:
        return [para]
    parts = []
    prev = 0
    for c in cuts:
        parts.append(para[prev:c])
        prev = c
    parts.append(para[prev:])
    return parts


def renumber_items(items, rng):
    """Renumber the lead markers of items[1:] in order; keep each item's verb."""
    out = [items[0]]
    for i, it in enumerate(items[1:], 1):
        out.append(re.sub("^" + CNUM, cn_num(i), it, count=1))
    return out


def section_kind(heading):
    h = heading
    if "准备" in h:
        return "preparation"
    if "原因" in h or "根源" in h or "剖析" in h:
        return "causes"
    if "措施" in h or "方向" in h or "打算" in h:
        return "measures"
    if "问题" in h or "差距" in h or "不足" in h:
        return "problems"
    return "other"


RE_ADS = re.compile("QQ|会员|订阅|举报|微信|公众号")
TITLE_ORG = ["XX党委班子", "县委常委班子", "党组书记", "党支部", "局领导班子", "XX同志", "市政府党组",
             "X区委领导班子", "乡镇党委书记", "公司党委", "机关党支部", "纪委监委"]
TITLE_MEET = ["2021年度民主生活会", "党史学习教育专题民主生活会", "主题教育专题组织生活会",
              "巡视整改专题民主生活会", "专题mzshh", "年度组织生活会", "“四个对照”专题生活会"]
TITLE_KIND = ["对照检查材料", "对照检查发言", "个人发言提纲", "剖析材料", "检视剖析材料",
              "党性分析材料", "对照检查发言材料", "“六个方面”对照检查材料"]
RECTIFICATION = ["上年度民主生活会整改落实情况", "上次民主生活会整改落实情况", "巡视整改落实情况",
                 "个人有关事项报告情况"]


class Pool:
    def __init__(self, texts):
        self.titles, self.preambles, self.closings = [], [], []
        self.sections = []      # (heading line, [body lines], kind)
        self.sub_lines = []     # （一）… lines, marker stripped
        self.lead_lines = []    # (verb, text) of 一是… lines, marker stripped
        self.plain = []         # body paragraphs without markers
        self.sentences = []     # sentences without markers
        for text in texts:
            self._add(text)
        self.by_kind = {}
        for sec in self.sections:
            self.by_kind.setdefault(sec[2], []).append(sec)

    def _add(self, text):
        lines = [l.rstrip() for l in text.replace("\r\n", "\n").split("\n")]
        lines = [l for l in lines if l.strip()]
        first = next((i for i, l in enumerate(lines) if RE_TOP.match(l)), len(lines))
        head = lines[:first]
        for l in head[:5]:
            l = l.strip()
            if 8 <= len(l) <= 60 and not l.startswith(("【", "仅供")) and not RE_ADS.search(l) \
                    and not l.endswith(("。", "：")):
                self.titles.append(l)
                break
        if head:
            pre = max(head, key=len).strip()
            if len(pre) > 60 and not RE_ADS.search(pre):
                self.preambles.append(pre)
        new = []
        cur = None
        for l in lines[first:]:
            l = l.strip()
            if RE_TOP.match(l):
                cur = (l.replace("##paidbegin##", ""), [])
                new.append(cur)
            elif RE_CLOSING.match(l):
                self.closings.append(l)
                cur = None
            elif cur is not None and len(l) > 1 and not RE_ADS.search(l) and "##" not in l:
                cur[1].append(l)
        for h, body in new:
            kind = "other" if not body and len(h) > 200 else section_kind(h[:30])
            self.sections.append((h, body, kind))
            for l in body:
                m = RE_SUB.match(l)
                if m:
                    self.sub_lines.append(l[m.end():])
                    continue
                m = RE_LEAD_LINE.match(l)
                if m:
                    self.lead_lines.append((m.group(2), l[m.end():]))
                    continue
                if len(l) > 40:
                    self.plain.append(l)
        for l in lines:
            if RE_ADS.search(l):
                continue
            for s in RE_SENT.findall(l):
                s = s.strip().replace("##paidbegin##", "").replace("##paidend##", "")
                if 15 <= len(s) <= 200 and not RE_INLINE.search("。" + s) and not RE_TOP.match(s) \
                        and not RE_SUB.match(s) and not RE_LEAD_LINE.match(s):
                    self.sentences.append(s)


class Gen:
    def __init__(self, pool, rng):
        self.p = pool
        self.r = rng

    def mutate_sentence(self, s):
        r = self.r
        if r.random() < 0.15:
            s = re.sub(r"20\d\d", lambda m: r.choice(YEARS), s)
        if r.random() < 0.1:
            s = s.replace("民主生活会", "mzshh").replace("习近平", "xjp")
        return s

    def sentences(self, lo, hi):
        r = self.r
        return "".join(self.mutate_sentence(r.choice(self.p.sentences)) for _ in range(r.randint(lo, hi)))

    def body_para(self, seed_para=None):
        """A paragraph: a seed paragraph (inline items shuffled, re-numbered) or sentences recombined."""
        r = self.r
        if seed_para and r.random() < 0.6:
            items = split_items(seed_para)
            if len(items) > 2 and r.random() < 0.5:
                tail = items[1:]
                r.shuffle(tail)
                items = renumber_items([items[0]] + tail, r)
            return self.mutate_sentence("".join(items))
        if r.random() < 0.35:
            verb = r.choice("是是是要则")
            items = [self.sentences(1, 2)]
            for i in range(1, r.randint(2, 5) + 1):
                items.append(cn_num(i) + verb + self.sentences(1, 3))
            return "".join(items)
        return self.sentences(2, 7)

    def pick(self, seq, k):
        """k items of seq, without repeats as long as seq lasts."""
        r = self.r
        out = []
        while len(out) < k:
            out.extend(r.sample(seq, min(len(seq), k - len(out))))
        return out

    def section(self, number, kind, target):
        """A top-level section of `kind` of about `target` bytes."""
        r = self.r
        cands = self.p.by_kind.get(kind) or self.p.sections
        heading, body, _ = r.choice(cands)
        if kind == "rectification":
            heading = "一、" + r.choice(RECTIFICATION)
            body = []
        m = RE_TOP.match(heading)
        out = [cn_num(number) + "、" + heading[m.end():]]
        size = len(out[0].encode())
        subs = [b[RE_SUB.match(b).end():] for b in body if RE_SUB.match(b)]
        others = [b for b in body if not RE_SUB.match(b) and not RE_LEAD_LINE.match(b)]
        leads = [b for b in body if RE_LEAD_LINE.match(b)]
        if not body and len(heading) > 200:
            # a seminar section: heading and inline items on one line
            out[0] = self.body_para(out[0]) if r.random() < 0.5 else out[0]
            while size < target:
                p = self.body_para()
                out.append(p)
                size += len(p.encode())
            return out
        for o in others[:1]:
            if r.random() < 0.7:
                out.append(self.body_para(o))
        style = "sub" if subs else ("lead" if leads else r.choice(["sub", "lead", "plain"]))
        if style == "sub":
            pool_ = subs if subs else self.p.sub_lines
            paren = ("（", "）") if r.random() < 0.9 else ("(", ")")
            i = 0
            for s in self.pick(pool_ + self.pick(self.p.sub_lines, 3), 40):
                i += 1
                first, dot, rest = s.partition("。")
                line = paren[0] + cn_num(i) + paren[1] + first + dot + (self.body_para(rest) if rest else "")
                out.append(line)
                size += len(line.encode())
                if r.random() < 0.12:
                    for j in range(1, r.randint(2, 4) + 1):
                        line = "%d%s%s" % (j, r.choice([".", "．", "、"]), self.body_para())
                        out.append(line)
                        size += len(line.encode())
                if size >= target or i >= 12:
                    break
        elif style == "lead":
            verb = r.choice("是是是要")
            i = 0
            for _, txt in self.pick(self.p.lead_lines, 30):
                i += 1
                line = cn_num(i) + verb + self.body_para(txt)
                out.append(line)
                size += len(line.encode())
                if size >= target or i >= 10:
                    break
        while size < target * 0.7 or len(out) < 2:
            p = self.body_para(r.choice(self.p.plain) if self.p.plain else None)
            out.append(p)
            size += len(p.encode())
        return out

    def skeleton(self):
        r = self.r
        if r.random() < 0.12 and "other" in self.p.by_kind:
            return ["other"] * r.randint(3, 5)          # seminar speech: themes
        kinds = []
        if r.random() < 0.4:
            kinds.append("preparation")
        kinds += ["problems", "causes", "measures"]
        if r.random() < 0.15:
            kinds.append("rectification")
        return kinds

    def title(self):
        r = self.r
        if r.random() < 0.3:
            return r.choice(TITLE_PREFIX) + r.choice(self.p.titles)
        return r.choice(TITLE_ORG) + r.choice(TITLE_MEET) + r.choice(TITLE_KIND)

    def document(self, target_bytes):
        r = self.r
        title = self.title()
        lines = [title]
        if r.random() < 0.1:
            lines.append(title)  # title written twice
        lines.append(r.choice(self.p.preambles))
        kinds = self.skeleton()
        per = max(1000, (target_bytes - 1000) // len(kinds))
        for n, kind in enumerate(kinds, 1):
            t = per // 3 if kind in ("preparation", "rectification") else per
            lines.extend(self.section(n, kind, t))
        lines.append(r.choice(self.p.closings))
        return lines

    def big_document(self, target_bytes):
        """One very long speech: many sections, numbered 一、 … as far as needed."""
        r = self.r
        lines = [self.title(), r.choice(self.p.preambles)]
        size = 0
        n = 0
        kinds = ["problems", "causes", "measures", "other"]
        while size < target_bytes:
            n += 1
            sec = self.section(n, kinds[n % 4], r.randint(3000, 12000))
            lines.extend(sec)
            size += sum(len(l.encode()) + 1 for l in sec)
        lines.append(r.choice(self.p.closings))
        return lines, n

    def add_noise(self, lines):
        r = self.r
        lines = list(lines)
        fill = dict(wx="gw%04d" % r.randrange(10000), qq=str(r.randrange(10**8, 10**10)),
                    n=r.randint(1, 50), m=r.randint(50, 99))
        if r.random() < 0.4:
            for _ in range(r.randint(1, 3)):
                lines.insert(0, r.choice(NOISE_HEAD).format(**fill))
        if r.random() < 0.5:
            for _ in range(r.randint(1, 4)):
                at = r.randint(1, len(lines))
                fill["n"] += 1
                lines.insert(at, r.choice(NOISE_LINE).format(**fill))
        if r.random() < 0.3:
            at = r.randint(2, max(2, len(lines) - 1))
            lines[at - 1] = "##paidbegin##" + lines[at - 1]
            lines.append("##paidend##")
        if r.random() < 0.25:
            wm = r.choice(WATERMARKS)
            for _ in range(r.randint(2, 10)):
                i = r.randrange(len(lines))
                l = lines[i]
                if len(l) > 20:
                    j = r.randrange(5, len(l) - 5)
                    lines[i] = l[:j] + wm + l[j:]
        if r.random() < 0.2:
            lines.append(r.choice(NOISE_HEAD).format(**fill))
        return lines

    def layout(self, lines):
        """Returns (text, layout-name)."""
        r = self.r
        x = r.random()
        if x < 0.12:
            width = r.randint(20, 40)
            paras = []
            for l in lines:
                out = []
                while len(l) > width:
                    out.append(l[:width])
                    l = l[width:]
                out.append(l)
                paras.append("\n".join(out))
            blank = r.random() < 0.3
            return ("\n\n" if blank else "\n").join(paras) + "\n", "wrapped%d" % width
        if x < 0.16:
            sep = r.choice(["", " ", "\u3000\u3000"])
            return sep.join(lines) + "\n", "flat"
        if x < 0.45:
            # indented paragraphs, blank lines between, trailing spaces
            ind = r.choice(["\u3000\u3000", "  ", "    ", "\t"])
            return "\n\n".join(ind + l + r.choice(["", " ", ""]) for l in lines) + "\n", "indented"
        return "\n".join(lines) + "\n", "plain"

    def encode(self, text):
        r = self.r
        crlf = r.random() < 0.15
        if crlf:
            text = text.replace("\n", "\r\n")
        x = r.random()
        if x < 0.01:
            return b"\xff\xfe" + text.encode("utf-16-le"), "UTF-16LE", crlf
        if x < 0.21:
            return text.encode("gb18030"), "GB18030", crlf
        if x < 0.23:
            return b"\xef\xbb\xbf" + text.encode("utf-8"), "UTF-8-BOM", crlf
        return text.encode("utf-8"), "UTF-8", crlf


def load_seeds():
    names = sorted(f for f in os.listdir(SEEDS) if f.endswith(".txt"))
    if not names:
        sys.exit("make_archive: no seeds in %s" % SEEDS)
    texts = []
    for n in names:
        with open(os.path.join(SEEDS, n), "rb") as f:
            texts.append(f.read().decode("utf-8"))
    return texts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--mb", type=float, default=200, help="archive size in MiB (default 200)")
    ap.add_argument("--big-mb", type=float, default=50, help="size of the single large document in MiB (0: none)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--min-kb", type=float, default=10)
    ap.add_argument("--max-kb", type=float, default=20)
    args = ap.parse_args()

    pool = Pool(load_seeds())
    rng = random.Random(args.seed)
    gen = Gen(pool, rng)
    arch = os.path.join(args.outdir, "archive")
    half = os.path.join(args.outdir, "half")
    big = os.path.join(args.outdir, "big")
    for d in (arch, half, big):
        os.makedirs(d, exist_ok=True)

    target = int(args.mb * 1024 * 1024)
    total = 0
    i = 0
    counts = {}
    digests = set()
    manifest = ["path\tencoding\tcrlf\tlayout\tbytes"]
    while total < target:
        want = rng.randint(int(args.min_kb * 1024), int(args.max_kb * 1024))
        lines = gen.add_noise(gen.document(want))
        text, layout = gen.layout(lines)
        data, enc, crlf = gen.encode(text)
        name = "%06d.txt" % i
        path = os.path.join(arch, name)
        with open(path, "wb") as f:
            f.write(data)
        if i % 2 == 0:
            hp = os.path.join(half, name)
            try:
                if os.path.exists(hp):
                    os.unlink(hp)
                os.link(path, hp)
            except OSError:
                with open(hp, "wb") as f:
                    f.write(data)
        digests.add(hashlib.blake2b(data, digest_size=16).digest())
        manifest.append("archive/%s\t%s\t%d\t%s\t%d" % (name, enc, crlf, layout, len(data)))
        counts[enc] = counts.get(enc, [0, 0])
        counts[enc][0] += 1
        counts[enc][1] += len(data)
        total += len(data)
        i += 1
        if i % 2000 == 0:
            print("make_archive: %d files, %.1f MiB" % (i, total / 1048576), file=sys.stderr)

    if args.big_mb > 0:
        lines, n = gen.big_document(int(args.big_mb * 1024 * 1024))
        data = ("\n".join(lines) + "\n").encode("utf-8")
        with open(os.path.join(big, "big.txt"), "wb") as f:
            f.write(data)
        manifest.append("big/big.txt\tUTF-8\t0\tplain-%dsections\t%d" % (n, len(data)))

    with open(os.path.join(args.outdir, "manifest.tsv"), "w") as f:
        f.write("\n".join(manifest) + "\n")
    summary = "files %d, %.1f MiB, distinct %d; " % (i, total / 1048576, len(digests)) + ", ".join(
        "%s %d files %.1f MiB" % (k, v[0], v[1] / 1048576) for k, v in sorted(counts.items()))
    print("make_archive: " + summary, file=sys.stderr)
    with open(os.path.join(args.outdir, ".complete"), "w") as f:
        f.write(summary + "\n")


if __name__ == "__main__":
    main()
