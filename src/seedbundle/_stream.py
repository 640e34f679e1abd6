"""Streaming: read and write bundles larger than memory, one entry at a time."""

from __future__ import annotations

import builtins
import io
import os
import secrets
from collections.abc import Iterator
from types import TracebackType
from typing import IO, Literal, overload

import attrs

from ._decoder import BOM, Decoder, locate_in
from ._encoder import encode_comment, encode_end, encode_entry
from ._errors import BundleEncodeError
from ._model import Entry

__all__ = ["BundleReader", "BundleWriter", "create_beside", "open"]

_CHUNK = 1 << 20
# UTF-8 continuation bytes: deleting them leaves one byte per character.
_CONTINUATION = bytes(range(0x80, 0xC0))


def _characters(block: bytes) -> int:
    return len(block) if block.isascii() else len(block.translate(None, _CONTINUATION))


@attrs.frozen
class _Span:
    """Where one entry lies in the file, for random access."""

    start: int
    end: int
    lineno: int
    pos: int


class _PieceSource:
    """Locates offsets in one piece of the bundle, given where the piece starts."""

    def __init__(self) -> None:
        self.piece = b""
        self.lineno = 1
        self.pos = 0
        self.column = 0  # characters between the start of the line and the piece

    def advance(self, piece: bytes) -> None:
        """Move past the current piece onto the next one."""
        done = self.piece
        newlines = done.count(b"\n")
        if newlines:
            self.column = _characters(done[done.rfind(b"\n") + 1 :])
        else:
            self.column += _characters(done)
        self.lineno += newlines
        self.pos += _characters(done)
        self.piece = piece

    def locate(self, offset: int) -> tuple[int, int, int, str]:
        lineno, colno, pos, line = locate_in(self.piece, offset, lineno_base=self.lineno, pos_base=self.pos)
        if self.piece.rfind(b"\n", 0, offset) < 0:
            colno += self.column
        return lineno, colno, pos, line


