"""The ``seedbundle`` command: its parser, its guard against tracebacks and signals, and the commands.

The plumbing that every command shares is in ``_cli_base``; the commands
for a model's answer, ``extract`` and ``apply``, are in ``_cli_answer``.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import os
import signal
import sys
import threading
import types
import warnings
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import version
from typing import IO, Any

from tqdm import tqdm

from ._cli_answer import _add_apply, _add_extract
from ._cli_base import (
    PROGRAM,
    STDIO,
    _add_bundle,
    _add_output,
    _add_reading,
    _command,
    _count_files,
    _describe_os_error,
    _error,
    _Failure,
    _for_the_command_line,
    _Formatter,
    _input,
    _internal_error,
    _label,
    _message,
    _output,
    _plural,
    _print,
    _show_decode_error,
    _silence_stdout,
    _standard_streams,
    _UsageError,
)
from ._convert_codes import READ_FORMATS, WRITE_FORMATS, ConvertError
from ._encoder import encode_comment, encode_end, encode_entry
from ._errors import BundleDecodeError, BundleError, PackWarning, UnpackError
from ._ignore import PatternError, compile_patterns
from ._instructions import instructions
from ._model import Entry
from ._names import check_names
from ._pack import pack_to
from ._profile import PromptProfile
from ._remote import is_url
from ._select import Ignored
from ._stream import open as open_bundle
from ._syntax import encode_name
from ._tokens import ENCODINGS, EntryTokens, TokenTally, default_encoding, token_counter
from ._unpack import Plan, plan_entries, reader_source, unpack_entries
from ._volumes import join, pack_volumes, volume_path

__all__ = ["main"]

TRACEBACK_VARIABLE = "SEEDBUNDLE_TRACEBACK"

_EPILOG = """\
examples:
  seedbundle pack my-project -o my-project.bundle
  seedbundle pack . --exclude '*.log' --include '/src/' > src.bundle
  seedbundle list my-project.bundle --long
  seedbundle cat my-project.bundle src/main.py
  seedbundle check answer.bundle --lenient
  seedbundle fmt answer.bundle --lenient -o clean.bundle
  seedbundle unpack my-project.bundle -C restored --dry-run
  seedbundle convert repomix-output.xml -o project.bundle
  curl -s https://example.org/x.bundle | seedbundle unpack - -C x

exit status: 0 success, 1 invalid bundle or refused or failed operation, 2 usage error,
  128+N stopped by signal N (130 Ctrl-C, 141 output pipe closed early, 143 SIGTERM).
