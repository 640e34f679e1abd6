"""A libFuzzer harness (atheris) for loads and the two parsers.

For every input, in strict and lenient mode:

- loads returns a Bundle or raises BundleDecodeError, nothing else;
- the fast scanner and the Lark reference parser give the same Bundle, or
  the same error at the same position;
- a Bundle read survives loads(dumps(bundle)) == bundle;
- byte ranges that tile the input yield the Bundle's entries, in order.

Run it by hand with a scratch corpus first (libFuzzer writes new inputs
into the first directory) and the conformance corpus as seeds::

    python tests/fuzz/fuzz_loads.py /tmp/corpus tests/data/valid -max_total_time=600
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any


def _instrumented() -> contextlib.AbstractContextManager[Any]:
    # Coverage feedback needs seedbundle imported under instrumentation; a
    # test that only imports check() runs it without atheris.
    if __name__ != "__main__":
        return contextlib.nullcontext()
    import atheris

    instrument: contextlib.AbstractContextManager[Any] = atheris.instrument_imports(include=["seedbundle"])
    return instrument


with _instrumented():
    import io

    from seedbundle import Bundle, BundleDecodeError, BundleReader, Entry, dumps, loads
    from seedbundle._reference import parse_with_grammar
    from seedbundle._scanner import scan


def _outcome(parse: Any, data: bytes | str, strict: bool) -> Bundle | tuple[object, ...]:
    try:
        bundle = parse(data, strict=strict)
    except BundleDecodeError as error:
        return (error.msg, error.lineno, error.colno, error.pos, error.line)
    if not isinstance(bundle, Bundle):
        raise TypeError(f"the parser returned {type(bundle).__name__}, not a Bundle")
    return bundle


def check(data: bytes) -> None:
    """Raise AssertionError (or whatever escapes) if a property does not hold."""
    for strict in (True, False):
        scanned = _outcome(loads, data, strict)
        reference = _outcome(parse_with_grammar, data, strict)
        if scanned != reference:
            raise AssertionError(
                f"parsers disagree (strict={strict}) on {data!r}:\n"
                f"  scanner:   {scanned!r}\n  reference: {reference!r}"
            )
        if _outcome(scan, data, strict) != scanned:
            raise AssertionError(f"loads and scan disagree (strict={strict}) on {data!r}")
        with contextlib.suppress(UnicodeDecodeError):
            if _outcome(loads, data.decode("utf-8"), strict) != scanned:
                raise AssertionError(f"str and bytes read differently (strict={strict}): {data!r}")
        if isinstance(scanned, Bundle) and loads(dumps(scanned)) != scanned:
            raise AssertionError(f"loads(dumps(b)) != b for b = loads({data!r}, strict={strict})")
        if isinstance(scanned, Bundle):
            _check_ranges(data, scanned, strict)


def _check_ranges(data: bytes, bundle: Bundle, strict: bool) -> None:
    # A few ranges per input, so that a long input stays cheap to check.
    for size in {max(1, len(data) // 7), len(data) // 2 + 1}:
        entries: list[Entry] = []
        for start in range(0, len(data) + 1, size):
            entries += BundleReader(io.BytesIO(data), strict=strict, byte_range=(start, start + size))
        if entries != list(bundle.entries):
            raise AssertionError(f"ranges of {size} bytes disagree with loads (strict={strict}) on {data!r}")


def main() -> None:
    """Fuzz until libFuzzer stops: a failed check is reported as a crash."""
    import atheris

    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
