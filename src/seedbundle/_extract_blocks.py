"""Reading fenced code blocks: the markdown dialect, a fence around a bundle, diffs and edit blocks.

A code block is a file when a name stands on the line before it (after
blank lines; a marked name may have up to three lines of prose between) or
in its info string. A block without a name whose first lines lead to a
bundle marker is the fence around a bundle. A block that holds a unified
diff or a SEARCH/REPLACE block is reported as such, never as a file.
"""

from __future__ import annotations

from ._extract_answer import Answer, span
from ._extract_checks import deindent, edit_block_end, find_closer, is_edit_open, is_markdown, is_unified_diff
from ._extract_lines import Fence, fence, info_name, name_line, paws_marker, xml_tag

__all__ = ["close_wrapper", "read_bare_diff", "read_edit", "read_fence"]

# Commands shown in prose are not the content of the file named above them.
_SHELL_LANGUAGES = frozenset(
    ("bash", "sh", "shell", "console", "zsh", "powershell", "ps1", "cmd", "terminal")
)
# How far a wrapper's opening fence may be from the first marker in it.
_WRAPPER_LOOKAHEAD = 200


def read_fence(answer: Answer, index: int, opener: Fence) -> int:
    """Read the code block that ``opener`` opens at ``index``; return the line after it."""
    language, name = info_name(opener.info)
    name_at = None
    if name is None:
        name, name_at = _name_before(answer, index, language)
    else:
        before, at = _name_before(answer, index, language)
        name_at = at if before == name else None  # the same name on the line before, too
    if name is None and answer.wrapper is None and _is_wrapper(answer, index, opener):
        answer.wrapper, answer.wrapper_line = opener, index
        answer.own(index, index + 1)
        answer.region_start = index + 1
        return index + 1
    markdown = name is not None and is_markdown(name, language)
    closer, other = find_closer(answer.lines, index + 1, answer.n, opener, markdown=markdown)
    stop = answer.n if closer is None else closer
    body = answer.lines[index + 1 : stop]
    answer.own(index, stop + 1)
    first = index if name_at is None else name_at
    if name_at is not None:
        answer.own(name_at, name_at + 1)
    where = span(first, stop if closer is not None else answer.n - 1)
    is_patch = name is not None and name.lower().endswith((".diff", ".patch"))
    if not is_patch and (language in ("diff", "patch") or is_unified_diff(body)):
        answer.diffs += 1
        target = f" for {name!r}" if name else ""
        answer.report("SB602", first, f"a unified diff{target} ({where}); left it out", file=name)
        return stop + 1
    edit = next((offset for offset, line in enumerate(body) if is_edit_open(line)), None)
    if edit is not None:
        if name is None and edit > 0:
            # aider's habit: the path as the first line inside the fence.
            inside = name_line(body[0])
            name = inside.name if inside is not None else None
        read_edit(answer, index + 1 + edit, name, stop=stop, where=where)
        return stop + 1
    if name is None:
        answer.unnamed += 1
        answer.report("SB104", index, f"a code block with no file name ({where}); left it out")
        return stop + 1
    if closer is None:
        answer.report(
            "SB302",
            answer.n - 1,
            f"the answer ends inside the code block of {name!r}; the file is marked truncated",
            file=name,
        )
    elif other is not None:
        answer.report(
            "SB106",
            closer,
            f"the code block of {name!r} could also end at line {other + 1}; took line {closer + 1}, which"
            " keeps its inner code blocks paired",
            file=name,
        )
    ends_in_lf = closer is not None or answer.final_lf
    text = "\n".join(deindent(line, opener.indent) for line in body) + ("\n" if body and ends_in_lf else "")
    answer.add_file(
        name,
        text.encode("utf-8", "surrogateescape"),
        dialect="markdown",
        first=first,
        last=stop if closer is not None else answer.n - 1,
        content_line=index + 1,
        truncated=closer is None,
    )
    return stop + 1


