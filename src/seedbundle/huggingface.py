"""Bundle shards as Hugging Face datasets: a ``Dataset`` or a streaming ``IterableDataset``, one shard per bundle.

[`load_dataset`][seedbundle.huggingface.load_dataset] reads article or entry
rows from many shards (paths or URLs), as ``datasets.load_dataset`` reads
JSON or Parquet files: into a ``Dataset`` kept as Arrow files in the
``datasets`` cache, or with ``streaming=True`` as an ``IterableDataset``
whose shards are the bundles, so that ``split_dataset_by_node`` and a
DataLoader's workers divide whole bundles among themselves.
[`to_shards`][seedbundle.huggingface.to_shards] writes a dataset out as
bundle shards, and [`features`][seedbundle.huggingface.features] gives the
columns' types.

Each shard is read by [`seedbundle.read_shard`][seedbundle.read_shard], with
every check of [`seedbundle.load`][seedbundle.load], END count included, and
becomes one Arrow table; a damaged shard raises ``BundleDecodeError`` with
the shard's path or URL in its message, also from ``num_proc`` workers.

This module needs datasets: ``python -m pip install 'seedbundle[huggingface]'``.

Added in version 1.1.0.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping, Sequence
from os import PathLike, fspath, stat
from os.path import abspath
from typing import Any, Literal

from ._errors import BundleDecodeError
from ._remote import filesystem, is_url
from ._rows import ROW_COLUMNS
from ._shards import ENTRY_COLUMNS, ShardWriter, _check_kind, iter_rows, read_shard

_INSTALL = "python -m pip install 'seedbundle[huggingface]'"

try:
    import datasets
    import pyarrow as pa
    from datasets.builder import Key
    from datasets.exceptions import DatasetGenerationError
except ImportError as error:
    raise ImportError(f"seedbundle.huggingface needs datasets: {_INSTALL}") from error

__all__ = ["features", "load_dataset", "to_shards"]

# The oldest release of datasets this module is tested with.
_MINIMUM_VERSION = (5, 2)

# datasets patches open(), os.path and pyarrow in the module of every builder it
# instantiates, for dataset scripts that open remote files with the builtins. This
# module reads shards through seedbundle (and fsspec) itself, so it asks to be left as it is.
_patched_for_streaming = True


def _check_version(version: str) -> None:
    found = re.match(r"(\d+)\.(\d+)", version)
    if found is None or (int(found[1]), int(found[2])) < _MINIMUM_VERSION:
        wanted = ".".join(map(str, _MINIMUM_VERSION))
        raise ImportError(f"seedbundle.huggingface needs datasets>={wanted}, not {version}: {_INSTALL}")


_check_version(datasets.__version__)

Shard = str | PathLike[str]


def features(kind: Literal["articles", "entries"] = "articles", *, path_column: str | None = None) -> Any:
    """The ``datasets.Features`` of article or entry rows, with the optional path column.

    Article rows: ``name``, ``title``, ``url`` and ``text`` are strings and
    ``date`` is ``Value("date32")``, a ``datetime.date`` in Python. Entry
    rows: ``name`` (string), ``data`` (binary) and ``executable`` (bool).
    The path column, when named, is a string.

    Raises:
        ValueError: For a bad ``kind``, or a ``path_column`` that is already a column.

    Examples:
        >>> from seedbundle.huggingface import features
        >>> features()["date"]
        Value('date32')
        >>> list(features("entries", path_column="path"))
        ['name', 'data', 'executable', 'path']

    Added in version 1.1.0.
    """
    kind = _check_kind(kind)
    string = datasets.Value("string")
    if kind == "articles":
        types = dict.fromkeys(ROW_COLUMNS, string)
        types["date"] = datasets.Value("date32")
    else:
        types = dict(
            zip(ENTRY_COLUMNS, (string, datasets.Value("binary"), datasets.Value("bool")), strict=True)
        )
    if path_column is not None:
        if path_column in types:
            raise ValueError(f"path_column {path_column!r} is already a column of {kind} rows")
        types[path_column] = string
    return datasets.Features(types)


@dataclasses.dataclass
class _ShardsConfig(datasets.BuilderConfig):  # type: ignore[misc]  # datasets has no type hints
    shards: tuple[str, ...] = ()
    kind: str = "articles"
    path_column: str | None = None
    storage_options: dict[str, Any] | None = None
    split: str = "train"
    # What identifies each shard's content (size, modification time, ETag), part of the cache key.
    stamps: tuple[Any, ...] = ()


class _BundleShards(datasets.ArrowBasedBuilder):  # type: ignore[misc]  # datasets has no type hints
    """A packaged-style builder: each shard becomes one Arrow table, read by ``read_shard``."""

    BUILDER_CONFIG_CLASS = _ShardsConfig

    def _info(self) -> Any:
        return datasets.DatasetInfo(features=features(self.config.kind, path_column=self.config.path_column))

    def _split_generators(self, dl_manager: Any) -> list[Any]:
        # A list in gen_kwargs is what datasets shards over: num_proc jobs, IterableDataset.num_shards.
        return [
            datasets.SplitGenerator(name=self.config.split, gen_kwargs={"shards": list(self.config.shards)})
        ]

    def _generate_shards(self, shards: list[str]) -> Iterator[str]:
        yield from shards

    def _generate_tables(self, shards: list[str]) -> Iterator[tuple[Any, Any]]:
        schema = self.info.features.arrow_schema
        for index, shard in enumerate(shards):
            rows = read_shard(
                shard,
                kind=self.config.kind,
                storage_options=self.config.storage_options,
                path_column=self.config.path_column,
            )
            arrays = [pa.array(rows.columns[field.name], type=field.type) for field in schema]
            yield Key(index, 0), pa.Table.from_arrays(arrays, schema=schema)

    def _prepare_split_single(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        # datasets wraps every error of a job in DatasetGenerationError, whose message
        # says only that an error occurred; a bundle's own error is the one to show.
        # Raised here, inside the job, it also crosses from a num_proc worker intact.
        try:
            yield from super()._prepare_split_single(*args, **kwargs)
        except DatasetGenerationError as error:
            if isinstance(error.__cause__, BundleDecodeError):
                raise error.__cause__ from None
            raise


def _sources(shards: Shard | Sequence[Shard]) -> tuple[str, ...]:
    if isinstance(shards, str | PathLike):
        shards = [shards]
    sources = []
    for shard in shards:
        if not isinstance(shard, str | PathLike):
            raise TypeError(f"a shard must be a path or a URL, not {type(shard).__name__}")
        sources.append(fspath(shard))
    if not sources:
        raise ValueError("no shards to read")
    return tuple(sources)


def _stamp(shard: str, storage_options: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """What changes when the shard at ``shard`` changes, as far as its filesystem tells."""
    if is_url(shard):
        fs, path = filesystem(shard, storage_options)
        return (shard, *sorted((str(key), str(value)) for key, value in fs.info(path).items()))
    status = stat(shard)
    return (abspath(shard), status.st_size, status.st_mtime_ns)


def load_dataset(
    shards: Shard | Sequence[Shard],
    *,
    kind: Literal["articles", "entries"] = "articles",
    streaming: bool = False,
    path_column: str | None = None,
    storage_options: Mapping[str, Any] | None = None,
    split: str = "train",
    num_proc: int | None = None,
    cache_dir: str | PathLike[str] | None = None,
    keep_in_memory: bool = False,
) -> Any:
    """Read bundle shards as a ``datasets.Dataset``, or with ``streaming=True`` an ``IterableDataset``.

    Each shard (one bundle) is read whole by
    [`seedbundle.read_shard`][seedbundle.read_shard] into one Arrow table
    with the [`features`][seedbundle.huggingface.features] of its ``kind``;
    rows keep the order of ``shards``.

    The ``Dataset`` is built once, as ``datasets.load_dataset`` builds one,
    into Arrow files under ``cache_dir`` (by default the ``datasets``
    cache), and later calls with the same arguments reuse them while every
    shard keeps its size and modification time (for a URL: what its
    filesystem reports, such as size and ETag). ``num_proc`` jobs each read
    a share of the shards.

    The ``IterableDataset`` reads a shard only when iteration reaches it, and
    writes nothing. Its ``num_shards`` is the number of bundles, so
    ``datasets.distributed.split_dataset_by_node`` and a DataLoader's workers
    give each rank or worker whole bundles.

    Args:
        shards: One path or URL, or a sequence of them; a URL is read through
            fsspec (the ``remote`` extra). A pattern is not expanded: list
            the shards with ``glob.glob`` or an fsspec filesystem's ``glob``.
        kind: ``"articles"``: a row per seed document; ``"entries"``: a row
            per entry, with its bytes.
        streaming: ``True`` for an ``IterableDataset``.
        path_column: When given, a column of that name holds each row's shard
            path or URL, as given in ``shards``.
        storage_options: For URLs, the fsspec filesystem's options.
        split: The name of the split.
        num_proc: How many processes build the ``Dataset`` (not for streaming).
        cache_dir: Where the ``Dataset``'s Arrow files go.
        keep_in_memory: Copy the ``Dataset`` into memory instead of mapping its files.

    Raises:
        BundleDecodeError: For a damaged shard or seed document; the message
            names the shard, the position is within it. When streaming,
            iteration raises it.
        ValueError: For no shards, a bad ``kind`` or ``path_column``, or
            ``num_proc`` with ``streaming``.

    Examples:
        >>> import os, tempfile, seedbundle
        >>> from seedbundle.huggingface import load_dataset
        >>> folder = tempfile.mkdtemp()
        >>> rows = [{"title": f"T{i}", "date": "20220122", "url": f"https://e.org/{i}", "text": "Body."}
        ...         for i in range(5)]
        >>> with seedbundle.ShardWriter(os.path.join(folder, "part-%03d.bundle"), max_rows=2) as writer:
        ...     writer.write_rows(rows)
        >>> dataset = load_dataset(writer.paths, cache_dir=os.path.join(folder, "cache"))
        >>> dataset.num_rows, dataset[0]["title"], dataset[0]["date"]
        (5, 'T0', datetime.date(2022, 1, 22))
        >>> stream = load_dataset(writer.paths, streaming=True, cache_dir=os.path.join(folder, "cache"))
        >>> stream.num_shards, [row["title"] for row in stream]
        (3, ['T0', 'T1', 'T2', 'T3', 'T4'])

    Added in version 1.1.0.
    """
    sources = _sources(shards)
    kind = _check_kind(kind)
    features(kind, path_column=path_column)  # fails early on a bad path_column
    if streaming and num_proc is not None:
        raise ValueError("num_proc builds a Dataset; an IterableDataset is read in its DataLoader's workers")
    options = dict(storage_options) if storage_options is not None else None
    if options is not None and not all(is_url(source) for source in sources):
        raise ValueError("storage_options is only for URLs, and a shard is a local path")
    builder = _BundleShards(
        cache_dir=fspath(cache_dir) if cache_dir is not None else None,
        dataset_name="seedbundle",
        hash="rows-1",  # the row schema's version: a change of it must not reuse old caches
        shards=sources,
        kind=kind,
        path_column=path_column,
        storage_options=options,
        split=split,
        stamps=() if streaming else tuple(_stamp(source, options) for source in sources),
    )
    if streaming:
        return builder.as_streaming_dataset(split=split)
    builder.download_and_prepare(num_proc=num_proc)
    return builder.as_dataset(split=split, in_memory=keep_in_memory)


def to_shards(
    dataset: Any,
    pattern: str | PathLike[str],
    *,
    kind: Literal["articles", "entries"] = "articles",
    max_rows: int = 1000,
    max_bytes: int | None = None,
    storage_options: Mapping[str, Any] | None = None,
    comment: str = "",
    batch_size: int = 1000,
) -> list[str]:
    """Write the rows of a ``Dataset`` or ``IterableDataset`` into numbered bundle shards.

    The rows go through [`seedbundle.ShardWriter`][seedbundle.ShardWriter],
    in order, which cuts a new shard at ``max_rows`` rows or before
    ``max_bytes`` bytes and writes each shard atomically. Article rows need
    ``title``, ``date`` (a ``datetime.date``, as ``Value("date32")`` gives,
    or a ``YYYYMMDD`` string), ``url`` and ``text``; they are named by
    their index in the shard and other columns are left out. Entry rows need
    ``name`` and ``data`` (binary or string), and may have ``executable``.

    Args:
        dataset: A ``datasets.Dataset`` or ``datasets.IterableDataset``.
        pattern: The shard paths or URLs, with one place for the shard number:
            ``"shards/part-%05d.bundle"``.
        kind: ``"articles"`` or ``"entries"``.
        max_rows: At most this many rows per shard.
        max_bytes: When given, at most this many bytes per shard.
        storage_options: For URLs, the fsspec filesystem's options.
        comment: Every shard's comment.
        batch_size: How many rows are read from the dataset at a time.

    Returns:
        The paths or URLs of the shards written, in order.

    Raises:
        BundleEncodeError: For a row that does not fit ``kind``; the message
            gives its number, and its shard is not written.

    Examples:
        >>> import datasets, os, tempfile, seedbundle
        >>> from seedbundle.huggingface import to_shards
        >>> dataset = datasets.Dataset.from_dict({"name": ["a.txt", "b.txt"], "data": [b"A\\n", b"B\\n"]})
        >>> paths = to_shards(dataset, os.path.join(tempfile.mkdtemp(), "%d.bundle"), kind="entries", max_rows=1)
        >>> [seedbundle.load(path).names for path in paths]
        [('a.txt',), ('b.txt',)]

    Added in version 1.1.0.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive int, not {batch_size!r}")
    with ShardWriter(
        pattern,
        kind=kind,
        max_rows=max_rows,
        max_bytes=max_bytes,
        storage_options=storage_options,
        comment=comment,
    ) as writer:
        for batch in dataset.with_format(None).iter(batch_size=batch_size):
            writer.write_rows(iter_rows(batch))
    return writer.paths
