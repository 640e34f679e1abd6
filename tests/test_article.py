"""Seed documents: the Article value, its text layout, and articles in bundles."""

from __future__ import annotations

import datetime
import hashlib
import re

import attrs
import pytest

import seedbundle
from seedbundle import Article, Bundle, BundleDecodeError, BundleEncodeError, Entry, dumps, loads
from seedbundle._article import ARTICLE_NAME

DAY = datetime.date(2022, 1, 22)
URL = "https://example.org/news/a"
ID = hashlib.sha256(URL.encode()).hexdigest()[:16]


def _article(**changes: object) -> Article:
    fields: dict[str, object] = {"title": "T", "date": DAY, "url": URL, "paragraphs": ("P1", "P2")}
    fields.update(changes)
    return Article(**fields)  # type: ignore[arg-type]


def test_an_article_is_an_immutable_value() -> None:
    article = _article(paragraphs=["a", ""])
    assert article.paragraphs == ("a", "")
    assert article == _article(paragraphs=("a", ""))
    assert hash(article) == hash(_article(paragraphs=("a", "")))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        article.title = "U"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"title": ""}, BundleEncodeError, "the title must not be empty"),
        ({"title": "a\nb"}, BundleEncodeError, "the title must fit on one line"),
        ({"title": b"T"}, TypeError, "the title must be a str, not bytes"),
        ({"date": "2022-01-22"}, TypeError, "the date must be a datetime.date, not str"),
        ({"date": datetime.datetime(2022, 1, 22)}, TypeError, "not datetime"),
        ({"url": "example.org/a"}, BundleEncodeError, "the url must be an absolute URL"),
        ({"url": "https://a b"}, BundleEncodeError, "the url must be an absolute URL"),
        ({"url": "https://a\nb"}, BundleEncodeError, "the url must fit on one line"),
        ({"url": None}, TypeError, "the url must be a str, not NoneType"),
        ({"paragraphs": "one string"}, TypeError, "paragraphs must be a sequence of str"),
        ({"paragraphs": ("a\nb",)}, BundleEncodeError, "the paragraph must fit on one line"),
        ({"paragraphs": (1,)}, TypeError, "the paragraph must be a str, not int"),
    ],
)
def test_an_invalid_article_cannot_be_built(
    changes: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        _article(**changes)


def test_id_and_filename_come_from_the_url() -> None:
    article = _article()
    assert article.id == ID
    assert article.filename(0) == f"000_{ID}.txt"
    assert article.filename(999) == f"999_{ID}.txt"
    assert article.filename(1000) == f"1000_{ID}.txt"
    assert article.filename(123456) == f"123456_{ID}.txt"
    with pytest.raises(BundleEncodeError, match="0 or more"):
        article.filename(-1)
    with pytest.raises(TypeError, match="an int"):
        article.filename(True)


def test_to_text_lays_out_one_field_per_line() -> None:
    assert _article().to_text() == f"T\n20220122\n{URL}\nP1\nP2\n"
    assert _article(date=datetime.date(7, 3, 9), paragraphs=()).to_text() == f"T\n00070309\n{URL}\n"


def test_from_text_reads_empty_and_odd_paragraphs() -> None:
    text = f"<<<FILE x>>>\n20220122\n{URL}\n\n\r\n\ufeff\n"
    article = Article.from_text(text)
    assert article.title == "<<<FILE x>>>"
    assert article.paragraphs == ("", "\r", "\ufeff")
    assert article.to_text() == text


def test_from_text_needs_a_str() -> None:
    with pytest.raises(TypeError, match="from_text\\(\\) needs a str, not bytes"):
        Article.from_text(b"T\n")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "message", "lineno", "colno"),
    [
        ("", "expected the title on line 1, found the end of the text", 1, 1),
        ("\n", "expected the title on line 1, found an empty line", 1, 1),
        ("T", "expected the date on line 2, found the end of the text", 1, 2),
        ("T\n", "expected the date on line 2, found the end of the text", 2, 1),
        ("T\n2022", "expected the date as YYYYMMDD, found '2022'", 2, 1),
        ("T\n\n", "expected the date as YYYYMMDD, found ''", 2, 1),
        ("T\n20220122", "expected the URL on line 3, found the end of the text", 2, 9),
        ("T\n20220122\n", "expected the URL on line 3, found the end of the text", 3, 1),
        ("T\n20220230\nhttps://e.org/\n", "'20220230' is not a real date: day is out of range", 2, 1),
        ("T\n00000101\nhttps://e.org/\n", "'00000101' is not a real date", 2, 1),
        # Full-width digits are digits to str.isdigit, but not to the format.
        (
            "T\n\uff12\uff10\uff12\uff12\uff10\uff11\uff12\uff12\nhttps://e.org/\n",
            "expected the date as",
            2,
            1,
        ),
        ("T\n20220122\nnot a url", "expected an absolute URL such as https://example.org/a", 3, 1),
        ("T\n20220122\nhttps://e.org/", "a seed document ends with a newline", 3, 15),
        ("T\n20220122\nhttps://e.org/\nP", "a seed document ends with a newline", 4, 2),
    ],
)
def test_from_text_reports_the_first_problem(text: str, message: str, lineno: int, colno: int) -> None:
    with pytest.raises(BundleDecodeError) as caught:
        Article.from_text(text)
    error = caught.value
    assert error.msg.startswith(message)
    assert (error.lineno, error.colno) == (lineno, colno)
    assert error.line == text.split("\n")[lineno - 1]


