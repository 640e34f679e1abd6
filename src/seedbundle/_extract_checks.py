"""What in a file looks like a model artifact, and what is wrong with a file name.

This is the one definition that [`seedbundle.extract`][seedbundle.extract] applies to every
file it reads, whatever the dialect, and that the property tests use to
generate bundles without such artifacts. A file looks like a model artifact
when ``review_name`` (in ``_extract_names``) or [`review_content`][review_content] has anything to say
about it:

- its name is unsafe (``seedbundle._names.name_problem``), is wrapped in
  quotes, backticks or bold, begins with ``./``, ``a/`` or ``b/``, is a
  language tag, or differs from a known name only in case;
- its content is text whose first non-blank line opens a code fence, and
  its name is not a markdown file's;
- its text holds a lazy placeholder line, a SEARCH/REPLACE block or, for a
  name that is not ``*.diff`` or ``*.patch``, a unified diff.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

from ._extract_lines import Fence, fence
from ._extract_names import Finding, review_name
from ._model import _is_text

__all__ = [
    "Review",
    "deindent",
    "edit_block_end",
    "find_closer",
    "is_edit_open",
    "is_markdown",
    "is_unified_diff",
    "looks_like_model_artifact",
    "review_content",
    "text_lines",
]

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdx", ".mdown", ".mkd", ".qmd", ".rmd")
MARKDOWN_LANGUAGES = frozenset(("markdown", "md", "mdx"))


def is_markdown(name: str, language: str = "") -> bool:
    """Whether a file is markdown, whose code fences are content."""
    return name.lower().endswith(MARKDOWN_SUFFIXES) or language in MARKDOWN_LANGUAGES


def text_lines(text: str) -> list[str]:
    """The lines of a text, without their LFs; a final LF starts no line."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def find_closer(
    lines: Sequence[str], start: int, stop: int, outer: Fence, *, markdown: bool, first_opens: bool = False
) -> tuple[int | None, int | None]:
    """Find the line that closes ``outer`` among ``lines[start:stop]``.

    Closing fences follow CommonMark: a bare fence of the same character,
    at least as long. Fences at least as long that carry an info string open
    an inner code block, which the next such bare fence closes; with
    ``first_opens``, so does a fence on the first non-blank line. In a
    markdown file a bare fence may also open an inner block, so every bare
    fence is a candidate: the last one closes when the others pair up, the
    first one otherwise.

    Returns the closing line (or None) and, for markdown, another candidate
    when there was more than one.
    """
    inner: Fence | None = None
    candidates: list[int] = []
    opened_by_candidate = False
    first = first_opens
    for index in range(start, stop):
        line = lines[index]
        found = fence(line)
        if found is None or found.char != outer.char or found.length < outer.length:
            first = first and not line.strip()
            continue
        if inner is not None:
            if inner.closed_by(found):
                inner = None
                opened_by_candidate = False
            continue
        if first or found.info or not outer.closed_by(found):
            first = False
            inner = found
            continue
        if not markdown:
            return index, None
        candidates.append(index)
        inner = found
        opened_by_candidate = True
    if not candidates:
        return None, None
    if inner is not None and opened_by_candidate:
        chosen = candidates[-1]
        other = candidates[0] if len(candidates) > 1 else None
    else:
        chosen = candidates[0]
        other = candidates[-1] if len(candidates) > 1 else None
    return chosen, other


# -- content ----------------------------------------------------------------


@attrs.frozen
class Review:
    """A file's data after the content checks, and what they found.

    ``inner`` is the range of the file's lines that an unwrapped fence held;
    ``after`` the first line after its closing fence that is not blank, if
    any: that and the rest are prose, not content.
    """

    data: bytes
    findings: tuple[Finding, ...] = ()
    suspect: bool = False
    unclosed: bool = False
    after: int | None = None


