"""Streaming: read and write bundles larger than memory, one entry at a time."""

from __future__ import annotations

import builtins
import codecs
import contextlib
import hashlib
import io
import itertools
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import IO, Any, Literal, Protocol, overload

import attrs

from ._atomic import AtomicFile, PathArg
from ._decoder import Decoder
from ._encoder import Base64Body, Survey, TextBody, encode_comment, encode_end, encode_entry, encode_header
from ._errors import BundleEncodeError, PackError, locate_in
from ._model import Entry, _new_entry, check_comment
from ._remote import check_storage_options, is_url, open_url_for_reading, output_for_url
from ._scanner import scan_entries, start_of_entries
from ._syntax import BOM, LineError, parse_header_line, shown

__all__ = ["BundleReader", "BundleWriter", "open"]

_CHUNK = 1 << 20
# add_file() reads a file once if it is binary or at most this long, else twice.
_HOLD = 8 << 20
_LINE_SHOWN = 1 << 16  # how much of a line an error from a stream can show
# UTF-8 continuation bytes: deleting them leaves one byte per character.
_CONTINUATION = bytes(range(0x80, 0xC0))


def _characters(block: bytes) -> int:
    return len(block) if block.isascii() else len(block.translate(None, _CONTINUATION))


class _Output(Protocol):
    """Where a writer's bundle goes: a local AtomicFile, or a RemoteOutput."""

    @property
    def file(self) -> IO[bytes]: ...

    def commit(self) -> None: ...

    def discard(self) -> None: ...


@attrs.frozen
class _Span:
    """Where one entry lies in the file, for random access."""

    start: int
    end: int


def _read_fully(fp: IO[bytes], size: int, *, until: bytes = b"") -> bytes:
    """Read ``size`` bytes, fewer only at the end of the file; with ``until``, stop once it is read.

    A raw file, a socket or a remote file may return fewer bytes than asked
    for from one read() long before its end.
    """
    pieces: list[bytes] = []
    got = 0
    while got < size:
        piece = fp.read(size - got)
        if not piece:
            break
        pieces.append(piece)
        got += len(piece)
        if until and until in piece:
            break
    return b"".join(pieces)


def _holds_entry(piece: bytes, size: int, name: str, *, strict: bool) -> bool:
    """Whether ``piece`` begins with one whole entry of ``size`` bytes named ``name``.

    ``piece`` is what the file holds where the index put the entry, and the
    three bytes after it: there the next structural line begins, or the file
    ends. A file changed since it was indexed fails one of these checks.
    """
    if len(piece) < size or not piece.startswith(b"<<<FILE ") or piece.find(b"\n<<<", 0, size) >= 0:
        return False
    if len(piece) > size and (piece[size:] != b"<<<" or not piece.endswith(b"\n", 0, size)):
        return False
    line_end = piece.find(b"\n", 0, size)
    if line_end < 0:
        return False
    try:
        header = parse_header_line(piece[:line_end], has_newline=True, strict=strict)
    except LineError:
        return False
    return header.name == name


def _count(block: bytes) -> tuple[int, int, int | None]:
    """LFs, characters, and characters after the last LF (None if there is no LF)."""
    newlines = block.count(b"\n")
    tail = _characters(block[block.rfind(b"\n") + 1 :]) if newlines else None
    return newlines, _characters(block), tail


