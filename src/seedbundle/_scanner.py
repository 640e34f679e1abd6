"""The fast parser: finds structural lines with bytes.find, never line by line.

It accepts exactly what ``grammar.lark`` accepts plus the semantic rules of
the decoder; ``tests/property/test_differential.py`` checks it against the
Lark reference parser on generated valid and broken bundles.
"""

from __future__ import annotations

import re

from ._decoder import BOM, Decoder, WholeSource, drop_bytes_at
from ._model import Bundle, _new_entry

__all__ = ["scan"]

# The common FILE line: a bare ASCII name and no attribute. Entries that
# match it, have ASCII content and a new name need none of the decoder's
# other checks, so the scanner builds them itself; any other entry (and any
# error) goes through the decoder.
_PLAIN_HEADER = re.compile(rb"<<<FILE ([!#-;=?-\[\]-~]+)>>>\n")


def _content(data: bytes, after: int) -> tuple[int, list[int]]:
    """Find where the content starting after offset ``after`` ends, in one pass.

    Every '<<<' from ``after`` on is either mid-line (content), at the start
    of a line (the next structural line: the content ends there), or after a
    run of backslashes that starts the line (an escaped content line, whose
    start is collected). One search for '<<<' thus finds the end of the
    content and its escapes, instead of one search for each.
    """
    find = data.find
    escaped: list[int] = []
    previous = after
    found = find(b"<<<", after)
    while found >= 0:
        line_start = data.rfind(b"\n", previous, found) + 1
        # No LF since the previous hit: same line as it, so not a line start.
        if line_start:
            if line_start == found:
                return found, escaped
            if data.count(b"\\", line_start, found) == found - line_start:
                escaped.append(line_start)
        previous = found
        found = find(b"<<<", found + 3)
    return len(data), escaped


def scan(data: bytes, *, strict: bool) -> Bundle:
    """Parse a whole bundle held in memory."""
    decoder = Decoder(WholeSource(data), strict=strict)
    size = len(data)
    position = 0
    if data.startswith(BOM):
        decoder.bom()
        position = len(BOM)
    if data.startswith(b"<<<", position):
        first = position
    else:
        found = data.find(b"\n<<<", position)
        first = size if found < 0 else found + 1
        decoder.read_comment(data, position, first)
    position = first
    plain = _PLAIN_HEADER.match
    entries = decoder.entries
    names = decoder.names
    while position < size:
        match = plain(data, position)
        if match is not None:
            content_start = match.end()
            content_end, escaped = _content(data, content_start - 1)
            name = match.group(1).decode("ascii")
            block = data[content_start:content_end]
            if block.isascii() and name not in names:
                entries.append(_new_entry(name, drop_bytes_at(block, escaped, content_start), False))
                names.add(name)
            else:
                decoder.read_entry(data, position, content_start - 1, content_start, content_end, escaped)
            position = content_end
            continue
        line_end = data.find(b"\n", position)
        if line_end < 0:
            line_end = size
        if data.startswith(b"<<<FILE ", position):
            content_end, escaped = _content(data, line_end)
            decoder.read_entry(data, position, line_end, min(line_end + 1, size), content_end, escaped)
            position = content_end
        elif data.startswith(b"<<<END ", position):
            decoder.read_end(data, position, line_end)
            decoder.read_epilogue(data, min(line_end + 1, size), size)
            return decoder.bundle()
        else:
            decoder.read_structural(data, position, line_end)
    decoder.read_eof(size)
    return decoder.bundle()