_PLACEHOLDER_HINTS = ("...", "\u2026", "rest", "existing", "same", "unchanged", "previous", "remain", "more")
_COMMENT = re.compile(r"[ \t]*(?:#+|//+|/\*+|<!--|--|;+|%+|\{/\*|\*|/_|')[ \t]*")
_COMMENT_END = re.compile(r"[ \t]*(?:\*/\}?|-->|_/|\*)?[ \t]*$")
_ELLIPSIS = re.compile(r"[(\[]?[ \t]*(?:\.\.\.|\u2026)")
_LAZY_WORDS = re.compile(
    # "the rest of the file" ends the comment, or a word for "left as it was" follows it;
    # "the rest of this module handles IO" is a description, not a placeholder.
    r"\brest of (?:the |this |your )?(?:file|code|class|function|module|methods?|implementation|content"
    r"|script|component|config|program|page|functions)(?:[ \t.)\]*/:-]*$|[ \t]+(?:is|are|remains?|stays?"
    r"|unchanged|omitted|as (?:is|before)|the same|goes here|here|not shown|left out)\b)"
    r"|\b(?:existing|previous|other|remaining|original|unchanged) (?:code|methods?|functions?|content"
    r"|implementation|logic|imports|fields|tests|routes|properties|styles|config|helpers)\b"
    r"|\b(?:remains?|stays?|is|are|kept|left) (?:the )?(?:same|unchanged|as (?:is|before))\b"
    r"|\bsame as before\b",
    re.IGNORECASE,
)
_BRACKETED = re.compile(
    r"[\[(<{][ \t]*(?:(?:\.\.\.|\u2026)[ \t]*)?(?:more|rest of|other|existing|remaining|previous|additional)"
    r"\b[^\])>}]{0,60}[\])>}]|\([ \t]*(?:\.\.\.|\u2026)[ \t]*\)",
    re.IGNORECASE,
)
_TRAILING = re.compile(
    r"(?:[ \t](?:#|//)[ \t]*(?:\.\.\.|\u2026)|^[ \t]*(?:\.\.\.|\u2026)[ \t]*(?:#|//))[ \t]*\(?[ \t]*"
    r"(?:rest|existing|same|other|all|previous|remaining|more|unchanged)\b",
    re.IGNORECASE,
)


def is_placeholder(line: str) -> bool:
    """Whether a line is a lazy placeholder that stands for code the model left out."""
    if len(line) > 300 or not any(hint in line for hint in _PLACEHOLDER_HINTS):
        return False
    stripped = line.strip()
    if _BRACKETED.fullmatch(stripped):
        return True
    comment = _COMMENT.match(line)
    if comment is not None:
        text = line[comment.end() :]
        end = _COMMENT_END.search(text)
        text = text[: end.start()] if end is not None else text
        if len(text) <= 120 and (_ELLIPSIS.match(text) or _LAZY_WORDS.search(text)):
            return True
    return _TRAILING.search(line) is not None


_EDIT_OPEN = re.compile(r"<{5,9}[ \t]*(?:SEARCH|ORIGINAL)\b")
_EDIT_SPLIT = re.compile(r"(?:^|[ \t\u2502|])={5,9}[ \t]*\r?$")
_EDIT_CLOSE = re.compile(r">{5,9}[ \t]*(?:REPLACE|UPDATED)\b")


def is_edit_open(line: str) -> bool:
    """Whether a line opens a SEARCH/REPLACE block (possibly after a gutter or indentation)."""
    return len(line) <= 300 and "<<<<<" in line and _EDIT_OPEN.search(line) is not None


def edit_block_end(lines: Sequence[str], start: int, stop: int) -> tuple[int, bool, bool]:
    """The last line of the edit block opened at ``start``, whether it is complete, and whether its REPLACE is empty."""
    split = None
    for index in range(start + 1, stop):
        line = lines[index]
        if split is None and _EDIT_SPLIT.search(line):
            split = index
        elif ">>>>>" in line and _EDIT_CLOSE.search(line):
            return index, True, split is not None and index == split + 1
        elif is_edit_open(line):
            return index - 1, False, False
    return stop - 1, False, False


def _is_edit_block(lines: Sequence[str]) -> bool:
    for index, line in enumerate(lines):
        if is_edit_open(line):
            return any(_EDIT_SPLIT.search(other) or _EDIT_CLOSE.search(other) for other in lines[index + 1 :])
    return False


def is_unified_diff(lines: Sequence[str], start: int = 0) -> bool:
    """Whether the lines from ``start`` on begin with a unified diff (after blank lines)."""
    for index in range(start, len(lines)):
        line = lines[index]
        if not line.strip():
            continue
        if line.startswith("diff --git ") or re.match(r"@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@", line):
            return True
        return line.startswith("--- ") and index + 1 < len(lines) and lines[index + 1].startswith("+++ ")
    return False


