"""The ``seedbundle`` command: pack, unpack, list, cat, check, fmt and join."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import json
import os
import shlex
import signal
import sys
import threading
import time
import types
import unicodedata
import warnings
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import version
from typing import IO, Any, NoReturn

from tqdm import tqdm

from ._api import dumps, loads
from ._apply import ApplyPlan, apply, plan_apply, read_change
from ._atomic import atomic_output
from ._convert_codes import READ_FORMATS, WRITE_FORMATS, ConvertError
from ._encoder import encode_entry
from ._errors import BundleDecodeError, BundleError, PackWarning, UnpackError
from ._extract import extract
from ._extract_result import Extraction
from ._ignore import PatternError, compile_patterns
from ._model import Bundle, Entry
from ._names import check_names
from ._pack import pack_to
from ._profile import PromptProfile
from ._remote import is_url, open_url_for_reading, output_for_url
from ._select import Ignored
from ._stream import open as open_bundle
from ._syntax import encode_name
from ._unpack import Plan, plan_entries, reader_source, unpack_entries
from ._volumes import _estimated_tokens, join, pack_volumes, volume_path

__all__ = ["main"]

PROGRAM = "seedbundle"
STDIO = "-"
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


class _Failure(Exception):
    """A problem to report in one line, with exit status 1."""


class _UsageError(Exception):
    """A problem with how the command was called, to report in one line, with exit status 2."""


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


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)


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


def _command(
    commands: Any, name: str, help: str, run: Callable[[argparse.Namespace], int], epilog: str
) -> argparse.ArgumentParser:
    command: argparse.ArgumentParser = commands.add_parser(
        name,
        help=help,
        description=help[0].upper() + help[1:] + ".",
        epilog="example:\n  " + epilog,
        formatter_class=_Formatter,
    )
    command.set_defaults(run=run)
    return command


def _add_reading(command: argparse.ArgumentParser) -> None:
    group = command.add_mutually_exclusive_group()
    group.add_argument(
        "--strict",
        dest="strict",
        action="store_true",
        default=True,
        help="accept only what seedbundle writes (the default)",
    )
    group.add_argument(
        "--lenient",
        dest="strict",
        action="store_false",
        help="also accept what people and language models write: no END marker, CRLF"
        " marker lines, a byte order mark",
    )


def _add_bundle(command: argparse.ArgumentParser) -> None:
    command.add_argument("bundle", metavar="BUNDLE", help="the bundle file, or - for stdin")


def _add_output(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default=STDIO,
        help="write to FILE (replaced only once complete) instead of stdout",
    )


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
        help="write volumes of at most N tokens each (estimated tokens, UTF-8 bytes / 4,"
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


# -- input and output ----------------------------------------------------


class _ClosedStream:
    """Stands for standard input or output when its file descriptor was closed at start.

    Python then sets ``sys.stdin`` or ``sys.stdout`` to None, so the first
    use would fail with an AttributeError. A command that never uses the
    stream still runs (``pack DIR -o FILE >&-``).
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> NoReturn:
        raise _UsageError(f"standard {self._name} is closed")


class _Discard(io.TextIOBase):
    """Stands for a closed standard error: messages are lost, but the exit status still tells."""

    def write(self, text: str) -> int:
        return len(text)


@contextlib.contextmanager
def _standard_streams() -> Iterator[None]:
    """Replace the standard streams that are None for as long as the command runs."""
    stand_ins: dict[str, object] = {
        "stdin": _ClosedStream("input"),
        "stdout": _ClosedStream("output"),
        "stderr": _Discard(),
    }
    closed = [name for name in stand_ins if getattr(sys, name) is None]
    for name in closed:
        setattr(sys, name, stand_ins[name])
    try:
        yield
    finally:
        for name in closed:
            setattr(sys, name, None)


def _label(path: str) -> str:
    return "<stdin>" if path == STDIO else path


@contextlib.contextmanager
def _input(path: str) -> Iterator[IO[bytes]]:
    if path == STDIO:
        yield sys.stdin.buffer
        return
    if is_url(path):
        with contextlib.closing(open_url_for_reading(path, None)) as remote:
            yield remote
        return
    with open(path, "rb") as file:
        yield file


@contextlib.contextmanager
def _output(path: str) -> Iterator[IO[bytes]]:
    if path == STDIO:
        sys.stdout.flush()
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    if is_url(path):
        yield from _remote_output(path)
        return
    with atomic_output(path) as output:
        yield output.file


def _remote_output(url: str) -> Iterator[IO[bytes]]:
    """The output at a URL, committed only if the command succeeds; options come from fsspec's config."""
    output = output_for_url(url, None)
    try:
        yield output.file
    except BaseException:
        output.discard()
        raise
    output.commit()


def _print(text: str) -> None:
    """Print a line as UTF-8, whatever the locale says stdout holds."""
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace") + b"\n")
    sys.stdout.buffer.flush()


def _error(message: str) -> None:
    sys.stderr.write(f"{PROGRAM}: error: {message}\n")


def _internal_error(error: Exception) -> None:
    kind = type(error)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    text = " ".join(str(error).split())  # one line, whatever the message holds
    sys.stderr.write(f"{PROGRAM}: internal error: {name}: {text} (please report this)\n")


def _describe_os_error(error: OSError) -> str:
    reason = error.strerror or str(error)
    if error.filename is not None:
        return f"{os.fsdecode(error.filename)}: {reason}"
    return reason


