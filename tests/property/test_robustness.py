"""Any input gives a Bundle or a BundleDecodeError, and the error points at the problem."""

from __future__ import annotations

import pickle

from hypothesis import example, given, settings
from hypothesis import strategies as st

from seedbundle import Bundle, BundleDecodeError, loads

from .strategies import documents

_ODD_INPUTS = (
    b"\r",
    b"\r\n<<<END 0>>>",
    b"\xed\xa0\x80<<<FILE a>>>\n",
    "\ud800\n<<<END 0>>>\n",
    "é\udfff",
    b"<<<FILE \xff>>>\n",
    b"<<<END 0>>>\n<<<END 0>>>\n",
    b'<<<FILE "\\ud800">>>\n<<<END 1>>>\n',
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(documents(), st.sampled_from(_ODD_INPUTS)), st.booleans())
def test_loads_returns_a_bundle_or_raises_bundle_decode_error(document: bytes | str, strict: bool) -> None:
    try:
        result = loads(document, strict=strict)
    except BundleDecodeError:
        return
    assert isinstance(result, Bundle)


def _characters(document: bytes | str) -> str:
    """The document as the errors count it: one character per undecodable byte."""
    if isinstance(document, str):
        return document
    return document.decode("utf-8", "surrogateescape")


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _expected_line(document: bytes | str, lineno: int) -> str:
    if isinstance(document, str):
        document = document.encode("utf-8", "surrogatepass")
    line = document.split(b"\n")[lineno - 1]
    return line.decode("utf-8", "replace").removesuffix("\r")


@settings(max_examples=200, deadline=None)
@given(documents(), st.booleans())
@example("é€\n<<<FOO\n", True)
@example(b"\xef\xbb\xbf<<<FILE a>>>\r\n", False)
@example(b"<<<FILE a>>>\n<<<END 1>>>\r\n", True)
@example("\ud800", True)
def test_every_error_points_at_its_line_and_column(document: bytes | str, strict: bool) -> None:
    try:
        loads(document, strict=strict)
    except BundleDecodeError as error:
        caught = error
    else:
        return
    chars = _characters(document)
    lines = chars.split("\n")
    assert 1 <= caught.lineno <= len(lines)
    assert 1 <= caught.colno <= len(lines[caught.lineno - 1]) + 1
    assert caught.pos == sum(len(line) + 1 for line in lines[: caught.lineno - 1]) + caught.colno - 1
    assert caught.line == _expected_line(document, caught.lineno)
    if isinstance(document, str) and _is_utf8(document):
        assert caught.line == lines[caught.lineno - 1].removesuffix("\r")
    assert str(caught) == f"{caught.msg} (at line {caught.lineno}, column {caught.colno})"
    copy = pickle.loads(pickle.dumps(caught))
    assert (copy.msg, copy.lineno, copy.colno, copy.pos, copy.line) == (
        caught.msg,
        caught.lineno,
        caught.colno,
        caught.pos,
        caught.line,
    )
