"""The accelerator's writing side and its base64 agree with the pure-Python path.

Every test runs the same call twice in one process, once with the C
accelerator and once inside ``_native.pure_path()``, and asserts the same
bytes, or the same error with the same message and position. Without a
built accelerator the tests are skipped, unless ``SEEDBUNDLE_REQUIRE_NATIVE=1``
says that it must be there: then they fail.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import gc
import io
import itertools
import os
import random
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seedbundle
from seedbundle import _encoder, _native, _stream, _syntax
from seedbundle._strategies import broken_bundle_texts, bundles, entry_data, names

DATA = Path(__file__).parent / "data"
REQUIRED = os.environ.get("SEEDBUNDLE_REQUIRE_NATIVE") == "1"

if _native.speedups is None and not REQUIRED:
    pytestmark = pytest.mark.skip(
        reason="the C accelerator is not built or is disabled"
        " (build it with: python setup.py build_ext --inplace; SEEDBUNDLE_PURE=1 turns it off)"
    )


def native() -> Any:
    """The accelerator, which these tests need."""
    speedups = _native.speedups
    assert speedups is not None, "SEEDBUNDLE_REQUIRE_NATIVE=1, but seedbundle._speedups did not load"
    return speedups


def outcome(function: Callable[[], object]) -> tuple[object, ...]:
    """What a call gives: its result, or its error's type, message and position."""
    try:
        return ("result", function())
    except Exception as error:  # every error is compared, whatever its type
        position = tuple(getattr(error, key, None) for key in ("lineno", "colno", "pos", "line"))
        return ("error", type(error), str(error), position)


def on_both_paths(function: Callable[[], object]) -> tuple[object, ...]:
    """The outcome of ``function`` with the accelerator, asserted equal to the pure one."""
    native()
    fast = outcome(function)
    with _native.pure_path():
        pure = outcome(function)
    assert fast == pure
    return fast


# -- byte soups ------------------------------------------------------------

SOUP_PIECES = (
    b"<<<",
    b"<<<FILE a>>>",
    b"<<<END 1>>>",
    b"\\",
    b"\\\\\\",
    b"<",
    b"<<",
    b"\n",
    b"\r",
    b"\r\n",
    b"\x00",
    b"a",
    b"text ",
    "é".encode(),
    "€".encode(),
    "😀".encode(),
    "😀".encode()[:2],  # a character cut short
    b"\xed\xa0\x80",  # an encoded surrogate, which UTF-8 forbids
    b"\xc0\xaf",  # an overlong encoding
    b"\xf4\x90\x80\x80",  # past U+10FFFF
    b"\xff",
    b"\x80",
    "\ufeff".encode(),
)

soups = st.lists(st.sampled_from(SOUP_PIECES), max_size=24).map(b"".join)


def soup_entries(seed: int, count: int) -> Iterator[seedbundle.Entry]:
    rng = random.Random(seed)
    for index in range(count):
        data = b"".join(rng.choice(SOUP_PIECES) for _ in range(rng.randrange(40)))
        if rng.random() < 0.05:
            data += rng.choice(SOUP_PIECES[:8]) * rng.randrange(20_000)  # a huge line
        yield seedbundle.Entry(f"soup/{index}.txt", data, executable=rng.random() < 0.2)


def written_by_writer(entries: list[seedbundle.Entry], *, sha256: bool, comment: str = "") -> bytes:
    out = io.BytesIO()
    with seedbundle.open(out, "w", comment=comment, sha256=sha256) as writer:
        for entry in entries:
            if entry.executable:
                writer.add(entry)
            else:  # the (name, data) form, with data as str when it is text
                writer.add(entry.name, entry.text if entry.is_text else entry.data)
    return out.getvalue()


def written_by_add_file(entries: list[seedbundle.Entry], *, sha256: bool) -> bytes:
    out = io.BytesIO()
    with seedbundle.open(out, "w", sha256=sha256) as writer:
        for entry in entries:
            writer.add_file(entry.name, io.BytesIO(entry.data), executable=entry.executable)
    return out.getvalue()


