"""The fast row builder gives exactly the rows, and the errors, that Article.from_text gives."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from seedbundle import Bundle, BundleDecodeError, Entry
from seedbundle._rows import ROW_COLUMNS, article_columns, article_row
from seedbundle.strategies import article_texts

NAME = "000_19442bb856867afb.txt"


def _through_article(name: str, data: bytes) -> dict[str, Any]:
    """The row built from Bundle.articles, the public way."""
    article = Bundle([Entry(name, data)]).articles()[name]
    return {
        "name": name,
        "title": article.title,
        "date": article.date,
        "url": article.url,
        "text": "\n".join(article.paragraphs),
    }


def _fast(name: str, data: bytes) -> dict[str, Any] | tuple[str, int, int, int, str]:
    try:
        return article_row(name, data)
    except BundleDecodeError as error:
        return (error.msg, error.lineno, error.colno, error.pos, error.line)


def _columns(name: str, data: bytes) -> dict[str, Any] | tuple[str, int, int, int, str]:
    """The row through article_columns, whose fast path is written inline."""
    try:
        columns = article_columns([(name, data)])
    except BundleDecodeError as error:
        return (error.msg, error.lineno, error.colno, error.pos, error.line)
    return {column: values[0] for column, values in columns.items()}


def _reference(name: str, data: bytes) -> dict[str, Any] | tuple[str, int, int, int, str]:
    from seedbundle._article import articles_from_bundle

    try:
        article = articles_from_bundle([(name, data)])[name]
    except BundleDecodeError as error:
        return (error.msg, error.lineno, error.colno, error.pos, error.line)
    return {
        "name": name,
        "title": article.title,
        "date": article.date,
        "url": article.url,
        "text": "\n".join(article.paragraphs),
    }


@st.composite
def _damaged(draw: st.DrawFn) -> bytes:
    text = draw(article_texts()).encode("utf-8", "surrogatepass")
    at = draw(st.integers(0, len(text)))
    junk = draw(st.sampled_from((b"", b"\n", b"x", b"0", b"\r", b"\xff", b"20230230", b"://", b"\n\n")))
    return text[:at] + junk + text[at + draw(st.integers(0, 10)) :]


@settings(max_examples=300, deadline=None)
@given(article_texts())
def test_rows_of_valid_documents_match_article(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    row = article_row(NAME, data)
    assert tuple(row) == ROW_COLUMNS
    assert row == _reference(NAME, data) == _columns(NAME, data)


@settings(max_examples=500, deadline=None)
@given(st.one_of(_damaged(), st.binary(max_size=60), st.text(max_size=60).map(str.encode)))
@example(b"")
@example(b"\n20220122\nhttps://e.org/\n")
@example(b"T\n20220230\nhttps://e.org/\n")
@example(b"T\n20220122\nhttps://e.org/")
@example(b"T\n20220122\nnot a url\n")
@example(b"T\n\xff\n")
@example(b"T\n2022012\xd9\xa3\nhttps://e.org/\n")  # an Arabic-Indic digit is a digit, not [0-9]
@example(b"T\n20220122\nhttps://e.org/\n\xff\n")
def test_rows_of_any_bytes_match_article_or_its_error(data: bytes) -> None:
    assert _fast(NAME, data) == _reference(NAME, data) == _columns(NAME, data)


def test_columns_keep_the_order_and_leave_out_other_names_only_when_asked() -> None:
    one, two = b"A\n20220122\nhttps://e.org/1\n", b"B\n20220123\nhttps://e.org/2\nP.\n"
    pairs = [(NAME, one), ("README", b"hi\n"), ("1000_19442bb856867afb.txt", two)]
    columns = article_columns(pairs, skip_others=True)
    assert columns["title"] == ["A", "B"]
    assert columns["text"] == ["", "P."]
    with pytest.raises(ValueError, match="not a seed-document name"):
        article_columns(pairs)


def test_the_reference_is_what_bundle_articles_gives() -> None:
    data = b"T\n20220122\nhttps://e.org/a\nOne.\n\nThree.\n"
    assert _through_article(NAME, data) == article_row(NAME, data)
    assert article_row(NAME, data)["text"] == "One.\n\nThree."


def test_a_name_that_is_not_an_article_name_is_refused() -> None:
    with pytest.raises(ValueError, match="not a seed-document name"):
        article_row("a.txt", b"T\n20220122\nhttps://e.org/\n")
    assert article_row("1000_19442bb856867afb.txt", b"T\n20220122\nhttps://e.org/\n")["text"] == ""
