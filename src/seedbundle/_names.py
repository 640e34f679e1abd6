"""Which entry names are safe as paths below a directory.

These are unpack's rules, shared by pack (which refuses to write a bundle
that could not be unpacked) and by every later writer of files.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable

from ._errors import UnpackError
from ._syntax import HIDDEN_CHARACTERS

__all__ = [
    "MAX_NAME_BYTES",
    "MAX_SEGMENT_BYTES",
    "UNPACK_TEMPORARY",
    "NameSet",
    "check_names",
    "name_problem",
    "numbered_path",
    "segment_problem",
]

MAX_SEGMENT_BYTES = 255  # NAME_MAX of every common file system
MAX_NAME_BYTES = 4096  # PATH_MAX on Linux; it also bounds how deep a tree can go

# The names of unpack's own files beside the final ones: new content waiting to
# be moved into place (.part), and the old content of a replaced file kept until
# the unpack is complete (.old). No entry may take such a name, so one found in
# the target directory is always a leftover of an interrupted unpack.
UNPACK_TEMPORARY = re.compile(r"\.seedbundle-[0-9a-f]{12}\.(part|old)")

_WINDOWS = os.name == "nt"
_HIDDEN = re.compile(f"[{HIDDEN_CHARACTERS}]")
# ".git" as macOS (HFS+) or Windows (NTFS) may read it, after git's
# is_hfs_dotgit and is_ntfs_dotgit: HFS+ leaves ignorable code points out
# wherever they are when it compares names; NTFS drops trailing dots and
# spaces, opens an alternate data stream after ":", and also knows ".git" by
# its 8.3 short name GIT~1. One pattern, so that most segments fail at once.
_IGNORED = "\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff"
_I = f"[{_IGNORED}]*"
_DOTGIT_ELSEWHERE = re.compile(
    f"{_I}(?:\\.{_I}g{_I}i{_I}t|g{_I}i{_I}t{_I}~{_I}[0-9][0-9{_IGNORED}]*)[. {_IGNORED}]*(?::.*)?",
    re.IGNORECASE | re.DOTALL,
)
_DRIVE = re.compile(r"[A-Za-z]:")
_WINDOWS_DEVICE = re.compile(
    r"(?:CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9\xb9\xb2\xb3]|LPT[0-9\xb9\xb2\xb3])(?:\..*)?",
    re.IGNORECASE,
)
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')


def name_problem(name: str) -> str | None:
    """Say why ``name`` is unsafe as a path below a directory, or return None.

    These rules hold on every platform; on Windows, device names such as
    ``CON`` or ``aux.txt``, the characters ``<>:"|?*`` and segments ending
    in a dot or a space are refused as well.
    """
    if name.startswith("/"):
        return "it is an absolute path"
    if _DRIVE.match(name):
        return "it begins with a drive letter"
    if name.endswith("/"):
        return "it ends in '/', so it names a directory, not a file"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"it is longer than {MAX_NAME_BYTES} bytes"
    for segment in dict.fromkeys(name.split("/")):  # each once, in order: 'a/a/a/...' is cheap
        problem = segment_problem(segment)
        if problem is not None:
            return problem
    return None


def segment_problem(segment: str) -> str | None:
    if not segment:
        return "it has an empty segment ('//')"
    if segment == ".":
        return "it has a '.' segment"
    if segment == "..":
        return "it has a '..' segment, which would climb out of the target directory"
    if "\\" in segment:
        return "it holds a backslash; entry names separate directories with '/' only"
    folded = segment.casefold()
    if folded == ".git":
        return "it writes into a '.git' directory"
    if _DOTGIT_ELSEWHERE.fullmatch(segment):
        # Refused on every platform, as git does: a tree unpacked here may be copied there.
        return f"it writes into {segment!r}, which macOS or Windows would open as the '.git' directory"
    if UNPACK_TEMPORARY.fullmatch(folded):
        return f"{segment!r} is the name of a temporary file of unpack"
    hidden = _HIDDEN.search(segment)
    if hidden is not None:
        return _hidden_problem(hidden.group())
    if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
        return f"a segment is longer than {MAX_SEGMENT_BYTES} bytes"
    if _WINDOWS:
        return _windowssegment_problem(segment)
    return None


def _hidden_problem(char: str) -> str:
    code = f"U+{ord(char):04X}"
    if unicodedata.category(char) == "Cc":
        return f"it holds the control character {code}"
    described = f"{code} ({unicodedata.name(char)})" if unicodedata.name(char, "") else code
    return f"it holds the invisible character {described}, which would hide what the name really is"


def _windowssegment_problem(segment: str) -> str | None:
    if _WINDOWS_DEVICE.fullmatch(segment):
        return f"{segment!r} is a reserved device name on Windows"
    forbidden = _WINDOWS_FORBIDDEN.search(segment)
    if forbidden is not None:
        return f"it holds {forbidden.group()!r}, which Windows does not allow in a file name"
    if segment.endswith((".", " ")):
        return "a segment ends in a dot or a space, which Windows drops"
    return None


def _fold(name: str) -> str:
    """The key under which a case- and normalization-insensitive file system stores a name."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


