"""Volumes: a tree packed into several bundles, each within a budget, and joined back into one."""

from __future__ import annotations

import builtins
import hashlib
import os
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import IO, Literal

import attrs

from ._api import loads
from ._atomic import AtomicFile, atomic_output
from ._encoder import encode_comment, encode_end, encode_entry
from ._errors import BundleDecodeError, BundleError, PackError
from ._model import check_comment
from ._names import numbered_path
from ._pack import Identity, read_file, selection
from ._profile import PromptProfile
from ._select import FoundFile, Ignored
from ._syntax import encode_name

__all__ = ["VolumeError", "join", "pack_volumes", "volume_path"]

_MARKER = re.compile(r"\[seedbundle volume (\d+) of (\d+): (\d+) files?(?:, [^\n]*)?\]\Z")
_MISSING_SHOWN = 5  # how many missing volume numbers an error lists
_MOST_ROUNDS = 20  # replanning with wider volume numbers; two rounds nearly always do


class VolumeError(BundleError, ValueError):
    """Raised when volumes cannot be joined: not a complete, consistent set.

    The message names the volume and what is wrong with it: a bundle that is
    not a volume, volumes of different sets, a missing or repeated volume, or
    an entry name found in two volumes.

    Examples:
        >>> import io, seedbundle
        >>> seedbundle.join([io.BytesIO(b"<<<END 0>>>\\n")], io.BytesIO())  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        seedbundle.VolumeError: volume #1 is not a seedbundle volume: its comment does not end with ...

    Added in version 1.1.0.
    """


VolumeError.__module__ = "seedbundle"


def _utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def volume_path(pattern: str | os.PathLike[str], number: int) -> str:
    """The path of volume ``number`` (from 1): ``pattern`` with its ``%03d`` or ``{n}`` filled in.

    Raises:
        ValueError: If ``pattern`` holds no such place, or more than one.
    """
    return numbered_path(pattern, number, what="volume", first=1)


@attrs.frozen
class _Planned:
    """One file of the plan: where it is, what its entry costs, and its bytes' digest."""

    found: FoundFile
    cost: int
    digest: str


@attrs.frozen
class _Held:
    """What a volume's comment says it holds: how many files, the first and the last."""

    files: int = 0
    first: str = ""
    last: str = ""

    def plus(self, name: str) -> _Held:
        return _Held(self.files + 1, self.first or name, name)

    @classmethod
    def of(cls, names: Sequence[str]) -> _Held:
        return cls(len(names), names[0], names[-1]) if names else cls()


def _marker(number: int, total: str, held: _Held) -> str:
    files = "1 file" if held.files == 1 else f"{held.files} files"
    if not held.files:
        return f"[seedbundle volume {number} of {total}: {files}]"
    first, last = encode_name(held.first), encode_name(held.last)
    shown = first if held.files == 1 else f"{first} ... {last}"
    return f"[seedbundle volume {number} of {total}: {files}, {shown}]"


def _volume_comment(comment: str, number: int, total: str, held: _Held) -> str:
    marker = _marker(number, total, held)
    return f"{comment}\n\n{marker}" if comment and number == 1 else marker


class _Planner:
    """Fills volumes greedily, in tree order, assuming the volume count has ``digits`` digits."""

    def __init__(self, comment: str, budget: int, count: Callable[[str], int], digits: int) -> None:
        self.comment = comment
        self.budget = budget
        self.count = count
        self.total = "9" * digits  # the widest count of that many digits
        self.volumes: list[list[_Planned]] = [[]]
        self.costs = [0]
        self.held = [_Held()]

    def frame(self, number: int, held: _Held, total: str | None = None) -> int:
        """The cost of a volume's comment block and END line."""
        comment = _volume_comment(self.comment, number, total or self.total, held)
        return self._measure(encode_comment(comment)) + self._measure(encode_end(held.files))

    def _measure(self, piece: bytes) -> int:
        return len(piece) if self.count is _utf8_bytes else self.count(piece.decode("utf-8"))

    def entry_cost(self, pieces: tuple[bytes, ...]) -> int:
        return sum(self._measure(piece) for piece in pieces)

    def add(self, planned: _Planned) -> None:
        number = len(self.volumes)
        held = self.held[-1].plus(planned.found.name)
        if self.costs[-1] + planned.cost + self.frame(number, held) <= self.budget:
            self.volumes[-1].append(planned)
            self.costs[-1] += planned.cost
            self.held[-1] = held
            return
        alone = planned.cost + self.frame(number + 1, _Held().plus(planned.found.name))
        if alone > self.budget:
            raise PackError(
                f"{planned.found.name!r} is too large for any volume: as the only file of a volume"
                f" it needs {alone}, over the budget of {self.budget}",
                planned.found.path,
            )
        self.volumes.append([planned])
        self.costs.append(planned.cost)
        self.held.append(_Held().plus(planned.found.name))

    def fits(self) -> bool:
        """Whether every volume is within the budget with the real volume count in its comment."""
        total = str(len(self.volumes))
        return all(
            cost + self.frame(number, held, total) <= self.budget
            for number, (cost, held) in enumerate(zip(self.costs, self.held, strict=True), 1)
        )


