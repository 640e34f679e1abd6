"""Reading files between tags: XML ``<file path=...>`` and bolt actions, and PAWS markers.

Both dialects close their files: ``</file>`` (``</boltAction>``) and
``DOGS_END_FILE``. A file that is not closed ends where the next one
begins, at the closing fence around the bundle, or at the end of the
answer, where it is truncated.
"""

from __future__ import annotations

import binascii

from ._extract_answer import Answer
from ._extract_lines import paws_marker, xml_tag

__all__ = ["read_paws", "read_xml"]


def read_paws(answer: Answer, index: int) -> int:
    """Read the file whose PAWS start marker is at ``index``; return the line after it."""
    start = paws_marker(answer.lines[index])
    assert start is not None
    name = start.name
    answer.quoted_markers += start.quoted
    following = index + 1
    end = None
    while following < answer.n:
        end = paws_marker(answer.lines[following])
        if end is not None:
            break
        following += 1
    content_stop = stop = following
    last, at_eof = following - 1, False
    if end is not None and not end.start:
        last, stop = following, following + 1
        answer.quoted_markers += end.quoted
        if end.name != name:
            answer.report(
                "SB208",
                following,
                f"the end marker names {end.name!r}, not {name!r}; ended the file there",
                file=name,
            )
    else:
        closer = answer.wrapper_closer(index + 1, following, name)
        if closer is not None:
            content_stop = stop = closer
            last = closer - 1
            answer.report(
                "SB208",
                closer,
                f"{name!r} has no DOGS_END_FILE marker; ended it at the closing fence",
                file=name,
            )
        elif end is not None:
            answer.report(
                "SB208",
                following,
                f"{name!r} has no DOGS_END_FILE marker; ended it where the next file begins",
                file=name,
            )
        else:
            at_eof = True
    last = max(last, index)
    answer.own(index, last + 1)
    data = answer.block(index + 1, content_stop)
    if start.base64:
        try:
            data = binascii.a2b_base64(b"".join(line.strip() for line in data.split(b"\n")), strict_mode=True)
        except binascii.Error:
            answer.report("SB207", index, f"refused {name!r}: its content is not valid base64", file=name)
            answer.refused += 1
            return stop
    answer.add_file(name, data, dialect="paws", first=index, last=last, content_line=index + 1, at_eof=at_eof)
    return stop


def read_xml(answer: Answer, index: int) -> int:
    """Read the file whose opening tag is at ``index``; return the line after it.

    The content is the text between the tags, without the LF right after
    the opening tag. Entities are not decoded: models write the content raw.
    """
    tag = xml_tag(answer.lines[index])
    assert tag is not None
    if tag.self_closing:
        if tag.name is not None:
            answer.own(index, index + 1)
            answer.add_file(tag.name, b"", dialect="xml", first=index, last=index, content_line=None)
        return index + 1
    at = tag.rest.find(tag.closing)
    following = index
    if at < 0:
        following = index + 1
        while following < answer.n:
            line = answer.lines[following]
            at = line.find(tag.closing)
            if at >= 0 or xml_tag(line) is not None:
                break
            following += 1
    if tag.name is None:  # a bolt action that is not a file, such as a shell command: prose
        return following + 1
    closed = at >= 0 and following < answer.n
    if following == index:
        text = tag.rest[:at]
    else:
        middle = answer.lines[index + 1 : following]
        tail = [answer.lines[following][:at]] if closed else []
        text = "\n".join([tag.rest, *middle, *tail])
        if not closed and middle and (following < answer.n or answer.final_lf):
            text += "\n"
        text = text.removeprefix("\n")
    last = following if closed else following - 1
    last = max(last, index)
    answer.own(index, last + 1)
    at_eof = False
    if not closed:
        if following < answer.n:
            answer.report(
                "SB208",
                following,
                f"{tag.name!r} has no {tag.closing} tag; ended it where the next file begins",
                file=tag.name,
            )
        else:
            at_eof = True
    answer.add_file(
        tag.name,
        text.encode("utf-8", "surrogateescape"),
        dialect="xml",
        first=index,
        last=last,
        content_line=index + 1 if not tag.rest.strip() else None,
        at_eof=at_eof,
    )
    return last + 1
