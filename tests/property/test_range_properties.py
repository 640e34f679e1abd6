"""Byte ranges that tile a bundle yield exactly the entries of loads, whatever the split size.

Every line that begins with '<<<' is structural, so each range starts at
the first such line at or after its start, and yields the entries whose
FILE line starts inside it. The ranges are read over seekable files, pipes
and a stream that lies about seekable(), at several chunk sizes.
"""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from seedbundle import BundleDecodeError, BundleReader, Entry, loads
from seedbundle.strategies import broken_bundle_texts, bundle_texts

from .test_stream_differential import LyingStream, Pipe

KINDS = ("seekable", "pipe", "lying")


def _file(data: bytes, kind: str) -> io.IOBase:
    return io.BytesIO(data) if kind == "seekable" else Pipe(data) if kind == "pipe" else LyingStream(data)


def read_ranges(
    data: bytes, size: int, *, kind: str, chunk_size: int, strict: bool = True
) -> tuple[list[Entry], list[int | None], str]:
    """The entries of every range of ``size`` bytes, each range's END count, and the comment."""
    entries: list[Entry] = []
    counts: list[int | None] = []
    comment = ""
    for start in range(0, len(data) + 1, size):
        reader = BundleReader(
            _file(data, kind),  # type: ignore[arg-type]
            strict=strict,
            chunk_size=chunk_size,
            byte_range=(start, start + size),
        )
        entries += reader
        counts.append(reader.end_count)
        if start == 0:
            comment = reader.comment
    return entries, counts, comment


@settings(max_examples=150, deadline=None)
@given(bundle_texts(), st.data())
def test_ranges_concatenate_to_the_entries_of_loads(text: str, data: st.DataObject) -> None:
    document = text.encode("utf-8")
    bundle = loads(document)
    size = data.draw(st.integers(1, len(document) + 1), label="size")
    kind = data.draw(st.sampled_from(KINDS), label="kind")
    chunk_size = data.draw(st.sampled_from((1, 7, 1 << 20)), label="chunk_size")
    entries, counts, comment = read_ranges(document, size, kind=kind, chunk_size=chunk_size)
    assert entries == list(bundle.entries)
    # Exactly one range holds the END line, and its count is the caller's to check.
    assert [count for count in counts if count is not None] == [len(entries)]
    assert comment == bundle.comment


@settings(max_examples=150, deadline=None)
@given(broken_bundle_texts(), st.data())
def test_a_range_reports_the_error_of_loads_at_the_same_position(
    document: bytes, data: st.DataObject
) -> None:
    size = data.draw(st.integers(1, len(document) + 1), label="size")
    kind = data.draw(st.sampled_from(KINDS), label="kind")
    strict = data.draw(st.booleans(), label="strict")
    whole: list[Entry] = []
    try:
        whole = list(loads(document, strict=strict).entries)
    except BundleDecodeError as error:
        expected: tuple[str, int, int, int, str] | None = (
            error.msg,
            error.lineno,
            error.colno,
            error.pos,
            error.line,
        )
    else:
        expected = None
    parts: list[Entry] = []
    try:
        parts = read_ranges(document, size, kind=kind, chunk_size=7, strict=strict)[0]
    except BundleDecodeError as error:
        got: tuple[str, int, int, int, str] | None = (
            error.msg,
            error.lineno,
            error.colno,
            error.pos,
            error.line,
        )
    else:
        got = None
    if expected is not None and ("duplicate entry name" in expected[0] or "END marker counts" in expected[0]):
        return  # what no range can check alone: the caller's checks across ranges
    if got is None or expected is None:
        assert got == expected
        assert parts == whole  # a lenient bundle too: no END line, CRLF markers, an epilogue
        return
    assert got[:4] == expected[:4]
    assert expected[4].startswith(got[4]) if kind != "seekable" else got[4] == expected[4]
