"""convert: one entry point to read and write every format, and the detection of a format."""

from __future__ import annotations

import os
from typing import Literal

from ._api import dumps, loads
from ._convert_archive import MAX_TOTAL_SIZE, read_tar, read_zip, write_tar, write_zip
from ._convert_codes import (
    READ_FORMATS,
    WRITE_FORMATS,
    Conversion,
    ConvertError,
    ConvertWarning,
    WriteFormat,
    Written,
)
from ._convert_packers import PACKER_READERS
from ._convert_txtar import read_txtar, write_txtar
from ._errors import BundleDecodeError
from ._model import Bundle

__all__ = ["detect", "detect_output", "read", "write"]

_BY_SUFFIX = (
    (".tar.gz", "tar"),
    (".tgz", "tar"),
    (".tar.bz2", "tar"),
    (".tar.xz", "tar"),
    (".tar", "tar"),
    (".zip", "zip"),
    (".txtar", "txtar"),
    (".bundle", "bundle"),
)


def detect(
    name: str | None, head: bytes
) -> Literal[
    "bundle",
    "txtar",
    "tar",
    "zip",
    "repomix-xml",
    "repomix-markdown",
    "repomix-plain",
    "repomix-json",
    "files-to-prompt",
    "files-to-prompt-cxml",
    "files-to-prompt-markdown",
    "gitingest",
    "code2prompt",
]:
    """Tell the format of an input from its name and its first bytes.

    The content decides first, where it is unmistakable (a zip or gzip
    signature, a tar header, the opening lines each packer writes); then
    the name's suffix.

    Args:
        name: The file name, or None when there is none (stdin).
        head: The first bytes of the input; 4096 are enough.

    Returns:
        The format, one of the names that [`read`][seedbundle.convert.read] accepts.

    Raises:
        ConvertError: If neither the content nor the name tells the format.

    Examples:
        >>> from seedbundle import convert
        >>> convert.detect("archive.zip", b"PK\\x03\\x04")
        'zip'
        >>> convert.detect(None, b"-- go.mod --\\nmodule example.com/m\\n")
        'txtar'
        >>> convert.detect("out.txt", b"src/a.py\\n---\\nprint(1)\\n\\n---\\n")
        'files-to-prompt'

    Added in version 1.1.0.
    """
    found = _detect_content(head)
    if found is None and name is not None:
        lower = name.lower()
        found = next((fmt for suffix, fmt in _BY_SUFFIX if lower.endswith(suffix)), None)
    if found is None:
        raise ConvertError(
            f"cannot tell the format of {name or 'the input'}; name it with format= (--from): "
            + ", ".join(READ_FORMATS)
        )
    return found  # type: ignore[return-value]


_OUTPUT_SUFFIXES: tuple[tuple[str, WriteFormat], ...] = (
    (".tar.gz", "tar.gz"),
    (".tgz", "tar.gz"),
    (".tar", "tar"),
    (".zip", "zip"),
    (".txtar", "txtar"),
)


def detect_output(name: str | None) -> WriteFormat:
    """The format to write to a file of this name: by its suffix, else a bundle."""
    lower = (name or "").lower()
    return next((fmt for suffix, fmt in _OUTPUT_SUFFIXES if lower.endswith(suffix)), "bundle")


def _detect_content(head: bytes) -> str | None:
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")) or head[257:262] == b"ustar":
        return "tar"
    text = head.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    if b"by Repomix" in text[:400] or b"<file_summary>" in text or b'"fileSummary"' in text[:200]:
        if text.lstrip().startswith(b"{"):
            return "repomix-json"
        if b"<file_summary>" in text or b"<files>" in text:
            return "repomix-xml"
        if b"# File Summary" in text:
            return "repomix-markdown"
        return "repomix-plain"
    if text.startswith((b"Directory structure:\n", b"=" * 48 + b"\nFILE: ")):
        return "gitingest"
    if text.startswith(b"<documents>\n<document index="):
        return "files-to-prompt-cxml"
    if text.startswith(b"Project Path: "):
        return "code2prompt"
    if text.startswith(b"<<<FILE ") or b"\n<<<FILE " in text:
        return "bundle"
    if text.startswith(b"-- "):
        return "txtar"
    lines = text.split(b"\n", 2)
    if len(lines) >= 2 and lines[1] == b"---":
        return "files-to-prompt"
    if len(lines) >= 2 and lines[1].startswith(b"```"):
        return "files-to-prompt-markdown"
    if b"\n-- " in text and b" --\n" in text:
        return "txtar"
    return None


