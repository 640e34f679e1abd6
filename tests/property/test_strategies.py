"""The public strategies generate the awkward cases their docstrings promise."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import pytest
from hypothesis import Phase, find, settings
from hypothesis import strategies as st

from seedbundle import Article, Bundle, BundleDecodeError, Entry, loads
from seedbundle._syntax import encode_name
from seedbundle.strategies import (
    article_texts,
    articles,
    broken_bundle_texts,
    bundle_texts,
    bundles,
    entries,
    entry_data,
    names,
)

T = TypeVar("T")

# Finding is enough; shrinking the example found would only cost time.
# Derandomized: each search must succeed on every run, not on most of them (a
# random search for U+2028 in entry data once missed within 1,000 examples).
_SEARCH = settings(max_examples=2000, phases=[Phase.generate], database=None, deadline=None, derandomize=True)


def _generates(strategy: st.SearchStrategy[T], predicate: Callable[[T], bool]) -> None:
    find(strategy, predicate, settings=_SEARCH)


def _reads(data: bytes, *, strict: bool) -> bool:
    try:
        loads(data, strict=strict)
    except BundleDecodeError:
        return False
    return True


@pytest.mark.parametrize(
    "predicate",
    [
        lambda name: encode_name(name) == name and "/" in name,
        lambda name: encode_name(name).startswith('"'),
        lambda name: "\n" in name,
        lambda name: ">>>" in name,
        lambda name: bool(re.search("[\u200b-\u200f\u202a-\u202e\u2066-\u2069]", name)),
        lambda name: not name.isascii(),
    ],
    ids=["bare_path", "quoted", "newline", "closing_marker", "invisible_or_bidi", "non_ascii"],
)
def test_names(predicate: Callable[[str], bool]) -> None:
    _generates(names(), predicate)


@pytest.mark.parametrize(
    "predicate",
    [
        lambda data: data == b"",
        lambda data: data == b"\n",
        lambda data: bool(re.search(rb"(?m)^\\\\\\<<<", data)),
        lambda data: bool(re.search(rb"(?m)^<<<END [0-9]+>>>", data)),
        lambda data: b"\x00" in data,
        lambda data: not Entry("x", data).is_text and b"\x00" not in data,
        lambda data: bool(data) and not data.endswith(b"\n"),
        lambda data: b"\r\n" in data,
        lambda data: b"\xef\xbb\xbf" in data,
        lambda data: "\u2028".encode() in data,
        lambda data: b"\n\\<<<FILE " in data,
        lambda data: len(data) > 114,
    ],
    ids=[
        "empty",
        "lf_only",
        "escaped_twice",
        "end_marker_line",
        "nul",
        "not_utf8",
        "no_final_newline",
        "crlf",
        "bom",
        "line_separator",
        "nested_bundle",
        "several_base64_lines",
    ],
)
def test_entry_data(predicate: Callable[[bytes], bool]) -> None:
    _generates(entry_data(), predicate)


def test_entries() -> None:
    _generates(entries(), lambda entry: entry.executable and not entry.is_text)


@pytest.mark.parametrize(
    "predicate",
    [
        lambda bundle: len(bundle) == 0 and not bundle.comment,
        lambda bundle: len(bundle) >= 3,
        lambda bundle: bundle.comment.startswith("\ufeff"),
        lambda bundle: bool(re.search(r"(?m)^\\*<<<", bundle.comment)),
        lambda bundle: bool(bundle.comment) and not bundle.comment.endswith("\n"),
    ],
    ids=["empty", "three_entries", "comment_bom", "comment_marker_line", "comment_without_final_newline"],
)
def test_bundles(predicate: Callable[[Bundle], bool]) -> None:
    _generates(bundles(), predicate)


def test_bundles_respects_its_bounds() -> None:
    _generates(bundles(min_entries=2, max_entries=2), lambda bundle: len(bundle) == 2)
    with pytest.raises(ValueError, match="min_entries <= max_entries"):
        bundles(min_entries=3, max_entries=2)
    with pytest.raises(ValueError, match="min_entries <= max_entries"):
        bundles(min_entries=-1)


def test_bundle_texts() -> None:
    _generates(bundle_texts(), lambda text: " sha256=" in text)
    _generates(bundle_texts(), lambda text: " sha256=" not in text and " base64" in text)


@pytest.mark.parametrize(
    "predicate",
    [
        lambda data: not _reads(data, strict=False),
        lambda data: _reads(data, strict=False) and not _reads(data, strict=True),
        lambda data: data.startswith(b"\xef\xbb\xbf"),
        lambda data: b"\r\n" in data,
    ],
    ids=["invalid", "lenient_only", "bom", "crlf"],
)
def test_broken_bundle_texts(predicate: Callable[[bytes], bool]) -> None:
    _generates(broken_bundle_texts(), predicate)


@pytest.mark.parametrize(
    "predicate",
    [
        lambda article: article.title.startswith("<<<"),
        lambda article: article.date.year < 1000,
        lambda article: "" in article.paragraphs,
        lambda article: not article.url.startswith("http"),
    ],
    ids=["marker_title", "year_below_1000", "empty_paragraph", "unusual_scheme"],
)
def test_articles(predicate: Callable[[Article], bool]) -> None:
    _generates(articles(), predicate)


def test_article_texts() -> None:
    _generates(article_texts(), lambda text: text.count("\n") >= 5)
