"""The regular expressions of seedbundle._ignore against a line-by-line port of git's wildmatch.

git's ``dowild()`` cuts its search short in places (WM_ABORT_ALL,
WM_ABORT_TO_STARSTAR, a fast path for a star before a literal); a regular
expression cannot. This holds the two equal on patterns built from the
characters that matter and on texts made of the same characters.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from seedbundle._ignore import parse_ignore_lines

from .wildmatch_reference import matches

PATTERN_PIECES = [
    *["a", "b", "/", "*", "**", "?", "[", "]", "!", "^", "-", "\\", ":", "é"],
    *["[a-b]", "[!a]", "[]a]", "[a-]", "[[:alpha:]]", "[[:upper:]-a]", "[\\]-b]", "**/", "/**"],
]
TEXT_PIECES = ["a", "b", "/", "A", "]", "-", "\\", "é", ":"]
# What a part of the pattern may stand for when a text is made to fit it.
STANDS_FOR = {
    "**/": ["", "a/", "a/b/", "/"],
    "**": ["", "a", "a/b", "/"],
    "*": ["", "a", "b/", "ab", "/"],
    "?": ["a", "/", "\udcc3", "-"],
    "[": ["a", "b", "A", "]", "-", "/"],
}

patterns = st.lists(st.sampled_from(PATTERN_PIECES), min_size=1, max_size=6).map("".join)
random_texts = st.lists(st.sampled_from(TEXT_PIECES), min_size=1, max_size=5).map("".join)


@st.composite
def texts_for(draw: st.DrawFn, pattern: str) -> bytes:
    """Mostly a text built from the pattern itself, so that near misses and matches are common."""
    if draw(st.integers(0, 3)) == 0:
        return draw(random_texts).encode()
    out, i = [], 0
    while i < len(pattern):
        token = next((t for t in ("**/", "**", "*", "?", "[") if pattern.startswith(t, i)), pattern[i])
        if token == "[":  # stand for the whole bracket expression, up to the next ']' but one
            end = pattern.find("]", i + 2)
            token = pattern[i : end + 1] if end > 0 else token
        choices = STANDS_FOR.get(
            token[:3] if token.startswith("**/") else token[:2] if token == "**" else token[0]
        )
        if choices is not None and draw(st.booleans()):
            out.append(draw(st.sampled_from(choices)))
        else:
            out.append(token.replace("\\", "") if draw(st.booleans()) else token)
        i += len(token)
    return "".join(out).encode("utf-8", "surrogateescape")


@settings(max_examples=1000, deadline=None)
@given(pattern=patterns, data=st.data(), is_dir=st.booleans())
def test_translation_matches_the_port_of_dowild(pattern: str, data: st.DataObject, is_dir: bool) -> None:
    check(pattern, data.draw(texts_for(pattern)), is_dir)


def test_known_hard_cases() -> None:
    for pattern, text in [
        ("a**/b", b"ax/y/b"),
        ("a**/b", b"ab"),
        ("**/b", b"b"),
        ("*a*b", b"xaab"),
        ("**/*a", b"b/ba"),
        ("[a-]b]", b"-b]"),
        ("a/**", b"a/b/a"),
        ("a/**/b", b"a/b"),
        ("[[:alpha:]-z]", b"-"),
        ("[\\]a]", b"]"),
    ]:
        check(pattern, text, False)


def check(pattern: str, text: bytes, is_dir: bool) -> None:
    if not text or text.startswith(b"/") or text.endswith(b"/") or b"//" in text:
        return  # not a path git would ask about
    parsed = parse_ignore_lines(pattern.encode(), source=".gitignore")
    ours = bool(parsed) and parsed[0].matches(text, is_dir)
    trimmed = parsed[0].text.encode() if parsed else pattern.encode()
    assert ours == matches(trimmed, text, is_dir), (pattern, text)
