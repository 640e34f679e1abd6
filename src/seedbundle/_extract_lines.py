"""What one line of a model's answer is: a marker, a fence, a file name, a tag.

Every function here looks at a single line (without its LF) and never
backtracks over it: prefixes are taken off with ``str.lstrip`` and bounded
patterns, and lines too long to be a marker are not parsed as one, so that
reading an answer stays linear in its size.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Literal

import attrs

from ._syntax import LineError, parse_end_line, parse_header_line

__all__ = [
    "Fence",
    "Marker",
    "NameLine",
    "PawsMarker",
    "XmlTag",
    "fence",
    "info_name",
    "marker",
    "name_line",
    "paws_marker",
    "xml_close",
    "xml_tag",
]

# Longer lines are content whatever they hold: no marker, name or tag is this long.
_MAX_MARKER = 2000

# A heading, a list item or a quote before a marker or a file name.
_BLOCK_PREFIX = re.compile(r"(?:#{1,6}[ \t]+|(?:[-*+]|\d{1,3}[.)])[ \t]+)")
_KEYWORD = re.compile(r"(FILE|DELETE|END(?:[ _-]?FILE)?|/FILE)(?![A-Za-z0-9_])", re.IGNORECASE)
_ATTRIBUTE_WORD = re.compile(r"[a-z][a-z0-9-]*(?:=\S+)?")
_FLAGS = ("noeol", "base64", "exec")
_ANNOTATION = re.compile(r"[ \t]+\([^()]{0,80}\)$")


@attrs.frozen
class Fence:
    """A line that opens or closes a fenced code block (CommonMark)."""

    indent: int
    char: str
    length: int
    info: str

    def closed_by(self, other: Fence) -> bool:
        """Whether the fence line ``other`` closes the block this one opens."""
        return other.char == self.char and other.length >= self.length and not other.info


def fence(line: str) -> Fence | None:
    """The fence on this line, after white space and ``>`` quote marks, or None."""
    body = line.lstrip(" \t>")
    if not body.startswith(("```", "~~~")):
        return None
    return _fence(line, body)


@functools.lru_cache(maxsize=256)
def _fence(line: str, body: str) -> Fence | None:
    # Cached: the same fence lines (a bare ```) recur throughout an answer.
    char = body[0]
    rest = body.lstrip(char)
    info = rest.strip()
    if char == "`" and "`" in info:
        return None  # inline code such as ```x```, not a fence
    return Fence(indent=len(line) - len(body), char=char, length=len(body) - len(rest), info=info)


@attrs.frozen
class Marker:
    """A structural line of the bundle format, as a model may have written it.

    ``kind`` is ``file`` (a FILE header), ``delete`` (a DELETE line), ``end``
    (``<<<END n>>>``), ``closer`` (``<<<END>>>``, ``<<<END FILE x>>>`` and
    the like) or ``other`` (a line that begins with ``<<<`` but is not
    marker-like). ``exact`` is true for a line written as the format writes
    it; ``changes`` lists what was taken off to read a variant.
    """

    kind: Literal["file", "delete", "end", "closer", "other"]
    column: int
    name: str | None = None
    count: int | None = None
    attributes: tuple[str, ...] = ()
    exact: bool = False
    changes: tuple[str, ...] = ()
    cr: bool = False


def marker(line: str) -> Marker | None:
    """Read a line that may be a marker; None if it is none at all."""
    start = line.find("<<<", 0, 80)
    if start < 0 or len(line) > _MAX_MARKER:
        return None
    cr = line.endswith("\r")
    text = line[:-1] if cr else line
    if start == 0 and text.startswith("<<<FILE "):
        exact = _exact_header(text, cr)
        if exact is not None:
            return exact
    if start == 0 and text.startswith("<<<END "):
        try:
            count = parse_end_line(text.encode("utf-8", "surrogateescape"), has_newline=True, strict=True)
        except LineError:
            pass
        else:
            return Marker("end", 0, count=count, exact=True, cr=cr)
    changes: list[str] = []
    if not _prefix_allowed(text[:start], changes):
        return None
    keyword = _KEYWORD.match(text, start + 3 + _spaces(text, start + 3))
    if keyword is None:
        # Only a line that begins with '<<<' is structural in the format.
        return Marker("other", 0, cr=cr) if start == 0 else None
    if text[start + 3 : keyword.start()]:
        changes.append("the space after '<<<'")
    if keyword.group() not in ("FILE", "DELETE", "END"):
        changes.append(f"the spelling {keyword.group()!r}")
    body, closed = _body(text[keyword.end() :], changes)
    word = keyword.group().upper().replace("_", " ").replace("-", " ")
    if word in ("FILE", "DELETE"):
        return _named_marker("file" if word == "FILE" else "delete", start, body, changes, cr)
    if word == "END" and body.isdigit() and closed:
        return Marker("end", start, count=int(body), changes=tuple(changes), cr=cr)
    name = _clean_name(body, changes) if body else None
    return Marker("closer", start, name=name or None, changes=tuple(changes), cr=cr)


def _exact_header(text: str, cr: bool) -> Marker | None:
    try:
        header = parse_header_line(text.encode("utf-8", "surrogateescape"), has_newline=True, strict=True)
    except LineError:
        return None
    words: list[str] = [
        word for word, on in zip(_FLAGS, (header.noeol, header.base64, header.executable), strict=True) if on
    ]
    if header.sha256 is not None:
        words.append(f"sha256={header.sha256}")
    return Marker("file", 0, name=header.name, attributes=tuple(words), exact=True, cr=cr)


def _spaces(text: str, at: int) -> int:
    return len(text) - at - len(text[at:].lstrip(" \t"))


def _prefix_allowed(prefix: str, changes: list[str]) -> bool:
    """Whether what precedes '<<<' is decoration: indentation, a quote, a heading or list mark, bold."""
    if not prefix:
        return True
    rest = prefix.lstrip(" \t")
    if len(rest) != len(prefix):
        changes.append("the indentation")
    if rest.startswith(">"):
        rest = rest.lstrip(" \t>")
        changes.append("the '> ' quote")
    block = _BLOCK_PREFIX.match(rest)
    if block is not None:
        changes.append(f"the {block.group().strip()!r} prefix")
        rest = rest[block.end() :]
    for wrapper in ("**", "__", "`", "*"):
        if rest == wrapper:
            changes.append(f"the {wrapper!r} around the marker")
            return True
    return not rest


def _body(text: str, changes: list[str]) -> tuple[str, bool]:
    """What follows the keyword, up to '>>>'; and whether '>>>' was there."""
    body = text.rstrip(" \t")
    for wrapper in ("**", "__", "`", "*"):
        if body.endswith(">>>" + wrapper):
            body = body[: -len(wrapper)]
            break
    first = body.find(">>>")
    if 0 <= first < len(body) - 3 and not body.lstrip(" \t:").startswith('"'):
        changes.append(f"the text after '>>>' ({body[first + 3 :].strip()!r})")
        body = body[: first + 3]
    closed = body.endswith(">>>")
    if closed:
        body = body[:-3]
    else:
        changes.append("a missing '>>>'")
    if body.lstrip(" \t").startswith(":"):
        changes.append("the ':'")
        body = " " + body.lstrip(" \t")[1:].lstrip(" \t")
    stripped = body.strip(" \t")
    if stripped and body != " " + stripped:
        changes.append("the spacing")
    return stripped, closed


def _named_marker(
    kind: Literal["file", "delete"], column: int, body: str, changes: list[str], cr: bool
) -> Marker:
    name, rest = _split_name(body, changes)
    attributes: list[str] = []
    for word in rest.split():
        if _ATTRIBUTE_WORD.fullmatch(word):
            attributes.append(word)
        else:
            changes.append(f"the annotation {word!r}")
    known = all(word in _FLAGS or word.startswith("sha256=") for word in attributes)
    if not changes and known and kind == "file":
        # Nothing else explains why the line is not exact: a name that needs quoting, say.
        changes.append("the form of the line")
    return Marker(kind, column, name=name, attributes=tuple(attributes), changes=tuple(changes), cr=cr)


def _split_name(body: str, changes: list[str]) -> tuple[str, str]:
    """Split a header's text into the name and what follows it (attributes, annotations)."""
    annotation = _ANNOTATION.search(body)
    if annotation is not None:
        changes.append(f"the annotation {annotation.group().strip()!r}")
        body = body[: annotation.start()]
    if body.startswith('"'):
        try:
            name, end = json.JSONDecoder().raw_decode(body)
        except ValueError:
            pass
        else:
            if isinstance(name, str):
                return name, body[end:]
    for quote in ("**", "`", "'", '"'):
        if body.startswith(quote):
            end = body.find(quote, len(quote))
            if end > len(quote):
                changes.append(f"the {quote!r} around the name")
                return body[len(quote) : end], body[end + len(quote) :]
    words = body.split(" ")
    rest: list[str] = []
    while len(words) > 1 and (words[-1] in _FLAGS or words[-1].startswith("sha256=")):
        rest.insert(0, words.pop())
    while len(words) > 1 and _ATTRIBUTE_WORD.fullmatch(words[-1]) and "=" in words[-1]:
        rest.insert(0, words.pop())
    return _clean_name(" ".join(words), changes), " ".join(rest)