_ROOT = 0


class NameSet:
    """Checks each new name on its own and against the names seen before it.

    Each directory is stored once, under its parent's number and its own
    (folded) segment, so checking a name costs time and memory in proportion
    to its length, however deep it goes and however many names share it.
    """

    def __init__(self, *, allow_case_conflicts: bool) -> None:
        self._fold = (lambda name: name) if allow_case_conflicts else _fold
        self._dirs: dict[tuple[int, str], int] = {}  # (parent, segment) -> directory number
        self._needed_by: list[str] = [""]  # directory number -> the first name below it
        self._files: dict[tuple[int, str], str] = {}  # (parent, segment) -> name
        self.names: set[str] = set()

    def add(self, name: str) -> None:
        problem = name_problem(name)
        if problem is not None:
            raise UnpackError(f"unsafe entry name {name!r}: {problem}", name)
        *directories, last = self._fold(name).split("/")
        parent = _ROOT
        for segment in directories:
            key = (parent, segment)
            other = self._files.get(key)
            if other is not None:
                raise UnpackError(
                    f"the entry {name!r} needs a directory where the entry {other!r} is a file",
                    name,
                )
            parent = self._dirs.setdefault(key, len(self._needed_by))
            if parent == len(self._needed_by):
                self._needed_by.append(name)
        self._add_file((parent, last), name)

    def _add_file(self, key: tuple[int, str], name: str) -> None:
        other = self._files.get(key)
        if other == name:
            raise UnpackError(f"duplicate entry name {name!r}", name)
        if other is not None:
            raise UnpackError(
                f"the entries {other!r} and {name!r} differ only in case or Unicode"
                " normalization, so one would overwrite the other on a case-insensitive file"
                " system (pass allow_case_conflicts=True to unpack them anyway)",
                name,
            )
        directory = self._dirs.get(key)
        if directory is not None:
            raise UnpackError(
                f"the entry {name!r} is a file, but the entry {self._needed_by[directory]!r} needs"
                " a directory of that name",
                name,
            )
        self._files[key] = name
        self.names.add(name)


def check_names(names: Iterable[str], *, allow_case_conflicts: bool = False) -> None:
    """Raise [`UnpackError`][UnpackError] for the first name that unpack would refuse."""
    checker = NameSet(allow_case_conflicts=allow_case_conflicts)
    for name in names:
        checker.add(name)


_NUMBER_PLACE = re.compile(r"%(0?\d*)d|\{n(?::(0?\d*)d?)?\}")


def numbered_path(pattern: str | os.PathLike[str], number: int, *, what: str, first: int) -> str:
    """``pattern`` with its one place for a number (``%03d``, ``%d``, ``{n}``, ``{n:03d}``) filled in.

    ``what`` names the numbered thing and ``first`` its first number in the
    error message.

    Raises:
        ValueError: If ``pattern`` holds no such place, or more than one.

    Examples:
        >>> numbered_path("out-%03d.bundle", 7, what="volume", first=1)
        'out-007.bundle'
        >>> numbered_path("shards/{n:05d}.bundle", 12, what="shard", first=0)
        'shards/00012.bundle'
    """
    text = os.fspath(pattern)
    places = list(_NUMBER_PLACE.finditer(text))
    if len(places) != 1:
        raise ValueError(
            f"the output name {text!r} must hold one place for the {what} number, such as %03d or {{n}}"
            f" (out-%03d.bundle gives out-{first:03d}.bundle, out-{first + 1:03d}.bundle, ...)"
        )
    place = places[0]
    width = place.group(1) if place.group(1) is not None else (place.group(2) or "")
    number_text = format(number, width + "d") if width else str(number)
    return text[: place.start()] + number_text + text[place.end() :]
