"""The commands that write bundles: ``seedbundle pack`` (one bundle or volumes) and ``seedbundle join``.

Imported only when one of them runs, like every command module: see ``_cli``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from typing import IO, TYPE_CHECKING, Any

from ._cli_base import (
    PROGRAM,
    STDIO,
    _counter,
    _output,
    _plural,
    _progress,
    _UsageError,
)
from ._errors import PackWarning
from ._instructions import instructions
from ._pack import pack_to
from ._profile import PromptProfile
from ._remote import is_url
from ._syntax import encode_name

if TYPE_CHECKING:
    from ._select import Ignored
    from ._tokens import EntryTokens, TokenTally


def _pack(args: argparse.Namespace) -> int:
    if args.max_bytes or args.max_tokens:
        return _pack_volumes(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PackWarning)
        try:
            files, size, tokens = _write_pack(args)
        finally:
            for warning in caught:
                if isinstance(warning.message, PackWarning):
                    sys.stderr.write(f"{PROGRAM}: {warning.message}\n")
    if not args.quiet:
        into = "<stdout>" if args.output == STDIO else args.output
        counted = "" if tokens is None else f", {_tokens_in(tokens, args.encoding)}"
        sys.stderr.write(
            f"{PROGRAM}: packed {_plural(files, 'file')}, {_plural(size, 'byte')}{counted} into {into}\n"
        )
        if tokens is not None and tokens.entries:
            sys.stderr.write(f"{PROGRAM}: largest: {_largest(tokens)}\n")
    return 0


def _pack_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options that pack_to and pack_volumes share, from the command line."""

    def ignored(item: Ignored) -> None:
        if args.list_ignored or (item.reason.startswith("prompt profile: ") and not args.quiet):
            _list_ignored(item)

    return {
        "comment": _pack_comment(args),
        "sha256": args.sha256,
        "gitignore": args.gitignore,
        "git": args.git,
        "include": args.include,
        "exclude": args.exclude,
        "symlinks": args.symlinks,
        "ignored": ignored if args.list_ignored or args.for_prompt else None,
        "profile": PromptProfile() if args.for_prompt else None,
    }


def _pack_volumes(args: argparse.Namespace) -> int:
    from ._volumes import pack_volumes, volume_path  # a plain pack needs neither volumes nor loads

    if args.output == STDIO:
        raise _UsageError("volumes need -o with a place for the number, such as -o out-%03d.bundle")
    try:
        volume_path(args.output, 1)
    except ValueError as error:
        raise _UsageError(str(error)) from None
    if args.max_bytes:
        budget, count = args.max_bytes, None
    else:
        from ._tokens import token_counter

        budget, count = args.max_tokens, token_counter(args.encoding or "estimate")
    files = size = 0

    def progress(_name: str, file_size: int, _done: int, _total: int) -> None:
        nonlocal files, size
        files += 1
        size += file_size

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PackWarning)
        try:
            paths = pack_volumes(
                args.directory,
                args.output,
                budget=budget,
                count=count,
                progress=progress,
                **_pack_options(args),
            )
        finally:
            for warning in caught:
                if isinstance(warning.message, PackWarning):
                    sys.stderr.write(f"{PROGRAM}: {warning.message}\n")
    if not args.quiet:
        unit = "bytes" if args.max_bytes else _tokens_unit(args.encoding)
        shown = paths[0] if len(paths) == 1 else f"{paths[0]} ... {paths[-1]}"
        sys.stderr.write(
            f"{PROGRAM}: packed {_plural(files, 'file')}, {_plural(size, 'byte')} into"
            f" {_plural(len(paths), 'volume')} of at most {budget} {unit} each: {shown}\n"
        )
    return 0


