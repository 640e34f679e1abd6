"""The state of reading one answer: its lines, what each line belongs to, and what was found.

The readers of each dialect share one [`Answer`][Answer]. It keeps the lines,
marks the ones that belong to a file, a marker or a block (the rest is
prose), records the diagnostics, and puts every file through the checks of
``_extract_checks`` in [`Answer.add_file`][Answer.add_file], whatever its dialect.
"""

from __future__ import annotations

import bisect

import attrs

from ._extract_checks import find_closer, is_markdown, review_content
from ._extract_codes import Diagnostic, new_diagnostic
from ._extract_lines import Fence, fence
from ._extract_markers import Marker, marker
from ._extract_names import KnownNames, review_name
from ._extract_result import Dialect, Status
from ._model import Bundle

__all__ = ["Answer", "FoundFile", "span"]


@attrs.define
class FoundFile:
    """A file as the readers found it; lines are 0-based."""

    name: str
    data: bytes
    executable: bool
    status: Status
    first: int
    last: int
    dialect: Dialect


def span(first: int, last: int) -> str:
    """Lines as a message shows them, 1-based."""
    return f"line {first + 1}" if last <= first else f"lines {first + 1}-{last + 1}"


def _lines_of(text: str) -> tuple[list[str], bool]:
    """The lines without their LFs, and whether the last one had an LF."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
        return lines, bool(lines)
    return lines, False


class Answer:
    """One answer being read."""

    def __init__(self, data: bytes, *, base: Bundle | None, known: KnownNames) -> None:
        self.data = data
        self.base = base
        self.known = known
        self.lines, self.final_lf = _lines_of(data.decode("utf-8", "surrogateescape"))
        self.n = len(self.lines)
        self.owned = bytearray(self.n)
        self.diagnostics: list[Diagnostic] = []
        self.files: list[FoundFile] = []
        self.deletions: list[tuple[str, int]] = []
        # The bundle's comment, and its lines, when a strictly valid part held one.
        self.comment = ""
        self.comment_lines: tuple[int, int] | None = None
        # The fence around the whole bundle, while it is open.
        self.wrapper: Fence | None = None
        self.wrapper_line = 0
        # Where the bundle region begins: the answer's start, or the line after a wrapper.
        self.region_start = 0
        # FILE headers since the last END marker, and that marker's line.
        self.since_end = 0
        self.ended_at: int | None = None
        self.crlf_reported = False
        # What the answer holds instead of files, for the report when it holds none.
        self.unnamed = 0
        self.diffs = 0
        self.edits = 0
        self.refused = 0
        # PAWS markers written after a '> ', as a copy from rendered markdown has them.
        self.quoted_markers = 0
        self._markers: dict[int, Marker | None] = {}
        self._marker_lines: list[int] | None = None
        self.exact_ends: list[int] | None = None

    def report(self, code: str, line: int, message: str, *, file: str | None = None, column: int = 1) -> None:
        """Record a diagnostic at the 0-based ``line``."""
        line = min(max(line, 0), max(self.n - 1, 0))
        self.diagnostics.append(new_diagnostic(code, line + 1, max(column, 1), file, message))

    def own(self, start: int, stop: int) -> None:
        """Mark ``lines[start:stop]`` as part of a file, a marker or a block: not prose."""
        for index in range(max(start, 0), min(stop, self.n)):
            self.owned[index] = 1

    def release(self, start: int, stop: int) -> None:
        """Give ``lines[start:stop]`` back to the prose, except markers."""
        for index in range(max(start, 0), min(stop, self.n)):
            found = self.marker_at(index)
            if found is None or found.kind == "other":
                self.owned[index] = 0

    def marker_at(self, index: int) -> Marker | None:
        """The marker on a line, computed once."""
        line = self.lines[index]
        if line.find("<<<", 0, 80) < 0:
            return None
        if index not in self._markers:
            self._markers[index] = marker(line)
        return self._markers[index]

    def next_marker(self, start: int) -> int:
        """The first line from ``start`` on that is a FILE, DELETE, END or closer marker, or ``n``."""
        if self._marker_lines is None:
            self._marker_lines = []
            for index, line in enumerate(self.lines):
                if line.find("<<<", 0, 80) >= 0:
                    found = self.marker_at(index)
                    if found is not None and found.kind != "other":
                        self._marker_lines.append(index)
        position = bisect.bisect_left(self._marker_lines, start)
        return self._marker_lines[position] if position < len(self._marker_lines) else self.n

    def note_cr(self, index: int, found: Marker) -> None:
        """Report CRLF marker lines, once."""
        if found.cr and not self.crlf_reported:
            self.crlf_reported = True
            self.report(
                "SB109", index, "marker lines end in CRLF; the CR is not part of them (content keeps its CR)"
            )

    def next_nonblank(self, start: int) -> int:
        """The first line from ``start`` on that is not blank, or ``n``."""
        while start < self.n and not self.lines[start].strip():
            start += 1
        return start

    def block(self, start: int, stop: int) -> bytes:
        """The bytes of ``lines[start:stop]``, each with its LF."""
        if stop <= start:
            return b""
        text = "\n".join(self.lines[start:stop])
        if stop < self.n or self.final_lf:
            text += "\n"
        return text.encode("utf-8", "surrogateescape")

    def wrapper_closer(self, start: int, stop: int, name: str) -> int | None:
        """Where the fence around the bundle closes inside a file's content, ``lines[start:stop]``."""
        if self.wrapper is None:
            return None
        markdown = is_markdown(name)
        closer, _ = find_closer(self.lines, start, stop, self.wrapper, markdown=markdown, first_opens=True)
        if closer is None or stop == self.n:
            return closer
        if markdown:
            return None  # before another file, the fences of a markdown file are its content
        # Before another file, only a closing fence that a new fence follows is the
        # wrapper's: each file in a fence of its own. Other fences are content.
        last = stop - 1
        while last > closer and not self.lines[last].strip():
            last -= 1
        return closer if last > closer and fence(self.lines[last]) is not None else None

    def add_file(
        self,
        raw_name: str,
        data: bytes,
        *,
        dialect: Dialect,
        first: int,
        last: int,
        content_line: int | None,
        executable: bool = False,
        at_eof: bool = False,
        truncated: bool = False,
        suspect: bool = False,
    ) -> None:
        """Check a file's name and content, report what was found, and keep it unless it is refused.

        ``content_line`` is the line of the content's first line, or None when
        the content does not map to lines (base64). ``at_eof`` says the file
        runs to the end of the answer with nothing to close it.
        """
        named = review_name(raw_name, self.known)
        for finding in named.findings:
            self.report(finding.code, first, finding.message, file=raw_name or None)
        if named.name is None:
            self.refused += 1
            return
        name = named.name
        original = self.base.get(name) if self.base is not None else None
        review = review_content(name, data, original.data if original is not None else None)
        fenced = False
        for finding in review.findings:
            line = first if finding.line is None or content_line is None else content_line + finding.line
            if finding.code == "SB105" and at_eof:
                self.report(
                    "SB302",
                    self.n - 1,
                    f"the answer ends inside the code fence of {name!r}; the file is marked truncated",
                    file=name,
                )
                truncated = True
                continue
            fenced = fenced or finding.code == "SB103"
            self.report(finding.code, line, finding.message, file=name)
        if review.after is not None and content_line is not None:
            self.release(content_line + review.after, last + 1)
            last = content_line + review.after - 1
        if at_eof and not fenced and not truncated:
            # A closed fence around the content shows where it ends; nothing else does.
            cut = " (it stops mid-line)" if not self.final_lf else ""
            if self.wrapper is not None:
                self.report(
                    "SB302",
                    self.n - 1,
                    f"the answer ends inside {name!r}, inside the code fence around the files{cut}; the file"
                    " is marked truncated",
                    file=name,
                )
            else:
                self.report(
                    "SB301",
                    self.n - 1,
                    f"the answer ends inside {name!r}, with no closer and no <<<END n>>> marker{cut}; the"
                    " file is marked truncated",
                    file=name,
                )
            truncated = True
        status: Status = "complete"
        if truncated:
            status = "truncated"
        elif review.suspect or named.suspect or suspect:
            status = "suspect"
        self.files.append(FoundFile(name, review.data, executable, status, first, max(first, last), dialect))
