#!/usr/bin/env python3
"""(Re)generate the seed corpus of the fuzz targets: tests/fuzz/corpus/.

    tests/fuzz/make-corpus.py [OUTDIR]

Inputs: the seed speeches (fixtures/seeds/*.txt), slices of them (their first
lines, single paragraphs, the end), the same text in other encodings and line
ends, and small hand-written snippets for every marker style, noise, censored
words and malformed bytes. File names are content hashes, so rerunning is
idempotent; files that are no longer generated are removed."""
import hashlib
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent / "corpus"

SNIPPETS = [
    # every marker style, nested
    "关于召开民主生活会的对照检查材料\n一、存在的问题\n（一）理论学习方面。学得不深。\n1.学习不够。"
    "内容\n（1）细项一。\n①第一小点。\n②第二小点。\n（2）细项二。\n2.另一项。\n（二）作风方面。\n二、原因分析\n"
    "三、整改措施\n第一，加强学习。第二，改进作风。\n",
    "一是学习不够深入，二是工作不够扎实，三是作风不够过硬。\n",
    "一要提高认识；二要加强领导；三要狠抓落实。\n一则以喜，一则以惧。\n",
    "（一）理论学习。一是学习不深。二是学用脱节。\n（二）作风建设。\n",
    "(一)半角括号\n(1)半角数字\n1)右括号\n1）全角右括号\n1、顿号\n１．全角数字\n一．全角点\n",
    "第一、第二：第三，第十一，第二十，第一百\n",
    "十、十一、十九、二十、九十九、一百、一千、一万、十万、壹、贰、叁、拾\n",
    "⑴⑵⑶ ⒈⒉⒊ ①②③④⑤⑥⑦⑧⑨⑩⑪⑳\n",
    "一、\n二、\n三、\n（一）\n1.\n",
    "首先，其次，最后。一方面，另一方面。比如，再如。一个人，一对一、第一卷，1次，2021年，十九届五中全会。\n",
    "存在问题：\n原因剖析：\n整改措施：\n下步打算\n上次民主生活会整改落实情况\n个人有关事项\n",
    # noise, censored words, redactions
    "##paidbegin##一、标题##paidend##\n【更多公文素材，微信：abc】\n正文【会员资料仅供内部交流使用】\n",
    "获得完整版资料咨询唯一指定QQ206157060\n",
    "我参加了mzshh，学习了xjp新时代思想，zuzhi生活会。XX单位，××同志，xxx书记。\n",
    "mzshhmzshh xjpxxx XXXX ×× xx\n",
    # title only, whitespace, line ends
    "对照检查材料",
    "对照检查材料\n对照检查材料\n",
    "   \n\t\n\u3000\u3000\n\n",
    "",
    "一、标题\r\n正文\r\n二、标题\r\n",
    "一、标题\r正文\r二、标题\r",
    "\ufeff一、带BOM的标题\n正文\n",
    # hard-wrapped copy: lines broken mid-sentence
    "一、存在的问题\n在学习上浅尝辄止，对新思想只了\n解皮毛，没有做到真学真懂。\n二、原因\n",
    # ASCII punctuation copies
    "一、问题.一是学习不够;二是工作不实!三是作风?四是:\n",
    # closing
    "一、问题\n正文。\n以上发言，不当之处，请批评指正。\n谢谢大家！\n",
]

RAW = [
    b"\xff\xfe\x00\x00",                   # UTF-32LE BOM-ish
    b"\xe4\xb8\x80\xe3\x80\x81\xe4",       # truncated multibyte at EOF
    b"\x80\x81\x82 \xc0\xaf \xed\xa0\x80", # stray continuation, overlong, surrogate
    "一、文本\x00中间有NUL\n".encode(),
    b"\x7fELF\x02\x01\x01\x00" + bytes(range(32)),
    b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
    "一、无BOM的UTF-16LE\n".encode("utf-16-le"),
]


def variants(text):
    """The same text in other encodings and line ends."""
    yield text.encode("utf-8")
    yield text.replace("\n", "\r\n").encode("utf-8")
    yield b"\xef\xbb\xbf" + text.encode("utf-8")
    yield text.encode("utf-16")          # with BOM
    yield text.encode("utf-16-be")
    for enc in ("gb18030", "gbk", "big5"):
        try:
            yield text.encode(enc)
        except UnicodeEncodeError:
            pass


def main():
    corpus = {}

    def add(data):
        corpus[hashlib.sha1(data).hexdigest()[:16]] = data

    for path in sorted((ROOT / "fixtures" / "seeds").glob("*.txt")):
        data = path.read_bytes()
        add(data)
        text = data.decode("utf-8", "replace")
        lines = text.split("\n")
        add("\n".join(lines[:6]).encode())
        add("\n".join(lines[-4:]).encode())
        for line in lines:
            if 0 < len(line) < 400:
                add(line.encode())
        head = "\n".join(lines[:4])
        for v in variants(head):
            add(v)
        add(text.replace("\n", "").encode()[:8000])
    for s in SNIPPETS:
        for v in variants(s):
            add(v)
    for r in RAW:
        add(r)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        if old.name not in corpus:
            old.unlink()
    for name, data in sorted(corpus.items()):
        (OUT / name).write_bytes(data)
    print(f"{len(corpus)} inputs, {sum(map(len, corpus.values()))} bytes in {OUT}")


if __name__ == "__main__":
    main()
