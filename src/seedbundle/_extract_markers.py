"""The structural lines of the bundle format, as models write them.

A line is exact when the format's own parser (``_syntax``) reads it.
Otherwise the variants are read: any case, spacing or colon, a heading,
list or quote prefix, bold or backticks, a quoted or annotated name, the
closers ``<<<END>>>``, ``<<<END FILE>>>`` and ``<<<END_FILE name>>>``, and
the ``<<<DELETE name>>>`` line. Each variant records what was taken off, for
the diagnostic that reports it.
"""

from __future__ import annotations

import json
import re
from typing import Literal

import attrs

from ._extract_lines import ANNOTATION, BLOCK_PREFIX, MAX_MARKER
from ._syntax import LineError, parse_end_line, parse_header_line

__all__ = ["Marker", "marker"]

_KEYWORD = re.compile(r"(FILE|DELETE|END(?:[ _-]?FILE)?|/FILE)(?![A-Za-z0-9_])", re.IGNORECASE)
_ATTRIBUTE_WORD = re.compile(r"[a-z][a-z0-9-]*(?:=\S+)?")
_FLAGS = ("noeol", "base64", "exec")


@attrs.frozen
class Marker:
    """A structural line of the bundle format, as a model may have written it.

    ``kind`` is ``file`` (a FILE header), ``delete`` (a DELETE line), ``end``
    (``<<<END n>>>``), ``closer`` (``<<<END>>>``, ``<<<END FILE x>>>`` and
    the like) or ``other`` (a line that begins with ``<<<`` but is not
    marker-like). ``exact`` is true for a line written as the format writes
    it; ``changes`` lists what was taken off to read a variant.
    """

    kind: Literal["file", "delete", "end", "closer", "other"]
    column: int
    name: str | None = None
    count: int | None = None
    attributes: tuple[str, ...] = ()
    exact: bool = False
    changes: tuple[str, ...] = ()
    cr: bool = False


def marker(line: str) -> Marker | None:
    """Read a line that may be a marker; None if it is none at all."""
    start = line.find("<<<", 0, 80)
    if start < 0 or len(line) > MAX_MARKER:
        return None
    cr = line.endswith("\r")
    text = line[:-1] if cr else line
    if start == 0 and text.startswith("<<<FILE "):
        exact = _exact_header(text, cr)
        if exact is not None:
            return exact
    if start == 0 and text.startswith("<<<END "):
        try:
            digits = parse_end_line(text.encode("utf-8", "surrogateescape"), has_newline=True, strict=True)
        except LineError:
            pass
        else:
            # More digits than any answer has files is a wrong count all the same.
            count = int(digits) if len(digits) <= 18 else 10**18
            return Marker("end", 0, count=count, exact=True, cr=cr)
    changes: list[str] = []
    if not _prefix_allowed(text[:start], changes):
        return None
    keyword = _KEYWORD.match(text, start + 3 + _spaces(text, start + 3))
    if keyword is None:
        # Only a line that begins with '<<<' is structural in the format.
        return Marker("other", 0, cr=cr) if start == 0 else None
    if text[start + 3 : keyword.start()]:
        changes.append("the space after '<<<'")
    if keyword.group() not in ("FILE", "DELETE", "END"):
        changes.append(f"the spelling {keyword.group()!r}")
    body, closed = _body(text[keyword.end() :], changes)
    word = keyword.group().upper().replace("_", " ").replace("-", " ")
    if word in ("FILE", "DELETE"):
        return _named_marker("file" if word == "FILE" else "delete", start, body, changes, cr)
    if word == "END" and body.isdigit() and closed:
        return Marker("end", start, count=int(body), changes=tuple(changes), cr=cr)
    name = _clean_name(body, changes) if body else None
    return Marker("closer", start, name=name or None, changes=tuple(changes), cr=cr)


def _exact_header(text: str, cr: bool) -> Marker | None:
    try:
        header = parse_header_line(text.encode("utf-8", "surrogateescape"), has_newline=True, strict=True)
    except LineError:
        return None
    words: list[str] = [
        word for word, on in zip(_FLAGS, (header.noeol, header.base64, header.executable), strict=True) if on
    ]
    if header.sha256 is not None:
        words.append(f"sha256={header.sha256}")
    return Marker("file", 0, name=header.name, attributes=tuple(words), exact=True, cr=cr)


