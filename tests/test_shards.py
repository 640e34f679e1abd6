"""The shard rows and the shard writer that the dataset engines share."""

from __future__ import annotations

import datetime
import io
import os
from pathlib import Path
from typing import Any

import pytest

import seedbundle
from seedbundle import Article, Bundle, BundleDecodeError, BundleEncodeError
from seedbundle._shards import ShardWriter, byte_ranges, read_shard, shard_size

DAY = datetime.date(2022, 1, 22)


def _rows(count: int) -> list[dict[str, Any]]:
    return [
        {"title": f"Title {n}", "date": DAY, "url": f"https://example.org/{n}", "text": f"One {n}.\nTwo."}
        for n in range(count)
    ]


def test_a_shard_past_999_rows_names_its_articles_with_more_digits(tmp_path: Path) -> None:
    with ShardWriter(tmp_path / "big-{n}.bundle", max_rows=1200) as writer:
        writer.write_rows(_rows(1001))
    (path,) = writer.paths
    names = seedbundle.load(path).names
    assert names[999].startswith("999_")
    assert names[1000].startswith("1000_")
    rows = read_shard(path)
    assert rows.columns["name"] == list(names)
    assert rows.columns["date"][0] == DAY


def test_the_default_cut_is_1000_rows_so_names_keep_three_digits(tmp_path: Path) -> None:
    with ShardWriter(tmp_path / "s-%02d.bundle") as writer:
        writer.write_rows(_rows(2001))
    assert [len(seedbundle.load(path)) for path in writer.paths] == [1000, 1000, 1]
    assert all(len(name.split("_")[0]) == 3 for path in writer.paths for name in seedbundle.load(path).names)


def test_a_yyyymmdd_date_string_is_accepted(tmp_path: Path) -> None:
    with ShardWriter(tmp_path / "%d.bundle") as writer:
        writer.write_row({"title": "T", "date": "20220122", "url": "https://e.org/", "text": ""})
    assert read_shard(writer.paths[0]).columns["date"] == [DAY]
    assert (
        seedbundle.load(writer.paths[0]).articles()
        == Bundle.from_articles([Article("T", DAY, "https://e.org/")]).articles()
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"date": DAY, "url": "https://e.org/", "text": ""},
            "row 1: an article row needs the column 'title'",
        ),
        ({"title": "", "date": DAY, "url": "https://e.org/", "text": ""}, "row 1: the title"),
        ({"title": "a\nb", "date": DAY, "url": "https://e.org/", "text": ""}, "row 1: the title"),
        ({"title": "T", "date": "20221301", "url": "https://e.org/", "text": ""}, "not a real day"),
        ({"title": "T", "date": "2022-01-22", "url": "https://e.org/", "text": ""}, "YYYYMMDD"),
        ({"title": "T", "date": DAY, "url": "e.org", "text": ""}, "absolute URL"),
        ({"title": "T", "date": DAY, "url": "https://e.org/", "text": 3}, "the text must be a str"),
        ({"title": "T", "date": DAY, "url": "https://e.org/", "text": "\ud800"}, "lone surrogate"),
    ],
)
def test_a_bad_row_is_refused_with_its_number_and_the_shard_is_discarded(
    tmp_path: Path, row: dict[str, Any], message: str
) -> None:
    with pytest.raises(BundleEncodeError, match=message), ShardWriter(tmp_path / "%d.bundle") as writer:
        writer.write_rows([*_rows(1), row])
    assert os.listdir(tmp_path) == []


def test_entry_rows_round_trip_with_binary_and_executable_data(tmp_path: Path) -> None:
    rows = [
        {"name": "bin/run", "data": b"#!/bin/sh\n", "executable": True},
        {"name": "blob.bin", "data": bytes(range(256)), "executable": False},
        {"name": "a.txt", "data": "text\n", "executable": False},
    ]
    with ShardWriter(tmp_path / "%d.bundle", kind="entries", max_rows=2) as writer:
        writer.write_rows(rows)
    read = [read_shard(path, kind="entries").columns for path in writer.paths]
    assert [name for columns in read for name in columns["name"]] == ["bin/run", "blob.bin", "a.txt"]
    assert [data for columns in read for data in columns["data"]][1] == bytes(range(256))
    assert [flag for columns in read for flag in columns["executable"]] == [True, False, False]


