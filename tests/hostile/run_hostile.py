#!/usr/bin/env python3
"""Hostile input suite: `speechtree parse` on inputs built to hurt it.

    run_hostile.py SPEECHTREE [--schema FILE] [--sanitized] [--seeds DIR] [CASE...]
    run_hostile.py --list

Inputs are generated in a temporary folder at test time (nothing big is
committed). Every case must end in

* exit 0 with an output file that is JSON (validated against the schema when
  the `jsonschema` module is importable and the output is below 8 MB, and
  held to the lossless contract of tests/lossless/ for inputs up to 5 MB), or
* exit 1 with a message on stderr that names the input file, and no output
  file (nor a left-over temporary) -- or the specific refusal a case expects;

never a signal, never exit 2, and within the bounds below. The bounds catch
hangs and blow-ups; they are not benchmarks:

* wall time: 10 s per input; 30 s for the 100 MB single-line input;
* peak memory (ru_maxrss of the child, from wait4):
      64 MiB + 8 x input bytes + 3 x output bytes + 96 bytes x input lines
  (lines: LF and CR count), except where a case states its own bound; the
  same bound is documented in docs/GUARANTEES.md.

With --sanitized (ASan/UBSan builds: meson passes it when b_sanitize is set)
time bounds are multiplied by 6, memory is not checked, and the two biggest
inputs shrink (100 MB -> 20 MB, 10^6 markers -> 2*10^5) so that the sanitizer
run stays short.

Exit status 0 when every case passes; the closing line says
"hostile: N passed, N failed"."""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MiB = 1 << 20
CASES = {}


def case(name, time_bound=10.0, mem_fixed=64 * MiB, mem_factor=8.0, expect="any", args=(),
         message=None):
    """Register a generator: gen(tmpdir, ctx) -> input path.
    expect: "any" (exit 0 with JSON, or exit 1 naming the file), "ok" (exit 0),
    "refuse" (exit 1, stderr names the file; `message`: a regex it must match)."""
    def deco(fn):
        CASES[name] = dict(gen=fn, time=time_bound, mem_fixed=mem_fixed, mem_factor=mem_factor,
                           expect=expect, args=list(args), message=message, doc=fn.__doc__ or "")
        return fn
    return deco


def seed_text(ctx):
    parts = []
    for name in sorted(os.listdir(ctx["seeds"])):
        if name.endswith(".txt"):
            with open(os.path.join(ctx["seeds"], name), encoding="utf-8") as f:
                parts.append(f.read())
    return "\n".join(parts)


def write(tmp, name, data):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def cn_numeral(n):
    """1..99999 as Chinese numerals (一, 十一, 二十, 一百零一, …)."""
    digits = "零一二三四五六七八九"
    units = [(10000, "万"), (1000, "千"), (100, "百"), (10, "十")]
    out, zero = "", False
    for value, unit in units:
        q, n = divmod(n, value)
        if q:
            if zero:
                out += "零"
            out += ("" if (value == 10 and q == 1 and not out) else digits[q]) + unit
            zero = False
        elif out:
            zero = True
    if n:
        out += ("零" if zero and out else "") + digits[n]
    return out


# ---------------------------------------------------------------- cases

@case("empty", expect="any")
def _(tmp, ctx):
    "an empty file"
    return write(tmp, "empty.txt", b"")


@case("whitespace-only")
def _(tmp, ctx):
    "spaces, tabs, ideographic spaces, CRLF, NBSP, ZWSP only"
    return write(tmp, "whitespace.txt", (" \t\n\u3000\r\n\u00a0\u200b\r" * 1000).encode())


@case("noise-only")
def _(tmp, ctx):
    "lines of paywall tags and ads only"
    lines = ["##paidbegin##", "【更多公文素材，微信：abc】", "##paidend##",
             "【会员资料仅供内部交流使用，严禁外传及用于商业用途，违者后果自负】"]
    return write(tmp, "noise.txt", ("\n".join(lines * 500) + "\n").encode())


@case("noise-unclosed")
def _(tmp, ctx):
    "50,000 unclosed ad brackets and paywall tags (regex backtracking)"
    return write(tmp, "unclosed.txt", ("【更多公文素材，微信：" * 50000 + "##paidbegin##" * 20000).encode())