# What a shell reports for a program that SIGPIPE stopped, as `cat` would be in
# `cat big | head -1`: the reader stopped reading, which is neither success
# nor the exit status 1 of an invalid bundle.
_BROKEN_PIPE = 128 + 13


def _silence_stdout() -> None:
    """After a closed pipe, stop Python from failing again when it flushes stdout at exit."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


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


# -- error display -------------------------------------------------------


# The library's hints name its keyword arguments, sometimes beside the option;
# on the command line only the option means anything.
_OPTION_HINTS = (
    ("strict=False", "--lenient"),
    ("overwrite=True", "--force"),
    ("allow_case_conflicts=True, or --allow-case-conflicts,", "--allow-case-conflicts"),
    ("allow_case_conflicts=True", "--allow-case-conflicts"),
    ("symlinks='skip' / --skip-symlinks", "--skip-symlinks"),
    ("symlinks='follow' / --follow-symlinks", "--follow-symlinks"),
)


def _for_the_command_line(message: str) -> str:
    for keyword, option in _OPTION_HINTS:
        message = message.replace(keyword, option)
    return message


def _message(error: BundleDecodeError) -> str:
    return _for_the_command_line(error.msg)


def _show_decode_error(label: str, error: BundleDecodeError) -> None:
    line, caret = _point_at(error.line, error.colno)
    sys.stderr.write(f"{label}:{error.lineno}:{error.colno}: {_message(error)}\n{line}\n{caret}\n")


_WINDOW = 100


def _point_at(line: str, colno: int) -> tuple[str, str]:
    """The line made safe to print, and a caret under column ``colno``.

    Control and formatting characters are shown escaped, so that a hostile
    bundle cannot drive the terminal, and a wide character takes two columns
    of the caret line. A long line is cut to a window around the column.
    """
    index = max(colno - 1, 0)
    start = max(0, min(index - _WINDOW // 2, len(line) - _WINDOW))
    end = start + _WINDOW
    shown: list[str] = ["..."] if start > 0 else []
    pad: list[str] = ["   "] if start > 0 else []
    for position, char in enumerate(line[start:end], start):
        text, width = _display(char)
        shown.append(text)
        if position < index:
            pad.append("\t" if char == "\t" else " " * width)
    if end < len(line):
        shown.append("...")
    return "".join(shown), "".join(pad) + "^"


def _display(char: str) -> tuple[str, int]:
    if char == "\t":
        return char, 1
    category = unicodedata.category(char)
    if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        text = f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
        return text, len(text)
    if category in ("Mn", "Me"):
        return char, 0
    return char, 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


# -- the commands --------------------------------------------------------


def _pack(args: argparse.Namespace) -> int:
    if args.max_bytes or args.max_tokens:
        return _pack_volumes(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PackWarning)
        try:
            files, size = _write_pack(args)
        finally:
            for warning in caught:
                if isinstance(warning.message, PackWarning):
                    sys.stderr.write(f"{PROGRAM}: {warning.message}\n")
    if not args.quiet:
        into = "<stdout>" if args.output == STDIO else args.output
        sys.stderr.write(f"{PROGRAM}: packed {_plural(files, 'file')}, {_plural(size, 'byte')} into {into}\n")
    return 0


def _pack_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options that pack_to and pack_volumes share, from the command line."""

    def ignored(item: Ignored) -> None:
        if args.list_ignored or (item.reason.startswith("prompt profile: ") and not args.quiet):
            _list_ignored(item)

    return {
        "comment": args.comment,
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
    budget, count = (args.max_bytes, None) if args.max_bytes else (args.max_tokens, _estimated_tokens)
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
        unit = "bytes" if args.max_bytes else "estimated tokens"
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


def _write_pack(args: argparse.Namespace) -> tuple[int, int]:
    """Pack as asked; the number of files and of their bytes."""
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
            # A URL is written through the command's output, committed only on success.
            target = stack.enter_context(_output(args.output)) if is_url(args.output) else args.output
            count = pack_to(
                args.directory,
                sys.stdout.buffer if args.output == STDIO else target,
                progress=progress,
                **_pack_options(args),
            )
    if args.output == STDIO:
        sys.stdout.buffer.flush()
    return count, total_bytes


def _list_ignored(ignored: Ignored) -> None:
    sys.stderr.write(f"{PROGRAM}: ignored {encode_name(ignored.name)} ({ignored.reason})\n")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _unpack(args: argparse.Namespace) -> int:
    with _input(args.bundle) as file, reader_source(file, strict=args.strict) as fresh:
        try:
            if args.dry_run:
                return _show_unpack_plan(plan_entries(fresh, args.directory, **_unpack_options(args)))
            with _progress("unpacking") as bar:

                def progress(entry: Entry, total: int) -> None:
                    if bar.total != total:
                        bar.total = total
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


def _count_files(count: int, kind: str = "") -> str:
    return f"{count} {kind}file" + ("" if count == 1 else "s")


def _lines_in_bundle(entry: Entry) -> int:
    """How many content lines the entry takes in the bundle, counted in what the writer writes."""
    _marker_line, *content = encode_entry(entry)
    return sum(piece.count(b"\n") for piece in content)


def _list(args: argparse.Namespace) -> int:
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


# -- extract and apply: a model's answer -----------------------------------


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
