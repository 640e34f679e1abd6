"""Running git itself, as the oracle for which files seedbundle selects.

git runs with ``HOME`` and ``XDG_CONFIG_HOME`` in a scratch directory and
without the system config, so no excludes file of the person running the
tests leaks in; :func:`isolated_git_environment` gives seedbundle the same.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

HAVE_GIT = shutil.which("git") is not None
needs_git = pytest.mark.skipif(not HAVE_GIT, reason="git is not installed")


@contextlib.contextmanager
def isolated_git_environment() -> Iterator[Path]:
    """Point HOME and XDG_CONFIG_HOME at a scratch directory (yielded) for git and for seedbundle."""
    with tempfile.TemporaryDirectory() as home, pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", home)
        patch.setenv("XDG_CONFIG_HOME", os.path.join(home, ".config"))
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        patch.setenv("LC_ALL", "C")
        for variable in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CONFIG_GLOBAL"):
            patch.delenv(variable, raising=False)
        yield Path(home)


def git(root: Path | str, *args: str, stdin: bytes | None = None, check: bool = True) -> bytes:
    """Run git in ``root`` and return its standard output."""
    result = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(root), *args],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=60,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout


def ls_files(root: Path | str, *options: str) -> set[str]:
    """The paths that ``git ls-files -z OPTIONS`` lists, relative to ``root``."""
    return {os.fsdecode(raw) for raw in git(root, "ls-files", "-z", *options).split(b"\0") if raw}


def check_ignore(root: Path | str, paths: Sequence[bytes]) -> set[bytes]:
    """The paths among ``paths`` that ``git check-ignore --no-index`` says git ignores."""
    if not paths:
        return set()
    out = git(
        root, "check-ignore", "--no-index", "-z", "--stdin", stdin=b"\0".join(paths) + b"\0", check=False
    )
    return {raw for raw in out.split(b"\0") if raw}


def write_files(root: Path, files: dict[bytes, bytes]) -> None:
    """Write each file (path relative to ``root`` as bytes, '/' separated), making its directories."""
    for name, data in files.items():
        path = os.path.join(os.fsencode(root), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as file:
            file.write(data)
