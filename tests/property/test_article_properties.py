"""Seed documents survive every round trip, and bad ones raise BundleDecodeError."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from seedbundle import Article, Bundle, BundleDecodeError, dumps, loads
from seedbundle.strategies import article_texts, articles


@settings(max_examples=150, deadline=None)
@given(articles())
def test_from_text_inverts_to_text(article: Article) -> None:
    assert Article.from_text(article.to_text()) == article


@settings(max_examples=150, deadline=None)
@given(article_texts())
def test_to_text_inverts_from_text(text: str) -> None:
    assert Article.from_text(text).to_text() == text


@st.composite
def _damaged_article_texts(draw: st.DrawFn) -> str:
    text = draw(article_texts())
    at = draw(st.integers(0, len(text)))
    junk = draw(st.sampled_from(("", "\n", "x", "-", "0", "\r", " ", "99999999", "://")))
    return text[:at] + junk + text[at + draw(st.integers(0, 10)) :]


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(), _damaged_article_texts()))
@example("")
@example("T\n20220230\nhttps://e.org/\n")
@example("T\n20220122\nhttps://e.org/")
def test_from_text_returns_an_article_or_raises_bundle_decode_error(text: str) -> None:
    try:
        article = Article.from_text(text)
    except BundleDecodeError as error:
        caught = error
    else:
        assert article.to_text() == text
        return
    lines = text.split("\n")
    assert 1 <= caught.lineno <= len(lines)
    assert 1 <= caught.colno <= len(lines[caught.lineno - 1]) + 1
    assert caught.line == lines[caught.lineno - 1]
    before = sum(len(line) + 1 for line in lines[: caught.lineno - 1])
    assert caught.pos == before + caught.colno - 1


_ARTICLE_BUNDLES = st.lists(articles(), max_size=4).map(Bundle.from_articles)


@settings(max_examples=75, deadline=None)
@given(_ARTICLE_BUNDLES)
def test_from_articles_inverts_articles(bundle: Bundle) -> None:
    assert Bundle.from_articles(bundle.articles()) == bundle


@settings(max_examples=75, deadline=None)
@given(st.lists(articles(), max_size=4))
def test_articles_survive_a_bundle_round_trip(items: list[Article]) -> None:
    bundle = Bundle.from_articles(items)
    assert list(loads(dumps(bundle)).articles().values()) == items