@case("title-only")
def _(tmp, ctx):
    "a title and nothing else, no final newline"
    return write(tmp, "title.txt", "关于召开专题民主生活会的对照检查材料".encode())


@case("elf-binary", expect="any")
def _(tmp, ctx):
    "an ELF executable (/bin/true)"
    path = os.path.join(tmp, "true.txt")
    shutil.copyfile(shutil.which("true") or "/bin/true", path)
    return path


@case("png")
def _(tmp, ctx):
    "a PNG header and 64 KB of random bytes"
    rnd = random.Random(1)
    return write(tmp, "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" +
                 bytes(rnd.getrandbits(8) for _ in range(65536)))


@case("nul-inside")
def _(tmp, ctx):
    "NUL bytes inside ordinary text"
    text = seed_text(ctx)[:3000].encode()
    return write(tmp, "nul.txt", text[:1000] + b"\x00" + text[1000:2000] + b"\x00\x00" + text[2000:])


@case("invalid-utf8-start")
def _(tmp, ctx):
    "invalid UTF-8 at the very start"
    return write(tmp, "bad-start.txt", b"\xc3\x28\xa0\xa1" + seed_text(ctx)[:2000].encode())


@case("invalid-utf8-middle")
def _(tmp, ctx):
    "invalid UTF-8 in the middle (stray continuation, overlong, surrogate)"
    t = seed_text(ctx)[:3000].encode()
    return write(tmp, "bad-middle.txt", t[:1500] + b"\x80\xc0\xaf\xed\xa0\x80" + t[1500:])


@case("invalid-utf8-end")
def _(tmp, ctx):
    "invalid UTF-8 at the very end"
    return write(tmp, "bad-end.txt", seed_text(ctx)[:2000].encode() + b"\xfe\xff")


@case("truncated-multibyte-eof")
def _(tmp, ctx):
    "text cut in the middle of a 3-byte character"
    return write(tmp, "truncated.txt", seed_text(ctx)[:2000].encode() + "一".encode()[:2])


@case("utf16le-no-bom")
def _(tmp, ctx):
    "a seed in UTF-16LE without a BOM"
    return write(tmp, "utf16le.txt", seed_text(ctx)[:5000].encode("utf-16-le"))


@case("cesu-surrogates")
def _(tmp, ctx):
    "UTF-8-encoded surrogate halves around text (CESU-8)"
    return write(tmp, "cesu.txt", b"\xed\xa0\xbd\xed\xb8\x80" + "一、标题\n正文".encode() * 100 + b"\xed\xa0\x80")


@case("huge-one-line", time_bound=30.0)
def _(tmp, ctx):
    "100 MB in one single line (seed text, newlines removed)"
    size = ctx["huge"]
    chunk = seed_text(ctx).replace("\n", "").encode()
    path = os.path.join(tmp, "huge.txt")
    with open(path, "wb") as f:
        written = 0
        while written + len(chunk) <= size:
            f.write(chunk)
            written += len(chunk)
        rest = chunk[:size - written]
        while rest and (rest[-1] & 0xC0) == 0x80:  # keep it valid UTF-8
            rest = rest[:-1]
        if rest and rest[-1] >= 0xC0:
            rest = rest[:-1]
        f.write(rest)
    return path


