#!/usr/bin/env python3
"""Encoding tests through the CLI.

usage: run_encoding.py SPEECHTREE SOURCE_ROOT variants|cli

variants: every seed in fixtures/seeds is re-encoded here (UTF-8 with BOM,
  UTF-16LE/BE with and without BOM, GB18030, GBK, GB18030 with characters
  outside GBK, Big5 of a traditional version, CRLF and CR line ends) and
  `speechtree parse` must report the right source.encoding and
  encoding_source and give the same title, the same (marker, heading) of
  every node and the same source.chars/lines as the same text in plain UTF-8.
cli: errors and flags: invalid UTF-8 at the start, middle and end and a
  truncated sequence at EOF (exit 1, message with the file name and the byte
  offset), --lossy (exit 0, diagnostic "invalid-bytes"), NUL bytes (binary),
  --encoding forcing and unknown encoding names.
"""
import concurrent.futures
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

EXE, ROOT, MODE = sys.argv[1], sys.argv[2], sys.argv[3]
SEEDS = sorted(glob.glob(os.path.join(ROOT, 'fixtures', 'seeds', '*.txt')))

# A traditional-character speech snippet, for Big5 when uconv is missing.
TRAD_SNIPPET = """對照檢查材料
按照民主生活會的要求，我認真學習了黨的理論，現將對照檢查情況報告如下。
一、存在的問題
（一）理論學習不夠深入。一是學習的自覺性不強，二是學用結合不緊。
（二）工作作風不夠紮實。調查研究不夠深入，聯繫群眾不夠緊密。
二、原因分析
1. 思想認識不到位，對加強學習的重要性認識不足。
2. 宗旨意識有所淡化，為民服務的自覺性不高。
三、整改措施
（一）加強理論學習，堅定理想信念。
（二）改進工作作風，密切聯繫群眾。
以上對照檢查，請同志們批評指正。
"""

failures = []


def fail(msg):
    failures.append(msg)
    print('FAIL: ' + msg, flush=True)