def _plan(
    found: Sequence[FoundFile],
    comment: str,
    budget: int,
    count: Callable[[str], int],
    *,
    sha256: bool,
    skip: Collection[Identity],
) -> list[list[_Planned]]:
    """Each volume's files, read one at a time; a file too large for any volume raises first."""
    measurer = _Planner(comment, budget, count, 1)
    if measurer.frame(1, _Held()) > budget:
        raise PackError(f"the budget of {budget} is too small for even an empty volume and its comment", "")
    files: list[_Planned] = []
    for file in found:
        if count is _utf8_bytes:
            # Its entry is never smaller than the file, so a file too large is refused unread.
            size = os.stat(file.path, follow_symlinks=file.follow).st_size
            if size > budget:
                raise PackError(
                    f"{file.name!r} is too large for any volume: it holds {size} bytes,"
                    f" over the budget of {budget}",
                    file.path,
                )
        entry = read_file(file, skip=skip)
        if entry is None:
            continue
        cost = measurer.entry_cost(encode_entry(entry, sha256=sha256))
        files.append(_Planned(file, cost, hashlib.sha256(entry.data).hexdigest()))
        del entry
    for digits in range(1, _MOST_ROUNDS + 1):
        planner = _Planner(comment, budget, count, digits)
        for planned in files:
            planner.add(planned)
        if len(str(len(planner.volumes))) <= digits and planner.fits():
            return planner.volumes
    # Only a counter that counts a wider number as fewer tokens could get here.
    raise PackError(f"no plan of volumes fits the budget of {budget}", "")


def _existing_identities(pattern: str | os.PathLike[str]) -> set[Identity]:
    """The files that earlier volumes of the same name occupy: they are not packed into the new ones."""
    found: set[Identity] = set()
    number = 1
    while True:
        try:
            info = os.stat(volume_path(pattern, number))
        except OSError:
            return found
        found.add((info.st_dev, info.st_ino))
        number += 1