def close_wrapper(answer: Answer, index: int) -> None:
    """The fence line at ``index`` closes the fence around the bundle."""
    assert answer.wrapper is not None
    answer.own(index, index + 1)
    ticks = answer.wrapper.char * answer.wrapper.length
    answer.report(
        "SB102",
        answer.wrapper_line,
        f"found the files inside a {ticks} code fence (lines {answer.wrapper_line + 1} and {index + 1});"
        " read inside it",
    )
    answer.wrapper = None
    answer.region_start = index + 1


def _is_wrapper(answer: Answer, index: int, opener: Fence) -> bool:
    """Whether an unnamed fence holds a bundle: a file marker or tag comes before any other fence.

    A longer fence also wraps files of the markdown dialect: a name line,
    then a shorter fence that cannot close it.
    """
    for following in range(index + 1, min(answer.n, index + _WRAPPER_LOOKAHEAD)):
        line = answer.lines[following]
        if not line.strip():
            continue
        found = answer.marker_at(following)
        if found is not None and found.kind in ("file", "delete"):
            return True
        if paws_marker(line) is not None or xml_tag(line) is not None:
            return True
        if fence(line) is not None:
            return False
        if opener.length > 3 and name_line(line) is not None:
            after = answer.next_nonblank(following + 1)
            inner = fence(answer.lines[after]) if after < answer.n else None
            if inner is not None and inner.char == opener.char and inner.length < opener.length:
                return True
    return False


def _name_before(answer: Answer, index: int, language: str) -> tuple[str | None, int | None]:
    """The file name before a fence: on the line before, or a marked name up to 3 lines of prose earlier."""
    line = index - 1
    while line >= 0 and not answer.lines[line].strip() and not answer.owned[line]:
        line -= 1
    if line < 0 or answer.owned[line]:
        return None, None
    found = name_line(answer.lines[line])
    if found is not None:
        return found.name, line
    prose = 0
    while line >= 0 and not answer.owned[line] and prose <= 3:
        text = answer.lines[line]
        if text.strip():
            if fence(text) is not None or answer.marker_at(line) is not None:
                break
            found = name_line(text)
            if found is not None:
                if found.strong and language not in _SHELL_LANGUAGES:
                    return found.name, line
                break
            prose += 1
        line -= 1
    return None, None


def read_edit(
    answer: Answer, index: int, name: str | None, *, stop: int | None = None, where: str | None = None
) -> int:
    """Report the SEARCH/REPLACE block opened at ``index``; return the line after it.

    Inside a code block, ``stop`` is its closing line and ``where`` its span;
    in prose, the line before may name the file.
    """
    last, _, empty = edit_block_end(answer.lines, index, answer.n if stop is None else stop)
    if stop is None:
        answer.own(index, last + 1)
        previous = index - 1
        while previous >= 0 and not answer.lines[previous].strip():
            previous -= 1
        named = name_line(answer.lines[previous]) if previous >= 0 and not answer.owned[previous] else None
        if named is not None:
            name = named.name
            answer.own(previous, previous + 1)
    answer.edits += 1
    target = f" for {name!r}" if name else ""
    hint = (
        "; an empty REPLACE does not delete a file: to delete one, the answer must say <<<DELETE name>>>"
        if empty
        else ""
    )
    answer.report(
        "SB603",
        index,
        f"a SEARCH/REPLACE block{target} ({where or span(index, last)}); left it out{hint}",
        file=name,
    )
    return last + 1


_DIFF_LINE_STARTS = ("--- ", "+++ ", "@@", " ", "+", "-", "\\", "diff ", "index ")


def read_bare_diff(answer: Answer, index: int) -> int:
    """Report the unified diff that starts at ``index`` outside a code block; return the line after it."""
    stop = index
    while stop < answer.n and answer.lines[stop].startswith(_DIFF_LINE_STARTS):
        stop += 1
    answer.own(index, stop)
    answer.diffs += 1
    answer.report("SB602", index, f"a unified diff ({span(index, stop - 1)}); left it out")
    return stop
