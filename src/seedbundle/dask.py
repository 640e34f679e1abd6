"""Bundle shards in Dask: read them as a bag or a dataframe, and write a bag or a dataframe as shards.

This module needs Dask: ``python -m pip install "seedbundle[dask]"``, which
brings ``dask[dataframe]`` (and so pandas and pyarrow). Importing
``seedbundle`` never imports Dask; importing ``seedbundle.dask`` does.

A reader makes one partition per shard, or with ``blocksize=`` one
partition per byte range of a shard, as ``dask.bag.read_text`` does for
lines. Each partition is read by [`read_shard`][seedbundle.read_shard], so
a damaged shard raises [`BundleDecodeError`][seedbundle.BundleDecodeError]
on ``compute()``, with the shard named in the message, on any scheduler:
Dask re-raises a worker's exception in the client. With byte ranges, the
partitions of each shard wait for a small task that adds up the entries its
ranges found and compares them with the END line's count; where they
differ, that task reads the shard whole, which raises the error that
[`load`][seedbundle.load] raises, at its position.

Rows are those of the how-to "Dataset shards". In a bag, a row is a dict
and ``date`` is a ``datetime.date``. In a dataframe, the str columns are
``string[pyarrow]`` (what Dask makes of every str column), ``date`` is
``date32[pyarrow]`` (its values are ``datetime.date``; ``.dt`` works on it),
``data`` is ``binary[pyarrow]`` and ``executable`` is ``bool``.

Added in version 1.1.0.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

try:
    import dask
    import dask.bag
    from dask.delayed import Delayed, delayed
except ImportError as error:
    raise ImportError('seedbundle.dask needs Dask: pip install "seedbundle[dask]"') from error

from ._errors import BundleEncodeError
from ._remote import check_storage_options, filesystem, is_url
from ._rows import ROW_COLUMNS
from ._shards import ENTRY_COLUMNS, ShardRows, ShardWriter, _check_kind, byte_ranges, read_shard, shard_size

if TYPE_CHECKING:
    import pandas as pd
    from dask.dataframe import DataFrame

_INSTALL = 'pip install "seedbundle[dask]"'

__all__ = ["MINIMUM_DASK", "read_bag", "read_dataframe", "to_bundles"]

#: The oldest Dask release this module is tested with.
MINIMUM_DASK = (2026, 8, 0)


def _version(text: str) -> tuple[int, ...]:
    """The leading numbers of a version string: ``"2026.8.0rc1"`` gives ``(2026, 8, 0)``."""
    numbers = re.match(r"\d+(?:\.\d+)*", text)
    return tuple(int(part) for part in numbers[0].split(".")) if numbers else ()


def _check_version(version: str) -> None:
    if _version(version) < MINIMUM_DASK:
        wanted = ".".join(map(str, MINIMUM_DASK))
        raise ImportError(f"seedbundle.dask needs Dask {wanted} or later, not {version}: {_INSTALL}")


# Dask's functions are untyped for mypy; each call goes through Any on purpose.
_dask: Any = dask
_check_version(str(_dask.__version__))

_Kind = Literal["articles", "entries"]
# A local path is a glob if it holds any of glob's magic characters; a URL
# only with a '*', since '?' begins its query and '[' may bracket its host.
_GLOB = re.compile(r"[*?[]")


def _expand(urlpath: object, storage_options: Mapping[str, Any] | None) -> list[str]:
    """The shards that ``urlpath`` names: one path or URL, a glob, or a list of them, in order."""
    items: Iterable[object] = (
        urlpath if isinstance(urlpath, list | tuple) else [urlpath]  # a str is one path, not many
    )
    sources: list[str] = []
    for item in items:
        if not isinstance(item, str | os.PathLike):
            raise TypeError(f"a shard is a path or a URL, not {type(item).__name__}")
        text = os.fspath(item)
        if not isinstance(text, str):
            raise TypeError(f"a shard path must be a str, not {type(text).__name__}")
        check_storage_options(text, storage_options)
        if ("*" not in text) if is_url(text) else not _GLOB.search(text):
            sources.append(text)
            continue
        if is_url(text):
            fs, path = filesystem(text, storage_options)
            found = [str(fs.unstrip_protocol(match)) for match in sorted(fs.glob(path))]
        else:  # a file whose name holds a magic character is itself
            found = [text] if os.path.isfile(text) else sorted(glob.glob(text))
        if not found:
            raise FileNotFoundError(f"no shard matches {text!r}")
        sources.extend(found)
    if not sources:
        raise ValueError("no shards to read: urlpath is an empty list")
    return sources


def _blocksize(blocksize: int | str | None) -> int | None:
    if blocksize is None:
        return None
    size = dask.utils.parse_bytes(blocksize) if isinstance(blocksize, str) else blocksize
    byte_ranges(1, size)  # refuses what is not a positive int
    return int(size)


def _read(
    source: str,
    byte_range: tuple[int, int] | None,
    kind: _Kind,
    storage_options: Mapping[str, Any] | None,
    path_column: str | None,
    strict: bool,
) -> ShardRows:
    """The rows of one partition; a decode error names the shard (and the range)."""
    return read_shard(
        source,
        kind=kind,
        byte_range=byte_range,
        storage_options=storage_options,
        path_column=path_column,
        strict=strict,
    )


def _tally(rows: ShardRows) -> tuple[int, int | None]:
    return rows.entries, rows.end_count


def _check_end(
    source: str,
    tallies: list[tuple[int, int | None]],
    storage_options: Mapping[str, Any] | None,
    strict: bool,
) -> None:
    """Check the END count of a shard read in byte ranges: the ranges' entries add up to it.

    On a difference, the shard is read whole: that raises the error ``load``
    raises, with its position.
    """
    counts = [count for _, count in tallies if count is not None]
    found = sum(entries for entries, _ in tallies)
    if not counts or counts == [found]:
        return  # no END line (a hand-written bundle with strict=False), or a count that holds
    _read(source, None, "entries", storage_options, None, strict)
    raise RuntimeError(
        f"shard {source}: its byte ranges hold {found} entries but its END line counts {counts[0]},"
        " yet it reads whole without an error: it changed while it was being read"
    )


def _bag_rows(rows: ShardRows) -> list[dict[str, Any]]:
    columns = rows.columns
    keys = list(columns)
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _after_check(rows: ShardRows, _checked: None, convert: Callable[[ShardRows], Any]) -> Any:
    return convert(rows)


def _read_whole(source: str, convert: Callable[[ShardRows], Any], *options: Any) -> Any:
    return convert(_read(source, None, *options))


def _partitions(
    sources: Sequence[str],
    blocksize: int | None,
    convert: Callable[[ShardRows], Any],
    kind: _Kind,
    storage_options: Mapping[str, Any] | None,
    path_column: str | None,
    strict: bool,
) -> list[Delayed]:
    """One delayed partition per shard, or per byte range of each shard with its END check.

    The keys are named from one token of all the arguments, so that building
    the graph costs no tokenizing per task.
    """
    options = (kind, storage_options, path_column, strict)
    token = dask.base.tokenize(sources, blocksize, convert.__class__.__name__, *options)
    parts: list[Delayed] = []
    for number, source in enumerate(sources):
        name = f"{token}-{number}"
        if blocksize is None:
            parts.append(delayed(_read_whole)(source, convert, *options, dask_key_name=f"read-bundle-{name}"))
            continue
        spans = byte_ranges(shard_size(source, storage_options=storage_options), blocksize)
        reads = [
            delayed(_read)(source, span, *options, dask_key_name=f"read-bundle-range-{name}-{index}")
            for index, span in enumerate(spans)
        ]
        tallies = [
            delayed(_tally)(rows, dask_key_name=f"tally-bundle-range-{name}-{index}")
            for index, rows in enumerate(reads)
        ]
        check = delayed(_check_end)(
            source, tallies, storage_options, strict, dask_key_name=f"check-bundle-{name}"
        )
        parts.extend(
            delayed(_after_check)(rows, check, convert, dask_key_name=f"bundle-range-{name}-{index}")
            for index, rows in enumerate(reads)
        )
    return parts


def read_bag(
    urlpath: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    kind: Literal["articles", "entries"] = "articles",
    blocksize: int | str | None = None,
    include_path: bool = False,
    storage_options: Mapping[str, Any] | None = None,
    strict: bool = True,
) -> dask.bag.Bag:
    """A Dask bag of the rows of bundle shards: a dict per row, a partition per shard or byte range.

    Args:
        urlpath: A shard's path or URL, a glob of them (``"shards/*.bundle"``,
            ``"s3://bucket/*.bundle"``; a URL is a glob only with a ``*``),
            or a list of these, read in order. A glob's matches are sorted.
        kind: ``"articles"``: a row per seed document, with the columns
            ``name``, ``title``, ``date`` (a ``datetime.date``), ``url`` and
            ``text``; ``"entries"``: a row per entry, with ``name``, ``data``
            (bytes) and ``executable``.
        blocksize: None: a partition per shard, read with every check of
            [`load`][seedbundle.load]. An int or a size such as ``"16MiB"``:
            a partition per byte range of that size of each shard; the
            entries of a shard's ranges are checked against its END line.
        include_path: Add the key ``"path"``, the shard's path or URL, to
            every row (as ``dask.bag.read_text`` pairs lines with paths).
        storage_options: For URLs, the fsspec filesystem's options.
        strict: As for [`seedbundle.loads`][seedbundle.loads].

    Raises:
        BundleDecodeError: On ``compute()``, for a damaged shard; the
            message names the shard.
        FileNotFoundError: For a glob that matches nothing.

    Examples:
        >>> import os, tempfile, seedbundle, seedbundle.dask
        >>> rows = [{"title": f"T{i}", "date": "20220122", "url": f"https://e.org/{i}", "text": "Body."}
        ...         for i in range(5)]
        >>> with seedbundle.ShardWriter(os.path.join(tempfile.mkdtemp(), "%d.bundle"), max_rows=2) as writer:
        ...     writer.write_rows(rows)
        >>> bag = seedbundle.dask.read_bag(writer.paths)
        >>> bag.npartitions, bag.pluck("title").compute(scheduler="sync")
        (3, ['T0', 'T1', 'T2', 'T3', 'T4'])

    Added in version 1.1.0.
    """
    kind = _check_kind(kind)
    sources = _expand(urlpath, storage_options)
    parts = _partitions(
        sources,
        _blocksize(blocksize),
        _bag_rows,
        kind,
        storage_options,
        "path" if include_path else None,
        strict,
    )
    bag: dask.bag.Bag = _dask.bag.from_delayed(parts)
    return bag


_ARTICLE_TYPES = {"date": "date32"}
_ENTRY_TYPES = {"data": "binary", "executable": "bool"}


class _Frame:
    """Builds a partition's pandas DataFrame from its columns; the path column is a category."""

    def __init__(self, kind: _Kind, path_column: str | None, paths: Sequence[str]) -> None:
        self.kind = kind
        self.path_column = path_column
        self.paths = list(paths)

    def __call__(self, rows: ShardRows) -> pd.DataFrame:
        import numpy as np
        import pandas as pd
        import pyarrow as pa

        columns = dict(rows.columns)
        path = columns.pop(self.path_column, None) if self.path_column else None
        types = _ARTICLE_TYPES if self.kind == "articles" else _ENTRY_TYPES
        table = pa.table(
            {
                key: pa.array(values, pa.type_for_alias(types.get(key, "string")))
                for key, values in columns.items()
            }
        )
        # string[pyarrow] is what Dask turns every str column into; made here, it needs no conversion.
        arrow = {
            pa.string(): pd.StringDtype("pyarrow"),
            pa.date32(): pd.ArrowDtype(pa.date32()),
            pa.binary(): pd.ArrowDtype(pa.binary()),
        }
        frame: pd.DataFrame = table.to_pandas(types_mapper=arrow.get)
        if self.path_column:
            dtype = pd.CategoricalDtype(self.paths)
            codes = np.full(len(frame), dtype.categories.get_loc(path[0]) if path else 0, dtype=np.int32)
            frame[self.path_column] = pd.Categorical.from_codes(codes, dtype=dtype)
        return frame

    def read_whole(
        self, source: str, storage_options: Mapping[str, Any] | None, strict: bool
    ) -> pd.DataFrame:
        rows = _read(source, None, self.kind, storage_options, self.path_column, strict)
        return self(rows)


