"""convert reads back what the real packers write: files-to-prompt, gitingest and repomix.

Each test makes a tree of tricky files, runs the real tool on it, reads its
output with convert.read, and compares with the exact original tree: a file
that comes back is equal, or differs only as the tool's documented loss
says and with a warning that names it; a file that does not come back has
a warning that says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from seedbundle import convert

# The version of repomix the tests install: the newest that runs on Node.js 20
# (1.8 and later need 22), and the first line with the json style.
REPOMIX_VERSION = "1.7.0"

TREE: dict[str, tuple[bytes, bool]] = {
    "plain.txt": (b"hello\n", False),
    "noeol.txt": (b"no final newline", False),
    "crlf.txt": (b"one\r\ntwo\r\n", False),
    "marker.txt": (b"-- x --\n---\n</file>\n", False),
    "blank.md": (b"\n\n  title\n\n\n", False),
    "bin.dat": (b"\x00\xff\x01", False),
    "run.sh": (b"#!/bin/sh\necho hi\n", True),
    "\u00fcn\u00efcode/\u00f1ame.txt": (b"unicode\n", False),
    "empty.txt": (b"", False),
}


def make_tree(root: Path) -> Path:
    for name, (data, executable) in TREE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if executable:
            path.chmod(0o755)
    return root


def run(command: list[str], cwd: Path) -> None:
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, timeout=300)


def compare(
    result: convert.Conversion,
    *,
    prefix: str = "",
    changed: Callable[[bytes], bytes],
    change_codes: set[str],
    missing: set[str],
) -> None:
    """Hold ``result`` to the original tree and to the tool's documented losses."""
    by_file: dict[str | None, set[str]] = {}
    for warning in result.warnings:
        by_file.setdefault(warning.file, set()).add(warning.code)
    general = by_file.get(None, set())
    assert "CV309" in general  # no packer keeps the executable bit
    got = {entry.name.removeprefix(prefix): entry for entry in result.bundle}
    assert set(got) == set(TREE) - missing
    for name in missing:
        # Left out with a warning naming it, or with the warning that such files leave no trace.
        assert by_file.get(name, set()) & {"CV302", "CV306"} or "CV305" in general, name
    for name, entry in got.items():
        data, _executable = TREE[name]
        assert not entry.executable
        if entry.data != data:
            assert by_file.get(prefix + name, set()) & change_codes, f"{name}: changed without a warning"
            assert entry.data == changed(data), name


def _text_mode(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


@pytest.mark.parametrize(
    ("flags", "fmt"),
    [
        ([], "files-to-prompt"),
        (["--cxml"], "files-to-prompt-cxml"),
        (["--markdown"], "files-to-prompt-markdown"),
    ],
)
def test_files_to_prompt(tmp_path: Path, flags: list[str], fmt: str) -> None:
    make_tree(tmp_path / "tree")
    out = tmp_path / "out.txt"
    run([sys.executable, "-m", "files_to_prompt", "tree", *flags, "-o", str(out)], tmp_path)
    result = convert.read(out)
    assert result.format == fmt
    compare(result, prefix="tree/", changed=_text_mode, change_codes={"CV304"}, missing={"bin.dat"})
    assert result.bundle["tree/crlf.txt"].data == b"one\ntwo\n"
    assert result.bundle["tree/noeol.txt"].data == b"no final newline"
    assert result.bundle["tree/empty.txt"].data == b""
    if fmt == "files-to-prompt":
        codes = {(w.code, w.file) for w in result.warnings}
        assert ("CV303", "tree/marker.txt") in codes  # its '---' line is the tool's own separator


def test_gitingest(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree")
    out = tmp_path / "digest.txt"
    run([sys.executable, "-m", "gitingest", ".", "-o", str(out)], tree)
    result = convert.read(out)
    assert result.format == "gitingest"
    compare(result, changed=_text_mode, change_codes={"CV304"}, missing={"bin.dat"})
    codes = {(w.code, w.file) for w in result.warnings}
    assert {("CV306", "bin.dat"), ("CV306", "empty.txt")} <= codes  # placeholders, flagged
    assert result.bundle["blank.md"].data == b"\n\n  title\n\n\n"


@pytest.fixture(scope="session")
def repomix(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("repomix needs Node.js and npm, which are not installed")
    prefix = tmp_path_factory.mktemp("repomix")
    try:
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(prefix),
                "--no-audit",
                "--no-fund",
                f"repomix@{REPOMIX_VERSION}",
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError) as error:
        pytest.skip(f"npm could not install repomix@{REPOMIX_VERSION} (offline?): {error}")
    return [node, str(prefix / "node_modules" / "repomix" / "bin" / "repomix.cjs")]


def _trimmed(data: bytes) -> bytes:
    stripped = data.decode("utf-8").strip()
    return (stripped + "\n").encode("utf-8") if stripped else b""


@pytest.mark.parametrize(
    ("style", "fmt"),
    [
        ("xml", "repomix-xml"),
        ("plain", "repomix-plain"),
        ("markdown", "repomix-markdown"),
        ("json", "repomix-json"),
    ],
)
def test_repomix(tmp_path: Path, repomix: list[str], style: str, fmt: str) -> None:
    tree = make_tree(tmp_path / "tree")
    out = tmp_path / f"out.{style}"
    env = {**os.environ, "NO_COLOR": "1"}
    subprocess.run(
        [*repomix, "--style", style, "-o", str(out)],
        cwd=tree,
        check=True,
        capture_output=True,
        env=env,
        timeout=300,
    )
    result = convert.read(out)
    assert result.format == fmt
    compare(result, changed=_trimmed, change_codes={"CV301"}, missing={"bin.dat", "empty.txt"})
    trimmed = {w.file for w in result.warnings if w.code == "CV301"}
    assert trimmed == set(result.bundle.names)  # every file, changed or not
    assert result.bundle["marker.txt"].data == b"-- x --\n---\n</file>\n"