class _StreamLocator:
    """Locates errors in the window of a stream that the decoder is reading.

    The window is ``data[start:end]``: the decoder reads it in place, in
    the bytes that the file gave, and offsets in errors are offsets in
    ``data``. The position of a window's first byte (its line, character
    offset and column, and the start of its line) is needed only when an
    error is raised. For a seekable file it is found then, by reading the
    file again up to the window; only a stream that cannot seek pays for
    counting every byte as it goes.
    """

    def __init__(self, fp: IO[bytes], base: int, *, seekable: bool) -> None:
        self.fp = fp
        self.base = base
        self.lazy = seekable
        self.data = b""
        self.start = 0
        self.end = 0
        self.offset = 0  # where the window starts, from the start of the bundle
        self.counted = 0  # how far the fields below have been counted
        self.lineno = 1
        self.pos = 0
        self.column = 0
        self.head = b""  # the start of the line that runs into the window

    @property
    def size(self) -> int:
        """The length of the window."""
        return self.end - self.start

    @property
    def window(self) -> bytes:
        """The window's bytes: a copy, made only for an error or a stream that cannot seek."""
        return self.data[self.start : self.end]

    def advance(self, data: bytes, start: int, end: int) -> None:
        """Move past the current window onto the next one, ``data[start:end]``."""
        if not self.lazy:
            self._add(self.window)
        self.offset += self.end - self.start
        self.data, self.start, self.end = data, start, end

    def jump(self, offset: int, data: bytes, end: int | None = None) -> None:
        """Make ``data[:end]``, found at ``offset``, the current window."""
        self.offset = offset
        self.data, self.start, self.end = data, 0, len(data) if end is None else end

    def _add(self, block: bytes) -> None:
        newlines, characters, tail = _count(block)
        self.lineno += newlines
        self.pos += characters
        if tail is None:
            self.column += characters
            self.head += block[: _LINE_SHOWN - len(self.head)]
        else:
            self.column = tail
            self.head = block[block.rfind(b"\n") + 1 :][:_LINE_SHOWN]
        self.counted += len(block)

    def _count_to(self, offset: int) -> None:
        if self.counted > offset:
            self._restart()
        resume = self.fp.tell()
        try:
            self._count_from_file(offset)
        except (OSError, ValueError):
            # Some files read again only from their start (fsspec's HTTP file
            # on a server without Range requests): count from there.
            self._restart()
            self._count_from_file(offset)
        self.fp.seek(resume)

    def _count_from_file(self, offset: int) -> None:
        self.fp.seek(self.base + self.counted)
        while self.counted < offset:
            block = self.fp.read(min(_CHUNK, offset - self.counted))
            if not block:  # the file shrank since the window was read
                break
            self._add(block)

    def _restart(self) -> None:
        self.counted, self.lineno, self.pos, self.column, self.head = 0, 1, 0, 0, b""

    def _rest_of_line(self) -> bytes:
        """What follows the window up to the end of its last line (seekable input only)."""
        resume = self.fp.tell()
        try:
            self.fp.seek(self.base + self.offset + self.size)
            rest = _read_fully(self.fp, _LINE_SHOWN, until=b"\n")
        except (OSError, ValueError):
            rest = b""  # a file that reads only from its start: the line is shown in part
        self.fp.seek(resume)
        end = rest.find(b"\n")
        return rest if end < 0 else rest[:end]

    def locate(self, offset: int) -> tuple[int, int, int, str]:
        if self.counted != self.offset:
            self._count_to(self.offset)
        window = self.window
        offset -= self.start
        lineno, colno, pos, line = locate_in(window, offset, lineno_base=self.lineno, pos_base=self.pos)
        line_start = window.rfind(b"\n", 0, offset) + 1
        line_end = window.find(b"\n", offset)
        if line_start and line_end >= 0:
            return lineno, colno, pos, line
        # The line runs in from the previous window, or on past this one.
        raw = window[line_start : len(window) if line_end < 0 else line_end]
        if not line_start:
            colno += self.column
            raw = self.head + raw
        cut = line_end < 0 and not self.lazy
        if line_end < 0 and self.lazy:
            raw += self._rest_of_line()
        # A line cut at the end of what a pipe gave may end inside a character: leave it out.
        line = codecs.getincrementaldecoder("utf-8")("replace").decode(raw, final=not cut).removesuffix("\r")
        return lineno, colno, pos, line


