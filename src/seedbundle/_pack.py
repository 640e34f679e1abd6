"""Pack a directory tree into a bundle, in memory or streamed to a file."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import IO, Literal

from ._atomic import atomic_output
from ._errors import PackError
from ._ignore import compile_patterns
from ._model import Bundle, Entry, check_comment
from ._profile import PromptProfile
from ._select import FoundFile, Ignored, select_files, warn
from ._signals import held
from ._stream import BundleWriter
from ._stream import open as open_bundle

__all__ = [
    "file_identity",
    "iter_tree",
    "pack",
    "pack_to",
    "profile_files",
    "read_file",
    "selection",
    "with_binaries",
]

Identity = tuple[int, int]  # (st_dev, st_ino)

_O_BINARY = getattr(os, "O_BINARY", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_OPEN_FOLLOW = os.O_RDONLY | _O_BINARY | _O_CLOEXEC | getattr(os, "O_NONBLOCK", 0)
_OPEN = _OPEN_FOLLOW | _O_NOFOLLOW


def _open_selected(found: FoundFile, skip: Collection[Identity]) -> tuple[IO[bytes], bool] | None:
    """A selected file, open (the caller closes it), and its executable bit; None if it is in ``skip``.

    ``skip`` holds the bundle being written.
    """
    path = found.path
    # O_NONBLOCK: a FIFO swapped in after the directory was listed must not hang the open.
    # Signals are held until the file object owns the descriptor: a SIGTERM between the two
    # would leave a descriptor that two parties close, and the second close could hit the
    # descriptor of another file opened in the meantime, such as the bundle being written.
    with held():
        handle = os.open(path, _OPEN_FOLLOW if found.follow else _OPEN)
        try:
            info = os.fstat(handle)
            if not stat.S_ISREG(info.st_mode):
                raise PackError(f"{path!r} changed into something that is not a file", path)
            file = open(handle, "rb")  # noqa: SIM115 - the caller closes it
        except BaseException:
            os.close(handle)
            raise
    if (info.st_dev, info.st_ino) not in skip:
        return file, bool(info.st_mode & stat.S_IXUSR)
    file.close()
    warn(f"skipped {found.name!r}: it is the bundle being written", path)
    return None


@contextlib.contextmanager
def _open_found(found: FoundFile, skip: Collection[Identity]) -> Iterator[tuple[IO[bytes], bool] | None]:
    """A selected file, open, and its executable bit; None if it is in ``skip``, the bundle being written."""
    opened = _open_selected(found, skip)
    if opened is None:
        yield None
        return
    with opened[0]:
        yield opened


def read_file(found: FoundFile, *, skip: Collection[Identity] = ()) -> Entry | None:
    """Read a selected file as an entry, or return None if it is in ``skip``, the bundle being written."""
    with _open_found(found, skip) as opened:
        if opened is None:
            return None
        file, executable = opened
        return Entry(found.name, file.read(), executable=executable)


def iter_tree(
    directory: str | os.PathLike[str],
    /,
    *,
    gitignore: bool = True,
    git: bool = True,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    symlinks: Literal["error", "skip", "follow"] = "error",
    ignored: Callable[[Ignored], object] | None = None,
) -> Iterator[Entry]:
    """Read the files of a tree as entries, one at a time, in path-component order.

    The patterns are checked (and may raise) at the call, the files only as
    the entries are taken.
    """
    found = select_files(
        directory,
        gitignore=gitignore,
        git=git,
        include=include,
        exclude=exclude,
        symlinks=symlinks,
        ignored=ignored,
    )
    return _read_all(found)


def _read_all(found: Iterator[FoundFile]) -> Iterator[Entry]:
    for file in found:
        entry = read_file(file)
        if entry is not None:
            yield entry


def pack(
    directory: str | os.PathLike[str],
    /,
    *,
    comment: str = "",
    gitignore: bool = True,
    git: bool = True,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    symlinks: Literal["error", "skip", "follow"] = "error",
    ignored: Callable[[Ignored], object] | None = None,
    profile: PromptProfile | None = None,
) -> Bundle:
    """Read the regular files below a directory into a bundle.

    Entry names are the paths relative to ``directory`` with ``/``
    separators, in path-component order: each directory's entries sorted by
    the UTF-8 bytes of their names, a directory's files listed where the
    directory sorts. Packing the same tree twice gives equal bundles. The
    bytes and the owner's executable bit of every file are kept exactly.

    A ``.git`` directory is always left out. Unless ``gitignore`` is false,
    the files are the ones git would list. In a git work tree, with git on
    the PATH, they are exactly those of ``git ls-files --cached --others
    --exclude-standard``: tracked files even where an ignore pattern matches
    them, untracked files that no ``.gitignore``, ``.git/info/exclude`` or
    ``core.excludesFile`` ignores, and no nested repository. Elsewhere, or
    with ``git=False``, the ``.gitignore`` files in the tree (and in its
    parents up to the top of a work tree), ``.git/info/exclude`` and the
    global excludes file at its default place are read and matched as git
    does. If git fails, a [`PackWarning`][PackWarning] says so and the files are
    read without it.

    For a tree larger than memory use [`pack_to`][pack_to].

    Args:
        directory: The directory to pack.
        comment: The bundle's comment.
        gitignore: Leave out what git ignores; false packs every file
            but ``.git``.
        git: Ask git which files to pack when ``directory`` is in a git
            work tree; false reads the ignore files without git.
        include: If given, pack only the files that match one of these
            patterns, or lie in a directory that does (``.gitignore``
            syntax, relative to ``directory``: ``src/`` matches every
            directory named ``src``, ``/src/`` only the top one).
        exclude: Leave out the files and directories that match one of
            these patterns (``.gitignore`` syntax); it wins over ``include``.
        symlinks: ``"error"`` (the default) refuses a symbolic link,
            ``"skip"`` leaves it out with a [`PackWarning`][PackWarning], and
            ``"follow"`` packs what it points to under the link's name.
        ignored: Called with an [`Ignored`][Ignored] for each path left out on
            purpose, and why.
        profile: Also leave out what wastes a language model's tokens, by
            the rules of a [`PromptProfile`][seedbundle.PromptProfile]; each file
            it leaves out is reported to ``ignored`` with the reason
            ``prompt profile: ...``, and binary files are also listed at the
            end of the comment. A file that an ``include`` pattern matches
            by its own path is kept.

    Returns:
        The bundle.

    Raises:
        PackError: For a path that cannot be stored faithfully: a symbolic
            link (by default), a special file, a name that is not UTF-8 or
            that would be unsafe to unpack, or a missing directory.
        ValueError: For an ``include`` or ``exclude`` pattern that can
            match nothing, such as ``!`` or ``[z-a]``; the message names it.
        OSError: If a file cannot be read.

    Warns:
        PackWarning: For every empty directory and skipped link, an
            ignore file that git would not read (a link, a FIFO), and a
            failure of git.

    Examples:
        >>> import os, tempfile, seedbundle
        >>> tree = tempfile.mkdtemp()
        >>> os.makedirs(os.path.join(tree, "src"))
        >>> with open(os.path.join(tree, "src", "main.py"), "w") as f:
        ...     _ = f.write("print('hi')\\n")
        >>> with open(os.path.join(tree, "notes.log"), "w") as f:
        ...     _ = f.write("noise\\n")
        >>> seedbundle.pack(tree, exclude=["*.log"]).names
        ('src/main.py',)

    Added in version 1.0.0; ``git``, ``ignored`` and ``profile`` in version 1.1.0.
    """
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
    return Bundle(_read_all(iter(found)), comment=comment)


def selection(
    directory: str | os.PathLike[str],
    *,
    comment: str,
    gitignore: bool,
    git: bool,
    include: Sequence[str],
    exclude: Sequence[str],
    symlinks: Literal["error", "skip", "follow"],
    ignored: Callable[[Ignored], object] | None,
    profile: PromptProfile | None,
) -> tuple[list[FoundFile], str]:
    """The files to pack, in tree order, and the comment to write with them.

    With a ``profile``, the files it leaves out are reported to ``ignored``
    and the binary ones among them are listed at the end of the comment.
    """
    found = select_files(
        directory,
        gitignore=gitignore,
        git=git,
        include=include,
        exclude=exclude,
        symlinks=symlinks,
        ignored=ignored,
    )
    if profile is None:
        return list(found), comment
    kept, binaries = profile_files(found, profile, include=include, ignored=ignored)
    return kept, with_binaries(comment, binaries)


def profile_files(
    found: Iterator[FoundFile],
    profile: PromptProfile,
    *,
    include: Sequence[str] = (),
    ignored: Callable[[Ignored], object] | None = None,
) -> tuple[list[FoundFile], list[str]]:
    """The selected files that ``profile`` keeps, and the names of the binary files it leaves out.

    A file larger than the profile's limit is never read: its size decides.
    """
    rescue = compile_patterns("include", include)
    kept: list[FoundFile] = []
    binaries: list[str] = []
    for file in found:
        if rescue is not None and rescue.decides(os.fsencode(file.name), False):
            kept.append(file)
            continue
        size = os.stat(file.path, follow_symlinks=file.follow).st_size
        reason = profile.reason_by_name(file.name, size)
        if reason is None:
            entry = read_file(file)
            reason = None if entry is None else profile.reason(file.name, entry.data)
        if reason is None:
            kept.append(file)
            continue
        if reason == "binary":
            binaries.append(file.name)
        if ignored is not None:
            ignored(Ignored(file.name, f"prompt profile: {reason}"))
    return kept, binaries


def with_binaries(comment: str, binaries: Sequence[str]) -> str:
    """The comment, followed by the list of the binary files left out, if there are any."""
    if not binaries:
        return comment
    listing = "Binary files left out (not included):\n" + "\n".join(f"- {name}" for name in binaries)
    return f"{comment}\n\n{listing}" if comment else listing


def file_identity(file: IO[bytes]) -> Identity | None:
    """The ``(st_dev, st_ino)`` of a regular file behind ``file``, or None (a pipe, memory)."""
    try:
        info = os.fstat(file.fileno())
    except (AttributeError, OSError, ValueError):
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISREG(info.st_mode) else None


def pack_to(
    directory: str | os.PathLike[str],
    file: str | os.PathLike[str] | IO[bytes],
    /,
    *,
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
) -> int:
    """Pack a directory into a bundle file, one chunk of one file at a time.

    The bundle is the one that [`pack`][pack] returns, written in canonical
    form. Memory holds the list of the selected files and one chunk (1 MiB)
    of one of them, so a file may be larger than memory: each file is read
    twice, once to learn how to store it and once to write it, and a file
    that changes in between is an error.

    The tree is walked first, so that its problems are found before anything
    is written. Written to a path, the bundle appears under that name only
    once it is complete (see [`seedbundle.open`][seedbundle.open] for what a path may
    name). A bundle file inside the tree, the one being written or the one
    it replaces, is not packed into it.

    Args:
        directory: The directory to pack.
        file: A path, or a writable binary file object.
        comment: The bundle's comment.
        sha256: Add a checksum to every entry.
        gitignore: As for [`pack`][pack].
        git: As for [`pack`][pack].
        include: As for [`pack`][pack].
        exclude: As for [`pack`][pack].
        symlinks: As for [`pack`][pack].
        progress: Called after each selected file with its entry name, its
            size in bytes, the number of files done and the number selected
            in all, as ``progress(name, size, done, total)``. A file left
            out because it is the bundle counts as done with size 0.
        ignored: As for [`pack`][pack].
        profile: As for [`pack`][pack].

    Returns:
        The number of entries written.

    Raises:
        PackError: As for [`pack`][pack], and if a file changes while it is
            being packed.
        ValueError: As for [`pack`][pack].
        OSError: If a file cannot be read or the bundle cannot be written.

    Examples:
        >>> import os, tempfile, seedbundle
        >>> tree = tempfile.mkdtemp()
        >>> with open(os.path.join(tree, "a.txt"), "w") as f:
        ...     _ = f.write("A\\n")
        >>> out = os.path.join(tempfile.mkdtemp(), "tree.bundle")
        >>> seedbundle.pack_to(tree, out, progress=lambda name, size, done, total: print(name, size, done, total))
        a.txt 2 1 1
        1
        >>> with open(out, "rb") as file:
        ...     seedbundle.load(file).names
        ('a.txt',)

    Added in version 1.0.0; ``progress``, ``git``, ``ignored`` and ``profile`` in version 1.1.0.
    """
    check_comment(comment)
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
    if not isinstance(file, str | os.PathLike):
        identity = file_identity(file)
        with open_bundle(file, "w", comment=comment, sha256=sha256) as writer:
            return _write_files(writer, found, () if identity is None else {identity}, progress)
    with (
        atomic_output(file) as output,
        open_bundle(output.file, "w", comment=comment, sha256=sha256) as writer,
    ):
        return _write_files(writer, found, output.identities, progress)


def _write_files(
    writer: BundleWriter,
    found: list[FoundFile],
    skip: Collection[Identity],
    progress: Callable[[str, int, int, int], object] | None,
) -> int:
    count = 0
    add = writer._add_stream
    for done, selected in enumerate(found, 1):
        size = 0
        opened = _open_selected(selected, skip)
        if opened is not None:
            source, executable = opened
            with source:
                size = add(selected.name, source, executable=executable, path=selected.path)
            count += 1
        if progress is not None:
            progress(selected.name, size, done, len(found))
    return count
