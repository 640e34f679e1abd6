"""seedbundle.huggingface on the real datasets library: Dataset, IterableDataset, num_proc, split_dataset_by_node.

Everything runs offline (HF_DATASETS_OFFLINE=1) with every cache of datasets
below a temporary folder, never the user's ~/.cache.
"""

from __future__ import annotations

import collections
import datetime
import pickle
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import datasets
import pytest
from datasets.distributed import split_dataset_by_node

import seedbundle
from seedbundle import BundleDecodeError, BundleEncodeError, ShardWriter
from seedbundle.huggingface import features, load_dataset, to_shards

from .conftest import Shards


@pytest.fixture(scope="module", autouse=True)
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """datasets offline, and all its caches in a temporary folder (it read its settings at import)."""
    home = tmp_path_factory.mktemp("hf-home")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "HF_DATASETS_OFFLINE": "1",
            "HF_HUB_OFFLINE": "1",
            "HF_HOME": str(home),
            "HF_DATASETS_CACHE": str(home / "datasets"),
        }.items():
            patch.setenv(name, value)
        patch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
        patch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True)
        patch.setattr(datasets.config, "HF_CACHE_HOME", str(home))
        patch.setattr(datasets.config, "HF_DATASETS_CACHE", home / "datasets")
        patch.setattr(datasets.config, "DOWNLOADED_DATASETS_PATH", home / "datasets" / "downloads")
        patch.setattr(
            datasets.config, "EXTRACTED_DATASETS_PATH", home / "datasets" / "downloads" / "extracted"
        )
        datasets.disable_progress_bars()
        try:
            yield home
        finally:
            datasets.enable_progress_bars()


def expected_rows(shards: Shards, path: bool = False) -> list[dict[str, Any]]:
    """The fixture rows with their names (and shard paths), in shard order."""
    rows = []
    index = 0
    for shard in shards.paths:
        for name in seedbundle.load(shard).names:
            row = {"name": name, **shards.rows[index]}
            if path:
                row["path"] = shard
            rows.append(row)
            index += 1
    assert index == len(shards.rows)
    return rows


def test_a_dataset_holds_every_row_with_its_types(shards: Shards, tmp_path: Path) -> None:
    dataset = load_dataset(shards.paths, cache_dir=tmp_path)
    assert isinstance(dataset, datasets.Dataset)
    assert dataset.features == features()
    assert dataset.features["date"] == datasets.Value("date32")
    rows = dataset.to_list()
    assert rows == expected_rows(shards)
    assert {type(row["date"]) for row in rows} == {datetime.date}
    assert all(Path(file["filename"]).is_relative_to(tmp_path) for file in dataset.cache_files)


def test_the_default_cache_is_datasets_own(shards: Shards, offline: Path) -> None:
    dataset = load_dataset(shards.paths[:2])
    assert dataset.num_rows == 50
    assert all(Path(file["filename"]).is_relative_to(offline / "datasets") for file in dataset.cache_files)


def test_num_proc_2_builds_the_dataset_in_two_jobs_over_http(
    shards: Shards, http_shards: list[str], tmp_path: Path
) -> None:
    dataset = load_dataset(http_shards, num_proc=2, cache_dir=tmp_path, path_column="path")
    # Each job writes its own Arrow file.
    assert len(dataset.cache_files) == 2
    expected = expected_rows(shards)
    for row, url in zip(expected, (url for url in http_shards for _ in range(25)), strict=True):
        row["path"] = url
    assert dataset.to_list() == expected


def test_a_cached_dataset_is_reused_until_a_shard_changes(shards: Shards, tmp_path: Path) -> None:
    folder = tmp_path / "shards"
    shutil.copytree(shards.folder, folder)
    paths = sorted(str(path) for path in folder.iterdir())
    first = load_dataset(paths, cache_dir=tmp_path / "cache")
    again = load_dataset(paths, cache_dir=tmp_path / "cache")
    assert again.cache_files == first.cache_files
    with ShardWriter(tmp_path / "new-%d.bundle") as writer:
        writer.write_row({"title": "Changed", "date": "20240229", "url": "https://e.org/c", "text": ""})
    shutil.copy(writer.paths[0], paths[0])
    changed = load_dataset(paths, cache_dir=tmp_path / "cache")
    assert changed.cache_files != first.cache_files
    assert changed.num_rows == 1 + 7 * 25
    assert changed[0]["title"] == "Changed"


