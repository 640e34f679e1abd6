"""The one error family of seedbundle."""

from __future__ import annotations

__all__ = ["BundleDecodeError", "BundleEncodeError", "BundleError"]


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
        # Keyword-only arguments need help to survive pickling (multiprocessing).
        return (_rebuild_decode_error, (self.msg, self.lineno, self.colno, self.pos, self.line))


def _rebuild_decode_error(msg: str, lineno: int, colno: int, pos: int, line: str) -> BundleDecodeError:
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
