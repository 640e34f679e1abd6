"""The sdist and wheel are well formed, and the wheel works once installed.

The wheel is installed into a new virtual environment outside the source
tree, so that the test sees exactly what a user of the wheel gets. Building
and installing fetch the build backend and the runtime dependencies from the
package index.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]

pytestmark = pytest.mark.slow


def _run(*command: str | Path, cwd: Path = ROOT) -> str:
    env = {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "PYTHONHOME"}}
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
    return result.stdout


def _only(paths: list[Path]) -> Path:
    assert len(paths) == 1, paths
    return paths[0]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Build the sdist, then the wheel from it, as a release would."""
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--outdir", out, ROOT)
    return _only(sorted(out.glob("*.tar.gz"))), _only(sorted(out.glob("*.whl")))


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory: pytest.TempPathFactory, dist: tuple[Path, Path]) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    _run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    _run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", dist[1])
    return python


def test_names_carry_the_version(dist: tuple[Path, Path]) -> None:
    sdist, wheel = dist
    assert sdist.name == f"seedbundle-{VERSION}.tar.gz"
    assert wheel.name == f"seedbundle-{VERSION}-py3-none-any.whl"


def test_twine_check(dist: tuple[Path, Path]) -> None:
    _run(sys.executable, "-m", "twine", "check", "--strict", *dist)


def test_check_wheel_contents(dist: tuple[Path, Path]) -> None:
    _run(sys.executable, "-m", "check_wheel_contents", dist[1])


def test_wheel_ships_grammar_and_type_marker(dist: tuple[Path, Path]) -> None:
    with zipfile.ZipFile(dist[1]) as wheel:
        names = set(wheel.namelist())
    assert {"seedbundle/grammar.lark", "seedbundle/py.typed", "seedbundle/__init__.py"} <= names
    assert "seedbundle/instructions.txt" in names
    assert not any(name.startswith(("tests/", "docs/")) for name in names)


def test_sdist_holds_sources_tests_and_docs(dist: tuple[Path, Path]) -> None:
    with tarfile.open(dist[0]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    expected = {
        "pyproject.toml",
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        "mkdocs.yml",
        "src/seedbundle/grammar.lark",
        "docs/index.md",
        "tests/test_wheel.py",
    }
    assert expected <= names


def test_installed_wheel_round_trips(venv_python: Path, tmp_path: Path) -> None:
    script = """
import importlib.resources, pathlib, sys
import seedbundle

assert pathlib.Path(seedbundle.__file__).is_relative_to(sys.prefix), seedbundle.__file__
grammar = importlib.resources.files("seedbundle").joinpath("grammar.lark").read_text("utf-8")
assert "start:" in grammar

bundle = seedbundle.Bundle(
    [
        seedbundle.Entry("a.txt", "no final newline"),
        seedbundle.Entry("<<<odd name>>>", "<<<END 0>>>\\n"),
        seedbundle.Entry("bin/tool", bytes(range(256)), executable=True),
    ],
    comment="from the installed wheel",
)
text = seedbundle.dumps(bundle)
assert seedbundle.loads(text) == bundle
assert seedbundle.loads(seedbundle.dumps(bundle, sha256=True)) == bundle
print(seedbundle.__version__)
"""
    # Run from an empty directory, so that nothing from the source tree is importable.
    assert _run(venv_python, "-c", script, cwd=tmp_path).strip() == VERSION


def test_installed_command_reports_the_version(venv_python: Path, tmp_path: Path) -> None:
    # argparse's customary "PROG VERSION" form, or the bare version.
    expected = {VERSION, f"seedbundle {VERSION}"}
    command = venv_python.parent / "seedbundle"
    assert _run(command, "--version", cwd=tmp_path).strip() in expected
    assert _run(venv_python, "-m", "seedbundle", "--version", cwd=tmp_path).strip() in expected


def test_installed_wheel_registers_the_pytest_plugin(venv_python: Path, tmp_path: Path) -> None:
    script = """
import importlib.metadata, importlib.util
(plugin,) = [entry for entry in importlib.metadata.entry_points(group="pytest11") if entry.name == "seedbundle"]
assert plugin.value == "seedbundle.pytest_plugin", plugin.value
assert importlib.util.find_spec(plugin.value) is not None
assert importlib.util.find_spec("seedbundle.syrupy") is not None
print("registered")
"""
    assert _run(venv_python, "-c", script, cwd=tmp_path).strip() == "registered"
