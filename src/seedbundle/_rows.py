"""Rows of seed documents for dataset engines, built without Article objects.

A row is a dict with the columns ``name``, ``title``, ``date`` (a
``datetime.date``), ``url`` and ``text``: the paragraphs joined by LF, with
no final LF. It holds what [`Article`][seedbundle.Article] holds, except
that no paragraphs and one empty paragraph both give the text ``""``.

[`article_row`][article_row] makes the checks of ``Article.from_text`` on a
fast path that slices the first three lines and matches two patterns; any
document the fast path does not accept goes to ``Article.from_text``, which
raises the error with its position. A differential test holds the two equal.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from ._article import _DATE, _URL, ARTICLE_NAME, Article, articles_from_bundle

__all__ = ["ROW_COLUMNS", "article_columns", "article_row"]

ROW_COLUMNS = ("name", "title", "date", "url", "text")


def article_row(name: str, data: bytes) -> dict[str, Any]:
    """The row of the seed document ``data``, stored under the entry name ``name``.

    Raises:
        BundleDecodeError: Exactly as [`Bundle.articles`][seedbundle.Bundle.articles]
            raises it for this entry: the message names the entry and the
            position is within its text.
        ValueError: If ``name`` is not a seed-document name (``NNN_<16 hex>.txt``).
    """
    if not ARTICLE_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a seed-document name (NNN_<16 lowercase hex>.txt)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _slow_row(name, data)
    title_end = text.find("\n")
    date_end = text.find("\n", title_end + 1)
    url_end = text.find("\n", date_end + 1)
    if title_end <= 0 or date_end < 0 or url_end < 0 or not text.endswith("\n"):
        return _slow_row(name, data)
    date = text[title_end + 1 : date_end]
    url = text[date_end + 1 : url_end]
    if not _DATE.fullmatch(date) or not _URL.fullmatch(url):
        return _slow_row(name, data)
    try:
        day = datetime.date(int(date[:4]), int(date[4:6]), int(date[6:]))
    except ValueError:
        return _slow_row(name, data)
    body = text[url_end + 1 : -1]
    return {"name": name, "title": text[:title_end], "date": day, "url": url, "text": body}


def article_columns(
    entries: Iterable[tuple[str, bytes]], *, skip_others: bool = False
) -> dict[str, list[Any]]:
    """The rows of ``(name, data)`` pairs as columns: a list per column of [`ROW_COLUMNS`][ROW_COLUMNS].

    Each row is [`article_row`][article_row]'s, and it raises what that
    raises. With ``skip_others``, pairs whose name is not a seed-document
    name are left out instead of refused. The loop is
    [`article_row`][article_row]'s fast path written inline, with no dict per
    row; what it does not accept goes to [`article_row`][article_row].

    Examples:
        >>> data = b"T\\n20220122\\nhttps://e.org/\\nOne.\\nTwo.\\n"
        >>> article_columns([("000_19442bb856867afb.txt", data), ("README", b"")], skip_others=True)["text"]
        ['One.\\nTwo.']
    """
    columns: dict[str, list[Any]] = {column: [] for column in ROW_COLUMNS}
    names, titles, dates, urls, texts = (columns[column] for column in ROW_COLUMNS)
    is_name = ARTICLE_NAME.fullmatch
    is_url = _URL.fullmatch
    date_of = datetime.date
    for name, data in entries:
        if not is_name(name):
            if skip_others:
                continue
            article_row(name, data)  # raises
        try:
            text = data.decode("utf-8")
            title_end = text.index("\n")
            date_end = text.index("\n", title_end + 1)
            url_end = text.index("\n", date_end + 1)
            date = text[title_end + 1 : date_end]
            url = text[date_end + 1 : url_end]
            if (
                title_end == 0
                or text[-1] != "\n"
                or len(date) != 8
                or not date.isascii()
                or not date.isdigit()
                or not is_url(url)
            ):
                raise ValueError
            day = date_of(int(date[:4]), int(date[4:6]), int(date[6:]))
        except ValueError:  # also UnicodeDecodeError, a missing line and a day that does not exist
            row = article_row(name, data)  # raises, or takes the case the fast path does not
            names.append(name)
            titles.append(row["title"])
            dates.append(row["date"])
            urls.append(row["url"])
            texts.append(row["text"])
            continue
        names.append(name)
        titles.append(text[:title_end])
        dates.append(day)
        urls.append(url)
        texts.append(text[url_end + 1 : -1])
    return columns


def _slow_row(name: str, data: bytes) -> dict[str, Any]:
    """The row through ``Article``, for a document the fast path did not accept: it raises."""
    article: Article = articles_from_bundle([(name, data)])[name]
    return {
        "name": name,
        "title": article.title,
        "date": article.date,
        "url": article.url,
        "text": "\n".join(article.paragraphs),
    }
