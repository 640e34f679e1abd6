"""tar and zip archives: names, data and the executable bit, both ways.

Reading treats the archive as hostile: every member name passes the rules
that unpack applies, a link or a device is refused with its name (or
dropped with a warning, when asked), a damaged archive is a ConvertError,
and the total size read is capped, so a zip bomb stops early. Times and
owners are not kept: a bundle has no place for them, and every archive
has them, so they are not reported either (the how-to says so).
"""

from __future__ import annotations

import bz2
import io
import lzma
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO

from ._convert_codes import ConvertError, ConvertWarning, new_warning
from ._model import Bundle, Entry
from ._names import name_problem

__all__ = ["MAX_TOTAL_SIZE", "read_tar", "read_zip", "write_tar", "write_zip"]

MAX_TOTAL_SIZE = 1 << 30  # bytes of content read from one archive, at most

_CHUNK = 1 << 20

_MODE_BITS = (
    (stat.S_ISUID, "set-user-ID bit"),
    (stat.S_ISGID, "set-group-ID bit"),
    (stat.S_ISVTX, "sticky bit"),
)


def _chunks(source: IO[bytes]) -> Iterator[bytes]:
    while chunk := source.read(_CHUNK):
        yield chunk


class _Collector:
    """The files of an archive, in order, the last of two with the same name winning."""

    def __init__(self, max_size: int) -> None:
        self.files: dict[str, Entry] = {}
        self.warnings: list[ConvertWarning] = []
        self.directories: set[str] = set()
        self.left = max_size
        self.max_size = max_size

    def name(self, raw: str) -> str:
        name = raw.removeprefix("./")
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            raise ConvertError(f"the member name {raw!r} is not UTF-8", raw) from None
        problem = name_problem(name)
        if problem is not None:
            raise ConvertError(f"unsafe member name {raw!r}: {problem}", raw)
        return name

    def read(self, name: str, chunks: Iterator[bytes]) -> bytes:
        parts = []
        for chunk in chunks:
            self.left -= len(chunk)
            if self.left < 0:
                raise ConvertError(
                    f"the archive holds more than {self.max_size} bytes of content (at member {name!r});"
                    " raise max_size to read it",
                    name,
                )
            parts.append(chunk)
        return b"".join(parts)

    def add(self, name: str, data: bytes, executable: bool) -> None:
        if name in self.files:
            self.warnings.append(
                new_warning("CV101", name, f"two members are named {name!r}; the last one wins")
            )
            del self.files[name]
        self.files[name] = Entry(name, data, executable=executable)

    def mode(self, name: str, mode: int, extra: bool) -> None:
        """Warn of what a member has beyond a name, data, an executable bit, a time and an owner."""
        lost = [bit for flag, bit in _MODE_BITS if mode & flag]
        if extra:
            lost.append("extended attributes")
        if lost:
            self.warnings.append(new_warning("CV103", name, f"the member's {', '.join(lost)} were dropped"))

    def special(self, raw: str, kind: str, drop_special: bool) -> None:
        if not drop_special:
            raise ConvertError(
                f"the member {raw!r} is a {kind}, which a bundle cannot hold (drop_special=True drops it)",
                raw,
            )
        self.warnings.append(new_warning("CV102", raw, f"the {kind} {raw!r} was dropped"))

    def finish(self) -> tuple[Bundle, list[ConvertWarning]]:
        for directory in sorted(self.directories):
            if not any(name.startswith(directory + "/") for name in self.files):
                self.warnings.append(
                    new_warning("CV104", directory, f"the empty directory {directory!r} was dropped")
                )
        return Bundle(self.files.values()), self.warnings


def _tar_kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return "symbolic link"
    if member.islnk():
        return "hard link"
    if member.ischr() or member.isblk():
        return "device"
    if member.isfifo():
        return "FIFO"
    return "special member"