@pytest.mark.parametrize("sha256", [False, True])
def test_soups_write_the_same_bytes_on_both_paths(sha256: bool) -> None:
    entries = list(soup_entries(13, 300))
    bundle = seedbundle.Bundle(entries, comment="<<<a comment\n\\<<<with markers")
    text = on_both_paths(lambda: seedbundle.dumps(bundle, sha256=sha256))[1]
    assert isinstance(text, str)
    assert seedbundle.loads(text) == bundle

    def dumped() -> bytes:
        out = io.BytesIO()
        seedbundle.dump(bundle, out, sha256=sha256)
        return out.getvalue()

    assert on_both_paths(dumped)[1] == text.encode()
    assert on_both_paths(lambda: written_by_writer(entries, sha256=sha256))[1] == seedbundle.dumps(
        seedbundle.Bundle(entries), sha256=sha256
    ).encode("utf-8")


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 57, 1000])
def test_add_file_in_small_chunks_writes_what_add_writes(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """With chunks of a few bytes, characters, escapes and base64 lines are cut between chunks."""
    entries = list(soup_entries(chunk, 60))
    expected = seedbundle.dumps(seedbundle.Bundle(entries), sha256=True).encode("utf-8")
    monkeypatch.setattr(_stream, "_CHUNK", chunk)
    assert on_both_paths(lambda: written_by_add_file(entries, sha256=True))[1] == expected


def test_pack_to_writes_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "tree"
    for entry in soup_entries(7, 40):
        path = tree / entry.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(entry.data)
    (tree / "run.sh").write_bytes(b"#!/bin/sh\n<<<\n")
    (tree / "run.sh").chmod(0o755)
    (tree / "big.bin").write_bytes(bytes(range(256)) * 50)

    def packed() -> bytes:
        out = io.BytesIO()
        seedbundle.pack_to(tree, out, sha256=True, git=False)
        return out.getvalue()

    whole = on_both_paths(packed)[1]
    monkeypatch.setattr(_stream, "_CHUNK", 7)
    assert on_both_paths(packed)[1] == whole


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bundle=bundles(max_entries=6), sha256=st.booleans())
def test_generated_bundles_write_the_same_on_both_paths(bundle: seedbundle.Bundle, sha256: bool) -> None:
    text = on_both_paths(lambda: seedbundle.dumps(bundle, sha256=sha256))[1]
    assert isinstance(text, str)
    entries = list(bundle.entries)
    written = on_both_paths(lambda: written_by_writer(entries, sha256=sha256, comment=bundle.comment))[1]
    assert written == text.encode("utf-8")
    assert on_both_paths(lambda: written_by_add_file(entries, sha256=sha256))[1] == seedbundle.dumps(
        seedbundle.Bundle(entries), sha256=sha256
    ).encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(name=names(), data=entry_data() | soups, executable=st.booleans(), sha256=st.booleans())
def test_one_entry_encodes_to_the_same_pieces(name: str, data: bytes, executable: bool, sha256: bool) -> None:
    entry = seedbundle.Entry(name, data, executable=executable)
    on_both_paths(lambda: _encoder.encode_entry(entry, sha256=sha256))


@settings(max_examples=500, deadline=None)
@given(data=soups | st.binary(max_size=200))
def test_escape_and_text_check_match_python(data: bytes) -> None:
    speedups = native()
    with _native.pure_path():
        escaped = _syntax.escape_text(data)
        is_text = seedbundle.Entry("a", data).is_text
    assert speedups.escape(data) == escaped
    assert (speedups.text_state(data, 0) == 0) == is_text


@settings(max_examples=300, deadline=None)
@given(data=soups | st.binary(max_size=100), cuts=st.lists(st.integers(0, 100), max_size=6))
def test_survey_state_across_chunks_matches_the_decoder(data: bytes, cuts: list[int]) -> None:
    """The UTF-8 state carried between chunks gives what one whole check gives."""
    speedups = native()
    bounds = sorted({min(cut, len(data)) for cut in cuts} | {0, len(data)})
    chunks = [data[start:stop] for start, stop in itertools.pairwise(bounds)]
    state = 0
    decoder = codecs.getincrementaldecoder("utf-8")()
    decodes = True
    for chunk in chunks:
        state = speedups.text_state(chunk, state)
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError:
            decodes = False
    text = decodes and not decoder.getstate()[0] and b"\x00" not in data
    assert (state == 0) == text


