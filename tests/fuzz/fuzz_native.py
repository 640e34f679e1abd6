"""A libFuzzer harness (atheris) that holds the C accelerator equal to the pure path.

For every input, each public operation runs twice, once as the process is
(with ``seedbundle._speedups`` when it loaded) and once inside
``seedbundle._native.pure_path()``, and the two must give the same result,
or the same error with the same message and position:

- ``loads`` of the bytes and of their text, strict and lenient, and ``load``,
  and ``loads`` of the bytes cut short by one byte and without a final newline;
- the streaming reader at chunk sizes from 1 byte up, its random access
  (``names()`` and ``reader[name]``) and byte ranges;
- a base64 entry whose body is the input, and one whose body is the input
  encoded, cut short or not;
- ``dumps``, ``dumps(sha256=True)`` and the writer's bytes for a bundle made
  of the input's pieces, and ``loads`` of what they wrote.

It covers whatever C code the accelerator holds, because it calls only the
public API. Run under the sanitizers by tests/fuzz/sanitized.py (which see
for a long run); run directly, it fuzzes whatever build is importable::

    python tests/fuzz/fuzz_native.py /tmp/corpus tests/data/valid -max_total_time=600
"""

from __future__ import annotations

import base64
import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any


def _instrumented() -> contextlib.AbstractContextManager[Any]:
    # Coverage feedback needs seedbundle imported under instrumentation; a
    # test that only imports check() runs it without atheris. Under a
    # preloaded sanitizer runtime, which breaks the coverage feedback (see
    # tests/fuzz/sanitized.py), instrumenting would only slow each run.
    if __name__ != "__main__" or "libasan" in os.environ.get("LD_PRELOAD", ""):
        return contextlib.nullcontext()
    import atheris

    instrument: contextlib.AbstractContextManager[Any] = atheris.instrument_imports(include=["seedbundle"])
    return instrument


with _instrumented():
    import io

    from seedbundle import (
        Bundle,
        BundleDecodeError,
        BundleError,
        BundleReader,
        BundleWriter,
        Entry,
        _native,
        dumps,
        load,
        loads,
    )
    from seedbundle._native import pure_path

# The errors the public API documents; anything else escapes as a crash.
_EXPECTED = (BundleError, ValueError, TypeError, UnicodeError)
# Input pieces that become entries of a bundle to write.
_SEPARATOR = b"\x1d"


def _outcome(run: Callable[[], object]) -> tuple[object, ...]:
    """What ``run`` returned, or its error with everything a caller can see of it."""
    try:
        return ("ok", run())
    except BundleDecodeError as error:
        return ("error", type(error).__name__, error.msg, error.lineno, error.colno, error.pos, error.line)
    except _EXPECTED as error:
        return ("error", type(error).__name__, str(error))


def _both(label: str, data: bytes, run: Callable[[], object]) -> tuple[object, ...]:
    """Run ``run`` on the process's path and on the pure path; they must agree."""
    native = _outcome(run)
    with pure_path():
        pure = _outcome(run)
    if native != pure:
        raise AssertionError(
            f"the C and pure paths disagree on {label} of {data!r}:\n  C:    {native!r}\n  pure: {pure!r}"
        )
    return native


def _load(data: bytes, strict: bool) -> Bundle:
    return load(io.BytesIO(data), strict=strict)


def _read_stream(data: bytes, strict: bool, chunk_size: int) -> tuple[str, list[Entry]]:
    with BundleReader(io.BytesIO(data), strict=strict, chunk_size=chunk_size) as reader:
        entries = list(reader)
        return reader.comment, entries


def _random_access(data: bytes, strict: bool) -> list[object]:
    with BundleReader(io.BytesIO(data), strict=strict) as reader:
        names = reader.names()
        return [names, *(_outcome(functools.partial(reader.__getitem__, name)) for name in names[:8])]


def _read_range(data: bytes, strict: bool, size: int) -> list[Entry]:
    entries: list[Entry] = []
    for start in range(0, len(data) + 1, size):
        entries += BundleReader(io.BytesIO(data), strict=strict, byte_range=(start, start + size))
    return entries