def test_a_field_that_is_there_is_never_called_missing() -> None:
    # Regression: these used to say "expected the URL on line 3, found the end
    # of the text", though line 3 held a URL (without its newline) or a bad one.
    for text in ("T\n20220122\nhttps://e.org/", "T\n20220122\nnot a url"):
        with pytest.raises(BundleDecodeError) as caught:
            Article.from_text(text)
        assert "found the end of the text" not in caught.value.msg


def test_from_articles_names_articles_by_index_and_id() -> None:
    other = _article(url="https://example.org/b")
    bundle = Bundle.from_articles([_article(), other], comment="seed")
    assert bundle.names == (f"000_{ID}.txt", f"001_{other.id}.txt")
    assert bundle.comment == "seed"
    assert bundle[f"000_{ID}.txt"] == Entry(f"000_{ID}.txt", _article().to_text())


def test_from_articles_keeps_the_names_of_a_mapping() -> None:
    name = f"042_{ID}.txt"
    bundle = Bundle.from_articles({name: _article()})
    assert bundle.names == (name,)
    assert bundle.articles() == {name: _article()}
    assert Bundle.from_articles(bundle.articles()) == bundle


@pytest.mark.parametrize("name", ["a.txt", f"42_{ID}.txt", f"042_{ID.upper()}.txt", f"042_{ID}.md"])
def test_from_articles_rejects_other_names(name: str) -> None:
    with pytest.raises(BundleEncodeError, match=re.escape("NNN_<16 lowercase hex>.txt")):
        Bundle.from_articles({name: _article()})


def test_from_articles_rejects_non_articles_and_too_many() -> None:
    # Regression: a sequence holding a non-Article raised AttributeError.
    with pytest.raises(TypeError, match=r"articles\[1\] is a str, not an Article"):
        Bundle.from_articles([_article(), "x"])  # type: ignore[list-item]
    name = f"001_{ID}.txt"
    with pytest.raises(TypeError, match=f"'{name}' is a str, not an Article"):
        Bundle.from_articles({name: "x"})  # type: ignore[arg-type]


def test_from_articles_names_past_999_with_a_wider_index() -> None:
    articles = [_article(url=f"https://example.org/{n}") for n in range(1002)]
    bundle = Bundle.from_articles(articles)
    # The first 1000 names are exactly those of version 1.0.
    assert bundle.names[:1000] == tuple(f"{n:03d}_{a.id}.txt" for n, a in enumerate(articles[:1000]))
    assert bundle.names[0] == "000_" + articles[0].id + ".txt"
    assert bundle.names[1000:] == (f"1000_{articles[1000].id}.txt", f"1001_{articles[1001].id}.txt")
    assert sorted(bundle.names, key=lambda name: (len(name), name)) == list(bundle.names)
    again = seedbundle.loads(seedbundle.dumps(bundle)).articles()
    assert list(again.values()) == articles
    assert Bundle.from_articles(again) == bundle


@pytest.mark.parametrize("name", [f"0999_{ID}.txt", f"01000_{ID}.txt", f"99_{ID}.txt", f"1000_{ID}.TXT"])
def test_article_name_refuses_leading_zeros_past_three_digits(name: str) -> None:
    assert not ARTICLE_NAME.fullmatch(name)
    assert ARTICLE_NAME.fullmatch(f"1000_{ID}.txt")
    assert ARTICLE_NAME.fullmatch(f"000_{ID}.txt")


def test_articles_skips_entries_with_other_names_and_keeps_order() -> None:
    first, second = f"005_{ID}.txt", f"001_{ID}.txt"
    bundle = Bundle(
        [
            Entry(first, _article().to_text()),
            Entry("README", "not an article"),
            Entry(second, _article(title="U").to_text()),
        ]
    )
    assert list(bundle.articles()) == [first, second]
    assert bundle.articles()[second].title == "U"
    assert loads(dumps(bundle)).articles() == bundle.articles()


def test_articles_reports_a_bad_document_within_its_entry() -> None:
    name = f"000_{ID}.txt"
    with pytest.raises(BundleDecodeError) as caught:
        Bundle([Entry(name, "T\nyesterday\nhttps://e.org/\n")]).articles()
    error = caught.value
    assert error.msg == f"entry {name!r}: expected the date as YYYYMMDD, found 'yesterday'"
    assert (error.lineno, error.colno, error.pos, error.line) == (2, 1, 2, "yesterday")


def test_articles_reports_bytes_that_are_not_utf8_where_they_are() -> None:
    # Regression: the position used to be line 1, column 1 with pos as a byte
    # offset, wherever the bad byte was.
    name = f"000_{ID}.txt"
    with pytest.raises(BundleDecodeError) as caught:
        Bundle([Entry(name, b"T\xc3\xa9\nab\xff\n")]).articles()
    error = caught.value
    assert error.msg == f"entry {name!r}: a seed document must be UTF-8 text"
    assert (error.lineno, error.colno, error.pos, error.line) == (2, 3, 5, "ab\ufffd")
