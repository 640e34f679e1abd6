"""Fixtures of the engine tests: article shards on disk and the same shards over loopback HTTP."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from seedbundle._shards import ShardWriter

from .loopback import serve

SHARDS = 8
ROWS_PER_SHARD = 25


@attrs.frozen
class Shards:
    """Shards written by ShardWriter, and the rows they hold, in order."""

    folder: Path
    paths: list[str]
    rows: list[dict[str, Any]]


def article_rows(count: int) -> list[dict[str, Any]]:
    """``count`` distinct article rows, some with several paragraphs and non-ASCII text."""
    return [
        {
            "title": f"Headline {n} \u00e9t\u00e9",
            "date": datetime.date(2020, 1, 1) + datetime.timedelta(days=n),
            "url": f"https://example.org/news/{n}",
            "text": "\n".join(f"Paragraph {p} of article {n}." for p in range(n % 4)),
        }
        for n in range(count)
    ]


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Shards:
    folder = tmp_path_factory.mktemp("shards")
    rows = article_rows(SHARDS * ROWS_PER_SHARD)
    with ShardWriter(folder / "part-%05d.bundle", max_rows=ROWS_PER_SHARD) as writer:
        writer.write_rows(rows)
    assert len(writer.paths) == SHARDS
    return Shards(folder, writer.paths, rows)


@pytest.fixture(scope="module")
def http_shards(shards: Shards) -> Iterator[list[str]]:
    """The URLs of the same shards, served with Range support on 127.0.0.1."""
    with serve(shards.folder) as base:
        yield [f"{base}/{Path(path).name}" for path in shards.paths]