def run(args):
    p = subprocess.run([EXE] + args, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')


def parse(path, *flags):
    """(exit, json or None, stderr)"""
    code, out, err = run(['parse', path] + list(flags))
    doc = None
    if code == 0:
        try:
            doc = json.loads(out)
        except ValueError as e:
            return 99, None, 'bad JSON: %s' % e
    return code, doc, err


def outline(doc):
    """title, [(depth, marker, heading)] in document order, chars, lines"""
    nodes = []

    def walk(ns, depth):
        for n in ns:
            nodes.append((depth, n.get('marker'), n.get('heading')))
            walk(n.get('children', []), depth + 1)

    walk(doc.get('sections', []), 0)
    src = doc.get('source', {})
    return doc.get('title'), nodes, src.get('chars'), src.get('lines')


def encodable(text, codec, repl):
    """text with the characters `codec` cannot encode replaced by repl"""
    out = []
    for ch in text:
        try:
            ch.encode(codec)
            out.append(ch)
        except UnicodeEncodeError:
            out.append(repl)
    return ''.join(out)


def traditional(text):
    if not shutil.which('uconv'):
        return None
    p = subprocess.run(['uconv', '-f', 'utf-8', '-t', 'utf-8', '-x', 'Simplified-Traditional'],
                       input=text.encode('utf-8'), capture_output=True)
    return p.stdout.decode('utf-8') if p.returncode == 0 else None


def insert_outside_gbk(text):
    """put characters outside GBK into a line in the middle: CJK extension B,
    CJK extension A beyond GBK and an emoji"""
    lines = text.split('\n')
    k = len(lines) // 2
    while k < len(lines) - 1 and len(lines[k]) < 4:
        k += 1
    line = lines[k]
    lines[k] = line[:2] + '𠀀䶮😀' + line[2:]
    return '\n'.join(lines)


def variants(name, text):
    """(label, bytes, encoding, encoding_source, text the bytes decode to)"""
    v = []
    u8 = text.encode('utf-8')
    v.append(('utf8-bom', b'\xef\xbb\xbf' + u8, 'UTF-8', 'bom', text))
    v.append(('utf16le-bom', b'\xff\xfe' + text.encode('utf-16-le'), 'UTF-16LE', 'bom', text))
    v.append(('utf16be-bom', b'\xfe\xff' + text.encode('utf-16-be'), 'UTF-16BE', 'bom', text))
    v.append(('utf16le', text.encode('utf-16-le'), 'UTF-16LE', 'detected', text))
    v.append(('utf16be', text.encode('utf-16-be'), 'UTF-16BE', 'detected', text))
    v.append(('gb18030', text.encode('gb18030'), 'GB18030', 'detected', text))
    gbk = encodable(text, 'gbk', ' ')
    v.append(('gbk', gbk.encode('gbk'), 'GB18030', 'detected', gbk))
    ext = insert_outside_gbk(text)
    v.append(('gb18030-ext', ext.encode('gb18030'), 'GB18030', 'detected', ext))
    v.append(('crlf', text.replace('\n', '\r\n').encode('utf-8'), 'UTF-8', 'default', text))
    v.append(('cr', text.replace('\n', '\r').encode('utf-8'), 'UTF-8', 'default', text))
    v.append(('gb18030-crlf', text.replace('\n', '\r\n').encode('gb18030'), 'GB18030', 'detected', text))
    v.append(('utf16le-bom-crlf', b'\xff\xfe' + text.replace('\n', '\r\n').encode('utf-16-le'),
              'UTF-16LE', 'bom', text))
    trad = traditional(text)
    if trad is not None:
        trad = encodable(trad, 'cp950', '□')
        v.append(('big5', trad.encode('cp950'), 'Big5', 'detected', trad))
    return v


def check_variants():
    tmp = tempfile.mkdtemp(prefix='st-encoding-')
    try:
        jobs = []  # (seed name, label, path, encoding, source, baseline path)
        baselines = {}

        def baseline_path(text):
            if text not in baselines:
                p = os.path.join(tmp, 'base%d.txt' % len(baselines))
                with open(p, 'wb') as f:
                    f.write(text.encode('utf-8'))
                baselines[text] = p
            return baselines[text]

        inputs = [(os.path.basename(s), open(s, encoding='utf-8').read()) for s in SEEDS]
        inputs.append(('trad-snippet', TRAD_SNIPPET))
        for name, text in inputs:
            vs = variants(name, text)
            if name == 'trad-snippet':
                vs.append(('big5', TRAD_SNIPPET.encode('cp950'), 'Big5', 'detected', TRAD_SNIPPET))
                vs.append(('big5-crlf', TRAD_SNIPPET.replace('\n', '\r\n').encode('cp950'), 'Big5', 'detected',
                           TRAD_SNIPPET))
            for label, data, enc, source, decoded in vs:
                p = os.path.join(tmp, '%s.%s' % (name, label))
                with open(p, 'wb') as f:
                    f.write(data)
                jobs.append((name, label, p, enc, source, baseline_path(decoded)))

        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            base_results = dict(zip(baselines.values(), pool.map(parse, baselines.values())))
            results = list(pool.map(lambda j: parse(j[2]), jobs))

        for path, (code, doc, err) in base_results.items():
            if code != 0:
                fail('baseline %s: exit %d: %s' % (path, code, err.strip()))
        for (name, label, path, enc, source, base), (code, doc, err) in zip(jobs, results):
            what = '%s [%s]' % (name, label)
            if code != 0:
                fail('%s: exit %d: %s' % (what, code, err.strip()))
                continue
            s = doc.get('source', {})
            if s.get('encoding') != enc or s.get('encoding_source') != source:
                fail('%s: encoding %s/%s, want %s/%s' % (what, s.get('encoding'), s.get('encoding_source'),
                                                         enc, source))
            c = s.get('confidence')
            if not isinstance(c, int) or not 0 <= c <= 100 or (source == 'detected' and c < 50):
                fail('%s: confidence %r' % (what, c))
            bcode, bdoc, _ = base_results[base]
            if bcode != 0:
                continue
            got, want = outline(doc), outline(bdoc)
            if got[0] != want[0]:
                fail('%s: title %r, want %r' % (what, got[0], want[0]))
            if got[1] != want[1]:
                diff = next((i for i, (a, b) in enumerate(zip(got[1], want[1])) if a != b),
                            min(len(got[1]), len(want[1])))
                fail('%s: nodes differ at #%d: %r vs %r (%d vs %d nodes)' % (
                    what, diff, got[1][diff] if diff < len(got[1]) else None,
                    want[1][diff] if diff < len(want[1]) else None, len(got[1]), len(want[1])))
            if got[2:] != want[2:]:
                fail('%s: source chars/lines %r, want %r' % (what, got[2:], want[2:]))
            if (name == 'trad-snippet' or label.startswith('big5')) != bool(s.get('traditional')):
                fail('%s: traditional %r' % (what, s.get('traditional')))
        print('%d variants of %d texts checked' % (len(jobs), len(inputs)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def place(text, k):
    """line and column (1-based, characters) of character index k"""
    line = text.count('\n', 0, k) + 1
    col = k - (text.rfind('\n', 0, k) + 1) + 1
    return line, col


def check_cli():
    tmp = tempfile.mkdtemp(prefix='st-encoding-cli-')
    try:
        text = open(SEEDS[0], encoding='utf-8').read()
        u8 = text.encode('utf-8')
        mid = len(text) // 2
        mid_b = len(text[:mid].encode('utf-8'))
        end_line, end_col = place(text, len(text))
        cases = [
            # label, bytes, offset, line, column
            ('bad-start', b'\xc3' + u8, 0, 1, 1),
            ('bad-middle', u8[:mid_b] + b'\xff' + u8[mid_b:], mid_b) + place(text, mid),
            ('bad-end', u8 + b'\x80', len(u8), end_line, end_col),
            ('truncated', u8 + '中'.encode('utf-8')[:2], len(u8), end_line, end_col),
        ]
        for label, data, off, line, col in cases:
            p = os.path.join(tmp, label + '.txt')
            with open(p, 'wb') as f:
                f.write(data)
            code, doc, err = parse(p)
            if code != 1:
                fail('%s: exit %d, want 1' % (label, code))
            if p not in err or 'byte %d' % off not in err or 'line %d, column %d' % (line, col) not in err:
                fail('%s: stderr lacks the file name, "byte %d" or "line %d, column %d": %s' % (
                    label, off, line, col, err.strip()))
            code, doc, err = parse(p, '--lossy')
            if code != 0:
                fail('%s --lossy: exit %d: %s' % (label, code, err.strip()))
            else:
                diags = [d for d in doc.get('diagnostics', []) if d.get('code') == 'invalid-bytes']
                if len(diags) != 1:
                    fail('%s --lossy: %d invalid-bytes diagnostics' % (label, len(diags)))
                elif (diags[0].get('line'), diags[0].get('column')) != (line, col):
                    fail('%s --lossy: diagnostic at %r:%r, want %d:%d' % (
                        label, diags[0].get('line'), diags[0].get('column'), line, col))
                if doc['source']['encoding'] != 'UTF-8':
                    fail('%s --lossy: encoding %s' % (label, doc['source']['encoding']))

        # NUL byte inside the text
        p = os.path.join(tmp, 'nul.txt')
        with open(p, 'wb') as f:
            f.write(u8[:mid_b] + b'\0' + u8[mid_b:])
        code, doc, err = parse(p)
        if code != 1 or 'binary' not in err or 'byte %d' % mid_b not in err or p not in err:
            fail('nul: exit %d, want 1 and "binary ... byte %d": %s' % (code, mid_b, err.strip()))

        # forcing an encoding
        base = os.path.join(tmp, 'base.txt')
        gbk_text = encodable(text, 'gbk', ' ')
        with open(base, 'wb') as f:
            f.write(gbk_text.encode('utf-8'))
        bcode, bdoc, berr = parse(base)
        p = os.path.join(tmp, 'gbk.txt')
        with open(p, 'wb') as f:
            f.write(gbk_text.encode('gbk'))
        code, doc, err = parse(p, '--encoding', 'gbk')
        if code != 0:
            fail('--encoding gbk: exit %d: %s' % (code, err.strip()))
        else:
            s = doc['source']
            if s['encoding'] != 'GBK' or s['encoding_source'] != 'forced':
                fail('--encoding gbk: %s/%s' % (s['encoding'], s['encoding_source']))
            if bcode == 0 and outline(doc) != outline(bdoc):
                fail('--encoding gbk: outline differs from the UTF-8 text')
        # forcing UTF-8 on GBK bytes fails at the first byte
        code, doc, err = parse(p, '--encoding', 'UTF-8')
        if code != 1 or 'byte 0' not in err:
            fail('--encoding UTF-8 on GBK: exit %d: %s' % (code, err.strip()))
        # forcing UTF-16LE on BOM-less UTF-16LE
        p = os.path.join(tmp, 'u16.txt')
        with open(p, 'wb') as f:
            f.write(text.encode('utf-16-le'))
        code, doc, err = parse(p, '--encoding', 'utf-16le')
        if code != 0 or doc['source']['encoding'] != 'UTF-16LE' or doc['source']['encoding_source'] != 'forced':
            fail('--encoding utf-16le: exit %d %s' % (code, err.strip()))
        # forcing Big5
        p = os.path.join(tmp, 'big5.txt')
        with open(p, 'wb') as f:
            f.write(TRAD_SNIPPET.encode('cp950'))
        code, doc, err = parse(p, '--encoding', 'big5')
        if code != 0 or doc['source']['encoding'] != 'Big5' or doc['source']['encoding_source'] != 'forced':
            fail('--encoding big5: exit %d %s' % (code, err.strip()))
        # an unknown encoding name (the CLI treats it as a usage error)
        code, doc, err = parse(base, '--encoding', 'nonsense')
        if code not in (1, 2) or 'nonsense' not in err:
            fail('--encoding nonsense: exit %d: %s' % (code, err.strip()))
        # GB18030 with a bad byte: the error names the encoding and the place
        gb = gbk_text.encode('gb18030')
        k = len(gbk_text) // 3
        kb = len(gbk_text[:k].encode('gb18030'))
        p = os.path.join(tmp, 'gb-bad.txt')
        with open(p, 'wb') as f:
            f.write(gb[:kb] + b'\x80' + gb[kb:])
        code, doc, err = parse(p)
        line, col = place(gbk_text, k)
        if code != 1 or 'GB18030' not in err or 'byte %d' % kb not in err or \
                'line %d, column %d' % (line, col) not in err:
            fail('gb18030 bad byte: exit %d, want 1 with "GB18030", "byte %d", line %d, column %d: %s' % (
                code, kb, line, col, err.strip()))
        code, doc, err = parse(p, '--lossy')
        if code != 0 or doc['source']['encoding'] != 'GB18030' or \
                not any(d.get('code') == 'invalid-bytes' for d in doc.get('diagnostics', [])):
            fail('gb18030 bad byte --lossy: exit %d %s' % (code, err.strip()))
        # an empty file is fine
        p = os.path.join(tmp, 'empty.txt')
        open(p, 'wb').close()
        code, doc, err = parse(p)
        if code != 0 or doc['source']['chars'] != 0:
            fail('empty: exit %d %s' % (code, err.strip()))
        print('cli checks done')
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if not SEEDS:
    print('no seeds in %s/fixtures/seeds' % ROOT)
    sys.exit(1)
if MODE == 'variants':
    check_variants()
elif MODE == 'cli':
    check_cli()
else:
    print(__doc__)
    sys.exit(2)
if failures:
    print('%d failures' % len(failures))
    sys.exit(1)
print('ok')
