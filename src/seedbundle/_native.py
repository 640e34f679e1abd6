"""The optional C accelerator, ``seedbundle._speedups``, or ``None``.

The Python modules look up [`speedups`][speedups] at call time, as
``_native.speedups``, never with ``from ._native import speedups``, so that
tests and benchmarks can switch one process between the two paths with
[`pure_path`][pure_path]. ``SEEDBUNDLE_PURE=1`` in the environment forces
the pure-Python path for the whole process.

The C functions only ever decline: for any input they do not handle in the
common way, they hand it back and the Python code decides, so both paths give
the same results and the same errors.

    >>> from seedbundle import _native
    >>> with _native.pure_path():
    ...     _native.speedups is None
    True
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from types import ModuleType

__all__ = ["ABI_VERSION", "pure_path", "speedups"]

#: The contract version this Python code expects of the C module (see speedups.c).
ABI_VERSION = 2


def _load() -> ModuleType | None:
    if os.environ.get("SEEDBUNDLE_PURE") == "1":
        return None
    try:
        from . import _speedups
    except ImportError:
        return None
    if getattr(_speedups, "ABI_VERSION", None) != ABI_VERSION:
        return None  # a stale build from an older checkout
    return _speedups


#: The loaded accelerator, or ``None`` on the pure-Python path.
speedups: ModuleType | None = _load()


@contextlib.contextmanager
def pure_path() -> Iterator[None]:
    """Run the block on the pure-Python path, then restore the accelerator.

    >>> from seedbundle import _native, loads
    >>> with pure_path():
    ...     loads("<<<END 0>>>\\n").entries
    ()
    """
    global speedups
    saved = speedups
    speedups = None
    try:
        yield
    finally:
        speedups = saved