class BundleReader:
    """Reads a bundle lazily, entry by entry, in bounded memory.

    Iterating yields each [`Entry`][Entry] once it has been read and checked.
    Every rule that [`seedbundle.loads`][seedbundle.loads] checks is checked here too, and
    an error is raised where it is found, with its line: a bundle cut short
    raises at its end, after the entries before the cut have been yielded.

    The reader parses its input a window at a time (one read chunk, cut at
    the last marker line in it) with the same loop as [`seedbundle.loads`][seedbundle.loads],
    so memory holds about one chunk plus the largest entry. Build readers
    with [`seedbundle.open`][seedbundle.open].

    Errors carry the same message and position as from [`loads`][loads]. From
    a stream that cannot seek (a pipe), or for a line longer than 64 KiB, an
    error's ``line`` may show only part of the line.

    Examples:
        >>> import io, seedbundle
        >>> data = b"intro\\n<<<FILE a>>>\\nA\\n<<<FILE b>>>\\nB\\n<<<END 2>>>\\n"
        >>> with seedbundle.open(io.BytesIO(data)) as reader:
        ...     print(repr(reader.comment), [entry.name for entry in reader])
        'intro' ['a', 'b']

    Added in version 1.0.0.
    """

    def __init__(
        self,
        fp: IO[bytes],
        *,
        strict: bool = True,
        close: bool = False,
        chunk_size: int = _CHUNK,
        byte_range: tuple[int, int] | None = None,
    ) -> None:
        if isinstance(fp, io.TextIOBase):
            raise TypeError("seedbundle.open() needs a binary file object: open the file with 'rb'")
        self._fp = fp
        self._close = close
        self._chunk_size = chunk_size
        self._range = _check_range(byte_range)
        self._range_done = False
        self._bom_line = -1  # where the first marker follows a BOM: its line starts at 0
        # seekable() is only a claim (fsspec's streaming HTTP file says True and
        # cannot seek): it is tried on the first read, and None until then.
        self._seekable: bool | None = None
        self._base = _tell(fp)
        self._locator = _StreamLocator(fp, self._base or 0, seekable=False)
        self._decoder = Decoder(self._locator, strict=strict)
        if self._range is not None:
            self._decoder.check_count = False
        self._data = b""
        self._at = 0
        self._more: list[bytes] = []
        self._more_size = 0
        self._eof = False
        self._started = False
        self._done = False
        self._iterated = False
        self._pending: list[Entry] = []
        self._next = 0
        self._starts: list[int] | None = None
        self._spans: dict[str, _Span] | None = None

    # -- reading the file --------------------------------------------------
    #
    # The unread input is self._data[self._at:], then the chunks in
    # self._more. A window is cut from it in place wherever it lies within
    # one chunk, so that the decoder reads the bytes that the file gave,
    # uncopied; only the entries that straddle two chunks are joined.

    def _unread(self) -> int:
        return len(self._data) - self._at + self._more_size

    def _fill(self) -> int:
        """Read one more chunk after the unread input; return where it begins in it, or -1 at the end."""
        if self._eof:
            return -1
        chunk = self._fp.read(self._chunk_size)
        if not isinstance(chunk, bytes | bytearray):
            raise TypeError("seedbundle.open() needs a binary file object: open the file with 'rb'")
        if self._seekable is None:
            self._decide_seekable(len(chunk))
        if not chunk:
            self._eof = True
            return -1
        return self._append(bytes(chunk))

    def _append(self, chunk: bytes) -> int:
        offset = self._unread()
        if offset:
            self._more.append(chunk)
            self._more_size += len(chunk)
        else:
            self._data, self._at = chunk, 0
        return offset

    def _newest(self) -> bytes:
        """The chunk read last."""
        return self._more[-1] if self._more else self._data

    def _last_bytes(self, count: int) -> bytes:
        """The last ``count`` bytes of the unread input, or all of it if it is shorter."""
        tail = b""
        for piece in reversed(self._more):
            tail = piece[len(tail) - count :] + tail
            if len(tail) >= count:
                return tail
        return self._data[max(self._at, len(self._data) - count + len(tail)) :] + tail

    def _fill_to_marker(self) -> int:
        """Read one more chunk; return where the first '<<<' after an LF that ends in it begins.

        The offset is in the unread input. Returns 0 if the chunk ends no
        '\\n<<<', and -1 at the end of the file.
        """
        before = self._last_bytes(3)
        offset = self._fill()
        if offset < 0:
            return -1
        chunk = self._newest()
        found = (before + chunk[:3]).find(b"\n<<<")  # one that the chunk boundary splits
        if found >= 0:
            return offset - len(before) + found + 1
        found = chunk.find(b"\n<<<")
        return offset + found + 1 if found >= 0 else 0

    def _head(self, count: int) -> bytes:
        """The first ``count`` bytes of the unread input, or all of it if it is shorter."""
        head = self._data[self._at : self._at + count]
        for piece in self._more:
            if len(head) >= count:
                break
            head += piece[: count - len(head)]
        return head

    def _flatten(self) -> bytes:
        """Join the unread input into one piece, ``self._data[self._at:]``, and return ``self._data``."""
        if self._more:
            self._data = b"".join((memoryview(self._data)[self._at :], *self._more))
            self._at, self._more, self._more_size = 0, [], 0
        return self._data

    def _decide_seekable(self, read: int) -> None:
        """Try whether the file seeks, just after its first ``read`` bytes; never trust seekable()."""
        self._seekable = False
        if self._base is None or not _claims_seekable(self._fp):
            return
        here = self._base + read
        try:
            self._fp.seek(max(here - 1, self._base))
        except (OSError, ValueError):
            return  # it did not move
        try:
            self._fp.seek(here)
        except (OSError, ValueError):
            # It moved back and cannot come forward: read the byte again.
            self._fp.read(1)
            return
        self._seekable = True
        self._locator.lazy = True

    def _seek_into(self, offset: int) -> bool:
        """Go straight to ``offset`` before anything was read, if the file really seeks."""
        if self._base is None or not _claims_seekable(self._fp):
            self._seekable = False
            return False
        try:
            self._fp.seek(self._base + offset)
            # A seek may succeed and the read after it fail (fsspec's HTTP file
            # on a server without Range requests): only a read tells.
            chunk = self._fp.read(self._chunk_size)
        except (OSError, ValueError):
            self._seekable = False
            with contextlib.suppress(OSError, ValueError):
                self._fp.seek(self._base)  # back to the start, for a file that reads only from there
            return False
        if not isinstance(chunk, bytes | bytearray):
            raise TypeError("seedbundle.open() needs a binary file object: open the file with 'rb'")
        self._seekable = True
        self._locator.lazy = True
        self._locator.jump(offset, b"")
        if chunk:
            self._append(bytes(chunk))
        self._eof = not chunk
        return True

    def _take(self, size: int) -> tuple[bytes, int, int]:
        """Cut the first ``size`` bytes off the unread input as the decoder's next window.

        Returns the window as ``(data, start, end)``: in place if it lies
        in one chunk, else the pieces joined.
        """
        data, at = self._data, self._at
        if at + size <= len(data):
            self._at = at + size
            window = (data, at, at + size)
        else:
            parts: list[bytes | memoryview] = [memoryview(data)[at:]]
            missing = size - (len(data) - at)
            more = self._more
            used = 0
            while missing > len(more[used]):
                parts.append(more[used])
                missing -= len(more[used])
                self._more_size -= len(more[used])
                used += 1
            last = more[used]
            parts.append(memoryview(last)[:missing])
            self._more_size -= len(last)
            del more[: used + 1]
            self._data, self._at = last, missing
            window = (b"".join(parts), 0, size)
        self._locator.advance(*window)
        return window

    def _line(self) -> int:
        """The length of the first line of the unread input with its LF, reading as needed."""
        found = self._data.find(b"\n", self._at)
        if found >= 0:
            return found + 1 - self._at
        offset = len(self._data) - self._at
        for piece in self._more:
            found = piece.find(b"\n")
            if found >= 0:
                return offset + found + 1
            offset += len(piece)
        while True:
            offset = self._fill()
            if offset < 0:
                return self._unread()
            found = self._newest().find(b"\n")
            if found >= 0:
                return offset + found + 1

    # -- the format --------------------------------------------------------

    def _start(self) -> None:
        self._started = True
        if self._range is not None and self._range[0] > 0:
            self._skip_to(self._range[0])
            return
        found = 0
        while not self._eof and not found:
            # The comment ends where the first marker line starts.
            head = self._head(len(BOM) + 3)
            skip = len(BOM) if head.startswith(BOM) else 0
            if head[skip : skip + 3] == b"<<<":
                break
            found = self._fill_to_marker()
        # Nothing was taken yet: the unread input is the whole bundle so far.
        data = self._flatten()
        self._locator.advance(data, 0, len(data))
        first = start_of_entries(self._decoder, data)
        if data.startswith(BOM) and first == len(BOM):
            self._bom_line = first
        # The window ends where the comment does; the entries follow it.
        self._at = self._locator.end = first

    def _skip_to(self, start: int) -> None:
        """Put the unread input on the first line that begins at or after ``start`` with '<<<'.

        Every such line is structural, so it is an entry's FILE line or the
        END line. What lies before it belongs to the ranges before this one.
        """
        at = start - 1  # the byte before: a line begins at ``start`` if it is an LF
        if not self._seek_into(at):
            while (missing := at - self._locator.offset - self._locator.size) > 0:
                if not self._unread() and self._fill() < 0:
                    break
                self._take(min(missing, self._unread()))
        data = self._flatten()
        found = data.find(b"\n<<<", self._at)
        cut = found + 1 - self._at if found >= 0 else 0
        while not cut:
            if self._unread() > 3:  # keep what may begin a '\n<<<'
                self._take(self._unread() - 3)
            cut = self._fill_to_marker()
            if cut < 0:
                self._take(self._unread())
                self._done = True
                return
        self._take(cut)

    def _range_limit(self) -> int:
        """Where the range's stop is in the unread input."""
        assert self._range is not None
        return self._range[1] - (self._locator.offset + self._locator.size)

    def _past_range(self) -> bool:
        """Whether the unread input starts at or past the range's stop, so that this range is done."""
        if self._range is None:
            return False
        here = self._locator.offset + self._locator.size
        return here >= self._range[1] and here != self._bom_line

    def _cut(self) -> int:
        """How much of the unread input the next window takes: up to a structural line, or one line.

        Returns -1 if the input ended where an entry or the END line belongs.
        """
        if self._more:
            self._flatten()
        searched = self._at
        while True:
            if self._head(8) == b"<<<FILE ":
                if not self._more:
                    data, at = self._data, self._at
                    if self._range is not None:
                        found = data.find(b"\n<<<", at + max(self._range_limit() - 1, 0))
                        if found >= 0:
                            self._range_done = True
                            return found + 1 - at
                    found = data.rfind(b"\n<<<", searched)
                    if found >= 0:
                        return found + 1 - at
                    searched = max(at, len(data) - 3)
                if self._eof:
                    return self._unread()
                # The chunk read now holds the first '\n<<<' after the ones searched, if any.
                cut = self._fill_to_marker()
                if cut > 0:
                    if self._range is not None and cut >= self._range_limit():
                        self._range_done = True
                    return cut
                continue
            if not self._unread() and self._fill() < 0:
                return -1
            if self._unread() >= len(b"<<<FILE ") or self._fill() < 0:
                # An END marker, or a line the loop will reject: one line is enough.
                return self._line()

    def _read_window(self) -> None:
        """Parse the next window into ``_pending``; set ``_done`` at the END marker or the end."""
        if self._past_range() or self._range_done:
            if not self._unread() and self._fill() < 0:
                # What this range read (its last entry, or the comment) runs to
                # the end of the input: here is where the END marker is missing.
                self._decoder.read_eof(self._take(0)[1])
            self._done = True
            return
        cut = self._cut()
        if cut < 0:
            self._decoder.read_eof(self._take(0)[1])
            self._done = True
            return
        data, start, end = self._take(cut)
        entries: list[Entry] = []
        position = scan_entries(self._decoder, data, start, entries, self._starts, end)
        self._pending, self._next = entries, 0
        if position < end:
            self._read_end(data, position, end)

    def _read_end(self, data: bytes, position: int, end: int) -> None:
        line_end = data.find(b"\n", position, end)
        line_end = end if line_end < 0 else line_end
        self._decoder.read_end(data, position, line_end)
        self._decoder.read_epilogue(data, min(line_end + 1, end), end)
        while self._unread() or self._fill() >= 0:
            self._decoder.read_epilogue(*self._take(self._unread()))
        self._done = True

    @property
    def end_count(self) -> int | None:
        """The count that the END marker states, once it has been read; None before, or without one.

        A reader of a byte range (``open(..., byte_range=...)``) cannot
        check the count, since it holds only some of the entries: the range
        that holds the END line reports it here, and the caller compares it
        with the sum of the entries of all ranges. A reader of the whole
        bundle has checked it already.

        Examples:
            >>> import io, seedbundle
            >>> data = b"<<<FILE a>>>\\n<<<FILE b>>>\\n<<<END 2>>>\\n"
            >>> reader = seedbundle.open(io.BytesIO(data), byte_range=(13, 100))
            >>> [entry.name for entry in reader], reader.end_count
            (['b'], 2)

        Added in version 1.1.0.
        """
        count = self._decoder.end_count
        return None if count is None else int(count)

    @property
    def comment(self) -> str:
        """The bundle's comment, read before the first entry.

        Examples:
            >>> import io, seedbundle
            >>> seedbundle.open(io.BytesIO(b"hi\\n<<<END 0>>>\\n")).comment
            'hi'

        Added in version 1.0.0.
        """
        if not self._started:
            self._start()
        return self._decoder.comment

    def __iter__(self) -> Iterator[Entry]:
        return self

    def __next__(self) -> Entry:
        self._iterated = True
        if not self._started:
            self._start()
        while self._next >= len(self._pending):
            if self._done:
                self._pending = []
                raise StopIteration
            self._read_window()
        entry = self._pending[self._next]
        self._next += 1
        return entry

    def read_all(self) -> list[Entry]:
        """Read every remaining entry and the END marker.

        Examples:
            >>> import io, seedbundle
            >>> len(seedbundle.open(io.BytesIO(b"<<<FILE a>>>\\n<<<END 1>>>\\n")).read_all())
            1

        Added in version 1.0.0.
        """
        return list(self)

    # -- random access -----------------------------------------------------

    def names(self) -> tuple[str, ...]:
        """Index the bundle in one checking scan and return the entry names.

        The file must be seekable and the reader not yet iterated. The index
        holds names and offsets only, never data.

        Examples:
            >>> import io, seedbundle
            >>> seedbundle.open(io.BytesIO(b"<<<FILE a>>>\\n<<<FILE b>>>\\n<<<END 2>>>\\n")).names()
            ('a', 'b')

        Added in version 1.0.0.
        """
        return tuple(self._index())

    def __getitem__(self, name: str) -> Entry:
        """Read one entry by name, seeking straight to it after one indexing scan.

        The entry is read again from the file, and checked like every entry.

        Raises:
            KeyError: If there is no such entry.
            BundleDecodeError: If the entry is damaged, or if the file changed
                since it was indexed so that the entry is no longer where
                it was found.

        Examples:
            >>> import io, seedbundle
            >>> data = b"<<<FILE a>>>\\nA\\n<<<FILE b>>>\\nB\\n<<<END 2>>>\\n"
            >>> seedbundle.open(io.BytesIO(data))["b"].data
            b'B\\n'

        Added in version 1.0.0.
        """
        span = self._index()[name]
        strict = self._decoder.strict
        size = span.end - span.start
        base = self._base or 0  # a file that seeks also tells
        try:
            self._fp.seek(base + span.start)
            piece = _read_fully(self._fp, size + 3)
        except ValueError as error:  # fsspec's HTTP file on a server without Range requests
            raise io.UnsupportedOperation(f"random access needs a file that can seek: {error}") from error
        locator = _StreamLocator(self._fp, base, seekable=True)
        locator.jump(span.start, piece, size)
        decoder = Decoder(locator, strict=strict)
        if not _holds_entry(piece, size, name, strict=strict):
            # A decode error, like any other surprise in the bytes: it shows
            # what the file now holds where the entry was.
            decoder.fail(
                f"the entry {shown(name)} is not where the index found it:"
                " the file changed since it was indexed (open it again)",
                0,
            )
        entries: list[Entry] = []
        scan_entries(decoder, piece, 0, entries, stop=size)
        return entries[0]

    def _index(self) -> dict[str, _Span]:
        if self._spans is not None:
            return self._spans
        if self._iterated:
            raise ValueError("random access needs a reader that has not been iterated yet")
        if not _claims_seekable(self._fp):
            raise io.UnsupportedOperation("random access needs a seekable file")
        if not self._started:
            self._start()
        if self._seekable is None:  # nothing was read yet
            self._decide_seekable(0)
        if not self._seekable:
            raise io.UnsupportedOperation("random access needs a seekable file")
        spans: dict[str, _Span] = {}
        starts: list[int] = []
        self._starts = starts
        for entry in self:
            # Starts are offsets in the current window's bytes; the next one ends this entry.
            window_offset = self._locator.offset - self._locator.start
            index = self._next - 1
            end = starts[index + 1] if index + 1 < len(starts) else self._locator.end
            spans[entry.name] = _Span(window_offset + starts[index], window_offset + end)
            if self._next == len(self._pending):
                starts.clear()
        self._starts = None
        self._spans = spans
        return spans

    # -- context manager ---------------------------------------------------

    def close(self) -> None:
        """Close the file if the reader opened it.

        Examples:
            >>> import io, seedbundle
            >>> seedbundle.open(io.BytesIO(b"<<<END 0>>>\\n")).close()

        Added in version 1.0.0.
        """
        if self._close:
            self._fp.close()

    def __enter__(self) -> BundleReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _open_regular(path: str) -> IO[bytes]:
    """Open a regular file for reading; anything else is refused before it can block.

    Opening a FIFO for reading waits for a writer, so the open does not
    block (O_NONBLOCK), and a file that is not regular is refused at once.
    """
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    )
    handle = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise io.UnsupportedOperation(
                f"{path!r} is not a regular file: add_file() reads the file twice, so it needs a seekable file"
            )
    except BaseException:
        os.close(handle)
        raise
    return builtins.open(handle, "rb")