def pack_volumes(
    directory: str | os.PathLike[str],
    output: str | os.PathLike[str],
    /,
    *,
    budget: int,
    count: Callable[[str], int] | None = None,
    comment: str = "",
    sha256: bool = False,
    gitignore: bool = True,
    git: bool = True,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    symlinks: Literal["error", "skip", "follow"] = "error",
    progress: Callable[[str, int, int, int], object] | None = None,
    ignored: Callable[[Ignored], object] | None = None,
    profile: PromptProfile | None = None,
) -> tuple[str, ...]:
    """Pack a directory into volumes: bundles that each stay within a budget.

    The files are those that [`pack`][seedbundle.pack] selects, in the same
    order. They fill the volumes greedily in that order: a file goes into the
    current volume if it still fits, else it starts the next one, so the
    volumes follow the tree and no file is ever split. Every volume is a
    complete bundle on its own.

    The budget applies to the whole volume file: its comment, every marker
    line, the escaping or base64 of each entry and its END line. With the
    default ``count`` it is exact, in bytes. With another counter, each
    piece (the comment block, each entry, the END line) is counted on its
    own and the counts are added. The pieces meet at lines that begin with
    ``<<<``, where no token of ``o200k_base`` or ``cl100k_base`` crosses,
    so for [`token_counter`][seedbundle.token_counter]'s exact encodings the
    sum is the count of the whole file; for its ``estimate`` (UTF-8 bytes /
    3.5, rounded up, what ``seedbundle pack --max-tokens`` uses without
    ``--encoding``) the sum is never less than the count of the whole.

    Each volume's comment ends with one line that says which it is and what
    it holds, such as ``[seedbundle volume 2 of 5: 37 files, src/b.py ...
    tests/z.py]``. The ``comment`` goes into volume 1 only, before that line
    and a blank line. [`join`][seedbundle.join] reads these lines to put the
    volumes back together into exactly the bundle that
    [`pack_to`][seedbundle.pack_to] writes.

    Every file is read once to plan the volumes, before anything is
    written, so a file too large for any volume is an error that names it
    and writes nothing. The volumes are written to temporary files and take
    their names only once all of them are complete. Memory holds one file at
    a time. Volumes of an earlier run under the same name are not packed,
    and are replaced; a leftover volume with a higher number than the new
    count stays, and ``join`` refuses it, since it belongs to another set.

    Args:
        directory: The directory to pack.
        output: The volume path pattern, with one place for the volume
            number: ``%d``, ``%03d`` (zero-padded to 3 digits), ``{n}`` or
            ``{n:03d}``; ``out-%03d.bundle`` names ``out-001.bundle``,
            ``out-002.bundle``, ...
        budget: The most that one volume may hold, counted by ``count``.
        count: A function that measures a piece of text, such as a
            tokenizer's token count; by default the UTF-8 bytes.
        comment: The bundle's comment, in volume 1.
        sha256: As for [`pack_to`][seedbundle.pack_to].
        gitignore: As for [`pack`][seedbundle.pack].
        git: As for [`pack`][seedbundle.pack].
        include: As for [`pack`][seedbundle.pack].
        exclude: As for [`pack`][seedbundle.pack].
        symlinks: As for [`pack`][seedbundle.pack].
        progress: Called after each file is written, as for
            [`pack_to`][seedbundle.pack_to]: ``progress(name, size, done, total)``.
        ignored: As for [`pack`][seedbundle.pack].
        profile: As for [`pack`][seedbundle.pack].

    Returns:
        The paths of the volumes written, in order.

    Raises:
        PackError: As for [`pack_to`][seedbundle.pack_to], and for a file
            too large for any volume (its ``path`` names it).
        ValueError: For an ``output`` without one place for the number, a
            budget below 1, or a pattern as for [`pack`][seedbundle.pack].
        OSError: If a file cannot be read or a volume cannot be written.

    Examples:
        >>> import os, tempfile, seedbundle
        >>> tree = tempfile.mkdtemp()
        >>> for name in ["a.txt", "b.txt", "c.txt"]:
        ...     with open(os.path.join(tree, name), "w") as f:
        ...         _ = f.write(name * 10 + "\\n")
        >>> out = os.path.join(tempfile.mkdtemp(), "out-%03d.bundle")
        >>> paths = seedbundle.pack_volumes(tree, out, budget=220)
        >>> [os.path.basename(path) for path in paths]
        ['out-001.bundle', 'out-002.bundle']
        >>> with open(paths[1], "rb") as file:
        ...     print(seedbundle.load(file).comment)
        [seedbundle volume 2 of 2: 1 file, c.txt]

    Added in version 1.1.0.
    """
    check_comment(comment)
    if isinstance(budget, bool) or not isinstance(budget, int):
        raise TypeError(f"the budget must be an int, not {type(budget).__name__}")
    if budget < 1:
        raise ValueError(f"the budget must be at least 1, not {budget}")
    volume_path(output, 1)  # the pattern is checked before the tree is walked
    found, comment = selection(
        directory,
        comment=comment,
        gitignore=gitignore,
        git=git,
        include=include,
        exclude=exclude,
        symlinks=symlinks,
        ignored=ignored,
        profile=profile,
    )
    skip = _existing_identities(output)
    volumes = _plan(found, comment, budget, count or _utf8_bytes, sha256=sha256, skip=skip)
    return _write_volumes(output, volumes, comment, sha256=sha256, skip=skip, progress=progress)


def _write_volumes(
    pattern: str | os.PathLike[str],
    volumes: list[list[_Planned]],
    comment: str,
    *,
    sha256: bool,
    skip: Collection[Identity],
    progress: Callable[[str, int, int, int], object] | None,
) -> tuple[str, ...]:
    outputs: list[AtomicFile] = []
    total = sum(len(volume) for volume in volumes)
    done = 0
    try:
        for number, volume in enumerate(volumes, 1):
            output = AtomicFile(volume_path(pattern, number))
            outputs.append(output)
            held = _Held.of([item.found.name for item in volume])
            output.file.write(encode_comment(_volume_comment(comment, number, str(len(volumes)), held)))
            for item in volume:
                entry = read_file(item.found, skip=skip)
                if entry is None or hashlib.sha256(entry.data).hexdigest() != item.digest:
                    raise PackError(f"{item.found.path!r} changed while it was being packed", item.found.path)
                for piece in encode_entry(entry, sha256=sha256):
                    output.file.write(piece)
                done += 1
                if progress is not None:
                    progress(entry.name, len(entry.data), done, total)
            output.file.write(encode_end(len(volume)))
        for output in outputs:
            output.commit()
    except BaseException:
        for output in outputs:
            output.discard()
        raise
    return tuple(output.path for output in outputs)


VolumeSource = str | os.PathLike[str] | IO[bytes]


@attrs.frozen
class _Volume:
    label: str
    number: int
    total: int
    comment: str  # the comment without the volume line
    names: tuple[str, ...]
    body: bytes  # the entries' bytes, as written


