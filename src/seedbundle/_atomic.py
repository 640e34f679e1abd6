"""Write a file beside its target, then replace the target only on success.

Every write of a path in seedbundle goes through [`AtomicFile`][AtomicFile]:
``pack_to``, the command line's ``-o`` and ``seedbundle.open(path, "w")``.
What "replace" means depends on what the path names:

- Nothing, or a regular file: a temporary file is written in the same
  directory and renamed over the path. It takes the permission bits of the
  file it replaces (and its owner and group, where that is permitted); a new
  file gets 0o666 less the umask.
- A regular file with more than one hard link: renaming would split the
  links, so the temporary file is written in full, then copied into the
  existing file. The copy starts only once the content is complete, but a
  reader may see it half done, and a failure during the copy leaves the file
  damaged.
- A symbolic link: the file it points to is replaced, and the link stays; a
  dangling link makes the file it points to.
- Anything else (a FIFO, a terminal, ``/dev/null``, ``/dev/stdout`` on a
  pipe): there is nothing to replace, so it is written to directly. A
  failure then leaves what was written so far in the stream.
- A directory: [`IsADirectoryError`][IsADirectoryError], before anything is created.

Errors name the path the caller gave, never the temporary file. Interrupting
signals are held back while the temporary file is created, renamed or
removed, so that a handler that raises cannot land between the system call
and the bookkeeping; any exception in between removes the temporary file.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import os
import secrets
import shutil
import stat
import weakref
from collections.abc import Iterator
from typing import IO, Literal

from ._signals import held

__all__ = ["AtomicFile", "PathArg", "atomic_output"]

PathArg = str | os.PathLike[str]

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
_WRITE_THROUGH = (
    os.O_WRONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
)
_COPY_CHUNK = 1 << 20
_BUFFER = 1 << 20


def _naming(error: OSError, path: str) -> OSError:
    """The same error, naming ``path``: the caller knows no temporary file."""
    # OSError(errno, ...) builds the matching subclass (FileNotFoundError, ...).
    return OSError(error.errno, error.strerror or str(error), path)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _is_link(path: str) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


Mode = Literal["replace", "copy", "through"]


def _plan(path: str) -> tuple[Mode, str, os.stat_result | None]:
    """How to write ``path``, which file to write (links resolved), and what is there now."""
    try:
        info: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as error:  # a link loop, a missing permission, a file used as a directory
        raise _naming(error, path) from None
    if info is None:
        if not _is_link(path):
            return "replace", path, None
        real = os.path.realpath(path)  # a dangling link: make the file it points to
        if _is_link(real):
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
        return "replace", real, None
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    if not stat.S_ISREG(info.st_mode):
        return "through", path, info
    real = os.path.realpath(path) if _is_link(path) else path
    try:
        same = real == path or os.path.samestat(os.stat(real), info)
    except OSError:
        same = False
    if not same:  # a link with no path to its file, like /proc/self/fd/1 of a deleted file
        return "through", path, info
    return ("copy" if info.st_nlink > 1 else "replace"), real, info


def _create_beside(target: str) -> tuple[int, str]:
    """Create a new temporary file in the directory of ``target``: its descriptor and path.

    It gets the permissions a new file usually gets (0o666 less the umask),
    unlike ``tempfile.mkstemp``, whose files are private to their owner.
    """
    directory = os.path.dirname(os.path.abspath(target))
    while True:
        temporary = os.path.join(directory, f".seedbundle-{secrets.token_hex(6)}.tmp")
        try:
            return os.open(temporary, _CREATE, 0o666), temporary
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue


def _take_over(handle: int, old: os.stat_result) -> None:
    """Give a new file the permission bits and, where permitted, the owner of the file it replaces."""
    new = os.fstat(handle)
    if hasattr(os, "fchown") and (new.st_uid, new.st_gid) != (old.st_uid, old.st_gid):
        try:
            os.fchown(handle, old.st_uid, old.st_gid)
        except PermissionError:  # not root: keeping the group may still be allowed
            with contextlib.suppress(PermissionError):
                os.fchown(handle, -1, old.st_gid)
    if os.chmod in os.supports_fd:
        # The set-id and sticky bits are not carried over onto a rewritten file.
        os.chmod(handle, stat.S_IMODE(old.st_mode) & 0o777)


class AtomicFile:
    """A binary file that takes the place of ``path`` on [`commit`][commit], and never before.

    Until then the target is untouched (unless it is a FIFO or a device,
    which is written to directly); [`discard`][discard] removes the temporary
    file. An object that is dropped without either is discarded when it is
    collected, or at exit.

    Attributes:
        path: The path as the caller gave it.
        file: The file to write the content to.
        identities: The ``(st_dev, st_ino)`` of the regular files that the
            content goes to or replaces, for a writer that must not read them.
    """

    file: IO[bytes]
    identities: frozenset[tuple[int, int]]

    def __init__(self, path: PathArg) -> None:
        self.path = os.fspath(path)
        self._mode, self._target, existing = _plan(self.path)
        self._temporary: str | None = None
        self._inode: int | None = None  # the linked file that a "copy" writes into
        self._open = True
        try:
            self._start(existing)
        except BaseException:
            self.discard()
            raise

    def _start(self, existing: os.stat_result | None) -> None:
        if self._mode == "through":
            try:
                handle = os.open(self._target, _WRITE_THROUGH)
            except OSError as error:
                raise _naming(error, self.path) from None
            self.file = builtins.open(handle, "wb")  # noqa: SIM115 - commit() or discard() closes it
            if stat.S_ISREG(os.fstat(handle).st_mode):
                os.ftruncate(handle, 0)
            self.identities = self._identities(handle, None)
            return
        if self._mode == "copy":
            try:
                self._inode = os.open(self._target, _WRITE_THROUGH)
            except OSError as error:
                raise _naming(error, self.path) from None
        with held():
            try:
                handle, self._temporary = _create_beside(self._target)
            except OSError as error:
                raise _naming(error, self.path) from None
            # Large writes: a bundle of many small files is written in few system calls.
            self.file = builtins.open(handle, "wb", buffering=_BUFFER)  # noqa: SIM115 - closed by commit() or discard()
            self._finalizer = weakref.finalize(self, _remove, self._temporary)
        if self._mode == "replace" and existing is not None:
            _take_over(handle, existing)
        self.identities = self._identities(handle, existing)

    @staticmethod
    def _identities(handle: int, existing: os.stat_result | None) -> frozenset[tuple[int, int]]:
        own = os.fstat(handle)
        found = {(own.st_dev, own.st_ino)} if stat.S_ISREG(own.st_mode) else set()
        if existing is not None and stat.S_ISREG(existing.st_mode):
            found.add((existing.st_dev, existing.st_ino))
        return frozenset(found)

    def commit(self) -> None:
        """Put the written file in place of the target.

        If that fails, the temporary file is removed and the error names the
        target path.
        """
        if not self._open:
            raise ValueError(f"the output to {self.path!r} was already committed or discarded")
        try:
            self.file.close()
            with held():
                if self._temporary is not None and self._mode == "replace":
                    os.replace(self._temporary, self._target)
                    self._temporary = None
                elif self._temporary is not None:
                    self._copy_into_inode(self._temporary)
                self._close()
        except OSError as error:
            self.discard()
            raise _naming(error, self.path) from None
        except BaseException:
            self.discard()
            raise

    def _copy_into_inode(self, temporary: str) -> None:
        assert self._inode is not None
        with (
            builtins.open(temporary, "rb") as source,
            builtins.open(self._inode, "wb", closefd=False) as sink,
        ):
            shutil.copyfileobj(source, sink, _COPY_CHUNK)
            sink.flush()
            os.ftruncate(self._inode, sink.tell())

    def discard(self) -> None:
        """Remove the temporary file and leave the target as it was; harmless after commit."""
        with held():
            if not self._open:
                return
            if hasattr(self, "file"):
                with contextlib.suppress(OSError):
                    self.file.close()
            self._close()

    def _close(self) -> None:
        """Mark the output done, and remove whatever of it is left."""
        self._open = False
        if self._inode is not None:
            with contextlib.suppress(OSError):
                os.close(self._inode)
            self._inode = None
        if self._temporary is not None:
            _remove(self._temporary)
            self._temporary = None
        if hasattr(self, "_finalizer"):
            self._finalizer.detach()


@contextlib.contextmanager
def atomic_output(path: PathArg) -> Iterator[AtomicFile]:
    """An [`AtomicFile`][AtomicFile] that is committed if the ``with`` block succeeds, else discarded."""
    output = AtomicFile(path)
    try:
        yield output
        output.commit()
    except BaseException:
        output.discard()
        raise