def test_an_iterable_dataset_has_a_shard_per_bundle(
    shards: Shards, http_shards: list[str], tmp_path: Path
) -> None:
    stream = load_dataset(http_shards, streaming=True, cache_dir=tmp_path)
    assert isinstance(stream, datasets.IterableDataset)
    assert stream.num_shards == len(http_shards) == 8
    assert stream.features == features()
    assert list(stream) == expected_rows(shards)
    # The Arrow path of datasets (batched, no Python dicts) gives the same rows.
    batches = list(stream.with_format("arrow").iter(batch_size=64))
    assert sum(len(batch) for batch in batches) == 200
    assert batches[0].column("date").type == datasets.Value("date32").pa_type


def test_storage_options_go_to_the_filesystem(shards: Shards, http_shards: list[str], tmp_path: Path) -> None:
    # block_size=0 makes fsspec's HTTP filesystem read each shard as one stream.
    options = {"block_size": 0}
    stream = load_dataset(http_shards[:2], streaming=True, storage_options=options, cache_dir=tmp_path)
    built = load_dataset(http_shards[:2], storage_options=options, cache_dir=tmp_path)
    assert list(stream) == built.to_list() == expected_rows(shards)[:50]


def test_split_dataset_by_node_gives_each_rank_whole_disjoint_shards(
    shards: Shards, http_shards: list[str], tmp_path: Path
) -> None:
    stream = load_dataset(http_shards, streaming=True, path_column="path", cache_dir=tmp_path)
    ranks = [split_dataset_by_node(stream, rank=rank, world_size=2) for rank in range(2)]
    seen = [list(rank) for rank in ranks]
    assert [rank.num_shards for rank in ranks] == [4, 4]
    paths = [collections.Counter(row["path"] for row in rows) for rows in seen]
    assert not set(paths[0]) & set(paths[1])
    assert set(paths[0]) | set(paths[1]) == set(http_shards)
    # Whole shards: every shard a rank reads, it reads all 25 rows of.
    assert set(paths[0].values()) == set(paths[1].values()) == {25}
    everything = expected_rows(shards)
    for row, url in zip(everything, (url for url in http_shards for _ in range(25)), strict=True):
        row["path"] = url
    key = [sorted(rows, key=lambda row: row["url"]) for rows in (seen[0] + seen[1], everything)]
    assert key[0] == key[1]


def test_workers_divide_whole_bundles_and_the_stream_pickles(
    shards: Shards, http_shards: list[str], tmp_path: Path
) -> None:
    # A DataLoader's workers each get a pickled copy of the dataset and read
    # the shards that IterableDataset.shard gives their index.
    stream = load_dataset(http_shards, streaming=True, path_column="path", cache_dir=tmp_path)
    copy = pickle.loads(pickle.dumps(stream))
    parts = [copy.shard(num_shards=4, index=index) for index in range(4)]
    assert [part.num_shards for part in parts] == [2, 2, 2, 2]
    seen = [sorted({row["path"] for row in part}) for part in parts]
    assert sorted(path for paths in seen for path in paths) == sorted(http_shards)
    assert all(len(paths) == 2 for paths in seen)


def test_split_and_memory_options(shards: Shards, tmp_path: Path) -> None:
    dataset = load_dataset(shards.paths, split="validation", keep_in_memory=True, cache_dir=tmp_path)
    assert str(dataset.split) == "validation"
    assert dataset.cache_files == []
    assert dataset.num_rows == 200
    assert str(load_dataset(shards.paths, streaming=True, split="test", cache_dir=tmp_path).split) == "test"


def test_a_dataset_of_dicts_builds_the_same_as_read_shard(shards: Shards, tmp_path: Path) -> None:
    # Local paths as PathLike, and the path column as given.
    paths = [Path(path) for path in shards.paths]
    dataset = load_dataset(paths, path_column="path", cache_dir=tmp_path)
    assert dataset.to_list() == expected_rows(shards, path=True)


@pytest.fixture
def entry_shards(tmp_path: Path) -> list[str]:
    rows: list[dict[str, Any]] = [
        {"name": "bin/run.sh", "data": b"#!/bin/sh\necho hi\n", "executable": True},
        {"name": "000_19442bb856867afb.txt", "data": b"T\n20220122\nhttps://e.org/\nBody.\n"},
        {"name": "raw.bin", "data": b"\xff\x00 no text"},
        {"name": "empty", "data": b""},
        {"name": "<<<weird name", "data": b"<<<FILE x>>>\n<<<END 1>>>\n"},
    ]
    with ShardWriter(tmp_path / "entries-%d.bundle", kind="entries", max_rows=2) as writer:
        writer.write_rows(rows)
    assert len(writer.paths) == 3
    return writer.paths