def review_content(name: str, data: bytes, base: bytes | None = None) -> Review:
    """Unwrap a fenced file and flag placeholders, edit blocks and diffs in it.

    Only text is checked: data that is not UTF-8, or holds a NUL byte, is
    never a model's lazy answer. Given ``base``, the original content of the
    file, a placeholder counts only if the original does not hold the same
    line, and a file that shrinks to less than half of an original of 10
    lines or more is flagged.
    """
    if not data or not _is_text(data):
        return Review(data)
    lines = text_lines(data.decode("utf-8"))
    findings: list[Finding] = []
    unclosed = False
    after = None
    wrap = _fence_wrap(name, lines)
    if wrap is not None:
        opener, closer, indent = wrap
        stop = len(lines) if closer is None else closer
        inner = [deindent(line, indent) for line in lines[opener + 1 : stop]]
        ends_in_lf = closer is not None or data.endswith(b"\n")
        data = ("\n".join(inner) + ("\n" if inner and ends_in_lf else "")).encode("utf-8")
        after = next((i for i in range(stop + 1, len(lines)) if lines[i].strip()), None)
        if closer is None:
            unclosed = True
            findings.append(
                Finding(
                    "SB105",
                    f"the code fence that opens the content of {name!r} is not closed; removed its opening"
                    " line",
                    opener,
                )
            )
        else:
            what = "; the text after its closing fence is prose" if after is not None else ""
            findings.append(
                Finding("SB103", f"unwrapped the code fence around the content of {name!r}{what}", opener)
            )
        lines = inner
    findings += _content_flags(name, lines, base)
    suspect = any(finding.code in _SUSPECT for finding in findings)
    return Review(data, tuple(findings), suspect, unclosed, after)


_SUSPECT = frozenset(("SB401", "SB402", "SB602", "SB603"))


def _fence_wrap(name: str, lines: Sequence[str]) -> tuple[int, int | None, int] | None:
    if is_markdown(name):
        return None
    first = next((index for index, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return None
    opener = fence(lines[first])
    if opener is None:
        return None
    closer, _ = find_closer(lines, first + 1, len(lines), opener, markdown=False)
    return first, closer, opener.indent


def deindent(line: str, indent: int) -> str:
    """Remove up to ``indent`` spaces, as CommonMark does inside an indented fence."""
    removable = len(line) - len(line.lstrip(" "))
    return line[min(indent, removable) :]


def _content_flags(name: str, lines: Sequence[str], base: bytes | None) -> list[Finding]:
    findings: list[Finding] = []
    if _is_edit_block(lines):
        findings.append(
            Finding(
                "SB603",
                f"the content of {name!r} is a SEARCH/REPLACE block, not a whole file; kept it, and marked"
                " the file suspect",
            )
        )
    elif not name.lower().endswith((".diff", ".patch")) and is_unified_diff(lines):
        findings.append(
            Finding(
                "SB602",
                f"the content of {name!r} is a unified diff, not a whole file; kept it, and marked the file"
                " suspect",
            )
        )
    original = text_lines(base.decode("utf-8", "replace")) if base is not None else []
    known = {line.strip() for line in original}
    lazy = [index for index, line in enumerate(lines) if is_placeholder(line) and line.strip() not in known]
    if lazy:
        more = f" (and {len(lazy) - 1} more)" if len(lazy) > 1 else ""
        findings.append(
            Finding(
                "SB401",
                f"{name!r} holds the placeholder {lines[lazy[0]].strip()!r}{more}, which stands for code"
                " that was left out; marked the file suspect",
                lazy[0],
            )
        )
    if base is not None and len(original) >= 10 and len(lines) * 2 < len(original):
        findings.append(
            Finding(
                "SB402",
                f"{name!r} has {len(lines)} lines, less than half of the {len(original)} of the original;"
                " marked the file suspect",
            )
        )
    return findings


def looks_like_model_artifact(name: str, data: bytes) -> bool:
    """Whether extract would repair or flag this file: the one shared definition.

    It holds when [`review_name`][review_name] or [`review_content`][review_content] finds
    anything, with no known names and no original to compare with.
    """
    return bool(review_name(name).findings or review_content(name, data).findings)
