"""Ray Data: bundle shards as a ``ray.data.Dataset``, and a dataset written out as bundle shards.

[`read_bundles`][seedbundle.ray.read_bundles] reads article or entry rows
from shards at paths or URLs, through
[`BundleDatasource`][seedbundle.ray.BundleDatasource];
[`write_bundles`][seedbundle.ray.write_bundles] writes a dataset's rows into
numbered shards, through [`BundleDatasink`][seedbundle.ray.BundleDatasink].
They follow the conventions of Ray's own readers and writers
(``ray.data.read_json``, ``Dataset.write_json``): ``include_paths`` adds a
``"path"`` column, ``filesystem`` takes a pyarrow filesystem,
``override_num_blocks``, ``concurrency``, ``num_cpus`` and ``memory`` (for
reading) and ``ray_remote_args`` (for writing) are passed on to Ray, and a
write goes into a folder.

Blocks are pyarrow tables with the columns of the rows (``date`` as
``date32``). This module needs Ray Data: ``python -m pip install
"seedbundle[ray]"``.

Added in version 1.1.0.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal

from ._errors import BundleEncodeError
from ._remote import filesystem, is_url
from ._rows import ROW_COLUMNS
from ._shards import ENTRY_COLUMNS, ShardRows, ShardWriter, byte_ranges, iter_rows, read_shard, shard_size

_MINIMUM_RAY = (2, 60)
_INSTALL = 'python -m pip install "seedbundle[ray]"'

try:
    import ray
except ImportError as error:
    raise ImportError(f"seedbundle.ray needs Ray Data: {_INSTALL}") from error


def _version_tuple(version: str) -> tuple[int, ...]:
    parts: list[int] = []
    for part in version.split(".")[:2]:
        digits = "".join(character for character in part if character.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


if _version_tuple(getattr(ray, "__version__", "0")) < _MINIMUM_RAY:
    raise ImportError(
        f"seedbundle.ray needs Ray {'.'.join(map(str, _MINIMUM_RAY))} or newer, not"
        f" {getattr(ray, '__version__', 'unknown')}: {_INSTALL}"
    )

try:
    import pyarrow as pa
    import ray.data
    from ray.data.block import Block, BlockAccessor, BlockMetadata
    from ray.data.datasource import Datasink, Datasource, ReadTask
except ImportError as error:  # Ray itself without its "data" extra
    raise ImportError(f"seedbundle.ray needs Ray Data: {_INSTALL}") from error

__all__ = ["BundleDatasink", "BundleDatasource", "read_bundles", "write_bundles"]

_PATH = "path"

_TYPES: dict[str, pa.DataType] = {
    "name": pa.string(),
    "title": pa.string(),
    "date": pa.date32(),
    "url": pa.string(),
    "text": pa.string(),
    "data": pa.binary(),
    "executable": pa.bool_(),
    _PATH: pa.string(),
}


def _schema(kind: str, include_paths: bool) -> pa.Schema:
    names = [
        *(ROW_COLUMNS if kind == "articles" else ENTRY_COLUMNS),
        *([_PATH] if include_paths else []),
    ]
    return pa.schema([(name, _TYPES[name]) for name in names])


def _paths(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str]:
    listed = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    if not listed:
        raise ValueError("read_bundles needs at least one shard path or URL")
    for path in listed:
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"a shard is a path or a URL, not {type(path).__name__}")
    return [os.fspath(path) for path in listed]


class _Unit:
    """One block to read: a whole shard, or one byte range of it."""

    __slots__ = ("byte_range", "path", "size")

    def __init__(self, path: str, size: int, byte_range: tuple[int, int] | None) -> None:
        self.path = path
        self.size = size
        self.byte_range = byte_range


def _check_filesystem(filesystem: Any, storage_options: Mapping[str, Any] | None) -> None:
    if filesystem is None:
        return
    if storage_options is not None:
        raise ValueError("give either filesystem or storage_options, not both")
    if not (
        hasattr(filesystem, "open_input_file")
        or (hasattr(filesystem, "open") and hasattr(filesystem, "size"))
    ):
        raise TypeError(
            f"filesystem must be a pyarrow.fs.FileSystem or an fsspec filesystem, not {type(filesystem).__name__}"
        )


def _in_pyarrow(path: str) -> str:
    """The path that a pyarrow filesystem takes for ``path``: pyarrow's S3 and GCS refuse a URL's scheme."""
    return path.split("://", 1)[1] if is_url(path) else path


def _size(path: str, filesystem: Any, storage_options: Mapping[str, Any] | None) -> int:
    if filesystem is None:
        return shard_size(path, storage_options=storage_options)
    if hasattr(filesystem, "open_input_file"):
        return int(filesystem.get_file_info(_in_pyarrow(path)).size)
    return int(filesystem.size(path))


def _rows(
    unit: _Unit,
    kind: Literal["articles", "entries"],
    include_paths: bool,
    filesystem: Any,
    storage_options: Mapping[str, Any] | None,
    strict: bool,
) -> ShardRows:
    if filesystem is None:
        return read_shard(
            unit.path,
            kind=kind,
            byte_range=unit.byte_range,
            storage_options=storage_options,
            path_column=_PATH if include_paths else None,
            strict=strict,
        )
    opened = (
        filesystem.open_input_file(_in_pyarrow(unit.path))
        if hasattr(filesystem, "open_input_file")
        else filesystem.open(unit.path, "rb")
    )
    with opened as file:
        rows = read_shard(file, kind=kind, byte_range=unit.byte_range, strict=strict)
    if include_paths:
        rows.columns[_PATH] = [unit.path] * len(rows)
    return rows


def _read_unit(
    unit: _Unit,
    *,
    kind: Literal["articles", "entries"],
    include_paths: bool,
    filesystem: Any,
    storage_options: Mapping[str, Any] | None,
    strict: bool,
    schema: pa.Schema,
) -> pa.Table:
    rows = _rows(unit, kind, include_paths, filesystem, storage_options, strict)
    return pa.Table.from_pydict(rows.columns, schema=schema)


class BundleDatasource(Datasource):
    """A Ray Data datasource of article or entry rows from bundle shards.

    Each shard, or with ``blocksize`` each byte range of a shard, is one
    block; Ray's ``parallelism`` groups consecutive blocks into read tasks,
    at most one task per block. Most code calls
    [`read_bundles`][seedbundle.ray.read_bundles], which takes the same
    arguments and passes this to ``ray.data.read_datasource``.

    Args:
        paths: Shard paths or URLs (one, or a list), read in this order;
            files, not folders (Ray's readers list folders, this one does not).
        kind: ``"articles"`` for article rows, ``"entries"`` for entry rows.
        include_paths: Add a ``"path"`` column holding each row's shard.
        blocksize: When given, cut each shard into byte ranges of this many
            bytes, each a block of its own. A range checks what one range
            can: not the END count, name uniqueness across ranges, nor the
            comment of the shard (see the how-to, "Dataset shards").
        filesystem: As for Ray's readers, a ``pyarrow.fs.FileSystem`` (or an
            fsspec filesystem) that ``paths`` are paths of; by default paths
            are local and URLs go through fsspec.
        storage_options: For URLs, the options of their fsspec filesystem.
        strict: As for [`seedbundle.loads`][seedbundle.loads].

    The shards' sizes are read when the datasource is made (one ``stat`` or
    HTTP ``HEAD`` per shard, on the driver), for Ray's size estimate and
    for the byte ranges.

    Examples:
        >>> import os, tempfile, seedbundle
        >>> from seedbundle.ray import BundleDatasource
        >>> row = {"title": "T", "date": "20220122", "url": "https://e.org/", "text": "Body."}
        >>> with seedbundle.ShardWriter(os.path.join(tempfile.mkdtemp(), "%d.bundle")) as writer:
        ...     writer.write_rows([row] * 3)
        >>> tasks = BundleDatasource(writer.paths, blocksize=64).get_read_tasks(8)
        >>> len(tasks), tasks[0].metadata.input_files == (writer.paths[0],)
        (4, True)
        >>> [block.num_rows for task in tasks for block in task()]
        [1, 1, 1, 0]

    Added in version 1.1.0.
    """

    def __init__(
        self,
        paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        *,
        kind: Literal["articles", "entries"] = "articles",
        include_paths: bool = False,
        blocksize: int | None = None,
        filesystem: Any = None,
        storage_options: Mapping[str, Any] | None = None,
        strict: bool = True,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Ray's __init__ has no annotations
        if kind not in ("articles", "entries"):
            raise ValueError(f"kind must be 'articles' or 'entries', not {kind!r}")
        self._kind: Literal["articles", "entries"] = kind
        self._include_paths = bool(include_paths)
        _check_filesystem(filesystem, storage_options)
        self._filesystem = filesystem
        self._storage_options = dict(storage_options) if storage_options is not None else None
        self._strict = strict
        self._schema = _schema(kind, self._include_paths)
        self._units: list[_Unit] = []
        for path in _paths(paths):
            size = _size(path, filesystem, self._storage_options)
            if blocksize is None:
                self._units.append(_Unit(path, size, None))
            else:
                spans = byte_ranges(size, blocksize)
                self._units += [_Unit(path, stop - start, (start, stop)) for start, stop in spans]

    @property
    def blocks(self) -> int:
        """How many blocks the shards make: one per shard, or per byte range with ``blocksize``.

        Examples:
            >>> import os, tempfile
            >>> path = os.path.join(tempfile.mkdtemp(), "a.bundle")
            >>> _ = open(path, "wb").write(b"<<<END 0>>>\\n")
            >>> BundleDatasource([path, path]).blocks
            2

        Added in version 1.1.0.
        """
        return len(self._units)

    def get_name(self) -> str:
        """The name of the read tasks in Ray's progress and statistics: ``"ReadBundle"`` after Ray's prefix.

        Examples:
            >>> import os, tempfile
            >>> path = os.path.join(tempfile.mkdtemp(), "a.bundle")
            >>> _ = open(path, "wb").write(b"<<<END 0>>>\\n")
            >>> BundleDatasource(path).get_name()
            'Bundle'

        Added in version 1.1.0.
        """
        return "Bundle"

    def estimate_inmemory_data_size(self) -> int:
        """The shards' size in bytes, which their rows take in memory within a few percent.

        Examples:
            >>> import os, tempfile
            >>> path = os.path.join(tempfile.mkdtemp(), "a.bundle")
            >>> _ = open(path, "wb").write(b"<<<END 0>>>\\n")
            >>> BundleDatasource([path, path]).estimate_inmemory_data_size()
            24

        Added in version 1.1.0.
        """
        return sum(unit.size for unit in self._units)

    def get_read_tasks(
        self,
        parallelism: int,
        per_task_row_limit: int | None = None,
        data_context: Any = None,
    ) -> list[ReadTask]:
        """Read tasks of consecutive blocks (shards or byte ranges), ``parallelism`` of them at most.

        Examples:
            >>> import os, tempfile
            >>> path = os.path.join(tempfile.mkdtemp(), "a.bundle")
            >>> _ = open(path, "wb").write(b"<<<END 0>>>\\n")
            >>> tasks = BundleDatasource([path] * 5).get_read_tasks(2)
            >>> [len(task.metadata.input_files) for task in tasks]
            [3, 2]

        Added in version 1.1.0.
        """
        count = max(1, min(parallelism, len(self._units)))
        share, extra = divmod(len(self._units), count)
        tasks: list[ReadTask] = []
        start = 0
        for number in range(count):
            group = self._units[start : start + share + (number < extra)]
            start += len(group)
            metadata = BlockMetadata(
                num_rows=None,
                size_bytes=sum(unit.size for unit in group),
                input_files=tuple(unit.path for unit in group),
                exec_stats=None,
            )
            tasks.append(
                ReadTask(
                    _ReadGroup(
                        group,
                        kind=self._kind,
                        include_paths=self._include_paths,
                        filesystem=self._filesystem,
                        storage_options=self._storage_options,
                        strict=self._strict,
                        schema=self._schema,
                    ),
                    metadata,
                    schema=self._schema,
                    per_task_row_limit=per_task_row_limit,
                )
            )
        return tasks


class _ReadGroup:
    """The read function of one task: a picklable callable rather than a closure, so it ships small."""

    def __init__(
        self,
        units: list[_Unit],
        *,
        kind: Literal["articles", "entries"],
        include_paths: bool,
        filesystem: Any,
        storage_options: Mapping[str, Any] | None,
        strict: bool,
        schema: pa.Schema,
    ) -> None:
        self.units = units
        self.kind: Literal["articles", "entries"] = kind
        self.include_paths = include_paths
        self.filesystem = filesystem
        self.storage_options = storage_options
        self.strict = strict
        self.schema = schema

    def __call__(self) -> Iterator[Block]:
        for unit in self.units:
            yield _read_unit(
                unit,
                kind=self.kind,
                include_paths=self.include_paths,
                filesystem=self.filesystem,
                storage_options=self.storage_options,
                strict=self.strict,
                schema=self.schema,
            )


def read_bundles(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    kind: Literal["articles", "entries"] = "articles",
    include_paths: bool = False,
    blocksize: int | None = None,
    filesystem: Any = None,
    storage_options: Mapping[str, Any] | None = None,
    strict: bool = True,
    override_num_blocks: int | None = None,
    concurrency: int | None = None,
    num_cpus: float | None = None,
    memory: float | None = None,
) -> ray.data.Dataset:
    """Read the rows of bundle shards, at paths or URLs, as a ``ray.data.Dataset``.

    Args:
        paths: Shard paths or URLs (one, or a list), read in this order;
            files, not folders (Ray's readers list folders, this one does not).
        kind: ``"articles"``: a row per seed document (columns ``name``,
            ``title``, ``date`` as ``date32``, ``url``, ``text``); ``"entries"``:
            a row per entry (``name``, ``data`` as binary, ``executable``).
        include_paths: Add a ``"path"`` column holding each row's shard, as given.
        blocksize: When given, read each shard as byte ranges of this many
            bytes, each a block of its own; otherwise each shard is a block.
        filesystem: As for Ray's readers, a ``pyarrow.fs.FileSystem`` (or an
            fsspec filesystem) that ``paths`` are paths of; by default paths
            are local and URLs go through fsspec. Not with ``storage_options``.
        storage_options: For URLs, the options of their fsspec filesystem.
        strict: As for [`seedbundle.loads`][seedbundle.loads].
        override_num_blocks: As for Ray's readers: the number of output
            blocks. By default each shard (or byte range) is one block; fewer
            read consecutive shards in one task, more split the blocks.
        concurrency: As for Ray's readers: at most this many read tasks at once.
        num_cpus: As for Ray's readers: the CPUs each read task reserves.
        memory: As for Ray's readers: the heap memory in bytes each read task reserves.

    Raises:
        BundleDecodeError: When the dataset is executed, for a damaged shard
            or seed document; the message names the shard (and the byte
            range) and gives the position. Ray raises it as a
            ``RayTaskError`` that is also a ``BundleDecodeError``.

    Examples:
        >>> import ray
        >>> from seedbundle.ray import read_bundles
        >>> ds = read_bundles(["shards/part-00000.bundle", "shards/part-00001.bundle"])  # doctest: +SKIP
        >>> ds.take(1)[0]["date"]  # doctest: +SKIP
        datetime.date(2022, 1, 1)

        The how-to "Dataset shards" runs this on a local Ray instance.

    Added in version 1.1.0.
    """
    datasource = BundleDatasource(
        paths,
        kind=kind,
        include_paths=include_paths,
        blocksize=blocksize,
        filesystem=filesystem,
        storage_options=storage_options,
        strict=strict,
    )
    dataset: ray.data.Dataset = ray.data.read_datasource(
        datasource,
        # By default one block per shard (or range), rather than Ray's guess from the size.
        override_num_blocks=datasource.blocks if override_num_blocks is None else override_num_blocks,
        concurrency=concurrency,
        num_cpus=num_cpus,
        memory=memory,
    )
    return dataset


class BundleDatasink(Datasink[list[str]]):
    """A Ray Data datasink that writes rows as bundle shards into a folder.

    Each write task writes its blocks' rows through a
    [`ShardWriter`][seedbundle.ShardWriter], cutting a new shard every
    ``max_rows_per_file`` rows (1000 by default, which keeps article names
    at three digits) and, when given, before the row that would take a shard
    past ``max_bytes_per_file``; a block larger than that becomes several
    shards. Shards are named as Ray names its files,
    ``{write id}_{task:06d}_{shard:06d}.bundle``: unique across the tasks of
    a write and across writes; sorted, they are in the dataset's order when
    Ray keeps it (``DataContext.execution_options.preserve_order``).

    Most code calls [`write_bundles`][seedbundle.ray.write_bundles], which
    takes the same arguments.

    Args:
        path: The folder (a path or a URL) that the shards go into.
        kind: ``"articles"`` (rows with ``title``, ``date``, ``url`` and
            ``text``; a ``name`` column is ignored, names are made from the
            index in the shard) or ``"entries"`` (``name``, ``data`` and
            optionally ``executable``).
        max_rows_per_file: At most this many rows per shard.
        max_bytes_per_file: When given, at most this many bytes per shard
            (a row larger on its own gets a shard of its own).
        min_rows_per_file: When given, Ray gathers blocks until a write task
            has this many rows, so that small blocks make fewer, fuller shards.
        storage_options: For a URL, the options of its fsspec filesystem.
        comment: Every shard's comment.

    Attributes:
        paths: After the write, every shard written, in order.

    Examples:
        >>> import tempfile
        >>> from seedbundle.ray import BundleDatasink
        >>> sink = BundleDatasink(tempfile.mkdtemp(), max_rows_per_file=500)
        >>> sink.min_rows_per_write is None, sink.get_name()
        (True, 'Bundle')

    Added in version 1.1.0.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        kind: Literal["articles", "entries"] = "articles",
        max_rows_per_file: int = 1000,
        max_bytes_per_file: int | None = None,
        min_rows_per_file: int | None = None,
        storage_options: Mapping[str, Any] | None = None,
        comment: str = "",
    ) -> None:
        folder = os.fspath(path)
        self._folder = folder.rstrip("/") if is_url(folder) else folder
        self._kind: Literal["articles", "entries"] = kind
        self._max_rows = max_rows_per_file
        self._max_bytes = max_bytes_per_file
        self._min_rows = min_rows_per_file
        self._storage_options = dict(storage_options) if storage_options is not None else None
        self._comment = comment
        self._write_id = uuid.uuid4().hex
        self.paths: list[str] = []
        # Fails now, on the driver, for a bad kind or size rather than in every write task.
        ShardWriter(self._pattern(0), kind=kind, max_rows=max_rows_per_file, max_bytes=max_bytes_per_file)

    def _pattern(self, task: int) -> str:
        name = f"{self._write_id}_{task:06d}_{{n:06d}}.bundle"
        return f"{self._folder}/{name}" if is_url(self._folder) else os.path.join(self._folder, name)

    def get_name(self) -> str:
        """The name of the write tasks in Ray's progress and statistics.

        Examples:
            >>> BundleDatasink("out").get_name()
            'Bundle'

        Added in version 1.1.0.
        """
        return "Bundle"

    @property
    def min_rows_per_write(self) -> int | None:
        """``min_rows_per_file``: how many rows Ray gathers for each write task, or None.

        Examples:
            >>> BundleDatasink("out", min_rows_per_file=1000).min_rows_per_write
            1000

        Added in version 1.1.0.
        """
        return self._min_rows

    def on_write_start(self, schema: pa.Schema | None = None) -> None:
        """Make the folder, as Ray's file writers do (for an object store's URL, fsspec makes none).

        Examples:
            >>> import os, tempfile
            >>> folder = os.path.join(tempfile.mkdtemp(), "out")
            >>> BundleDatasink(folder).on_write_start()
            >>> os.path.isdir(folder)
            True

        Added in version 1.1.0.
        """
        if is_url(self._folder):
            fs, folder = filesystem(self._folder, self._storage_options)
            fs.makedirs(folder, exist_ok=True)
        else:
            os.makedirs(self._folder, exist_ok=True)

    def write(self, blocks: Iterable[Block], ctx: Any) -> list[str]:
        """Write one task's blocks as shards; returns their paths.

        Examples:
            >>> import datetime, tempfile, pyarrow as pa, seedbundle
            >>> from types import SimpleNamespace
            >>> table = pa.table({"title": ["T"] * 3, "date": [datetime.date(2022, 1, 22)] * 3,
            ...                   "url": ["https://e.org/"] * 3, "text": ["Body."] * 3})
            >>> sink = BundleDatasink(tempfile.mkdtemp(), max_rows_per_file=2)
            >>> paths = sink.write([table], SimpleNamespace(task_idx=0))
            >>> [len(seedbundle.load(path).entries) for path in paths]
            [2, 1]

        Added in version 1.1.0.
        """
        task = int(ctx.task_idx)
        try:
            with ShardWriter(
                self._pattern(task),
                kind=self._kind,
                max_rows=self._max_rows,
                max_bytes=self._max_bytes,
                storage_options=self._storage_options,
                comment=self._comment,
            ) as writer:
                for block in blocks:
                    table = BlockAccessor.for_block(block).to_arrow()
                    writer.write_rows(iter_rows(table.to_pydict()))
        except BundleEncodeError as error:
            # The writer counts rows within this task; the task number says which rows those are.
            raise BundleEncodeError(f"write task {task}, {error}") from None
        return writer.paths

    def on_write_complete(self, write_result: Any) -> None:
        """Keep the paths of every shard written, in order, in ``paths``.

        Examples:
            >>> from types import SimpleNamespace
            >>> sink = BundleDatasink("out")
            >>> sink.on_write_complete(SimpleNamespace(write_returns=[["b"], [], ["a"]]))
            >>> sink.paths
            ['a', 'b']

        Added in version 1.1.0.
        """
        self.paths = sorted(path for paths in write_result.write_returns for path in paths)


