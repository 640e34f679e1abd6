"""Hostile inputs: every parser answers with a bundle or a BundleDecodeError, in bounded time and memory.

Each section below is one finding against seedbundle 1.0, with the tests
that would have caught it.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import itertools
import subprocess
import sys
import textwrap
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import pytest

import seedbundle
from seedbundle import BundleDecodeError, BundleReader, Entry, _native
from seedbundle._cli import main
from seedbundle._reference import parse_with_grammar
from seedbundle._syntax import KEPT_ESCAPES

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


class ShortReads(io.RawIOBase):
    """A seekable raw file whose read() returns 1 to 7 bytes, as sockets and remote files may."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._position = 0
        self._sizes = itertools.cycle((1, 7, 3, 5, 2, 6, 4))

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: len(self._data)}[whence]
        self._position = base + offset
        return self._position

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = min(len(buffer), next(self._sizes))
        chunk = self._data[self._position : self._position + size]
        buffer[: len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)


def read_pipe(data: bytes, *, strict: bool = True) -> list[Entry]:
    return list(BundleReader(Pipe(data), strict=strict))  # type: ignore[arg-type]


def decode_error(parse: Callable[[bytes], object], data: bytes) -> BundleDecodeError:
    with pytest.raises(BundleDecodeError) as caught:
        parse(data)
    return caught.value


def error_tuple(error: BundleDecodeError) -> tuple[str, int, int, int, str]:
    return (error.msg, error.lineno, error.colno, error.pos, error.line)


def outcome(parse: Callable[[bytes], list[Entry]], data: bytes) -> object:
    """The entries, or the whole error as a tuple that compares by value."""
    try:
        return parse(data)
    except BundleDecodeError as error:
        return error_tuple(error)


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


# -- 2. memory for long FILE lines ----------------------------------------------


