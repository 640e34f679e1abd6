"""Hostile inputs: every parser answers with a bundle or a BundleDecodeError, in bounded time and memory.

Each section below is one finding against seedbundle 1.0, with the tests
that would have caught it.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from pathlib import Path

import pytest

import seedbundle
from seedbundle import BundleDecodeError, BundleReader, Entry
from seedbundle._cli import main
from seedbundle._reference import parse_with_grammar

MB = 1 << 20
# A message quotes at most about 80 characters of the input, plus its own words.
LONGEST_MESSAGE = 250


def read_stream(data: bytes, *, strict: bool = True) -> list[Entry]:
    return list(seedbundle.open(io.BytesIO(data), strict=strict))


class Pipe(io.RawIOBase):
    """A stream that cannot seek."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def read_pipe(data: bytes, *, strict: bool = True) -> list[Entry]:
    return list(BundleReader(Pipe(data), strict=strict))  # type: ignore[arg-type]


def decode_error(parse: Callable[[bytes], object], data: bytes) -> BundleDecodeError:
    with pytest.raises(BundleDecodeError) as caught:
        parse(data)
    return caught.value


def error_tuple(error: BundleDecodeError) -> tuple[str, int, int, int, str]:
    return (error.msg, error.lineno, error.colno, error.pos, error.line)


PARSERS: dict[str, Callable[[bytes], object]] = {
    "loads": seedbundle.loads,
    "stream": read_stream,
    "pipe": read_pipe,
}
parsers = pytest.mark.parametrize("parse", PARSERS.values(), ids=PARSERS.keys())


# -- 1. the END count and what messages repeat of the input --------------------


@parsers
@pytest.mark.parametrize("digits", [4300, 4301, 100_000])
def test_an_end_count_of_any_length_is_a_mismatch(parse: Callable[[bytes], object], digits: int) -> None:
    # int() refuses more than 4,300 digits with a ValueError of its own.
    error = decode_error(parse, b"<<<FILE a>>>\n<<<END " + b"1" * digits + b">>>\n")
    assert error.msg.startswith("the END marker counts 111")
    assert error.msg.endswith("... entries but the bundle holds 1: entries were lost or added")
    assert len(error.msg) < LONGEST_MESSAGE
    assert (error.lineno, error.colno) == (2, 8)


def test_the_reference_parser_gives_the_same_end_count_error() -> None:
    data = b"<<<END " + b"9" * 5000 + b">>>\n"
    for strict in (True, False):
        reference = decode_error(functools.partial(parse_with_grammar, strict=strict), data)
        assert error_tuple(reference) == error_tuple(
            decode_error(functools.partial(seedbundle.loads, strict=strict), data)
        )


def test_check_reports_a_huge_end_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.bundle"
    path.write_bytes(b"<<<END " + b"1" * 5000 + b">>>\n")
    assert main(["check", str(path)]) == 1
    assert "the END marker counts 111" in capsys.readouterr().err


NAME = "n" * 5000
HUGE_NAMES = {
    "duplicate bare": f"<<<FILE {NAME}>>>\n<<<FILE {NAME}>>>\n<<<END 2>>>\n",
    "duplicate quoted": f'<<<FILE "{NAME} ">>>\n<<<FILE "{NAME} ">>>\n<<<END 2>>>\n',
    "sha256 mismatch": f"<<<FILE {NAME} sha256={'0' * 64}>>>\nx\n<<<END 1>>>\n",
    "unknown attribute": f"<<<FILE a {NAME}>>>\n<<<END 1>>>\n",
    "unknown marker": f"<<<{NAME}\n",
}


@parsers
@pytest.mark.parametrize("document", HUGE_NAMES.values(), ids=HUGE_NAMES.keys())
def test_messages_quote_at_most_80_characters_of_the_input(
    parse: Callable[[bytes], object], document: str
) -> None:
    error = decode_error(parse, document.encode())
    assert "n...'" in error.msg
    assert "n" * 78 not in error.msg
    assert len(error.msg) < LONGEST_MESSAGE
    assert error.line == document.splitlines()[error.lineno - 1]  # the line itself stays whole


def test_short_names_are_quoted_whole() -> None:
    name = "n" * 80
    error = decode_error(seedbundle.loads, f"<<<FILE {name}>>>\n<<<FILE {name}>>>\n<<<END 2>>>\n".encode())
    assert error.msg == f"duplicate entry name '{name}': names in a bundle are unique"
