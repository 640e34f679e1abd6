"""Shared pytest configuration."""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Registered here because --strict-markers rejects unknown markers.
    config.addinivalue_line(
        "markers", "slow: builds or installs packages (runs by default; deselect with -m 'not slow')"
    )
    _require_native()


def _require_native() -> None:
    """Stop the session when SEEDBUNDLE_REQUIRE_NATIVE=1 and the accelerator did not load.

    CI sets it for its native run, so that a build that quietly fell back to
    the pure path cannot pass as a test of the C code.
    """
    if os.environ.get("SEEDBUNDLE_REQUIRE_NATIVE") != "1":
        return
    from seedbundle import _native

    if _native.speedups is not None:
        return
    raise pytest.UsageError(
        f"SEEDBUNDLE_REQUIRE_NATIVE=1, but the C accelerator seedbundle._speedups did not load: {_why_pure()}"
    )


def _why_pure() -> str:
    if os.environ.get("SEEDBUNDLE_PURE") == "1":
        return "SEEDBUNDLE_PURE=1 forces the pure-Python path"
    from seedbundle import _native

    try:
        from seedbundle import _speedups
    except ImportError as error:
        return f"{error} (build it: python -m pip install -e . with a C compiler)"
    found = getattr(_speedups, "ABI_VERSION", None)
    return f"{_speedups.__file__} is a stale build (ABI_VERSION {found}, expected {_native.ABI_VERSION}): rebuild it"


def pytest_report_header() -> str:
    from seedbundle import _native

    if _native.speedups is None:
        return "seedbundle: pure-Python path (no C accelerator)"
    return f"seedbundle: C accelerator {_native.speedups.__file__}"
