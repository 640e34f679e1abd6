"""Hypothesis strategies for seedbundle values and documents.

The public names live in [`seedbundle.strategies`][seedbundle.strategies]; this module holds the
implementation. Every strategy leans towards the inputs that break naive
readers and writers: lines that look like markers at every escaping depth,
names that need quoting, text that is almost but not quite UTF-8, and data
with no final newline.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

from hypothesis import strategies as st

from ._api import dumps
from ._article import Article
from ._model import Bundle, Entry

__all__ = [
    "article_texts",
    "articles",
    "broken_bundle_texts",
    "bundle_texts",
    "bundles",
    "entries",
    "entry_data",
    "names",
]

_BOM = "\ufeff"

# Pieces of names that a naive writer gets wrong: separators of the header
# line, markers, escapes, controls, and characters that hide or reorder text.
_NAME_PIECES = (
    " ",
    '"',
    "'",
    "\\",
    "\\n",
    "\\u0041",
    "<",
    ">",
    "<<<",
    ">>>",
    "<<<FILE x>>>",
    "<<<END 1>>>",
    "=",
    " noeol",
    " base64",
    "\n",
    "\r",
    "\t",
    "\x00",
    "\x7f",
    "\x85",
    "\xa0",
    "\xad",
    "\u200b",
    "\u200d",
    "\u200e",
    "\u202e",
    "\u2066",
    "\u2028",
    "\u3000",
    _BOM,
    "\ufffd",
    "é",
    "e\u0301",
    "日本",
    "😀",
    "/",
    ".",
    "..",
)

_PATH_SEGMENT = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.",
    min_size=1,
    max_size=10,
)

_ORDINARY_NAMES = st.lists(_PATH_SEGMENT, min_size=1, max_size=4).map("/".join)

_UNICODE_TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=4)

_NASTY_NAMES = st.lists(st.one_of(st.sampled_from(_NAME_PIECES), _UNICODE_TEXT), min_size=1, max_size=5).map(
    "".join
)

_NAMES = st.one_of(_ORDINARY_NAMES, _NASTY_NAMES)

# Lines that look like structural lines; each is drawn with 0 to 4 leading
# backslashes, so that every escaping depth is covered.
_MARKER_LINES = (
    b"<<<FILE x>>>",
    b"<<<FILE x noeol>>>",
    b"<<<FILE x base64>>>",
    b'<<<FILE "a b" exec>>>',
    b"<<<END 0>>>",
    b"<<<END 1>>>",
    b"<<<",
    b"<<<<",
    b"<<<FOO>>>",
    b"<<<FILE",
    b"<<<END",
    b"<<<\xef\xbb\xbf",
)

# Lines that are awkward for other reasons: empty, white space, controls,
# bytes that are not UTF-8, a byte order mark, Unicode line separators.
_ODD_LINES = (
    b"",
    b" ",
    b"\t",
    b"\r",
    b"\x0c",
    b"\x0b",
    b"\x00",
    b"\x1b[0m",
    b"\\",
    b"\\\\",
    b"\\x<<<",
    b" <<<",
    b">>>",
    b"QUJD",
    b"AA==",
    b"\xff",
    b"\xc3",
    b"\x80abc",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b"\xef\xbb\xbfx",
    "\u2028".encode(),
    "\x85".encode(),
    "\u200b".encode(),
    "é".encode(),
    "😀".encode(),
)

_MARKER_LINE = st.sampled_from(tuple(b"\\" * depth + line for depth in range(5) for line in _MARKER_LINES))

# Whole lines with their line end, so that one draw gives one line: every
# marker-like line at depths 0 to 4, and every odd line, most ending in LF.
_CANNED_LINES = (
    *(b"\\" * depth + line + b"\n" for depth in range(5) for line in _MARKER_LINES),
    *(b"\\" * depth + line + b"\r\n" for depth in range(2) for line in _MARKER_LINES[:6]),
    *(line + b"\n" for line in _ODD_LINES),
    *(line + b"\r\n" for line in _ODD_LINES[:8]),
)

_LINE = st.one_of(
    st.sampled_from(_CANNED_LINES),
    st.sampled_from(_CANNED_LINES),
    st.text(max_size=12).map(lambda text: text.encode() + b"\n"),
    st.binary(max_size=6).map(lambda data: data + b"\n"),
)


@st.composite
def _lined_bytes(draw: st.DrawFn) -> bytes:
    body = b"".join(draw(st.lists(_LINE, max_size=6)))
    # About one block in three lacks a final newline.
    last = draw(st.sampled_from((b"", b"", b"", b"", b"x", b"<<<", b"\\<<<END 0>>>", b"\r")))
    return body + last


_FLAT_DATA = st.one_of(
    _lined_bytes(),
    st.sampled_from((b"", b"\n", b"\n\n", b"\r\n", b"\r", b"x", b"\x00", b"\xff")),
    st.text(max_size=30).map(str.encode),
    st.binary(max_size=40),
    # Long enough for base64 to take several 76-character lines.
    st.binary(min_size=50, max_size=200),
)

_COMMENT_LINES = (
    "",
    " ",
    "\r",
    "#",
    "<<<",
    "<<<FILE x>>>",
    "<<<END 0>>>",
    "\\<<<END 1>>>",
    "\\\\\\<<<",
    "\\",
    _BOM,
    _BOM + "<<<FILE x>>>",
    "\\" + _BOM,
    "x" + _BOM,
    "\u2028",
    "\x85",
    "\x0c",
    "\x00",
    "é",
)


@st.composite
def _comments(draw: st.DrawFn) -> str:
    # The first line matters most: a leading U+FEFF reads like a byte order
    # mark and a leading '<<<' like a marker, so both get escaped.
    first = draw(st.sampled_from(("", "", _BOM, "\\" + _BOM, "\\\\" + _BOM, "<<<", "\\<<<")))
    line = st.one_of(st.sampled_from(_COMMENT_LINES), st.text(max_size=10))
    end = st.sampled_from(("\n", "\n", "\r\n"))
    text = first + "".join(a + b for a, b in draw(st.lists(st.tuples(line, end), max_size=4)))
    # Half of the comments lack a final newline.
    if draw(st.booleans()):
        text = text.rstrip("\n")
    return text


_COMMENTS = _comments()


@st.composite
def _bundle_of(
    draw: st.DrawFn,
    data: st.SearchStrategy[bytes],
    min_entries: int,
    max_entries: int,
) -> Bundle:
    items = draw(
        st.lists(
            st.tuples(_NAMES, data, st.booleans()),
            min_size=min_entries,
            max_size=max_entries,
            unique_by=lambda item: item[0],
        )
    )
    entries = [Entry(name, content, executable=executable) for name, content, executable in items]
    comment = draw(st.one_of(st.just(""), _COMMENTS))
    return Bundle(entries, comment=comment)


def _nest(inner: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda bundle, sha256: dumps(bundle, sha256=sha256).encode("utf-8"),
        _bundle_of(inner, 0, 2),
        st.booleans(),
    )


# Whole bundles as entry data, nested two levels deep, so that the escaping
# of lines that were escaped already is exercised.
_NESTED_ONCE = _nest(_FLAT_DATA)
_NESTED_TWICE = _nest(st.one_of(_FLAT_DATA, _NESTED_ONCE))


@st.composite
def _entry_data(draw: st.DrawFn) -> bytes:
    # Nesting is costly to generate, so only about one entry in five gets it;
    # shrinking moves towards flat data.
    depth = draw(st.sampled_from((0, 0, 0, 0, 0, 0, 0, 0, 1, 2)))
    return draw((_FLAT_DATA, _NESTED_ONCE, _NESTED_TWICE)[depth])


_ENTRY_DATA = _entry_data()


def names() -> st.SearchStrategy[str]:
    """Generate entry names, ordinary paths as well as names that need quoting.

    The awkward names hold spaces, quotes, backslashes, ``<<<`` and ``>>>``,
    control characters including newline, zero-width and bidirectional
    formatting characters, and other non-ASCII text. Every name is valid:
    non-empty and encodable as UTF-8.

    Returns:
        A strategy for ``str``.

    Examples:
        >>> from hypothesis import given, settings
        >>> from seedbundle import Bundle, Entry, dumps, loads
        >>> from seedbundle.strategies import names
        >>> @settings(max_examples=20)
        ... @given(names())
        ... def test_any_name_survives(name):
        ...     bundle = Bundle([Entry(name, b"")])
        ...     assert loads(dumps(bundle)).names == (name,)
        >>> test_any_name_survives()

    Added in version 1.0.0.
    """
    return _NAMES


def entry_data() -> st.SearchStrategy[bytes]:
    """Generate entry contents that stress the escaping and the base64 rules.

    The data mixes lines that look like FILE and END markers with 0 to 4
    backslashes in front, empty lines, lines ending in CRLF or a lone CR,
    NUL bytes, bytes that are not UTF-8, byte order marks, U+2028, U+0085
    and form feeds, with or without a final newline. Some data is a whole
    bundle, nested up to a few levels deep.

    Returns:
        A strategy for ``bytes``.

    Examples:
        >>> from hypothesis import given, settings
        >>> from seedbundle import Bundle, Entry, dumps, loads
        >>> from seedbundle.strategies import entry_data
        >>> @settings(max_examples=20)
        ... @given(entry_data())
        ... def test_bytes_survive(data):
        ...     bundle = Bundle([Entry("f", data)])
        ...     assert loads(dumps(bundle))["f"].data == data
        >>> test_bytes_survive()

    Added in version 1.0.0.
    """
    return _ENTRY_DATA


def entries() -> st.SearchStrategy[Entry]:
    """Generate entries: a name from [`names`][names], data from [`entry_data`][entry_data].

    About half of them are executable.

    Returns:
        A strategy for [`seedbundle.Entry`][seedbundle.Entry].

    Examples:
        >>> from hypothesis import given, settings
        >>> from seedbundle import Bundle, dumps, loads
        >>> from seedbundle.strategies import entries
        >>> @settings(max_examples=20)
        ... @given(entries())
        ... def test_entry_survives(entry):
        ...     assert loads(dumps(Bundle([entry])))[entry.name] == entry
        >>> test_entry_survives()

    Added in version 1.0.0.
    """
    return st.builds(Entry, _NAMES, _ENTRY_DATA, executable=st.booleans())


def bundles(*, min_entries: int = 0, max_entries: int = 5) -> st.SearchStrategy[Bundle]:
    """Generate bundles of uniquely named entries, often with an awkward comment.

    Comments may be empty, begin with U+FEFF (which reads like a byte order
    mark), hold lines that begin with ``<<<`` or backslashes, or lack a final
    newline.

    Args:
        min_entries: The fewest entries a bundle holds.
        max_entries: The most entries a bundle holds.

    Returns:
        A strategy for [`seedbundle.Bundle`][seedbundle.Bundle].

    Raises:
        ValueError: If the bounds are negative or ``min_entries > max_entries``.

    Examples:
        >>> from hypothesis import given, settings
        >>> from seedbundle import dumps, loads
        >>> from seedbundle.strategies import bundles
        >>> @settings(max_examples=20)
        ... @given(bundles(max_entries=3))
        ... def test_round_trip(bundle):
        ...     assert loads(dumps(bundle)) == bundle
        >>> test_round_trip()

    Added in version 1.0.0.
    """
    if not 0 <= min_entries <= max_entries:
        raise ValueError(
            f"need 0 <= min_entries <= max_entries, got min_entries={min_entries!r}"
            f" and max_entries={max_entries!r}"
        )
    return _bundle_of(_ENTRY_DATA, min_entries, max_entries)


def bundle_texts() -> st.SearchStrategy[str]:
    """Generate canonical bundle texts: what [`seedbundle.dumps`][seedbundle.dumps] writes.

    About half of them carry a ``sha256=`` attribute on every entry.

    Returns:
        A strategy for ``str``.

    Examples:
        >>> from hypothesis import given, settings
        >>> from seedbundle import dumps, loads
        >>> from seedbundle.strategies import bundle_texts
        >>> @settings(max_examples=20)
        ... @given(bundle_texts())
        ... def test_canonical(text):
        ...     bundle = loads(text)
        ...     assert text in (dumps(bundle), dumps(bundle, sha256=True))
        >>> test_canonical()

    Added in version 1.0.0.
    """
    return st.builds(
        lambda bundle, sha256: dumps(bundle, sha256=sha256),
        _bundle_of(_ENTRY_DATA, 0, 4),
        st.booleans(),
    )


# Fragments of structural lines, spliced into broken bundles. Together they
# reach every branch of the header and END line diagnostics.
_HEADER_PREFIXES = (b"<<<FILE ", b"<<<FILE ", b"<<<END ", b"<<<", b"\\<<<FILE ", b"<<<FILE")
_HEADER_FRAGMENTS = (
    b"a",
    b"x.txt",
    b'"a b"',
    b'"\\u00e9"',
    b'"\\ud800"',
    b'"\\q"',
    b'""',
    b'"',
    b" ",
    b"noeol",
    b"base64",
    b"exec",
    b"sha256=",
    b"sha256=" + b"0" * 64,
    b"mode=755",
    b"=",
    b">>>",
    b">>",
    b">",
    b"<",
    b"\r",
    b"\\",
    b"\t",
    b"0",
    b"01",
    b"1",
    b"-1",
    b"\xff",
    b"\xef\xbb\xbf",
    "é".encode(),
    "\u200b".encode(),
)


def _line_starts(data: bytes) -> list[int]:
    return [0, *(match.end() for match in re.finditer(rb"\n", data))]


def _insert_line(draw: st.DrawFn, data: bytes, line: bytes) -> bytes:
    at = draw(st.sampled_from(_line_starts(data)))
    return data[:at] + line + b"\n" + data[at:]


def _cut(draw: st.DrawFn, data: bytes) -> bytes:
    return data[: draw(st.integers(0, len(data)))]


def _replace_byte(draw: st.DrawFn, data: bytes) -> bytes:
    if not data:
        return data
    at = draw(st.integers(0, len(data) - 1))
    new = draw(st.one_of(st.sampled_from(b'<>\\\n\r "=A0\x00\x80\xff'), st.integers(0, 255)))
    return data[:at] + bytes([new]) + data[at + 1 :]


def _marker_line(draw: st.DrawFn, data: bytes) -> bytes:
    return _insert_line(draw, data, draw(_MARKER_LINE))


def _spliced_header(draw: st.DrawFn, data: bytes) -> bytes:
    prefix = draw(st.sampled_from(_HEADER_PREFIXES))
    middle = draw(st.lists(st.sampled_from(_HEADER_FRAGMENTS), min_size=1, max_size=6))
    suffix = draw(st.sampled_from((b">>>", b">>>", b"", b">>> ", b">>>\r")))
    return _insert_line(draw, data, prefix + b"".join(middle) + suffix)


def _crlf(draw: st.DrawFn, data: bytes) -> bytes:
    scope = draw(st.sampled_from(("all", "structural", "one")))
    if scope == "all":
        return data.replace(b"\n", b"\r\n")
    if scope == "structural":
        return re.sub(rb"(?m)^(<<<[^\n]*)\n", rb"\1\r\n", data)
    return _replace_line_end(draw, data, b"\r\n")


def _lone_cr(draw: st.DrawFn, data: bytes) -> bytes:
    return _replace_line_end(draw, data, b"\r")


def _replace_line_end(draw: st.DrawFn, data: bytes, new: bytes) -> bytes:
    ends = [match.start() for match in re.finditer(rb"\n", data)]
    if not ends:
        return data
    at = draw(st.sampled_from(ends))
    return data[:at] + new + data[at + 1 :]


def _bom(draw: st.DrawFn, data: bytes) -> bytes:
    return draw(st.sampled_from((b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\xef\xbb"))) + data


_BASE64_LINE = re.compile(rb"(?m)^[A-Za-z0-9+/]{2,}={0,2}$")


def _corrupt_base64(draw: st.DrawFn, data: bytes) -> bytes:
    lines = [match.span() for match in _BASE64_LINE.finditer(data)]
    if not lines:
        return _replace_byte(draw, data)
    start, end = draw(st.sampled_from(lines))
    line = data[start:end]
    how = draw(st.sampled_from(("drop", "pad", "char", "split", "join")))
    if how == "drop":
        line = line[:-1]
    elif how == "pad":
        line += b"="
    elif how == "char":
        at = draw(st.integers(0, len(line) - 1))
        line = (
            line[:at] + draw(st.sampled_from((b"=", b"!", b"-", b" ", b"\r", b"\xc3\xa9"))) + line[at + 1 :]
        )
    elif how == "split":
        at = draw(st.integers(1, len(line) - 1))
        line = line[:at] + b"\n" + line[at:]
    elif data[end : end + 1] == b"\n":
        end += 1
    return data[:start] + line + data[end:]


def _change_count(draw: st.DrawFn, data: bytes) -> bytes:
    match = re.search(rb"(?m)^<<<END ([0-9]+)>>>", data)
    if match is None:
        return data + b"<<<END " + str(draw(st.integers(0, 3))).encode() + b">>>\n"
    count = int(match.group(1))
    new = draw(
        st.sampled_from(
            (str(count + 1), str(max(count - 1, 0)), "0" + str(count), "-1", "", "x", " 1", "9" * 25)
        )
    )
    return data[: match.start(1)] + new.encode() + data[match.end(1) :]


def _duplicate_header(draw: st.DrawFn, data: bytes) -> bytes:
    headers = re.findall(rb"(?m)^<<<FILE [^\n]*", data)
    if not headers:
        return _spliced_header(draw, data)
    return _insert_line(draw, data, draw(st.sampled_from(headers)))


def _delete_line(draw: st.DrawFn, data: bytes) -> bytes:
    starts = _line_starts(data)
    index = draw(st.integers(0, len(starts) - 1))
    end = starts[index + 1] if index + 1 < len(starts) else len(data)
    return data[: starts[index]] + data[end:]


def _append(draw: st.DrawFn, data: bytes) -> bytes:
    tails = (b"\n", b" ", b"\t\r\n", b"x", b"<<<END 0>>>\n", b"\\<<<", b"\x00", b"\xff", b"\x0c")
    return data + draw(st.sampled_from(tails))


_Mutation = Callable[[st.DrawFn, bytes], bytes]

_MUTATIONS: tuple[_Mutation, ...] = (
    _cut,
    _replace_byte,
    _marker_line,
    _spliced_header,
    _crlf,
    _lone_cr,
    _bom,
    _corrupt_base64,
    _change_count,
    _duplicate_header,
    _delete_line,
    _append,
)


@st.composite
def _broken(draw: st.DrawFn) -> bytes:
    data = dumps(draw(_bundle_of(_ENTRY_DATA, 0, 3)), sha256=draw(st.booleans())).encode("utf-8")
    for mutation in draw(st.lists(st.sampled_from(_MUTATIONS), min_size=1, max_size=3)):
        data = mutation(draw, data)
    return data


def broken_bundle_texts() -> st.SearchStrategy[bytes]:
    """Generate damaged bundles, to test how code copes with bad input.

    Each starts as a canonical bundle and goes through one to three
    mutations: cut at any byte, a byte replaced, a marker-like line or a
    header line spliced from tricky fragments inserted, line endings turned
    into CRLF or CR, a byte order mark added, base64 corrupted, the END
    count changed, a FILE line duplicated, a line deleted, or junk appended.
    Most results are invalid; a few still parse, some only with
    ``strict=False``. They are bytes because a damaged bundle need not be
    UTF-8.

    Returns:
        A strategy for ``bytes``.

    Examples:
        >>> from hypothesis import given, settings
        >>> from seedbundle import Bundle, BundleDecodeError, loads
        >>> from seedbundle.strategies import broken_bundle_texts
        >>> @settings(max_examples=20)
        ... @given(broken_bundle_texts())
        ... def test_only_bundles_or_decode_errors(data):
        ...     try:
        ...         assert isinstance(loads(data), Bundle)
        ...     except BundleDecodeError as error:
        ...         assert error.lineno >= 1 and error.colno >= 1
        >>> test_only_bundles_or_decode_errors()

    Added in version 1.0.0.
    """
    return _broken()


_ONE_LINE = st.characters(codec="utf-8", exclude_characters="\n")

_TRICKY_LINES = st.sampled_from(("<<<FILE x>>>", "\\<<<END 1>>>", "<<<", _BOM, "\r", " ", "\u2028", "\x85"))

_TITLES = st.one_of(_TRICKY_LINES, st.text(_ONE_LINE, min_size=1, max_size=40))

_PARAGRAPHS = st.lists(st.one_of(_TRICKY_LINES, st.text(_ONE_LINE, max_size=60)), max_size=5)

_SCHEMES = st.one_of(
    st.sampled_from(("https", "http", "ftp", "s3")),
    st.from_regex(r"[A-Za-z][A-Za-z0-9+.-]{0,6}", fullmatch=True),
)

_URL_TAILS = st.one_of(
    st.lists(_PATH_SEGMENT, min_size=1, max_size=4).map("/".join),
    st.text(
        st.characters(codec="utf-8").filter(lambda char: not char.isspace()),
        min_size=1,
        max_size=20,
    ),
)

_URLS = st.builds(lambda scheme, tail: f"{scheme}://{tail}", _SCHEMES, _URL_TAILS)


def articles() -> st.SearchStrategy[Article]:
    """Generate seed documents with any date from year 1 to 9999.

    Titles and paragraphs may hold marker-like text, byte order marks, CR,
    U+2028 and other characters that are not newlines; paragraphs may be
    empty. URLs range from plain ``https`` links to unusual schemes and
    non-ASCII paths.

    Returns:
        A strategy for [`seedbundle.Article`][seedbundle.Article].

    Examples:
        >>> from hypothesis import given, settings
        >>> from seedbundle import Article
        >>> from seedbundle.strategies import articles
        >>> @settings(max_examples=20)
        ... @given(articles())
        ... def test_text_round_trip(article):
        ...     assert Article.from_text(article.to_text()) == article
        >>> test_text_round_trip()

    Added in version 1.0.0.
    """
    return st.builds(
        Article,
        _TITLES,
        st.dates(min_value=datetime.date.min, max_value=datetime.date.max),
        _URLS,
        _PARAGRAPHS.map(tuple),
    )


def article_texts() -> st.SearchStrategy[str]:
    """Generate valid seed document texts, as [`seedbundle.Article.to_text`][seedbundle.Article.to_text] writes them.

    Returns:
        A strategy for ``str``.

    Examples:
        >>> from hypothesis import given, settings
        >>> from seedbundle import Article
        >>> from seedbundle.strategies import article_texts
        >>> @settings(max_examples=20)
        ... @given(article_texts())
        ... def test_parse_then_write(text):
        ...     assert Article.from_text(text).to_text() == text
        >>> test_parse_then_write()

    Added in version 1.0.0.
    """
    return articles().map(Article.to_text)
