"""Go's txtar archives, read and written by txtar's own rules (golang.org/x/tools/txtar).

A marker line is ``-- NAME --``, NAME trimmed of spaces and not empty. The
text before the first marker is the comment. Only the last part (the
comment or the last file) gains a newline when it lacks one; that is how
``txtar.Parse`` reads it, so reading is lossless by txtar's semantics.
"""

from __future__ import annotations

from ._convert_codes import ConvertError, ConvertWarning, new_warning
from ._model import Bundle, Entry

__all__ = ["read_txtar", "write_txtar"]


def _marker_name(line: bytes) -> str | None:
    """The name of a marker line (without its newline), as txtar's isMarker finds it."""
    if not (line.startswith(b"-- ") and line.endswith(b" --") and len(line) >= 6):
        return None
    name = line[3:-3].strip(b" \t\r\n\v\f")
    if not name:
        return None
    try:
        return name.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConvertError(f"the txtar file name {name!r} is not UTF-8") from error


def _lines(data: bytes) -> list[bytes]:
    """The lines of ``data``, each with its LF; only LF ends a line in txtar."""
    lines = [line + b"\n" for line in data.split(b"\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def _fix_nl(data: bytes) -> bytes:
    return data + b"\n" if data and not data.endswith(b"\n") else data


def read_txtar(data: bytes) -> tuple[Bundle, list[ConvertWarning]]:
    """Parse ``data`` as txtar.Parse does; a duplicate name keeps the last file, with a warning."""
    parts: list[tuple[str | None, list[bytes]]] = [(None, [])]
    for line in _lines(data):
        name = _marker_name(line.removesuffix(b"\n"))
        if name is not None:
            parts.append((name, []))
        else:
            parts[-1][1].append(line)
    last = len(parts) - 1
    contents = [b"".join(lines) for _name, lines in parts]
    contents[last] = _fix_nl(contents[last])
    try:
        comment = contents[0].decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConvertError(f"the txtar comment is not UTF-8 (at byte {error.start})") from error
    files: dict[str, Entry] = {}
    warnings: list[ConvertWarning] = []
    for (name, _body), content in zip(parts[1:], contents[1:], strict=True):
        assert name is not None
        if name in files:
            warnings.append(new_warning("CV101", name, f"two files are named {name!r}; the last one wins"))
            del files[name]  # the last one wins, at its own place
        files[name] = Entry(name, content)
    return Bundle(files.values(), comment=comment), warnings


def write_txtar(bundle: Bundle) -> tuple[bytes, list[ConvertWarning]]:
    """Format ``bundle`` as txtar, refusing what txtar cannot hold and warning of what it changes."""
    warnings: list[ConvertWarning] = []
    comment = bundle.comment.encode("utf-8")
    _refuse_markers(comment, "the comment", None)
    if comment and not comment.endswith(b"\n"):
        warnings.append(new_warning("CV202", None, "txtar ends the comment with a newline: one was added"))
    out = [_fix_nl(comment)]
    for entry in bundle:
        _check_name(entry.name)
        if not entry.is_text:
            raise ConvertError(f"{entry.name!r} is binary, which txtar cannot hold", entry.name)
        _refuse_markers(entry.data, repr(entry.name), entry.name)
        if entry.executable:
            warnings.append(
                new_warning("CV201", entry.name, "txtar has no executable bit: the bit was dropped")
            )
        if entry.data and not entry.data.endswith(b"\n"):
            warnings.append(
                new_warning("CV202", entry.name, "txtar ends every file with a newline: one was added")
            )
        out.append(b"-- " + entry.name.encode("utf-8") + b" --\n")
        out.append(_fix_nl(entry.data))
    return b"".join(out), warnings


def _check_name(name: str) -> None:
    if name != name.strip(" \t\r\n\v\f"):
        raise ConvertError(f"the name {name!r} begins or ends with a space, which txtar trims", name)
    if "\n" in name or "\r" in name:
        raise ConvertError(f"the name {name!r} holds a line break, which txtar cannot hold", name)


def _refuse_markers(data: bytes, what: str, name: str | None) -> None:
    for number, line in enumerate(_lines(data), start=1):
        text = line.removesuffix(b"\n")
        if _marker_name(text) is not None:
            shown = text.decode("utf-8", "replace")
            raise ConvertError(
                f"{what} holds the txtar marker line {shown!r} at line {number}, which txtar cannot hold",
                name,
            )