class BundleWriter:
    """Writes a bundle one entry at a time, holding only the entry being written.

    The END marker is written by [`close`][close] (or at the end of a ``with``
    block). If the block raises, no END marker is written, so that every
    reader sees the bundle as incomplete; a file that the writer created
    itself is removed instead. Build writers with [`seedbundle.open`][seedbundle.open].

    Examples:
        >>> import io, seedbundle
        >>> out = io.BytesIO()
        >>> with seedbundle.open(out, "w") as writer:
        ...     _ = writer.add("a.txt", "A\\n")
        ...     _ = writer.add(seedbundle.Entry("run.sh", "#!/bin/sh\\n", executable=True))
        >>> print(out.getvalue().decode(), end="")
        <<<FILE a.txt>>>
        A
        <<<FILE run.sh exec>>>
        #!/bin/sh
        <<<END 2>>>

    Added in version 1.0.0.
    """

    # Set by open() when the writer writes to a path: the file that replaces it on close.
    _output: _Output | None = None

    def __init__(
        self, fp: IO[bytes], *, comment: str = "", sha256: bool = False, close: bool = False
    ) -> None:
        if isinstance(fp, io.TextIOBase):
            raise TypeError("seedbundle.open() needs a binary file object: open the file with 'wb'")
        comment = check_comment(comment)
        self._fp = fp
        self._sha256 = sha256
        self._close = close
        self._names: set[str] = set()
        self._closed = False
        fp.write(encode_comment(comment))

    @classmethod
    def _to_path(cls, path: PathArg, *, comment: str, sha256: bool) -> BundleWriter:
        """A writer whose bundle replaces ``path`` when it closes cleanly."""
        check_comment(comment)  # before the temporary file exists
        return cls._to_output(AtomicFile(path), comment=comment, sha256=sha256)

    @classmethod
    def _to_output(cls, output: _Output, *, comment: str, sha256: bool) -> BundleWriter:
        """A writer into ``output``, committed when it closes cleanly and discarded otherwise."""
        try:
            writer = cls(output.file, comment=comment, sha256=sha256)
            writer._output = output
        except BaseException:
            output.discard()
            raise
        return writer

    @overload
    def add(self, entry: Entry, /) -> Entry: ...

    @overload
    def add(self, name: str, data: bytes | str, /, *, executable: bool = False) -> Entry: ...

    def add(
        self, entry: Entry | str, data: bytes | str | None = None, /, *, executable: bool = False
    ) -> Entry:
        """Write one entry now and return it.

        Raises:
            BundleEncodeError: If an entry of that name was already written.
            ValueError: If the writer is closed.

        Examples:
            >>> import io, seedbundle
            >>> writer = seedbundle.open(io.BytesIO(), "w")
            >>> writer.add("a", b"\\xff").is_text
            False

        Added in version 1.0.0.
        """
        if self._closed:
            raise ValueError("the bundle writer is closed")
        if not isinstance(entry, Entry):
            entry = Entry(entry, b"" if data is None else data, executable=executable)
        elif data is not None:
            raise TypeError("add() takes an Entry alone, or a name and its data")
        if entry.name in self._names:
            raise BundleEncodeError(f"two entries are named {entry.name!r}")
        for piece in encode_entry(entry, sha256=self._sha256):
            self._fp.write(piece)
        self._names.add(entry.name)
        return entry

    def add_file(
        self, name: str, file: str | os.PathLike[str] | IO[bytes], /, *, executable: bool = False
    ) -> int:
        """Write one entry now, its data read from a file one chunk at a time.

        The entry is written exactly as ``add(name, data)`` writes it, but
        memory holds a few chunks (1 MiB each) of the data, never all of
        it, so the file may be larger than memory. The file is read once if
        it is up to 8 MiB long, or binary (then without ``sha256=True``).
        Otherwise, to learn what the header says (text or base64, ``noeol``,
        the checksum), it is read twice: once to survey it, then to write it.

        Args:
            name: The entry name.
            file: A path, or a seekable binary file object, read from its
                current position to its end.
            executable: Whether the entry has its executable bit set.

        Returns:
            The size of the entry's data in bytes.

        Raises:
            BundleEncodeError: If an entry of that name was already written,
                or the name is not a valid entry name.
            PackError: If the file changed between the two reads; the entry
                is then written only in part, so give up on the bundle.
            io.UnsupportedOperation: If the file object cannot seek.
            OSError: If the file cannot be read.
            ValueError: If the writer is closed.

        Examples:
            >>> import io, seedbundle
            >>> out = io.BytesIO()
            >>> with seedbundle.open(out, "w") as writer:
            ...     writer.add_file("big.log", io.BytesIO(b"line\\n" * 3))
            15
            >>> seedbundle.loads(out.getvalue())["big.log"].data
            b'line\\nline\\nline\\n'

        Added in version 1.1.0.
        """
        if self._closed:
            raise ValueError("the bundle writer is closed")
        if isinstance(file, str | os.PathLike):
            with _open_regular(os.fspath(file)) as opened:
                return self._add_stream(name, opened, executable=executable, path=os.fspath(file))
        if isinstance(file, io.TextIOBase):
            raise TypeError("add_file() needs a binary file object: open the file with 'rb'")
        where = getattr(file, "name", None)
        return self._add_stream(
            name, file, executable=executable, path=where if isinstance(where, str) else ""
        )

    def _add_stream(self, name: str, file: IO[bytes], *, executable: bool, path: str) -> int:
        """Write an entry from a seekable file, read once where the header allows; ``path`` names it in errors."""
        name = Entry(name, executable=executable).name  # the checks of Entry, on the name alone
        if name in self._names:
            raise BundleEncodeError(f"two entries are named {name!r}")
        if not file.seekable():
            raise io.UnsupportedOperation("add_file() reads the file twice, so it needs a seekable file")
        start = file.tell()
        chunks = _chunks(file)
        first = next(chunks, b"")
        second = next(chunks, b"")
        if not second:  # it fits in one chunk: one read, and the data in hand
            self._names.add(name)
            # The name is checked above, and the data is bytes: no need to check them again.
            for piece in encode_entry(_new_entry(name, first, executable), sha256=self._sha256):
                self._fp.write(piece)
            return len(first)
        survey = Survey(digest=self._sha256)
        held: list[bytes] = []
        rest = itertools.chain((first, second), chunks)
        del first, second  # from here in ``held``, or in ``rest``
        for chunk in rest:
            survey.add(chunk)
            held.append(chunk)
            if survey.is_binary and not self._sha256:
                # Base64 whatever follows, and no checksum to wait for: the header is known.
                return self._add_once(name, survey, held, rest, executable=executable)
            if survey.size > _HOLD:
                break
        else:  # all of it in hand, read once
            return self._add_once(name, survey, held, (), executable=executable)
        # Too long to hold, and text so far: survey it all, then read it again to write it.
        before = hashlib.sha256()  # to tell whether the second pass reads the same data
        for chunk in held:
            before.update(chunk)
        del held
        for chunk in rest:
            survey.add(chunk)
            before.update(chunk)
        file.seek(start)
        self._fp.write(encode_header(name, survey, executable=executable, sha256=self._sha256))
        self._names.add(name)  # from here a failure leaves a partial entry under this name
        body = TextBody(noeol=survey.noeol) if survey.is_text else Base64Body()
        again = hashlib.sha256()
        read = 0
        for chunk in _chunks(file):
            read += len(chunk)
            if read > survey.size:
                break
            again.update(chunk)
            for piece in body.feed(chunk):
                self._fp.write(piece)
        if read != survey.size or again.digest() != before.digest():
            shown = repr(path) if path else "the file"
            raise PackError(f"{shown} changed while it was being packed", path)
        for piece in body.finish():
            self._fp.write(piece)
        return survey.size

    def _add_once(
        self, name: str, survey: Survey, held: list[bytes], rest: Iterable[bytes], *, executable: bool
    ) -> int:
        """Write an entry whose header ``survey`` already decides: the chunks in hand, then ``rest``."""
        self._fp.write(encode_header(name, survey, executable=executable, sha256=self._sha256))
        self._names.add(name)  # from here a failure leaves a partial entry under this name
        body = TextBody(noeol=survey.noeol) if survey.is_text else Base64Body()
        size = 0
        write = self._fp.write
        for chunk in held:
            size += len(chunk)
            for piece in body.feed(chunk):
                write(piece)
        held.clear()
        for chunk in rest:
            size += len(chunk)
            for piece in body.feed(chunk):
                write(piece)
        for piece in body.finish():
            write(piece)
        return size

    def close(self) -> None:
        """Write the END marker and close the file if the writer opened it.

        Examples:
            >>> import io, seedbundle
            >>> out = io.BytesIO()
            >>> seedbundle.open(out, "w").close()
            >>> out.getvalue()
            b'<<<END 0>>>\\n'

        Added in version 1.0.0.
        """
        if self._closed:
            return
        self._closed = True
        try:
            self._fp.write(encode_end(len(self._names)))
        except BaseException:
            self._finish(success=False)
            raise
        self._finish(success=True)

    def _finish(self, *, success: bool) -> None:
        if self._output is None:
            if self._close:
                self._fp.close()
        elif success:
            self._output.commit()
        else:
            self._output.discard()

    def __enter__(self) -> BundleWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        elif not self._closed:
            self._closed = True
            self._finish(success=False)