def _clean_name(name: str, changes: list[str]) -> str:
    """Take quotes, backticks and bold off a name."""
    for _ in range(3):
        stripped = name.strip(" \t")
        for quote in ("**", "__", "`", "'", '"'):
            if len(stripped) > 2 * len(quote) and stripped.startswith(quote) and stripped.endswith(quote):
                changes.append(f"the {quote!r} around the name")
                stripped = stripped[len(quote) : -len(quote)]
                break
        if stripped == name:
            break
        name = stripped
    return name


@attrs.frozen
class NameLine:
    """A line that holds only a file name, perhaps decorated.

    ``strong`` names are marked as names (a heading, bold, backticks, a list
    item, brackets, or a ``File:`` label), so that a line of prose may stand
    between them and their code block; a bare name must come right before it.
    """

    name: str
    strong: bool


_LABEL = re.compile(r"(?:\*\*|__)?(?:file(?:[ _]?name)?|path)[ \t]*:(?:\*\*|__)?[ \t]*", re.IGNORECASE)
_EXTENSION = re.compile(r"[^.]*(?:\.[^.]+)*\.[A-Za-z0-9_+-]{0,11}[A-Za-z][A-Za-z0-9_+-]{0,11}")
_PATH_CHARACTERS = re.compile(r"[^\s`*<>|\"'\[\](){}]+")
_KNOWN_NAMES = frozenset(
    [
        "makefile",
        "dockerfile",
        "containerfile",
        "license",
        "licence",
        "readme",
        "procfile",
        "gemfile",
        "rakefile",
        "jenkinsfile",
        "vagrantfile",
        "justfile",
        "brewfile",
        "podfile",
        "cmakelists.txt",
    ]
)