class BundleReader:
    """Reads a bundle lazily, one entry at a time, in constant memory.

    Iterating yields each :class:`Entry` as soon as it has been read and
    checked. Every rule that :func:`seedbundle.loads` checks is checked here
    too, and an error is raised where it is found, with its line: a bundle
    cut short raises only once the end of the input is reached, after the
    entries before the cut have been yielded.

    Memory holds the entry being read plus one read chunk. Build readers
    with :func:`seedbundle.open`.

    Example:
        >>> import io, seedbundle
        >>> data = b"intro\\n<<<FILE a>>>\\nA\\n<<<FILE b>>>\\nB\\n<<<END 2>>>\\n"
        >>> with seedbundle.open(io.BytesIO(data)) as reader:
        ...     print(repr(reader.comment), [entry.name for entry in reader])
        'intro' ['a', 'b']

    Added in version 1.0.0.
    """

    def __init__(
        self, fp: IO[bytes], *, strict: bool = True, close: bool = False, chunk_size: int = _CHUNK
    ) -> None:
        self._fp = fp
        self._close = close
        self._chunk_size = chunk_size
        self._source = _PieceSource()
        self._decoder = Decoder(self._source, strict=strict)
        self._buffer = bytearray()
        self._offset = 0  # file offset of _buffer[0]
        self._eof = False
        self._done = False
        self._started = False
        self._iterated = False
        self._spans: dict[str, _Span] | None = None
        self._start_offset = fp.tell() if fp.seekable() else 0

    # -- reading the file --------------------------------------------------

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = self._fp.read(self._chunk_size)
        if not isinstance(chunk, bytes | bytearray):
            raise TypeError("seedbundle.open() needs a binary file object: open the file with 'rb'")
        if not chunk:
            self._eof = True
            return False
        self._buffer += chunk
        return True

    def _find(self, needle: bytes, start: int) -> int:
        """Find ``needle`` at or after ``start``, reading more as needed; -1 at the end."""
        while True:
            found = self._buffer.find(needle, start)
            if found >= 0:
                return found
            start = max(start, len(self._buffer) - len(needle) + 1)
            if not self._fill():
                return -1

    def _take(self, size: int) -> bytes:
        """Remove the first ``size`` bytes of the buffer, set up to locate errors in them."""
        piece = bytes(memoryview(self._buffer)[:size])
        del self._buffer[:size]  # O(1): CPython moves a bytearray's start instead of copying
        self._source.advance(piece)
        self._offset += size
        return piece

    def _line_end(self) -> int:
        found = self._find(b"\n", 0)
        return len(self._buffer) if found < 0 else found

    # -- the format --------------------------------------------------------

    def _start(self) -> None:
        self._started = True
        while len(self._buffer) < len(BOM) and self._fill():
            pass
        if self._buffer.startswith(BOM):
            self._decoder.bom()
            self._take(len(BOM))
            while len(self._buffer) < len(b"<<<") and self._fill():
                pass
        if not self._buffer or self._buffer.startswith(b"<<<"):
            return
        found = self._find(b"\n<<<", 0)
        piece = self._take(len(self._buffer) if found < 0 else found + 1)
        self._decoder.read_comment(piece, 0, len(piece))

    @property
    def comment(self) -> str:
        """The bundle's comment (read when the reader is made).

        Example:
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
        if self._done:
            raise StopIteration
        entry = self._next_entry()
        if entry is None:
            self._done = True
            raise StopIteration
        return entry

    def _next_entry(self) -> Entry | None:
        decoder = self._decoder
        line_end = self._line_end()
        if not self._buffer:
            self._take(0)
            decoder.read_eof(0)
            return None
        if self._buffer.startswith(b"<<<FILE "):
            found = self._find(b"\n<<<", line_end) if line_end < len(self._buffer) else -1
            end = len(self._buffer) if found < 0 else found + 1
            piece = self._take(end)
            return decoder.read_entry(piece, 0, line_end, min(line_end + 1, end), end)
        piece = self._take(line_end + 1 if line_end < len(self._buffer) else line_end)
        if piece.startswith(b"<<<END "):
            decoder.read_end(piece, 0, line_end)
            self._read_epilogue()
            return None
        return decoder.read_structural(piece, 0, line_end)

    def _read_epilogue(self) -> None:
        while self._buffer or self._fill():
            piece = self._take(len(self._buffer))
            self._decoder.read_epilogue(piece, 0, len(piece))

    def read_all(self) -> list[Entry]:
        """Read every remaining entry and the END marker.

        Example:
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

        Example:
            >>> import io, seedbundle
            >>> seedbundle.open(io.BytesIO(b"<<<FILE a>>>\\n<<<FILE b>>>\\n<<<END 2>>>\\n")).names()
            ('a', 'b')

        Added in version 1.0.0.
        """
        return tuple(self._index())

    def __getitem__(self, name: str) -> Entry:
        """Read one entry by name, seeking straight to it after one indexing scan.

        Raises:
            KeyError: If there is no such entry.

        Example:
            >>> import io, seedbundle
            >>> data = b"<<<FILE a>>>\\nA\\n<<<FILE b>>>\\nB\\n<<<END 2>>>\\n"
            >>> seedbundle.open(io.BytesIO(data))["b"].data
            b'B\\n'

        Added in version 1.0.0.
        """
        span = self._index()[name]
        self._fp.seek(span.start)
        piece = self._fp.read(span.end - span.start)
        source = _PieceSource()
        source.piece, source.lineno, source.pos = piece, span.lineno, span.pos
        line_end = piece.find(b"\n")
        return Decoder(source, strict=self._decoder.strict).read_entry(
            piece, 0, line_end, line_end + 1, len(piece)
        )

    def _index(self) -> dict[str, _Span]:
        if self._spans is not None:
            return self._spans
        if self._iterated:
            raise ValueError("random access needs a reader that has not been iterated yet")
        if not self._fp.seekable():
            raise io.UnsupportedOperation("random access needs a seekable file")
        spans: dict[str, _Span] = {}
        for entry in self:
            # The source now describes this entry's piece, which ends at _offset.
            source = self._source
            start = self._start_offset + self._offset - len(source.piece)
            spans[entry.name] = _Span(start, self._start_offset + self._offset, source.lineno, source.pos)
        self._spans = spans
        return spans

    # -- context manager ---------------------------------------------------

    def close(self) -> None:
        """Close the file if the reader opened it.

        Example:
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