def test_a_bad_entry_row_names_its_number(tmp_path: Path) -> None:
    with (
        pytest.raises(BundleEncodeError, match="row 1: "),
        ShardWriter(tmp_path / "%d.bundle", kind="entries") as w,
    ):
        w.write_rows([{"name": "a", "data": b""}, {"name": "b", "data": 5}])


def test_max_bytes_bounds_every_shard_of_more_than_one_row(tmp_path: Path) -> None:
    with ShardWriter(tmp_path / "%03d.bundle", max_bytes=400, comment="a corpus") as writer:
        writer.write_rows(_rows(30))
    assert len(writer.paths) > 3
    assert all(os.path.getsize(path) <= 400 for path in writer.paths)
    assert sum(len(read_shard(path)) for path in writer.paths) == 30
    assert seedbundle.load(writer.paths[0]).comment == "a corpus"


def test_other_entries_are_left_out_of_article_rows_but_counted() -> None:
    bundle = Bundle(
        [
            *Bundle.from_articles([Article("T", DAY, "https://e.org/")]).entries,
            seedbundle.Entry("README", "hi\n"),
        ]
    )
    rows = read_shard(io.BytesIO(seedbundle.dumps(bundle).encode()), path_column="path")
    assert len(rows) == 1
    assert rows.entries == rows.end_count == 2
    assert rows.columns["path"] == [""]


def test_the_path_column_holds_the_source(tmp_path: Path) -> None:
    path = tmp_path / "a.bundle"
    seedbundle.dump(Bundle.from_articles([Article("T", DAY, "https://e.org/")]), path)
    assert read_shard(path, path_column="source").columns["source"] == [str(path)]
    with pytest.raises(ValueError, match="already a column"):
        read_shard(path, path_column="title")


def test_a_damaged_shard_is_a_decode_error_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "a.bundle"
    text = seedbundle.dumps(Bundle.from_articles([Article("T", DAY, "https://e.org/")]))
    path.write_text(text.replace("20220122", "2022012x"))
    with pytest.raises(BundleDecodeError, match="entry '000_") as caught:
        read_shard(path)
    assert caught.value.lineno == 2
    # The rows of many shards meet in one data set: the message names the shard, and the range.
    assert caught.value.msg.startswith(f"shard {path}: entry '000_")
    with pytest.raises(BundleDecodeError) as in_range:
        read_shard(path, byte_range=(0, 1000))
    assert in_range.value.msg.startswith(f"shard {path}, bytes 0 to 1000: entry '000_")
    assert (in_range.value.lineno, in_range.value.colno) == (caught.value.lineno, caught.value.colno)
    with pytest.raises(BundleDecodeError) as from_a_file:
        read_shard(io.BytesIO(path.read_bytes()))
    assert from_a_file.value.msg.startswith("entry '000_")
    path.write_text(text.replace("<<<END 1>>>", "<<<END 2>>>"))
    with pytest.raises(BundleDecodeError):
        read_shard(path)


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="kind"):
        read_shard(io.BytesIO(b"<<<END 0>>>\n"), kind="lines")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="shard number"):
        ShardWriter(tmp_path / "no-place.bundle")
    with pytest.raises(ValueError, match="max_rows"):
        ShardWriter(tmp_path / "%d.bundle", max_rows=0)
    with pytest.raises(ValueError, match="max_bytes"):
        ShardWriter(tmp_path / "%d.bundle", max_bytes=0)
    with pytest.raises(ValueError, match="blocksize"):
        byte_ranges(10, 0)
    with pytest.raises(ValueError, match="storage_options"):
        shard_size(tmp_path, storage_options={})


def test_shards_at_a_url() -> None:
    fsspec = pytest.importorskip("fsspec")
    with ShardWriter("memory://shard-tests/%d.bundle", max_rows=3) as writer:
        writer.write_rows(_rows(7))
    try:
        assert writer.paths == [f"memory://shard-tests/{n}.bundle" for n in range(3)]
        size = shard_size(writer.paths[0])
        assert size == len(fsspec.open(writer.paths[0], "rb").open().read())
        parts = [read_shard(writer.paths[0], byte_range=span) for span in byte_ranges(size, 50)]
        assert sum(len(part) for part in parts) == 3
    finally:
        fsspec.filesystem("memory").rm("/shard-tests", recursive=True)
