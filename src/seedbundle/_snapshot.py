"""Directory snapshots: a tree as a canonical bundle, and every difference between two of them."""

from __future__ import annotations

import difflib
import hashlib
import os
import warnings
from pathlib import Path

from ._api import dumps, loads
from ._atomic import atomic_output
from ._errors import PackWarning
from ._model import Bundle, Entry
from ._pack import pack
from ._unpack import unpack

__all__ = ["compare", "golden_bytes", "materialise", "read_golden", "snapshot", "write_golden"]


def snapshot(directory: str | os.PathLike[str]) -> Bundle:
    """Every regular file below ``directory``, whatever ignore files it holds.

    A generated tree may well hold a ``.gitignore`` of its own, and a
    snapshot that honoured it would silently lose files. A symbolic link is
    refused with a [`PackError`][PackError]: the format cannot hold one, and
    following it or leaving it out would both let a changed tree pass.
    """
    with warnings.catch_warnings():
        # The only warning left with these options is for an empty directory,
        # which a bundle cannot hold; the docs say that snapshots ignore them.
        warnings.simplefilter("ignore", PackWarning)
        return pack(directory, gitignore=False, git=False, symlinks="error")


def golden_bytes(bundle: Bundle) -> bytes:
    """The canonical bytes of a golden file: equal trees give equal files."""
    return dumps(bundle).encode("utf-8")


def read_golden(path: Path) -> Bundle | None:
    """The golden bundle at ``path``, or None if there is none; read in binary mode, strictly."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return loads(data)


def write_golden(path: Path, bundle: Bundle) -> None:
    """Write ``bundle`` to ``path`` in canonical form, atomically, creating its directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as output:
        output.file.write(golden_bytes(bundle))


def materialise(bundle: Bundle, directory: Path) -> Path:
    """Unpack ``bundle`` into ``directory``, which must not hold any of its files yet."""
    unpack(bundle, directory)
    return directory


def _order(name: str) -> tuple[bytes, ...]:
    # The order pack() lists a tree in: by the UTF-8 bytes of each path component.
    return tuple(part.encode("utf-8") for part in name.split("/"))


def _describe(data: bytes) -> str:
    return f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}"


def _shown(line: str) -> str:
    """A diff line with a carriage return made visible, so that CRLF and LF lines differ on screen."""
    if line.endswith("\r\n"):
        return line[:-2] + "\\r\n"
    if not line.endswith("\n"):
        return line + "\n\\ No newline at end of file\n"
    return line


def _text_diff(name: str, golden: str, actual: str) -> list[str]:
    lines = difflib.unified_diff(
        golden.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile=f"golden/{name}",
        tofile=f"actual/{name}",
    )
    return ["    " + _shown(line).rstrip("\n").replace("\n", "\n    ") for line in lines]


def _changes(name: str, golden: Entry, actual: Entry) -> list[str]:
    """What differs between two entries of the same name, each part on its own line."""
    found: list[str] = []
    if golden.executable != actual.executable:
        state = {True: "set", False: "not set"}
        found.append(
            f"~ {name}: executable bit: golden {state[golden.executable]}, actual {state[actual.executable]}"
        )
    if golden.data == actual.data:
        return found
    if not (golden.is_text and actual.is_text):
        kind = {True: "text", False: "binary"}
        found.append(
            f"~ {name}: content: golden {kind[golden.is_text]}, {_describe(golden.data)};"
            f" actual {kind[actual.is_text]}, {_describe(actual.data)}"
        )
        return found
    golden_eol, actual_eol = golden.data.endswith(b"\n"), actual.data.endswith(b"\n")
    if golden.data and actual.data and golden_eol != actual_eol:
        has = {True: "has one", False: "has none"}
        found.append(f"~ {name}: final newline: golden {has[golden_eol]}, actual {has[actual_eol]}")
    found.append(f"~ {name}: content:")
    found.extend(_text_diff(name, golden.text, actual.text))
    return found


def _one_sided(sign: str, how: str, name: str, entry: Entry) -> list[str]:
    """A file only one side has, with its whole text as a diff against nothing."""
    kind = "text" if entry.is_text else "binary"
    executable = ", executable" if entry.executable else ""
    found = [f"{sign} {name}: {how} ({kind}{executable}, {_describe(entry.data)})"]
    if entry.is_text and entry.data:
        golden, actual = ("", entry.text) if sign == "+" else (entry.text, "")
        found.extend(_text_diff(name, golden, actual))
    return found


def compare(golden: Bundle, actual: Bundle) -> dict[str, list[str]]:
    """Every difference between a golden bundle and a tree's snapshot, by file name, in name order.

    Each file that differs gets its report lines: ``+ name`` for a file the
    tree has and the golden lacks, ``- name`` for one the golden has and the
    tree lacks, ``~ name: ...`` for a changed executable bit, final newline
    or content. Text comes with a unified diff, binary data with its size
    and SHA-256. The comment of the golden is not compared.
    """
    report: dict[str, list[str]] = {}
    for name in sorted({*golden.names, *actual.names}, key=_order):
        before, after = golden.get(name), actual.get(name)
        if before is None and after is not None:
            report[name] = _one_sided("+", "added", name, after)
        elif after is None and before is not None:
            report[name] = _one_sided("-", "missing", name, before)
        elif before is not None and after is not None and (changes := _changes(name, before, after)):
            report[name] = changes
    return report