class BundleWriter:
    """Writes a bundle one entry at a time, holding only the entry being written.

    The END marker is written by :meth:`close` (or at the end of a ``with``
    block). If the block raises, no END marker is written, so that every
    reader sees the bundle as incomplete; a file that the writer created
    itself is removed instead. Build writers with :func:`seedbundle.open`.

    Example:
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

    def __init__(
        self,
        fp: IO[bytes],
        *,
        comment: str = "",
        sha256: bool = False,
        close: bool = False,
        commit: tuple[str, str] | None = None,
    ) -> None:
        if isinstance(fp, io.TextIOBase):
            raise TypeError("seedbundle.open() needs a binary file object: open the file with 'wb'")
        self._fp = fp
        self._sha256 = sha256
        self._close = close
        self._commit = commit
        self._names: set[str] = set()
        self._closed = False
        fp.write(encode_comment(_checked_comment(comment)))

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

        Example:
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
        header, body = encode_entry(entry, sha256=self._sha256)
        self._fp.write(header)
        self._fp.write(body)
        self._names.add(entry.name)
        return entry

    def close(self) -> None:
        """Write the END marker and close the file if the writer opened it.

        Example:
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
        self._fp.write(encode_end(len(self._names)))
        self._finish(success=True)

    def _finish(self, *, success: bool) -> None:
        if self._close:
            self._fp.close()
        if self._commit is not None:
            temporary, target = self._commit
            if success:
                os.replace(temporary, target)
            else:
                os.unlink(temporary)

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


def _checked_comment(comment: object) -> str:
    if not isinstance(comment, str):
        raise TypeError(f"the comment must be a str, not {type(comment).__name__}")
    try:
        comment.encode("utf-8")
    except UnicodeEncodeError:
        raise BundleEncodeError(
            "the comment holds an unpaired surrogate, which UTF-8 cannot encode"
        ) from None
    return comment


def create_beside(target: str) -> tuple[IO[bytes], str]:
    """Create a new temporary file in the directory of ``target``.

    It gets the permissions a new file usually gets (0o666 less the umask),
    unlike ``tempfile.mkstemp``, whose files are private to their owner.
    Returns the open file and its path.
    """
    directory = os.path.dirname(os.path.abspath(target))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        temporary = os.path.join(directory, f".seedbundle-{secrets.token_hex(6)}.tmp")
        try:
            handle = os.open(temporary, flags, 0o666)
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
        return builtins.open(handle, "wb"), temporary


@overload
def open(
    file: str | os.PathLike[str] | IO[bytes], mode: Literal["r"] = "r", *, strict: bool = True
) -> BundleReader: ...


@overload
def open(
    file: str | os.PathLike[str] | IO[bytes],
    mode: Literal["w"],
    *,
    comment: str = "",
    sha256: bool = False,
) -> BundleWriter: ...


def open(
    file: str | os.PathLike[str] | IO[bytes],
    mode: Literal["r", "w"] = "r",
    *,
    strict: bool = True,
    comment: str = "",
    sha256: bool = False,
) -> BundleReader | BundleWriter:
    """Open a bundle for streaming, by path or as a binary file object.

    Args:
        file: A path, or a binary file object.
        mode: ``"r"`` to read entries one at a time, ``"w"`` to write them.
        strict: For reading, as for :func:`seedbundle.loads`.
        comment: For writing, the bundle's comment.
        sha256: For writing, add a checksum to every entry.

    Returns:
        A :class:`BundleReader` or a :class:`BundleWriter`; both are
        context managers.

    Writing to a path goes to a temporary file beside it that replaces the
    path only when the writer closes cleanly, so a failed write never leaves
    a half-written bundle under the final name.

    Example:
        >>> import os, tempfile, seedbundle
        >>> path = os.path.join(tempfile.mkdtemp(), "out.bundle")
        >>> with seedbundle.open(path, "w") as writer:
        ...     _ = writer.add("a.txt", "A\\n")
        >>> with seedbundle.open(path) as reader:
        ...     [entry.text for entry in reader]
        ['A\\n']

    Added in version 1.0.0.
    """
    if mode == "r":
        if isinstance(file, str | os.PathLike):
            return BundleReader(builtins.open(file, "rb"), strict=strict, close=True)
        return BundleReader(file, strict=strict)
    if mode == "w":
        if isinstance(file, str | os.PathLike):
            target = os.fspath(file)
            fp, temporary = create_beside(target)
            return BundleWriter(fp, comment=comment, sha256=sha256, close=True, commit=(temporary, target))
        return BundleWriter(file, comment=comment, sha256=sha256)
    raise ValueError(f"mode must be 'r' or 'w', not {mode!r}")
