"""The command that writes the entries of a bundle as files: ``seedbundle unpack``."""

from __future__ import annotations

import argparse

from ._cli_base import (
    _count_files,
    _error,
    _Failure,
    _for_the_command_line,
    _input,
    _print,
    _progress,
)
from ._errors import UnpackError
from ._model import Entry
from ._syntax import encode_name
from ._unpack import Plan, plan_entries, reader_source, unpack_entries


def _unpack(args: argparse.Namespace) -> int:
    with _input(args.bundle) as file, reader_source(file, strict=args.strict) as fresh:
        try:
            if args.dry_run:
                return _show_unpack_plan(plan_entries(fresh, args.directory, **_unpack_options(args)))
            with _progress("unpacking", "B", unit_scale=True, unit_divisor=1024) as bar:

                def progress(entry: Entry) -> None:
                    bar.update(len(entry.data))

                plan = unpack_entries(fresh, args.directory, progress=progress, **_unpack_options(args))
        except UnpackError as error:
            raise _Failure(_for_the_command_line(error.msg)) from None
    if args.verbose:
        for item in plan.files:
            _print(encode_name(item.name))
    return 0


def _unpack_options(args: argparse.Namespace) -> dict[str, bool]:
    return {"overwrite": args.force, "allow_case_conflicts": args.allow_case_conflicts}


def _show_unpack_plan(plan: Plan) -> int:
    """List what unpack would do; 1 if it would refuse, as the same command without -n would."""
    for item in plan.files:
        name = encode_name(item.name)
        if item.refusal is not None:
            _print(f"refuse  {name}: {_for_the_command_line(item.refusal)}")
        elif item.replaces and not plan.overwrite:
            _print(f"replace {name} (needs --force)")
        else:
            _print(f"{item.action:7} {name}")
    for name in plan.leftovers:
        _print(f"remove  {encode_name(name)} (left by an interrupted unpack)")
    refused = sum(item.refusal is not None for item in plan.files)
    existing = sum(item.replaces and item.refusal is None for item in plan.files)
    if refused:
        _error(f"unpack would refuse this bundle: it cannot write {_count_files(refused)}")
    elif existing and not plan.overwrite:
        _error(
            f"unpack would refuse this bundle: it would replace {_count_files(existing, 'existing ')}"
            " (add --force to allow that)"
        )
    return 1 if plan.problem() is not None else 0
