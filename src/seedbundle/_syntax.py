"""The syntax of one structural line, shared by every parser and the writer.

The character classes come from the terminals of ``grammar.lark`` itself, so
the hand-written scanner and the Lark parser cannot drift apart on what a
name or an attribute may hold.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from importlib import resources

import attrs

from . import _native

__all__ = [
    "BOM",
    "HIDDEN_CHARACTERS",
    "KEPT_ESCAPES",
    "Escapes",
    "Header",
    "LineError",
    "cut",
    "encode_name",
    "escape_text",
    "grammar_text",
    "parse_end_line",
    "parse_header_line",
    "render_header",
    "shown",
    "structural_line_error",
    "unescape_text",
]

BOM = "\ufeff".encode()

# How many characters of a piece of input (a name, a marker, a count) a
# message repeats: the input may be a 16 MB name, the message stays short.
_SHOWN = 80

CRLF_MESSAGE = (
    "structural lines end in CRLF: the bundle was converted to Windows line endings"
    " (read it with strict=False)"
)


class LineError(Exception):
    """A problem in one line: a message and a 0-based character column."""

    def __init__(self, msg: str, col: int) -> None:
        super().__init__(msg)
        self.msg = msg
        self.col = col


@functools.cache
def grammar_text() -> str:
    """The text of the normative grammar, loaded from the package."""
    return resources.files("seedbundle").joinpath("grammar.lark").read_text(encoding="utf-8")


def _terminal(name: str) -> str:
    match = re.search(rf"^{name}(?:\.\d+)?: /(.*)/$", grammar_text(), re.MULTILINE)
    if match is None:  # pragma: no cover - the shipped grammar defines them all
        raise RuntimeError(f"grammar.lark defines no terminal {name}")
    return match.group(1)


def _possessive(pattern: str) -> str:
    """``pattern`` with each repeated group made possessive: ``(...)*`` becomes ``(...)*+``.

    Python's re records a backtracking point for every repetition of a group,
    so a 16 MB quoted name or run of attributes cost gigabytes; a possessive
    repetition records none. It matches exactly the same strings here: each
    repeated group begins with a character that what follows the repetition
    cannot begin with, so giving a repetition back never lets the rest match.
    """
    if ")*" not in pattern:  # pragma: no cover - a guard against a reshaped grammar
        raise RuntimeError(f"no repeated group in {pattern!r}")
    return pattern.replace(")*", ")*+")


_BARE = re.compile(_terminal("BARE_NAME"))
_QUOTED = re.compile(_possessive(_terminal("QUOTED_NAME")))
# The opening quote and the longest valid run of characters and escapes after it.
_QUOTED_PREFIX = re.compile(_QUOTED.pattern.removesuffix('"'))
_ATTRIBUTE = re.compile(_terminal("ATTRIBUTE"))
_ATTRIBUTES = re.compile(_possessive(rf"(?: (?:{_ATTRIBUTE.pattern}))*"))
_COUNT = re.compile(_terminal("COUNT"))
_HEADER = re.compile(
    rf"<<<FILE (?:(?P<bare>{_BARE.pattern})|(?P<quoted>{_QUOTED.pattern}))"
    rf"(?P<attrs>{_ATTRIBUTES.pattern})>>>(?P<cr>\r?)"
)
_END = re.compile(rf"<<<END (?P<count>{_COUNT.pattern})>>>(?P<cr>\r?)")

# Characters that hide what a name really is: the C0 and C1 controls, and
# invisible and bidirectional formatting characters. A quoted name shows them
# as \\uXXXX (with the quote and the backslash, which JSON requires), and
# unpack refuses them in a path (_names). An explicit list keeps both
# independent of the Python and Unicode versions. The body of a [] class.
HIDDEN_CHARACTERS = (
    "\x00-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
_ESCAPED = re.compile(f'[{HIDDEN_CHARACTERS}"\\\\]')
_SHORT_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_SHA256_VALUE = re.compile(r"[0-9a-f]{64}")


def cut(text: str) -> str:
    """``text`` if it is short, else its first characters and '...'."""
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def shown(text: str) -> str:
    """A piece of input as a message quotes it: its repr, cut to about 80 characters."""
    return repr(cut(text))


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def encode_name(name: str) -> str:
    """Write a name bare when every character is safe, else as a quoted string."""
    if _BARE.fullmatch(name):
        return name
    return '"' + _ESCAPED.sub(_escape_char, name) + '"'


@attrs.frozen
class Header:
    """What a FILE marker line says about its entry."""

    name: str
    base64: bool = False
    noeol: bool = False
    executable: bool = False
    sha256: str | None = None
    sha256_col: int = 0


def render_header(name: str, *, base64: bool, noeol: bool, executable: bool, sha256: str | None) -> str:
    """The canonical FILE marker line, without its LF."""
    parts = ["<<<FILE ", encode_name(name)]
    if base64:
        parts.append(" base64")
    if noeol:
        parts.append(" noeol")
    if executable:
        parts.append(" exec")
    if sha256 is not None:
        parts.append(f" sha256={sha256}")
    parts.append(">>>")
    return "".join(parts)


def _decode_line(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        col = len(raw[: error.start].decode("utf-8"))
        raise LineError(
            f"invalid UTF-8: byte 0x{raw[error.start]:02x} cannot start or continue a character",
            col,
        ) from None


def parse_header_line(raw: bytes, *, has_newline: bool, strict: bool) -> Header:
    """Parse one FILE marker line (without its LF), checking every rule.

    Raises LineError for the leftmost problem in the line.
    """
    line = _decode_line(raw)
    match = _HEADER.fullmatch(line)
    if match is None:
        raise _diagnose_header(line)
    quoted = match.group("quoted")
    name_col = match.start("bare") if quoted is None else match.start("quoted")
    name = match.group("bare") if quoted is None else _decode_quoted(quoted, name_col)
    header = _parse_attributes(name, line, match.start("attrs"), match.end("attrs"))
    if strict and match.group("cr"):
        raise LineError(CRLF_MESSAGE, len(line) - 1)
    if not has_newline:
        # Even a lenient reader refuses a cut FILE line: it may have lost attributes.
        raise LineError("the FILE marker line has no final LF: the bundle is truncated", len(line))
    return header


def _decode_quoted(token: str, col: int) -> str:
    name: str = json.loads(token)
    if not name:
        raise LineError("an entry name must not be empty", col)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise LineError(
            "the quoted name escapes an unpaired surrogate, which UTF-8 cannot encode", col
        ) from None
    return name


def _parse_attributes(name: str, line: str, start: int, stop: int) -> Header:
    """Check the attributes in ``line[start:stop]``, a well-formed run of ' ' and an attribute.

    Four attributes exist and none may repeat, so the fifth at the latest is
    an error: however long the run, at most five words are looked at.
    """
    values: dict[str, str | None] = {}
    sha_col = 0
    position = start
    while position < stop:
        position += 1
        end = line.find(" ", position, stop)
        word = line[position : stop if end < 0 else end]
        key, sep, value = word.partition("=")
        if key in values:
            raise LineError(f"the attribute {key!r} is given twice", position)
        if key not in ("noeol", "base64", "exec", "sha256"):
            raise LineError(
                f"unknown attribute {shown(word)}: expected noeol, base64, exec or sha256=<hex>",
                position,
            )
        if key == "sha256":
            if not _SHA256_VALUE.fullmatch(value):
                raise LineError("sha256= needs 64 lowercase hexadecimal digits", position)
            sha_col = position
        elif sep:
            raise LineError(f"the attribute {key!r} takes no value", position)
        if (key == "noeol" and "base64" in values) or (key == "base64" and "noeol" in values):
            raise LineError("'noeol' and 'base64' cannot be combined: base64 data has no line ends", position)
        values[key] = value if sep else None
        position += len(word)
    return Header(
        name=name,
        base64="base64" in values,
        noeol="noeol" in values,
        executable="exec" in values,
        sha256=values.get("sha256"),
        sha256_col=sha_col,
    )


def parse_end_line(raw: bytes, *, has_newline: bool, strict: bool) -> str:
    """Parse the END marker line (without its LF) and return its count, as its digits.

    The digits are compared, never converted: int() refuses more than 4,300
    of them, and a count that long cannot match anyway.
    """
    line = _decode_line(raw)
    match = _END.fullmatch(line)
    if match is None:
        raise _diagnose_end(line)
    if strict and match.group("cr"):
        raise LineError(CRLF_MESSAGE, len(line) - 1)
    if strict and not has_newline:
        raise LineError("the END marker line has no final LF: the bundle is truncated", len(line))
    return match.group("count")


def structural_line_error(raw: bytes, *, has_newline: bool, strict: bool) -> LineError | None:
    """The problem with a line that begins with '<<<', or None if it is well formed."""
    try:
        if raw.startswith(b"<<<FILE "):
            parse_header_line(raw, has_newline=has_newline, strict=strict)
        elif raw.startswith(b"<<<END "):
            parse_end_line(raw, has_newline=has_newline, strict=strict)
        else:
            return _unknown_marker(_decode_line(raw))
    except LineError as error:
        return error
    return None


def _unknown_marker(line: str) -> LineError:
    end = line.find(">>>")
    shown = line[: end + 3] if 0 <= end < 40 else line[:40] + ("..." if len(line) > 40 else "")
    return LineError(
        f"unknown marker {shown!r}: a line that begins with '<<<' must be a FILE or END marker",
        0,
    )


def _describe(line: str, col: int) -> str:
    if col >= len(line):
        return "the end of the line"
    char = line[col]
    if char.isprintable() and char != " ":
        return repr(char)
    return f"U+{ord(char):04X}"


def _diagnose_header(line: str) -> LineError:
    col = len("<<<FILE ")
    if line.startswith('"', col):
        col = _diagnose_quoted(line, col)
    else:
        match = _BARE.match(line, col)
        if match is None:
            if col >= len(line) or line[col] in " >":
                return LineError("expected a name after '<<<FILE '", col)
            return LineError(
                f"{_describe(line, col)} cannot start a bare name: write the name as a quoted string",
                col,
            )
        col = match.end()
        if col < len(line) and line[col] not in " >\r":
            return LineError(
                f"{_describe(line, col)} is not allowed in a bare name: write the name as a quoted string",
                col,
            )
    # One match skips every well-formed attribute, however many there are.
    col = _match(_ATTRIBUTES, line, col).end()
    if line.startswith(" ", col):
        col += 1
        return LineError(f"expected an attribute after the space, found {_describe(line, col)}", col)
    if not line.startswith(">>>", col):
        return LineError(f"expected ' ' or '>>>' after the name, found {_describe(line, col)}", col)
    col += 3
    return LineError(f"expected the end of the line after '>>>', found {_describe(line, col)}", col)


def _match(pattern: re.Pattern[str], line: str, col: int) -> re.Match[str]:
    match = pattern.match(line, col)
    if match is None:  # pragma: no cover - callers pass patterns that match the empty string there
        raise AssertionError(f"{pattern.pattern!r} did not match at {col}")
    return match


def _diagnose_quoted(line: str, start: int) -> int:
    """Return where the quoted name at ``start`` ends, or raise for the problem in it."""
    # The valid run stops at the closing quote, an invalid escape, a control
    # character or the end of the line: one match instead of a step per character.
    col = _match(_QUOTED_PREFIX, line, start).end()
    if col == len(line):
        raise LineError("the quoted name has no closing '\"'", start)
    char = line[col]
    if char == '"':
        return col + 1
    if char == "\\":
        raise LineError(f"invalid escape {line[col : col + 2]!r} in a quoted name", col)
    raise LineError(f"the control character U+{ord(char):04X} must be escaped in a quoted name", col)


def _diagnose_end(line: str) -> LineError:
    col = len("<<<END ")
    match = _COUNT.match(line, col)
    if match is None:
        return LineError(f"expected the entry count after '<<<END ', found {_describe(line, col)}", col)
    col = match.end()
    if not line.startswith(">>>", col):
        return LineError(f"expected '>>>' after the entry count, found {_describe(line, col)}", col)
    col += 3
    return LineError(f"expected the end of the line after '>>>', found {_describe(line, col)}", col)


# -- escaping of content lines -------------------------------------------

# Where the escaped lines of a block are: the offsets of their first bytes,
# or, for a block with more than KEPT_ESCAPES of them, only their number.
# Joining the pieces around a few offsets runs at memory speed; keeping an
# offset and a piece for each of millions of '\<<<' lines would cost about
# 80 bytes a line, so such a block is unescaped without them.
Escapes = list[int] | int
KEPT_ESCAPES = 1024


def _escaped_line_starts(data: bytes, extra: int, start: int = 0, stop: int | None = None) -> Iterator[int]:
    """Starts of the lines in ``data[start:stop]`` that begin with ``extra`` or more ``\\``, then '<<<'.

    ``start`` must be a line start. Only a line's first '<<<' can make it
    one, so the search then skips to the next line.
    """
    stop = len(data) if stop is None else stop
    found = data.find(b"<<<", start, stop)
    while found >= 0:
        line_start = data.rfind(b"\n", start, found) + 1 or start
        if found - line_start >= extra and data.count(b"\\", line_start, found) == found - line_start:
            yield line_start
        next_line = data.find(b"\n", found, stop)
        if next_line < 0:
            break
        found = data.find(b"<<<", next_line, stop)


def escape_text(block: bytes) -> bytes:
    """Give every line that begins with ``\\``* then ``<<<`` one more backslash."""
    speedups = _native.speedups
    if speedups is not None:
        escaped: bytes | None = speedups.escape(block)
        if escaped is not None:
            return escaped
    parts: list[bytes] = []
    last = 0
    for start in _escaped_line_starts(block, 0):
        parts += (block[last:start], b"\\")
        last = start
    if not parts:
        return block
    parts.append(block[last:])
    return b"".join(parts)


def _find_escapes(data: bytes, start: int, stop: int) -> Escapes:
    if data.find(b"\\<<<", start, stop) < 0:
        return []
    offsets: list[int] = []
    count = 0
    for line_start in _escaped_line_starts(data, 1, start, stop):
        count += 1
        if count <= KEPT_ESCAPES:
            offsets.append(line_start)
    return offsets if count <= KEPT_ESCAPES else count


def unescape_text(
    data: bytes, start: int = 0, stop: int | None = None, escaped: Escapes | None = None
) -> bytes:
    """``data[start:stop]`` with one backslash taken off every line that begins with ``\\``+ then ``<<<``.

    ``start`` must be a line start. ``escaped`` says where those lines are,
    if the caller has found them: offsets in ``data``, or their number.
    """
    stop = len(data) if stop is None else stop
    if escaped is None:
        escaped = _find_escapes(data, start, stop)
    if not escaped:
        return data[start:stop]
    if isinstance(escaped, list):
        parts: list[bytes] = []
        for offset in escaped:
            parts.append(data[start:offset])
            start = offset + 1
        parts.append(data[start:stop])
        return b"".join(parts)
    if data.count(b"\\<<<", start, stop) == escaped:
        # Then each '\<<<' is where an escaped line's backslashes meet its
        # '<<<'. The backslashes of a line are all alike, so dropping the last
        # one instead of the first gives the same line.
        return data[start:stop].replace(b"\\<<<", b"<<<")
    # Some '\<<<' is inside a line: copy around the first byte of each escaped
    # line, into a buffer of the final size, so that it never grows.
    out = bytearray(stop - start - escaped)
    view = memoryview(data)
    last, written = start, 0
    for line_start in _escaped_line_starts(data, 1, start, stop):
        out[written : written + line_start - last] = view[last:line_start]
        written += line_start - last
        last = line_start + 1
    out[written:] = view[last:stop]
    return bytes(out)
