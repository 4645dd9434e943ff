#!/usr/bin/env python3
"""`speechtree batch` and `parse -o` under faults.

    faults.py SPEECHTREE MODE [--seeds DIR]

MODE:
  sigkill    batch over a few hundred small files (copies of the seeds, in
             sub-folders), SIGKILLed mid-run. Afterwards every *.json in the
             output folder is complete, valid JSON; anything else there is a
             clearly named temporary (NAME.json.tmp.PID) or failures.jsonl.
             A second run completes the rest, and the outputs then equal
             those of an uninterrupted run (compared as parsed JSON).
  sigint     the same, interrupted with SIGINT: batch must stop within 10 s,
             exit without a signal, and leave no partial or temporary files.
  disk-full  (root only; skipped, exit 77, where tmpfs cannot be mounted)
             --out on a 1 MiB tmpfs, more output than fits: exit 1, stderr
             says the disk is full, no partial .json, no temporaries, no
             hang. Then `parse -o` into the full tmpfs and `parse` with stdout
             on /dev/full: exit 1 with a message, no partial file.
  crash      (needs --shim, an LD_PRELOAD library that crashes the open of
             any path containing CRASH-ME) batch over copies of the seeds
             and one file that crashes it: the run dies of the signal, but
             stderr names the file and OUT/crashes.txt lists it. A rerun
             skips it (status "crashed" in failures.jsonl, exit 1) and
             converts every other file; a rerun with --force and without
             the shim converts it and removes crashes.txt.
  special-output
             `parse -o` onto a character device (root: mknod, else skipped)
             and onto a FIFO with a reader: the JSON goes into them and the
             device or FIFO is still there afterwards (an atomic rename over
             it would replace /dev/null with a regular file when run as
             root). `-o` onto a symlink is reported, not judged.

Exit status: 0 pass, 1 fail, 77 skipped. Closing line "faults: N passed,
N failed"."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TEMP_RE = re.compile(r"\.json\.tmp\.\d+$|\.tmp\.\d+$")
SPACE_RE = re.compile(r"space|disk|full|ENOSPC", re.I)


class Result:
    def __init__(self):
        self.errors, self.notes = [], []

    def check(self, cond, msg):
        if not cond:
            self.errors.append(msg)
        return cond


def make_inputs(seeds, root, copies, repeat=1):
    texts = []
    for name in sorted(os.listdir(seeds)):
        if name.endswith(".txt"):
            with open(os.path.join(seeds, name), "rb") as f:
                texts.append((name[:-4], f.read()))
    n = 0
    for i in range(copies):
        sub = os.path.join(root, f"part{i % 4}", f"group{i % 7}")
        os.makedirs(sub, exist_ok=True)
        for stem, data in texts:
            with open(os.path.join(sub, f"{i:04d}-{stem}.txt"), "wb") as f:
                f.write(data * repeat)
            n += 1
    return n


def scan(out):
    """(json files, temp files, other files), relative paths."""
    jsons, temps, other = [], [], []
    for dirpath, _, files in os.walk(out):
        for f in files:
            rel = os.path.relpath(os.path.join(dirpath, f), out)
            if f.endswith(".json"):
                jsons.append(rel)
            elif TEMP_RE.search(f):
                temps.append(rel)
            elif f not in ("failures.jsonl", "crashes.txt"):
                other.append(rel)
    return sorted(jsons), sorted(temps), sorted(other)


def load_all(out, rels, res, label):
    docs = {}
    for rel in rels:
        path = os.path.join(out, rel)
        try:
            with open(path, "rb") as f:
                doc = json.loads(f.read())
            if not isinstance(doc, dict) or "schema_version" not in doc:
                res.errors.append(f"{label}: {rel} is JSON but not a speechtree document")
            docs[rel] = doc
        except ValueError as e:
            res.errors.append(f"{label}: {rel} is partial or invalid JSON ({os.path.getsize(path)} bytes): {e}")
    return docs


def batch(exe, inp, out, extra=(), **kw):
    return subprocess.Popen([exe, "batch", inp, "--out", out, "-j", "2", "--quiet"] + list(extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def interrupted_run(exe, seeds, tmp, sig, res):
    ref = os.path.join(tmp, "ref")
    # inputs big enough that the run can be caught in the middle
    for attempt, (copies, repeat) in enumerate([(60, 1), (60, 6), (80, 20)]):
        inp = os.path.join(tmp, f"in{attempt}")
        total = make_inputs(seeds, inp, copies, repeat)
        out = os.path.join(tmp, f"out{attempt}")
        shutil.rmtree(ref, ignore_errors=True)
        t0 = time.monotonic()
        p = batch(exe, inp, ref)
        so, se = p.communicate(timeout=240)
        t_ref = time.monotonic() - t0
        if not res.check(p.returncode == 0, f"uninterrupted run exited {p.returncode}: {se.decode(errors='replace')[-800:]}"):
            return
        ref_jsons, ref_temps, _ = scan(ref)
        res.check(len(ref_jsons) == total, f"uninterrupted run wrote {len(ref_jsons)} of {total} outputs")
        res.check(not ref_temps, f"uninterrupted run left temporaries: {ref_temps[:5]}")

        p = batch(exe, inp, out)
        target = max(2, total // 8)
        sent = False
        t0 = time.monotonic()
        while p.poll() is None:
            done = len(scan(out)[0]) if os.path.isdir(out) else 0
            if done >= target or time.monotonic() - t0 > t_ref * 0.4:
                p.send_signal(sig)
                sent = True
                break
            time.sleep(0.001)
        try:
            so, se = p.communicate(timeout=10 if sig == signal.SIGINT else 30)
        except subprocess.TimeoutExpired:
            p.kill()
            so, se = p.communicate()
            res.errors.append(f"batch did not stop within 10 s of {sig.name}")
            return
        jsons, temps, other = scan(out)
        if not sent or len(jsons) == total:
            res.notes.append(f"attempt {attempt}: {total} files x{repeat} finished before the signal; larger inputs")
            continue
        res.notes.append(f"{sig.name} after {len(jsons)}/{total} outputs "
                         f"(uninterrupted run: {t_ref:.2f} s); {len(temps)} temporaries left")
        if sig == signal.SIGINT:
            res.check(p.returncode >= 0, f"batch died of signal {-p.returncode} on SIGINT instead of stopping")
            res.check(not temps, f"temporaries left after SIGINT: {temps[:5]}")
        res.check(not other, f"unexpected files in the output folder: {other[:5]}")
        load_all(out, jsons, res, "after the signal")

        # resume
        p = batch(exe, inp, out)
        so, se = p.communicate(timeout=240)
        res.check(p.returncode == 0, f"resumed run exited {p.returncode}: {se.decode(errors='replace')[-800:]}")
        jsons2, temps2, other2 = scan(out)
        res.check(jsons2 == ref_jsons,
                  f"after resuming: {len(jsons2)} outputs, uninterrupted: {len(ref_jsons)}; "
                  f"missing {sorted(set(ref_jsons) - set(jsons2))[:5]}, extra {sorted(set(jsons2) - set(ref_jsons))[:5]}")
        stale = [t for t in temps2 if t not in temps]
        res.check(not stale, f"the resumed run left temporaries of its own: {stale[:5]}")
        got = load_all(out, jsons2, res, "after resuming")
        want = load_all(ref, ref_jsons, res, "uninterrupted")
        differ = [rel for rel in want if rel in got and got[rel] != want[rel]]
        res.check(not differ, f"{len(differ)} outputs differ from the uninterrupted run, e.g. {differ[:3]}")
        return
    res.errors.append("could not interrupt batch mid-run: every run finished before the signal")


def disk_full(exe, seeds, tmp, res):
    if os.geteuid() != 0:
        return "not root: cannot mount a tmpfs"
    mnt = os.path.join(tmp, "small")
    os.mkdir(mnt)
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt], capture_output=True)
    if m.returncode != 0:
        return f"mount not permitted: {m.stderr.decode(errors='replace').strip()}"
    try:
        inp = os.path.join(tmp, "in")
        total = make_inputs(seeds, inp, 40)
        t0 = time.monotonic()
        p = batch(exe, inp, mnt)
        try:
            so, se = p.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            res.errors.append("batch hung on a full disk (killed after 120 s)")
            return None
        err = se.decode("utf-8", "replace")
        jsons, temps, other = scan(mnt)
        res.notes.append(f"batch on a 1 MiB tmpfs: exit {p.returncode} after {time.monotonic() - t0:.2f} s, "
                         f"{len(jsons)}/{total} outputs; stderr: {err.strip()[:200]!r}")
        res.check(p.returncode == 1, f"batch on a full disk exited {p.returncode}, expected 1")
        res.check(SPACE_RE.search(err), f"stderr does not say the disk is full: {err[-500:]}")
        res.check(len(jsons) < total, "every output fit on a 1 MiB tmpfs: the test input is too small")
        res.check(not temps, f"temporaries left on the full disk: {temps[:5]}")
        res.check(not other, f"unexpected files: {other[:5]}")
        load_all(mnt, jsons, res, "full disk")

        # parse -o into the full disk
        seed = os.path.join(seeds, sorted(f for f in os.listdir(seeds) if f.endswith(".txt"))[-1])
        with open(os.path.join(mnt, "filler"), "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        out = os.path.join(mnt, "one.json")
        p = subprocess.run([exe, "parse", seed, "-o", out], capture_output=True, timeout=30)
        err = p.stderr.decode("utf-8", "replace")
        res.notes.append(f"parse -o on a full disk: exit {p.returncode}; {err.strip()[:160]!r}")
        res.check(p.returncode == 1, f"parse -o on a full disk exited {p.returncode}, expected 1")
        res.check(SPACE_RE.search(err), f"parse -o: stderr does not say the disk is full: {err[-300:]}")
        res.check(not os.path.exists(out), "parse -o left a (partial) output on a full disk")
        left = [f for f in os.listdir(mnt) if f.startswith("one.json")]
        res.check(not left, f"parse -o left temporaries: {left}")
    finally:
        subprocess.run(["umount", mnt], capture_output=True)

    # stdout on /dev/full
    if os.path.exists("/dev/full"):
        seed = os.path.join(seeds, sorted(f for f in os.listdir(seeds) if f.endswith(".txt"))[0])
        with open("/dev/full", "wb") as full:
            p = subprocess.run([exe, "parse", seed], stdout=full, stderr=subprocess.PIPE, timeout=30)
        err = p.stderr.decode("utf-8", "replace")
        res.notes.append(f"parse > /dev/full: exit {p.returncode}; {err.strip()[:160]!r}")
        res.check(p.returncode == 1, f"parse with stdout on /dev/full exited {p.returncode}, expected 1")
        res.check(SPACE_RE.search(err), f"parse > /dev/full: stderr does not say why: {err[-300:]}")
    return None


def special_output(exe, seeds, tmp, res):
    import stat
    import threading
    seed = os.path.join(seeds, sorted(f for f in os.listdir(seeds) if f.endswith(".txt"))[0])
    skipped = []
    # a character device (the null device, 1:3), made by mknod
    dev = os.path.join(tmp, "null-device")
    try:
        os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, OSError) as e:
        skipped.append(f"mknod: {e}")
        dev = None
    if dev:
        p = subprocess.run([exe, "parse", seed, "-o", dev], capture_output=True, timeout=30)
        mode = os.lstat(dev).st_mode
        res.notes.append(f"parse -o CHARDEV: exit {p.returncode}, afterwards "
                         f"{'a character device' if stat.S_ISCHR(mode) else 'NOT a device'}")
        res.check(p.returncode == 0, f"parse -o onto a character device exited {p.returncode}: "
                                     f"{p.stderr.decode(errors='replace')[:300]}")
        res.check(stat.S_ISCHR(mode), "parse -o replaced a character device with a regular file "
                                      "(as root, -o /dev/null would destroy /dev/null)")
        left = [f for f in os.listdir(tmp) if f.startswith("null-device.")]
        res.check(not left, f"temporaries left next to the device: {left}")
    # a FIFO with a reader
    fifo = os.path.join(tmp, "pipe")
    os.mkfifo(fifo)
    got = {}

    def reader():
        try:
            fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as e:
            got["error"] = str(e)
            return
        chunks, t_end = [], time.monotonic() + 20
        while time.monotonic() < t_end:
            try:
                b = os.read(fd, 65536)
            except BlockingIOError:
                time.sleep(0.01)
                continue
            if b:
                chunks.append(b)
            elif chunks:
                break
            else:
                time.sleep(0.01)
        os.close(fd)
        got["data"] = b"".join(chunks)

    t = threading.Thread(target=reader)
    t.start()
    time.sleep(0.1)
    try:
        p = subprocess.run([exe, "parse", seed, "-o", fifo], capture_output=True, timeout=30)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        rc = "timeout"
    t.join()
    is_fifo = os.path.exists(fifo) and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    data = got.get("data", b"")
    res.notes.append(f"parse -o FIFO: exit {rc}, reader got {len(data)} bytes, "
                     f"afterwards {'a FIFO' if is_fifo else 'NOT a FIFO'}")
    res.check(is_fifo, "parse -o replaced a FIFO with a regular file")
    res.check(rc == 0, f"parse -o onto a FIFO: exit {rc}")
    try:
        json.loads(data)
    except ValueError:
        res.errors.append(f"the FIFO's reader did not get the JSON ({len(data)} bytes)")
    # a symlink: reported only
    target = os.path.join(tmp, "real.json")
    link = os.path.join(tmp, "link.json")
    open(target, "w").close()
    os.symlink(target, link)
    p = subprocess.run([exe, "parse", seed, "-o", link], capture_output=True, timeout=30)
    res.notes.append(f"parse -o SYMLINK: exit {p.returncode}; the link is "
                     f"{'still a symlink' if os.path.islink(link) else 'replaced by a regular file'}, "
                     f"its old target has {os.path.getsize(target)} bytes (not judged)")
    return None


def crash(exe, seeds, tmp, shim, res):
    inp = os.path.join(tmp, "in")
    total = make_inputs(seeds, inp, 20)
    bad_rel = os.path.join("part1", "CRASH-ME.txt")
    with open(os.path.join(seeds, sorted(os.listdir(seeds))[0]), "rb") as f:
        data = f.read()
    with open(os.path.join(inp, bad_rel), "wb") as f:
        f.write(data)
    total += 1
    bad = os.path.join(inp, bad_rel)
    out = os.path.join(tmp, "out")
    env = dict(os.environ, LD_PRELOAD=shim)
    p = subprocess.run([exe, "batch", inp, "--out", out, "-j", "2", "--quiet"], env=env,
                       capture_output=True, timeout=120)
    err = p.stderr.decode("utf-8", "replace")
    res.check(p.returncode == -signal.SIGSEGV, f"first run: expected death by SIGSEGV, got exit {p.returncode}")
    res.check(f"{bad}: crashed speechtree (signal {int(signal.SIGSEGV)})" in err,
              f"first run: stderr does not name the crashing file: {err[-400:]!r}")
    record = os.path.join(out, "crashes.txt")
    listed = open(record, encoding="utf-8").read().split("\n") if os.path.exists(record) else []
    res.check(listed == [bad, ""], f"first run: crashes.txt should list {bad!r} alone, has {listed!r}")

    # rerun (the shim still loaded): the crashing file is skipped, the rest done
    p = subprocess.run([exe, "batch", inp, "--out", out, "-j", "2", "--quiet"], env=env,
                       capture_output=True, timeout=120)
    err = p.stderr.decode("utf-8", "replace")
    res.check(p.returncode == 1, f"rerun: expected exit 1 (one failure), got {p.returncode}: {err[-400:]!r}")
    jsons, temps, other = scan(out)
    # the crash, like SIGKILL, may leave a worker's NAME.json.tmp.PID behind
    res.check(len(jsons) == total - 1 and not other,
              f"rerun: {len(jsons)} outputs of {total - 1}, other files {other}")
    load_all(out, jsons, res, "rerun")
    failures = [json.loads(l) for l in open(os.path.join(out, "failures.jsonl"), encoding="utf-8") if l.strip()]
    res.check([(f["path"], f["status"]) for f in failures] == [(bad, "crashed")],
              f"rerun: failures.jsonl should hold the crashing file as 'crashed': {failures!r}")
    res.check("--force" in err and bad in err, f"rerun: stderr should say the file was skipped: {err[-400:]!r}")
    res.check(os.path.exists(record), "rerun: crashes.txt should stay while the file is skipped")

    # --force without the shim: the file converts and leaves the record
    p = subprocess.run([exe, "batch", inp, "--out", out, "-j", "2", "--quiet", "--force"],
                       capture_output=True, timeout=120)
    res.check(p.returncode == 0, f"--force run: expected exit 0, got {p.returncode}: {p.stderr[-400:]!r}")
    res.check(os.path.exists(os.path.join(out, "part1", "CRASH-ME.json")), "--force run: no output for the file")
    res.check(not os.path.exists(record), "--force run: crashes.txt should be gone once its file converted")


def main(argv):
    args, opts, it = [], {}, iter(argv[1:])
    for a in it:
        if a in ("--seeds", "--shim"):
            opts[a] = next(it)
        else:
            args.append(a)
    if len(args) != 2 or args[1] not in ("sigkill", "sigint", "disk-full", "special-output", "crash"):
        print(__doc__, file=sys.stderr)
        return 2
    exe, mode = os.path.abspath(args[0]), args[1]
    seeds = opts.get("--seeds") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                 "fixtures", "seeds")
    res = Result()
    tmp = tempfile.mkdtemp(prefix=f"st-batch-{mode}-")
    skipped = None
    try:
        if mode == "sigkill":
            interrupted_run(exe, seeds, tmp, signal.SIGKILL, res)
        elif mode == "sigint":
            interrupted_run(exe, seeds, tmp, signal.SIGINT, res)
        elif mode == "crash":
            if not opts.get("--shim"):
                print("crash needs --shim LIBRARY", file=sys.stderr)
                return 2
            crash(exe, seeds, tmp, os.path.abspath(opts["--shim"]), res)
        elif mode == "special-output":
            skipped = special_output(exe, seeds, tmp, res)
        else:
            skipped = disk_full(exe, seeds, tmp, res)
    except subprocess.TimeoutExpired as e:
        res.errors.append(f"timed out: {e}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for n in res.notes:
        print(f"note: {n}")
    if skipped:
        print(f"SKIP {mode}: {skipped}")
        print("faults: 0 passed, 0 failed, 1 skipped")
        return 77
    for e in res.errors:
        print(f"FAIL: {e}")
    ok = not res.errors
    print(f"faults: {int(ok)} passed, {int(not ok)} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
