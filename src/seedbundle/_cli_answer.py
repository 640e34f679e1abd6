"""The commands for a language model's answer: ``seedbundle extract`` and ``seedbundle apply``.

Their options are defined with the others in ``_cli``, which imports this
module only when one of the two commands runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time

from ._api import dumps, loads
from ._apply import ApplyPlan, apply, plan_apply, read_change
from ._cli_base import (
    PROGRAM,
    STDIO,
    _count_files,
    _display,
    _error,
    _Failure,
    _input,
    _label,
    _message,
    _output,
    _print,
    _UsageError,
)
from ._errors import BundleDecodeError, UnpackError
from ._extract import extract
from ._extract_result import Extraction
from ._model import Bundle
from ._syntax import encode_name


def _read_answer(path: str) -> bytes:
    with _input(path) as file:
        return file.read()


def _read_base(path: str | None) -> Bundle | None:
    if path is None:
        return None
    try:
        return loads(_read_answer(path))
    except BundleDecodeError as error:
        raise _Failure(f"{path}:{error.lineno}:{error.colno}: {_message(error)}") from None


def _show_diagnostics(label: str, result: Extraction) -> None:
    for diagnostic in result.diagnostics:
        sys.stderr.write(f"{label}:{_safe_line(str(diagnostic))}\n")


def _safe_line(text: str) -> str:
    return "".join(_display(char)[0] if char != "\t" else char for char in text)


def _canonical_answer(result: Extraction | Bundle) -> str:
    """The bundle in canonical form, with exact DELETE lines after it when there are deletions."""
    if isinstance(result, Bundle):
        return dumps(result)
    return dumps(result.bundle) + "".join(f"<<<DELETE {encode_name(name)}>>>\n" for name in result.deletions)


def _extract(args: argparse.Namespace) -> int:
    label = _label(args.answer)
    result = extract(_read_answer(args.answer), base=_read_base(args.base), finish_reason=args.finish_reason)
    _show_diagnostics(label, result)
    if args.json:
        _print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    if not args.json or args.output != STDIO:
        with _output(args.output) as output:
            output.write(_canonical_answer(result).encode("utf-8", "surrogateescape"))
    return 0 if result.ok else 1


def _apply(args: argparse.Namespace) -> int:
    label = _label(args.answer)
    base = _read_base(args.base)
    source = read_change(_read_answer(args.answer), base=base)
    if isinstance(source, Extraction):
        _show_diagnostics(label, source)
        if not source.files and not source.deletions:
            raise _Failure(f"{label} holds no file and no deletion; nothing was written")
    try:
        plan = plan_apply(source, args.directory, base=base, force=args.force, skip=args.skip)
    except ValueError as error:
        raise _UsageError(f"{error}") from None
    _show_apply_plan(plan, as_json=args.json)
    if not plan.ok:
        blocked = sum(change.blocks for change in plan.actions)
        _error(
            f"{_count_files(blocked)} cannot be applied (a conflict or refused); nothing was written."
            " Name each with --force NAME or --skip NAME"
        )
        return 1
    if not args.yes:
        return 0
    undo_to = args.undo_to or _default_undo(args.directory)
    try:
        apply(plan, undo_to=undo_to)
    except UnpackError as error:
        raise _Failure(error.msg) from None
    sys.stderr.write(
        f"{PROGRAM}: applied {_count_files(sum(change.writes for change in plan.actions))}; to undo:"
        f" {PROGRAM} apply {shlex.quote(undo_to)} -C {shlex.quote(args.directory)} --yes\n"
    )
    return 0


def _default_undo(directory: str) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return f"{os.path.abspath(directory).rstrip(os.sep) or os.sep}.undo-{stamp}.bundle"


def _show_apply_plan(plan: ApplyPlan, *, as_json: bool) -> None:
    if as_json:
        _print(json.dumps(plan.as_dict(), indent=2))
        return
    for change in plan.actions:
        note = " (skipped)" if change.skipped else ""
        reason = f": {change.reason}" if change.reason and not change.skipped else ""
        _print(_safe_line(f"{change.action:9} {encode_name(change.name)}{note}{reason}"))
    diff = plan.diff()
    if diff:
        _print(_safe_line_keep_newlines(diff.rstrip("\n")))


def _safe_line_keep_newlines(text: str) -> str:
    return "\n".join(_safe_line(line) for line in text.split("\n"))