def name_line(line: str) -> NameLine | None:
    """The file name that a line holds alone, as models write it before a code block."""
    text = line.strip()
    if not text or len(text) > 300:
        return None
    strong = False
    text = text.lstrip(">").lstrip()
    block = _BLOCK_PREFIX.match(text)
    if block is not None:
        strong = True
        text = text[block.end() :].rstrip("#").rstrip()
    for _ in range(4):
        before = text
        label = _LABEL.match(text)
        if label is not None:
            text = text[label.end() :]
            if text.endswith("**") and not text.startswith("**"):
                text = text[:-2]  # the bold that opened before the label: **File: x**
        if text.endswith((":", ":**")):
            text = text[:-3] + "**" if text.endswith(":**") else text[:-1]
        annotation = _ANNOTATION.search(text)
        if annotation is not None:
            text = text[: annotation.start()]
        for opening, closing in (("**", "**"), ("__", "__"), ("`", "`"), ("[", "]"), ("*", "*"), ("_", "_")):
            if (
                len(text) > len(opening) + len(closing)
                and text.startswith(opening)
                and text.endswith(closing)
            ):
                text = text[len(opening) : -len(closing)].strip()
                break
        text = text.strip()
        if text != before:
            strong = True
        else:
            break
    if not looks_like_path(text) or (not strong and not _has_file_name(text)):
        return None
    return NameLine(text, strong)


def _has_file_name(text: str) -> bool:
    """Whether the last segment reads as a file's name on its own, as a bare name line must (not and/or)."""
    last = text.replace("\\", "/").rsplit("/", 1)[-1]
    return last.casefold() in _KNOWN_NAMES or bool(_EXTENSION.fullmatch(last)) or last.startswith(".")


