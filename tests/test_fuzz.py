"""Run the atheris harness in tests/fuzz for a short while, and check its checks."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from seedbundle import Bundle, Entry

TESTS = Path(__file__).parent
HARNESS = TESTS / "fuzz" / "fuzz_loads.py"
SEEDS = [TESTS / "data" / "valid", TESTS / "data" / "invalid"]


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_loads", HARNESS)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_harness_checks_pass_on_the_corpus() -> None:
    check = _harness().check
    for folder in SEEDS:
        for path in sorted(folder.glob("*.bundle")):
            check(path.read_bytes())


def test_the_harness_catches_parsers_that_disagree(monkeypatch: pytest.MonkeyPatch) -> None:
    harness = _harness()
    monkeypatch.setattr(harness, "parse_with_grammar", lambda data, strict: Bundle([Entry("x")]))
    with pytest.raises(AssertionError, match="parsers disagree"):
        harness.check(b"<<<END 0>>>\n")


def test_the_harness_lets_foreign_exceptions_escape(monkeypatch: pytest.MonkeyPatch) -> None:
    harness = _harness()

    def broken(data: bytes, strict: bool) -> Bundle:
        raise IndexError("a bug")

    monkeypatch.setattr(harness, "parse_with_grammar", broken)
    with pytest.raises(IndexError):
        harness.check(b"<<<END 0>>>\n")


def test_fuzzing_finds_no_crash(tmp_path: Path) -> None:
    try:
        import atheris  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("atheris is required in CI: install the 'test' extra")
        pytest.skip("atheris is not installed (pip install atheris), so the fuzzer cannot run")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    command = [
        sys.executable,
        str(HARNESS),
        str(corpus),
        *map(str, SEEDS),
        f"-dict={HARNESS.parent / 'bundle.dict'}",
        "-max_total_time=20",
        "-max_len=4096",
        "-timeout=30",
        f"-artifact_prefix={tmp_path}/",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    crashes = sorted(path.name for path in tmp_path.glob("crash-*"))
    report = f"inputs that failed: {crashes}\n{result.stderr[-6000:]}"
    assert not crashes, report
    assert result.returncode == 0, report
    assert "Done " in result.stderr