def _path_column(include_path_column: bool | str, kind: _Kind) -> str | None:
    if include_path_column is True:
        name = "path"
    elif include_path_column is False:
        return None
    elif isinstance(include_path_column, str) and include_path_column:
        name = include_path_column
    else:
        raise TypeError(f"include_path_column must be a bool or a column name, not {include_path_column!r}")
    if name in (ROW_COLUMNS if kind == "articles" else ENTRY_COLUMNS):
        raise ValueError(f"include_path_column {name!r} is already a column of {kind} rows")
    return name


def read_dataframe(
    urlpath: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    kind: Literal["articles", "entries"] = "articles",
    blocksize: int | str | None = None,
    include_path_column: bool | str = False,
    storage_options: Mapping[str, Any] | None = None,
    strict: bool = True,
) -> DataFrame:
    """A Dask DataFrame of the rows of bundle shards, a partition per shard or byte range.

    The arguments are those of [`read_bag`][seedbundle.dask.read_bag], but
    the path column follows ``dask.dataframe.read_csv``:
    ``include_path_column=True`` adds a column ``path``, a str names it;
    its dtype is a category of the shards' paths or URLs. ``date`` is
    ``date32[pyarrow]`` and its values are ``datetime.date``; ``data``
    (entry rows) is ``binary[pyarrow]``. With no ``blocksize``, the
    partitions come from ``dask.dataframe.from_map``; with one, from
    ``dask.dataframe.from_delayed``, as ``dask.dataframe.read_json`` does.

    Raises:
        BundleDecodeError: On ``compute()``, for a damaged shard; the
            message names the shard.

    Examples:
        >>> import datetime, os, tempfile, seedbundle, seedbundle.dask
        >>> rows = [{"title": f"T{i}", "date": f"2022012{i}", "url": f"https://e.org/{i}", "text": "Body."}
        ...         for i in range(5)]
        >>> with seedbundle.ShardWriter(os.path.join(tempfile.mkdtemp(), "%d.bundle"), max_rows=2) as writer:
        ...     writer.write_rows(rows)
        >>> frame = seedbundle.dask.read_dataframe(writer.paths, blocksize=100)
        >>> frame.dtypes["date"].pyarrow_dtype
        DataType(date32[day])
        >>> late = frame[frame["date"] >= datetime.date(2022, 1, 23)]
        >>> late["title"].compute(scheduler="sync").tolist()
        ['T3', 'T4']

    Added in version 1.1.0.
    """
    kind = _check_kind(kind)
    dd = _dataframe_module()
    sources = _expand(urlpath, storage_options)
    size = _blocksize(blocksize)
    path_column = _path_column(include_path_column, kind)
    frame = _Frame(kind, path_column, sources)
    meta = frame(_no_rows(kind, path_column))
    if size is None:
        collection: DataFrame = dd.from_map(
            frame.read_whole,
            sources,
            args=(storage_options, strict),
            meta=meta,
            label="read-bundles",
            enforce_metadata=False,
        )
        return collection
    parts = _partitions(sources, size, frame, kind, storage_options, path_column, strict)
    collection = dd.from_delayed(parts, meta=meta, prefix="read-bundles", verify_meta=False)
    return collection  # noqa: RET504 (typed as DataFrame here, Any above)


