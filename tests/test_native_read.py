"""The C accelerator's reading side and the pure-Python path agree on every input.

For each input, every way of reading it (``loads`` of bytes, bytearray,
memoryview and str, ``load``, the streaming reader at chunk sizes from one
byte up, from a file that seeks and from one that does not, byte ranges, and
random access) runs once with ``seedbundle._speedups`` and once on the pure
path, in the same process: both give the same bundle (the same entries, with
``bytes`` data), or the same error with the same message, line, column,
position and line text.

The tests skip when the extension is not built, unless
``SEEDBUNDLE_REQUIRE_NATIVE=1``, which makes them fail instead. They run
even under ``SEEDBUNDLE_PURE=1``, which only changes the default path.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import gc
import importlib
import io
import os
import random
import sys
import sysconfig
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import seedbundle
from seedbundle import BundleDecodeError, BundleReader, Entry, _native
from seedbundle._syntax import _BARE
from seedbundle.strategies import broken_bundle_texts, bundle_texts, bundles

REQUIRED = os.environ.get("SEEDBUNDLE_REQUIRE_NATIVE") == "1"


def _built() -> ModuleType | None:
    """The accelerator if it is built and current, whether or not SEEDBUNDLE_PURE=1 hides it."""
    if _native.speedups is not None:
        return _native.speedups
    try:
        module = importlib.import_module("seedbundle._speedups")
    except ImportError:
        return None
    return module if getattr(module, "ABI_VERSION", None) == _native.ABI_VERSION else None


SPEEDUPS = _built()

pytestmark = pytest.mark.skipif(
    SPEEDUPS is None and not REQUIRED,
    reason="seedbundle._speedups is not built (python setup.py build_ext --inplace);"
    " SEEDBUNDLE_REQUIRE_NATIVE=1 makes this a failure",
)


@pytest.fixture(autouse=True)
def _accelerator_is_there() -> None:
    assert SPEEDUPS is not None, "SEEDBUNDLE_REQUIRE_NATIVE=1, but seedbundle._speedups is not built"


@contextlib.contextmanager
def native_path() -> Iterator[None]:
    saved = _native.speedups
    _native.speedups = SPEEDUPS
    try:
        yield
    finally:
        _native.speedups = saved


# -- outcomes --------------------------------------------------------------

Outcome = Any  # a comparable description of a result or of an error


def describe(result: object) -> Outcome:
    """What a reader gave back, down to the types of the values."""
    if isinstance(result, seedbundle.Bundle):
        return ("bundle", result.comment, describe(list(result.entries)))
    if isinstance(result, Entry):
        return (type(result.name), result.name, type(result.data), result.data, result.executable)
    if isinstance(result, list | tuple):
        return [describe(item) for item in result]
    return result


def outcome(read: Callable[[], object]) -> Outcome:
    try:
        return describe(read())
    except BundleDecodeError as error:
        return ("error", error.msg, error.lineno, error.colno, error.pos, error.line)


def both(read: Callable[[], object]) -> Outcome:
    """Run ``read`` on both paths; they must agree. Returns the outcome."""
    with native_path():
        native = outcome(read)
    with _native.pure_path():
        pure = outcome(read)
    assert native == pure
    return native


class Pipe(io.RawIOBase):
    """A readable stream that cannot seek, like a pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def streamed(
    data: bytes,
    *,
    strict: bool,
    chunk_size: int,
    pipe: bool = False,
    byte_range: tuple[int, int] | None = None,
) -> object:
    fp: Any = Pipe(data) if pipe else io.BytesIO(data)
    reader = BundleReader(fp, strict=strict, chunk_size=chunk_size, byte_range=byte_range)
    entries = list(reader)
    return (reader.comment if byte_range is None else None, entries, reader.end_count)


def random_access(data: bytes, *, strict: bool, chunk_size: int) -> object:
    reader = BundleReader(io.BytesIO(data), strict=strict, chunk_size=chunk_size)
    names = reader.names()
    return names, [reader[name] for name in names]


