"""URLs: open bundles on remote and virtual filesystems through fsspec.

fsspec is an optional dependency (``pip install 'seedbundle[remote]'``),
imported only when a URL is opened. Which strings are URLs, and what
``storage_options`` may go with, follow pandas: a string that starts with a
scheme and ``://`` is a URL, everything else is a local path, and
``storage_options`` with a local path is a ``ValueError``.

Writing is atomic where the filesystem allows it. A local file
(``file://``) is written by [`AtomicFile`][seedbundle._atomic.AtomicFile],
like a path. A file that fsspec opens with ``autocommit=False`` and that
honours it (the buffered files of object stores such as s3fs, gcsfs and
adlfs, which finish the upload only on commit) is committed when the bundle
is complete and discarded otherwise. A filesystem that writes through
whatever it is told (``memory://``) gets the bundle under a temporary name
beside the target, moved over the target when it is complete and removed
otherwise; the move is as atomic as the filesystem's ``mv``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import IO, Any

from ._atomic import AtomicFile

__all__ = [
    "RemoteOutput",
    "check_storage_options",
    "filesystem",
    "is_url",
    "open_url_for_reading",
    "output_for_url",
]

# pandas' _RFC_3986_PATTERN: a scheme, then '://'. A Windows path (C:\x) has no '//'.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*://")

_INSTALL = "pip install 'seedbundle[remote]'"


def is_url(file: object) -> bool:
    """Whether ``file`` is a str that names a URL rather than a local path."""
    return isinstance(file, str) and _URL.match(file) is not None


def check_storage_options(file: object, storage_options: Mapping[str, Any] | None) -> None:
    """Refuse ``storage_options`` for anything but a URL, as pandas does."""
    if storage_options is not None and not is_url(file):
        raise ValueError("storage_options passed with a file object or a non-URL path; it needs a URL")


def _fsspec() -> Any:
    try:
        import fsspec
    except ImportError:
        raise ImportError(f"reading or writing a URL needs fsspec: {_INSTALL}") from None
    return fsspec


def filesystem(url: str, storage_options: Mapping[str, Any] | None) -> tuple[Any, str]:
    fsspec = _fsspec()
    try:
        fs, path = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
    except ImportError as error:  # a protocol whose own package is missing (s3fs, gcsfs)
        raise ImportError(
            f"{url!r} needs a package that is not installed: {error} (for http:// and https://: {_INSTALL})"
        ) from None
    return fs, path


def open_url_for_reading(url: str, storage_options: Mapping[str, Any] | None) -> IO[bytes]:
    """A binary file object reading ``url``; the caller closes it."""
    fs, path = filesystem(url, storage_options)
    file: IO[bytes] = fs.open(path, "rb")
    return file


def output_for_url(url: str, storage_options: Mapping[str, Any] | None) -> AtomicFile | RemoteOutput:
    """Where a bundle written to ``url`` goes until it is committed or discarded."""
    fs, path = filesystem(url, storage_options)
    if "file" in _protocols(fs):
        # A local file: the one mechanism for paths, which keeps permissions and links.
        return AtomicFile(path)
    return RemoteOutput(url, storage_options)


def _protocols(fs: Any) -> tuple[str, ...]:
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)


class RemoteOutput:
    """A file object at ``url`` that takes the place of the target only on commit.

    It has the interface of [`AtomicFile`][seedbundle._atomic.AtomicFile]:
    ``file``, ``commit()`` and ``discard()``.
    """

    def __init__(self, url: str, storage_options: Mapping[str, Any] | None) -> None:
        self.url = url
        self._fs, self._path = filesystem(url, storage_options)
        if self._fs.isdir(self._path):
            raise IsADirectoryError(21, "Is a directory", url)
        # Probe on a temporary name, so that a filesystem that ignores
        # autocommit=False (memory:// writes at once) never touches the target.
        temporary = f"{self._path}.seedbundle-{secrets.token_hex(4)}.tmp"
        file = self._open(temporary)
        self._temporary = temporary
        if getattr(file, "autocommit", True) is False:
            file.discard()
            file = self._open(self._path)
            self._temporary = ""
        self._file: Any = file

    @property
    def file(self) -> IO[bytes]:
        """The file object to write the bundle to."""
        file: IO[bytes] = self._file
        return file

    def _open(self, path: str) -> Any:
        file = self._fs.open(path, "wb", autocommit=False)
        # fsspec also queues the file for its own transaction; it is ours to finish.
        transaction = getattr(self._fs, "_transaction", None)
        queued = getattr(transaction, "files", None)
        if queued is not None and file in queued:
            queued.remove(file)
        return file

    def commit(self) -> None:
        """Make the written bundle the target's content."""
        self._file.close()
        if self._temporary:
            self._fs.mv(self._temporary, self._path)
        else:
            self._file.commit()

    def discard(self) -> None:
        """Drop what was written; the target stays as it was."""
        if not self._temporary:
            self._file.discard()
            return
        self._file.close()
        if self._fs.exists(self._temporary):
            self._fs.rm(self._temporary)
