"""The writer: turns entries into canonical bundle bytes.

An entry whose data is in memory is encoded by [`encode_entry`][encode_entry]. One
whose data arrives in chunks (a file larger than memory) takes two passes:
a [`Survey`][Survey] of the chunks decides the header, then a [`TextBody`][TextBody]
or [`Base64Body`][Base64Body] encodes the chunks again into exactly the bytes that
``encode_entry`` gives for the whole data.
"""

from __future__ import annotations

import binascii
import codecs
import hashlib
import re
from collections.abc import Generator, Iterator

from . import _native
from ._model import Bundle, Entry, _is_text
from ._syntax import BOM, escape_text, render_header

__all__ = [
    "Base64Body",
    "Survey",
    "TextBody",
    "encode_base64",
    "encode_comment",
    "encode_end",
    "encode_entry",
    "encode_header",
    "encode_text",
    "iter_encode",
]


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
    speedups = _native.speedups
    if speedups is not None:
        pieces: tuple[bytes, ...] | None = speedups.encode_entry(entry.name, data, entry.executable, digest)
        if pieces is not None:
            return pieces
    if not _is_text(data):
        header = render_header(
            entry.name, base64=True, noeol=False, executable=entry.executable, sha256=digest
        )
        return header.encode("utf-8") + b"\n", encode_base64(data)
    noeol = bool(data) and not data.endswith(b"\n")
    header = render_header(entry.name, base64=False, noeol=noeol, executable=entry.executable, sha256=digest)
    line = header.encode("utf-8") + b"\n"
    body = escape_text(data)
    return (line, body, b"\n") if noeol else (line, body)


def encode_header(name: str, survey: Survey, *, executable: bool, sha256: bool) -> bytes:
    """The FILE marker line, with its LF, of an entry whose data ``survey`` has seen."""
    header = render_header(
        name,
        base64=not survey.is_text,
        noeol=survey.noeol,
        executable=executable,
        sha256=survey.digest if sha256 else None,
    )
    return header.encode("utf-8") + b"\n"


class Survey:
    """The first pass over an entry's data, a chunk at a time: what its header needs.

    The data is text if it is valid UTF-8 (a character may be cut between two
    chunks) and holds no NUL byte, as for [`Entry.is_text`][Entry.is_text]. The SHA-256
    of the data is taken on the way, for the header, unless ``digest`` is false.
    """

    def __init__(self, *, digest: bool = True) -> None:
        self.size = 0
        self._hash = hashlib.sha256() if digest else None  # without it, `digest` is not asked for
        self._utf8: codecs.IncrementalDecoder | None = codecs.getincrementaldecoder("utf-8")()
        self._last = b""
        # With the accelerator, the UTF-8 check is its state instead of the
        # decoder's: -1 once the data is not text, 0 at a character boundary.
        # Chosen once, so that one survey never mixes the two.
        self._speedups = _native.speedups
        self._state = 0

    def add(self, chunk: bytes) -> None:
        """Take in the next chunk of the data."""
        if not chunk:
            return
        self.size += len(chunk)
        if self._hash is not None:
            self._hash.update(chunk)
        self._last = chunk[-1:]
        if self._utf8 is None:
            return
        if self._speedups is not None:
            state: int | None = self._speedups.text_state(chunk, self._state)
            if state is not None:
                self._state = state
                if state < 0:
                    self._utf8 = None
                return
        if b"\x00" in chunk:
            self._utf8 = None
        elif not (chunk.isascii() and not self._utf8.getstate()[0]):
            try:
                self._utf8.decode(chunk)
            except UnicodeDecodeError:
                self._utf8 = None

    @property
    def is_text(self) -> bool:
        """Whether the data seen so far is stored as text, if it ends here."""
        if self._utf8 is None:
            return False
        if self._state:
            return False  # a character cut off at the end is not UTF-8
        return not self._utf8.getstate()[0]

    @property
    def is_binary(self) -> bool:
        """Whether the data is stored as base64 whatever follows: a NUL or invalid UTF-8 was seen."""
        return self._utf8 is None

    @property
    def noeol(self) -> bool:
        """Whether the data is text that does not end in LF, so its entry gets ``noeol``."""
        return self.is_text and self._last not in (b"", b"\n")

    @property
    def digest(self) -> str:
        """The SHA-256 of the data seen so far, in hex."""
        assert self._hash is not None, "a Survey(digest=False) takes no SHA-256"
        return self._hash.hexdigest()


_BACKSLASHES = re.compile(rb"\\*")
_RUN = 1 << 20  # the longest run of one byte handed on in one piece


def _repeat(byte: bytes, count: int) -> Iterator[bytes]:
    while count > 0:
        yield byte * min(count, _RUN)
        count -= _RUN