def read_tar(data: bytes, *, drop_special: bool, max_size: int) -> tuple[Bundle, list[ConvertWarning]]:
    collector = _Collector(max_size)
    raw = _decompress(data, 2 * max_size + (1 << 20))
    current = "(the first header)"
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as archive:
            for member in archive:
                current = member.name
                if member.isdir():
                    collector.directories.add(collector.name(member.name.rstrip("/")))
                    continue
                if not member.isreg():
                    collector.special(member.name, _tar_kind(member), drop_special)
                    continue
                name = collector.name(member.name)
                source = archive.extractfile(member)
                assert source is not None  # a regular file always has data
                content = collector.read(name, _chunks(source))
                if len(content) != member.size:
                    raise ConvertError(f"the tar archive ends inside the member {name!r}", name)
                collector.mode(
                    name, member.mode, any("xattr" in key or "ACL" in key for key in member.pax_headers)
                )
                collector.add(name, content, bool(member.mode & stat.S_IXUSR))
            end = archive.offset
    except (tarfile.TarError, EOFError, OSError, zlib.error, ValueError) as error:
        if isinstance(error, ConvertError):
            raise
        raise ConvertError(
            f"the tar archive is damaged at the member {current!r}: {error}", current
        ) from error
    # tarfile takes a truncated or damaged header for the end of the archive;
    # a real end is a block of zeros.
    if raw[end : end + 512] != bytes(512):
        raise ConvertError(f"the tar archive is truncated or damaged after the member {current!r}", current)
    return collector.finish()


def _decompress(data: bytes, limit: int) -> bytes:
    """The tar inside gzip, bzip2 or xz compression, read up to ``limit`` bytes so that a bomb stops early."""
    decompressor: zlib._Decompress | bz2.BZ2Decompressor | lzma.LZMADecompressor
    if data.startswith(b"\x1f\x8b"):
        decompressor = zlib.decompressobj(wbits=31)
    elif data.startswith(b"BZh"):
        decompressor = bz2.BZ2Decompressor()
    elif data.startswith(b"\xfd7zXZ\x00"):
        decompressor = lzma.LZMADecompressor()
    else:
        return data
    try:
        raw = decompressor.decompress(data, limit + 1)
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as error:
        raise ConvertError(f"the compressed tar archive is damaged: {error}") from error
    if len(raw) > limit:
        raise ConvertError(
            f"the compressed tar archive holds more than {limit} bytes; raise max_size to read it"
        )
    if not decompressor.eof:
        raise ConvertError("the compressed tar archive is truncated")
    return raw


def read_zip(data: bytes, *, drop_special: bool, max_size: int) -> tuple[Bundle, list[ConvertWarning]]:
    collector = _Collector(max_size)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as error:
        raise ConvertError(f"not a valid zip archive: {error}") from error
    with archive:
        for info in archive.infolist():
            mode = info.external_attr >> 16 if info.create_system == 3 else 0
            if info.is_dir():
                collector.directories.add(collector.name(info.filename.rstrip("/")))
                continue
            if stat.S_IFMT(mode) and not stat.S_ISREG(
                mode
            ):  # no type bits: a plain file, as many tools write
                kind = "symbolic link" if stat.S_ISLNK(mode) else "special member"
                collector.special(info.filename, kind, drop_special)
                continue
            name = collector.name(info.filename)
            try:
                with archive.open(info) as source:
                    content = collector.read(name, _chunks(source))
            except (
                zipfile.BadZipFile,
                OSError,
                EOFError,
                zlib.error,
                NotImplementedError,
                RuntimeError,
                UnicodeDecodeError,
                ValueError,
            ) as error:
                if isinstance(error, ConvertError):  # the size cap, which is a ValueError too
                    raise
                raise ConvertError(f"the zip member {name!r} is damaged: {error}", name) from error
            collector.mode(name, mode, extra=False)
            collector.add(name, content, bool(mode & stat.S_IXUSR))
    return collector.finish()


def write_tar(bundle: Bundle, *, compression: str = "") -> tuple[bytes, list[ConvertWarning]]:
    buffer = io.BytesIO()
    mode = f"w:{compression}" if compression else "w"
    archive: tarfile.TarFile
    with tarfile.open(fileobj=buffer, mode=mode, format=tarfile.PAX_FORMAT) as archive:  # type: ignore[call-overload]
        for entry in bundle:
            _check_member_name(entry.name)
            info = tarfile.TarInfo(entry.name)
            info.size = len(entry.data)
            info.mode = 0o755 if entry.executable else 0o644
            info.mtime = 0
            archive.addfile(info, io.BytesIO(entry.data))
    return buffer.getvalue(), []


def write_zip(bundle: Bundle) -> tuple[bytes, list[ConvertWarning]]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in bundle:
            _check_member_name(entry.name)
            info = zipfile.ZipInfo(entry.name, date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | (0o755 if entry.executable else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entry.data)
    return buffer.getvalue(), []


def _check_member_name(name: str) -> None:
    problem = name_problem(name)
    if problem is not None:
        raise ConvertError(f"the entry name {name!r} cannot be an archive member: {problem}", name)