@case("newlines-10m")
def _(tmp, ctx):
    "10 MB of line feeds (a line table of 10^7 lines)"
    return write(tmp, "newlines.txt", b"\n" * (ctx["huge"] // 10))


@case("cr-flood")
def _(tmp, ctx):
    "4 MB alternating CR and CRLF"
    return write(tmp, "cr.txt", b"\r\r\n" * (4 * MiB // 3))


@case("periods-1mb")
def _(tmp, ctx):
    "1 MB of 。 (333,333 sentence ends in one paragraph)"
    return write(tmp, "periods.txt", ("。" * 333333).encode())


@case("prose-one-paragraph")
def _(tmp, ctx):
    "4 MB of marker-free prose sentences in one paragraph (the closing search)"
    s = "我们要认真学习，切实提高思想认识。"
    return write(tmp, "prose.txt", (s * (4 * 1000 * 1000 // len(s.encode()))).encode())


@case("million-lead-markers")
def _(tmp, ctx):
    "一是。 10^6 times in a row (one paragraph)"
    return write(tmp, "million-shi.txt", ("一是。" * ctx["million"]).encode())


@case("million-marker-lines")
def _(tmp, ctx):
    "10^6 lines of 1. (all the same ordinal)"
    return write(tmp, "million-dots.txt", ("1.\n" * ctx["million"]).encode())


@case("deep-alternating")
def _(tmp, ctx):
    "markers nested in alternating styles 10,000 deep (一、（一）1.（1）① …, ordinals rising)"
    lines = []
    for d in range(10000):
        k, n = d % 5, d // 5 + 1
        marker = [cn_numeral(n) + "、", "（" + cn_numeral(n) + "）", f"{n}.", f"（{n}）",
                  chr(0x2460 + (n - 1) % 20)][k]
        lines.append(f"{marker}第{d}层标题。正文内容。")
    return write(tmp, "deep.txt", ("\n".join(lines) + "\n").encode())


@case("deep-fresh")
def _(tmp, ctx):
    "一、（一）1.（1）①一是 each starting at 1, 2,000 times over"
    block = "一、标题。\n（一）小标题。\n1.项目。\n（1）子项。\n①细项。一是内容，二是内容。\n"
    return write(tmp, "deep-fresh.txt", (block * 2000).encode())


@case("heading-1mb")
def _(tmp, ctx):
    "a 1 MB heading without sentence punctuation"
    body = "对照检查找差距" * (MiB // 21)
    return write(tmp, "heading.txt", f"一、{body}。正文。\n二、第二节。\n".encode())


@case("list-100k")
def _(tmp, ctx):
    "a list numbered 1. to 100000."
    return write(tmp, "list.txt", "".join(f"{i}. 第{i}项内容。\n" for i in range(1, 100001)).encode())


@case("cn-list-100k")
def _(tmp, ctx):
    "a list numbered 一、 to 九万九千九百九十九、 and then 十万、"
    lines = [f"{cn_numeral(i)}、第{i}节。" for i in range(1, 100000)] + ["十万、最后一节。"]
    return write(tmp, "cn-list.txt", ("\n".join(lines) + "\n").encode())


@case("big-numerals")
def _(tmp, ctx):
    "十万, 壹贰叁, and ordinals that overflow an int"
    lines = ["十万、标题。", "（十万）标题。", "第十万，内容。", "壹、标题。", "贰、标题。", "叁、标题。",
             "（壹）内容。", "拾、标题。", "一百亿、标题。", "九千九百九十九亿九千九百九十九万、标题。",
             "2147483647. 最大。", "2147483648. 溢出。", "4294967296. 溢出。",
             "99999999999999999999999999999. 溢出。", "（99999999999999999999）溢出。",
             "第九千九百九十九亿，内容。", "零、标题。", "0. 零。", "-1. 负数。", "１２３４５６７８９０１２３．全角。"]
    return write(tmp, "numerals.txt", ("\n".join(lines * 50) + "\n").encode())


@case("max-bytes", expect="refuse", args=["--max-bytes", "1000"],
      message=r"larger than|more than|exceeds|too large|limit")
def _(tmp, ctx):
    "a seed (> 1000 bytes) with --max-bytes 1000"
    return write(tmp, "seed-copy.txt", seed_text(ctx).encode())


@case("dev-zero-capped", expect="refuse", args=["--max-bytes", "1M"],
      message=r"larger than|more than|exceeds|too large|limit")
def _(tmp, ctx):
    "/dev/zero (endless) with --max-bytes 1M: must stop reading and refuse"
    return "/dev/zero"


@case("dev-zero-default", expect="refuse", time_bound=10.0, mem_factor=0, mem_fixed=64 * MiB + 3 * 256 * MiB,
      message=r"larger than|more than|exceeds|too large|limit")
def _(tmp, ctx):
    "/dev/zero with the default limit (256 MiB)"
    return "/dev/zero"


@case("directory", expect="refuse")
def _(tmp, ctx):
    "a directory given as FILE"
    os.mkdir(os.path.join(tmp, "a-folder.txt"))
    return os.path.join(tmp, "a-folder.txt")


@case("missing-file", expect="refuse")
def _(tmp, ctx):
    "a file that does not exist"
    return os.path.join(tmp, "no-such-file.txt")


# ---------------------------------------------------------------- runner

# The child is started by a small helper process: Linux carries ru_maxrss
# over exec, so a child forked straight from this (large) Python process
# would report this process's size as its own peak.
HELPER = r"""
import os, signal, sys, time
bound = float(sys.argv[1]); so = sys.argv[2]; se = sys.argv[3]; argv = sys.argv[4:]
start = time.monotonic()
pid = os.fork()
if pid == 0:
    fo = os.open(so, os.O_WRONLY | os.O_CREAT | os.O_TRUNC); fe = os.open(se, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    fi = os.open(os.devnull, os.O_RDONLY)
    os.dup2(fi, 0); os.dup2(fo, 1); os.dup2(fe, 2)
    try:
        os.execv(argv[0], argv)
    finally:
        os._exit(127)
killed = 0
while True:
    p, status, ru = os.wait4(pid, os.WNOHANG)
    if p:
        break
    if time.monotonic() - start > 2 * bound and not killed:
        os.kill(pid, signal.SIGKILL); killed = 1
    time.sleep(0.005)
print(status, time.monotonic() - start, ru.ru_maxrss * 1024, killed)
"""


def run_child(argv, time_bound):
    """Run argv; return (status, elapsed, maxrss_bytes, killed, stdout, stderr).
    Killed with SIGKILL at twice the time bound."""
    with tempfile.TemporaryDirectory(prefix="st-hostile-io-") as io:
        so, se = os.path.join(io, "stdout"), os.path.join(io, "stderr")
        r = subprocess.run([sys.executable, "-c", HELPER, str(time_bound), so, se] + argv,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"measuring helper failed: {r.stderr}")
        status, elapsed, rss, killed = r.stdout.split()
        with open(so, "rb") as f:
            out = f.read()
        with open(se, "rb") as f:
            err = f.read()
        return int(status), float(elapsed), int(rss), bool(int(killed)), out, err


LOSSLESS_MAX = 5 * 1000 * 1000


def lossless_errors(path, doc):
    """The lossless contract (tests/lossless/check_lossless.py) on one output."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lossless"))
    import check_lossless
    with open(path, "rb") as f:
        data = f.read()
    enc = (doc.get("source") or {}).get("encoding") or "UTF-8"
    try:
        src = check_lossless.decode_source(data, enc)
    except (LookupError, UnicodeError) as e:
        return []  # Python cannot decode it the same way: not judged here
    c = check_lossless.Checker(path, src, doc)
    c.run()
    return [f"lossless: {e}" for e in c.errors[:10]]


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 22)
            if not b:
                return n
            n += b.count(b"\n") + b.count(b"\r")


def load_schema_validator(schema_path):
    if not schema_path:
        return None, "no schema given"
    try:
        import jsonschema
    except ImportError:
        return None, "jsonschema not importable"
    try:
        with open(schema_path, encoding="utf-8") as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        return cls(schema), "jsonschema"
    except Exception as e:  # a broken schema is the schema suite's business
        return None, f"schema unusable: {e}"


def run_case(name, spec, exe, tmp, ctx, validator):
    errors, notes = [], []
    input_path = spec["gen"](tmp, ctx)
    size = os.path.getsize(input_path) if os.path.isfile(input_path) else 0
    out = os.path.join(tmp, name + ".out.json")
    argv = [exe, "parse", input_path, "-o", out] + spec["args"]
    time_bound = spec["time"] * (6 if ctx["sanitized"] else 1)
    status, elapsed, rss, killed, _, stderr = run_child(argv, time_bound)
    err_text = stderr.decode("utf-8", "replace").strip()
    notes.append(f"{size} bytes in, {elapsed:.2f} s, peak {rss / MiB:.1f} MiB")

    if killed:
        errors.append(f"HANG: killed after {elapsed:.1f} s (bound {time_bound:.0f} s)")
    elif os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        errors.append(f"CRASH: killed by signal {sig} ({signal.Signals(sig).name}); stderr: {err_text[-2000:]}")
    else:
        code = os.WEXITSTATUS(status)
        if elapsed > time_bound:
            errors.append(f"too slow: {elapsed:.1f} s, bound {time_bound:.0f} s")
        if not ctx["sanitized"]:
            out_size = os.path.getsize(out) if code == 0 and os.path.isfile(out) else 0
            lines = count_lines(input_path) if size else 0
            mem_bound = spec["mem_fixed"] + spec["mem_factor"] * size + 3 * out_size + 96 * lines
            if rss > mem_bound:
                errors.append(f"memory: peak {rss / MiB:.1f} MiB, bound {mem_bound / MiB:.1f} MiB "
                              f"({spec['mem_fixed'] / MiB:.0f} MiB + {spec['mem_factor']:g} x {size} in "
                              f"+ 3 x {out_size} out + 96 x {lines} lines)")
            notes.append(f"memory bound {mem_bound / MiB:.0f} MiB")
        leftovers = [f for f in os.listdir(tmp) if f.startswith(name + ".out.json") and f != name + ".out.json"]
        if leftovers:
            errors.append(f"temporary files left next to the output: {leftovers}")
        if code == 0:
            if spec["expect"] == "refuse":
                errors.append("exit 0, but this input must be refused")
            try:
                with open(out, "rb") as f:
                    raw = f.read()
                doc = json.loads(raw)
                if not isinstance(doc, dict) or doc.get("schema_version") is None:
                    errors.append("output JSON is not a speechtree document")
                elif validator is not None:
                    if len(raw) < 8 * MiB:
                        problems = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))[:3]
                        for p in problems:
                            errors.append(f"schema: {'/'.join(map(str, p.path))}: {p.message[:200]}")
                    else:
                        notes.append("schema check skipped (output > 8 MB)")
                if isinstance(doc, dict):
                    notes.append(f"{len(doc.get('sections') or [])} sections, "
                                 f"{len(doc.get('diagnostics') or [])} diagnostics")
                    if size <= LOSSLESS_MAX and os.path.isfile(input_path):
                        errors.extend(lossless_errors(input_path, doc))
                        notes.append("lossless ok" if not errors else "lossless checked")
            except FileNotFoundError:
                errors.append("exit 0 but no output file")
            except RecursionError:
                errors.append("output JSON nests too deep for Python's json module")
            except ValueError as e:
                errors.append(f"output is not valid JSON: {e}")
        elif code == 1:
            if spec["expect"] == "ok":
                errors.append(f"exit 1 ({err_text[:200]}), but this input must parse")
            if not err_text:
                errors.append("exit 1 with nothing on stderr")
            elif os.path.basename(input_path) not in err_text:
                errors.append(f"exit 1, but stderr does not name the file: {err_text[:300]}")
            if spec["message"] and not re.search(spec["message"], err_text):
                errors.append(f"stderr does not say /{spec['message']}/: {err_text[:300]}")
            if os.path.exists(out):
                errors.append("exit 1 but an output file was written")
            notes.append(f"refused: {err_text[:160]}")
        else:
            errors.append(f"exit {code} (only 0 or 1 are allowed); stderr: {err_text[:500]}")
    return errors, notes


def main(argv):
    if "--list" in argv:
        print("\n".join(CASES))
        return 0
    args, opts, it = [], {}, iter(argv[1:])
    for a in it:
        if a in ("--schema", "--seeds"):
            opts[a] = next(it)
        elif a.startswith("--"):
            opts[a] = True
        else:
            args.append(a)
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    exe, names = os.path.abspath(args[0]), args[1:] or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        print(f"unknown case(s): {unknown}; --list shows them", file=sys.stderr)
        return 2
    here = os.path.dirname(os.path.abspath(__file__))
    sanitized = bool(opts.get("--sanitized"))
    ctx = {
        "seeds": opts.get("--seeds") or os.path.join(here, "..", "..", "fixtures", "seeds"),
        "sanitized": sanitized,
        "huge": (20 if sanitized else 100) * 1000 * 1000,
        "million": 200000 if sanitized else 1000000,
    }
    validator, how = load_schema_validator(opts.get("--schema"))
    print(f"schema validation: {how if validator else 'off (' + how + ')'}")
    passed = failed = 0
    for name in names:
        spec = CASES[name]
        tmp = tempfile.mkdtemp(prefix=f"st-hostile-{name}-")
        try:
            errors, notes = run_case(name, spec, exe, tmp, ctx, validator)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if errors:
            failed += 1
            print(f"FAIL {name}: {spec['doc']}\n     " + "; ".join(notes))
            for e in errors:
                print(f"  - {e}")
        else:
            passed += 1
            print(f"ok   {name}: {'; '.join(notes)}")
    print(f"hostile: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