Run 'seedbundle COMMAND --help' for the options of one command.
"""


class _Terminated(BaseException):
    """Raised in the main thread when SIGTERM or SIGHUP arrives.

    Like KeyboardInterrupt it is no Exception, so no ``except Exception``
    stops it, and every ``finally`` and ``except BaseException`` on the way
    out runs: the library removes its temporary and staged files.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status.

    It prints no traceback, whatever the input: an unexpected exception is
    reported in one line as an internal error, unless the environment
    variable ``SEEDBUNDLE_TRACEBACK`` is set to anything but ``0``, which
    makes it propagate. SIGTERM and SIGHUP raise an exception in the main
    thread for as long as it runs, as Ctrl-C does, so that the library's
    cleanups run.

    Args:
        argv: The arguments, without the program name; ``sys.argv[1:]``
            when None.

    Returns:
        0 on success, 1 for invalid data or a refused or failed operation,
        2 for a usage error, 128 + N when signal N stopped it (130 for
        Ctrl-C, 143 for SIGTERM), 141 when the reader of stdout went away.

    Examples:
        >>> from seedbundle._cli import main
        >>> main(["--version"])  # doctest: +ELLIPSIS
        seedbundle ...
        0

    Added in version 1.0.0.
    """
    with _standard_streams():
        try:
            with _stop_on_signals():
                return _run(argv)
        except KeyboardInterrupt:
            _error("interrupted")
            return 130
        except _Terminated as stop:
            _error(f"stopped by {signal.Signals(stop.signum).name}")
            return 128 + stop.signum
        except Exception as error:
            if os.environ.get(TRACEBACK_VARIABLE, "") not in ("", "0"):
                raise
            _internal_error(error)
            return 1


def _run(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = argparse.Namespace()  # for the handlers below, should parse_args itself fail
    try:
        args = parser.parse_args(argv)
        if not hasattr(args, "run"):
            # A bare `seedbundle` is a question, not a typo: answer it in full.
            # The status stays 2, so that `seedbundle $EMPTY` fails in a script.
            parser.print_help()
            return 2
        _check_patterns(args)
        run: Callable[[argparse.Namespace], int] = args.run
        return run(args)
    except SystemExit as exit_:  # argparse: --help, --version or a usage error
        return exit_.code if isinstance(exit_.code, int) else 2
    except _UsageError as error:
        _error(str(error))
        return 2
    except BundleDecodeError as error:
        _show_decode_error(_label(getattr(args, "bundle", STDIO)), error)
    except BundleError as error:
        _error(_for_the_command_line(str(error)))
    except _Failure as error:
        _error(str(error))
    except BrokenPipeError:
        _silence_stdout()
        return _BROKEN_PIPE
    except OSError as error:
        _error(_describe_os_error(error))
    except ImportError as error:  # an optional extra that is not installed
        _error(str(error))
    return 1


_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into [`_Terminated`][_Terminated], then put the old handlers back."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers, and only it runs them
        return
    previous = {signum: signal.signal(signum, _terminate) for signum in _STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            # None: a handler that was not set from Python, which cannot be put back.
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


def _terminate(signum: int, frame: types.FrameType | None) -> None:
    # A second signal must not cut short the cleanups that the first one starts.
    for other in _STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    raise _Terminated(signum)


# -- the parser ----------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Lossless, safe plain-text bundles of many files.",
        epilog=_EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROGRAM} {version(PROGRAM)}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_pack(commands)
    _add_unpack(commands)
    _add_list(commands)
    _add_cat(commands)
    _add_check(commands)
    _add_fmt(commands)
    _add_join(commands)
    _add_convert(commands)
    _add_extract(commands)
    _add_apply(commands)
    return parser


def _add_pack(commands: Any) -> None:
    command = _command(
        commands,
        "pack",
        "pack the files below a directory into a bundle",
        _pack,
        "seedbundle pack my-project --exclude '*.log' -o my-project.bundle",
    )
    command.add_argument("directory", metavar="DIR", help="the directory to pack")
    _add_output(command)
    command.add_argument("--comment", default="", help="text to put before the first entry")
    command.add_argument("--sha256", action="store_true", help="add a checksum to every entry")
    command.add_argument(
        "--include",
        metavar="PATTERN",
        action="append",
        default=[],
        help="pack only files matching PATTERN, by .gitignore rules: 'src/' matches a src"
        " directory at any depth, '/src/' only the one at the top of DIR (repeatable)",
    )
    command.add_argument(
        "--exclude",
        metavar="PATTERN",
        action="append",
        default=[],
        help="leave out paths matching PATTERN, by .gitignore rules as for --include (repeatable)",
    )
    command.add_argument(
        "--no-ignore",
        dest="gitignore",
        action="store_false",
        help="pack ignored files too: do not ask git or read .gitignore files (.git itself is always left out)",
    )
    command.add_argument(
        "--no-git",
        dest="git",
        action="store_false",
        help="do not ask git which files to pack; read .gitignore files, .git/info/exclude and"
        " the global excludes file without it (tracked files that are ignored are left out)",
    )
    command.add_argument(
        "--list-ignored",
        action="store_true",
        help="list each path left out on purpose on stderr, with the pattern or reason",
    )
    links = command.add_mutually_exclusive_group()
    links.add_argument(
        "--skip-symlinks",
        dest="symlinks",
        action="store_const",
        const="skip",
        default="error",
        help="leave symbolic links out, listing them on stderr (default: refuse them)",
    )
    links.add_argument(
        "--follow-symlinks",
        dest="symlinks",
        action="store_const",
        const="follow",
        help="pack what symbolic links point to, under the link's name",
    )
    command.add_argument("-q", "--quiet", action="store_true", help="do not print the summary line on stderr")
    _add_pack_budget(command)
    _add_pack_tokens(command)


def _add_pack_budget(command: argparse.ArgumentParser) -> None:
    budget = command.add_mutually_exclusive_group()
    budget.add_argument(
        "--max-bytes",
        metavar="N",
        type=_positive_int,
        help="write volumes of at most N bytes each (the whole file); -o must hold %%03d or {n}",
    )
    budget.add_argument(
        "--max-tokens",
        metavar="N",
        type=_positive_int,
        help="write volumes of at most N tokens each (estimated tokens, UTF-8 bytes / 3.5,"
        " unless --encoding is given); -o must hold %%03d or {n}",
    )
    command.add_argument(
        "--for-prompt",
        action="store_true",
        help="also leave out what wastes a model's tokens: lock files, binary, minified and"
        " generated files, files over 1 MB (each listed on stderr; --include wins)",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _add_join(commands: Any) -> None:
    command = _command(
        commands,
        "join",
        "join the volumes written by pack --max-bytes or --max-tokens into one bundle",
        _join,
        "seedbundle join out-*.bundle -o all.bundle",
    )
    command.add_argument("volumes", metavar="VOLUME", nargs="+", help="the volume files, in any order")
    _add_output(command)


def _add_pack_tokens(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--instructions",
        action="store_true",
        help="put the instructions that tell a model how to answer in the bundle's comment,"
        " before any --comment text",
    )
    command.add_argument(
        "--tokens",
        action="store_true",
        help="add the tokens of the bundle and its largest entries to the summary, exactly where"
        " seedbundle[tokens] is installed (when stderr is a terminal, an estimate is shown anyway)",
    )
    _add_encoding(command)


def _add_encoding(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--encoding",
        metavar="E",
        choices=ENCODINGS,
        help="count tokens in E: o200k_base or cl100k_base (exact, needs seedbundle[tokens]),"
        " estimate (UTF-8 bytes / 3.5) or bytes; implies --tokens (default: o200k_base"
        " if installed, else estimate)",
    )


def _add_unpack(commands: Any) -> None:
    command = _command(
        commands,
        "unpack",
        "write the entries of a bundle as files, refusing anything unsafe",
        _unpack,
        "seedbundle unpack answer.bundle -C restored --dry-run",
    )
    _add_bundle(command)
    command.add_argument(
        "-C",
        "--directory",
        metavar="DIR",
        default=".",
        help="the target directory, made if missing (default: the current directory)",
    )
    command.add_argument("-f", "--force", action="store_true", help="replace files that already exist")
    command.add_argument(
        "-n",
        "--dry-run",
        action="store_true",
        help="check everything and list what would be written, but write nothing",
    )
    command.add_argument(
        "--allow-case-conflicts",
        action="store_true",
        help="accept names that differ only in case (safe on case-sensitive file systems only)",
    )
    command.add_argument("-v", "--verbose", action="store_true", help="list the files written on stdout")
    _add_reading(command)


def _add_list(commands: Any) -> None:
    command = _command(
        commands,
        "list",
        "list the entries of a bundle",
        _list,
        "seedbundle list my-project.bundle --long",
    )
    _add_bundle(command)
    form = command.add_mutually_exclusive_group()
    form.add_argument(
        "-l",
        "--long",
        action="store_true",
        help="also show size in bytes, encoding, lines in the bundle and the exec bit",
    )
    form.add_argument("--json", action="store_true", help="print a JSON array of objects, for scripts")
    command.add_argument(
        "--tokens", action="store_true", help="show the tokens each entry takes in the bundle, and the total"
    )
    _add_encoding(command)
    _add_reading(command)


def _add_cat(commands: Any) -> None:
    command = _command(
        commands,
        "cat",
        "write the bytes of one entry to stdout",
        _cat,
        "seedbundle cat my-project.bundle src/main.py",
    )
    _add_bundle(command)
    command.add_argument("name", metavar="NAME", help="the entry name")
    _add_reading(command)


def _add_check(commands: Any) -> None:
    command = _command(
        commands,
        "check",
        "check a bundle and that its names are safe to unpack",
        _check,
        "seedbundle check answer.bundle --json",
    )
    _add_bundle(command)
    command.add_argument(
        "--format-only",
        action="store_true",
        help="check the format only, not whether the names are safe to unpack",
    )
    command.add_argument(
        "--allow-case-conflicts",
        action="store_true",
        help="accept names that differ only in case, as unpack --allow-case-conflicts does",
    )
    command.add_argument("--json", action="store_true", help="print the result as JSON")
    _add_reading(command)


def _add_fmt(commands: Any) -> None:
    command = _command(
        commands,
        "fmt",
        "rewrite a bundle in canonical form",
        _fmt,
        "seedbundle fmt answer.bundle --lenient --sha256 -o clean.bundle",
    )
    _add_bundle(command)
    _add_output(command)
    command.add_argument("--sha256", action="store_true", help="add a checksum to every entry")
    _add_reading(command)


def _add_convert(commands: Any) -> None:
    command = _command(
        commands,
        "convert",
        "convert between a bundle and txtar, tar, zip or a prompt packer's output",
        _convert,
        "seedbundle convert testdata/script.txtar -o script.bundle",
    )
    command.add_argument("input", metavar="IN", help="the file to convert, or - for stdin")
    command.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        default=STDIO,
        help="write to OUT (replaced only once complete) instead of stdout",
    )
    command.add_argument(
        "--from",
        dest="source_format",
        choices=READ_FORMATS,
        metavar="FMT",
        help="the format of IN, when its name and content do not tell: " + ", ".join(READ_FORMATS),
    )
    command.add_argument(
        "--to",
        dest="target_format",
        choices=WRITE_FORMATS,
        metavar="FMT",
        help="the format of OUT: "
        + ", ".join(WRITE_FORMATS)
        + " (default: from the name of OUT, else bundle)",
    )
    command.add_argument(
        "--strict", action="store_true", help="treat every warning as an error: write nothing and exit 1"
    )
    command.add_argument(
        "--drop-special",
        action="store_true",
        help="drop links, devices and FIFOs in a tar or zip archive with a warning, instead of refusing it",
    )


def _check_patterns(args: argparse.Namespace) -> None:
    """Make a pattern that does not compile a usage error that names it, before any work starts."""
    for option, what in (("--include", "include"), ("--exclude", "exclude")):
        try:
            compile_patterns(what, getattr(args, what, ()))
        except PatternError as error:
            raise _UsageError(f"{option}: {error}") from None


# What a shell reports for a program that SIGPIPE stopped, as `cat` would be in
# `cat big | head -1`: the reader stopped reading, which is neither success
# nor the exit status 1 of an invalid bundle.
_BROKEN_PIPE = 128 + 13


_PROGRESS_DELAY = 1.0  # seconds: a quick run shows no bar at all


def _progress(description: str) -> tqdm[Any]:
    """A byte counter on stderr that shows only on a terminal, and only after a second."""
    return tqdm(
        desc=description,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        delay=_PROGRESS_DELAY,
        leave=False,
    )


# -- the commands --------------------------------------------------------


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
    if args.output == STDIO:
        raise _UsageError("volumes need -o with a place for the number, such as -o out-%03d.bundle")
    try:
        volume_path(args.output, 1)
    except ValueError as error:
        raise _UsageError(str(error)) from None
    if args.max_bytes:
        budget, count = args.max_bytes, None
    else:
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
    with tqdm(
        desc="packing",
        unit="file",
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        delay=_PROGRESS_DELAY,
        leave=False,
    ) as bar:

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


def _unpack(args: argparse.Namespace) -> int:
    with _input(args.bundle) as file, reader_source(file, strict=args.strict) as fresh:
        try:
            if args.dry_run:
                return _show_unpack_plan(plan_entries(fresh, args.directory, **_unpack_options(args)))
            with _progress("unpacking") as bar:

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


def _counter(encoding: str) -> Callable[[str], int]:
    try:
        return token_counter(encoding)  # type: ignore[arg-type]
    except ImportError as error:
        raise _Failure(str(error)) from None


def _pack_tally(args: argparse.Namespace) -> TokenTally | None:
    if args.quiet:
        return None
    if not (args.tokens or args.encoding or sys.stderr.isatty()):
        return None
    # Asked for, the count is exact where the extra is installed. Shown only
    # because stderr is a terminal, it is the estimate: an exact tokenizer
    # reads about 8 MB/s here against pack's 100, and a summary nobody asked
    # for must not make pack several times slower.
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
