"""Unpack under stress: failures and interrupts half-way, huge names, races, and first-time users.

Each test was written for a problem that seedbundle 1.0.0 had, and fails on
it. They go through the public API, the command line and the ``os`` module
only, so that they run unchanged against 1.0.0 too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import seedbundle
from seedbundle import Bundle, Entry

posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX links, modes and signals")
needs_signal_masks = pytest.mark.skipif(
    not hasattr(signal, "pthread_sigmask"), reason="signals can only be held back with POSIX signal masks"
)

Files = dict[str, bytes]


def files(root: Path) -> Files:
    """Every file below ``root`` (relative name -> content); directories are listed as b'/'."""
    found: Files = {}
    for directory, dirs, names in os.walk(root):
        for name in dirs:
            found[Path(directory, name).relative_to(root).as_posix() + "/"] = b"/"
        for name in names:
            path = Path(directory, name)
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def write(root: Path, tree: Files) -> None:
    for name, data in tree.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def leftovers(root: Path) -> list[str]:
    return sorted(name for name in files(root) if ".seedbundle-" in name)


def bundle_of(tree: Files) -> Bundle:
    return Bundle([Entry(name, data) for name, data in tree.items()])


def bundle_file(path: Path, tree: Files) -> Path:
    path.write_text(seedbundle.dumps(bundle_of(tree)), encoding="utf-8", newline="")
    return path


OLD = {"a.txt": b"old a\n", "b.txt": b"old b\n", "sub/c.txt": b"old c\n"}
NEW = {"a.txt": b"new a\n", "b.txt": b"new b\n", "sub/c.txt": b"new c\n"}


# -- 4. checking names costs what the names are long ---------------------


def _run_python(code: str, timeout: float) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


# Checks the names of a bundle, by `seedbundle check` or by a dry run of
# unpack (which also looks at the disk), and prints the peak of memory if traced.
_DEEP_NAMES = """
import io, os, sys, tempfile, tracemalloc
import seedbundle
from seedbundle._cli import main

names = [{name} for i in range({count})]
bundle = seedbundle.Bundle([seedbundle.Entry(name, "") for name in names])
path = os.path.join(tempfile.mkdtemp(), "deep.bundle")
with open(path, "w", encoding="utf-8") as file:
    file.write(seedbundle.dumps(bundle))
if {trace}:
    tracemalloc.start()
if {by_unpack}:
    assert seedbundle.unpack(bundle, os.path.join(tempfile.mkdtemp(), "new"), dry_run=True) == tuple(names)
else:
    assert main(["check", path]) == 0
print(tracemalloc.get_traced_memory()[1])
"""

CHAINS = {
    # 1,000 names 2,000 directories deep: 1.0.0 took 17 seconds (0.4 now), a prefix at a time.
    "shared": ('"a/" * 2000 + str(i)', 1000),
    # 50 chains 2,000 directories deep that share nothing: 1.0.0 kept every prefix, 400 MB of them.
    "distinct": ('f"{i}/" + "a/" * 2000 + "f"', 50),
}


@pytest.mark.parametrize("by_unpack", [False], ids=["check"])
def test_many_deep_names_are_checked_in_linear_time(by_unpack: bool) -> None:
    name, count = CHAINS["shared"]
    _run_python(_DEEP_NAMES.format(name=name, count=count, by_unpack=by_unpack, trace=False), timeout=10)


@pytest.mark.parametrize("by_unpack", [False], ids=["check"])
def test_many_deep_names_are_checked_in_linear_memory(by_unpack: bool) -> None:
    name, count = CHAINS["distinct"]
    code = _DEEP_NAMES.format(name=name, count=count, by_unpack=by_unpack, trace=True)
    peak = int(_run_python(code, timeout=60))
    assert peak < 50 * 1024 * 1024, f"{peak / 2**20:.0f} MiB"


# -- 6. names that hide what they are ----------------------------------


@pytest.mark.parametrize("char", ["\x85", "\x9b", "\u202e", "\u2028", "\u200b", "\ufeff", "\u2066", "\xad"])
def test_characters_that_hide_what_a_name_is_are_refused(tmp_path: Path, char: str) -> None:
    name = f"dir/a{char}b.txt"
    with pytest.raises(seedbundle.UnpackError, match=f"U\\+{ord(char):04X}"):
        seedbundle.unpack(bundle_of({"fine.txt": b"", name: b""}), tmp_path)
    assert list(tmp_path.iterdir()) == []


# -- 8. names that macOS or Windows would open as .git -----------------


@pytest.mark.parametrize(
    "segment",
    [".git\u200c", "\u200e.git", ".g\u200dit", ".GIT\ufeff", "git~1", "GIT~1", ".git ", ".git.", ".git. .",
     ".git::$INDEX_ALLOCATION", ".git:stream"],
)  # fmt: skip
def test_names_that_macos_or_windows_would_open_as_git_are_refused(tmp_path: Path, segment: str) -> None:
    with pytest.raises(seedbundle.UnpackError, match=r"'\.git' directory"):
        seedbundle.unpack(bundle_of({f"{segment}/hooks/pre-commit": b"#!/bin/sh\n"}), tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", [".gitignore", ".github/workflows/ci.yml", "git~x", "my.git", "ab:c"])
def test_names_near_git_are_fine(tmp_path: Path, name: str) -> None:
    if os.name == "nt" and ":" in name:
        pytest.skip("Windows does not allow ':' in a name")
    assert seedbundle.unpack(bundle_of({name: b"x"}), tmp_path) == (name,)
