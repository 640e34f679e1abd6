"""Shards as rows: byte ranges give the whole shard's rows, and written rows read back."""

from __future__ import annotations

import datetime
import io
import os
import tempfile

import attrs
from hypothesis import example, given, settings
from hypothesis import strategies as st

import seedbundle
from seedbundle import Article, Bundle
from seedbundle._shards import ShardWriter, byte_ranges, iter_rows, read_shard
from seedbundle.strategies import articles, bundles


@settings(max_examples=60, deadline=None)
@given(st.lists(articles(), max_size=8), st.integers(min_value=1, max_value=400))
def test_byte_ranges_give_the_rows_of_the_whole_shard(items: list[Article], blocksize: int) -> None:
    data = seedbundle.dumps(Bundle.from_articles(items)).encode("utf-8")
    whole = read_shard(io.BytesIO(data))
    parts = [read_shard(io.BytesIO(data), byte_range=span) for span in byte_ranges(len(data), blocksize)]
    for column, values in whole.columns.items():
        assert [value for part in parts for value in part.columns[column]] == values
    assert sum(part.entries for part in parts) == whole.end_count == len(items)
    assert [part.end_count for part in parts if part.end_count is not None] == [len(items)]
    assert whole.columns["title"] == [article.title for article in items]
    assert whole.columns["text"] == ["\n".join(article.paragraphs) for article in items]


@settings(max_examples=40, deadline=None)
@given(bundles(max_entries=6), st.integers(min_value=1, max_value=300))
def test_entry_rows_of_byte_ranges_are_the_entries(bundle: Bundle, blocksize: int) -> None:
    data = seedbundle.dumps(bundle).encode("utf-8")
    parts = [
        read_shard(io.BytesIO(data), kind="entries", byte_range=span)
        for span in byte_ranges(len(data), blocksize)
    ]
    rows = [row for part in parts for row in iter_rows(part.columns)]
    assert rows == [
        {"name": entry.name, "data": entry.data, "executable": entry.executable} for entry in bundle.entries
    ]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(articles(), max_size=12),
    st.integers(min_value=1, max_value=5),
    st.one_of(st.none(), st.integers(min_value=200, max_value=2000)),
)
@example([Article("T", datetime.date(2022, 1, 22), "https://e.org/", ("",))], 1, None)
def test_written_article_rows_read_back_in_shards_within_their_limits(
    items: list[Article], max_rows: int, max_bytes: int | None
) -> None:
    rows = [{"title": a.title, "date": a.date, "url": a.url, "text": "\n".join(a.paragraphs)} for a in items]
    folder = tempfile.mkdtemp()
    with ShardWriter(os.path.join(folder, "s-%04d.bundle"), max_rows=max_rows, max_bytes=max_bytes) as writer:
        writer.write_rows(rows)
    read = [row for path in writer.paths for row in iter_rows(read_shard(path).columns)]
    assert [{key: row[key] for key in ("title", "date", "url", "text")} for row in read] == rows
    start = 0
    for path in writer.paths:
        bundle = seedbundle.load(path)
        count = len(bundle)
        assert 1 <= count <= max_rows
        if max_bytes is not None and count > 1:
            assert os.path.getsize(path) <= max_bytes
        # Each shard is named exactly as from_articles names its articles. A row's text cannot tell
        # one empty paragraph from none (both are ""), and the writer writes none.
        expected = [
            attrs.evolve(a, paragraphs=()) if a.paragraphs == ("",) else a
            for a in items[start : start + count]
        ]
        assert bundle == Bundle.from_articles(expected)
        start += count
    assert start == len(items)