def write_bundles(
    dataset: ray.data.Dataset,
    path: str | os.PathLike[str],
    *,
    kind: Literal["articles", "entries"] = "articles",
    max_rows_per_file: int = 1000,
    max_bytes_per_file: int | None = None,
    min_rows_per_file: int | None = None,
    storage_options: Mapping[str, Any] | None = None,
    comment: str = "",
    concurrency: int | None = None,
    ray_remote_args: Mapping[str, Any] | None = None,
) -> list[str]:
    """Write the rows of ``dataset`` as bundle shards into the folder ``path``; returns the shards' paths.

    The arguments are those of [`BundleDatasink`][seedbundle.ray.BundleDatasink],
    and ``concurrency`` and ``ray_remote_args`` as for Ray's writers. Each
    shard is written atomically; a write that fails leaves the shards that
    its other tasks finished, as Ray's file writers do.

    Raises:
        BundleEncodeError: For a row that does not fit ``kind``, with the
            number of the write task and of the row in it, counted from 0; Ray
            raises it as a ``RayTaskError`` that is also a ``BundleEncodeError``.

    Examples:
        >>> import ray
        >>> from seedbundle.ray import write_bundles
        >>> ds = ray.data.from_items(rows)  # doctest: +SKIP
        >>> write_bundles(ds, "shards", max_rows_per_file=500)  # doctest: +SKIP
        ['shards/1f0c..._000000_000000.bundle', ...]

        The how-to "Dataset shards" runs this on a local Ray instance.

    Added in version 1.1.0.
    """
    sink = BundleDatasink(
        path,
        kind=kind,
        max_rows_per_file=max_rows_per_file,
        max_bytes_per_file=max_bytes_per_file,
        min_rows_per_file=min_rows_per_file,
        storage_options=storage_options,
        comment=comment,
    )
    dataset.write_datasink(
        sink,
        concurrency=concurrency,
        ray_remote_args=dict(ray_remote_args) if ray_remote_args is not None else None,
    )
    return sink.paths
