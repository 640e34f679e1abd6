"""extract: read a language model's multi-file answer back into files.

The answer is read once, line by line. A strictly valid bundle is read by
[`seedbundle.loads`][seedbundle.loads] itself, whole or as the part of the answer that is
one; everything else goes to the reader of the dialect that the line
starts: the bundle format as models write it (``_extract_bundle``), code
blocks (``_extract_blocks``), tags (``_extract_tags``). Every file then goes
through the checks of ``_extract_checks``, and ``_extract_report`` builds
the result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ._api import _as_bytes
from ._extract_answer import Answer
from ._extract_blocks import close_wrapper, read_bare_diff, read_edit, read_fence
from ._extract_bundle import read_delete, read_end, read_header, read_strict
from ._extract_checks import is_edit_open
from ._extract_codes import Diagnostic
from ._extract_lines import fence, paws_marker, xml_tag
from ._extract_names import KnownNames
from ._extract_report import finish
from ._extract_result import Extraction
from ._extract_tags import read_paws, read_xml
from ._model import Bundle

__all__ = ["extract"]

# What 'surrogateescape' decodes an undecodable byte to.
_UNDECODABLE = re.compile("[\udc80-\udcff]")


def extract(
    text: str | bytes | bytearray | memoryview,
    /,
    *,
    base: Bundle | None = None,
    finish_reason: str | None = None,
    existing: Iterable[str] = (),
) -> Extraction:
    """Find every file in a language model's answer, and say what is sure and what is not.

    This is the tolerant door; [`loads`][loads] stays strict. A strictly valid
    bundle gives exactly the entries that ``loads`` gives. Anything else is
    read as models write it, in the bundle format or in its variants,
    as markdown code blocks with a file name, as ``<file path=...>`` tags
    or as PAWS markers, and every repair and every doubt is reported as a
    [`Diagnostic`][Diagnostic] with a stable code (see the diagnostics reference).
    A file is deleted only by a ``<<<DELETE name>>>`` line.

    Args:
        text: The answer, as text or as (UTF-8) bytes. Any value of these
            types gives a result; nothing is raised.
        base: The files as they were before the answer, to compare with: a
            placeholder counts only if the original lacks it, and a file
            that shrinks to less than half of an original of 10 lines or
            more is suspect. Its names count as existing too.
        finish_reason: The stop reason that the model's API reported. The
            values ``"length"``, ``"max_tokens"`` and ``"max_output_tokens"``
            mark the last file truncated.
        existing: Names of files that exist already, to catch a name that
            differs only in case and to take a diff's ``a/`` or ``b/`` off.

    Returns:
        The [`Extraction`][Extraction]: the bundle, each file's status, span and
        dialect, the deletions and the diagnostics.

    Raises:
        TypeError: If an argument has the wrong type.

    Examples:
        >>> import seedbundle
        >>> answer = "Sure! Here it is:\\n\\n`src/app.py`\\n```python\\nprint('hi')\\n```\\n"
        >>> result = seedbundle.extract(answer)
        >>> result.bundle["src/app.py"].text
        "print('hi')\\n"
        >>> for diagnostic in result.diagnostics:
        ...     print(diagnostic)
        1:1: SB101 info: prose before the first file (line 1); left out
        3:1: SB210 warning: read 1 file written in the markdown dialect (a file name, then a fenced code block)
        >>> seedbundle.extract("Sorry, I can't.").diagnostics[0].code
        'SB901'

    Added in version 1.1.0.
    """
    if not isinstance(text, str | bytes | bytearray | memoryview):
        raise TypeError(f"the answer must be str or bytes, not {type(text).__name__}")
    if base is not None and not isinstance(base, Bundle):
        raise TypeError(f"base must be a Bundle or None, not {type(base).__name__}")
    if finish_reason is not None and not isinstance(finish_reason, str):
        raise TypeError(f"finish_reason must be a str or None, not {type(finish_reason).__name__}")
    if isinstance(existing, str | bytes):
        raise TypeError("existing must be an iterable of names, not a string")
    names = list(existing)
    for index, name in enumerate(names):
        if not isinstance(name, str):
            raise TypeError(f"existing[{index}] is a {type(name).__name__}, not a str")
    known = KnownNames.of([*names, *(base.names if base is not None else ())])
    try:
        data = _as_bytes(text)
        answer = Answer(data, base=base, known=known)
        if not read_strict(answer) or _comment_holds_files(answer):
            answer = Answer(data, base=base, known=known)
            _read_tolerantly(answer)
        return finish(answer, finish_reason)
    except Exception as error:  # every bug becomes a report, never an exception for the caller
        return _internal_error(error)


def _internal_error(error: Exception) -> Extraction:
    message = (
        f"internal error {type(error).__name__}: {error}; nothing was extracted (please report this answer)"
    )
    return Extraction(Bundle(), (), (Diagnostic("SB999", "error", 1, 1, None, message),))


def _comment_holds_files(answer: Answer) -> bool:
    """Whether the comment of a strictly valid bundle holds files of another dialect (or diffs)."""
    first = next((i for i, line in enumerate(answer.lines) if line.startswith("<<<FILE ")), answer.n)
    if not any(_may_start_a_file(line) for line in answer.lines[:first]):
        return False
    comment = Answer(answer.block(0, first), base=None, known=answer.known)
    _read_tolerantly(comment)
    return bool(comment.files or comment.deletions or comment.diffs or comment.edits)


def _may_start_a_file(line: str) -> bool:
    return bool(
        fence(line) or xml_tag(line) or paws_marker(line) or is_edit_open(line) or line.startswith("--- ")
    )


def _read_tolerantly(answer: Answer) -> None:
    _check_encoding(answer)
    lines = answer.lines
    index = 0
    while index < answer.n:
        line = lines[index]
        if not line or line.isspace():  # most lines are prose or blank: keep them cheap
            index += 1
            continue
        index = _step(answer, index)
    if answer.wrapper is not None:
        answer.report(
            "SB102",
            answer.wrapper_line,
            f"found the files inside a code fence (line {answer.wrapper_line + 1}) that is never closed;"
            " read inside it",
        )


def _check_encoding(answer: Answer) -> None:
    if answer.lines and answer.lines[0].startswith("\ufeff"):
        answer.lines[0] = answer.lines[0][1:]
        answer.report("SB108", 0, "the answer begins with a byte order mark; skipped it")
    for index, line in enumerate(answer.lines):
        bad = _UNDECODABLE.search(line)
        if bad is not None:
            answer.report(
                "SB107",
                index,
                "the answer holds bytes that are not UTF-8; kept them as they are in the content",
                column=bad.start() + 1,
            )
            return


def _step(answer: Answer, index: int) -> int:
    """Read what begins at line ``index`` outside any file; return the next line to look at."""
    line = answer.lines[index]
    found = answer.marker_at(index)
    if found is not None and found.kind != "other":
        if found.kind == "file":
            return read_header(answer, index, found)
        if found.kind == "delete":
            read_delete(answer, index, found)
        elif found.kind == "end":
            read_end(answer, index, found)
        else:
            answer.own(index, index + 1)
            answer.report("SB202", index, f"the closer {line.strip()!r} closes no file; ignored it")
        return index + 1
    paws = paws_marker(line)
    if paws is not None:
        if paws.start:
            return read_paws(answer, index)
        answer.own(index, index + 1)
        answer.report("SB208", index, f"the PAWS marker {line.strip()!r} closes no file; ignored it")
        return index + 1
    if xml_tag(line) is not None:
        return read_xml(answer, index)
    opener = fence(line)
    if opener is not None:
        if answer.wrapper is not None and answer.wrapper.closed_by(opener):
            close_wrapper(answer, index)
            return index + 1
        return read_fence(answer, index, opener)
    if is_edit_open(line):
        return read_edit(answer, index, None)
    if line.startswith("diff --git ") or (
        line.startswith("--- ") and index + 1 < answer.n and answer.lines[index + 1].startswith("+++ ")
    ):
        return read_bare_diff(answer, index)
    return index + 1
