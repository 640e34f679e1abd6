"""What one line of a model's answer is: a fence, a file name, a tag.

Every function here looks at a single line (without its LF) and never
backtracks over it: prefixes are taken off with ``str.lstrip`` and bounded
patterns, and lines too long to be a marker are not parsed as one, so that
reading an answer stays linear in its size.
"""

from __future__ import annotations

import functools
import re

import attrs

__all__ = [
    "ANNOTATION",
    "BLOCK_PREFIX",
    "MAX_MARKER",
    "Fence",
    "NameLine",
    "PawsMarker",
    "XmlTag",
    "fence",
    "info_name",
    "looks_like_path",
    "name_line",
    "paws_marker",
    "xml_tag",
]

# Longer lines are content whatever they hold: no marker, name or tag is this long.
MAX_MARKER = 2000

# A heading or a list item before a marker or a file name.
BLOCK_PREFIX = re.compile(r"(?:#{1,6}[ \t]+|(?:[-*+]|\d{1,3}[.)])[ \t]+)")
ANNOTATION = re.compile(r"[ \t]+\([^()]{0,80}\)$")


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
    block = BLOCK_PREFIX.match(text)
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
        annotation = ANNOTATION.search(text)
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
    quoted: bool = False


_PAWS = re.compile(
    r"[ \t>]*(?:\U0001f415|\U0001f408)?[ \t]*-{3,}[ \t]*(?:DOGS|CATS)_(START|END)_FILE[ \t]*:[ \t]*"
    r"(\S(?:[^\n]{0,1000}?\S)?)([ \t]+\(Content:Base64\))?[ \t]*-{3,}[ \t]*\r?"
)


def paws_marker(line: str) -> PawsMarker | None:
    """The PAWS marker on this line, or None."""
    if "_FILE" not in line or len(line) > MAX_MARKER:
        return None
    match = _PAWS.fullmatch(line)
    if match is None:
        return None
    quoted = line.lstrip(" \t").startswith(">")
    return PawsMarker(match.group(1) == "START", match.group(2), match.group(3) is not None, quoted)


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
    if "<" not in line[:40] or len(line) > MAX_MARKER * 4:
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
