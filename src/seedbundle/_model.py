"""The value objects: Entry and Bundle."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import attrs

from ._article import ARTICLE_NAME, Article, articles_from_bundle
from ._errors import BundleEncodeError

__all__ = ["Bundle", "Entry", "check_comment"]


def _check_utf8(what: str, value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise BundleEncodeError(
            f"{what} holds the unpaired surrogate U+{ord(value[error.start]):04X} at index "
            f"{error.start}, which UTF-8 cannot encode"
        ) from None


def _to_bytes(data: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        _check_utf8("the entry data", data)
        return data.encode("utf-8")
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    raise TypeError(f"entry data must be bytes or str, not {type(data).__name__}")


def _validate_name(_instance: object, _attribute: object, name: str) -> None:
    if not isinstance(name, str):
        raise TypeError(f"an entry name must be a str, not {type(name).__name__}")
    if not name:
        raise BundleEncodeError("an entry name must not be empty")
    _check_utf8(f"the entry name {name!r}", name)


def _validate_executable(_instance: object, _attribute: object, value: bool) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"executable must be a bool, not {type(value).__name__}")


@attrs.frozen(repr=False)
class Entry:
    """One file in a bundle: a name, its bytes and its executable bit.

    A ``str`` given as data is stored as its UTF-8 encoding. Any non-empty
    name is allowed; whether it is safe as a path on disk is checked when a
    bundle is unpacked, not here.

    Args:
        name: The entry name, usually a relative path with ``/`` separators.
        data: The content, as bytes or as text.
        executable: Whether the file has its executable bit set.

    Raises:
        BundleEncodeError: If the name is empty, or the name or a text
            ``data`` holds an unpaired surrogate that UTF-8 cannot encode.
        TypeError: If an argument has the wrong type.

    Examples:
        >>> from seedbundle import Entry
        >>> entry = Entry("notes/hello.txt", "héllo\\n")
        >>> entry.data
        b'h\\xc3\\xa9llo\\n'
        >>> entry.text
        'héllo\\n'
        >>> Entry("run.sh", b"#!/bin/sh\\n", executable=True).executable
        True

    Added in version 1.0.0.
    """

    name: str = attrs.field(validator=_validate_name)
    data: bytes = attrs.field(default=b"", converter=_to_bytes)
    executable: bool = attrs.field(default=False, kw_only=True, validator=_validate_executable)

    @property
    def text(self) -> str:
        """The data decoded as UTF-8.

        Raises:
            UnicodeDecodeError: If the data is not valid UTF-8.

        Examples:
            >>> from seedbundle import Entry
            >>> Entry("a.txt", b"caf\\xc3\\xa9").text
            'café'

        Added in version 1.0.0.
        """
        return self.data.decode("utf-8")

    @property
    def is_text(self) -> bool:
        """Whether the data is stored verbatim in a bundle.

        That is the case when the data is valid UTF-8 and holds no NUL
        byte; any other data is stored as base64.

        Examples:
            >>> from seedbundle import Entry
            >>> Entry("a.txt", "plain\\n").is_text, Entry("b.bin", b"\\x00\\xff").is_text
            (True, False)

        Added in version 1.0.0.
        """
        return _is_text(self.data)

    def __repr__(self) -> str:
        data = self.data if len(self.data) <= 60 else self.data[:57] + b"..."
        exe = ", executable=True" if self.executable else ""
        return f"Entry({self.name!r}, {data!r}{exe})"


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _new_entry(name: str, data: bytes, executable: bool) -> Entry:
    """Build an Entry from values a parser has already validated.

    Skipping the validators here keeps loads() fast; every caller has
    checked the name (non-empty, valid UTF-8) and holds data as bytes.
    """
    entry = object.__new__(Entry)
    object.__setattr__(entry, "name", name)
    object.__setattr__(entry, "data", data)
    object.__setattr__(entry, "executable", executable)
    return entry


def _to_entries(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    if isinstance(entries, str | bytes):
        raise TypeError("entries must be an iterable of Entry, not a string")
    result = tuple(entries)
    seen: set[str] = set()
    for index, entry in enumerate(result):
        if not isinstance(entry, Entry):
            raise TypeError(f"entries[{index}] is a {type(entry).__name__}, not an Entry")
        if entry.name in seen:
            raise BundleEncodeError(f"two entries are named {entry.name!r}")
        seen.add(entry.name)
    return result


def check_comment(comment: object) -> str:
    """Return ``comment`` if it can be a bundle's comment; the one check every writer uses."""
    if not isinstance(comment, str):
        raise TypeError(f"the comment must be a str, not {type(comment).__name__}")
    _check_utf8("the comment", comment)
    return comment


