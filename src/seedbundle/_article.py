"""Seed documents: news articles stored one per entry."""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Callable, Iterable

import attrs

from ._errors import BundleDecodeError, BundleEncodeError, locate_in

__all__ = ["ARTICLE_NAME", "Article", "articles_from_bundle"]

# The index has three digits up to 999, then as many as it needs, never a leading zero.
ARTICLE_NAME = re.compile(r"(?:[0-9]{3}|[1-9][0-9]{3,})_[0-9a-f]{16}\.txt")
_DATE = re.compile(r"[0-9]{8}")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s]+")


def _check_one_line(what: str, value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"the {what} must be a str, not {type(value).__name__}")
    if "\n" in value:
        raise BundleEncodeError(f"the {what} must fit on one line, but it holds a newline: {value!r}")


def _check_title(_instance: object, _attribute: object, title: str) -> None:
    _check_one_line("title", title)
    if not title:
        raise BundleEncodeError("the title must not be empty")


def _check_date(_instance: object, _attribute: object, date: datetime.date) -> None:
    if not isinstance(date, datetime.date) or isinstance(date, datetime.datetime):
        raise TypeError(f"the date must be a datetime.date, not {type(date).__name__}")


def _check_url(_instance: object, _attribute: object, url: str) -> None:
    _check_one_line("url", url)
    if not _URL.fullmatch(str(url)):
        raise BundleEncodeError(f"the url must be an absolute URL such as https://example.org/a, not {url!r}")


def _to_paragraphs(paragraphs: Iterable[str]) -> tuple[str, ...]:
    if isinstance(paragraphs, str):
        raise TypeError("paragraphs must be a sequence of str, not one str")
    result = tuple(paragraphs)
    for paragraph in result:
        _check_one_line("paragraph", paragraph)
    return result


