"""The Python standard library survives pack and unpack byte for byte.

How fast pack and unpack are next to tarfile on the same tree is measured
by ``benchmarks/bench.py`` (its "stdlib tree" section), not here.
"""

from __future__ import annotations

import os
import stat
import sysconfig
import warnings
from pathlib import Path

import pytest

import seedbundle

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SKIP_DIRS = {"__pycache__", "site-packages", "dist-packages"}


def _escape(name: str) -> str:
    """A .gitignore pattern that matches exactly this path from the root."""
    return "/" + "".join("\\" + char if char in "\\*?[]!# " else char for char in name)


def expected_files(root: Path) -> tuple[dict[str, bool], list[str]]:
    """Every regular file the test can read, with its executable bit, and the paths left out.

    Symbolic links are left out (the test packs with symlinks='skip');
    unreadable files are left out with an explicit exclude pattern.
    """
    files: dict[str, bool] = {}
    unreadable: list[str] = []
    for directory, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not Path(directory, d).is_symlink()]
        for name in names:
            path = Path(directory, name)
            relative = path.relative_to(root).as_posix()
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode):
                continue
            if not os.access(path, os.R_OK):
                unreadable.append(relative)
                continue
            files[relative] = bool(info.st_mode & stat.S_IXUSR)
    return files, unreadable


@pytest.mark.skipif(not STDLIB.is_dir(), reason="the standard library is not a directory here")
def test_the_standard_library_round_trips(tmp_path: Path) -> None:
    files, unreadable = expected_files(STDLIB)
    bundle_path, out = tmp_path / "stdlib.bundle", tmp_path / "unpacked"
    exclude = [f"{name}/" for name in sorted(SKIP_DIRS)] + [_escape(n) for n in unreadable]
    with warnings.catch_warnings():
        # Every symbolic link that is skipped warns, as it should; the names are checked below.
        warnings.simplefilter("ignore", seedbundle.PackWarning)
        seedbundle.pack_to(STDLIB, bundle_path, gitignore=False, exclude=exclude, symlinks="skip")
    seedbundle.unpack_from(bundle_path, out)

    with seedbundle.open(bundle_path) as reader:
        names = [entry.name for entry in reader]
    assert sorted(names) == sorted(files), "pack must store every readable regular file"
    for name, executable in files.items():
        original, copy = STDLIB / name, out / name
        assert copy.read_bytes() == original.read_bytes(), name
        assert bool(copy.stat().st_mode & stat.S_IXUSR) == executable, name
    unpacked = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert unpacked == set(files), "unpack must write exactly the bundle's files"