def test_entry_rows_hold_every_entry(entry_shards: list[str], tmp_path: Path) -> None:
    dataset = load_dataset(entry_shards, kind="entries", cache_dir=tmp_path)
    expected = [
        {"name": entry.name, "data": entry.data, "executable": entry.executable}
        for shard in entry_shards
        for entry in seedbundle.load(shard).entries
    ]
    assert dataset.features == features("entries")
    assert dataset.to_list() == expected
    assert expected[0]["executable"] is True
    assert expected[2]["data"] == b"\xff\x00 no text"
    stream = load_dataset(entry_shards, kind="entries", streaming=True, cache_dir=tmp_path)
    assert list(stream) == expected
    # Article rows of the same shards: the one seed document only.
    articles = load_dataset(entry_shards, cache_dir=tmp_path)
    assert articles["title"] == ["T"]


def test_a_dataset_written_as_shards_reads_back(shards: Shards, tmp_path: Path) -> None:
    dataset = load_dataset(shards.paths, cache_dir=tmp_path / "cache")
    (tmp_path / "out").mkdir()
    written = to_shards(dataset, tmp_path / "out" / "part-%03d.bundle", max_rows=30)
    assert [Path(path).name for path in written] == [f"part-{n:03d}.bundle" for n in range(7)]
    back = load_dataset(written, cache_dir=tmp_path / "cache")
    columns = ("title", "date", "url", "text")
    assert [{k: row[k] for k in columns} for row in back] == shards.rows
    # Names follow the index in each new shard.
    assert back[30]["name"].startswith("000_")
    # A streaming dataset writes the same shards, cut here by size.
    stream = load_dataset(shards.paths, streaming=True, cache_dir=tmp_path / "cache")
    by_size = to_shards(stream, str(tmp_path / "sized-%d.bundle"), max_bytes=4000, batch_size=7)
    assert len(by_size) > 1
    assert all(Path(path).stat().st_size <= 4000 for path in by_size)
    again = load_dataset(by_size, streaming=True, cache_dir=tmp_path / "cache")
    assert [{k: row[k] for k in columns} for row in again] == shards.rows


def test_entry_rows_and_string_dates_write_too(tmp_path: Path) -> None:
    entries = datasets.Dataset.from_dict(
        {"name": ["a.sh", "b.txt"], "data": [b"#!/bin/sh\n", b"B\n"], "executable": [True, False]}
    )
    (path,) = to_shards(entries, tmp_path / "e-%d.bundle", kind="entries", comment="two files")
    bundle = seedbundle.load(path)
    assert bundle.comment == "two files"
    assert [(entry.name, entry.data, entry.executable) for entry in bundle.entries] == [
        ("a.sh", b"#!/bin/sh\n", True),
        ("b.txt", b"B\n", False),
    ]
    articles = datasets.Dataset.from_dict(
        {"title": ["T"], "date": ["20220122"], "url": ["https://e.org/"], "text": ["One.\nTwo."]}
    )
    (path,) = to_shards(articles, tmp_path / "a-%d.bundle")
    ((name, article),) = seedbundle.load(path).articles().items()
    assert name.startswith("000_")
    assert (article.date, article.paragraphs) == (datetime.date(2022, 1, 22), ("One.", "Two."))


def test_a_bad_row_stops_writing_with_its_number(tmp_path: Path) -> None:
    rows = datasets.Dataset.from_dict(
        {
            "title": ["T", "U"],
            "date": ["20220122", "20221399"],
            "url": ["https://e.org/", "https://e.org/u"],
            "text": ["", ""],
        }
    )
    with pytest.raises(BundleEncodeError, match=r"row 1: the date '20221399' is not a real day"):
        to_shards(rows, tmp_path / "bad-%d.bundle")
    assert not list(tmp_path.glob("bad-*"))


@pytest.fixture
def damaged(shards: Shards, tmp_path: Path) -> list[str]:
    """The shards, the fourth with an END count one too high."""
    folder = tmp_path / "damaged"
    shutil.copytree(shards.folder, folder)
    paths = sorted(str(path) for path in folder.iterdir())
    data = Path(paths[3]).read_bytes()
    assert data.endswith(b"<<<END 25>>>\n")
    Path(paths[3]).write_bytes(data[: -len(b"<<<END 25>>>\n")] + b"<<<END 26>>>\n")
    return paths


