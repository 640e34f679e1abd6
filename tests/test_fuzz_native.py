"""Fuzz the C accelerator under the sanitizers, and check the harness's own checks.

tests/fuzz/fuzz_native.py runs every public operation on the C and the pure
path and requires the same result or error; tests/fuzz/sanitized.py builds
the accelerator with AddressSanitizer and UBSan for it. The bounded run here
takes about half a minute; see tests/fuzz/sanitized.py for a long one.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from seedbundle import Bundle, BundleDecodeError

FUZZ = Path(__file__).parent / "fuzz"


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, FUZZ / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sanitized() -> ModuleType:
    return _module("sanitized")


@pytest.fixture(scope="module")
def sanitized_tree(sanitized: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The package with a sanitized accelerator, and that extension."""
    if os.environ.get("SEEDBUNDLE_PURE") == "1":
        pytest.skip("SEEDBUNDLE_PURE=1: the C code is fuzzed by the run on the accelerator")
    if sys.platform != "linux":
        pytest.skip("the sanitizer runtime is preloaded the Linux way (LD_PRELOAD)")
    missing = [name for name in ("atheris",) if importlib.util.find_spec(name) is None]
    if sanitized.compiler() is None:
        missing.append("a C compiler")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs {', '.join(missing)} to fuzz the C accelerator")
        pytest.skip(f"{', '.join(missing)} missing: the C accelerator cannot be fuzzed")
    tree = tmp_path_factory.mktemp("asan")
    return tree, sanitized.build(tree)


def test_the_harness_checks_pass_on_the_corpus() -> None:
    check = _module("fuzz_native").check
    for folder in ("valid", "invalid"):
        for path in sorted((Path(__file__).parent / "data" / folder).glob("*.bundle")):
            check(path.read_bytes())


def test_the_harness_catches_paths_that_disagree(monkeypatch: pytest.MonkeyPatch) -> None:
    harness = _module("fuzz_native")
    pure = False

    @contextlib.contextmanager
    def pure_path() -> Iterator[None]:
        nonlocal pure
        pure = True
        try:
            yield
        finally:
            pure = False

    real_loads = harness.loads

    def loads(data: Any, strict: bool = True) -> Bundle:
        # The bug under test: the "C" side drops the last entry.
        bundle = real_loads(data, strict=strict)
        return bundle if pure else Bundle(bundle.entries[:-1])

    monkeypatch.setattr(harness, "pure_path", pure_path)
    monkeypatch.setattr(harness, "loads", loads)
    with pytest.raises(AssertionError, match=r"the C and pure paths disagree on loads\(strict=True\)"):
        harness.check(b"<<<FILE a>>>\nA\n<<<END 1>>>\n")


def test_the_harness_compares_error_positions(monkeypatch: pytest.MonkeyPatch) -> None:
    harness = _module("fuzz_native")
    # Equal messages, different columns: still a disagreement.
    errors = iter(
        [
            BundleDecodeError("bad", lineno=1, colno=1, pos=0, line="x"),
            BundleDecodeError("bad", lineno=1, colno=2, pos=1, line="x"),
        ]
    )

    def fail() -> object:
        raise next(errors)

    with pytest.raises(AssertionError, match="disagree"):
        harness._both("an operation", b"x\n", fail)


def test_the_harness_lets_foreign_exceptions_escape() -> None:
    harness = _module("fuzz_native")

    def broken() -> object:
        raise IndexError("a bug")

    with pytest.raises(IndexError):
        harness._both("an operation", b"", broken)


def test_the_sanitizers_catch_a_heap_overflow_and_undefined_behaviour(
    sanitized: ModuleType, sanitized_tree: tuple[Path, Path], tmp_path: Path
) -> None:
    # A probe extension with known bugs, run in the fuzzer's environment:
    # if the runtime were not loaded or an option were wrong, the fuzzing
    # below could not find anything either.
    probe = sanitized.build_probe(tmp_path)
    env = {**sanitized.environment(*sanitized_tree), "PYTHONPATH": str(probe.parent)}
    for call, report in [
        ("overflow(b'12345678')", "heap-buffer-overflow"),
        ("add(5)", "signed integer overflow"),
    ]:
        script = f"import _sanitizer_probe; _sanitizer_probe.{call}; print('not caught')"
        result = subprocess.run(
            [sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
        )
        assert result.returncode != 0, result.stdout
        assert report in result.stderr
        assert "not caught" not in result.stdout


def test_fuzzing_the_sanitized_accelerator_finds_nothing(
    sanitized: ModuleType, sanitized_tree: tuple[Path, Path], tmp_path: Path
) -> None:
    tree, extension = sanitized_tree
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    command = sanitized.fuzz_command(corpus, tmp_path, ["-max_total_time=25"])
    result = subprocess.run(
        command,
        env=sanitized.environment(tree, extension),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    crashes = sorted(path.name for path in tmp_path.glob("crash-*"))
    report = f"inputs that failed: {crashes}\n{result.stderr[-8000:]}"
    # The run must have used the sanitized build, not one from elsewhere.
    assert f"fuzz_native: the C accelerator is {extension}" in result.stderr, report
    assert not crashes, report
    # What a sanitizer prints when it finds something; libFuzzer's own notes
    # name LeakSanitizer too, so the bare word is not enough.
    assert not re.search(r"(?:ERROR|SUMMARY): \w+Sanitizer|runtime error:", result.stderr), report
    assert result.returncode == 0, report
    assert "Done " in result.stderr, report
