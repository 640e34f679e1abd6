"""The writer: turns entries into canonical bundle bytes."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

from ._model import Bundle, Entry, _is_text
from ._syntax import BOM, escape_text, render_header

__all__ = ["encode_comment", "encode_end", "encode_entry", "iter_encode"]


def encode_comment(comment: str) -> bytes:
    """The comment block: the comment, escaped, plus one LF."""
    if not comment:
        return b""
    block = escape_text(comment.encode("utf-8") + b"\n")
    # A comment that begins with U+FEFF would read as a byte order mark, so
    # the first line takes one more backslash, exactly as a '<<<' line would.
    if block.lstrip(b"\\").startswith(BOM):
        block = b"\\" + block
    return block


def encode_entry(entry: Entry, *, sha256: bool = False) -> tuple[bytes, ...]:
    """The pieces of one entry: its FILE marker line (with its LF), then its content.

    A ``noeol`` entry gets its added LF as a piece of its own, so that the
    data is never copied just to append one byte.
    """
    data = entry.data
    digest = hashlib.sha256(data).hexdigest() if sha256 else None
    if not _is_text(data):
        header = render_header(
            entry.name, base64=True, noeol=False, executable=entry.executable, sha256=digest
        )
        return header.encode("utf-8") + b"\n", base64.encodebytes(data)
    noeol = bool(data) and not data.endswith(b"\n")
    header = render_header(entry.name, base64=False, noeol=noeol, executable=entry.executable, sha256=digest)
    line = header.encode("utf-8") + b"\n"
    body = escape_text(data)
    return (line, body, b"\n") if noeol else (line, body)


def encode_end(count: int) -> bytes:
    """The END marker line with its LF."""
    return b"<<<END %d>>>\n" % count


def iter_encode(bundle: Bundle, *, sha256: bool = False) -> Iterator[bytes]:
    """The canonical bytes of a bundle, in pieces."""
    yield encode_comment(bundle.comment)
    for entry in bundle.entries:
        yield from encode_entry(entry, sha256=sha256)
    yield encode_end(len(bundle.entries))