def test_names_the_c_code_declines_are_rendered_by_python() -> None:
    speedups = native()
    for name in ("é.txt", "a b", 'q"uote', "a<b", "back\\slash", "tab\there"):
        assert speedups.encode_entry(name, b"x\n", False, None) is None
        entry = seedbundle.Entry(name, b"x\n")
        on_both_paths(lambda entry=entry: _encoder.encode_entry(entry))  # type: ignore[misc]
    assert speedups.encode_entry("plain.txt", b"x\n", True, "ab") == (
        b"<<<FILE plain.txt exec sha256=ab>>>\n",
        b"x\n",
    )


def test_inputs_that_are_not_bytes_are_declined_or_refused_as_python_does() -> None:
    speedups = native()
    for other in (bytearray(b"a<<<\n"), memoryview(b"a\n"), "a\n"):
        assert speedups.escape(other) is None
        assert speedups.text_state(other, 0) is None
        assert speedups.encode_entry("a", other, False, None) is None
    data = bytes(range(256))
    for form in (data, bytearray(data), memoryview(data)):
        assert speedups.b64encode(form) == base64.encodebytes(data)
    with pytest.raises(TypeError):
        speedups.b64encode("text")
    with pytest.raises(TypeError):
        base64.encodebytes("text")  # type: ignore[arg-type]


# -- base64 ----------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 2, 3, 56, 57, 58, 113, 114, 115, 171, 5000, 57 * 1000 + 1])
def test_base64_encoding_matches_encodebytes_on_both_paths(size: int) -> None:
    data = random.Random(size).randbytes(size)
    assert on_both_paths(lambda: _encoder.encode_base64(data))[1] == base64.encodebytes(data)


def test_base64_body_in_chunks_matches_one_encoding() -> None:
    data = random.Random(5).randbytes(3 * 57 * 100 + 7)
    rng = random.Random(6)

    def in_chunks() -> bytes:
        body = _encoder.Base64Body()
        pieces: list[bytes] = []
        position = 0
        while position < len(data):
            step = rng.choice([1, 2, 56, 57, 58, 1000, 4096])
            pieces += body.feed(data[position : position + step])
            position += step
        pieces += body.finish()
        return b"".join(pieces)

    assert on_both_paths(in_chunks)[1] == base64.encodebytes(data)


def base64_bundle(body: bytes, name: str = "b.bin") -> bytes:
    return b"<<<FILE " + name.encode() + b" base64>>>\n" + body + b"<<<END 1>>>\n"


def broken_base64_bodies() -> Iterator[bytes]:
    data = random.Random(11).randbytes(300)
    good = base64.encodebytes(data)
    lines = good.splitlines(keepends=True)
    yield good
    yield good[:-1] + b"\n"
    yield b"QR==\n"  # non-zero padding bits: accepted in strict mode too
    yield b"QUJ=\n"
    yield lines[0][:-1] + b"\r\n" + b"".join(lines[1:])  # CR at the end of a line
    yield b"".join(lines[:-1]) + lines[-1].replace(b"\n", b"\r\n")
    yield lines[0][:40] + b"\n" + lines[0][40:] + b"".join(lines[1:])  # a short line in the middle
    yield lines[0][:-1] + lines[1]  # a line of 152
    yield b"\n" + good  # an empty line
    yield good + b"\n"
    yield lines[0].replace(b"A", b"*", 1) + b"".join(lines[1:])  # a bad character
    yield lines[0][:-3] + b"==\n" + b"".join(lines[1:])  # padding before the last line
    yield b"QQ==QQ==\n"  # data after the padding
    yield b"QQ=A\n"
    yield b"Q===\n"
    yield b"QQ\n"  # missing padding
    yield b"QUJDRA\n"
    yield b"=QQQ\n"
    yield b" QQ==\n"
    yield b"QQ== \n"
    yield b"\xffQQ=\n"
    yield lines[0][:76] + b"=\n"  # a line of 77
    yield b"".join(lines[:-1]) + b"QUJD\n"