def _validate_comment(_instance: object, _attribute: object, comment: str) -> None:
    check_comment(comment)


@attrs.frozen(repr=False)
class Bundle:
    """An ordered, immutable collection of uniquely named entries.

    A bundle may also carry a free-form ``comment``: the text before the
    first entry when it is written.

    Args:
        entries: The entries, in order. Names must be unique.
        comment: Any text that UTF-8 can encode.

    Raises:
        BundleEncodeError: If two entries share a name, or the comment
            holds an unpaired surrogate.
        TypeError: If an entry is not an [`Entry`][Entry].

    Examples:
        >>> from seedbundle import Bundle, Entry
        >>> bundle = Bundle([Entry("a.txt", "A\\n"), Entry("b.txt", "B\\n")], comment="demo")
        >>> len(bundle), bundle.names
        (2, ('a.txt', 'b.txt'))
        >>> bundle["b.txt"].text
        'B\\n'
        >>> "c.txt" in bundle
        False

    Added in version 1.0.0.
    """

    entries: tuple[Entry, ...] = attrs.field(default=(), converter=_to_entries)
    comment: str = attrs.field(default="", validator=_validate_comment)
    _index: dict[str, Entry] = attrs.field(init=False, eq=False, hash=False, alias="_index")

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_index", {entry.name: entry for entry in self.entries})

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __getitem__(self, name: str) -> Entry:
        return self._index[name]

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __repr__(self) -> str:
        comment = f", comment={self.comment!r}" if self.comment else ""
        return f"Bundle({list(self.entries)!r}{comment})"

    @property
    def names(self) -> tuple[str, ...]:
        """The entry names, in order.

        Examples:
            >>> from seedbundle import Bundle, Entry
            >>> Bundle([Entry("z", ""), Entry("a", "")]).names
            ('z', 'a')

        Added in version 1.0.0.
        """
        return tuple(self._index)

    def get(self, name: str, default: Entry | None = None) -> Entry | None:
        """Return the entry called ``name``, or ``default`` when there is none.

        Examples:
            >>> from seedbundle import Bundle, Entry
            >>> Bundle([Entry("a", "x")]).get("missing") is None
            True

        Added in version 1.0.0.
        """
        return self._index.get(name, default)

    def with_entry(self, entry: Entry) -> Bundle:
        """Return a new bundle with ``entry`` added, or replacing the entry of that name.

        A replaced entry keeps its place; a new one goes at the end.

        Examples:
            >>> from seedbundle import Bundle, Entry
            >>> bundle = Bundle([Entry("a", "1"), Entry("b", "2")])
            >>> bundle.with_entry(Entry("a", "3")).names, bundle.with_entry(Entry("c", "")).names
            (('a', 'b'), ('a', 'b', 'c'))

        Added in version 1.0.0.
        """
        if not isinstance(entry, Entry):
            raise TypeError(f"expected an Entry, not {type(entry).__name__}")
        if entry.name in self._index:
            entries = [entry if old.name == entry.name else old for old in self.entries]
            return Bundle(entries, comment=self.comment)
        return Bundle((*self.entries, entry), comment=self.comment)

    def without(self, name: str) -> Bundle:
        """Return a new bundle without the entry called ``name``.

        Raises:
            KeyError: If there is no such entry.

        Examples:
            >>> from seedbundle import Bundle, Entry
            >>> Bundle([Entry("a", ""), Entry("b", "")]).without("a").names
            ('b',)

        Added in version 1.0.0.
        """
        if name not in self._index:
            raise KeyError(name)
        return Bundle((e for e in self.entries if e.name != name), comment=self.comment)

    @classmethod
    def from_articles(
        cls, articles: Iterable[Article] | Mapping[str, Article], *, comment: str = ""
    ) -> Bundle:
        """Build a bundle of seed documents.

        Given a sequence, the articles are named ``NNN_<id>.txt`` in order,
        where ``NNN`` is the index, zero-padded to three digits (from 1000
        on, as many digits as it needs; see [`Article.filename`][seedbundle.Article.filename]),
        and ``<id>`` is [`Article.id`][Article.id].
        Given a mapping (such as the result of [`articles`][articles]), its names
        are kept, so the round trip is exact.

        Raises:
            BundleEncodeError: For a name that does not fit
                ``NNN_<16 lowercase hex>.txt``, or a duplicate name.

        Examples:
            >>> import datetime
            >>> from seedbundle import Article, Bundle
            >>> article = Article("T", datetime.date(2022, 1, 22), "https://example.org/")
            >>> Bundle.from_articles([article]).names
            ('000_8198d1bac40a1033.txt',)

        Added in version 1.0.0.

        Changed in version 1.1.0: more than 1000 articles.
        """
        return _bundle_from_articles(articles, comment=comment)

    def articles(self) -> dict[str, Article]:
        """Parse every entry named ``NNN_<16 lowercase hex>.txt`` as a seed document.

        Other entries are left out. The result keeps the bundle's order.

        Raises:
            BundleDecodeError: If a seed document does not fit the layout; the
                message names the entry and the position is within it.

        Examples:
            >>> import seedbundle
            >>> text = "<<<FILE 000_19442bb856867afb.txt>>>\\nT\\n20220122\\nhttps://e.org/\\nBody.\\n<<<END 1>>>\\n"
            >>> article = seedbundle.loads(text).articles()["000_19442bb856867afb.txt"]
            >>> article.title, article.date.isoformat(), article.paragraphs
            ('T', '2022-01-22', ('Body.',))

        Added in version 1.0.0.
        """
        return articles_from_bundle((entry.name, entry.data) for entry in self.entries)


