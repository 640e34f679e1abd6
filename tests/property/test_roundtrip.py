"""Round trips in both directions: nothing is lost, nothing is invented."""

from __future__ import annotations

import io
import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from seedbundle import Bundle, BundleDecodeError, dump, dumps, load, loads
from seedbundle.strategies import bundle_texts, bundles

from .strategies import documents

_SHA256_HEADER = re.compile(r"(?m)^<<<FILE [^\n]* sha256=[0-9a-f]{64}>>>$")


@settings(max_examples=300, deadline=None)
@given(bundles(), st.booleans())
def test_loads_inverts_dumps(bundle: Bundle, sha256: bool) -> None:
    text = dumps(bundle, sha256=sha256)
    assert loads(text) == bundle
    assert loads(text.encode("utf-8")) == bundle


@settings(max_examples=150, deadline=None)
@given(bundle_texts())
def test_dumps_inverts_loads_on_canonical_text(text: str) -> None:
    sha256 = _SHA256_HEADER.search(text) is not None
    assert dumps(loads(text), sha256=sha256) == text


@settings(max_examples=50, deadline=None)
@given(bundles(), st.booleans())
def test_file_functions_match_string_functions(bundle: Bundle, sha256: bool) -> None:
    out = io.BytesIO()
    dump(bundle, out, sha256=sha256)
    assert out.getvalue() == dumps(bundle, sha256=sha256).encode("utf-8")
    assert load(io.BytesIO(out.getvalue())) == bundle


@settings(max_examples=200, deadline=None)
@given(documents())
@example(b"")
@example(b"no trailer, no newline")
@example(b"\xef\xbb\xbf\xef\xbb\xbfcomment\r\n<<<FILE a>>>\r\nx\r\n<<<END 1>>>\r\n \t\n")
@example(b"<<<FILE a noeol>>>\nabc")
@example(b"<<<FILE a base64>>>\r\nAAEC\r\n/w==\r\n")
def test_lenient_reading_then_writing_is_a_fixed_point(document: bytes | str) -> None:
    try:
        bundle = loads(document, strict=False)
    except BundleDecodeError:
        return
    text = dumps(bundle)
    assert loads(text) == bundle
    assert dumps(loads(text, strict=False)) == text


@settings(max_examples=150, deadline=None)
@given(documents())
def test_what_strict_accepts_lenient_reads_the_same(document: bytes | str) -> None:
    try:
        bundle = loads(document)
    except BundleDecodeError:
        return
    assert loads(document, strict=False) == bundle


def _outcome(document: bytes | str | bytearray | memoryview) -> Bundle | tuple[object, ...]:
    try:
        return loads(document)
    except BundleDecodeError as error:
        return (error.msg, error.lineno, error.colno, error.pos, error.line)


@settings(max_examples=100, deadline=None)
@given(documents())
def test_every_input_type_reads_alike(document: bytes | str) -> None:
    if isinstance(document, str):
        try:
            data = document.encode("utf-8")
        except UnicodeEncodeError:
            return
    else:
        data = document
    expected = _outcome(data)
    assert _outcome(bytearray(data)) == expected
    assert _outcome(memoryview(data)) == expected
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    assert _outcome(text) == expected
