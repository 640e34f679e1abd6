"""The semantic rules, shared by every parser.

A parser finds the structural lines and hands the decoder byte ranges in
document order; the decoder checks every rule that the grammar does not
express and builds the entries. Because every parser (the fast scanner, the
Lark reference parser and the streaming reader) goes through this one class,
they raise the same error for the same input.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from typing import NoReturn, Protocol

from . import _native
from ._errors import BundleDecodeError, locate_in
from ._model import Entry, _new_entry
from ._syntax import (
    BOM,
    Escapes,
    LineError,
    cut,
    parse_end_line,
    parse_header_line,
    shown,
    structural_line_error,
    unescape_text,
)

__all__ = ["Decoder", "Locator", "WholeSource"]

_WHITESPACE = b" \t\r\n\x0b\x0c"
_BASE64_LINE = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_BASE64_CHARACTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


class Locator(Protocol):
    """Turns a byte offset into the position that an error reports."""

    def locate(self, offset: int) -> tuple[int, int, int, str]:
        """Return (lineno, colno, pos, line) for a byte offset."""


class WholeSource:
    """Locates offsets in a bundle that is wholly in memory."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def locate(self, offset: int) -> tuple[int, int, int, str]:
        """Return (lineno, colno, pos, line); computed only when an error is raised."""
        return locate_in(self.data, offset, lineno_base=1, pos_base=0)


def _canonical_layout(block: bytes) -> bool:
    """Whether base64 content is in lines of 76 characters, the last of 1 to 76."""
    if not block.endswith(b"\n"):
        block += b"\n"  # only at the end of a cut bundle, which fails later anyway
    full, last = divmod(len(block), 77)
    if last == 0:
        full, last = full - 1, 77
    return last >= 2 and block.count(b"\n") == full + 1 and block[76 : full * 77 : 77] == b"\n" * full


def _comment_bom_escaped(block: bytes) -> bool:
    stripped = block.lstrip(b"\\")
    return len(stripped) < len(block) and stripped.startswith(BOM)


