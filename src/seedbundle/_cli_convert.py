"""The command that converts between a bundle and other formats: ``seedbundle convert``."""

from __future__ import annotations

import argparse
import sys

from ._cli_base import STDIO, _Failure, _for_the_command_line, _input, _label, _output, _plural
from ._convert_codes import ConvertError


def _convert(args: argparse.Namespace) -> int:
    # Loaded here: the readers import tarfile, zipfile and the compressors,
    # which no other command needs.
    from ._convert import detect, detect_output
    from ._convert import read as convert_read
    from ._convert import write as convert_write

    label = _label(args.input)
    target = args.target_format or detect_output(None if args.output == STDIO else args.output)
    with _input(args.input) as file:
        data = file.read()
    try:
        conversion = convert_read(
            data,
            format=args.source_format or detect(None if args.input == STDIO else args.input, data[:4096]),
            drop_special=args.drop_special,
        )
        written = convert_write(conversion.bundle, target)
    except ConvertError as error:
        raise _Failure(f"{label}: {_for_the_command_line(str(error))}") from error
    warnings = conversion.warnings + written.warnings
    for warning in warnings:
        sys.stderr.write(f"{label}: {_for_the_command_line(str(warning))}\n")
    if args.strict and warnings:
        raise _Failure(f"{label}: {_plural(len(warnings), 'warning')} under --strict; nothing written")
    with _output(args.output) as out:
        out.write(written.data)
    return 0