def _spaces(text: str, at: int) -> int:
    return len(text) - at - len(text[at:].lstrip(" \t"))


def _prefix_allowed(prefix: str, changes: list[str]) -> bool:
    """Whether what precedes '<<<' is decoration: indentation, a quote, a heading or list mark, bold."""
    if not prefix:
        return True
    rest = prefix.lstrip(" \t")
    if len(rest) != len(prefix):
        changes.append("the indentation")
    if rest.startswith(">"):
        rest = rest.lstrip(" \t>")
        changes.append("the '> ' quote")
    block = BLOCK_PREFIX.match(rest)
    if block is not None:
        changes.append(f"the {block.group().strip()!r} prefix")
        rest = rest[block.end() :]
    for wrapper in ("**", "__", "`", "*"):
        if rest == wrapper:
            changes.append(f"the {wrapper!r} around the marker")
            return True
    return not rest


def _body(text: str, changes: list[str]) -> tuple[str, bool]:
    """What follows the keyword, up to '>>>'; and whether '>>>' was there."""
    body = text.rstrip(" \t")
    for wrapper in ("**", "__", "`", "*"):
        if body.endswith(">>>" + wrapper):
            body = body[: -len(wrapper)]
            break
    first = body.find(">>>")
    if 0 <= first < len(body) - 3 and not body.lstrip(" \t:").startswith('"'):
        changes.append(f"the text after '>>>' ({body[first + 3 :].strip()!r})")
        body = body[: first + 3]
    closed = body.endswith(">>>")
    if closed:
        body = body[:-3]
    else:
        changes.append("a missing '>>>'")
    if body.lstrip(" \t").startswith(":"):
        changes.append("the ':'")
        body = " " + body.lstrip(" \t")[1:].lstrip(" \t")
    stripped = body.strip(" \t")
    if stripped and body != " " + stripped:
        changes.append("the spacing")
    return stripped, closed


def _named_marker(
    kind: Literal["file", "delete"], column: int, body: str, changes: list[str], cr: bool
) -> Marker:
    name, rest = _split_name(body, changes)
    attributes: list[str] = []
    for word in rest.split():
        if _ATTRIBUTE_WORD.fullmatch(word):
            attributes.append(word)
        else:
            changes.append(f"the annotation {word!r}")
    known = all(word in _FLAGS or word.startswith("sha256=") for word in attributes)
    if not changes and known and kind == "file":
        # Nothing else explains why the line is not exact: a name that needs quoting, say.
        changes.append("the form of the line")
    return Marker(kind, column, name=name, attributes=tuple(attributes), changes=tuple(changes), cr=cr)


def _split_name(body: str, changes: list[str]) -> tuple[str, str]:
    """Split a header's text into the name and what follows it (attributes, annotations)."""
    annotation = ANNOTATION.search(body)
    if annotation is not None:
        changes.append(f"the annotation {annotation.group().strip()!r}")
        body = body[: annotation.start()]
    if body.startswith('"'):
        try:
            name, end = json.JSONDecoder().raw_decode(body)
        except ValueError:
            pass
        else:
            if isinstance(name, str):
                return name, body[end:]
    for quote in ("**", "`", "'", '"'):
        if body.startswith(quote):
            end = body.find(quote, len(quote))
            if end > len(quote):
                changes.append(f"the {quote!r} around the name")
                return body[len(quote) : end], body[end + len(quote) :]
    words = body.split(" ")
    rest: list[str] = []
    while len(words) > 1 and (words[-1] in _FLAGS or words[-1].startswith("sha256=")):
        rest.insert(0, words.pop())
    while len(words) > 1 and _ATTRIBUTE_WORD.fullmatch(words[-1]) and "=" in words[-1]:
        rest.insert(0, words.pop())
    return _clean_name(" ".join(words), changes), " ".join(rest)


def _clean_name(name: str, changes: list[str]) -> str:
    """Take quotes, backticks and bold off a name."""
    for _ in range(3):
        stripped = name.strip(" \t")
        for quote in ("**", "__", "`", "'", '"'):
            if len(stripped) > 2 * len(quote) and stripped.startswith(quote) and stripped.endswith(quote):
                changes.append(f"the {quote!r} around the name")
                stripped = stripped[len(quote) : -len(quote)]
                break
        if stripped == name:
            break
        name = stripped
    return name
