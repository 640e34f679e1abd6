"""What ``seedbundle`` imports to start: only what the command it runs needs.

These tests look at ``sys.modules`` of a fresh interpreter, never at a
clock: start-up time is measured in benchmarks/bench.py. A new import on
the start-up path fails here until it is made lazy or added on purpose.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import seedbundle
from seedbundle import _version

SOURCE = str(Path(seedbundle.__file__).resolve().parent.parent)

# Runs the command line in-process, then reports which modules were loaded.
CHILD = """\
import json, sys
from seedbundle.__main__ import main
report = sys.argv.pop(1)
status = main(sys.argv[1:])
with open(report, "w", encoding="utf-8") as out:
    json.dump({"status": status, "modules": sorted(sys.modules)}, out)
"""

# All that --version and --help may load of seedbundle.
PARSER_MODULES = {
    "seedbundle",
    "seedbundle.__main__",
    "seedbundle._choices",
    "seedbundle._cli",
    "seedbundle._cli_base",
    "seedbundle._errors",
    "seedbundle._version",
}

# Third-party and standard modules that no command needs just to start.
HEAVY = {"tqdm", "attrs", "attr", "lark", "fsspec", "importlib.metadata", "importlib.resources", "tiktoken"}

# The machinery of writing, unpacking, converting and answers, which the reading commands never need.
NOT_FOR_READING = {
    "seedbundle._cli_pack",
    "seedbundle._cli_unpack",
    "seedbundle._cli_convert",
    "seedbundle._cli_answer",
    "seedbundle._pack",
    "seedbundle._select",
    "seedbundle._ignore",
    "seedbundle._volumes",
    "seedbundle._unpack",
    "seedbundle._dirs",
    "seedbundle._convert",
    "seedbundle._apply",
    "seedbundle._extract",
    "seedbundle._tokens",
    "tqdm",
    "lark",
    "fsspec",
    "importlib.metadata",
}


def loaded_by(tmp_path: Path, *argv: str) -> tuple[int, set[str]]:
    """The exit status of ``seedbundle ARGV`` and the modules it loaded, in a fresh interpreter."""
    report = tmp_path / "modules.json"
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([SOURCE, os.environ.get("PYTHONPATH", "")]))
    environment.pop("SEEDBUNDLE_TRACEBACK", None)
    subprocess.run(
        [sys.executable, "-c", CHILD, str(report), *argv],
        check=True,
        capture_output=True,
        env=environment,
        cwd=tmp_path,
        timeout=120,
    )
    result = json.loads(report.read_text(encoding="utf-8"))
    return result["status"], set(result["modules"])


def top_level(modules: set[str]) -> set[str]:
    """The modules and their packages: "importlib.metadata._meta" also counts as "importlib.metadata"."""
    names: set[str] = set()
    for module in modules:
        parts = module.split(".")
        names.update(".".join(parts[: depth + 1]) for depth in range(len(parts)))
    return names


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["pack", "--help"], ["apply", "--help"], []])
def test_the_parser_alone_loads_no_command_and_no_dependency(tmp_path: Path, argv: list[str]) -> None:
    status, modules = loaded_by(tmp_path, *argv)
    assert status == (2 if not argv else 0)
    assert {module for module in modules if module.startswith("seedbundle")} <= PARSER_MODULES
    assert top_level(modules) & HEAVY == set()


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    path = tmp_path / "sample.bundle"
    path.write_text(seedbundle.dumps(seedbundle.Bundle([seedbundle.Entry("a.txt", "A\n")])), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ["list", "{bundle}"],
        ["list", "--long", "{bundle}"],
        ["cat", "{bundle}", "a.txt"],
        ["check", "{bundle}"],
        ["fmt", "{bundle}", "-o", "{bundle}.fmt"],
    ],
)
def test_the_reading_commands_load_no_packer_unpacker_or_converter(
    tmp_path: Path, bundle: Path, argv: list[str]
) -> None:
    status, modules = loaded_by(tmp_path, *(arg.format(bundle=bundle) for arg in argv))
    assert status == 0
    assert "seedbundle._cli_read" in modules  # the command really ran
    assert top_level(modules) & NOT_FOR_READING == set()


def test_pack_and_unpack_without_a_terminal_load_no_progress_bar(tmp_path: Path) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a.txt").write_bytes(b"A\n")
    out = tmp_path / "out.bundle"
    status, modules = loaded_by(tmp_path, "pack", str(tmp_path / "tree"), "-o", str(out))
    assert (status, "seedbundle._pack" in modules) == (0, True)
    assert (
        top_level(modules)
        & {"tqdm", "importlib.metadata", "seedbundle._unpack", "seedbundle._apply", "seedbundle._volumes"}
        == set()
    )
    status, modules = loaded_by(tmp_path, "unpack", str(out), "-C", str(tmp_path / "copy"))
    assert (status, (tmp_path / "copy" / "a.txt").read_bytes()) == (0, b"A\n")
    assert (
        top_level(modules) & {"tqdm", "importlib.metadata", "seedbundle._pack", "seedbundle._apply"} == set()
    )


def test_the_version_is_the_one_in_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    from seedbundle._cli import main

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"seedbundle {importlib.metadata.version('seedbundle')}\n"


@pytest.mark.parametrize(
    ("name", "metadata"),
    [
        ("seedbundle-9.8.7.dist-info", "METADATA"),
        ("seedbundle.egg-info", "PKG-INFO"),
        ("seedbundle-9.8.7-py3.11.egg-info", None),  # an old egg-info that is a file, not a directory
    ],
)
def test_the_version_is_read_where_importlib_metadata_finds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, metadata: str | None
) -> None:
    headers = "Metadata-Version: 2.1\nName: seedbundle\nVersion: 9.8.7\n\nVersion: not a header\n"
    path = tmp_path / name
    if metadata is None:
        path.write_text(headers, encoding="utf-8")
    else:
        path.mkdir()
        (path / metadata).write_text(headers, encoding="utf-8")
    (tmp_path / "seedbundle_other-1.0.dist-info").mkdir()  # another project: not taken for ours
    monkeypatch.setattr(sys, "path", [str(tmp_path / "missing"), str(tmp_path), *sys.path])
    assert _version.installed_version() == importlib.metadata.version("seedbundle") == "9.8.7"


def test_without_a_metadata_directory_importlib_metadata_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", [])
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        _version.installed_version()