def _join(args: argparse.Namespace) -> int:
    from ._volumes import join

    if args.output == STDIO:
        sys.stdout.flush()
        join(args.volumes, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    elif is_url(args.output):
        with _output(args.output) as out:
            join(args.volumes, out)
    else:
        join(args.volumes, args.output)
    return 0


def _pack_comment(args: argparse.Namespace) -> str:
    """The comment as asked: the instructions for the model first, if asked for."""
    if not args.instructions:
        return str(args.comment)
    return instructions() + ("\n" + args.comment if args.comment else "")


def _tokens_unit(encoding: str | None) -> str:
    return (
        "estimated tokens"
        if encoding in (None, "estimate")
        else f"{encoding} tokens"
        if encoding != "bytes"
        else "bytes"
    )


def _write_pack(args: argparse.Namespace) -> tuple[int, int, _Tokens | None]:
    """Pack as asked; the number of files and of their bytes, and the tokens if asked for."""
    tally = _pack_tally(args)
    total_bytes = 0
    with _progress("packing", "file") as bar:

        def progress(_name: str, size: int, _done: int, total: int) -> None:
            nonlocal total_bytes
            total_bytes += size
            bar.update()
            if bar.total != total:  # known once the walk is over: show it at once
                bar.total = total
                bar.refresh()

        if args.output == STDIO:
            sys.stdout.flush()
        with contextlib.ExitStack() as stack:
            output: str | IO[bytes] = args.output
            if args.output == STDIO:
                output = sys.stdout.buffer
            elif is_url(args.output):
                # A URL is written through the command's output, committed only on success.
                output = stack.enter_context(_output(args.output))
            if tally is not None and not isinstance(output, str):
                output = _Tee(output, tally)  # type: ignore[assignment]
            count = pack_to(args.directory, output, progress=progress, **_pack_options(args))
    if args.output == STDIO:
        sys.stdout.buffer.flush()
    elif tally is not None and not is_url(args.output):
        with open(args.output, "rb") as written:
            while chunk := written.read(1 << 20):
                tally.write(chunk)
    return count, total_bytes, None if tally is None else _Tokens(tally.close(), tally.total)


def _list_ignored(ignored: Ignored) -> None:
    sys.stderr.write(f"{PROGRAM}: ignored {encode_name(ignored.name)} ({ignored.reason})\n")


class _Tokens:
    """What the tally of a packed bundle found."""

    def __init__(self, entries: tuple[EntryTokens, ...], total: int) -> None:
        self.entries = entries
        self.total = total


class _Tee:
    """A binary output that also feeds what it is given to a tally."""

    def __init__(self, out: IO[bytes], tally: TokenTally) -> None:
        self._out = out
        self._tally = tally

    def write(self, data: bytes) -> int:
        self._tally.write(data)
        return self._out.write(data)

    def __getattr__(self, name: str) -> Any:
        # fileno (which pack_to uses to keep the bundle out of the tree), flush, ...
        return getattr(self._out, name)


def _pack_tally(args: argparse.Namespace) -> TokenTally | None:
    if args.quiet:
        return None
    if not (args.tokens or args.encoding or sys.stderr.isatty()):
        return None
    # Asked for, the count is exact where the extra is installed. Shown only
    # because stderr is a terminal, it is the estimate: an exact tokenizer
    # reads about 8 MB/s here against pack's 100, and a summary nobody asked
    # for must not make pack several times slower.
    from ._tokens import TokenTally, default_encoding  # the summary alone needs no tokenizer module

    args.encoding = args.encoding or (default_encoding() if args.tokens else "estimate")
    return TokenTally(_counter(args.encoding))


def _tokens_in(tokens: _Tokens, encoding: str) -> str:
    return f"{_plural(tokens.total, 'token')} ({encoding})"


def _largest(tokens: _Tokens, shown: int = 5) -> str:
    largest = sorted(tokens.entries, key=lambda entry: -entry.tokens)[:shown]
    share = [
        f"{encode_name(entry.name)} {_plural(entry.tokens, 'token')} ({entry.tokens / max(tokens.total, 1):.0%})"
        for entry in largest
    ]
    return ", ".join(share)