def _tell(fp: IO[bytes]) -> int | None:
    """Where the file is now, or None if it cannot tell (a pipe)."""
    try:
        return fp.tell() if _claims_seekable(fp) else None
    except (OSError, ValueError, AttributeError):
        return None


def _claims_seekable(fp: IO[bytes]) -> bool:
    try:
        return bool(fp.seekable())
    except (OSError, ValueError, AttributeError):
        return False


def _check_range(byte_range: object) -> tuple[int, int] | None:
    if byte_range is None:
        return None
    if (
        not isinstance(byte_range, tuple)
        or len(byte_range) != 2
        or not all(isinstance(end, int) and not isinstance(end, bool) for end in byte_range)
    ):
        raise TypeError(f"byte_range must be a tuple of two ints (start, stop), not {byte_range!r}")
    start, stop = byte_range
    if not 0 <= start <= stop:
        raise ValueError(f"byte_range needs 0 <= start <= stop, not {byte_range!r}")
    return start, stop


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    """The rest of a file, a chunk at a time."""
    while True:
        chunk = file.read(_CHUNK)
        if not isinstance(chunk, bytes | bytearray):
            raise TypeError("add_file() needs a binary file object: open the file with 'rb'")
        if not chunk:
            return
        yield bytes(chunk)


@overload
def open(
    file: str | os.PathLike[str] | IO[bytes],
    mode: Literal["r"] = "r",
    *,
    strict: bool = True,
    byte_range: tuple[int, int] | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> BundleReader: ...


@overload
def open(
    file: str | os.PathLike[str] | IO[bytes],
    mode: Literal["w"],
    *,
    comment: str = "",
    sha256: bool = False,
    storage_options: Mapping[str, Any] | None = None,
) -> BundleWriter: ...


def open(
    file: str | os.PathLike[str] | IO[bytes],
    mode: Literal["r", "w"] = "r",
    *,
    strict: bool = True,
    comment: str = "",
    sha256: bool = False,
    byte_range: tuple[int, int] | None = None,
    storage_options: Mapping[str, Any] | None = None,
) -> BundleReader | BundleWriter:
    """Open a bundle for streaming, by path, by URL or as a binary file object.

    Args:
        file: A path, a URL such as ``"s3://bucket/a.bundle"`` or
            ``"memory://a.bundle"`` (read and written through fsspec: ``pip
            install 'seedbundle[remote]'``), or a binary file object.
        mode: ``"r"`` to read entries one at a time, ``"w"`` to write them.
        strict: For reading, as for [`seedbundle.loads`][seedbundle.loads].
        comment: For writing, the bundle's comment.
        sha256: For writing, add a checksum to every entry.
        byte_range: For reading, ``(start, stop)``: read only the entries
            whose FILE line starts at a byte offset in ``start <= offset <
            stop``, counted from where the file is when it is opened. Every
            line that begins with ``<<<`` is structural, so ranges that
            tile the file yield every entry exactly once, and no index is
            needed. A range reads the comment only if it starts at 0, and
            checks neither name uniqueness across ranges nor the END count:
            see [`BundleReader.end_count`][seedbundle.BundleReader.end_count].
        storage_options: For a URL, the options of its fsspec filesystem
            (credentials, an endpoint); with anything else, a ``ValueError``.

    Returns:
        A [`BundleReader`][BundleReader] or a [`BundleWriter`][BundleWriter]; both are
        context managers.

    Writing to a path goes to a temporary file beside it that replaces the
    path only when the writer closes cleanly, so a failed write never leaves
    a half-written bundle under the final name. The new file keeps the
    permission bits of the file it replaces, and its owner and group where
    that is permitted. A symbolic link stays a link: the file it points to
    is replaced, or made if the link dangles. A file with more than one hard
    link is rewritten in place once the bundle is complete, so that the
    links stay joined. A FIFO or a device, such as ``/dev/null``, is written
    to directly. A directory, or an invalid comment, is refused before
    anything is created.

    Writing to a URL is atomic where the filesystem allows it: a
    ``file://`` URL is written as its path is, and a file that honours
    fsspec's ``autocommit=False`` (an object store's upload) is committed
    only when the bundle is complete. A filesystem that
    writes at once (``memory://``) gets the bundle under a temporary name
    beside the target, moved over it when complete and removed otherwise.

    Raises:
        IsADirectoryError: For writing, if the path is a directory.
        BundleEncodeError: For writing, if the comment holds an unpaired
            surrogate.
        TypeError: If the comment is not a str, or the file object is not
            binary.
        ValueError: If ``storage_options`` is given without a URL, or
            ``byte_range`` is not ``0 <= start <= stop``.
        ImportError: For a URL, if fsspec is not installed.
        OSError: If the path cannot be opened or written; the error names
            the path, never the temporary file.

    Examples:
        >>> import os, tempfile, seedbundle
        >>> path = os.path.join(tempfile.mkdtemp(), "out.bundle")
        >>> with seedbundle.open(path, "w") as writer:
        ...     _ = writer.add("a.txt", "A\\n")
        >>> with seedbundle.open(path) as reader:
        ...     [entry.text for entry in reader]
        ['A\\n']
        >>> with seedbundle.open(path, byte_range=(1, 1000)) as reader:
        ...     [entry.name for entry in reader], reader.end_count
        ([], 1)

    Added in version 1.0.0.

    Changed in version 1.1.0: URLs, ``storage_options`` and ``byte_range``.
    """
    check_storage_options(file, storage_options)
    _check_range(byte_range)  # before a file is opened
    if mode == "r":
        if is_url(file):
            assert isinstance(file, str)
            return BundleReader(
                open_url_for_reading(file, storage_options), strict=strict, close=True, byte_range=byte_range
            )
        if isinstance(file, str | os.PathLike):
            return BundleReader(builtins.open(file, "rb"), strict=strict, close=True, byte_range=byte_range)
        return BundleReader(file, strict=strict, byte_range=byte_range)
    if mode == "w":
        if byte_range is not None:
            raise ValueError("byte_range is for reading only")
        if is_url(file):
            assert isinstance(file, str)
            check_comment(comment)  # before the temporary file exists
            output = output_for_url(file, storage_options)
            return BundleWriter._to_output(output, comment=comment, sha256=sha256)
        if isinstance(file, str | os.PathLike):
            return BundleWriter._to_path(file, comment=comment, sha256=sha256)
        return BundleWriter(file, comment=comment, sha256=sha256)
    raise ValueError(f"mode must be 'r' or 'w', not {mode!r}")
