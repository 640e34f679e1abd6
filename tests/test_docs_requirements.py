"""The ``docs`` extra holds everything that ``mkdocs build --strict`` needs.

``python -m pip install -e ".[docs]" && python -m mkdocs build --strict``
must work on a fresh clone. The fast tests read pyproject.toml and
mkdocs.yml and check that every theme, plugin, handler and Markdown extension
that mkdocs.yml names comes from a package that the extra names itself, not
from one that another package happens to pull in. The slow test runs the
command above in a new virtual environment, which fetches the packages from
the package index.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from mkdocs.utils.yaml import yaml_load

ROOT = Path(__file__).resolve().parent.parent
EXTRAS: dict[str, list[str]] = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"][
    "optional-dependencies"
]
with (ROOT / "mkdocs.yml").open(encoding="utf-8") as _config_file:
    MKDOCS: dict[str, Any] = yaml_load(_config_file)

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[0-9][0-9A-Za-z.+!-]*)$")
_SELF = re.compile(r"^seedbundle\[(?P<extras>[a-z0-9,-]+)\]$")


def _normalize(name: str) -> str:
    """A distribution name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(extra: str) -> dict[str, str]:
    """The exact pins of an extra, following the seedbundle[...] extras that it includes."""
    pins: dict[str, str] = {}
    for requirement in EXTRAS[extra]:
        included = _SELF.match(requirement)
        if included:
            for other in included["extras"].split(","):
                pins.update(_pins(other))
            continue
        pinned = _PIN.match(requirement)
        if pinned:
            pins[_normalize(pinned["name"])] = pinned["version"]
    return pins


def _distribution_of_module(module: str) -> str:
    spec = importlib.util.find_spec(module)
    assert spec is not None, f"no installed package provides {module!r}"
    assert spec.origin is not None, module
    candidates = importlib.metadata.packages_distributions().get(module.split(".", 1)[0], [])
    # A namespace package, such as mkdocstrings_handlers, has one provider per part.
    for name in candidates:
        files = importlib.metadata.distribution(name).files or []
        if any(Path(file.locate()).resolve() == Path(spec.origin).resolve() for file in files):
            return _normalize(name)
    pytest.fail(f"no installed package lists the file {spec.origin} of {module!r}")


def _distribution_of_entry_point(group: str, name: str) -> str:
    for entry_point in importlib.metadata.entry_points(group=group, name=name):
        assert entry_point.dist is not None
        return _normalize(entry_point.dist.name)
    pytest.fail(f"no installed package provides the {group} entry point {name!r}")


def _names(items: list[Any]) -> list[str]:
    """The names in a MkDocs list of plugins or extensions, with or without options."""
    return [item if isinstance(item, str) else next(iter(item)) for item in items]


def _needed_distributions() -> dict[str, str]:
    """What mkdocs.yml uses, mapped to the package that provides it."""
    needed = {"mkdocs": "mkdocs"}
    theme = MKDOCS["theme"]["name"]
    needed[f"theme {theme}"] = _distribution_of_entry_point("mkdocs.themes", theme)
    plugins = MKDOCS.get("plugins", [])
    for plugin in _names(plugins):
        needed[f"plugin {plugin}"] = _distribution_of_entry_point("mkdocs.plugins", plugin)
    for item in plugins:
        if isinstance(item, dict) and "mkdocstrings" in item:
            for handler in item["mkdocstrings"].get("handlers", {}):
                module = f"mkdocstrings_handlers.{handler}"
                needed[f"mkdocstrings handler {handler}"] = _distribution_of_module(module)
                options = item["mkdocstrings"]["handlers"][handler].get("options", {})
                if handler == "python" and options.get("extensions"):
                    # Our own Griffe extensions import griffe.
                    needed["Griffe extensions"] = _distribution_of_module("griffe")
    for extension in _names(MKDOCS.get("markdown_extensions", [])):
        # Python-Markdown finds a name without a dot among its own extensions.
        module = extension if "." in extension else f"markdown.extensions.{extension}"
        needed[f"Markdown extension {extension}"] = _distribution_of_module(module)
    return needed


def test_the_docs_extra_pins_exact_versions() -> None:
    for requirement in EXTRAS["docs"]:
        assert _SELF.match(requirement) or _PIN.match(requirement), (
            f"{requirement!r}: pin an exact version, as the test extra does"
        )


def test_the_docs_extra_provides_everything_mkdocs_yml_names() -> None:
    direct = {
        _normalize(match["name"]) for requirement in EXTRAS["docs"] if (match := _PIN.match(requirement))
    }
    missing = {what: dist for what, dist in _needed_distributions().items() if dist not in direct}
    assert missing == {}, "pyproject.toml's docs extra does not name: " + ", ".join(
        f"{dist} (for the {what})" for what, dist in missing.items()
    )


def test_the_docs_extra_installs_hypothesis_for_the_strategies_page() -> None:
    # The API page documents seedbundle.strategies, and mkdocstrings imports
    # it, which imports Hypothesis.
    assert "::: seedbundle.strategies" in (ROOT / "docs" / "reference" / "api.md").read_text("utf-8")
    assert "hypothesis" in _pins("docs")


def test_the_docs_extra_installs_datasets_for_the_huggingface_page() -> None:
    assert "::: seedbundle.huggingface" in (ROOT / "docs" / "reference" / "api.md").read_text("utf-8")
    assert "datasets" in _pins("docs")


def test_the_docs_extra_installs_ray_for_the_ray_data_section() -> None:
    # mkdocstrings imports seedbundle.ray for the API page, which imports Ray Data.
    assert "::: seedbundle.ray" in (ROOT / "docs" / "reference" / "api.md").read_text("utf-8")
    assert "seedbundle[ray]" in EXTRAS["docs"]
    assert EXTRAS["ray"] == [f"ray[data]=={importlib.metadata.version('ray')}"]


def test_the_test_extra_includes_the_docs_extra() -> None:
    included = {
        extra
        for requirement in EXTRAS["test"]
        if (match := _SELF.match(requirement))
        for extra in match["extras"].split(",")
    }
    assert "docs" in included


def test_a_package_pinned_twice_has_one_version() -> None:
    versions: dict[str, set[str]] = {}
    for requirements in EXTRAS.values():
        for requirement in requirements:
            if match := _PIN.match(requirement):
                versions.setdefault(_normalize(match["name"]), set()).add(match["version"])
    assert {name: pins for name, pins in versions.items() if len(pins) > 1} == {}


def _run(*command: str | Path, cwd: Path) -> str:
    # Nothing from this interpreter's environment may leak into the new one.
    env = {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "PYTHONHOME"}}
    env["NO_MKDOCS_2_WARNING"] = "1"
    # The docs need no C accelerator, and an editable install that built it
    # would rewrite src/seedbundle/_speedups*.so under this very test run.
    env["SEEDBUNDLE_PURE_BUILD"] = "1"
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@pytest.mark.slow
def test_the_docs_build_from_the_docs_extra_alone(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    pip = (python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check")
    _run(*pip, "-e", f"{ROOT}[docs]", cwd=tmp_path)
    _run(python, "-m", "mkdocs", "build", "--strict", "--site-dir", tmp_path / "site", cwd=ROOT)
    assert (tmp_path / "site" / "reference" / "api" / "index.html").is_file()
