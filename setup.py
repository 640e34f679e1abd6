"""Builds seedbundle's optional C accelerator, seedbundle._speedups.

Everything else about the package is in pyproject.toml. The extension is
optional: when it cannot be compiled (no compiler, no Python headers), the
build says so and goes on, and seedbundle runs on its pure-Python path.
"""

from __future__ import annotations

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

_SOURCES = ["speedups.c", "scan.c", "write.c"]


class _OptionalBuildExt(build_ext):
    """A build_ext whose failure leaves the pure-Python package."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # any failure means: no accelerator
            self._skip(error)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as error:
            self._skip(error)

    def _skip(self, error: BaseException) -> None:
        if _required():
            raise error
        print(
            f"seedbundle: building the C accelerator failed ({error}); using the pure-Python path",
            file=sys.stderr,
        )


def _required() -> bool:
    """Whether a failed build of the accelerator fails the install (CI, release wheels)."""
    return os.environ.get("SEEDBUNDLE_REQUIRE_SPEEDUPS") == "1"


def _extensions() -> list[Extension]:
    if os.environ.get("SEEDBUNDLE_PURE_BUILD") == "1":
        return []
    return [
        Extension(
            "seedbundle._speedups",
            sources=[f"src/seedbundle/_c/{name}" for name in _SOURCES],
            depends=["src/seedbundle/_c/speedups.h"],
            define_macros=[("Py_LIMITED_API", "0x030B0000")],
            py_limited_api=True,
            # An optional extension's error is swallowed by setuptools itself,
            # before _skip could raise it.
            optional=not _required(),
        )
    ]


_EXTENSIONS = _extensions()
# One wheel for CPython 3.11 and every later one (cp311-abi3-PLATFORM); a
# build without the extension is the pure py3-none-any wheel.
_OPTIONS = {"bdist_wheel": {"py_limited_api": "cp311"}} if _EXTENSIONS else {}

setup(ext_modules=_EXTENSIONS, cmdclass={"build_ext": _OptionalBuildExt}, options=_OPTIONS)
