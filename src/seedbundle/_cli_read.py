"""The commands that read a bundle and change nothing: ``list``, ``cat``, ``check`` and ``fmt``.

None of them loads the packing, unpacking, converting or answer machinery.
"""

from __future__ import annotations

import argparse
import difflib
import json
from typing import Any

from ._cli_base import (
    STDIO,
    _counter,
    _Failure,
    _for_the_command_line,
    _input,
    _label,
    _message,
    _output,
    _print,
)
from ._encoder import encode_comment, encode_end, encode_entry
from ._errors import BundleDecodeError, UnpackError
from ._model import Entry
from ._names import check_names
from ._stream import open as open_bundle
from ._syntax import encode_name


def _lines_in_bundle(entry: Entry) -> int:
    """How many content lines the entry takes in the bundle, counted in what the writer writes."""
    _marker_line, *content = encode_entry(entry)
    return sum(piece.count(b"\n") for piece in content)


def _list(args: argparse.Namespace) -> int:
    if args.tokens or args.encoding:
        return _list_tokens(args)
    detailed = args.long or args.json
    rows: list[dict[str, Any]] = []
    with _input(args.bundle) as file, open_bundle(file, "r", strict=args.strict) as reader:
        for entry in reader:
            rows.append(_describe(entry) if detailed else {"name": entry.name})
    if args.json:
        _print(json.dumps(rows, indent=2))
    elif args.long:
        width = max((len(str(row["size"])) for row in rows), default=1)
        for row in rows:
            mode = "x" if row["executable"] else "-"
            _print(
                f"{mode} {row['size']:>{width}} {row['encoding']:6} {row['lines']:>6}"
                f" {encode_name(row['name'])}"
            )
    else:
        for row in rows:
            _print(encode_name(row["name"]))
    return 0


def _list_tokens(args: argparse.Namespace) -> int:
    """List the tokens that each entry takes in the bundle as seedbundle writes it, and the total."""
    from ._tokens import TokenTally, default_encoding  # a plain listing needs no tokenizer module

    encoding = args.encoding or default_encoding()
    tally = TokenTally(_counter(encoding))
    entries: list[Entry] = []
    with _input(args.bundle) as file, open_bundle(file, "r", strict=args.strict) as reader:
        tally.write(encode_comment(reader.comment))
        for entry in reader:
            for piece in encode_entry(entry):
                tally.write(piece)
            entries.append(entry)
        tally.write(encode_end(len(entries)))
    counted = tally.close()
    if args.json:
        rows = [
            _describe(entry) | {"tokens": tokens.tokens}
            for entry, tokens in zip(entries, counted, strict=True)
        ]
        _print(json.dumps(rows, indent=2))
        return 0
    width = len(str(tally.total))
    size_width = max((len(str(len(entry.data))) for entry in entries), default=1)
    for entry, tokens in zip(entries, counted, strict=True):
        row = _describe(entry)
        long = (
            f"{'x' if row['executable'] else '-'} {row['size']:>{size_width}} {row['encoding']:6} "
            if args.long
            else ""
        )
        _print(f"{long}{tokens.tokens:>{width}} {encode_name(tokens.name)}")
    _print(f"{tally.total:>{width}} tokens ({encoding}) in all, comment and END line included")
    return 0


def _describe(entry: Entry) -> dict[str, Any]:
    return {
        "name": entry.name,
        "size": len(entry.data),
        "encoding": "text" if entry.is_text else "base64",
        "lines": _lines_in_bundle(entry),
        "executable": entry.executable,
    }


def _cat(args: argparse.Namespace) -> int:
    found: Entry | None = None
    names: list[str] = []
    with _input(args.bundle) as file, open_bundle(file, "r", strict=args.strict) as reader:
        # Read to the end even after a match: a damaged bundle prints nothing.
        for entry in reader:
            if entry.name == args.name:
                found = entry
            elif found is None:
                names.append(entry.name)
    if found is None:
        folded = args.name.casefold()
        hint = [name for name in names if name.casefold() == folded]
        hint = hint or difflib.get_close_matches(args.name, names, n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise _Failure(f"{_label(args.bundle)} has no entry named {args.name!r}{suggestion}")
    with _output(STDIO) as out:
        out.write(found.data)
    return 0


def _check(args: argparse.Namespace) -> int:
    try:
        count = _check_bundle(args)
    except BundleDecodeError as error:
        if not args.json:
            raise
        place = {"line": error.lineno, "column": error.colno, "pos": error.pos}
        _print_check_json(args, {"message": _message(error), **place})
        return 1
    except UnpackError as error:
        if not args.json:
            raise _Failure(f"{_label(args.bundle)}: {_for_the_command_line(error.msg)}") from None
        _print_check_json(args, {"message": _for_the_command_line(error.msg), "entry": error.name})
        return 1
    if args.json:
        _print_check_json(args, None, count)
    return 0


def _check_bundle(args: argparse.Namespace) -> int:
    """Read the whole bundle and check its names; return how many entries it holds."""
    names: list[str] = []
    with _input(args.bundle) as file, open_bundle(file, "r", strict=args.strict) as reader:
        names.extend(entry.name for entry in reader)
    if not args.format_only:
        check_names(names, allow_case_conflicts=args.allow_case_conflicts)
    return len(names)


def _print_check_json(
    args: argparse.Namespace, error: dict[str, Any] | None, entries: int | None = None
) -> None:
    """The one JSON object of ``check --json``; the error, if any, is in it, not on stderr."""
    result: dict[str, Any] = {"file": _label(args.bundle), "valid": error is None}
    if error is None:
        result["entries"] = entries
    else:
        result["error"] = error
    _print(json.dumps(result))


def _fmt(args: argparse.Namespace) -> int:
    with _input(args.bundle) as file, open_bundle(file, "r", strict=args.strict) as reader:
        comment = reader.comment
        with (
            _output(args.output) as out,
            open_bundle(out, "w", comment=comment, sha256=args.sha256) as writer,
        ):
            for entry in reader:
                writer.add(entry)
    return 0