def peak_per_input_byte(parse: Callable[[bytes], object], data: bytes) -> float:
    """The most memory ``parse(data)`` holds at once, per byte of ``data``."""
    gc.collect()
    tracemalloc.start()
    try:
        with contextlib.suppress(BundleDecodeError):
            parse(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / len(data)


def file_line(middle: bytes) -> bytes:
    return b"<<<FILE " + middle + b">>>\n<<<END 1>>>\n"


# 4 MB lines: before, each took 80 to 180 times that (up to 2.8 GB at 16 MB).
LONG_LINES = {
    "quoted name": file_line(b'"' + b"a" * (4 * MB) + b'"'),
    "quoted name of escapes": file_line(b'"' + b"\\n" * (2 * MB) + b'"'),
    "unclosed quoted name": file_line(b'"' + b"a" * (4 * MB)),
    "bad escape at the end": file_line(b'"' + b"\\t" * (2 * MB) + b'\\x"'),
    "bare name": file_line(b"a" * (4 * MB)),
    "noeol run": file_line(b"a" + b" noeol" * (MB * 2 // 3)),
    "exec run": file_line(b"a" + b" exec" * (MB * 4 // 5)),
    "exec run, ending in a space": file_line(b"a " + b"exec " * (MB * 4 // 5)),
    "long sha256 value": file_line(b"a sha256=" + b"0" * (4 * MB)),
}


@pytest.mark.parametrize("parse", [seedbundle.loads, read_stream], ids=["loads", "stream"])
@pytest.mark.parametrize("data", LONG_LINES.values(), ids=LONG_LINES.keys())
def test_a_long_file_line_costs_memory_in_proportion(parse: Callable[[bytes], object], data: bytes) -> None:
    assert peak_per_input_byte(parse, data) < 10


def test_long_file_lines_give_the_errors_short_ones_give() -> None:
    long = decode_error(seedbundle.loads, LONG_LINES["exec run, ending in a space"])
    assert long.msg == "expected an attribute after the space, found '>'"
    assert long.colno == len(LONG_LINES["exec run, ending in a space"].split(b"\n")[0]) - 2
    assert decode_error(seedbundle.loads, LONG_LINES["exec run"]).msg == "the attribute 'exec' is given twice"
    assert decode_error(seedbundle.loads, LONG_LINES["bad escape at the end"]).msg == (
        "invalid escape '\\\\x' in a quoted name"
    )
    assert decode_error(seedbundle.loads, LONG_LINES["unclosed quoted name"]).colno == 9
    bundle = seedbundle.loads(LONG_LINES["quoted name of escapes"])
    assert bundle.names == ("\n" * (2 * MB),)


# -- 3. memory for many escaped lines ------------------------------------------


def peak_rss_per_input_byte(data: tuple[bytes, bytes, int, bytes], parse: str) -> float:
    """In a fresh interpreter: how far the peak resident set grows while ``parse`` runs, per input byte.

    The input is ``head + line * count + tail``, built in the child.
    tracemalloc would trace each of the millions of small objects a parser
    makes and frees on its way, and take minutes; the kernel's peak does not.
    """
    head, line, count, tail = data
    script = textwrap.dedent(
        f"""
        import io
        import seedbundle
        import seedbundle._api, seedbundle._stream  # loaded before the baseline, not in the peak

        def status(key):
            with open("/proc/self/status") as lines:
                return next(int(line.split()[1]) * 1024 for line in lines if line.startswith(key))

        data = {head!r} + {line!r} * {count} + {tail!r}
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # resets VmHWM, the peak, to the current resident set
        base = status("VmRSS:")
        result = {parse}
        print((status("VmHWM:") - base) / len(data))
        """
    )
    source = str(Path(seedbundle.__file__).resolve().parent.parent)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"PYTHONPATH": source},
    )
    return float(done.stdout)


def escaped(
    line: bytes, *, head: bytes = b"<<<FILE a>>>\n", tail: bytes = b"<<<END 1>>>\n"
) -> tuple[bytes, bytes, int, bytes]:
    return (head, line, 4 * MB // len(line), tail)


# 4 MB of escaped lines: before, loads held 35 times that (650 MB at 16 MB).
ESCAPED = {
    "entry": escaped(b"\\<<<\n"),
    "noeol entry": escaped(b"\\<<<\n", head=b"<<<FILE a noeol>>>\n"),
    "entry, deeper": escaped(b"\\\\\\<<<\n"),
    "entry, and '\\<<<' inside lines": escaped(b"\\<<<\\<<<\n"),
    "comment": escaped(b"\\<<<\n", head=b"", tail=b"<<<END 0>>>\n"),
}


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's peak RSS reset")
@pytest.mark.parametrize(
    "parse", ["seedbundle.loads(data)", "list(seedbundle.open(io.BytesIO(data)))"], ids=["loads", "stream"]
)
@pytest.mark.parametrize("data", ESCAPED.values(), ids=ESCAPED.keys())
def test_escaped_lines_cost_memory_in_proportion(data: tuple[bytes, bytes, int, bytes], parse: str) -> None:
    assert peak_rss_per_input_byte(data, parse) <= 4


@pytest.mark.parametrize("repeat", [3, KEPT_ESCAPES], ids=["few", "many"])
@pytest.mark.parametrize("inside", [False, True], ids=["only at line starts", "also inside lines"])
def test_escaped_lines_lose_exactly_one_backslash(inside: bool, repeat: int) -> None:
    # Three ways to unescape: joining the pieces around a few offsets, one
    # replace() when every '\\<<<' starts a line, else copying line by line.
    lines = [b"\\<<<", b"\\\\<<<x", b"\\\\", b"<<", b"\\<<", b"x<<<"]
    lines += [b"a\\<<<", b"\\<<<\\<<<"] if inside else []
    body = b"".join(line + b"\n" for line in lines * repeat)
    expected = b"".join(
        (line[1:] if line.lstrip(b"\\").startswith(b"<<<") else line) + b"\n" for line in lines * repeat
    )
    entry = b"<<<FILE a>>>\n" + body + b"<<<END 1>>>\n"
    assert seedbundle.loads(entry)["a"].data == expected
    assert read_stream(entry)[0].data == expected
    assert parse_with_grammar(entry, strict=True)["a"].data == expected
    assert seedbundle.loads(body + b"<<<END 0>>>\n").comment.encode() == expected[:-1]
    quoted = b'<<<FILE "a" exec>>>\n' + body + b"<<<END 1>>>\n"
    assert seedbundle.loads(quoted)["a"].data == expected  # read in C, where it is built
    with _native.pure_path():  # read by the decoder, not the fast path
        assert seedbundle.loads(quoted)["a"].data == expected


# -- 4. a line full of '<' -----------------------------------------------------


def builtin_calls(work: Callable[[], object]) -> int:
    """How many built-in functions and methods ``work()`` calls: a measure of its Python steps."""
    calls = 0

    def profile(_frame: FrameType, event: str, _arg: object) -> None:
        nonlocal calls
        if event == "c_call":
            calls += 1

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return calls


def in_content(line: bytes) -> bytes:
    return b"<<<FILE a>>>\n" + line + b"\n<<<END 1>>>\n"


def in_comment(line: bytes) -> bytes:
    return line + b"\n<<<END 0>>>\n"


@pytest.mark.parametrize("parse", [seedbundle.loads, read_stream], ids=["loads", "stream"])
@pytest.mark.parametrize("where", [in_content, in_comment], ids=["content", "comment"])
def test_a_line_of_angle_brackets_takes_steps_independent_of_its_length(
    parse: Callable[[bytes], object], where: Callable[[bytes], bytes]
) -> None:
    # Before, the scanner made two calls per '<<<' in an entry's line: 700,000 for 1 MB.
    short, long = (where(b"x" + b"<" * size) for size in (1000, MB))
    assert builtin_calls(lambda: parse(long)) <= builtin_calls(lambda: parse(short)) + 50


def test_a_line_of_angle_brackets_is_content() -> None:
    line = b"x" + b"<" * MB + b"\\<<<"
    assert seedbundle.loads(in_content(line))["a"].data == line + b"\n"
    assert read_stream(in_content(line))[0].data == line + b"\n"
    assert seedbundle.loads(in_comment(line)).comment == line.decode()


# -- 5. random access on a file that changed after it was indexed ---------------

ORIGINAL = b"<<<FILE a>>>\nA\n<<<FILE b>>>\nB\n<<<FILE c>>>\nC\n<<<END 3>>>\n"
CHANGED = {
    # What the file holds where 'b' was, and where the error points (line, column).
    "entries moved": (b"<<<FILE a>>>\nAAAA\n<<<FILE b>>>\nB\n<<<FILE c>>>\nC\n<<<END 3>>>\n", (2, 3)),
    "entries swapped": (b"<<<FILE a>>>\nA\n<<<FILE c>>>\nC\n<<<FILE b>>>\nB\n<<<END 3>>>\n", (3, 1)),
    "content grew": (b"<<<FILE a>>>\nA\n<<<FILE b>>>\nBBBB\n<<<FILE c>>>\nC\n<<<END 3>>>\n", (3, 1)),
    "cut before 'b'": (b"<<<FILE a>>>\n", (2, 1)),
    "cut inside 'b'": (b"<<<FILE a>>>\nA\n<<<FILE b>>>\n", (3, 1)),
    "'b' renamed": (b"<<<FILE a>>>\nA\n<<<FILE x>>>\nB\n<<<FILE c>>>\nC\n<<<END 3>>>\n", (3, 1)),
    "'b' broken": (b"<<<FILE a>>>\nA\n<<<FILE b?>>>\n<<<FILE c>>>\nC\n<<<END 3>>>\n", (3, 1)),
}


@pytest.mark.parametrize(("now", "where"), CHANGED.values(), ids=CHANGED.keys())
def test_random_access_refuses_a_file_changed_since_it_was_indexed(
    tmp_path: Path, now: bytes, where: tuple[int, int]
) -> None:
    path = tmp_path / "changing.bundle"
    path.write_bytes(ORIGINAL)
    with seedbundle.open(path) as reader:
        assert reader.names() == ("a", "b", "c")
        path.write_bytes(now)  # the same file, rewritten in place
        with pytest.raises(BundleDecodeError) as caught:
            reader["b"]
    error = caught.value
    assert error.msg == (
        "the entry 'b' is not where the index found it: the file changed since it was indexed (open it again)"
    )
    assert (error.lineno, error.colno) == where


def test_random_access_reads_an_entry_as_the_file_now_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "changing.bundle"
    path.write_bytes(ORIGINAL)
    with seedbundle.open(path) as reader:
        reader.names()
        path.write_bytes(ORIGINAL.replace(b"\nB\n", b"\nX\n").replace(b"\nA\n", b"\nY\n"))
        assert reader["b"] == Entry("b", b"X\n")
    path.write_bytes(ORIGINAL)
    with seedbundle.open(path) as reader:
        reader.names()
        path.write_bytes(ORIGINAL.replace(b"<<<FILE b>>>", b"<<<FILE b exec>>>"))
        with pytest.raises(BundleDecodeError, match="the entry 'b' is not where"):
            reader["b"]  # the FILE line is longer, so the entry runs past its old end


# -- 6. short reads -------------------------------------------------------------

LONG = "x" * 300
BROKEN = {
    "unknown attribute": f"<<<FILE a>>>\n{LONG}\n<<<FILE b {LONG}>>>\n<<<END 2>>>\n",
    "long bare name, bad end": f"<<<FILE a{LONG}>>>?\n<<<END 1>>>\n",
    "sha256 mismatch": f"<<<FILE a>>>\nA\n<<<FILE b{LONG} sha256={'0' * 64}>>>\nB\n<<<END 2>>>\n",
    "base64 late in a long line": f"<<<FILE a base64>>>\n{'Q' * 76}\n{'Q' * 60}!{'Q' * 15}\n<<<END 1>>>\n",
    "unknown marker": f"{LONG}\n<<<FOO {LONG}\n",
    "text after END": f"<<<END 0>>>\n{LONG}\n",
    "no END marker": f"<<<FILE a>>>\n{LONG}",
    "count mismatch": f"<<<FILE a>>>\n{LONG}\n<<<END 7>>>\n",
    "invalid UTF-8 in a long line": f"<<<FILE a>>>\n{LONG}\udcff{LONG}\n<<<END 1>>>\n",
}


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("document", BROKEN.values(), ids=BROKEN.keys())
def test_short_reads_give_the_error_loads_gives(document: str, strict: bool) -> None:
    data = document.encode("utf-8", "surrogateescape")

    def read_short(data: bytes) -> list[Entry]:
        return list(BundleReader(ShortReads(data), strict=strict))  # type: ignore[arg-type]

    def read_whole(data: bytes) -> list[Entry]:
        return list(seedbundle.loads(data, strict=strict))

    assert outcome(read_short, data) == outcome(read_whole, data)


def test_random_access_over_short_reads() -> None:
    bundle = seedbundle.Bundle([Entry(f"f{n}", LONG * n + "\n") for n in range(5)])
    reader = BundleReader(ShortReads(seedbundle.dumps(bundle).encode()))  # type: ignore[arg-type]
    assert reader.names() == bundle.names
    for name in reversed(bundle.names):
        assert reader[name] == bundle[name]
