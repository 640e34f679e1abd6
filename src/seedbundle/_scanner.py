"""The fast parser: finds structural lines with bytes.find, never line by line.

It accepts exactly what ``grammar.lark`` accepts plus the semantic rules of
the decoder; the differential property tests check it against the Lark
reference parser on generated valid and broken bundles. The streaming reader
runs the same loop over windows of its input.
"""

from __future__ import annotations

import re

from . import _native
from ._decoder import Decoder, WholeSource
from ._model import Bundle, Entry, _new_bundle, _new_entry
from ._syntax import BOM, KEPT_ESCAPES, Escapes, unescape_text

__all__ = ["scan", "scan_entries", "start_of_entries"]

# The common FILE line: a bare ASCII name and no attribute but noeol. Such an
# entry whose content is valid UTF-8 and whose name is new needs none of the
# decoder's other checks, so the loop below builds it itself; every other
# entry, and every error, goes through the decoder. The C accelerator reads
# runs of such entries (and of a few more kinds) before the loop does; it
# stops at anything else, which the loop then reads as it always does.
_PLAIN_HEADER = re.compile(rb"<<<FILE ([!#-;=?-\[\]-~]+)( noeol)?>>>\n")


def _content(data: bytes, after: int, size: int) -> tuple[int, Escapes]:
    """Find where the content after the LF at ``after`` ends, by ``size`` at the latest, and its escaped lines.

    A '<<<' at the start of a line is the next structural line: the content
    ends there. After a run of backslashes that starts its line, it makes an
    escaped content line, whose start is collected. Anywhere else it is text,
    and so is the rest of its line: the search skips to the next line, so
    that a line of a million '<' costs two searches, not a third of a million.
    """
    find = data.find
    offsets: list[int] = []
    count = 0
    previous = after
    found = find(b"<<<", after, size)
    while found >= 0:
        before = data[found - 1]
        if before == 0x0A:  # at a line start: the next structural line
            return found, offsets if count <= KEPT_ESCAPES else count
        if before == 0x5C:  # after a backslash: escaped if only backslashes start the line
            # No LF since the previous hit (an escaped line's): the same line, so text.
            line_start = data.rfind(b"\n", previous, found) + 1
            if line_start and data.count(b"\\", line_start, found) == found - line_start:
                count += 1
                if count <= KEPT_ESCAPES:
                    offsets.append(line_start)
                previous = found
                found = find(b"<<<", found + 3, size)
                continue
        previous = find(b"\n", found + 3, size)
        if previous < 0:
            break
        found = find(b"<<<", previous, size)
    return size, offsets if count <= KEPT_ESCAPES else count


def start_of_entries(decoder: Decoder, data: bytes) -> int:
    """Read a leading byte order mark and the comment; return where the first marker starts.

    ``data`` must hold at least the first structural line's '<<<', or the
    whole input.
    """
    position = 0
    if data.startswith(BOM):
        decoder.bom()
        position = len(BOM)
    if data.startswith(b"<<<", position):
        return position
    found = data.find(b"\n<<<", position)
    first = len(data) if found < 0 else found + 1
    decoder.read_comment(data, position, first)
    return first


def scan_entries(
    decoder: Decoder,
    data: bytes,
    position: int,
    entries: list[Entry],
    starts: list[int] | None = None,
    stop: int | None = None,
) -> int:
    """Read the entries of ``data[position:stop]``, appending them to ``entries``.

    ``position`` must be a line start, and ``stop`` (by default the end of
    ``data``) the end of the input or the start of a structural line. If
    ``starts`` is given, the offset of each entry's FILE line is appended to
    it. Returns the offset of the END marker, or ``stop`` if there is none.
    """
    size = len(data) if stop is None else stop
    plain = _PLAIN_HEADER.match
    names = decoder.names
    append = entries.append
    speedups = _native.speedups
    while position < size:
        if speedups is not None:
            read = len(entries)
            position = speedups.scan_plain(data, position, size, names, entries, starts, Entry)
            decoder.count += len(entries) - read
            if position >= size:
                break
        if starts is not None:
            starts.append(position)
        match = plain(data, position, size)
        if match is not None:
            content_start = match.end()
            content_end, escaped = _content(data, content_start - 1, size)
            name = match.group(1).decode("ascii")
            stop = content_end
            if match.lastindex == 2:
                # noeol drops the LF of the last line; if there is none, the decoder explains.
                has_lf = content_end > content_start and data[content_end - 1] == 0x0A
                stop = content_end - 1 if has_lf else -1
            if stop >= content_start and name not in names:
                block = unescape_text(data, content_start, stop, escaped)
                if block.isascii() or _is_utf8(block):
                    names.add(name)
                    decoder.count += 1
                    append(_new_entry(name, block, False))
                    position = content_end
                    continue
            append(decoder.read_entry(data, position, content_start - 1, content_start, content_end, escaped))
            position = content_end
            continue
        line_end = data.find(b"\n", position, size)
        if line_end < 0:
            line_end = size
        if data.startswith(b"<<<FILE ", position):
            content_end, escaped = _content(data, line_end, size)
            append(
                decoder.read_entry(data, position, line_end, min(line_end + 1, size), content_end, escaped)
            )
            position = content_end
        elif data.startswith(b"<<<END ", position):
            if starts is not None:
                starts.pop()
            return position
        else:
            decoder.read_structural(data, position, line_end)
    return size


def _is_utf8(block: bytes) -> bool:
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def scan(data: bytes, *, strict: bool) -> Bundle:
    """Parse a whole bundle held in memory."""
    decoder = Decoder(WholeSource(data), strict=strict)
    entries: list[Entry] = []
    position = scan_entries(decoder, data, start_of_entries(decoder, data), entries)
    size = len(data)
    if position < size:
        line_end = data.find(b"\n", position)
        line_end = size if line_end < 0 else line_end
        decoder.read_end(data, position, line_end)
        decoder.read_epilogue(data, min(line_end + 1, size), size)
    else:
        decoder.read_eof(size)
    return _new_bundle(entries, decoder.comment)
