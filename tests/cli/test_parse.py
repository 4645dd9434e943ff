"""speechtree parse, --version and --help."""
import json
import os
import tempfile

from clitest import EXE, case, check, finish, run, seed_files

SEED = seed_files()[-1]


def test_stdout_json():
    code, out, err = run("parse", SEED)
    check(code == 0, "parse FILE exits 0", err)
    doc = json.loads(out)
    check(doc.get("source", {}).get("path") == SEED, "source.path is the FILE argument", doc.get("source"))
    check(out.count(b"\n") == 1 and out.endswith(b"\n"), "compact output is one line")


def test_output_file():
    with tempfile.TemporaryDirectory() as tmp:
        target = os.path.join(tmp, "out.json")
        code, out, err = run("parse", SEED, "-o", target)
        check(code == 0, "parse -o exits 0", err)
        check(out == b"", "parse -o prints nothing on stdout", out[:200])
        check(os.path.exists(target), "parse -o writes the file")
        with open(target, "rb") as f:
            written = f.read()
        check(json.loads(written).get("schema_version") == "1.0", "the written file is the JSON")
        _, direct, _ = run("parse", SEED)
        check(written == direct, "-o writes the same bytes as stdout")
        check(os.listdir(tmp) == ["out.json"], "no temporary file is left", os.listdir(tmp))


def test_stdin():
    with open(SEED, "rb") as f:
        data = f.read()
    code, out, err = run("parse", "-", stdin=data)
    check(code == 0, "parse - reads stdin", err)
    from_stdin = json.loads(out)
    from_file = json.loads(run("parse", SEED)[1])
    check(from_stdin.get("sections") == from_file.get("sections"), "stdin gives the same tree as the file")
    check(from_stdin.get("source", {}).get("path") is None, "stdin has no source.path")


def test_pretty():
    _, compact, _ = run("parse", SEED)
    code, pretty, err = run("parse", "--pretty", SEED)
    check(code == 0, "--pretty exits 0", err)
    check(b"\n  " in pretty, "--pretty indents")
    check(json.loads(pretty) == json.loads(compact), "--pretty is the same JSON")


def test_expand():
    code, out, err = run("parse", "--expand", SEED)
    check(code == 0, "--expand exits 0", err)
    check("expanded" in json.loads(out), "--expand adds 'expanded'")


def test_missing_file():
    missing = os.path.join(tempfile.gettempdir(), "speechtree-no-such-file.txt")
    code, out, err = run("parse", missing)
    check(code == 1, "a missing file exits 1", code)
    check(missing in err and err.startswith("speechtree: "), "the message names the file", err)
    check(out == b"", "nothing on stdout for a missing file")


def test_binary_input():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "junk.txt")
        with open(path, "wb") as f:
            f.write("第一行正常文字。\n第二行".encode() + b"\x00\xff\xfe\xfd" + "后面".encode())
        code, _, err = run("parse", path)
        check(code == 1, "undecodable input exits 1", code)
        check(path in err, "the message names the file", err)


def test_max_bytes():
    code, _, err = run("parse", "--max-bytes", "1K", SEED)
    check(code == 1, "--max-bytes 1K refuses a larger file", (code, err))
    check("1024" in err, "the message gives the limit", err)
    code, _, err = run("parse", "--max-bytes=1M", SEED)
    check(code == 0, "--max-bytes=1M accepts it", err)
    code, _, err = run("parse", "--max-bytes", "lots", SEED)
    check(code == 2, "a bad --max-bytes value is a usage error", code)


def test_usage_errors():
    code, out, err = run("parse", "--no-such-option", SEED)
    check(code == 2, "an unknown option exits 2", code)
    check("usage:" in err and "--no-such-option" in err, "the usage line is printed and names the option", err)
    check(out == b"", "nothing on stdout on a usage error")
    code, _, err = run("parse")
    check(code == 2 and "usage:" in err, "parse without FILE exits 2 with usage", (code, err))
    code, _, err = run("parse", SEED, "-o")
    check(code == 2, "-o without a value exits 2", (code, err))
    code, _, err = run("frobnicate")
    check(code == 2 and "usage:" in err, "an unknown command exits 2", (code, err))
    code, _, err = run()
    check(code == 2, "no command exits 2", code)


def test_version():
    code, out, err = run("--version")
    check(code == 0 and out == b"speechtree 0.1.0 (schema 1.0)\n", "--version", (code, out, err))


def test_help():
    code, out, _ = run("--help")
    check(code == 0 and b"parse" in out, "speechtree --help exits 0")
    for command in ("parse", "batch", "outline", "stats"):
        for flag in ("--help", "-h"):
            code, out, err = run(command, flag)
            check(code == 0 and out.startswith(b"usage: speechtree " + command.encode()),
                  f"{command} {flag} exits 0 with usage on stdout", (code, out[:80], err))


def test_encoding_option():
    code, _, err = run("parse", "--encoding", "no-such-encoding-xyz", SEED)
    check(code in (1, 2) and "no-such-encoding-xyz" in err, "an unknown --encoding is refused by name", (code, err))
    code, out, err = run("parse", "--encoding", "UTF-8", SEED)
    check(code == 0 and json.loads(out)["source"]["encoding_source"] == "forced", "--encoding UTF-8 is forced",
          (code, err))


print(f"speechtree: {EXE}")
for test in (test_stdout_json, test_output_file, test_stdin, test_pretty, test_expand, test_missing_file,
             test_binary_input, test_max_bytes, test_usage_errors, test_version, test_help, test_encoding_option):
    case(test)
finish()
