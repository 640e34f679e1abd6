"""Hold interrupting signals back while a change on disk and its record happen together.

The command line turns SIGINT, SIGTERM and SIGHUP into exceptions, and the
library undoes its work on any exception. An exception that lands between
a system call and the line that records it would leave a file nobody knows
about, so every such pair runs inside [`held`][held].
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["held"]

_INTERRUPTS = frozenset(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT") if hasattr(signal, name)
)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Hold back interrupting signals; their Python handlers run once the block is over.

    Python runs signal handlers in the main thread only, so in another
    thread (and where the OS has no signal masks) this holds nothing back.
    """
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _INTERRUPTS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
