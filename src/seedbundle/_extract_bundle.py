"""Reading the bundle format as models write it: exact where loads can read it, tolerant elsewhere.

A part of the answer that runs from a FILE line to an exact ``<<<END n>>>``
line and that [`seedbundle.loads`][seedbundle.loads] reads strictly is taken exactly as
loads reads it. Everything else is read one entry at a time: an entry runs
from its header (in any of the variants of ``_extract_lines.marker``) to
the next marker, content escapes are undone as loads undoes them, and the
attributes keep their meaning.
"""

from __future__ import annotations

import binascii
import bisect
import hashlib
import re

from ._api import loads
from ._errors import BundleDecodeError
from ._extract_answer import Answer
from ._extract_markers import Marker
from ._extract_names import review_name
from ._model import Bundle
from ._syntax import unescape_text

__all__ = ["read_delete", "read_end", "read_header", "read_strict"]

_EXACT_END = re.compile(r"<<<END (?:0|[1-9][0-9]*)>>>")
_KNOWN_ATTRIBUTES = ("noeol", "base64", "exec")


def read_strict(answer: Answer) -> bool:
    """Read the whole answer with loads, if it is a strictly valid bundle."""
    try:
        bundle = loads(answer.data)
    except BundleDecodeError:
        return False
    headers = [index for index, line in enumerate(answer.lines) if line.startswith("<<<FILE ")]
    # The comment is part of a valid bundle, not prose.
    answer.own(0, answer.n)
    _add_exact(answer, bundle, headers, answer.n - 1)
    answer.comment = bundle.comment
    return True


def _add_exact(answer: Answer, bundle: Bundle, headers: list[int], end: int) -> None:
    """Add the entries that loads read, whose FILE lines are ``headers``; ``end`` is the END line."""
    for position, entry in enumerate(bundle.entries):
        header = headers[position]
        stop = headers[position + 1] if position + 1 < len(headers) else end
        answer.add_file(
            entry.name,
            entry.data,
            dialect="seedbundle",
            first=header,
            last=max(header, stop - 1),
            content_line=None if " base64" in answer.lines[header] else header + 1,
            executable=entry.executable,
        )


def _read_exact(answer: Answer, index: int) -> int | None:
    """Read from the FILE line at ``index`` to the next exact END line with loads, if that is valid."""
    # Only a whole bundle: the END count covers the files read tolerantly before, too.
    if not answer.lines[index].startswith("<<<FILE ") or answer.since_end:
        return None
    ends = _exact_ends(answer)
    position = bisect.bisect_left(ends, index)
    if position == len(ends):
        return None
    end = ends[position]
    starts = [index]
    region = answer.region_start
    if not answer.files and region < index and not any(answer.owned[region:index]):
        starts.insert(0, region)  # with the comment, if nothing but prose comes before
    for first in starts:
        segment = "\n".join(answer.lines[first : end + 1]) + "\n"
        try:
            bundle = loads(segment.encode("utf-8", "surrogateescape"))
        except BundleDecodeError:
            continue
        headers = [line for line in range(index, end) if answer.lines[line].startswith("<<<FILE ")]
        answer.own(index, end + 1)
        _add_exact(answer, bundle, headers, end)
        if first < index and bundle.comment:
            answer.comment = bundle.comment
            answer.comment_lines = (first, index - 1)
        answer.since_end = 0
        answer.ended_at = end
        return end + 1
    return None


def _exact_ends(answer: Answer) -> list[int]:
    """The lines that are exact END markers, found once per answer."""
    if answer.exact_ends is None:
        answer.exact_ends = [index for index, line in enumerate(answer.lines) if _EXACT_END.fullmatch(line)]
    return answer.exact_ends


