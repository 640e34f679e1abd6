"""The warning codes of convert, the warning and error classes, and the result of a read.

Every loss that a conversion knows of has a stable code here, grouped by
hundreds: CV1xx for reading txtar, tar and zip, CV2xx for writing them,
CV3xx for the outputs of prompt packers. docs/reference/convert-codes.md
lists them all, and a test holds the page and this registry equal.
"""

from __future__ import annotations

from typing import Literal

import attrs

# The formats are defined in _choices, so that the command line can offer them without loading attrs.
from ._choices import READ_FORMATS, WRITE_FORMATS, ReadFormat, WriteFormat
from ._errors import BundleError
from ._model import Bundle

__all__ = [
    "CODES",
    "READ_FORMATS",
    "WRITE_FORMATS",
    "Conversion",
    "ConvertError",
    "ConvertWarning",
    "ReadFormat",
    "WriteFormat",
    "Written",
    "new_warning",
]

# code -> what it means and what was done. A code is never renumbered or reused.
CODES: dict[str, str] = {
    "CV101": "Two members have the same name; the last one wins, as testscript does.",
    "CV102": "A link, device, FIFO or other special member was dropped, as asked with drop_special.",
    "CV103": "A member has a set-user-ID, set-group-ID or sticky bit, or extended attributes, which a"
    " bundle cannot hold: they were dropped.",
    "CV104": "An empty directory was dropped: a bundle holds files only.",
    "CV201": "txtar has no executable bit: the bit was dropped.",
    "CV202": "txtar ends every file with a newline: one was added.",
    "CV301": "repomix trims the content of every file: leading and trailing blank lines and spaces may"
    " be lost.",
    "CV302": "A file in the packer's directory listing has no content in the output (a binary or"
    " skipped file): it is left out.",
    "CV303": "The content holds a line that looks like the packer's own file marker, which the packer"
    " does not escape: the split between files may be wrong here.",
    "CV304": "The packer read the file as text: CRLF and lone CR line endings were turned into LF.",
    "CV305": "The packer leaves out some files (binary, not UTF-8, empty, hidden or ignored) without a trace"
    " in its output: such files are missing.",
    "CV306": "gitingest wrote a placeholder instead of the content: an empty file is read as empty,"
    " any other placeholder leaves the file out.",
    "CV307": "A symbolic link in the packer's output was left out.",
    "CV308": "The content looks like UTF-8 that the packer decoded as cp1252 (mojibake such as 'â€”'):"
    " kept as it is.",
    "CV309": "The packer keeps no executable bit: every file is read as not executable.",
}


class ConvertError(BundleError, ValueError):
    """Raised when a conversion refuses its input, or a warning under ``strict=True``.

    Attributes:
        msg: The message.
        name: The name of the file or member at fault, or None.
        code: The warning code that ``strict=True`` turned into this error,
            or None for a refusal.

    Examples:
        >>> from seedbundle import convert
        >>> try:
        ...     convert.read(b"not a zip", format="zip")
        ... except convert.ConvertError as error:
        ...     print(error)
        not a valid zip archive: File is not a zip file

    Added in version 1.1.0.
    """

    def __init__(self, msg: str, name: str | None = None, code: str | None = None) -> None:
        super().__init__(msg)
        self.msg = msg
        self.name = name
        self.code = code

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.msg, self.name, self.code))


def _validate_code(_instance: object, _attribute: object, code: str) -> None:
    if code not in CODES:
        raise ValueError(f"unknown convert warning code {code!r}")


@attrs.frozen
class ConvertWarning:
    """One loss, or one risk of a loss, that a conversion found.

    Attributes:
        code: The stable code, such as ``"CV301"``; the convert codes
            reference lists them all.
        file: The name of the file it concerns, or None for the whole input.
        message: What was found and what was done about it.

    Examples:
        >>> from seedbundle import convert
        >>> result = convert.read(b"-- a.txt --\\nhi\\n-- a.txt --\\nbye\\n", format="txtar")
        >>> print(result.warnings[0])
        CV101: a.txt: two files are named 'a.txt'; the last one wins

    Added in version 1.1.0.
    """

    code: str = attrs.field(validator=_validate_code)
    file: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file is not None else ""
        return f"{self.code}: {where}{self.message}"


def new_warning(code: str, file: str | None, message: str) -> ConvertWarning:
    return ConvertWarning(code, file, message)


@attrs.frozen
class Conversion:
    """What [`convert.read`][seedbundle.convert.read] made of its input.

    Attributes:
        bundle: The files read.
        warnings: Every loss the reader knows of, in input order; empty only
            when the conversion is lossless.
        format: The format that was read, such as ``"txtar"``.

    Examples:
        >>> from seedbundle import convert
        >>> result = convert.read(b"-- a.txt --\\nhi\\n", format="txtar")
        >>> result.format, result.bundle.names, result.warnings
        ('txtar', ('a.txt',), ())

    Added in version 1.1.0.
    """

    bundle: Bundle
    warnings: tuple[ConvertWarning, ...]
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


@attrs.frozen
class Written:
    """What [`convert.write`][seedbundle.convert.write] made of a bundle.

    Attributes:
        data: The bytes of the output.
        warnings: Every loss of the conversion, in bundle order.

    Examples:
        >>> import seedbundle
        >>> from seedbundle import convert
        >>> bundle = seedbundle.Bundle([seedbundle.Entry("a.txt", "hi")])
        >>> written = convert.write(bundle, "txtar")
        >>> written.data
        b'-- a.txt --\\nhi\\n'
        >>> print(written.warnings[0])
        CV202: a.txt: txtar ends every file with a newline: one was added

    Added in version 1.1.0.
    """

    data: bytes
    warnings: tuple[ConvertWarning, ...]


# Tracebacks, pickles and the API reference name them by the public module.
for _public in (ConvertError, ConvertWarning, Conversion, Written):
    _public.__module__ = "seedbundle.convert"
    for _method in vars(_public).values():
        if callable(_method) and hasattr(_method, "__module__"):
            _method.__module__ = "seedbundle.convert"  # else documentation tools see a loop of aliases
