"""The conformance corpus in tests/data, run through both parsers and the streaming reader.

tests/data/README.md describes the layout, so that another implementation
can run the same files.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from seedbundle import Bundle, BundleDecodeError, BundleReader, Entry, dumps
from seedbundle._reference import parse_with_grammar
from seedbundle._scanner import scan

DATA = Path(__file__).parent / "data"
VALID = sorted((DATA / "valid").glob("*.bundle"))
INVALID = sorted((DATA / "invalid").glob("*.bundle"))
MODES = {"strict": (True,), "lenient": (False,), "both": (True, False)}


class _Pipe(io.RawIOBase):
    """A stream that cannot seek, like a pipe: the reader counts positions as it goes."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _streamed(source: Callable[[bytes], Any], chunk_size: int | None) -> Callable[..., Bundle]:
    """A parser that reads with seedbundle.open's reader, at its own chunk size or at ``chunk_size``."""

    def parse(data: bytes, *, strict: bool) -> Bundle:
        if chunk_size is None:
            reader = BundleReader(source(data), strict=strict)
        else:
            reader = BundleReader(source(data), strict=strict, chunk_size=chunk_size)
        entries = list(reader)
        return Bundle(entries, comment=reader.comment)

    return parse


STREAMS: dict[str, Callable[..., Bundle]] = {
    f"{kind}-{'default' if size is None else size}": _streamed(source, size)
    for kind, source in (("stream", io.BytesIO), ("pipe", _Pipe))
    for size in (None, 1, 7)
}
PARSERS: dict[str, Callable[..., Bundle]] = {"scanner": scan, "reference": parse_with_grammar, **STREAMS}

parsers = pytest.mark.parametrize("parse", PARSERS.values(), ids=PARSERS.keys())


def _sidecar(path: Path, suffix: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(path.with_name(path.stem + suffix).read_text("utf-8"))
    return spec


def _bundle(spec: dict[str, Any]) -> Bundle:
    entries = [
        Entry(item["name"], base64.b64decode(item["data_base64"]), executable=item["executable"])
        for item in spec["entries"]
    ]
    return Bundle(entries, comment=spec["comment"])


@parsers
@pytest.mark.parametrize("path", VALID, ids=lambda path: path.stem)
def test_valid(path: Path, parse: Callable[..., Bundle]) -> None:
    spec, data = _sidecar(path, ".json"), path.read_bytes()
    expected = _bundle(spec)
    assert parse(data, strict=False) == expected
    if spec["strict"]:
        assert parse(data, strict=True) == expected
    else:
        with pytest.raises(BundleDecodeError):
            parse(data, strict=True)
    written = {dumps(expected).encode("utf-8"), dumps(expected, sha256=True).encode("utf-8")}
    assert (data in written) is spec["canonical"]


@parsers
@pytest.mark.parametrize("path", INVALID, ids=lambda path: path.stem)
def test_invalid(path: Path, parse: Callable[..., Bundle]) -> None:
    spec, data = _sidecar(path, ".error.json"), path.read_bytes()
    for strict in MODES[spec["applies_to"]]:
        with pytest.raises(BundleDecodeError) as caught:
            parse(data, strict=strict)
        error = caught.value
        assert spec["message"] in error.msg
        assert (error.lineno, error.colno, error.pos) == (spec["lineno"], spec["colno"], spec["pos"])
    if spec["applies_to"] == "strict":
        assert isinstance(parse(data, strict=False), Bundle)
    if spec["applies_to"] == "lenient":
        with pytest.raises(BundleDecodeError):
            parse(data, strict=True)


@pytest.mark.parametrize("kind", STREAMS)
@pytest.mark.parametrize("path", INVALID, ids=lambda path: path.stem)
def test_the_streaming_reader_shows_the_line_loads_shows(path: Path, kind: str) -> None:
    data = path.read_bytes()
    for strict in MODES[_sidecar(path, ".error.json")["applies_to"]]:
        with pytest.raises(BundleDecodeError) as expected:
            scan(data, strict=strict)
        with pytest.raises(BundleDecodeError) as got:
            STREAMS[kind](data, strict=strict)
        assert got.value.msg == expected.value.msg
        if kind.startswith("pipe"):
            # A pipe cannot be read back: the error shows the line as far as it was read.
            assert expected.value.line.startswith(got.value.line)
        else:
            assert got.value.line == expected.value.line


def test_every_file_has_its_expectation() -> None:
    assert len(VALID) >= 25
    assert len(INVALID) >= 30
    names = {path.name for path in DATA.glob("*valid/*")}
    expected = {p.stem + ".json" for p in VALID} | {p.stem + ".error.json" for p in INVALID}
    assert names == expected | {p.name for p in VALID + INVALID}