def read_header(answer: Answer, index: int, header: Marker) -> int:
    """Read the entry whose FILE marker is at ``index``; return the line after it."""
    if answer.ended_at is not None:
        answer.report(
            "SB205", index, f"more files follow the END marker at line {answer.ended_at + 1}; read them too"
        )
        answer.ended_at = None
    exact = _read_exact(answer, index)
    if exact is not None:
        return exact
    answer.since_end += 1
    answer.note_cr(index, header)
    name = header.name or ""
    if header.changes:
        answer.report(
            "SB201",
            index,
            f"read the header {answer.lines[index].strip()!r} as <<<FILE {name}>>>"
            f" (took off {', '.join(header.changes)})",
            file=name or None,
            column=header.column + 1,
        )
    following = answer.next_marker(index + 1)
    stop = following
    closer = answer.wrapper_closer(index + 1, following, name)
    if closer is not None:
        stop = closer
    _report_other_markers(answer, index + 1, stop, name)
    cut_header = index == answer.n - 1 and not answer.final_lf
    at_eof = (following == answer.n and closer is None) or cut_header
    content_stop, last = stop, max(index, stop - 1)
    end = answer.marker_at(following) if following < answer.n and closer is None else None
    if end is not None and end.kind == "closer":
        answer.own(following, following + 1)
        answer.note_cr(following, end)
        named = f" (it names {end.name!r})" if end.name not in (None, name) else ""
        answer.report(
            "SB202",
            following,
            f"read {answer.lines[following].strip()!r} as the end of {name!r}{named}",
            file=name or None,
        )
        last, stop = following, following + 1
    answer.own(index, last + 1)
    data = _entry_data(answer, index, header, content_stop, name)
    if data is not None:
        answer.add_file(
            name,
            data[0],
            dialect="seedbundle",
            first=index,
            last=last,
            content_line=None if "base64" in header.attributes else index + 1,
            executable="exec" in header.attributes,
            at_eof=at_eof,
            suspect=data[1],
        )
    return stop


def _entry_data(
    answer: Answer, index: int, header: Marker, stop: int, name: str
) -> tuple[bytes, bool] | None:
    """The data of an entry read tolerantly (None if refused), and whether it is suspect."""
    block = answer.block(index + 1, stop)
    known = [word for word in header.attributes if word in _KNOWN_ATTRIBUTES or word.startswith("sha256=")]
    for word in header.attributes:
        if word not in known:
            answer.report(
                "SB206", index, f"dropped the attribute {word!r}, which the format does not define", file=name
            )
    if "base64" in header.attributes:
        try:
            data = binascii.a2b_base64(
                b"".join(line.strip() for line in block.split(b"\n")), strict_mode=True
            )
        except binascii.Error:
            answer.report("SB207", index, f"refused {name!r}: its content is not valid base64", file=name)
            answer.refused += 1
            return None
    else:
        data = unescape_text(block)
        if "noeol" in header.attributes and data.endswith(b"\n"):
            data = data[:-1]
    for word in known:
        if word.startswith("sha256=") and hashlib.sha256(data).hexdigest() != word[7:]:
            answer.report(
                "SB207",
                index,
                f"the data of {name!r} does not match its sha256 attribute; kept it, and marked the file"
                " suspect",
                file=name,
            )
            return data, True
    return data, False


def _report_other_markers(answer: Answer, start: int, stop: int, name: str) -> None:
    others = [
        index
        for index in range(start, stop)
        if answer.lines[index].startswith("<<<")
        and (found := answer.marker_at(index)) is not None
        and found.kind == "other"
    ]
    if others:
        more = f" (and {len(others) - 1} more)" if len(others) > 1 else ""
        answer.report(
            "SB204",
            others[0],
            f"the content line {answer.lines[others[0]][:40]!r}{more} begins with '<<<' but is not a"
            " marker; kept it verbatim",
            file=name or None,
        )


def read_delete(answer: Answer, index: int, found: Marker) -> None:
    """A ``<<<DELETE name>>>`` line: the only way an answer deletes a file."""
    answer.own(index, index + 1)
    raw = found.name or ""
    if found.changes:
        answer.report(
            "SB201",
            index,
            f"read {answer.lines[index].strip()!r} as <<<DELETE {raw}>>> (took off {', '.join(found.changes)})",
            file=raw or None,
        )
    named = review_name(raw, answer.known)
    for finding in named.findings:
        answer.report(finding.code, index, finding.message, file=raw or None)
    if named.name is not None:
        answer.deletions.append((named.name, index))


def read_end(answer: Answer, index: int, found: Marker) -> None:
    """An END marker, exact or a variant, with a count."""
    answer.own(index, index + 1)
    answer.note_cr(index, found)
    if found.changes:
        answer.report("SB202", index, f"read {answer.lines[index].strip()!r} as the END marker")
    if found.count != answer.since_end:
        answer.report(
            "SB203",
            index,
            f"the END marker counts {found.count} files, but the bundle holds {answer.since_end}; kept them all",
        )
    answer.since_end = 0
    answer.ended_at = index