@attrs.frozen
class Article:
    """A seed document: a news article laid out one field per line.

    Its text is the title, the date as ``YYYYMMDD``, the source URL, then
    one line per paragraph, each line ending in a newline. In a bundle it is
    named ``NNN_<16 hex digits>.txt``, where ``NNN`` is its index: three
    digits from ``000`` to ``999``, then as many digits as the index needs
    (``1000``, ``12345``), never with a leading zero.

    Args:
        title: The headline, on one line.
        date: The publication date.
        url: The absolute source URL.
        paragraphs: The body, one string per paragraph, none holding a newline.

    Raises:
        BundleEncodeError: If a field does not fit the layout.
        TypeError: If a field has the wrong type.

    Examples:
        >>> import datetime
        >>> from seedbundle import Article
        >>> article = Article("A headline", datetime.date(2022, 1, 22),
        ...                   "https://example.org/news/a-headline", ("First.", "Second."))
        >>> print(article.to_text(), end="")
        A headline
        20220122
        https://example.org/news/a-headline
        First.
        Second.

    Added in version 1.0.0.
    """

    title: str = attrs.field(validator=_check_title)
    date: datetime.date = attrs.field(validator=_check_date)
    url: str = attrs.field(validator=_check_url)
    paragraphs: tuple[str, ...] = attrs.field(default=(), converter=_to_paragraphs)

    @property
    def id(self) -> str:
        """A stable 64-bit id: the first 16 hex digits of the URL's SHA-256.

        Examples:
            >>> import datetime
            >>> from seedbundle import Article
            >>> Article("T", datetime.date(2022, 1, 22), "https://example.org/").id
            '8198d1bac40a1033'

        Added in version 1.0.0.
        """
        return hashlib.sha256(self.url.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def filename(self, index: int) -> str:
        """The entry name for this article at ``index`` in a bundle.

        The index is zero-padded to three digits; from 1000 on it is written
        with as many digits as it needs. So the names of the first 1000
        articles are those of version 1.0, and sorting names by length,
        then by name, sorts them by index. (Sorting by name alone does not
        past 999: ``1000_…`` sorts before ``101_…``.)

        Raises:
            BundleEncodeError: If the index is negative.
            TypeError: If the index is not an int.

        Examples:
            >>> import datetime
            >>> from seedbundle import Article
            >>> article = Article("T", datetime.date(2022, 1, 22), "https://example.org/")
            >>> article.filename(7)
            '007_8198d1bac40a1033.txt'
            >>> article.filename(1000)
            '1000_8198d1bac40a1033.txt'

        Added in version 1.0.0.

        Changed in version 1.1.0: an index of 1000 or more is written with
        as many digits as it needs; it was refused.
        """
        if not isinstance(index, int) or isinstance(index, bool):
            raise TypeError(f"an article index is an int, not {type(index).__name__}")
        if index < 0:
            raise BundleEncodeError(f"an article index is 0 or more, not {index}")
        return f"{index:03d}_{self.id}.txt"

    def to_text(self) -> str:
        """The document text, exactly as [`from_text`][from_text] reads it.

        Examples:
            >>> import datetime
            >>> from seedbundle import Article
            >>> Article("T", datetime.date(999, 12, 31), "https://e.org/").to_text()
            'T\\n09991231\\nhttps://e.org/\\n'

        Added in version 1.0.0.
        """
        day = self.date
        lines = [
            self.title,
            f"{day.year:04d}{day.month:02d}{day.day:02d}",
            self.url,
            *self.paragraphs,
        ]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_text(cls, text: str) -> Article:
        """Parse a seed document.

        Raises:
            BundleDecodeError: If the text does not fit the layout; the
                position is within ``text``.
            TypeError: If ``text`` is not a str.

        Examples:
            >>> from seedbundle import Article
            >>> Article.from_text("T\\n20220122\\nhttps://e.org/a\\nBody.\\n").paragraphs
            ('Body.',)
            >>> Article.from_text("T\\n2022-01-22\\nhttps://e.org/a\\n")
            Traceback (most recent call last):
            ...
            seedbundle.BundleDecodeError: expected the date as YYYYMMDD, found '2022-01-22' (at line 2, column 1)

        Added in version 1.0.0.
        """
        if not isinstance(text, str):
            raise TypeError(f"from_text() needs a str, not {type(text).__name__}")
        lines = text.split("\n")
        starts = [0]
        for line in lines[:-1]:
            starts.append(starts[-1] + len(line) + 1)

        def fail(msg: str, lineno: int, col: int = 0) -> BundleDecodeError:
            line = lines[lineno - 1] if lineno <= len(lines) else ""
            return BundleDecodeError(
                msg, lineno=lineno, colno=col + 1, pos=starts[lineno - 1] + col, line=line
            )

        # The fields are checked in document order, so that the first problem
        # is the one reported, and a field that is there is never called missing.
        present = len(lines) if lines[-1] else len(lines) - 1
        if present and not lines[0]:
            raise fail("expected the title on line 1, found an empty line", 1)
        if present >= 2:
            _parse_date(lines[1], fail)
        if present >= 3 and not _URL.fullmatch(lines[2]):
            raise fail(f"expected an absolute URL such as https://example.org/a, found {lines[2]!r}", 3)
        if present < 3:
            missing = ("the title", "the date", "the URL")[present]
            raise fail(
                f"expected {missing} on line {present + 1}, found the end of the text",
                len(lines),
                len(lines[-1]),
            )
        if lines[-1]:
            raise fail("a seed document ends with a newline", len(lines), len(lines[-1]))
        return cls(lines[0], _parse_date(lines[1], fail), lines[2], tuple(lines[3:-1]))


def _parse_date(date: str, fail: Callable[[str, int], BundleDecodeError]) -> datetime.date:
    if not _DATE.fullmatch(date):
        raise fail(f"expected the date as YYYYMMDD, found {date!r}", 2)
    try:
        return datetime.date(int(date[:4]), int(date[4:6]), int(date[6:]))
    except ValueError as error:
        raise fail(f"{date!r} is not a real date: {error}", 2) from None


def articles_from_bundle(entries: Iterable[tuple[str, bytes]]) -> dict[str, Article]:
    """Parse every entry named like a seed document; see Bundle.articles."""
    result: dict[str, Article] = {}
    for name, data in entries:
        if not ARTICLE_NAME.fullmatch(name):
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            lineno, colno, pos, line = locate_in(data, error.start, lineno_base=1, pos_base=0)
            raise BundleDecodeError(
                f"entry {name!r}: a seed document must be UTF-8 text",
                lineno=lineno,
                colno=colno,
                pos=pos,
                line=line,
            ) from None
        try:
            result[name] = Article.from_text(text)
        except BundleDecodeError as error:
            raise BundleDecodeError(
                f"entry {name!r}: {error.msg}",
                lineno=error.lineno,
                colno=error.colno,
                pos=error.pos,
                line=error.line,
            ) from None
    return result
