"""Turning what the readers found into an Extraction: duplicates, deletions, prose, and the verdict."""

from __future__ import annotations

from ._extract_answer import Answer, FoundFile, span
from ._extract_codes import SEVERITIES
from ._extract_result import ExtractedFile, Extraction
from ._model import Bundle, Entry

__all__ = ["LENGTH_REASONS", "finish"]

# The stop reasons of the common APIs for "the output hit its token limit".
LENGTH_REASONS = frozenset(("length", "max_tokens", "max_output_tokens"))

_DIALECT_CODES = {"markdown": "SB210", "xml": "SB211", "paws": "SB212"}
_DIALECT_WORDS = {
    "markdown": "in the markdown dialect (a file name, then a fenced code block)",
    "xml": "as XML file tags",
    "paws": "with PAWS DOGS_START_FILE / DOGS_END_FILE markers",
}


def finish(answer: Answer, finish_reason: str | None) -> Extraction:
    """Resolve duplicates and deletions, report prose and dialects, and build the result."""
    files = _without_duplicates(answer)
    deletions = _resolve_deletions(answer, files)
    if finish_reason is not None and finish_reason.lower() in LENGTH_REASONS:
        _truncate_last(answer, files, finish_reason)
    _report_prose(answer)
    _report_dialects(answer)
    if not files and not deletions:
        _report_nothing(answer)
    # In the order of the answer; at one place, the most severe first.
    answer.diagnostics.sort(key=lambda item: (item.line, item.column, -SEVERITIES.index(item.severity)))
    entries = [Entry(file.name, file.data, executable=file.executable) for file in files]
    extracted = [
        ExtractedFile(
            file.name,
            file.data,
            executable=file.executable,
            status=file.status,
            span=(file.first + 1, file.last + 1),
            dialect=file.dialect,
        )
        for file in files
    ]
    return Extraction(Bundle(entries, comment=answer.comment), extracted, answer.diagnostics, deletions)


def _without_duplicates(answer: Answer) -> list[FoundFile]:
    """The files, where a later file of the same name replaces the earlier."""
    latest: dict[str, FoundFile] = {}
    for file in answer.files:
        earlier = latest.get(file.name)
        if earlier is not None:
            answer.report(
                "SB601",
                file.first,
                f"{file.name!r} appears twice, at {span(earlier.first, earlier.last)} and"
                f" {span(file.first, file.last)}; the last copy wins",
                file=file.name,
            )
        latest[file.name] = file
    return [file for file in answer.files if latest[file.name] is file]


def _resolve_deletions(answer: Answer, files: list[FoundFile]) -> tuple[str, ...]:
    """The deleted names; a file both written and deleted keeps the later of the two."""
    kept: dict[str, int] = {}
    for name, line in answer.deletions:
        kept[name] = line
    for name, line in list(kept.items()):
        written = next((file for file in files if file.name == name), None)
        if written is None:
            continue
        if line > written.first:
            files.remove(written)
            answer.report(
                "SB605",
                line,
                f"{name!r} is written at line {written.first + 1} and deleted here; the deletion wins",
                file=name,
            )
        else:
            del kept[name]
            answer.report(
                "SB605",
                written.first,
                f"{name!r} is deleted at line {line + 1} and written here; the file wins",
                file=name,
            )
    return tuple(kept)


def _truncate_last(answer: Answer, files: list[FoundFile], finish_reason: str) -> None:
    reason = f"the model stopped at its output limit (finish_reason={finish_reason!r})"
    if not files:
        answer.report("SB303", answer.n - 1, f"{reason}; no file was found to mark")
        return
    last = max(files, key=lambda file: file.first)
    last.status = "truncated"
    answer.report(
        "SB303", last.last, f"{reason}; {last.name!r}, the last file, is marked truncated", file=last.name
    )


def _report_prose(answer: Answer) -> None:
    """One SB101 for each run of text outside files, markers and blocks."""
    first_file = min((file.first for file in answer.files), default=answer.n)
    last_file = max((file.last for file in answer.files), default=-1)
    index = 0
    while index < answer.n:
        if answer.owned[index] or not answer.lines[index].strip():
            index += 1
            continue
        start = end = index
        while index < answer.n and not answer.owned[index]:
            if answer.lines[index].strip():
                end = index
            index += 1
        if not answer.files:
            where = "in the answer"
        elif end < first_file:
            where = "before the first file"
        elif start > last_file:
            where = "after the last file"
        else:
            where = "between files"
        comment = answer.comment_lines
        kept = (
            "kept it as the bundle's comment" if comment and comment[0] <= start <= comment[1] else "left out"
        )
        answer.report("SB101", start, f"prose {where} ({span(start, end)}); {kept}")


def _report_dialects(answer: Answer) -> None:
    for dialect, code in _DIALECT_CODES.items():
        found = [file for file in answer.files if file.dialect == dialect]
        if found:
            count = f"{len(found)} file" + ("s" if len(found) > 1 else "")
            quoted = answer.quoted_markers if dialect == "paws" else 0
            more = f"; took the '> ' off {quoted} of the markers" if quoted else ""
            answer.report(code, found[0].first, f"read {count} written {_DIALECT_WORDS[dialect]}{more}")


def _report_nothing(answer: Answer) -> None:
    """The error for an answer without files: what it holds instead."""
    if answer.diffs or answer.edits:
        parts = [
            f"{count} {what}" + ("s" if count > 1 else "")
            for count, what in ((answer.diffs, "unified diff"), (answer.edits, "SEARCH/REPLACE block"))
            if count
        ]
        answer.report(
            "SB604", 0, f"this answer holds {' and '.join(parts)}, not whole files; extracted nothing"
        )
        return
    if answer.refused:
        hint = ": every file it holds was refused"
    elif answer.unnamed:
        blocks = "1 code block has" if answer.unnamed == 1 else f"{answer.unnamed} code blocks have"
        hint = f": {blocks} no file name (put the name on the line before the fence, or in its info string)"
    else:
        hint = ""
    answer.report("SB901", 0, f"found no file in the answer{hint}")