class Decoder:
    """Checks the semantic rules in document order.

    It keeps the names and the number of the entries read, never the entries
    themselves: a streaming reader hands each one on and forgets it.
    """

    def __init__(self, source: Locator, *, strict: bool) -> None:
        self.source = source
        self.strict = strict
        self.count = 0
        self.names: set[str] = set()
        self.comment = ""
        self.ended = False
        # A byte range holds only some of the entries: it reports the END count, never checks it.
        self.check_count = True
        self.end_count: str | None = None

    def fail(self, msg: str, offset: int) -> NoReturn:
        """Raise the public error for a byte offset."""
        lineno, colno, pos, line = self.source.locate(offset)
        raise BundleDecodeError(msg, lineno=lineno, colno=colno, pos=pos, line=line)

    def line_fail(self, error: LineError, buf: bytes, line_start: int, line_end: int) -> NoReturn:
        line = buf[line_start:line_end].decode("utf-8", "surrogateescape")
        column_bytes = len(line[: error.col].encode("utf-8", "surrogateescape"))
        self.fail(error.msg, line_start + column_bytes)

    def _text(self, buf: bytes, start: int, end: int, escaped: Escapes | None = None) -> bytes:
        block = buf[start:end]
        if not block.isascii():
            try:
                block.decode("utf-8")
            except UnicodeDecodeError as error:
                self.fail(
                    f"invalid UTF-8: byte 0x{block[error.start]:02x} cannot start or continue a character"
                    " (text content must be UTF-8; binary data is written as base64)",
                    start + error.start,
                )
        if isinstance(escaped, list):  # offsets in buf, not in the block
            return unescape_text(buf, start, end, escaped=escaped) if escaped else block
        return unescape_text(block, escaped=escaped)

    def bom(self) -> None:
        """A byte order mark opens the bundle."""
        if self.strict:
            self.fail(
                "the bundle begins with a byte order mark (U+FEFF), which seedbundle never writes"
                " (read it with strict=False)",
                0,
            )

    def read_comment(self, buf: bytes, start: int, end: int) -> None:
        """The lines before the first marker."""
        block = self._text(buf, start, end)
        first = 1 if _comment_bom_escaped(block) else 0
        last = len(block) - 1 if block.endswith(b"\n") else len(block)
        # Decoding a view of the block, not a slice of it or of the text, saves two copies.
        self.comment = str(memoryview(block)[first:last], "utf-8")

    def read_entry(
        self,
        buf: bytes,
        header_start: int,
        header_end: int,
        content_start: int,
        content_end: int,
        escaped: Escapes | None = None,
    ) -> Entry:
        """A FILE marker line (``header_end`` is its LF, or the end) and its content lines.

        ``escaped`` may say where the escaped content lines are, when the
        parser found them on its way; otherwise the decoder looks.
        """
        raw = buf[header_start:header_end]
        try:
            header = parse_header_line(raw, has_newline=header_end < len(buf), strict=self.strict)
        except LineError as error:
            self.line_fail(error, buf, header_start, header_end)
        if header.name in self.names:
            self.fail(
                f"duplicate entry name {shown(header.name)}: names in a bundle are unique",
                header_start + 8,
            )
        if header.base64:
            data = self._base64(buf, content_start, content_end)
        else:
            data = self._text(buf, content_start, content_end, escaped)
            if header.noeol:
                data = self._strip_added_newline(data, header_start)
        if header.sha256 is not None and hashlib.sha256(data).hexdigest() != header.sha256:
            column = len(raw.decode("utf-8")[: header.sha256_col].encode("utf-8"))
            self.fail(
                f"sha256 mismatch for {shown(header.name)}: the data hashes to "
                f"{hashlib.sha256(data).hexdigest()[:16]}..., not {header.sha256[:16]}...",
                header_start + column,
            )
        self.count += 1
        self.names.add(header.name)
        return _new_entry(header.name, data, header.executable)

    def _strip_added_newline(self, data: bytes, header_start: int) -> bytes:
        if data.endswith(b"\n"):
            return data[:-1]
        if not data:
            self.fail("a 'noeol' entry needs at least one content line", header_start)
        # Only reachable at the end of a cut or lenient bundle: keep what is there.
        return data

    def _base64(self, buf: bytes, start: int, end: int) -> bytes:
        speedups = _native.speedups
        if speedups is not None and start < end:
            # Content in the canonical layout decodes the same in both modes;
            # anything else is declined, and decoded or explained below.
            decoded: bytes | None = speedups.b64decode(buf, start, end)
            if decoded is not None:
                return decoded
        block = buf[start:end]
        if not block:
            return b""
        if self.strict and _canonical_layout(block):
            try:
                return binascii.a2b_base64(block.replace(b"\n", b""), strict_mode=True)
            except binascii.Error:
                pass
        raw_lines = block.split(b"\n")
        if raw_lines[-1] == b"":
            raw_lines.pop()
        lines = raw_lines if self.strict else [line.removesuffix(b"\r") for line in raw_lines]
        if not self.strict:
            try:
                return binascii.a2b_base64(b"".join(lines), strict_mode=True)
            except binascii.Error:
                pass
        return self._explain_base64(raw_lines, lines, start)

    def _explain_base64(self, raw_lines: list[bytes], lines: list[bytes], start: int) -> NoReturn:
        offset = start
        last = len(lines) - 1
        for index, line in enumerate(lines):
            valid = _BASE64_LINE.match(line)
            if valid is None or valid.end() != len(line):
                column = valid.end() if valid else 0
                if b"=" in line[:column] and line[column] in _BASE64_CHARACTERS:
                    self.fail("invalid base64: data after the '=' padding", offset + column)
                self.fail(
                    f"invalid base64: byte 0x{line[column]:02x} is not a base64 character",
                    offset + column,
                )
            if b"=" in line and index != last:
                self.fail("invalid base64: '=' padding before the last line", offset + line.index(b"="))
            if self.strict and ((len(line) != 76 and index != last) or not 0 < len(line) <= 76):
                self.fail(
                    f"a base64 line must hold 76 characters (fewer only on the last line), found {len(line)}",
                    offset,
                )
            offset += len(raw_lines[index]) + 1
        try:
            binascii.a2b_base64(b"".join(lines), strict_mode=True)
        except binascii.Error as error:
            self.fail(f"invalid base64 data: {error}", offset - len(raw_lines[-1]) - 1)
        raise AssertionError("unreachable: the data decoded on the second try")  # pragma: no cover

    def read_end(self, buf: bytes, start: int, end: int) -> None:
        """The END marker line (``end`` is its LF, or the end of ``buf``)."""
        try:
            count = parse_end_line(buf[start:end], has_newline=end < len(buf), strict=self.strict)
        except LineError as error:
            self.line_fail(error, buf, start, end)
        self.end_count = count
        if self.check_count and count != str(self.count):
            self.fail(
                f"the END marker counts {cut(count)} entries but the bundle holds {self.count}:"
                " entries were lost or added",
                start + 7,
            )
        self.ended = True

    def read_epilogue(self, buf: bytes, start: int, end: int) -> None:
        """Whatever follows the END marker line."""
        if start >= end:
            return
        if self.strict:
            self.fail("text after the END marker: the END marker must be the last line", start)
        block = buf[start:end]
        rest = block.lstrip(_WHITESPACE)
        if rest:
            self.fail(
                "text after the END marker: only white space may follow it",
                start + len(block) - len(rest),
            )

    def read_structural(self, buf: bytes, start: int, end: int) -> NoReturn:
        """A line that begins with '<<<' but is neither FILE nor END."""
        error = structural_line_error(buf[start:end], has_newline=end < len(buf), strict=self.strict)
        if error is None:  # pragma: no cover - callers only pass lines that fail
            error = LineError("unexpected marker line", 0)
        self.line_fail(error, buf, start, end)

    def read_eof(self, offset: int) -> None:
        """The end of the input."""
        if not self.ended and self.strict:
            self.fail(
                "the bundle has no END marker: it is truncated"
                " (a hand-written bundle may omit it: read it with strict=False)",
                offset,
            )