def _chunk_sizes(size: int) -> Iterator[int]:
    if size <= 512:  # one byte at a time is slow on a long input
        yield 1
    yield from sorted({7, 64, size // 2 + 1})


def _check_ends(data: bytes) -> None:
    # Reading past the end of a buffer is the C bug to expect, and blind
    # mutation seldom lands on the last byte: also read the input cut short
    # by a byte and without its final newline.
    for cut in {data[:-1], data.rstrip(b"\r\n")} - {data}:
        for strict in (True, False):
            _both(
                f"loads(strict={strict}) of the input cut short",
                cut,
                functools.partial(loads, cut, strict=strict),
            )


def _check_reading(data: bytes) -> None:
    for strict in (True, False):
        read = _both(f"loads(strict={strict})", data, functools.partial(loads, data, strict=strict))
        _both(f"load(strict={strict})", data, functools.partial(_load, data, strict))
        with contextlib.suppress(UnicodeDecodeError):
            text = data.decode("utf-8")
            _both(f"loads(str, strict={strict})", data, functools.partial(loads, text, strict=strict))
        for size in _chunk_sizes(len(data)):
            _both(
                f"the reader at {size}-byte chunks", data, functools.partial(_read_stream, data, strict, size)
            )
        _both(f"random access (strict={strict})", data, functools.partial(_random_access, data, strict))
        if read[0] == "ok":
            size = max(1, len(data) // 3)
            _both(f"{size}-byte ranges", data, functools.partial(_read_range, data, strict, size))


def _check_base64(data: bytes) -> None:
    encoded = base64.encodebytes(data)  # 76 columns, as the writer lays them out
    for body in (data, encoded, encoded[:-2], encoded.replace(b"\n", b"\r\n")):
        bundle = (
            b"<<<FILE blob base64>>>\n" + body + (b"" if body.endswith(b"\n") else b"\n") + b"<<<END 1>>>\n"
        )
        for strict in (True, False):
            _both(f"a base64 body (strict={strict})", bundle, functools.partial(loads, bundle, strict=strict))


def _entries(data: bytes) -> list[Entry]:
    """Entries made of the input: the whole as one, then each piece as a name line and a body."""
    entries = [Entry("whole.bin", data)]
    for index, piece in enumerate(data.split(_SEPARATOR)[:12]):
        name, _, body = piece.partition(b"\n")
        entries.append(
            Entry(name.decode("utf-8", "surrogateescape") or f"piece{index}", body, executable=index % 2 == 1)
        )
    return entries


def _bundle(data: bytes) -> Bundle:
    return Bundle(_entries(data))


def _write(data: bytes, sha256: bool) -> bytes:
    out = io.BytesIO()
    with BundleWriter(out, comment=data[:40].decode("utf-8", "replace"), sha256=sha256) as writer:
        for entry in _entries(data):
            writer.add(entry)
    return out.getvalue()


def _check_writing(data: bytes) -> None:
    made = _both("making entries", data, functools.partial(_bundle, data))
    if made[0] != "ok":
        return
    bundle = made[1]
    assert isinstance(bundle, Bundle)
    for sha256 in (False, True):
        text = _both(f"dumps(sha256={sha256})", data, functools.partial(dumps, bundle, sha256=sha256))
        _both(f"the writer (sha256={sha256})", data, functools.partial(_write, data, sha256))
        written = text[1] if text[0] == "ok" else None
        if isinstance(written, str) and _both("loads(dumps())", data, functools.partial(loads, written)) != (
            "ok",
            bundle,
        ):
            raise AssertionError(f"loads(dumps(b)) != b for the entries of {data!r}")


def check(data: bytes) -> None:
    """Raise AssertionError (or whatever escapes) if the two paths disagree on ``data``."""
    _check_reading(data)
    _check_ends(data)
    _check_base64(data)
    _check_writing(data)


def main() -> None:
    """Fuzz until libFuzzer stops: a disagreement is reported as a crash."""
    import atheris

    accelerator = _native.speedups
    where = accelerator.__file__ if accelerator is not None else "none: both sides are the pure path"
    print(f"fuzz_native: the C accelerator is {where}", file=sys.stderr, flush=True)
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
