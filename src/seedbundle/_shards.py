"""Bundle shards as rows: what the dataset engines (Hugging Face, Ray, Dask) share.

A *shard* is one bundle file of a data set, local or at a URL. Its rows are
either *article* rows, one per seed document (the columns of
[`ROW_COLUMNS`][seedbundle._rows.ROW_COLUMNS]), or *entry* rows, one per entry
of any kind (``name``, ``data`` as bytes, ``executable``). A shard is read
whole, with every check of [`seedbundle.load`][seedbundle.load], or as a byte
range, with the checks one range can make (see
[`BundleReader.end_count`][seedbundle.BundleReader.end_count] for the rest).

Writing cuts rows into shards of at most ``max_rows`` rows and, when asked,
at most ``max_bytes`` bytes. Article rows are named as
[`Bundle.from_articles`][seedbundle.Bundle.from_articles] names articles,
by their index in their shard, so that each shard is a seed-document bundle of
its own.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any, Literal

import attrs

from ._api import load
from ._article import _URL
from ._encoder import encode_end, encode_entry
from ._errors import BundleDecodeError, BundleEncodeError
from ._model import Entry
from ._names import numbered_path
from ._remote import filesystem, is_url
from ._rows import ROW_COLUMNS, article_columns
from ._stream import BundleWriter
from ._stream import open as open_bundle

__all__ = [
    "ENTRY_COLUMNS",
    "RowKind",
    "ShardRows",
    "ShardWriter",
    "byte_ranges",
    "iter_rows",
    "read_shard",
    "shard_size",
]

RowKind = Literal["articles", "entries"]

#: The columns of an entry row.
ENTRY_COLUMNS = ("name", "data", "executable")

Source = str | os.PathLike[str] | IO[bytes]


@attrs.frozen
class ShardRows:
    """The rows of one shard or byte range, as columns.

    Attributes:
        columns: One list per column, all of the same length.
        end_count: The entry count of the shard's END line, if this read saw it
            (a whole shard always does; of a shard's byte ranges, the last).
        entries: How many entries this read found, articles or not; over a
            shard's byte ranges these add up to ``end_count``.

    Examples:
        >>> import io
        >>> rows = read_shard(io.BytesIO(b"<<<FILE a>>>\\nA\\n<<<END 1>>>\\n"), kind="entries")
        >>> rows.columns["data"], rows.end_count, rows.entries, len(rows)
        ([b'A\\n'], 1, 1, 1)

    Added in version 1.1.0.
    """

    columns: dict[str, list[Any]]
    end_count: int | None
    entries: int

    def __len__(self) -> int:
        return len(self.columns["name"])


def _check_kind(kind: object) -> RowKind:
    if kind == "articles":
        return "articles"
    if kind == "entries":
        return "entries"
    raise ValueError(f"kind must be 'articles' or 'entries', not {kind!r}")


def _entry_columns(entries: Iterable[Entry]) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {column: [] for column in ENTRY_COLUMNS}
    names, datas, executables = (columns[column] for column in ENTRY_COLUMNS)
    for entry in entries:
        names.append(entry.name)
        datas.append(entry.data)
        executables.append(entry.executable)
    return columns


def read_shard(
    source: Source,
    *,
    kind: Literal["articles", "entries"] = "articles",
    byte_range: tuple[int, int] | None = None,
    storage_options: Mapping[str, Any] | None = None,
    path_column: str | None = None,
    strict: bool = True,
) -> ShardRows:
    """Read the rows of one shard, or of the entries whose FILE line starts in ``byte_range``.

    Args:
        source: A path, a URL (through fsspec) or a binary file object.
        kind: ``"articles"``: a row per seed document (entries with other
            names are left out); ``"entries"``: a row per entry.
        byte_range: ``(start, stop)``, as for [`seedbundle.open`][seedbundle.open].
        storage_options: For a URL, its fsspec filesystem's options.
        path_column: When given, a column of that name holds ``source``
            (as a str) on every row.
        strict: As for [`seedbundle.loads`][seedbundle.loads].

    Raises:
        BundleDecodeError: For a damaged shard or seed document, with its
            position in the shard; for a path or URL, the message begins
            with ``shard <path>:`` (``shard <path>, bytes <start> to <stop>:``
            for a range), since the rows of many shards meet in one data set.
        ValueError: For a bad ``kind``, or a ``path_column`` that is already a column.

    Examples:
        >>> import io
        >>> data = b"<<<FILE 000_19442bb856867afb.txt>>>\\nT\\n20220122\\nhttps://e.org/\\nBody.\\n<<<END 1>>>\\n"
        >>> read_shard(io.BytesIO(data)).columns["title"]
        ['T']

    Added in version 1.1.0.
    """
    kind = _check_kind(kind)
    names = ROW_COLUMNS if kind == "articles" else ENTRY_COLUMNS
    if path_column is not None and path_column in names:
        raise ValueError(f"path_column {path_column!r} is already a column of {kind} rows")
    try:
        return _read_shard(source, kind, byte_range, storage_options, path_column, strict)
    except BundleDecodeError as error:
        if not isinstance(source, str | os.PathLike):
            raise
        # Rows of many shards meet in one data set: the message names the shard, the position is in it.
        where = f"shard {os.fspath(source)}"
        if byte_range is not None:
            where += f", bytes {byte_range[0]} to {byte_range[1]}"
        raise BundleDecodeError(
            f"{where}: {error.msg}", lineno=error.lineno, colno=error.colno, pos=error.pos, line=error.line
        ) from None


def _read_shard(
    source: Source,
    kind: RowKind,
    byte_range: tuple[int, int] | None,
    storage_options: Mapping[str, Any] | None,
    path_column: str | None,
    strict: bool,
) -> ShardRows:
    entries: list[Entry]
    if byte_range is None:
        bundle = load(source, strict=strict, storage_options=storage_options)
        entries = list(bundle.entries)
        end_count: int | None = len(entries)
    else:
        with open_bundle(
            source, strict=strict, byte_range=byte_range, storage_options=storage_options
        ) as reader:
            entries = list(reader)
            end_count = reader.end_count
    if kind == "articles":
        columns = article_columns(((entry.name, entry.data) for entry in entries), skip_others=True)
    else:
        columns = _entry_columns(entries)
    if path_column is not None:
        shown = (
            source
            if isinstance(source, str)
            else os.fspath(source)
            if isinstance(source, os.PathLike)
            else ""
        )
        columns[path_column] = [shown] * len(columns["name"])
    return ShardRows(columns, end_count, len(entries))


def shard_size(source: str | os.PathLike[str], *, storage_options: Mapping[str, Any] | None = None) -> int:
    """The size in bytes of the shard at a path or URL.

    Examples:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "a.bundle")
        >>> _ = open(path, "wb").write(b"<<<END 0>>>\\n")
        >>> shard_size(path)
        12

    Added in version 1.1.0.
    """
    if isinstance(source, str) and is_url(source):
        fs, path = filesystem(source, storage_options)
        return int(fs.size(path))
    if storage_options is not None:
        raise ValueError("storage_options is only for a URL")
    return os.stat(source).st_size


def byte_ranges(size: int, blocksize: int) -> list[tuple[int, int]]:
    """Cut ``size`` bytes into ranges of ``blocksize`` that tile them; at least one range.

    Examples:
        >>> byte_ranges(10, 4)
        [(0, 4), (4, 8), (8, 10)]
        >>> byte_ranges(0, 4)
        [(0, 0)]

    Added in version 1.1.0.
    """
    if isinstance(blocksize, bool) or not isinstance(blocksize, int) or blocksize <= 0:
        raise ValueError(f"blocksize must be a positive int, not {blocksize!r}")
    if size <= 0:
        return [(0, 0)]
    return [(start, min(start + blocksize, size)) for start in range(0, size, blocksize)]


def _article_text(row: Mapping[str, Any], number: int) -> tuple[str, bytes]:
    """The id and document bytes of an article row; the checks are those of ``Article``."""

    def fail(message: str) -> BundleEncodeError:
        return BundleEncodeError(f"row {number}: {message}")

    try:
        title, date, url, text = row["title"], row["date"], row["url"], row["text"]
    except KeyError as error:
        raise fail(f"an article row needs the column {error.args[0]!r}") from None
    if not isinstance(title, str) or not title or "\n" in title:
        raise fail(f"the title must be a non-empty str on one line, not {title!r}")
    if isinstance(date, str) and len(date) == 8 and date.isdigit():
        try:
            date = datetime.date(int(date[:4]), int(date[4:6]), int(date[6:]))
        except ValueError:
            raise fail(f"the date {date!r} is not a real day") from None
    elif isinstance(date, datetime.datetime) or not isinstance(date, datetime.date):
        raise fail(f"the date must be a datetime.date or a YYYYMMDD str, not {date!r}")
    if not isinstance(url, str) or not _URL.fullmatch(url):
        raise fail(f"the url must be an absolute URL such as https://example.org/a, not {url!r}")
    if not isinstance(text, str):
        raise fail(f"the text must be a str, not {type(text).__name__}")
    body = text + "\n" if text else ""
    document = f"{title}\n{date.year:04d}{date.month:02d}{date.day:02d}\n{url}\n{body}"
    digest = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    try:
        return digest, document.encode("utf-8")
    except UnicodeEncodeError as error:
        raise fail(f"the text holds a lone surrogate at index {error.start}") from None


def _entry_of(row: Mapping[str, Any], number: int) -> Entry:
    try:
        return Entry(row["name"], row["data"], executable=bool(row.get("executable", False)))
    except KeyError as error:
        raise BundleEncodeError(f"row {number}: an entry row needs the column {error.args[0]!r}") from None
    except (BundleEncodeError, TypeError) as error:
        raise BundleEncodeError(f"row {number}: {error}") from None


class ShardWriter:
    """Writes rows into numbered shards, cutting a new shard at ``max_rows`` rows or ``max_bytes`` bytes.

    Args:
        pattern: The shard paths or URLs, with one place for the shard number,
            counted from 0: ``"shards/part-%05d.bundle"`` or ``"{n:05d}.bundle"``.
        kind: ``"articles"``: rows have ``title``, ``date`` (a
            ``datetime.date`` or a ``YYYYMMDD`` str), ``url`` and ``text``
            (paragraphs joined by LF); names are made from the index in the
            shard, as ``Bundle.from_articles`` makes them, and a ``name``
            column is ignored. ``"entries"``: rows have ``name``, ``data``
            (bytes or str) and optionally ``executable``.
        max_rows: At most this many rows per shard (1000 keeps article names
            at three digits).
        max_bytes: When given, a shard is cut before the row that would make
            it larger than this; a row larger on its own gets a shard of its own.
        storage_options: For URLs, the fsspec filesystem's options.
        comment: Every shard's comment.
        first: The number of the first shard.

    Each shard is written atomically, like [`seedbundle.dump`][seedbundle.dump].

    Examples:
        >>> import os, tempfile, seedbundle
        >>> folder = tempfile.mkdtemp()
        >>> rows = [{"title": f"T{i}", "date": "20220122", "url": f"https://e.org/{i}", "text": "Body."}
        ...         for i in range(5)]
        >>> with ShardWriter(os.path.join(folder, "part-%03d.bundle"), max_rows=2) as writer:
        ...     writer.write_rows(rows)
        >>> [os.path.basename(path) for path in writer.paths]
        ['part-000.bundle', 'part-001.bundle', 'part-002.bundle']
        >>> seedbundle.load(writer.paths[2]).names
        ('000_6fcd4e6a93a50560.txt',)

    Added in version 1.1.0.
    """

    def __init__(
        self,
        pattern: str | os.PathLike[str],
        *,
        kind: Literal["articles", "entries"] = "articles",
        max_rows: int = 1000,
        max_bytes: int | None = None,
        storage_options: Mapping[str, Any] | None = None,
        comment: str = "",
        first: int = 0,
    ) -> None:
        self._kind = _check_kind(kind)
        if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows <= 0:
            raise ValueError(f"max_rows must be a positive int, not {max_rows!r}")
        if max_bytes is not None and (
            isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0
        ):
            raise ValueError(f"max_bytes must be a positive int or None, not {max_bytes!r}")
        numbered_path(pattern, first, what="shard", first=first)  # fails early on a bad pattern
        self._pattern = pattern
        self._max_rows = max_rows
        self._max_bytes = max_bytes
        self._storage_options = storage_options
        self._comment = comment
        self._number = first
        self._rows_seen = 0
        self._writer: BundleWriter | None = None
        self._in_shard = 0
        self._bytes = 0
        self._fixed = len(encode_end(max_rows))  # the END line, at its largest
        self._index_width = max(3, len(str(max_rows - 1)))  # of the article names' index
        self.paths: list[str] = []

    def _open(self) -> BundleWriter:
        path = numbered_path(self._pattern, self._number, what="shard", first=0)
        self._number += 1
        writer = open_bundle(path, "w", comment=self._comment, storage_options=self._storage_options)
        self.paths.append(path)
        self._in_shard = 0
        self._bytes = len(self._comment.encode("utf-8")) + 1 if self._comment else 0
        return writer

    def write_row(self, row: Mapping[str, Any]) -> None:
        """Add one row; it goes into the current shard or starts the next one.

        Raises:
            BundleEncodeError: For a row that does not fit its kind; the
                message gives its number, counted from 0 over the writer.

        Examples:
            >>> import os, tempfile, seedbundle
            >>> pattern = os.path.join(tempfile.mkdtemp(), "%d.bundle")
            >>> with ShardWriter(pattern, kind="entries") as writer:
            ...     writer.write_row({"name": "a.txt", "data": b"A\\n"})
            >>> seedbundle.load(writer.paths[0]).names
            ('a.txt',)

        Added in version 1.1.0.
        """
        number = self._rows_seen
        if self._kind == "articles":
            digest, data = _article_text(row, number)
            entry = None
        else:
            entry = _entry_of(row, number)
        self._rows_seen += 1
        writer = self._writer
        size = 0
        if self._max_bytes is not None:
            # Sized as written: escaped lines, and base64 for a document that is not text (a NUL).
            # An article's index is known only once its shard is chosen; the widest name is counted.
            sized = entry or Entry(f"{'0' * self._index_width}_{digest}.txt", data)
            size = sum(len(part) for part in encode_entry(sized))
        if writer is not None and (
            self._in_shard >= self._max_rows
            or (self._max_bytes is not None and self._bytes + size + self._fixed > self._max_bytes)
        ):
            writer.close()
            writer = None
        if writer is None:
            writer = self._writer = self._open()
        if entry is None:
            writer.add(f"{self._in_shard:03d}_{digest}.txt", data)
        else:
            writer.add(entry)
        self._in_shard += 1
        self._bytes += size

    def write_rows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Add every row of ``rows`` in order.

        Examples:
            >>> import os, tempfile, seedbundle
            >>> pattern = os.path.join(tempfile.mkdtemp(), "%d.bundle")
            >>> with ShardWriter(pattern, kind="entries", max_rows=1) as writer:
            ...     writer.write_rows([{"name": "a", "data": b""}, {"name": "b", "data": b""}])
            >>> len(writer.paths)
            2

        Added in version 1.1.0.
        """
        for row in rows:
            self.write_row(row)

    def close(self) -> None:
        """Finish the last shard. A writer that saw no rows writes no shard.

        Examples:
            >>> import os, tempfile
            >>> writer = ShardWriter(os.path.join(tempfile.mkdtemp(), "%d.bundle"))
            >>> writer.close()
            >>> writer.paths
            []

        Added in version 1.1.0.
        """
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.close()

    def _discard(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.__exit__(RuntimeError, RuntimeError("discarded"), None)

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_rest: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self._discard()


def iter_rows(columns: Mapping[str, list[Any]]) -> Iterator[dict[str, Any]]:
    """The rows of ``columns``, one dict each.

    Examples:
        >>> list(iter_rows({"a": [1, 2], "b": ["x", "y"]}))
        [{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'y'}]
    """
    keys = list(columns)
    for values in zip(*(columns[key] for key in keys), strict=True):
        yield dict(zip(keys, values, strict=True))
