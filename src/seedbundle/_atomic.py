"""Write a file beside its target, then replace the target only on success.

Every write of a path in seedbundle goes through here: ``pack_to``, the
command line's ``-o`` and ``seedbundle.open(path, "w")``.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from typing import IO

__all__ = ["PathArg", "atomic_output", "create_beside"]

PathArg = str | os.PathLike[str]


def create_beside(target: str) -> tuple[IO[bytes], str]:
    """Create a new temporary file in the directory of ``target``.

    It gets the permissions a new file usually gets (0o666 less the umask),
    unlike ``tempfile.mkstemp``, whose files are private to their owner.
    Returns the open file and its path.
    """
    directory = os.path.dirname(os.path.abspath(target))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        temporary = os.path.join(directory, f".seedbundle-{secrets.token_hex(6)}.tmp")
        try:
            handle = os.open(temporary, flags, 0o666)
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
        return builtins.open(handle, "wb"), temporary


@contextlib.contextmanager
def atomic_output(path: PathArg) -> Iterator[IO[bytes]]:
    """A binary file that replaces ``path`` only if the ``with`` block succeeds.

    The file is made with the usual permissions (0o666 less the umask).
    """
    target = os.fspath(path)
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, "Is a directory", target)
    file, temporary = create_beside(target)
    try:
        with file:
            yield file
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
