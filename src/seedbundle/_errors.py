"""The one error family of seedbundle, and how an error finds its position."""

from __future__ import annotations

import functools

__all__ = [
    "BundleDecodeError",
    "BundleEncodeError",
    "BundleError",
    "PackError",
    "PackWarning",
    "UnpackError",
    "locate_in",
]


class BundleError(Exception):
    """Base class of every error that seedbundle raises on purpose.

    Catch it to handle any bundle problem in one place.

    Examples:
        >>> import seedbundle
        >>> try:
        ...     seedbundle.loads("<<<FILE a>>>\\n")
        ... except seedbundle.BundleError as error:
        ...     print(type(error).__name__)
        BundleDecodeError

    Added in version 1.0.0.
    """


class BundleDecodeError(BundleError, ValueError):
    """Raised when a bundle (or a seed document) cannot be read.

    The message says what was expected and what was found, and the error
    carries the position of the first problem in document order.

    Attributes:
        msg: The message without the position.
        lineno: The 1-based line of the problem.
        colno: The 1-based column, counted in characters (code points).
        pos: The 0-based offset of the problem, counted in characters of
            the decoded document (an undecodable byte counts as one).
        line: The text of the offending line, without its line ending
            (an empty string at the end of the input).

    Examples:
        >>> import seedbundle
        >>> try:
        ...     seedbundle.loads("<<<FOO>>>\\n<<<END 0>>>\\n")
        ... except seedbundle.BundleDecodeError as error:
        ...     print(error)
        ...     print(error.lineno, error.colno, error.pos)
        unknown marker '<<<FOO>>>': a line that begins with '<<<' must be a FILE or END marker (at line 1, column 1)
        1 1 0

    Added in version 1.0.0.
    """

    def __init__(self, msg: str, *, lineno: int, colno: int, pos: int, line: str = "") -> None:
        super().__init__(f"{msg} (at line {lineno}, column {colno})")
        self.msg = msg
        self.lineno = lineno
        self.colno = colno
        self.pos = pos
        self.line = line

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments need help to survive pickling (multiprocessing);
        # a partial of the class keeps the pickle free of private names.
        rebuild = functools.partial(
            BundleDecodeError, self.msg, lineno=self.lineno, colno=self.colno, pos=self.pos, line=self.line
        )
        return (rebuild, ())


def _rebuild_decode_error(msg: str, lineno: int, colno: int, pos: int, line: str) -> BundleDecodeError:
    # Pickles made by seedbundle 1.0.0 call this function.
    return BundleDecodeError(msg, lineno=lineno, colno=colno, pos=pos, line=line)


class BundleEncodeError(BundleError, ValueError):
    """Raised for a value that cannot be written as a bundle.

    seedbundle refuses such a value when it is built (an empty name, a
    name or comment that is not encodable as UTF-8, two entries with the
    same name) instead of changing it quietly when it is written.

    Examples:
        >>> import seedbundle
        >>> try:
        ...     seedbundle.Entry("", b"data")
        ... except seedbundle.BundleEncodeError as error:
        ...     print(error)
        an entry name must not be empty

    Added in version 1.0.0.
    """


class PackError(BundleEncodeError):
    """Raised when a directory tree cannot be packed faithfully.

    seedbundle stores regular files with UTF-8 names. A symbolic link (unless
    the caller chose to skip or follow links), a special file such as a FIFO
    or a device, a name that is not UTF-8, and a name that could not be
    unpacked safely are refused instead of being dropped.

    Attributes:
        msg: The message.
        path: The offending path, as the operating system gave it.

    Examples:
        >>> import os, tempfile, seedbundle
        >>> tree = tempfile.mkdtemp()
        >>> os.symlink("elsewhere", os.path.join(tree, "link"))
        >>> try:
        ...     seedbundle.pack(tree)
        ... except seedbundle.PackError as error:
        ...     print(error.path == os.path.join(tree, "link"))
        True

    Added in version 1.0.0.
    """

    def __init__(self, msg: str, path: str) -> None:
        super().__init__(msg)
        self.msg = msg
        self.path = path

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.msg, self.path))


class PackWarning(UserWarning):
    """Issued for a path that [`pack`][pack] leaves out on purpose.

    That is an empty directory (a bundle stores files only), a symbolic
    link when ``symlinks="skip"``, and the output file itself when it lies
    inside the tree being packed. Ignored files are left out without a
    warning: the caller asked for that.

    Attributes:
        path: The path that was left out.

    Examples:
        >>> import os, tempfile, warnings, seedbundle
        >>> tree = tempfile.mkdtemp()
        >>> os.mkdir(os.path.join(tree, "empty"))
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     bundle = seedbundle.pack(tree)
        >>> print(caught[0].message)
        skipped the empty directory 'empty/': a bundle stores files only

    Added in version 1.0.0.
    """

    def __init__(self, msg: str, path: str) -> None:
        super().__init__(msg)
        self.path = path

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (str(self), self.path))


class UnpackError(BundleError, ValueError):
    """Raised when [`unpack`][unpack] refuses a bundle; nothing has been written.

    The reasons are an entry name that is unsafe as a relative path, two
    names that would land on the same file, and a target directory where
    writing would go through a symbolic link or replace an existing file.

    Attributes:
        msg: The message.
        name: The entry name at fault.

    Examples:
        >>> import tempfile, seedbundle
        >>> evil = seedbundle.Bundle([seedbundle.Entry("../escape.txt", "x")])
        >>> try:
        ...     seedbundle.unpack(evil, tempfile.mkdtemp())
        ... except seedbundle.UnpackError as error:
        ...     print(error)
        unsafe entry name '../escape.txt': it has a '..' segment, which would climb out of the target directory

    Added in version 1.0.0.
    """

    def __init__(self, msg: str, name: str) -> None:
        super().__init__(msg)
        self.msg = msg
        self.name = name

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.msg, self.name))


# Pickles, tracebacks and the API reference name the public exceptions by the
# package that exports them, so moving a class between private modules never
# breaks a pickle.
for _public in (BundleError, BundleDecodeError, BundleEncodeError, PackError, PackWarning, UnpackError):
    _public.__module__ = "seedbundle"
    for _method in vars(_public).values():
        if callable(_method) and hasattr(_method, "__module__"):
            _method.__module__ = "seedbundle"  # else documentation tools see a loop of aliases


def locate_in(data: bytes, offset: int, *, lineno_base: int, pos_base: int) -> tuple[int, int, int, str]:
    """Locate ``offset`` in ``data``, whose first byte is at line ``lineno_base``.

    ``data`` must begin at the start of a line. Returns (lineno, colno, pos,
    line) as [`BundleDecodeError`][BundleDecodeError] reports them.
    """
    line_start = data.rfind(b"\n", 0, offset) + 1
    line_end = data.find(b"\n", offset)
    if line_end < 0:
        line_end = len(data)
    lineno = lineno_base + data.count(b"\n", 0, line_start)
    col = len(data[line_start:offset].decode("utf-8", "surrogateescape"))
    pos = pos_base + len(data[:line_start].decode("utf-8", "surrogateescape")) + col
    line = data[line_start:line_end].decode("utf-8", "replace").removesuffix("\r")
    return lineno, col + 1, pos, line