class TextBody:
    """Escapes text that arrives in chunks exactly as ``escape_text`` escapes it whole.

    A line that begins with backslashes, then ``<<<``, gets one more
    backslash. Where a chunk ends inside such a beginning, what it holds so
    far (only backslashes and up to two ``<``) is kept as counts, not bytes,
    until the next chunk decides it; a line of nothing but backslashes costs
    no memory.
    """

    def __init__(self, *, noeol: bool) -> None:
        self._noeol = noeol
        # While the start of the current line is undecided: its backslashes and its '<'s.
        self._start: tuple[int, int] | None = (0, 0)

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        """The encoded pieces of the next chunk; some may wait for later chunks."""
        position = 0
        if self._start is not None:
            position = yield from self._line_start(chunk, 0)
            if self._start is not None:
                return
        first = chunk.find(b"\n", position)
        if first < 0:
            yield chunk[position:] if position else chunk
            return
        last = chunk.rfind(b"\n") + 1
        yield chunk[position : first + 1]
        yield escape_text(chunk[first + 1 : last])
        self._start = (0, 0)
        position = yield from self._line_start(chunk, last)
        if self._start is None and position < len(chunk):
            yield chunk[position:]

    def _line_start(self, chunk: bytes, position: int) -> Generator[bytes, None, int]:
        """Read on at the start of a line from ``position``; the position after what was decided."""
        assert self._start is not None
        backslashes, angles = self._start
        if angles == 0:
            end = _BACKSLASHES.match(chunk, position)
            assert end is not None
            backslashes += end.end() - position
            position = end.end()
        while angles < 3 and position < len(chunk) and chunk[position] == 0x3C:  # '<'
            angles += 1
            position += 1
        if angles < 3 and position == len(chunk):
            self._start = (backslashes, angles)
            return position
        self._start = None
        yield from _repeat(b"\\", backslashes + (angles == 3))
        yield b"<" * angles
        return position

    def finish(self) -> Iterator[bytes]:
        """The pieces still held back at the end of the data, and the LF that ``noeol`` adds."""
        if self._start is not None:
            backslashes, angles = self._start
            yield from _repeat(b"\\", backslashes)
            yield b"<" * angles
            self._start = None
        if self._noeol:
            yield b"\n"


_BASE64_LINE = 57  # input bytes per 76-column line
_BASE64_COLUMNS = 76


def encode_base64(data: bytes | memoryview) -> bytes:
    """``base64.encodebytes(data)``: lines of 76 characters, each with its LF, the last one shorter.

    Without the accelerator, one ``b2a_base64`` over all the whole lines
    and a cut into lines does what ``encodebytes`` does with one call per line.

    >>> encode_base64(bytes(range(60)))[-6:]
    b'\\nOTo7\\n'
    """
    speedups = _native.speedups
    if speedups is not None:
        encoded: bytes = speedups.b64encode(data)
        return encoded
    whole = len(data) - len(data) % _BASE64_LINE
    last = binascii.b2a_base64(data[whole:]) if whole < len(data) else b""
    if not whole:
        return last
    text = binascii.b2a_base64(memoryview(data)[:whole], newline=False)
    lines = [text[start : start + _BASE64_COLUMNS] for start in range(0, len(text), _BASE64_COLUMNS)]
    lines.append(last)
    return b"\n".join(lines)


class Base64Body:
    """Encodes data that arrives in chunks in the layout of ``base64.encodebytes``.

    Every line but the last holds 57 input bytes, so each chunk is encoded up
    to its last multiple of 57 bytes, and the rest waits for the next one.
    Memory holds one chunk and its encoding: the line that a chunk completes
    is encoded on its own, so the chunk is never copied whole.
    """

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        """The encoded lines that the next chunk completes."""
        view = memoryview(chunk)
        if self._rest:
            missing = _BASE64_LINE - len(self._rest)
            if len(chunk) < missing:
                self._rest += chunk
                return
            yield encode_base64(self._rest + view[:missing])
            view = view[missing:]
        whole = len(view) - len(view) % _BASE64_LINE
        self._rest = bytes(view[whole:])
        if whole:
            yield encode_base64(view[:whole])

    def finish(self) -> Iterator[bytes]:
        """The last, short line."""
        if self._rest:
            yield encode_base64(self._rest)
            self._rest = b""


def encode_end(count: int) -> bytes:
    """The END marker line with its LF."""
    return b"<<<END %d>>>\n" % count


def iter_encode(bundle: Bundle, *, sha256: bool = False) -> Iterator[bytes]:
    """The canonical bytes of a bundle, in pieces."""
    yield encode_comment(bundle.comment)
    for entry in bundle.entries:
        yield from encode_entry(entry, sha256=sha256)
    yield encode_end(len(bundle.entries))


def _header_text(name: str, base64: bool, noeol: bool, executable: bool, digest: str | None) -> str:
    return render_header(name, base64=base64, noeol=noeol, executable=executable, sha256=digest) + "\n"


def encode_text(bundle: Bundle, *, sha256: bool = False) -> str:
    """The canonical text of a bundle as one str, what ``dumps`` returns.

    >>> encode_text(Bundle([Entry("a", "A")]))
    '<<<FILE a noeol>>>\\nA\\n<<<END 1>>>\\n'
    """
    entries = bundle.entries
    speedups = _native.speedups
    if speedups is not None:
        digests = tuple(hashlib.sha256(entry.data).hexdigest() for entry in entries) if sha256 else None
        comment = encode_comment(bundle.comment).decode("utf-8")
        end = encode_end(len(entries)).decode("ascii")
        text: str | None = speedups.dumps_text(comment, entries, digests, _header_text, end)
        if text is not None:
            return text
    # Decoding piece by piece and joining the strings is faster than decoding
    # one joined bytes object: no second copy of the whole bundle as bytes.
    return "".join([piece.decode("utf-8") for piece in iter_encode(bundle, sha256=sha256)])
