"""The Python standard library survives pack and unpack byte for byte.

The test also times pack and unpack next to tarfile doing the same job on
the same files, and prints the numbers: run it with ``pytest -s``, or run
this file as a script. The times are reported, never asserted.
"""

from __future__ import annotations

import os
import stat
import sysconfig
import tarfile
import time
import warnings
from collections.abc import Callable
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


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def round_trip(scratch: Path) -> dict[str, object]:
    files, unreadable = expected_files(STDLIB)
    bundle_path, out = scratch / "stdlib.bundle", scratch / "unpacked"
    exclude = [f"{name}/" for name in sorted(SKIP_DIRS)] + [_escape(n) for n in unreadable]
    with warnings.catch_warnings(record=True) as skipped:
        warnings.simplefilter("always", seedbundle.PackWarning)
        pack_seconds = timed(
            lambda: seedbundle.pack_to(STDLIB, bundle_path, gitignore=False, exclude=exclude, symlinks="skip")
        )
    unpack_seconds = timed(lambda: seedbundle.unpack_from(bundle_path, out))

    with seedbundle.open(bundle_path) as reader:
        names = [entry.name for entry in reader]
    assert sorted(names) == sorted(files), "pack must store every readable regular file"
    total = 0
    for name, executable in files.items():
        original, copy = STDLIB / name, out / name
        data = copy.read_bytes()
        assert data == original.read_bytes(), name
        assert bool(copy.stat().st_mode & stat.S_IXUSR) == executable, name
        total += len(data)
    unpacked = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert unpacked == set(files), "unpack must write exactly the bundle's files"

    tar_path, tar_out = scratch / "stdlib.tar", scratch / "untarred"

    def make_tar() -> None:
        with tarfile.open(tar_path, "w") as tar:
            for name in names:
                tar.add(STDLIB / name, arcname=name, recursive=False)

    def extract_tar() -> None:
        with tarfile.open(tar_path) as tar:
            tar.extractall(tar_out, filter="data")

    tar_seconds = timed(make_tar)
    untar_seconds = timed(extract_tar)
    return {
        "stdlib": str(STDLIB),
        "files": len(files),
        "bytes": total,
        "identical": True,
        "skipped": len(skipped),
        "unreadable": len(unreadable),
        "bundle bytes": bundle_path.stat().st_size,
        "tar bytes": tar_path.stat().st_size,
        "pack s": pack_seconds,
        "tar pack s": tar_seconds,
        "unpack s": unpack_seconds,
        "tar unpack s": untar_seconds,
    }


def report(result: dict[str, object]) -> str:
    pack, tar_pack = float(str(result["pack s"])), float(str(result["tar pack s"]))
    unpack, tar_unpack = float(str(result["unpack s"])), float(str(result["tar unpack s"]))
    return "\n".join(
        [
            f"stdlib round trip: {result['stdlib']}",
            f"  files {result['files']}, bytes {result['bytes']:,}, identical: {result['identical']}"
            f" (symlinks skipped {result['skipped']}, unreadable left out {result['unreadable']})",
            f"  bundle {result['bundle bytes']:,} bytes, tar {result['tar bytes']:,} bytes",
            f"  pack   {pack:6.2f} s   tarfile {tar_pack:6.2f} s   ratio {pack / tar_pack:4.2f}",
            f"  unpack {unpack:6.2f} s   tarfile {tar_unpack:6.2f} s   ratio {unpack / tar_unpack:4.2f}",
        ]
    )


@pytest.mark.skipif(not STDLIB.is_dir(), reason="the standard library is not a directory here")
def test_the_standard_library_round_trips(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    result = round_trip(tmp_path)
    for key, value in result.items():
        record_property(key, value)
    print("\n" + report(result))


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        print(report(round_trip(Path(scratch))))