def _read_volume(source: VolumeSource, index: int) -> _Volume:
    if isinstance(source, str | os.PathLike):
        label = os.fspath(source)
        with builtins.open(source, "rb") as file:
            data = file.read()
    else:
        where = getattr(source, "name", None)
        label = where if isinstance(where, str) else f"volume #{index}"
        data = source.read()
        if not isinstance(data, bytes):
            raise TypeError("join() needs binary file objects: open the volumes with 'rb'")
    try:
        bundle = loads(data)
    except BundleDecodeError as error:
        raise VolumeError(f"{label}: {error}") from error
    head, _, last = bundle.comment.rpartition("\n\n")
    marker = _MARKER.match(last)
    if marker is None:
        raise VolumeError(
            f"{label} is not a seedbundle volume: its comment does not end with"
            " a '[seedbundle volume I of N: ...]' line"
        )
    number, total, files = (int(group) for group in marker.groups()[:3])
    start = len(encode_comment(bundle.comment))
    end = len(data) - len(encode_end(len(bundle.entries)))
    if (
        files != len(bundle.entries)
        or not 1 <= number <= total
        or data[:start] != encode_comment(bundle.comment)
    ):
        raise VolumeError(f"{label} is damaged: its volume line does not match what it holds")
    return _Volume(label, number, total, head, bundle.names, data[start:end])


def _missing(numbers: Collection[int], total: int) -> str:
    """The first few numbers up to ``total`` that are not in ``numbers``; a hostile total costs nothing."""
    shown: list[str] = []
    number = 0
    while len(shown) < _MISSING_SHOWN and number < total:
        number += 1
        if number not in numbers:
            shown.append(str(number))
    more = total - len(numbers) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def join(volumes: Iterable[VolumeSource], output: VolumeSource, /) -> int:
    """Put volumes that [`pack_volumes`][seedbundle.pack_volumes] wrote back into one bundle.

    The volumes may come in any order; each one is read whole and checked
    as a strict bundle, and all of them are held in memory until the
    bundle is written. They must be a complete set: every volume from 1 to
    N of the same N, each once, and no entry name in two of them. The
    result is exactly, byte for byte, the bundle that
    [`pack_to`][seedbundle.pack_to] writes for the same tree and options: the
    comment of volume 1 without its volume line, then the entries of every
    volume in order.

    Args:
        volumes: The volumes: paths, or binary file objects.
        output: A path, replaced only once the bundle is complete, or a
            writable binary file object.

    Returns:
        The number of entries written.

    Raises:
        VolumeError: If a volume is not a valid bundle (the message holds
            the position), not a volume, or the set is not complete and
            consistent; nothing is written.
        OSError: If a volume cannot be read or the output written.

    Examples:
        >>> import io, os, tempfile, seedbundle
        >>> tree = tempfile.mkdtemp()
        >>> for name in ["a.txt", "b.txt", "c.txt"]:
        ...     with open(os.path.join(tree, name), "w") as f:
        ...         _ = f.write(name * 10 + "\\n")
        >>> paths = seedbundle.pack_volumes(tree, os.path.join(tempfile.mkdtemp(), "v{n}.bundle"), budget=220)
        >>> joined, single = io.BytesIO(), io.BytesIO()
        >>> seedbundle.join(reversed(paths), joined)
        3
        >>> _ = seedbundle.pack_to(tree, single)
        >>> joined.getvalue() == single.getvalue()
        True

    Added in version 1.1.0.
    """
    read = [_read_volume(source, index) for index, source in enumerate(volumes, 1)]
    if not read:
        raise VolumeError("no volumes to join")
    total = read[0].total
    by_number: dict[int, _Volume] = {}
    for volume in read:
        if volume.total != total:
            raise VolumeError(
                f"{volume.label} is volume {volume.number} of {volume.total},"
                f" but {read[0].label} is one of {total}: they belong to different sets"
            )
        if volume.number in by_number:
            raise VolumeError(
                f"volume {volume.number} of {total} is given twice: {by_number[volume.number].label}"
                f" and {volume.label}"
            )
        by_number[volume.number] = volume
    if len(by_number) < total:
        lacking = total - len(by_number)
        verb = "volume {} of {} is missing" if lacking == 1 else "volumes {} of {} are missing"
        raise VolumeError(verb.format(_missing(by_number, total), total))
    ordered = [by_number[number] for number in range(1, total + 1)]
    seen: dict[str, str] = {}
    for volume in ordered:
        for name in volume.names:
            if name in seen:
                raise VolumeError(f"the entry {name!r} is in both {seen[name]} and {volume.label}")
            seen[name] = volume.label
    pieces = [encode_comment(ordered[0].comment), *(volume.body for volume in ordered), encode_end(len(seen))]
    if isinstance(output, str | os.PathLike):
        with atomic_output(output) as target:
            target.file.writelines(pieces)
    else:
        output.writelines(pieces)
    return len(seen)