def test_a_damaged_shard_raises_its_bundle_error_naming_it(damaged: list[str], tmp_path: Path) -> None:
    lines = Path(damaged[3]).read_bytes().count(b"\n")
    message = rf"shard {re.escape(str(damaged[3]))}: .*26.*\(at line {lines}, column \d+\)"
    with pytest.raises(BundleDecodeError, match=message) as caught:
        load_dataset(damaged, cache_dir=tmp_path / "one")
    assert caught.value.lineno == lines
    # From a num_proc worker, the same error, not datasets' DatasetGenerationError.
    with pytest.raises(BundleDecodeError, match=message):
        load_dataset(damaged, num_proc=2, cache_dir=tmp_path / "two")
    # Nothing half-built stays in the cache to be reused.
    with pytest.raises(BundleDecodeError, match=message):
        load_dataset(damaged, cache_dir=tmp_path / "one")
    stream = load_dataset(damaged, streaming=True, cache_dir=tmp_path)
    rows = iter(stream)
    for _ in range(75):
        next(rows)
    with pytest.raises(BundleDecodeError, match=message):
        next(rows)


def test_a_damaged_seed_document_names_its_shard_and_entry(tmp_path: Path) -> None:
    path = tmp_path / "bad.bundle"
    path.write_bytes(b"<<<FILE 000_19442bb856867afb.txt>>>\nT\n20221399\nhttps://e.org/\n<<<END 1>>>\n")
    with pytest.raises(
        BundleDecodeError, match=rf"shard {re.escape(str(path))}: .*000_19442bb856867afb\.txt"
    ):
        load_dataset([str(path)], cache_dir=tmp_path)


def test_bad_arguments_are_refused(shards: Shards, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="num_proc"):
        load_dataset(shards.paths, streaming=True, num_proc=2, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="no shards"):
        load_dataset([], cache_dir=tmp_path)
    with pytest.raises(ValueError, match="already a column"):
        load_dataset(shards.paths, path_column="title", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="kind must be"):
        load_dataset(shards.paths, kind="files", cache_dir=tmp_path)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="a shard must be a path or a URL"):
        load_dataset([3], cache_dir=tmp_path)  # type: ignore[list-item]
    for streaming in (False, True):
        with pytest.raises(ValueError, match="storage_options is only for URLs"):
            load_dataset(shards.paths, storage_options={"a": 1}, streaming=streaming, cache_dir=tmp_path)
    with pytest.raises(FileNotFoundError):
        load_dataset([str(tmp_path / "missing.bundle")], cache_dir=tmp_path)
    with pytest.raises(ValueError, match="batch_size"):
        to_shards(datasets.Dataset.from_dict({"name": []}), tmp_path / "%d.bundle", batch_size=0)


def test_a_single_shard_may_be_given_alone(shards: Shards, tmp_path: Path) -> None:
    assert load_dataset(shards.paths[0], cache_dir=tmp_path).num_rows == 25
    assert load_dataset(Path(shards.paths[0]), streaming=True, cache_dir=tmp_path).num_shards == 1


def test_an_older_datasets_is_refused_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(datasets, "__version__", "5.1.3")
    monkeypatch.delitem(sys.modules, "seedbundle.huggingface")
    with pytest.raises(
        ImportError, match=r"needs datasets>=5\.2, not 5\.1\.3: .*pip install 'seedbundle\[huggingface\]'"
    ):
        __import__("seedbundle.huggingface")
    monkeypatch.setattr(datasets, "__version__", "5.2.0")
    assert __import__("seedbundle.huggingface").huggingface._MINIMUM_VERSION == (5, 2)


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


def test_without_datasets_the_import_says_what_to_install() -> None:
    done = run_python(
        "import sys\n"
        "sys.modules['datasets'] = None\n"
        "try:\n"
        "    import seedbundle.huggingface\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    assert done.returncode == 0, done.stderr
    assert (
        "seedbundle.huggingface needs datasets: python -m pip install 'seedbundle[huggingface]'"
        in done.stdout
    )


def test_seedbundle_itself_never_imports_datasets() -> None:
    done = run_python(
        "import sys, io, seedbundle, seedbundle.convert\n"
        "seedbundle.read_shard(io.BytesIO(b'<<<END 0>>>\\n'))\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('datasets', 'pyarrow')))\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"