def readings(data: bytes, strict: bool, chunk_sizes: tuple[int, ...]) -> dict[str, Callable[[], object]]:
    """Every way of reading ``data``, each a function of no arguments."""
    ways: dict[str, Callable[[], object]] = {
        "loads": lambda: seedbundle.loads(data, strict=strict),
        "loads bytearray": lambda: seedbundle.loads(bytearray(data), strict=strict),
        "loads memoryview": lambda: seedbundle.loads(memoryview(data), strict=strict),
        "load": lambda: seedbundle.load(io.BytesIO(data), strict=strict),
    }
    with contextlib.suppress(UnicodeDecodeError):
        text = data.decode("utf-8", "surrogatepass")
        ways["loads str"] = lambda: seedbundle.loads(text, strict=strict)
    for size in chunk_sizes:
        ways[f"stream {size}"] = functools.partial(streamed, data, strict=strict, chunk_size=size)
        ways[f"pipe {size}"] = functools.partial(streamed, data, strict=strict, chunk_size=size, pipe=True)
        ways[f"random access {size}"] = functools.partial(random_access, data, strict=strict, chunk_size=size)
    return ways


def assert_paths_agree(
    data: bytes, chunk_sizes: tuple[int, ...] = (1, 3, 7, 1 << 20), cut: int | None = None
) -> None:
    for strict in (True, False):
        for way, read in readings(data, strict, chunk_sizes).items():
            with native_path():
                native = outcome(read)
            with _native.pure_path():
                pure = outcome(read)
            assert native == pure, f"{way}, strict={strict}"
        if cut is not None:
            # Two byte ranges that tile the input, read at a small chunk size.
            for byte_range in ((0, cut), (cut, len(data) + 1)):
                both(functools.partial(streamed, data, strict=strict, chunk_size=5, byte_range=byte_range))


# -- Hypothesis: valid and broken bundles, and soups of format pieces ------

# Pieces of the format, alone and half-made, and bytes that UTF-8 refuses.
PIECES = (
    b"<<<FILE ",
    b"<<<FILE a>>>\n",
    b"<<<FILE a noeol>>>\n",
    b"<<<FILE b exec>>>\n",
    b"<<<FILE b exec noeol>>>\n",
    b'<<<FILE "a b">>>\n',
    b"<<<FILE \xc3\xa9>>>\n",
    b"<<<FILE a base64>>>\n",
    b"<<<END 0>>>\n",
    b"<<<END 1>>>\n",
    b"<<<END 2>>>",
    b"<<<END ",
    b"<<<DELETE a>>>\n",
    b"<<<",
    b"<<",
    b"<",
    b">>>",
    b">>>\n",
    b">",
    b"\\",
    b"\\\\",
    b"\\\\\\",
    b"\\<<<",
    b"\n",
    b"\n\n",
    b"\r",
    b"\r\n",
    b"\x00",
    b" ",
    b"\t",
    b"a",
    b"b",
    b"xyz",
    b'"',
    b'""',
    b'"\\u00e9"',
    b" noeol",
    b" exec",
    b" base64",
    b" sha256=" + b"0" * 64,
    b" noeolx",
    b" executable",
    b"=",
    b"noeol",
    b"exec",
    b"\xc3\xa9",  # é
    b"\xc3",  # a lead byte alone
    b"\xa9",  # a continuation byte alone
    b"\xff",
    b"\xc0\xaf",  # an overlong '/'
    b"\xe0\x80\xaf",  # an overlong '/' in three bytes
    b"\xed\xa0\x80",  # the surrogate U+D800 in UTF-8
    b"\xed\x9f\xbf",  # U+D7FF, the last character before the surrogates
    b"\xf4\x8f\xbf\xbf",  # U+10FFFF
    b"\xf4\x90\x80\x80",  # past U+10FFFF
    b"\xf0\x9f\x98\x80",  # an emoji
    b"\xef\xbb\xbf",  # a byte order mark
    b"\xe2\x80\xae",  # U+202E, a bidirectional override
    b"\xc2\xa0",  # U+00A0, a no-break space
    b"\xe2\x80\xa8",  # U+2028
)


def soups() -> st.SearchStrategy[bytes]:
    return st.lists(st.sampled_from(PIECES), max_size=24).map(b"".join)


@st.composite
def headers(draw: st.DrawFn) -> bytes:
    """A FILE line that is plain, nearly plain or broken in one place."""
    name = draw(
        st.one_of(
            st.sampled_from(
                [b"a", b"dir/f.txt", b"\xc3\xa9t\xc3\xa9", b"a\xe2\x80\x8bb", b"\xf0\x9f\x98\x80"]
            ),
            st.lists(st.sampled_from(PIECES[20:]), min_size=1, max_size=4).map(b"".join),
            st.lists(st.sampled_from(PIECES[20:]), max_size=4).map(
                lambda parts: b'"' + b"".join(parts) + b'"'
            ),
        )
    )
    attributes = draw(st.lists(st.sampled_from([b" noeol", b" exec", b" base64", b" x", b"  ", b" exec="])))
    end = draw(st.sampled_from([b">>>\n", b">>>\n", b">>>\r\n", b">>>", b">>\n", b">>> \n"]))
    return b"<<<FILE " + name + b"".join(attributes[:3]) + end