def _new_bundle(entries: list[Entry], comment: str) -> Bundle:
    """Build a Bundle from entries a parser has already checked for duplicates."""
    bundle = object.__new__(Bundle)
    object.__setattr__(bundle, "entries", tuple(entries))
    object.__setattr__(bundle, "comment", comment)
    object.__setattr__(bundle, "_index", {entry.name: entry for entry in entries})
    return bundle


def _bundle_from_articles(
    articles: Iterable[Article] | Mapping[str, Article], *, comment: str = ""
) -> Bundle:
    """Build the bundle; see Bundle.from_articles."""
    if isinstance(articles, Mapping):
        pairs = list(articles.items())
        for name, _ in pairs:
            if not isinstance(name, str) or not ARTICLE_NAME.fullmatch(name):
                raise BundleEncodeError(f"an article is named NNN_<16 lowercase hex>.txt, not {name!r}")
    else:
        items = list(articles)
        for index, item in enumerate(items):
            # Checked before filename() is called, which only an Article has.
            if not isinstance(item, Article):
                raise TypeError(f"articles[{index}] is a {type(item).__name__}, not an Article")
        pairs = [(article.filename(index), article) for index, article in enumerate(items)]
    for name, article in pairs:
        if not isinstance(article, Article):
            raise TypeError(f"{name!r} is a {type(article).__name__}, not an Article")
    return Bundle([Entry(name, article.to_text()) for name, article in pairs], comment=comment)
