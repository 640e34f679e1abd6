"""What every command of ``seedbundle`` shares: its errors, streams, messages and option helpers."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import types
import unicodedata
from collections.abc import Callable, Iterator
from typing import IO, Any, NoReturn, Protocol, Self

from ._errors import BundleDecodeError

# Each command imports what it needs when it runs; this module, which every
# command and `seedbundle --version` load, imports the file and URL
# machinery only inside the functions that use it.

PROGRAM = "seedbundle"
STDIO = "-"


class _Failure(Exception):
    """A problem to report in one line, with exit status 1."""


class _UsageError(Exception):
    """A problem with how the command was called, to report in one line, with exit status 2."""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)


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
    from ._remote import is_url, open_url_for_reading

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
    from ._atomic import atomic_output
    from ._remote import is_url

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
    from ._remote import output_for_url

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


def _silence_stdout() -> None:
    """After a closed pipe, stop Python from failing again when it flushes stdout at exit."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


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


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _count_files(count: int, kind: str = "") -> str:
    return f"{count} {kind}file" + ("" if count == 1 else "s")


_PROGRESS_DELAY = 1.0  # seconds: a quick run shows no bar at all


class _Bar(Protocol):
    """What the commands use of a progress bar: tqdm's, or the one of a run without a terminal."""

    total: float | int | None

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: types.TracebackType | None
    ) -> None: ...

    def update(self, n: float | None = 1) -> bool | None: ...

    def refresh(self) -> None: ...


class _NoBar:
    """The progress bar when stderr is no terminal: tqdm would show nothing, so it is not even imported."""

    def __init__(self) -> None:
        self.total: float | int | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: types.TracebackType | None
    ) -> None:
        return None

    def update(self, n: float | None = 1) -> bool | None:
        return None

    def refresh(self) -> None:
        return None


def _progress(description: str, unit: str, **options: Any) -> _Bar:
    """A progress bar on stderr that shows only on a terminal, and only after a second."""
    if not sys.stderr.isatty():
        return _NoBar()
    from tqdm import tqdm  # about 25 ms: loaded only where a bar can show

    bar: tqdm[Any] = tqdm(
        desc=description, unit=unit, file=sys.stderr, delay=_PROGRESS_DELAY, leave=False, **options
    )
    return bar


def _counter(encoding: str) -> Callable[[str], int]:
    """The token counter of ``encoding``; a missing extra is a failure to report, not a usage error."""
    from ._tokens import token_counter

    try:
        return token_counter(encoding)  # type: ignore[arg-type]
    except ImportError as error:
        raise _Failure(str(error)) from None