@st.composite
def plain_documents(draw: st.DrawFn) -> bytes:
    """Entries whose headers and contents the C code reads or declines, then maybe an END line."""
    parts = [draw(st.sampled_from([b"", b"comment\n", b"\xef\xbb\xbf", b"\xef\xbb\xbfhi\n"]))]
    for _ in range(draw(st.integers(0, 5))):
        parts.append(draw(headers()))
        parts.append(draw(soups()))
        if draw(st.booleans()):
            parts.append(b"\n")
    parts.append(
        draw(st.sampled_from([b"", b"<<<END 0>>>\n", b"<<<END 1>>>\n", b"<<<END 2>>>\n", b"<<<END 3>>>"]))
    )
    return b"".join(parts)


@st.composite
def with_cut(draw: st.DrawFn, documents: st.SearchStrategy[bytes]) -> tuple[bytes, int]:
    document = draw(documents)
    return document, draw(st.integers(0, len(document) + 1))


HYPOTHESIS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@HYPOTHESIS
@given(with_cut(bundle_texts().map(lambda text: text.encode("utf-8"))))
def test_the_paths_agree_on_canonical_bundles(case: tuple[bytes, int]) -> None:
    assert_paths_agree(case[0], cut=case[1])


@HYPOTHESIS
@given(bundles(max_entries=8), st.booleans())
def test_the_paths_agree_on_written_bundles(bundle: seedbundle.Bundle, sha256: bool) -> None:
    document = seedbundle.dumps(bundle, sha256=sha256).encode("utf-8")
    assert both(lambda: seedbundle.loads(document)) == describe(bundle)
    assert_paths_agree(document, chunk_sizes=(2, 1 << 20))


@HYPOTHESIS
@given(with_cut(broken_bundle_texts()))
@example((b"", 0))
@example((b"<<<FILE a>>>\n\xff\n<<<END 1>>>\n", 5))
@example((b"<<<FILE a>>>\nA\n<<<FILE a>>>\nB\n<<<END 2>>>\n", 15))
@example((b"<<<FILE a noeol>>>\n<<<END 1>>>\n", 3))
@example((b"<<<FILE a noeol>>>\nabc", 3))
def test_the_paths_agree_on_broken_bundles(case: tuple[bytes, int]) -> None:
    assert_paths_agree(case[0], cut=case[1])


@HYPOTHESIS
@given(with_cut(st.one_of(plain_documents(), soups(), st.binary(max_size=120))))
@example((b"<<<FILE a>>>\n\\\\<<<x\n\\<<<FILE b>>>\n\\x<<<\n<<<END 1>>>\n", 20))
@example((b"<<<FILE a>>>\n" + b"\\<<<\n" * 70 + b"x\\<<<\n<<<END 1>>>\n", 100))
@example((b'<<<FILE "">>>\n<<<END 1>>>\n', 0))
@example((b'<<<FILE "a\\"b">>>\n<<<END 1>>>\n', 0))
@example((b"<<<FILE a exec exec>>>\n<<<END 1>>>\n", 0))
@example((b"<<<FILE a\xed\xa0\x80>>>\n<<<END 1>>>\n", 0))
@example((b"<<<FILE a>>>\nx\xed\xa0\x80\n<<<END 1>>>\n", 0))
def test_the_paths_agree_on_soups_of_format_pieces(case: tuple[bytes, int]) -> None:
    assert_paths_agree(case[0], cut=case[1])


# -- the conformance corpus ------------------------------------------------

DATA = Path(__file__).parent / "data"
CORPUS = sorted((DATA / "valid").glob("*.bundle")) + sorted((DATA / "invalid").glob("*.bundle"))