def _no_rows(kind: _Kind, path_column: str | None) -> ShardRows:
    """The rows of a shard that holds none, from which the dataframe's meta is built."""
    columns: dict[str, list[Any]] = {
        name: [] for name in (ROW_COLUMNS if kind == "articles" else ENTRY_COLUMNS)
    }
    if path_column:
        columns[path_column] = []
    return ShardRows(columns, 0, 0)


def _dataframe_module() -> Any:
    """dask.dataframe, imported only for dataframes: it imports pandas and pyarrow."""
    import dask.dataframe

    return dask.dataframe


def _any(value: object) -> Any:
    return value


def _default_name(partition: int) -> str:
    return f"{partition:05d}"


def _frame_rows(frame: pd.DataFrame) -> Iterable[Mapping[str, Any]]:
    """The rows of a pandas partition as dicts of Python values; a datetime date column becomes days."""
    import pandas as pd

    from ._shards import iter_rows

    columns: dict[str, list[Any]] = {}
    for key in frame.columns:
        series = frame[key]
        if key == "date" and pd.api.types.is_datetime64_any_dtype(series.dtype):
            if not (series.isna() | (series == series.dt.normalize())).all():
                raise BundleEncodeError("the date column holds times of day: an article's date is a day")
            columns["date"] = series.dt.date.tolist()
        else:
            columns[str(key)] = series.tolist()
    return iter_rows(columns)


