"""The fast parser: finds structural lines with bytes.find, never line by line.

It accepts exactly what ``grammar.lark`` accepts plus the semantic rules of
the decoder; ``tests/property/test_differential.py`` checks it against the
Lark reference parser on generated valid and broken bundles.
"""

from __future__ import annotations

from ._decoder import BOM, Decoder, WholeSource
from ._model import Bundle

__all__ = ["scan"]


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
    while position < size:
        line_end = data.find(b"\n", position)
        if line_end < 0:
            line_end = size
        if data.startswith(b"<<<FILE ", position):
            found = data.find(b"\n<<<", line_end)
            content_end = size if found < 0 else found + 1
            decoder.read_entry(data, position, line_end, min(line_end + 1, size), content_end)
            position = content_end
        elif data.startswith(b"<<<END ", position):
            decoder.read_end(data, position, line_end)
            decoder.read_epilogue(data, min(line_end + 1, size), size)
            return decoder.bundle()
        else:
            decoder.read_structural(data, position, line_end)
    decoder.read_eof(size)
    return decoder.bundle()