@pytest.mark.parametrize("path", CORPUS, ids=[f"{path.parent.name}/{path.stem}" for path in CORPUS])
def test_the_paths_agree_on_the_conformance_corpus(path: Path) -> None:
    data = path.read_bytes()
    assert_paths_agree(data, chunk_sizes=(1, 2, 5, 64, 1 << 20), cut=len(data) // 2)


# -- files like the benchmark's --------------------------------------------

# The marker-like lines that the benchmark injects into its corpus.
INJECTED = (
    b"<<<FILE x>>>",
    b"\\<<<END 3>>>",
    b"\\\\<<<FILE nested.txt noeol>>>",
    b"<<<END 0>>>",
    b"\\<<<",
    b"<<<FILE \xc3\xa9.txt exec>>>",
)


def stdlib_files(limit: int) -> list[tuple[str, bytes]]:
    """The first text files of the interpreter's standard library, in a fixed order."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files: list[tuple[str, bytes]] = []
    total = 0
    for path in sorted(root.glob("*.py")) + sorted(root.glob("*/*.txt")):
        data = path.read_bytes()
        if b"\x00" in data:
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        files.append((path.relative_to(root).as_posix(), data))
        total += len(data)
        if total >= limit:
            break
    return files


@pytest.fixture(scope="module")
def corpus_document() -> bytes:
    """About 3 MB: stdlib files with marker lines injected, odd names, noeol and exec."""
    rng = random.Random(13)
    entries = []
    for index, (name, data) in enumerate(stdlib_files(3_000_000)):
        lines = data.split(b"\n")
        for _ in range(len(lines) // 100 + 1):
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(INJECTED))
        data = b"\n".join(lines)
        if index % 7 == 0:
            data = data.rstrip(b"\n")  # noeol
        if index % 11 == 0:
            name = name.replace("_", " ")  # a quoted name
        if index % 13 == 0:
            name = "d\u00e9j\u00e0/" + name  # a bare name that is not ASCII
        if index % 17 == 0:
            data += b"\xff\x00"  # base64
        entries.append(Entry(name, data, executable=index % 5 == 0))
    return seedbundle.dumps(seedbundle.Bundle(entries, comment="the benchmark's kind of files")).encode()


def test_the_paths_agree_on_a_corpus_like_the_benchmarks(corpus_document: bytes) -> None:
    bundle = both(lambda: seedbundle.loads(corpus_document))
    assert len(bundle[2]) > 100
    for size in (997, 1 << 16, 1 << 20):
        read = both(functools.partial(streamed, corpus_document, strict=True, chunk_size=size))
        assert read == [bundle[1], bundle[2], len(bundle[2])]
    read = both(functools.partial(streamed, corpus_document, strict=False, chunk_size=4099, pipe=True))
    assert read[1] == bundle[2]
    reader = BundleReader(io.BytesIO(corpus_document))
    expected = seedbundle.loads(corpus_document)
    for name in reader.names()[::37]:
        assert both(functools.partial(reader.__getitem__, name)) == describe(expected[name])


def damaged(document: bytes, seed: int) -> bytes:
    """The document with a few bytes replaced, inserted or removed."""
    rng = random.Random(seed)
    data = bytearray(document)
    for _ in range(3):
        at = rng.randrange(len(data))
        kind = rng.randrange(3)
        if kind == 0:
            data[at] = rng.choice(b"\xff\x00\n<\\\r\x80")
        elif kind == 1:
            data[at:at] = rng.choice(PIECES)
        else:
            del data[at : at + rng.randrange(1, 40)]
    return bytes(data)


@pytest.mark.parametrize("seed", range(12))
def test_the_paths_agree_on_a_damaged_corpus(corpus_document: bytes, seed: int) -> None:
    document = damaged(corpus_document, seed)
    for strict in (True, False):
        both(functools.partial(seedbundle.loads, document, strict=strict))
        both(functools.partial(streamed, document, strict=strict, chunk_size=1 << 16))
    both(functools.partial(streamed, document, strict=True, chunk_size=8191, pipe=True))


# -- the C function's own contract -----------------------------------------


def scan(data: object, position: int = 0, stop: int | None = None) -> tuple[int, list[Entry], set[str]]:
    assert SPEEDUPS is not None
    names: set[str] = set()
    entries: list[Entry] = []
    size = len(data) if stop is None else stop  # type: ignore[arg-type]
    return SPEEDUPS.scan_plain(data, position, size, names, entries, None, Entry), entries, names


def test_bare_names_are_read_in_c_exactly_when_the_grammar_allows_them() -> None:
    # Every code point of the BMP, and a sample of the others: the C table is grammar.lark's BARE_NAME.
    for code in [*range(0xD800), *range(0xE000, 0x10000), *range(0x10000, 0x110000, 251), 0x10FFFF]:
        character = chr(code)
        line = b"<<<FILE x" + character.encode("utf-8") + b">>>\n"
        position, entries, _ = scan(line)
        bare = _BARE.fullmatch("x" + character) is not None
        assert (position == len(line)) == bare, f"U+{code:04X}"
        if bare:
            assert entries[0].name == "x" + character


def test_quoted_names_agree_for_every_character_below_u0100_and_at_the_edges() -> None:
    codes = [*range(0x100), 0x2028, 0x202E, 0xFEFF, 0xFFFF, 0x10FFFF]
    for code in codes:
        name = chr(code).encode("utf-8")
        for line in (b'<<<FILE "' + name + b'">>>\n', b'<<<FILE "a' + name + b'" exec>>>\n'):
            both(functools.partial(seedbundle.loads, line + b"x\n<<<END 1>>>\n"))


def test_the_c_function_reads_only_bytes_and_declines_the_rest() -> None:
    line = b"<<<FILE a>>>\nA\n"
    assert scan(line)[0] == len(line)
    for other in (bytearray(line), memoryview(line)):
        position, entries, names = scan(other)
        assert (position, entries, names) == (0, [], set())


def test_the_c_function_stops_at_stop_and_at_what_it_does_not_read() -> None:
    data = b"<<<FILE a>>>\nA\n<<<FILE b>>>\nB\n<<<FILE c base64>>>\nQw==\n<<<END 3>>>\n"
    position, entries, names = scan(data, 0, 15)
    assert (position, [entry.name for entry in entries], names) == (15, ["a"], {"a"})
    position, entries, names = scan(data)
    assert data[position:].startswith(b"<<<FILE c base64>>>")
    assert [(entry.name, entry.data) for entry in entries] == [("a", b"A\n"), ("b", b"B\n")]
    assert names == {"a", "b"}
    starts: list[int] = []
    assert SPEEDUPS is not None
    SPEEDUPS.scan_plain(data, 0, len(data), set(), [], starts, Entry)
    assert starts == [0, 15]


def test_the_c_function_leaves_a_duplicate_name_to_the_decoder() -> None:
    data = b"<<<FILE a>>>\nA\n<<<FILE a>>>\nB\n"
    position, entries, names = scan(data)
    assert (position, len(entries), names) == (15, 1, {"a"})


def test_the_c_function_refuses_wrong_arguments() -> None:
    assert SPEEDUPS is not None
    with pytest.raises(ValueError, match="position"):
        SPEEDUPS.scan_plain(b"abc", 2, 1, set(), [], None, Entry)
    with pytest.raises(ValueError, match="position"):
        SPEEDUPS.scan_plain(b"abc", 0, 4, set(), [], None, Entry)
    with pytest.raises(TypeError):
        SPEEDUPS.scan_plain(b"abc", 0, 3, [], [], None, Entry)
    with pytest.raises(TypeError):
        SPEEDUPS.scan_plain(b"abc", 0, 3, set(), [], None)


# -- no leaks --------------------------------------------------------------

LEAK_INPUTS = (
    b"hi\n<<<FILE a>>>\nA\n<<<FILE b noeol>>>\nB\n<<<FILE c exec>>>\n<<<END 3>>>\n",
    b'<<<FILE "a b">>>\nx\n<<<FILE \xc3\xa9>>>\n\\<<<y\n<<<END 2>>>\n',
    b"<<<FILE a>>>\n" + b"\\<<<\n" * 200 + b"<<<END 1>>>\n",
    b"<<<FILE a>>>\nA\n<<<FILE a>>>\nB\n<<<END 2>>>\n",  # a duplicate
    b"<<<FILE a>>>\n\xff\n<<<END 1>>>\n",  # invalid UTF-8
    b"<<<FILE a noeol>>>\nabc",  # noeol without an LF
    b"<<<FILE a b>>>\n<<<END 1>>>\n",  # an unknown attribute
    b"<<<FILE a base64>>>\nQQ==\n<<<END 1>>>\n",
)


def read_everything() -> None:
    for data in LEAK_INPUTS:
        for strict in (True, False):
            with contextlib.suppress(BundleDecodeError):
                seedbundle.loads(data, strict=strict)
            with contextlib.suppress(BundleDecodeError):
                random_access(data, strict=strict, chunk_size=7)


def test_reading_does_not_leak() -> None:
    with native_path():
        for _ in range(50):
            read_everything()
        gc.collect()
        before = sys.getallocatedblocks()
        for _ in range(500):
            read_everything()
        gc.collect()
        grown = sys.getallocatedblocks() - before
    # A leaked entry, name or bytes per read would be tens of thousands of blocks.
    assert grown < 500, grown


def test_base64_entries_still_decode_on_the_native_path() -> None:
    # The C code declines them: the decoder reads them as before.
    data = seedbundle.dumps(seedbundle.Bundle([Entry("b", bytes(range(256)))])).encode()
    assert both(lambda: seedbundle.loads(data))[2][0][3] == bytes(range(256))
    assert base64.b64encode(bytes(range(256)))[:76] in data