def _write_partition(
    part: Any,
    number: int,
    pattern: str,
    is_frame: bool,
    kind: _Kind,
    max_rows: int,
    max_bytes: int | None,
    storage_options: Mapping[str, Any] | None,
    comment: str,
) -> list[str]:
    writer = ShardWriter(
        pattern,
        kind=kind,
        max_rows=max_rows,
        max_bytes=max_bytes,
        storage_options=storage_options,
        comment=comment,
    )
    try:
        with writer:
            writer.write_rows(_frame_rows(part) if is_frame else part)
    except BundleEncodeError as error:
        raise BundleEncodeError(f"partition {number}: {error}") from error
    return writer.paths


def _joined(paths: list[list[str]]) -> list[str]:
    return [path for part in paths for path in part]


def _patterns(
    urlpath: str,
    npartitions: int,
    name_function: Callable[[int], str],
    storage_options: Mapping[str, Any] | None,
) -> list[str]:
    """The ShardWriter pattern of each partition: the ``*`` becomes the partition's name, then its shard number."""
    check_storage_options(urlpath, storage_options)
    if "*" not in urlpath:
        urlpath = (
            urlpath.rstrip("/") + "/part-*.bundle"
            if is_url(urlpath)
            else os.path.join(urlpath, "part-*.bundle")
        )
    if urlpath.count("*") != 1:
        raise ValueError(f"the output path {urlpath!r} must hold one '*', where each shard's name goes")
    names = [name_function(number) for number in range(npartitions)]
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"name_function must return a non-empty str, not {name!r}")
    if len(set(names)) != len(names):
        raise ValueError("name_function gives two partitions the same name")
    patterns = [urlpath.replace("*", f"{name}-%05d") for name in names]
    parent = urlpath.rsplit("/", 1)[0] if is_url(urlpath) else os.path.dirname(urlpath)
    if "*" in parent:
        raise ValueError(f"the '*' of the output path {urlpath!r} must be in the file name, not a directory")
    if is_url(urlpath):
        fs, path = filesystem(parent, storage_options)
        fs.makedirs(path, exist_ok=True)
    elif parent:
        os.makedirs(parent, exist_ok=True)
    return patterns


