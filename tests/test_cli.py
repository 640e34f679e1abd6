"""The seedbundle command, run through its real entry points."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import seedbundle
from seedbundle import _cli, _cli_base
from seedbundle._cli import main

posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX links and modes")

SAMPLE = (
    "A demo bundle.\n"
    "<<<FILE README.md>>>\n"
    "# Demo\n"
    "<<<FILE bin/run.sh exec>>>\n"
    "#!/bin/sh\n"
    "<<<FILE data/blob.bin base64>>>\n"
    "AP8ACg==\n"
    "<<<FILE notes/no-eol.txt noeol>>>\n"
    "\\<<<FILE not a marker>>>\n"
    "<<<END 4>>>\n"
)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "sample.bundle"
    path.write_text(SAMPLE, encoding="utf-8", newline="")
    return path


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "seedbundle", *args],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=60,
    )


def feed_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


# -- pack ----------------------------------------------------------------


def test_pack_writes_the_bundle_to_stdout(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (tmp_path / "a.txt").write_bytes(b"A\n")
    (tmp_path / "b.bin").write_bytes(b"\x00")
    assert main(["pack", str(tmp_path)]) == 0
    out, err = capsysbinary.readouterr()
    assert out == seedbundle.dumps(seedbundle.pack(tmp_path)).encode()
    assert err == b"seedbundle: packed 2 files, 3 bytes into <stdout>\n"
    assert main(["pack", str(tmp_path), "--quiet"]) == 0
    assert capsysbinary.readouterr() == (out, b"")


def test_pack_options_reach_the_bundle(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.py").write_bytes(b"a\n")
    (tree / "b.log").write_bytes(b"b\n")
    (tree / ".gitignore").write_bytes(b"*.py\n")
    out = tmp_path / "out.bundle"
    assert main(["pack", str(tree), "-o", str(out), "--comment", "hi", "--sha256"]) == 0
    bundle = seedbundle.loads(out.read_bytes())
    assert (bundle.comment, bundle.names) == ("hi", (".gitignore", "b.log"))
    assert b"sha256=" in out.read_bytes()
    assert main(["pack", str(tree), "-o", str(out), "--no-ignore", "--exclude", "*.log"]) == 0
    assert seedbundle.loads(out.read_bytes()).names == (".gitignore", "a.py")
    argv = ["pack", str(tree), "-o", str(out), "--no-ignore", "--include", "*.log", "--include", "a*"]
    assert main(argv) == 0
    assert seedbundle.loads(out.read_bytes()).names == ("a.py", "b.log")


def test_the_include_example_in_the_help_takes_only_the_top_src(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("src/a.py", "src/debug.log", "lib/src/b.py", "top.py"):
        (tmp_path / "tree" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "tree" / name).write_bytes(b"x\n")
    assert main(["--help"]) == 0
    example = next(line for line in capsys.readouterr().out.splitlines() if "--include" in line)
    words = shlex.split(example)
    argv = words[1 : words.index(">")]
    argv[argv.index(".")] = str(tmp_path / "tree")
    out = tmp_path / "src.bundle"
    assert main([*argv, "-o", str(out)]) == 0
    assert seedbundle.loads(out.read_bytes()).names == ("src/a.py",)
    assert main(["pack", "--help"]) == 0
    assert "'/src/' only the one at the top of DIR" in " ".join(capsys.readouterr().out.split())


@posix_only
def test_pack_reports_skipped_paths_on_stderr(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    (tmp_path / "real").write_bytes(b"")
    (tmp_path / "link").symlink_to("real")
    (tmp_path / "empty").mkdir()
    assert main(["pack", str(tmp_path)]) == 1
    out, err = capsysbinary.readouterr()
    assert b"link' is a symbolic link" in err
    assert b"--skip-symlinks" in err
    assert main(["pack", str(tmp_path), "--skip-symlinks"]) == 0
    out, err = capsysbinary.readouterr()
    assert seedbundle.loads(out).names == ("real",)
    assert err.decode().splitlines() == [
        "seedbundle: skipped the empty directory 'empty/': a bundle stores files only",
        "seedbundle: skipped the symbolic link 'link'",
        "seedbundle: packed 1 file, 0 bytes into <stdout>",
    ]
    assert main(["pack", str(tmp_path), "--follow-symlinks"]) == 0
    assert seedbundle.loads(capsysbinary.readouterr().out).names == ("link", "real")


def test_pack_into_the_tree_itself(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_bytes(b"A\n")
    assert main(["pack", str(tmp_path), "-o", str(tmp_path / "self.bundle")]) == 0
    assert main(["pack", str(tmp_path), "-o", str(tmp_path / "self.bundle")]) == 0
    assert "skipped 'self.bundle': it is the bundle being written" in capsys.readouterr().err
    assert seedbundle.loads((tmp_path / "self.bundle").read_bytes()).names == ("a.txt",)


def test_pack_of_a_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pack", str(tmp_path / "missing"), "-o", str(tmp_path / "o.bundle")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# -- unpack --------------------------------------------------------------


def test_unpack_writes_the_files(sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out"
    assert main(["unpack", str(sample), "-C", str(target)]) == 0
    assert capsys.readouterr() == ("", "")
    assert (target / "data" / "blob.bin").read_bytes() == b"\x00\xff\x00\n"
    assert (target / "notes" / "no-eol.txt").read_bytes() == b"<<<FILE not a marker>>>"
    assert os.access(target / "bin" / "run.sh", os.X_OK) or os.name != "posix"


def test_unpack_refuses_to_replace_unless_forced(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out"
    (target / "bin").mkdir(parents=True)
    (target / "bin" / "run.sh").write_bytes(b"mine")
    assert main(["unpack", str(sample), "-C", str(target)]) == 1
    err = capsys.readouterr().err
    assert err == (
        "seedbundle: error: 'bin/run.sh' already exists in the target directory"
        " (pass --force to replace it)\n"
    )
    assert sorted(p.name for p in target.iterdir()) == ["bin"]
    assert main(["unpack", str(sample), "-C", str(target), "--force", "-v"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "README.md",
        "bin/run.sh",
        "data/blob.bin",
        "notes/no-eol.txt",
    ]
    assert (target / "bin" / "run.sh").read_bytes() == b"#!/bin/sh\n"


def test_unpack_dry_run_lists_and_writes_nothing(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "README.md").write_bytes(b"old")
    assert main(["unpack", str(sample), "-C", str(tmp_path), "-n", "-f"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "replace README.md",
        "create  bin/run.sh",
        "create  data/blob.bin",
        "create  notes/no-eol.txt",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "sample.bundle"]


def test_unpack_reads_stdin(sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    feed_stdin(monkeypatch, sample.read_bytes())
    assert main(["unpack", "-", "-C", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "README.md").read_bytes() == b"# Demo\n"


def test_unpack_lenient_accepts_a_model_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = b"\xef\xbb\xbfHere you go:\r\n<<<FILE fix.py>>>\r\nprint(1)\r\n"
    feed_stdin(monkeypatch, answer)
    assert main(["unpack", "-", "-C", str(tmp_path)]) == 1
    assert "<stdin>:1:1: the bundle begins with a byte order mark" in capsys.readouterr().err
    feed_stdin(monkeypatch, answer)
    assert main(["unpack", "-", "-C", str(tmp_path), "--lenient"]) == 0
    assert (tmp_path / "fix.py").read_bytes() == b"print(1)\r\n"


def test_unpack_refuses_case_conflicts_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "case.bundle"
    path.write_bytes(b"<<<FILE A>>>\n<<<FILE a>>>\n<<<END 2>>>\n")
    assert main(["unpack", str(path), "-C", str(tmp_path / "out")]) == 1
    assert "--allow-case-conflicts" in capsys.readouterr().err
    assert main(["unpack", str(path), "-C", str(tmp_path / "out"), "-n", "--allow-case-conflicts"]) == 0


# -- list, cat -----------------------------------------------------------


def test_list_prints_names(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", str(sample)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "README.md",
        "bin/run.sh",
        "data/blob.bin",
        "notes/no-eol.txt",
    ]


def test_list_long(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", str(sample), "--long"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "-  7 text        1 README.md",
        "x 10 text        1 bin/run.sh",
        "-  4 base64      1 data/blob.bin",
        "- 23 text        1 notes/no-eol.txt",
    ]


def test_list_json(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", str(sample), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[1] == {
        "name": "bin/run.sh",
        "size": 10,
        "encoding": "text",
        "lines": 1,
        "executable": True,
    }
    assert [row["encoding"] for row in rows] == ["text", "text", "base64", "text"]


def test_list_counts_the_lines_that_dumps_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = seedbundle.Bundle(
        [
            seedbundle.Entry("text.txt", "one\ntwo\n"),
            seedbundle.Entry("noeol.txt", "one\ntwo"),
            seedbundle.Entry("empty.txt", ""),
            seedbundle.Entry("blob.bin", bytes(range(256)) * 3),
            seedbundle.Entry("tiny.bin", b"\x00"),
            seedbundle.Entry("escaped.txt", "<<<FILE x>>>\n\\<<<END 1>>>\n<<<"),
            seedbundle.Entry("crlf.txt", "a\r\nb\r\n"),
        ]
    )
    text = seedbundle.dumps(bundle)
    real: dict[str, int] = {}
    name = ""
    for line in text.splitlines():
        if line.startswith(("<<<FILE ", "<<<END ")):
            name = line.removeprefix("<<<FILE ").partition(" ")[0].removesuffix(">>>")
            real[name] = 0
        else:
            real[name] += 1
    del real["<<<END"]
    path = tmp_path / "lines.bundle"
    path.write_text(text, encoding="utf-8", newline="")
    assert main(["list", str(path), "--json"]) == 0
    assert {row["name"]: row["lines"] for row in json.loads(capsys.readouterr().out)} == real
    assert real["blob.bin"] == 14


def test_list_quotes_names_that_would_confuse_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "odd.bundle"
    bundle = seedbundle.Bundle([seedbundle.Entry("evil\x1b[2J.txt", ""), seedbundle.Entry("a b", "")])
    path.write_text(seedbundle.dumps(bundle), encoding="utf-8")
    assert main(["list", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == ['"evil\\u001b[2J.txt"', '"a b"']


def test_cat_writes_the_exact_bytes(sample: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["cat", str(sample), "data/blob.bin"]) == 0
    assert capsysbinary.readouterr().out == b"\x00\xff\x00\n"
    assert main(["cat", str(sample), "notes/no-eol.txt"]) == 0
    assert capsysbinary.readouterr().out == b"<<<FILE not a marker>>>"


def test_cat_of_a_missing_entry_suggests_a_name(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cat", str(sample), "readme.md"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"seedbundle: error: {sample} has no entry named 'readme.md' (did you mean 'README.md'?)\n"
    )


def test_cat_prints_nothing_from_a_damaged_bundle(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = tmp_path / "cut.bundle"
    path.write_bytes(b"<<<FILE a>>>\nA\n<<<FILE b>>>\nB\n")
    assert main(["cat", str(path), "a"]) == 1
    out, err = capsysbinary.readouterr()
    assert out == b""
    assert b"no END marker" in err


# -- check and the error format ------------------------------------------


def test_check_is_silent_for_a_valid_bundle(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(sample)]) == 0
    assert capsys.readouterr() == ("", "")


def test_check_reports_file_line_column_and_a_caret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.bundle"
    path.write_bytes(b"<<<FILE a.txt>>>\nfine\n<<<FILE b.txt colour>>>\n<<<END 2>>>\n")
    assert main(["check", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"{path}:3:15: unknown attribute 'colour': expected noeol, base64, exec or sha256=<hex>\n"
        "<<<FILE b.txt colour>>>\n"
        "              ^\n"
    )


def test_the_caret_allows_for_wide_and_control_characters(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_stdin(monkeypatch, "<<<FILE 日本\x1b>>>\n<<<END 1>>>\n".encode())
    assert main(["check", "-"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("<stdin>:1:11: U+001B")
    assert lines[1:] == ["<<<FILE 日本\\x1b>>>", "            ^"]


def test_a_long_line_is_cut_around_the_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_stdin(monkeypatch, b"<<<FILE " + b"a" * 500 + b"<" + b"b" * 500 + b">>>\n")
    assert main(["check", "-"]) == 1
    _, shown, caret = capsys.readouterr().err.splitlines()
    assert shown.startswith("...")
    assert shown.endswith("...")
    assert len(shown) < 120
    assert shown[len(caret) - 1] == "<"


def test_check_reports_unsafe_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "evil.bundle"
    path.write_bytes(b"<<<FILE ../x>>>\n<<<END 1>>>\n")
    assert main(["check", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"seedbundle: error: {path}: unsafe entry name '../x': it has a '..' segment,"
        " which would climb out of the target directory\n"
    )
    assert main(["check", str(path), "--format-only"]) == 0


def test_check_json(sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(sample), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "file": str(sample),
        "valid": True,
        "entries": 4,
    }
    bad = tmp_path / "bad.bundle"
    bad.write_bytes(b"<<<FILE a>>>\n")
    assert main(["check", str(bad), "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["valid"] is False
    assert result["error"]["line"] == 2


def test_check_json_holds_the_error_and_stderr_stays_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.bundle"
    bad.write_bytes(b"<<<FILE a>>>\nx\n<<<END 2>>>\n")
    assert main(["check", str(bad), "--json"]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    assert json.loads(out)["error"] == {
        "message": "the END marker counts 2 entries but the bundle holds 1: entries were lost or added",
        "line": 3,
        "column": 8,
        "pos": 22,
    }
    evil = tmp_path / "evil.bundle"
    evil.write_bytes(b"<<<FILE ../x>>>\n<<<END 1>>>\n")
    assert main(["check", str(evil), "--json"]) == 1
    out, err = capsys.readouterr()
    assert err == ""
    assert json.loads(out) == {
        "file": str(evil),
        "valid": False,
        "error": {
            "message": "unsafe entry name '../x': it has a '..' segment, which would climb out of the"
            " target directory",
            "entry": "../x",
        },
    }


# -- fmt -----------------------------------------------------------------


def test_fmt_normalises_a_lenient_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    answer = b"Sure!\r\n<<<FILE a.py>>>\r\nx = 1\n<<<FILE b.txt>>>\r\nlast"
    feed_stdin(monkeypatch, answer)
    assert main(["fmt", "-", "--lenient"]) == 0
    out = capsysbinary.readouterr().out
    assert out == b"Sure!\r\n<<<FILE a.py>>>\nx = 1\n<<<FILE b.txt noeol>>>\nlast\n<<<END 2>>>\n"
    feed_stdin(monkeypatch, answer)
    assert main(["fmt", "-"]) == 1


def test_fmt_in_place_with_checksums(sample: Path) -> None:
    assert main(["fmt", str(sample), "--sha256", "-o", str(sample)]) == 0
    text = sample.read_text(encoding="utf-8")
    assert text.count("sha256=") == 4
    assert seedbundle.loads(text) == seedbundle.loads(SAMPLE)
    assert sorted(p.name for p in sample.parent.iterdir()) == ["sample.bundle"]


def test_fmt_of_a_canonical_bundle_is_the_identity(
    sample: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert main(["fmt", str(sample)]) == 0
    assert capsysbinary.readouterr().out == sample.read_bytes()


# -- usage and failures --------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["frobnicate"],
        ["list"],
        ["pack", ".", "--bogus"],
        ["pack", ".", "--skip-symlinks", "--follow-symlinks"],
        ["list", "x", "--json", "--long"],
        ["check", "x", "--strict", "--lenient"],
    ],
)
def test_usage_errors_exit_with_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "usage: seedbundle" in err
    assert "Traceback" not in err


def test_a_bare_command_prints_the_full_help_and_exits_with_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    out, err = capsys.readouterr()
    assert err == ""
    assert main(["--help"]) == 0
    assert out == capsys.readouterr().out


def test_help_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out
    for command in ("pack", "unpack", "list", "cat", "check", "fmt"):
        assert command in out
    assert main(["unpack", "--help"]) == 0
    assert "--dry-run" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"seedbundle {seedbundle.__version__}\n"


def test_a_missing_file_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["list", str(tmp_path / "nope.bundle")]) == 1
    assert capsys.readouterr().err == (
        f"seedbundle: error: {tmp_path / 'nope.bundle'}: No such file or directory\n"
    )


def test_an_output_that_is_a_directory(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fmt", str(sample), "-o", str(tmp_path)]) == 1
    assert capsys.readouterr().err == f"seedbundle: error: {tmp_path}: Is a directory\n"


# -- the real program ----------------------------------------------------


@posix_only
def test_python_dash_m_pipes_pack_into_unpack(tmp_path: Path) -> None:
    source = tmp_path / "source"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "x.sh").write_bytes(b"#!/bin/sh\n")
    (source / "sub" / "x.sh").chmod(0o755)
    (source / "data.bin").write_bytes(bytes(range(256)))
    packed = run("pack", str(source))
    assert packed.returncode == 0, packed.stderr
    unpacked = run("unpack", "-", "-C", str(tmp_path / "copy"), stdin=packed.stdout)
    assert unpacked.returncode == 0, unpacked.stderr
    assert (tmp_path / "copy" / "data.bin").read_bytes() == bytes(range(256))
    assert os.access(tmp_path / "copy" / "sub" / "x.sh", os.X_OK)


def test_python_dash_m_reports_errors_without_a_traceback(tmp_path: Path) -> None:
    result = run("check", "-", stdin=b"<<<FILE a>>>\nx\n<<<END 2>>>\n")
    assert result.returncode == 1
    assert result.stdout == b""
    assert result.stderr == (
        b"<stdin>:3:8: the END marker counts 2 entries but the bundle holds 1:"
        b" entries were lost or added\n<<<END 2>>>\n       ^\n"
    )
    usage = run("unpack")
    assert usage.returncode == 2
    assert b"Traceback" not in usage.stderr


@posix_only
def test_a_closed_pipe_is_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_bytes(b"line\n" * 200_000)
    result = subprocess.run(
        f"{sys.executable} -m seedbundle pack {tmp_path} | head -c 10",
        shell=True,
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert result.stdout == b"<<<FILE bi"
    assert b"Traceback" not in result.stderr


@posix_only
def test_stdout_redirected_into_the_tree_is_not_packed(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"A\n")
    with (tmp_path / "out.bundle").open("wb") as out:
        result = subprocess.run(
            [sys.executable, "-m", "seedbundle", "pack", str(tmp_path)],
            stdout=out,
            stderr=subprocess.PIPE,
            check=False,
            timeout=60,
        )
    assert result.returncode == 0
    assert b"skipped 'out.bundle': it is the bundle being written" in result.stderr
    assert seedbundle.loads((tmp_path / "out.bundle").read_bytes()).names == ("a.txt",)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_only_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a.txt").write_bytes(b"A\n" * 1000)
    out = str(tmp_path / "out.bundle")
    monkeypatch.setattr(_cli_base, "_PROGRESS_DELAY", 0)
    assert main(["pack", str(tmp_path / "tree"), "-o", out, "-q"]) == 0
    assert capsysbinary.readouterr().err == b""
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["pack", str(tmp_path / "tree"), "-o", out, "--sha256"]) == 0
    assert "packing" in terminal.getvalue()
    assert main(["unpack", out, "-C", str(tmp_path / "copy")]) == 0
    assert "unpacking" in terminal.getvalue()


def test_errors_name_the_lenient_option_not_the_keyword(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crlf = tmp_path / "windows.bundle"
    crlf.write_bytes(b"<<<FILE a.txt>>>\r\nA\r\n<<<END 1>>>\r\n")
    assert main(["check", str(crlf)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{crlf}:1:17: structural lines end in CRLF")
    assert "--lenient" in err
    assert "strict=False" not in err
    assert main(["check", "--lenient", str(crlf)]) == 0


# -- no traceback, whatever happens --------------------------------------


def test_an_unexpected_exception_is_one_line_not_a_traceback(
    sample: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args: object) -> int:
        raise RuntimeError("something\nbroke")

    monkeypatch.setattr(_cli, "_list", broken)
    monkeypatch.delenv("SEEDBUNDLE_TRACEBACK", raising=False)
    assert main(["list", str(sample)]) == 1
    assert capsys.readouterr().err == (
        "seedbundle: internal error: RuntimeError: something broke (please report this)\n"
    )
    monkeypatch.setenv("SEEDBUNDLE_TRACEBACK", "0")
    assert main(["list", str(sample)]) == 1
    monkeypatch.setenv("SEEDBUNDLE_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="broke"):
        main(["list", str(sample)])


def test_ctrl_c_exits_with_130(
    sample: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(_cli, "_list", interrupted)
    assert main(["list", str(sample)]) == 130
    assert capsys.readouterr().err == "seedbundle: error: interrupted\n"


def shell(command: str, **paths: Path) -> subprocess.CompletedProcess[bytes]:
    """Run ``seedbundle COMMAND`` through /bin/sh, for its redirections; paths are quoted."""
    quoted = {name: shlex.quote(str(path)) for name, path in paths.items()}
    return subprocess.run(
        f"{shlex.quote(sys.executable)} -m seedbundle {command.format(**quoted)}",
        shell=True,
        capture_output=True,
        check=False,
        timeout=60,
    )


@posix_only
@pytest.mark.parametrize(
    ("command", "stream"),
    [
        ("check - <&-", "input"),
        ("unpack - -C {tmp} <&-", "input"),
        ("list {bundle} >&-", "output"),
        ("cat {bundle} README.md >&-", "output"),
        ("pack {tmp} >&-", "output"),
        ("--version >&-", "output"),
    ],
)
def test_a_closed_standard_stream_is_a_usage_error(
    command: str, stream: str, sample: Path, tmp_path: Path
) -> None:
    result = shell(command, bundle=sample, tmp=tmp_path)
    assert (result.returncode, result.stderr) == (
        2,
        f"seedbundle: error: standard {stream} is closed\n".encode(),
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample.bundle"]


@posix_only
def test_a_closed_stream_that_the_command_does_not_use_is_no_problem(sample: Path, tmp_path: Path) -> None:
    assert shell("pack {tmp} -o {out} >&-", tmp=tmp_path, out=tmp_path / "out.bundle").returncode == 0
    assert seedbundle.loads((tmp_path / "out.bundle").read_bytes()).names == ("sample.bundle",)
    assert shell("list {bundle} <&-", bundle=sample).stdout.count(b"\n") == 4
    assert shell("check {bundle} 2>&-", bundle=sample).returncode == 0
    # With standard error closed the message is lost, but the status still tells.
    assert shell("check {missing} 2>&-", missing=tmp_path / "missing").returncode == 1


@posix_only
def test_a_reader_that_stops_early_ends_the_command_quietly_with_141(tmp_path: Path) -> None:
    path = tmp_path / "many.bundle"
    # Far more than a pipe buffer holds, so that the listing meets the closed pipe.
    entries = [seedbundle.Entry(f"dir/file-{number:06}.txt", "") for number in range(20_000)]
    path.write_text(seedbundle.dumps(seedbundle.Bundle(entries)), encoding="utf-8")
    with subprocess.Popen(
        [sys.executable, "-m", "seedbundle", "list", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline() == b"dir/file-000000.txt\n"
        process.stdout.close()
        assert process.wait(timeout=60) == 141
        assert process.stderr.read() == b""


def test_a_bad_pattern_is_a_usage_error_that_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").write_bytes(b"A\n")
    out = tmp_path / "out.bundle"
    assert main(["pack", str(tmp_path), "-o", str(out), "--include", "*.txt", "--exclude", "!"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("seedbundle: error: --exclude")
    assert "'!'" in err
    assert err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_a_pattern_that_breaks_the_regex_compiler_is_not_a_traceback(tmp_path: Path) -> None:
    result = run("pack", str(tmp_path), "--include", "[z-a]")
    assert result.returncode == 2
    assert result.stderr.count(b"\n") == 1
    assert b"'[z-a]'" in result.stderr
    assert b"Traceback" not in result.stderr


@posix_only
@pytest.mark.parametrize(("name", "status"), [("SIGTERM", 143), ("SIGHUP", 129)])
def test_a_stop_signal_ends_the_command_with_128_plus_its_number_and_the_handler_is_put_back(
    name: str, status: int, sample: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    number = getattr(signal, name)

    def killed(args: object) -> int:
        os.kill(os.getpid(), number)
        time.sleep(10)  # the signal arrives first
        return 0

    def unexpected(signum: int, frame: object) -> None:
        pytest.fail(f"main() did not handle {name}")

    monkeypatch.setattr(_cli, "_list", killed)
    original = signal.signal(number, unexpected)
    try:
        assert main(["list", str(sample)]) == status
        assert signal.getsignal(number) is unexpected
    finally:
        signal.signal(number, original)
    assert capsys.readouterr().err == f"seedbundle: error: stopped by {name}\n"


def _written_to(directory: Path) -> bool:
    with contextlib.suppress(FileNotFoundError):
        return any(path.stat().st_size > 0 for path in directory.glob(".seedbundle-*"))
    return False


@posix_only
def test_sigterm_during_pack_removes_the_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for attempt in range(1, 4):
        tree = tmp_path / f"tree{attempt}"
        tree.mkdir()
        for number in range(5000 * attempt):
            (tree / f"{number:06}.txt").write_bytes(b"some text\n" * 50)
        process = subprocess.Popen(
            [sys.executable, "-m", "seedbundle", "pack", str(tree), "-o", str(out / "tree.bundle")],
            stderr=subprocess.PIPE,
        )
        # Wait until the bundle is being written: a signal at the moment the
        # temporary file appears would test how that file is made instead.
        deadline = time.monotonic() + 30
        while not _written_to(out) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        assert list(out.glob(".seedbundle-*")) == [], (process.returncode, err)
        if (out / "tree.bundle").exists():  # the bundle was done before the signal: try a bigger tree
            (out / "tree.bundle").unlink()
            continue
        assert (process.returncode, err) == (143, b"seedbundle: error: stopped by SIGTERM\n")
        return
    pytest.fail("pack always finished before SIGTERM arrived")


def test_main_runs_outside_the_main_thread_too(capsys: pytest.CaptureFixture[str]) -> None:
    statuses: list[int] = []
    thread = threading.Thread(target=lambda: statuses.append(main(["--version"])))
    thread.start()
    thread.join()
    assert statuses == [0]


KEYWORD_HINT = re.compile(r"\b[a-z_]+=(True|False|'[a-z]+')")


@pytest.mark.parametrize(
    ("command", "data", "option"),
    [
        (["check"], b"\xef\xbb\xbf<<<FILE a>>>\n<<<END 1>>>\n", "--lenient"),
        (["check"], b"<<<FILE a>>>\nA\n", "--lenient"),
        (["check", "--json"], b"<<<FILE a>>>\nA\n", "--lenient"),
        (["check"], b"<<<FILE A>>>\n<<<FILE a>>>\n<<<END 2>>>\n", "pass --allow-case-conflicts to unpack"),
        (["check", "--json"], b"<<<FILE A>>>\n<<<FILE a>>>\n<<<END 2>>>\n", "--allow-case-conflicts"),
        (["unpack", "-n"], b"<<<FILE A>>>\n<<<FILE a>>>\n<<<END 2>>>\n", "--allow-case-conflicts"),
    ],
    ids=["bom", "no-end", "no-end-json", "case", "case-json", "unpack-case"],
)
def test_hints_name_options_not_keywords(
    command: list[str], data: bytes, option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hint.bundle"
    path.write_bytes(data)
    assert main([*command, str(path)]) == 1
    shown = "".join(capsys.readouterr())
    assert option in shown
    assert KEYWORD_HINT.search(shown) is None, shown


@posix_only
def test_the_symbolic_link_hint_names_options_not_keywords(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "link").symlink_to("elsewhere")
    assert main(["pack", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.endswith(
        "is a symbolic link, which a bundle cannot store (skip links with --skip-symlinks,"
        " or pack what they point to with --follow-symlinks)\n"
    )
    assert KEYWORD_HINT.search(err) is None, err
