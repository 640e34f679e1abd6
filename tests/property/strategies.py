"""Test-only strategies and helpers shared by the property tests."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from seedbundle import Bundle, BundleDecodeError
from seedbundle._reference import _parser
from seedbundle._strategies import _CANNED_LINES, _lined_bytes
from seedbundle.strategies import broken_bundle_texts, bundle_texts

Parser = Callable[..., Bundle]
# A parse result that compares by value: the bundle, or the whole error.
Outcome = Bundle | tuple[str, int, int, int, str]


def outcome(parse: Parser, data: bytes | str, *, strict: bool) -> Outcome:
    """Run a parser and turn its error into a comparable tuple."""
    try:
        return parse(data, strict=strict)
    except BundleDecodeError as error:
        return (error.msg, error.lineno, error.colno, error.pos, error.line)


def grammar_texts() -> st.SearchStrategy[bytes]:
    """Texts that grammar.lark derives: well formed lines, mostly broken semantics."""
    return from_lark(_parser()).map(lambda text: text.encode("utf-8", "surrogatepass"))


def surrogate_texts() -> st.SearchStrategy[str]:
    """Str documents that may hold unpaired surrogates, which UTF-8 cannot encode."""
    return st.text(st.characters(codec=None), max_size=40)


def line_soups() -> st.SearchStrategy[bytes]:
    """Documents made only of marker-like and odd lines, in any order."""
    return st.lists(st.sampled_from(_CANNED_LINES), max_size=8).map(b"".join)


def documents() -> st.SearchStrategy[bytes | str]:
    """Any input a user might hand to loads: valid, damaged or unrelated."""
    return st.one_of(
        st.binary(max_size=200),
        surrogate_texts(),
        line_soups(),
        _lined_bytes(),
        grammar_texts(),
        bundle_texts(),
        broken_bundle_texts(),
    )