def read(
    source: bytes | str | os.PathLike[str],
    /,
    *,
    format: Literal[
        "bundle",
        "txtar",
        "tar",
        "zip",
        "repomix-xml",
        "repomix-markdown",
        "repomix-plain",
        "repomix-json",
        "files-to-prompt",
        "files-to-prompt-cxml",
        "files-to-prompt-markdown",
        "gitingest",
        "code2prompt",
    ]
    | None = None,
    strict: bool = False,
    drop_special: bool = False,
    max_size: int = MAX_TOTAL_SIZE,
) -> Conversion:
    """Read a txtar, tar or zip archive, or a prompt packer's output, as a bundle.

    Args:
        source: The input's bytes, or the path of a file to read.
        format: The input's format; None detects it with
            [`detect`][seedbundle.convert.detect].
        strict: Raise on the first warning instead of returning it.
        drop_special: In a tar or zip archive, drop links, devices and
            FIFOs with a warning instead of refusing the archive.
        max_size: The most bytes of content to read from a tar or zip
            archive; a larger one is refused, so a zip bomb stops early.

    Returns:
        The bundle, the warnings (every loss the reader knows of) and the format read.

    Raises:
        ConvertError: If the input is damaged or not of the format, a
            member name is unsafe, or ``strict`` is set and there is a warning.
        OSError: If the file cannot be read.
        TypeError: If ``source`` has the wrong type.

    Examples:
        >>> from seedbundle import convert
        >>> result = convert.read(b"comment\\n-- a.txt --\\nhello\\n-- b/c.txt --\\n", format="txtar")
        >>> result.bundle.comment, result.bundle.names
        ('comment\\n', ('a.txt', 'b/c.txt'))
        >>> result.bundle["a.txt"].data, result.warnings
        (b'hello\\n', ())

    Added in version 1.1.0.
    """
    name: str | None = None
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        with open(name, "rb") as file:
            data = file.read()
    elif isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        raise TypeError(f"source must be bytes or a path, not {type(source).__name__}")
    fmt = format if format is not None else detect(name, data[:4096])
    if fmt not in READ_FORMATS:
        raise ValueError(f"unknown format {fmt!r}; the formats are {', '.join(READ_FORMATS)}")
    bundle, warnings = _read(fmt, data, drop_special=drop_special, max_size=max_size)
    _raise_if_strict(strict, warnings)
    return Conversion(bundle, tuple(warnings), fmt)


def _read(fmt: str, data: bytes, *, drop_special: bool, max_size: int) -> tuple[Bundle, list[ConvertWarning]]:
    if fmt == "bundle":
        try:
            return loads(data), []
        except BundleDecodeError as error:
            raise ConvertError(f"not a valid bundle: {error}") from error
    if fmt == "txtar":
        return read_txtar(data)
    if fmt == "tar":
        return read_tar(data, drop_special=drop_special, max_size=max_size)
    if fmt == "zip":
        return read_zip(data, drop_special=drop_special, max_size=max_size)
    return PACKER_READERS[fmt](data)


def write(
    bundle: Bundle,
    format: Literal["bundle", "txtar", "tar", "tar.gz", "zip"],
    /,
    *,
    strict: bool = False,
) -> Written:
    """Write a bundle as txtar, tar, gzipped tar or zip.

    A tar or zip archive holds names, data and the executable bit. txtar
    cannot hold a binary file, a line that looks like its marker, or a
    name with a space or a line break at either end: those are refused.
    It has no executable bit and ends every file with a newline: those
    losses are warnings.

    Args:
        bundle: The bundle to write.
        format: The format of the output.
        strict: Raise on the first warning instead of returning it.

    Returns:
        The bytes of the output and the warnings.

    Raises:
        ConvertError: If the format cannot hold an entry, or ``strict`` is
            set and there is a warning.
        TypeError: If ``bundle`` is not a Bundle.

    Examples:
        >>> import seedbundle
        >>> from seedbundle import convert
        >>> bundle = seedbundle.Bundle([seedbundle.Entry("run.sh", "echo hi\\n", executable=True)])
        >>> written = convert.write(bundle, "zip")
        >>> convert.read(written.data).bundle == bundle
        True
        >>> convert.write(bundle, "txtar", strict=True)
        Traceback (most recent call last):
        ...
        seedbundle.convert.ConvertError: CV201: run.sh: txtar has no executable bit: the bit was dropped

    Added in version 1.1.0.
    """
    if not isinstance(bundle, Bundle):
        raise TypeError(f"bundle must be a Bundle, not {type(bundle).__name__}")
    warnings: list[ConvertWarning] = []
    if format == "bundle":
        data = dumps(bundle).encode("utf-8")
    elif format == "txtar":
        data, warnings = write_txtar(bundle)
    elif format == "tar":
        data, warnings = write_tar(bundle)
    elif format == "tar.gz":
        data, warnings = write_tar(bundle, compression="gz")
    elif format == "zip":
        data, warnings = write_zip(bundle)
    else:
        raise ValueError(f"cannot write {format!r}; the formats are {', '.join(WRITE_FORMATS)}")
    _raise_if_strict(strict, warnings)
    return Written(data, tuple(warnings))


def _raise_if_strict(strict: bool, warnings: list[ConvertWarning]) -> None:
    if strict and warnings:
        first = warnings[0]
        raise ConvertError(str(first), first.file, first.code)