def looks_like_path(text: str) -> bool:
    """Whether a word reads as a file path: it has an extension, a known name or a directory."""
    if not text or len(text) > 1024 or "://" in text or not _PATH_CHARACTERS.fullmatch(text):
        return False
    last = text.replace("\\", "/").rsplit("/", 1)[-1]
    if not last or last.endswith("."):
        return False
    if last.casefold() in _KNOWN_NAMES or _EXTENSION.fullmatch(last):
        return True
    if last.startswith(".") and len(last) > 1:
        return True  # a dotfile such as .gitignore
    return "/" in text.strip("/") and any(char.isalpha() for char in last)


_INFO_KEY = re.compile(r"""(?:title|file|filename|path|name)=["']?([^"'\s]+)["']?""")
_LANGUAGE = re.compile(r"[A-Za-z][A-Za-z0-9_+#.-]*")


def info_name(info: str) -> tuple[str, str | None]:
    """The language and the file name in a fence's info string.

    The name may follow the language after a colon (``python:src/app.py``),
    stand alone (``src/app.py``), follow it as a second word, or be given as
    ``title=`` / ``file=`` / ``filename=`` / ``path=``.
    """
    words = info.split()
    if not words:
        return "", None
    first = words[0]
    key = _INFO_KEY.search(info)
    if key is not None and looks_like_path(key.group(1)):
        return first.lower() if "=" not in first else "", key.group(1)
    language, colon, rest = first.partition(":")
    if colon and _LANGUAGE.fullmatch(language) and looks_like_path(rest):
        return language.lower(), rest
    if len(words) > 1 and looks_like_path(words[1]) and _LANGUAGE.fullmatch(first):
        return first.lower(), words[1]
    if looks_like_path(first) and ("." in first or "/" in first):
        return "", first
    return first.lower(), None


@attrs.frozen
class PawsMarker:
    """A PAWS ``DOGS_START_FILE`` / ``DOGS_END_FILE`` line (or the ``CATS_`` ones)."""

    start: bool
    name: str
    base64: bool


_PAWS = re.compile(
    r"[ \t>]*(?:\U0001f415|\U0001f408)?[ \t]*-{3,}[ \t]*(?:DOGS|CATS)_(START|END)_FILE[ \t]*:[ \t]*"
    r"(\S(?:[^\n]{0,1000}?\S)?)([ \t]+\(Content:Base64\))?[ \t]*-{3,}[ \t]*\r?"
)


def paws_marker(line: str) -> PawsMarker | None:
    """The PAWS marker on this line, or None."""
    if "_FILE" not in line or len(line) > _MAX_MARKER:
        return None
    match = _PAWS.fullmatch(line)
    if match is None:
        return None
    return PawsMarker(match.group(1) == "START", match.group(2), match.group(3) is not None)


@attrs.frozen
class XmlTag:
    """An opening ``<file path=...>`` or ``<boltAction ...>`` tag.

    ``name`` is None for a tag that holds no file (a bolt shell action).
    ``rest`` is what follows the tag on its line; ``closing`` is the tag
    that ends it.
    """

    name: str | None
    closing: str
    rest: str
    self_closing: bool


_XML_OPEN = re.compile(
    r"[ \t]*<(file|boltAction)((?:[ \t]+[A-Za-z_:][\w:.-]*[ \t]*=[ \t]*(?:\"[^\"]*\"|'[^']*'))*)[ \t]*(/?)>"
)
_XML_ATTRIBUTE = re.compile(r"([A-Za-z_:][\w:.-]*)[ \t]*=[ \t]*(?:\"([^\"]*)\"|'([^']*)')")


def xml_tag(line: str) -> XmlTag | None:
    """The opening file tag at the start of this line, or None."""
    if "<" not in line[:40] or len(line) > _MAX_MARKER * 4:
        return None
    match = _XML_OPEN.match(line)
    if match is None:
        return None
    values = {
        found.group(1).lower(): found.group(2) if found.group(2) is not None else found.group(3)
        for found in _XML_ATTRIBUTE.finditer(match.group(2))
    }
    tag = match.group(1)
    if tag == "file":
        name = values.get("path") or values.get("name") or values.get("filename") or values.get("filepath")
        if name is None:
            return None
    else:
        name = values.get("filepath") if values.get("type") == "file" else None
    return XmlTag(name, f"</{tag}>", line[match.end() :], bool(match.group(3)))


def xml_close(line: str, closing: str) -> int:
    """Where ``closing`` begins on this line, or -1."""
    return line.find(closing)
