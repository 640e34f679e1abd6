"""The ``seedbundle`` command: its parser, its guard against tracebacks and signals, and the dispatch.

The plumbing that every command shares is in ``_cli_base``. The commands
themselves are in ``_cli_pack`` (pack, join), ``_cli_unpack``, ``_cli_read``
(list, cat, check, fmt), ``_cli_convert`` and ``_cli_answer`` (extract,
apply), each imported only when one of its commands runs: building the
parser loads none of them, so ``seedbundle --version`` and ``--help`` start
in a few tens of milliseconds, and ``seedbundle list`` loads no packer.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import threading
import types
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ._choices import ENCODINGS, READ_FORMATS, WRITE_FORMATS
from ._cli_base import (
    PROGRAM,
    STDIO,
    _add_bundle,
    _add_output,
    _add_reading,
    _command,
    _describe_os_error,
    _error,
    _Failure,
    _for_the_command_line,
    _Formatter,
    _internal_error,
    _label,
    _show_decode_error,
    _silence_stdout,
    _standard_streams,
    _UsageError,
)
from ._errors import BundleDecodeError, BundleError

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
    parser.add_argument("--version", action=_Version)
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


# argparse's own action, subclassed so that the help line and the output stay
# its own; only the moment the version is read changes.
class _Version(argparse._VersionAction):
    """``--version``, which reads the installed version only when it is asked for."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from ._version import installed_version

        self.version = f"{PROGRAM} {installed_version()}"
        super().__call__(parser, *args, **kwargs)


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


def _add_extract(commands: Any) -> None:
    command = _command(
        commands,
        "extract",
        "read the files out of a language model's answer, reporting every repair and doubt",
        _extract,
        "seedbundle extract answer.md --base prompt.bundle -o recovered.bundle",
    )
    command.add_argument("answer", metavar="ANSWER", help="the answer file, or - for stdin")
    _add_output(command)
    command.add_argument("--json", action="store_true", help="print the whole report as JSON on stdout")
    _add_base(command)
    command.add_argument(
        "--finish-reason",
        metavar="REASON",
        help="the stop reason the model's API reported; 'length' marks the last file truncated",
    )


def _add_base(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--base",
        metavar="PROMPT.bundle",
        help="the bundle the model was shown, to compare with (packed with --sha256 it records what the model saw)",
    )


def _add_apply(commands: Any) -> None:
    command = _command(
        commands,
        "apply",
        "apply a model's answer to a directory: show the plan and the diff, then write all of it or nothing",
        _apply,
        "seedbundle apply answer.md -C my-project --base prompt.bundle --yes",
    )
    command.add_argument(
        "answer", metavar="ANSWER", help="the answer (or a bundle, or an undo file), or - for stdin"
    )
    command.add_argument(
        "-C",
        "--directory",
        metavar="DIR",
        default=".",
        help="the directory to change (default: the current one)",
    )
    _add_base(command)
    command.add_argument("--yes", action="store_true", help="apply the plan (without it, only show it)")
    command.add_argument(
        "--force",
        metavar="NAME",
        action="append",
        default=[],
        help="apply NAME although it is a conflict, truncated or suspect (repeatable)",
    )
    command.add_argument(
        "--skip", metavar="NAME", action="append", default=[], help="leave NAME alone (repeatable)"
    )
    command.add_argument(
        "--undo-to",
        metavar="FILE",
        help="write the undo answer to FILE (default: DIR.undo-<time>.bundle beside DIR)",
    )
    command.add_argument("--json", action="store_true", help="print the plan as JSON instead of the diff")


def _check_patterns(args: argparse.Namespace) -> None:
    """Make a pattern that does not compile a usage error that names it, before any work starts."""
    options = (("--include", "include"), ("--exclude", "exclude"))
    if not any(getattr(args, what, ()) for _option, what in options):
        return  # the commands without patterns need not load the pattern compiler
    from ._ignore import PatternError, compile_patterns

    for option, what in options:
        try:
            compile_patterns(what, getattr(args, what, ()))
        except PatternError as error:
            raise _UsageError(f"{option}: {error}") from None


# What a shell reports for a program that SIGPIPE stopped, as `cat` would be in
# `cat big | head -1`: the reader stopped reading, which is neither success
# nor the exit status 1 of an invalid bundle.
_BROKEN_PIPE = 128 + 13


# -- the commands, each imported when it runs ----------------------------------


def _pack(args: argparse.Namespace) -> int:
    from ._cli_pack import _pack

    return _pack(args)


def _join(args: argparse.Namespace) -> int:
    from ._cli_pack import _join

    return _join(args)


def _unpack(args: argparse.Namespace) -> int:
    from ._cli_unpack import _unpack

    return _unpack(args)


def _list(args: argparse.Namespace) -> int:
    from ._cli_read import _list

    return _list(args)


def _cat(args: argparse.Namespace) -> int:
    from ._cli_read import _cat

    return _cat(args)


def _check(args: argparse.Namespace) -> int:
    from ._cli_read import _check

    return _check(args)


def _fmt(args: argparse.Namespace) -> int:
    from ._cli_read import _fmt

    return _fmt(args)


def _convert(args: argparse.Namespace) -> int:
    from ._cli_convert import _convert

    return _convert(args)


def _extract(args: argparse.Namespace) -> int:
    from ._cli_answer import _extract

    return _extract(args)


def _apply(args: argparse.Namespace) -> int:
    from ._cli_answer import _apply

    return _apply(args)