@pytest.mark.parametrize("strict", [True, False])
def test_broken_base64_gives_the_same_result_or_error(strict: bool) -> None:
    for body in broken_base64_bodies():
        document = base64_bundle(body)
        on_both_paths(lambda document=document: seedbundle.loads(document, strict=strict))  # type: ignore[misc]
        cut = document[: len(b"<<<FILE b.bin base64>>>\n") + len(body.rstrip(b"\n"))]
        on_both_paths(lambda cut=cut: seedbundle.loads(cut, strict=False))  # type: ignore[misc]


def test_non_zero_padding_bits_stay_a_documented_freedom() -> None:
    assert on_both_paths(lambda: seedbundle.loads(base64_bundle(b"QR==\n"))["b.bin"].data)[1] == b"A"


@settings(max_examples=400, deadline=None)
@given(
    data=st.binary(max_size=300),
    edits=st.lists(
        st.tuples(
            st.integers(0, 500), st.sampled_from([b"", b"\n", b"\r", b"=", b"==", b"A", b"*", b"\x00"])
        ),
        max_size=3,
    ),
)
def test_edited_base64_bodies_decode_the_same_or_fail_the_same(
    data: bytes, edits: list[tuple[int, bytes]]
) -> None:
    body = base64.encodebytes(data)
    for at, piece in edits:
        at = min(at, len(body))
        body = body[:at] + piece + body[at + (1 if piece != b"\n" else 0) :]
    speedups = native()
    decoded = speedups.b64decode(body, 0, len(body)) if body else None
    if decoded is not None:
        assert decoded == binascii.a2b_base64(body.replace(b"\n", b""), strict_mode=True)
    for strict in (True, False):
        on_both_paths(lambda strict=strict: seedbundle.loads(base64_bundle(body), strict=strict))  # type: ignore[misc]


def test_base64_decoder_range_is_checked() -> None:
    speedups = native()
    body = b"xxQUJD\nyy"
    assert speedups.b64decode(body, 2, 7) == b"ABC"
    assert speedups.b64decode(bytearray(body), 2, 6) == b"ABC"
    assert speedups.b64decode(body, 2, 2) is None
    assert speedups.b64decode(body, -1, 4) is None
    assert speedups.b64decode(body, 2, 100) is None


# -- the corpora -----------------------------------------------------------


@pytest.mark.parametrize(
    "path", sorted(DATA.glob("*/*.bundle")), ids=lambda path: f"{path.parent.name}/{path.name}"
)
def test_conformance_corpus_reads_and_writes_the_same(path: Path) -> None:
    document = path.read_bytes()
    for strict in (True, False):
        read = on_both_paths(lambda strict=strict: seedbundle.loads(document, strict=strict))  # type: ignore[misc]
        if read[0] == "result":
            bundle = read[1]
            assert isinstance(bundle, seedbundle.Bundle)
            on_both_paths(lambda bundle=bundle: seedbundle.dumps(bundle))  # type: ignore[misc]
            on_both_paths(lambda bundle=bundle: seedbundle.dumps(bundle, sha256=True))  # type: ignore[misc]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=broken_bundle_texts())
def test_broken_bundles_read_the_same(document: bytes) -> None:
    on_both_paths(lambda: seedbundle.loads(document))
    on_both_paths(lambda: seedbundle.loads(document, strict=False))


def test_the_c_functions_do_not_leak() -> None:
    """Every path, declines and errors included, gives back all that it allocated."""
    speedups = native()
    rng = random.Random(17)
    inputs = [b"".join(rng.choice(SOUP_PIECES) for _ in range(rng.randrange(60))) for _ in range(100)]
    inputs.append(b"\n<<<" * 500)  # more escape points than the first allocation holds

    def work() -> None:
        for data in inputs:
            speedups.escape(data)
            speedups.text_state(data, 0)
            for name in ("a", "é", "a\udc80"):
                speedups.encode_entry(name, data, True, "f" * 64)
            encoded = speedups.b64encode(data)
            speedups.b64decode(data, 0, len(data))
            speedups.b64decode(encoded, 0, len(encoded))
            with pytest.raises(TypeError):
                speedups.b64encode(str(data))

    work()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(20):
            work()
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 4096
