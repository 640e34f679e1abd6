"""The engine tests' fixtures: the shards hold the rows, and HTTP serves them with byte ranges."""

from __future__ import annotations

import pytest

from seedbundle._shards import byte_ranges, iter_rows, read_shard, shard_size

from .conftest import Shards


def test_the_shards_hold_the_rows(shards: Shards) -> None:
    read = [row for path in shards.paths for row in iter_rows(read_shard(path).columns)]
    assert [{key: row[key] for key in shards.rows[0]} for row in read] == shards.rows


def test_http_serves_the_shards_and_their_byte_ranges(shards: Shards, http_shards: list[str]) -> None:
    pytest.importorskip("fsspec")
    url = http_shards[3]
    whole = read_shard(url).columns
    assert whole == read_shard(shards.paths[3]).columns
    size = shard_size(url)
    parts = [read_shard(url, byte_range=span).columns["url"] for span in byte_ranges(size, 97)]
    assert [value for part in parts for value in part] == whole["url"]
