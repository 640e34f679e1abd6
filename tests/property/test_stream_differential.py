"""The streaming reader and loads agree on every input, whatever the chunk size.

The reader runs the scanner's loop over windows of its input and locates
errors either lazily (seekable input) or by counting as it goes (pipes), so
both kinds of input are checked, at chunk sizes of 1 byte, a prime and 1 MiB:
the same bundle, or the same error at the same line, column and position.
"""

from __future__ import annotations

import functools
import io

from hypothesis import example, given, settings
from hypothesis import strategies as st

from seedbundle import Bundle, BundleReader, loads
from seedbundle._model import _new_bundle
from seedbundle.strategies import broken_bundle_texts, bundle_texts

from .strategies import Outcome, documents, line_soups, outcome

CHUNK_SIZES = (1, 7, 1 << 20)


class Pipe(io.RawIOBase):
    """A readable stream that cannot seek, like a pipe or a socket."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


class LyingStream(Pipe):
    """A stream whose seekable() says True and whose seek() raises, as fsspec's streaming HTTP file does."""

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._data.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        raise ValueError("Cannot seek streaming HTTP file")


def streamed(data: bytes, *, strict: bool, chunk_size: int, seekable: bool, lying: bool = False) -> Bundle:
    fp = io.BytesIO(data) if seekable else LyingStream(data) if lying else Pipe(data)
    reader = BundleReader(fp, strict=strict, chunk_size=chunk_size)  # type: ignore[arg-type]
    entries = list(reader)
    return _new_bundle(entries, reader.comment)


def assert_stream_agrees(data: bytes) -> None:
    for strict in (True, False):
        expected: Outcome = outcome(loads, data, strict=strict)
        for chunk_size in CHUNK_SIZES:
            for seekable, lying in ((True, False), (False, False), (False, True)):
                parse = functools.partial(streamed, chunk_size=chunk_size, seekable=seekable, lying=lying)
                got = outcome(parse, data, strict=strict)
                where = f"strict={strict} chunk_size={chunk_size} seekable={seekable} lying={lying}"
                if seekable or isinstance(got, Bundle) or isinstance(expected, Bundle):
                    assert got == expected, where
                else:
                    # A pipe cannot be read back: the error shows the line as far as it was read.
                    assert got[:4] == expected[:4], where
                    assert expected[4].startswith(got[4]), where


@settings(max_examples=150, deadline=None)
@given(bundle_texts())
def test_stream_reads_every_canonical_bundle_like_loads(text: str) -> None:
    assert_stream_agrees(text.encode("utf-8"))


@settings(max_examples=200, deadline=None)
@given(broken_bundle_texts())
@example(b"")
@example(b"\xef\xbb\xbf")
@example(b"\xef\xbb\xbfhi")
@example(b"hi \xff\n<<<END 0>>>")
@example(b"comment\n<<<FILE a>>>\nx")
@example(b"<<<END 0>>>\n   \n \t x")
@example(b"<<<END 0>>>\n\n<<<FILE a>>>\n")
@example(b"<<<FOO>>>\n" + b"x" * 100)
@example(b"<<<FILE a noeol>>>\nabc")
@example(b"<<<END 0>>>\n\xef\xbb\xbf\n")  # a pipe's chunk ends inside a character
def test_stream_agrees_on_broken_bundles(data: bytes) -> None:
    assert_stream_agrees(data)


@settings(max_examples=100, deadline=None)
@given(st.one_of(documents(), line_soups()))
def test_stream_agrees_on_any_document(document: bytes | str) -> None:
    if isinstance(document, str):
        document = document.encode("utf-8", "surrogatepass")
    assert_stream_agrees(document)


@settings(max_examples=50, deadline=None)
@given(bundle_texts(), st.data())
def test_stream_agrees_on_truncated_bundles(text: str, data: st.DataObject) -> None:
    document = text.encode("utf-8")
    cut = data.draw(st.integers(0, len(document)))
    assert_stream_agrees(document[:cut])