@overload
def to_bundles(
    collection: dask.bag.Bag | DataFrame,
    urlpath: str | os.PathLike[str],
    *,
    kind: Literal["articles", "entries"] = "articles",
    name_function: Callable[[int], str] | None = None,
    max_rows: int = 1000,
    max_bytes: int | None = None,
    storage_options: Mapping[str, Any] | None = None,
    comment: str = "",
    compute: Literal[True] = True,
    compute_kwargs: Mapping[str, Any] | None = None,
) -> list[str]: ...


@overload
def to_bundles(
    collection: dask.bag.Bag | DataFrame,
    urlpath: str | os.PathLike[str],
    *,
    kind: Literal["articles", "entries"] = "articles",
    name_function: Callable[[int], str] | None = None,
    max_rows: int = 1000,
    max_bytes: int | None = None,
    storage_options: Mapping[str, Any] | None = None,
    comment: str = "",
    compute: Literal[False],
    compute_kwargs: Mapping[str, Any] | None = None,
) -> Delayed: ...


def to_bundles(
    collection: dask.bag.Bag | DataFrame,
    urlpath: str | os.PathLike[str],
    *,
    kind: Literal["articles", "entries"] = "articles",
    name_function: Callable[[int], str] | None = None,
    max_rows: int = 1000,
    max_bytes: int | None = None,
    storage_options: Mapping[str, Any] | None = None,
    comment: str = "",
    compute: bool = True,
    compute_kwargs: Mapping[str, Any] | None = None,
) -> list[str] | Delayed:
    """Write a bag of row dicts, or a dataframe, as bundle shards: one or more shards per partition.

    Each partition goes through a [`ShardWriter`][seedbundle.ShardWriter]
    of its own, which cuts a new shard after ``max_rows`` rows or before the
    row that would take a shard past ``max_bytes``; an empty partition
    writes no shard. Rows are those that ``ShardWriter`` takes for ``kind``;
    a dataframe's ``date`` column may also be a datetime column of days.

    Args:
        collection: A ``dask.bag.Bag`` of dicts, or a ``dask.dataframe.DataFrame``.
        urlpath: Where the shards go: a path or URL with one ``*``, as for
            ``dask.bag.to_textfiles``, or a directory, which means
            ``<directory>/part-*.bundle``. The ``*`` of partition *i*'s shard
            *j* becomes ``name_function(i)``, a dash and *j* in five digits:
            ``part-00003-00000.bundle``.
        kind: ``"articles"`` or ``"entries"``, as for ``ShardWriter``.
        name_function: The name of partition *i*; by default *i* in five
            digits, so that names sort in the order of the rows.
        max_rows: At most this many rows per shard.
        max_bytes: When given, at most this many bytes per shard.
        storage_options: For a URL, the fsspec filesystem's options.
        comment: Every shard's comment.
        compute: Write now and return the paths; with False, return a
            ``Delayed`` that writes them and computes to the paths.
        compute_kwargs: For ``compute()``, such as ``{"scheduler": "threads"}``.

    Returns:
        The paths or URLs of the shards written, in the order of the rows.

    Raises:
        BundleEncodeError: For a row that does not fit ``kind``; the message
            gives its partition and its number in the partition.

    Examples:
        >>> import os, tempfile, dask.bag, seedbundle, seedbundle.dask
        >>> rows = [{"title": f"T{i}", "date": "20220122", "url": f"https://e.org/{i}", "text": "Body."}
        ...         for i in range(5)]
        >>> folder = tempfile.mkdtemp()
        >>> bag = dask.bag.from_sequence(rows, npartitions=2)
        >>> paths = seedbundle.dask.to_bundles(bag, folder, max_rows=2, compute_kwargs={"scheduler": "sync"})
        >>> [os.path.basename(path) for path in paths]
        ['part-00000-00000.bundle', 'part-00000-00001.bundle', 'part-00001-00000.bundle']
        >>> seedbundle.read_shard(paths[1]).columns["title"]
        ['T2']

    Added in version 1.1.0.
    """
    kind = _check_kind(kind)
    if isinstance(collection, dask.bag.Bag):
        is_frame = False
    else:
        if not isinstance(collection, _dataframe_module().DataFrame):
            raise TypeError(
                f"to_bundles writes a dask bag or a dask DataFrame, not {type(collection).__name__}"
            )
        is_frame = True
    text = os.fspath(urlpath)
    if not isinstance(text, str):
        raise TypeError(f"urlpath must be a str path or URL, not {type(text).__name__}")
    parts: list[Delayed] = list(_any(collection).to_delayed())
    patterns = _patterns(text, len(parts), name_function or _default_name, storage_options)
    for pattern in patterns:  # the writer's own checks (pattern, max_rows, max_bytes), before any work
        ShardWriter(pattern, kind=kind, max_rows=max_rows, max_bytes=max_bytes, comment=comment)
    writes = [
        delayed(_write_partition, pure=False)(
            part, number, pattern, is_frame, kind, max_rows, max_bytes, storage_options, comment
        )
        for number, (part, pattern) in enumerate(zip(parts, patterns, strict=True))
    ]
    written: Delayed = delayed(_joined, pure=False)(writes)
    if not compute:
        return written
    paths: list[str] = _any(written).compute(**dict(compute_kwargs or {}))
    return paths
