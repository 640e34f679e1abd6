"""Linters, the type checker and the shape of the public API.

The linters run here, as tests, so that the one ``python -m pytest`` command
covers every check. Their configuration lives in pyproject.toml.
"""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from functools import cached_property
from pathlib import Path
from types import ModuleType

import pytest

import seedbundle

ROOT = Path(__file__).resolve().parent.parent


def _run_tool(*command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"


def test_ruff_check() -> None:
    _run_tool("ruff", "check", ".")


def test_ruff_format() -> None:
    _run_tool("ruff", "format", "--check", ".")


def test_mypy_strict() -> None:
    # The files to check are listed in pyproject.toml; --strict repeats the
    # config so that the check cannot be weakened there by accident.
    _run_tool("mypy", "--strict")


def _defined_here(module: ModuleType) -> set[str]:
    """Public names of ``module`` whose objects come from seedbundle itself.

    Names imported from elsewhere (typing helpers, ``from __future__``
    features, third-party modules) are not part of the API, and neither are
    submodules, which are reached as attributes.
    """
    # dir() and getattr(), not vars(): the package imports its names lazily.
    public = {name: getattr(module, name) for name in dir(module) if not name.startswith("_")}
    return {
        name
        for name, value in public.items()
        if not name.startswith("_")
        and not isinstance(value, ModuleType)
        and str(getattr(value, "__module__", "")).startswith("seedbundle")
    }


def test_all_lists_exactly_the_public_api() -> None:
    assert sorted(seedbundle.__all__) == sorted(_defined_here(seedbundle))
    assert len(seedbundle.__all__) == len(set(seedbundle.__all__)), "duplicates in __all__"


def test_all_names_the_contract() -> None:
    contract = {
        "loads",
        "dumps",
        "load",
        "dump",
        "open",
        "pack",
        "unpack",
        "Entry",
        "Bundle",
        "Article",
        "BundleError",
        "BundleDecodeError",
        "BundleEncodeError",
    }
    assert contract <= set(seedbundle.__all__)


def test_version_comes_from_the_package_metadata() -> None:
    from importlib.metadata import version

    assert seedbundle.__version__ == version("seedbundle")


def test_strategies_all_lists_its_strategies() -> None:
    strategies = importlib.import_module("seedbundle.strategies")
    assert {"names", "entries", "bundles", "articles"} <= set(strategies.__all__)
    assert sorted(strategies.__all__) == sorted(_defined_here(strategies))
    for name in strategies.__all__:
        assert inspect.getdoc(getattr(strategies, name)), f"strategies.{name} has no docstring"


def _public_members(cls: type) -> list[tuple[str, object]]:
    """The public methods and properties that ``cls`` itself defines."""
    kinds = (property, cached_property, classmethod, staticmethod)
    return [
        (name, member)
        for name, member in vars(cls).items()
        if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, kinds))
    ]


def _documented_objects() -> list[object]:
    objects: list[tuple[str, object]] = []
    for name in seedbundle.__all__:
        value = getattr(seedbundle, name)
        objects.append((name, value))
        if inspect.isclass(value):
            objects.extend((f"{name}.{member}", obj) for member, obj in _public_members(value))
    return [pytest.param(qualname, obj, id=qualname) for qualname, obj in objects]


@pytest.mark.parametrize(("qualname", "obj"), _documented_objects())
def test_public_api_has_docstring_with_example(qualname: str, obj: object) -> None:
    target = obj.__func__ if isinstance(obj, classmethod | staticmethod) else obj
    doc = inspect.getdoc(target) or ""
    assert doc, f"seedbundle.{qualname} has no docstring"
    assert "Example" in doc, f"the docstring of seedbundle.{qualname} has no Example section"
