"""The build configuration says what the release builds, and stays complete.

setuptools ships only the package data that pyproject.toml lists and
compiles only the C files that setup.py lists, so a new file in either place
must be named there; and [tool.cibuildwheel] must select one CPython
3.11-3.13 set of wheels per platform. cibuildwheel only prints what it
would build here: building needs containers or the other systems.
"""

from __future__ import annotations

import ast
import os
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
PACKAGE = ROOT / "src" / "seedbundle"
CIBUILDWHEEL = PYPROJECT["tool"]["cibuildwheel"]


def _setup_sources() -> list[str]:
    tree = ast.parse((ROOT / "setup.py").read_text("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "_SOURCES" for target in node.targets
        ):
            value = ast.literal_eval(node.value)
            assert isinstance(value, list)
            return [str(name) for name in value]
    pytest.fail("setup.py has no _SOURCES list")


def test_every_c_file_is_compiled() -> None:
    assert sorted(_setup_sources()) == sorted(path.name for path in (PACKAGE / "_c").glob("*.c"))


def test_every_data_file_of_the_package_is_package_data() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["package-data"]["seedbundle"])
    data = {
        path.name
        for path in PACKAGE.iterdir()
        if path.is_file() and path.suffix not in {".py", ".so", ".pyd", ".pyc"}
    }
    assert data == listed, "list the package's data files in [tool.setuptools.package-data]"


def _identifiers(platform: str, arch: str = "auto64") -> list[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CIBW_")}
    command = [sys.executable, "-m", "cibuildwheel", "--print-build-identifiers", "--platform", platform]
    result = subprocess.run(
        [*command, "--archs", arch, str(ROOT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize(
    ("platform", "arch", "tags"),
    [
        ("linux", "x86_64", ["manylinux_x86_64", "musllinux_x86_64"]),
        ("linux", "aarch64", ["manylinux_aarch64", "musllinux_aarch64"]),
        ("macos", "arm64", ["macosx_arm64"]),
        ("macos", "x86_64", ["macosx_x86_64"]),
        ("windows", "AMD64", ["win_amd64"]),
    ],
)
def test_cibuildwheel_builds_cpython_311_to_313(platform: str, arch: str, tags: list[str]) -> None:
    pytest.importorskip("cibuildwheel", reason="cibuildwheel is in the 'test' extra")
    expected = sorted(f"cp3{minor}-{tag}" for minor in (11, 12, 13) for tag in tags)
    assert sorted(_identifiers(platform, arch)) == expected


def test_cibuildwheel_requires_the_accelerator_and_checks_it_loaded() -> None:
    assert CIBUILDWHEEL["environment"]["SEEDBUNDLE_REQUIRE_SPEEDUPS"] == "1"
    # The check runs from a directory that holds only the test sources.
    command = shlex.split(CIBUILDWHEEL["test-command"])
    assert command[:2] == ["python", "wheel_smoke.py"]
    assert command[2] == "native"
    assert [Path(source).name for source in CIBUILDWHEEL["test-sources"]] == ["wheel_smoke.py"]
    assert all((ROOT / source).is_file() for source in CIBUILDWHEEL["test-sources"])


def _pytest_with(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # Collect one small file only: the guard runs when the session configures.
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q"]
    return subprocess.run(
        [*command, "--basetemp", str(tmp_path / "basetemp"), str(ROOT / "tests" / "test_layers.py")],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_native_run_stops_when_the_accelerator_did_not_load(tmp_path: Path) -> None:
    # What CI's native run relies on: with the accelerator switched off, the
    # session must fail at once and say why, not pass on the pure path.
    result = _pytest_with({"SEEDBUNDLE_REQUIRE_NATIVE": "1", "SEEDBUNDLE_PURE": "1"}, tmp_path)
    assert result.returncode not in {0, 5}, result.stdout
    assert "SEEDBUNDLE_REQUIRE_NATIVE=1, but the C accelerator seedbundle._speedups did not load" in (
        result.stdout + result.stderr
    )
    assert "SEEDBUNDLE_PURE=1 forces the pure-Python path" in result.stdout + result.stderr


def test_a_native_run_goes_on_when_the_accelerator_loaded(tmp_path: Path) -> None:
    from seedbundle import _native

    if _native.speedups is None:
        pytest.skip("the accelerator is not loaded here (not built, or SEEDBUNDLE_PURE=1)")
    result = _pytest_with({"SEEDBUNDLE_REQUIRE_NATIVE": "1"}, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_readme_command_then_the_pure_path() -> None:
    script = (ROOT / ".ci" / "run").read_text("utf-8")
    readme = (ROOT / "README.md").read_text("utf-8")
    command = 'python -m pip install -e ".[test]" && python -m pytest'
    assert command in readme
    assert f"{command} || native=$?" in script
    assert "SEEDBUNDLE_PURE=1 python -m pytest || pure=$?" in script
    assert "export SEEDBUNDLE_REQUIRE_SPEEDUPS=1" in script
    assert script.index("export SEEDBUNDLE_REQUIRE_NATIVE=1") < script.index(command)
