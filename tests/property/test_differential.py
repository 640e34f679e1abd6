"""The fast scanner and the Lark reference parser agree on every input.

Both must return the same bundle, or raise the same error: the same
message, line, column, position and line text.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from seedbundle import Bundle, dumps
from seedbundle._reference import parse_with_grammar
from seedbundle._scanner import scan
from seedbundle.strategies import broken_bundle_texts, bundles

from .strategies import documents, grammar_texts, line_soups, outcome


def assert_parsers_agree(data: bytes) -> None:
    for strict in (True, False):
        assert outcome(scan, data, strict=strict) == outcome(parse_with_grammar, data, strict=strict), (
            f"strict={strict}"
        )


@settings(max_examples=200, deadline=None)
@given(bundles(), st.booleans())
def test_reference_parser_reads_every_dumps_output_alike(bundle: Bundle, sha256: bool) -> None:
    data = dumps(bundle, sha256=sha256).encode("utf-8")
    assert parse_with_grammar(data, strict=True) == bundle
    assert parse_with_grammar(data, strict=False) == bundle


# Hand-picked inputs at the edges of the grammar; Hypothesis runs them first.
@settings(max_examples=300, deadline=None)
@given(broken_bundle_texts())
@example(b"")
@example(b"\xef\xbb\xbf")
@example(b"\xef\xbb\xbf\xef\xbb\xbf<<<FILE a>>>\n")
@example(b"<<<")
@example(b"<<<FILE a>>>")
@example(b"<<<FILE a>>>\r")
@example(b"<<<FILE a>>>\r\r\n")
@example(b"<<<FILE a>>>\n<<<END 1>>>")
@example(b"<<<END 0>>>x\n<<<FILE a>>>\n")
@example(b"<<<END 0>>>\n \n<<<END 0>>>\n")
@example(b"<<<END 0>>>\r\n\t\x0b\x0c\r\n")
@example(b'<<<FILE "a>>>\n')
@example(b'<<<FILE "<<<END 1>>>">>>\n<<<END 1>>>\n')
@example(b"<<<FILE a  b>>>\n")
@example(b"<<<FILE a b64>>>\n")
@example(b"x\n<<<FILE a base64>>>\nQQ==QQ==\n<<<END 1>>>\n")
@example(b"<<<FILE a noeol>>>\n<<<END 1>>>\n")
@example(b"<<<FILE a\xff>>>\n<<<END 1>>>\n")
@example("<<<FILE é x>>>\n".encode())
def test_parsers_agree_on_broken_bundles(data: bytes) -> None:
    assert_parsers_agree(data)


@settings(max_examples=150, deadline=None)
@given(documents())
def test_parsers_agree_on_any_document(document: bytes | str) -> None:
    if isinstance(document, str):
        document = document.encode("utf-8", "surrogatepass")
    assert_parsers_agree(document)


@settings(max_examples=75, deadline=None)
@given(grammar_texts())
def test_parsers_agree_on_texts_the_grammar_derives(data: bytes) -> None:
    assert_parsers_agree(data)


@settings(max_examples=100, deadline=None)
@given(line_soups())
def test_parsers_agree_on_soups_of_marker_lines(data: bytes) -> None:
    assert_parsers_agree(data)
