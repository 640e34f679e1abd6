"""Unpack a bundle below a directory, treating it as untrusted.

A first pass reads the whole bundle and checks every name, and the target
directory, without writing anything; the second pass writes each file to a
temporary name beside its final one, and only when all of them are written
are they moved into place. Any failure removes everything that the run
created.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO

import attrs

from ._atomic import PathArg
from ._errors import UnpackError
from ._model import Bundle, Entry
from ._names import NameSet
from ._stream import BundleReader
from ._stream import open as open_bundle

__all__ = ["EntrySource", "Planned", "reader_source", "unpack", "unpack_entries", "unpack_from"]

_O_BINARY = getattr(os, "O_BINARY", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
# Opening each directory relative to its parent with O_NOFOLLOW is what makes
# a symlink swapped in during the unpack harmless; without it (Windows) every
# component is checked with lstat instead.
# Where the OS allows it, a hard link never follows a symlink at its source.
_LINK_NO_FOLLOW = {"follow_symlinks": False} if os.link in os.supports_follow_symlinks else {}
_USE_DIR_FD = bool(_O_NOFOLLOW and _O_DIRECTORY) and {os.open, os.mkdir, os.link} <= (os.supports_dir_fd)

# -- unpacking: checking -------------------------------------------------


@attrs.frozen
class Planned:
    """One file that unpacking writes, or would write."""

    name: str
    size: int
    executable: bool
    replaces: bool


def _is_link(info: os.stat_result) -> bool:
    # A Windows junction is a reparse point that lstat does not report as a link.
    return stat.S_ISLNK(info.st_mode) or bool(getattr(info, "st_reparse_tag", 0))


class _Planner:
    """The first pass: checks every name and the target directory, writing nothing."""

    def __init__(self, target: str, *, overwrite: bool, allow_case_conflicts: bool) -> None:
        self.target = target
        self.overwrite = overwrite
        self.names = NameSet(allow_case_conflicts=allow_case_conflicts)
        self.plan: list[Planned] = []
        self._dirs: dict[str, bool] = {"": self._target_exists()}

    def _target_exists(self) -> bool:
        try:
            info = os.stat(self.target)
        except FileNotFoundError:
            return False
        if not stat.S_ISDIR(info.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", self.target)
        return True

    def add(self, entry: Entry) -> None:
        name = entry.name
        self.names.add(name)
        parent = name.rpartition("/")[0]
        replaces = self._dir_exists(parent, name) and self._file_exists(name)
        self.plan.append(Planned(name, len(entry.data), entry.executable, replaces))

    def _dir_exists(self, directory: str, name: str) -> bool:
        """Whether ``directory`` exists as a real directory (not a link) in the target."""
        missing: list[str] = []
        while directory not in self._dirs:
            missing.append(directory)
            directory = directory.rpartition("/")[0]
        exists = self._dirs[directory]
        for prefix in reversed(missing):
            exists = exists and self._lstat_dir(prefix, name)
            self._dirs[prefix] = exists
        return exists

    def _lstat_dir(self, prefix: str, name: str) -> bool:
        try:
            info = os.lstat(os.path.join(self.target, prefix))
        except FileNotFoundError:
            return False
        if _is_link(info):
            raise UnpackError(
                f"refusing to write {name!r}: {prefix!r} is a symbolic link in the target"
                " directory, and unpack never writes through a link",
                name,
            )
        if not stat.S_ISDIR(info.st_mode):
            raise UnpackError(
                f"cannot write {name!r}: {prefix!r} already exists in the target directory and is"
                " not a directory",
                name,
            )
        return True

    def _file_exists(self, name: str) -> bool:
        try:
            info = os.lstat(os.path.join(self.target, name))
        except FileNotFoundError:
            return False
        if stat.S_ISDIR(info.st_mode) and not _is_link(info):
            raise UnpackError(
                f"cannot write {name!r}: a directory of that name exists in the target directory",
                name,
            )
        if not self.overwrite:
            raise UnpackError(
                f"{name!r} already exists in the target directory (pass overwrite=True, or"
                " --force, to replace it)",
                name,
            )
        return True


# -- unpacking: writing --------------------------------------------------


class _Dir:
    """A directory inside the target, open as a file descriptor where the OS allows."""

    def __init__(self, path: str, fd: int | None) -> None:
        self.path = path
        self.fd = fd

    def at(self, name: str) -> str:
        return name if self.fd is not None else os.path.join(self.path, name)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _open_root(path: str) -> _Dir:
    if not _USE_DIR_FD:
        return _Dir(path, None)
    return _Dir(path, os.open(path, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC))


def _open_child(parent: _Dir, name: str, rel: str) -> _Dir | None:
    """Open the directory ``name`` in ``parent`` without following a link; None if missing."""
    path = os.path.join(parent.path, name)
    if parent.fd is None:
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return None
        if _is_link(info) or not stat.S_ISDIR(info.st_mode):
            raise UnpackError(f"{rel!r} became a link or a file while unpacking", rel)
        return _Dir(path, None)
    flags = os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC
    try:
        return _Dir(path, os.open(name, flags, dir_fd=parent.fd))
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            raise UnpackError(f"{rel!r} became a link or a file while unpacking", rel) from None
        raise


@attrs.define
class _Staged:
    directory: str
    temporary: str
    final: str
    replaces: bool
    committed: bool = False


class _Writer:
    """The second pass: writes temporary files, then moves them all into place."""

    def __init__(self, target: str, names: set[str], *, overwrite: bool) -> None:
        self.target = target
        self.names = names
        self.overwrite = overwrite
        self.created_dirs: list[str] = []  # below the target, relative to it
        self.created_above: list[str] = []  # absolute parents of the target that we made
        self.staged: list[_Staged] = []
        self._cached: tuple[str, _Dir] | None = None
        self._root: _Dir | None = None

    def __enter__(self) -> _Writer:
        try:
            self._make_target()
            self._root = _open_root(self.target)
        except BaseException:
            self._remove_created_above()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, *_rest: object) -> None:
        if kind is not None:
            self._rollback()
        self._close()

    def _make_target(self) -> None:
        missing: list[str] = []
        path = os.path.abspath(self.target)
        while not os.path.isdir(path):
            missing.append(path)
            path = os.path.dirname(path)
        for path in reversed(missing):
            os.mkdir(path)
            self.created_above.append(path)

    def _close(self) -> None:
        if self._cached is not None:
            self._cached[1].close()
            self._cached = None
        if self._root is not None:
            self._root.close()
            self._root = None

    def _dir(self, rel: str, *, create: bool) -> _Dir:
        """The directory ``rel`` (relative to the target), walked one safe step at a time."""
        if self._cached is not None and self._cached[0] == rel:
            return self._cached[1]
        if self._cached is not None:
            self._cached[1].close()
            self._cached = None
        assert self._root is not None
        current = _Dir(self._root.path, None if self._root.fd is None else os.dup(self._root.fd))
        done = ""
        try:
            for part in rel.split("/") if rel else []:
                done = f"{done}/{part}" if done else part
                child = _open_child(current, part, done)
                if child is None:
                    if not create:
                        raise FileNotFoundError(errno.ENOENT, "No such directory", done)
                    os.mkdir(current.at(part), 0o777, dir_fd=current.fd)
                    self.created_dirs.append(done)
                    child = _open_child(current, part, done)
                    if child is None:  # pragma: no cover - removed right after mkdir
                        raise FileNotFoundError(errno.ENOENT, "No such directory", done)
                current.close()
                current = child
        except BaseException:
            current.close()
            raise
        self._cached = (rel, current)
        return current

    def stage(self, entry: Entry, replaces: bool) -> None:
        directory, _, final = entry.name.rpartition("/")
        handle = self._dir(directory, create=True)
        mode = 0o777 if entry.executable else 0o666  # less the umask, as for any new file
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_BINARY | _O_CLOEXEC
        while True:
            temporary = f".seedbundle-{secrets.token_hex(6)}.part"
            if f"{directory}/{temporary}".lstrip("/") in self.names:
                continue  # pragma: no cover - a name chosen to collide
            try:
                fd = os.open(handle.at(temporary), flags, mode, dir_fd=handle.fd)
            except FileExistsError:  # pragma: no cover - 48 random bits
                continue
            break
        self.staged.append(_Staged(directory, temporary, final, replaces))
        with open(fd, "wb") as file:
            file.write(entry.data)

    def commit(self) -> None:
        for item in self.staged:
            handle = self._dir(item.directory, create=False)
            name = f"{item.directory}/{item.final}".lstrip("/")
            if self.overwrite:
                _move(handle, item.temporary, item.final)
            else:
                _move_no_replace(handle, item.temporary, item.final, name)
            item.committed = True
            with contextlib.suppress(FileNotFoundError):  # a hard link leaves the old name
                os.unlink(handle.at(item.temporary), dir_fd=handle.fd)

    def _rollback(self) -> None:
        if self._root is None:  # the target itself could not be made
            self._remove_created_above()
            return
        for item in reversed(self.staged):
            names = [item.temporary]
            if item.committed and not item.replaces:
                # A replaced file stays replaced: its old content is gone.
                names.append(item.final)
            for name in names:
                with contextlib.suppress(OSError, UnpackError):
                    handle = self._dir(item.directory, create=False)
                    os.unlink(handle.at(name), dir_fd=handle.fd)
        for rel in reversed(self.created_dirs):
            parent, _, name = rel.rpartition("/")
            with contextlib.suppress(OSError, UnpackError):
                handle = self._dir(parent, create=False)
                os.rmdir(handle.at(name), dir_fd=handle.fd)
        self._close()
        self._remove_created_above()

    def _remove_created_above(self) -> None:
        for path in reversed(self.created_above):
            with contextlib.suppress(OSError):
                os.rmdir(path)


def _move(handle: _Dir, temporary: str, final: str) -> None:
    if handle.fd is None:
        os.replace(handle.at(temporary), handle.at(final))
    else:  # rename(2) replaces an existing file atomically, as os.replace does
        os.rename(temporary, final, src_dir_fd=handle.fd, dst_dir_fd=handle.fd)


def _move_no_replace(handle: _Dir, temporary: str, final: str, name: str) -> None:
    """Move without ever replacing a file that appeared since the first pass."""
    try:
        # A hard link fails if the name exists, where a rename would replace it.
        os.link(
            handle.at(temporary),
            handle.at(final),
            src_dir_fd=handle.fd,
            dst_dir_fd=handle.fd,
            **_LINK_NO_FOLLOW,
        )
    except FileExistsError:
        raise UnpackError(
            f"{name!r} appeared in the target directory during the unpack; it was left alone",
            name,
        ) from None
    except OSError:  # no hard links on this file system: check, then move
        if os.path.lexists(os.path.join(handle.path, final)):
            raise UnpackError(
                f"{name!r} appeared in the target directory during the unpack; it was left alone",
                name,
            ) from None
        _move(handle, temporary, final)


# -- unpacking: the two passes -------------------------------------------

EntrySource = Callable[[], contextlib.AbstractContextManager[Iterable[Entry]]]


# A bundle whose data fits in this many bytes is read once and kept in memory
# for the writing pass; a larger one is read a second time instead.
_KEEP_BYTES = 32 * 1024 * 1024


def unpack_entries(
    source: EntrySource,
    directory: PathArg,
    *,
    overwrite: bool = False,
    dry_run: bool = False,
    allow_case_conflicts: bool = False,
    progress: Callable[[Entry, int], object] | None = None,
) -> list[Planned]:
    """Check everything, then write; ``source`` must give the same entries each time.

    ``progress`` is called after each file is written, with the entry and
    the total number of bytes to write.
    """
    target = os.fspath(directory)
    planner = _Planner(target, overwrite=overwrite, allow_case_conflicts=allow_case_conflicts)
    kept: list[Entry] | None = []
    kept_bytes = 0
    with source() as entries:
        for entry in entries:
            planner.add(entry)
            if kept is not None:
                kept_bytes += len(entry.data)
                if kept_bytes > _KEEP_BYTES:
                    kept = None
                else:
                    kept.append(entry)
    if dry_run:
        return planner.plan
    again = source if kept is None else _replay(kept)
    with _Writer(target, planner.names.names, overwrite=overwrite) as writer:
        _write_pass(writer, again, planner.plan, progress)
        writer.commit()
    return planner.plan


def _replay(entries: list[Entry]) -> EntrySource:
    return lambda: contextlib.nullcontext(entries)


def _write_pass(
    writer: _Writer,
    source: EntrySource,
    plan: list[Planned],
    progress: Callable[[Entry, int], object] | None,
) -> None:
    total = sum(item.size for item in plan)
    with source() as entries:
        index = 0
        for index, entry in enumerate(entries, 1):
            if index > len(plan) or plan[index - 1].name != entry.name:
                raise UnpackError("the bundle changed while it was being unpacked", entry.name)
            writer.stage(entry, plan[index - 1].replaces)
            if progress is not None:
                progress(entry, total)
        if index != len(plan):
            raise UnpackError("the bundle changed while it was being unpacked", "")


def _check_unpack_options(directory: object, overwrite: object, dry_run: object) -> None:
    if not isinstance(directory, str | os.PathLike):
        raise TypeError(f"directory must be a path, not {type(directory).__name__}")
    for option, value in (("overwrite", overwrite), ("dry_run", dry_run)):
        if not isinstance(value, bool):
            raise TypeError(f"{option} must be a bool, not {type(value).__name__}")


def unpack(
    bundle: Bundle,
    directory: PathArg,
    /,
    *,
    overwrite: bool = False,
    dry_run: bool = False,
    allow_case_conflicts: bool = False,
) -> tuple[str, ...]:
    """Write the entries of a bundle as files below a directory, safely.

    The bundle is treated as untrusted. Before anything is written, every
    name is checked: it must be a relative path with ``/`` separators and
    no empty, ``.`` or ``..`` segment, backslash, drive letter, control or
    invisible formatting character, or ``.git`` segment (nor one that macOS
    or Windows would take for ``.git``); no two names may differ only in
    case or Unicode normalization; no name may be both a file and a
    directory. On the disk, no directory on the way may be a symbolic link,
    and no file may already exist unless ``overwrite`` is true.

    Then each file is written under a temporary name in its directory, and
    when all are written they are moved into place. If anything fails,
    every file and directory that this call created is removed again (a
    file replaced with ``overwrite=True`` stays replaced). New files get
    the permissions 0o666, or 0o777 for executable entries, less the umask.

    Args:
        bundle: The bundle to unpack.
        directory: The target directory; it is created if it is missing.
        overwrite: Replace files that already exist.
        dry_run: Check everything, but write nothing.
        allow_case_conflicts: Accept names that differ only in case or
            Unicode normalization (safe only on a case-sensitive file system).

    Returns:
        The names of the files written (or that would be written), in bundle
        order.

    Raises:
        UnpackError: If the bundle is refused; nothing has been written.
        OSError: If the file system fails; what this call created is removed.
        TypeError: If an argument has the wrong type.

    Examples:
        >>> import os, tempfile, seedbundle
        >>> bundle = seedbundle.Bundle([seedbundle.Entry("docs/a.txt", "A\\n")])
        >>> target = tempfile.mkdtemp()
        >>> seedbundle.unpack(bundle, target)
        ('docs/a.txt',)
        >>> open(os.path.join(target, "docs", "a.txt")).read()
        'A\\n'

    Added in version 1.0.0.
    """
    if not isinstance(bundle, Bundle):
        raise TypeError(f"unpack() needs a Bundle, not {type(bundle).__name__}")
    _check_unpack_options(directory, overwrite, dry_run)
    plan = unpack_entries(
        lambda: contextlib.nullcontext(bundle.entries),
        directory,
        overwrite=overwrite,
        dry_run=dry_run,
        allow_case_conflicts=allow_case_conflicts,
    )
    return tuple(item.name for item in plan)


@contextlib.contextmanager
def _seekable(file: IO[bytes]) -> Iterator[IO[bytes]]:
    """The file itself if it can be read twice, else a temporary copy of it."""
    if file.seekable():
        yield file
        return
    with tempfile.TemporaryFile() as copy:
        shutil.copyfileobj(file, copy)
        copy.seek(0)
        yield copy


@contextlib.contextmanager
def reader_source(
    file: PathArg | IO[bytes], *, strict: bool
) -> Iterator[Callable[[], contextlib.AbstractContextManager[BundleReader]]]:
    """A factory of fresh readers over the same bundle, for a two-pass unpack."""
    if isinstance(file, str | os.PathLike):
        yield lambda: open_bundle(file, "r", strict=strict)
        return
    with _seekable(file) as seekable:
        start = seekable.tell()

        def fresh() -> contextlib.AbstractContextManager[BundleReader]:
            seekable.seek(start)
            return open_bundle(seekable, "r", strict=strict)

        yield fresh


def unpack_from(
    file: PathArg | IO[bytes],
    directory: PathArg,
    /,
    *,
    strict: bool = True,
    overwrite: bool = False,
    dry_run: bool = False,
    allow_case_conflicts: bool = False,
) -> tuple[str, ...]:
    """Unpack a bundle file below a directory, one entry at a time.

    Like :func:`unpack`, with the same checks, but the bundle is read from a
    path or a binary file object and memory holds one entry at a time. The
    bundle is read twice: once to check it, once to write it. A file object
    that cannot seek (a pipe) is first copied to a temporary file.

    Args:
        file: A path, or a readable binary file object.
        directory: The target directory; it is created if it is missing.
        strict: As for :func:`seedbundle.loads`.
        overwrite: As for :func:`unpack`.
        dry_run: As for :func:`unpack`.
        allow_case_conflicts: As for :func:`unpack`.

    Returns:
        The names of the files written (or that would be written).

    Raises:
        BundleDecodeError: If the bundle is invalid; nothing has been written.
        UnpackError: As for :func:`unpack`.
        OSError: As for :func:`unpack`.

    Examples:
        >>> import io, os, tempfile, seedbundle
        >>> data = b"<<<FILE run.sh exec>>>\\n#!/bin/sh\\n<<<END 1>>>\\n"
        >>> target = tempfile.mkdtemp()
        >>> seedbundle.unpack_from(io.BytesIO(data), target)
        ('run.sh',)
        >>> os.access(os.path.join(target, "run.sh"), os.X_OK)
        True

    Added in version 1.0.0.
    """
    _check_unpack_options(directory, overwrite, dry_run)
    with reader_source(file, strict=strict) as fresh:
        plan = unpack_entries(
            fresh,
            directory,
            overwrite=overwrite,
            dry_run=dry_run,
            allow_case_conflicts=allow_case_conflicts,
        )
    return tuple(item.name for item in plan)
