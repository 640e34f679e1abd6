"""Build the C accelerator under AddressSanitizer and UBSan, and run Python on it.

The build goes into a directory of its own, beside a copy of the package's
Python code, so that the checkout's own build is left alone. CPython itself
is not built with the sanitizers, so the sanitizer runtime is preloaded
(LD_PRELOAD) and Python's small-object allocator is turned off
(PYTHONMALLOC=malloc), so that every buffer of a ``bytes`` or ``str`` the C
code touches is a malloc block that AddressSanitizer guards.

tests/test_fuzz_native.py uses it for a short run. For a long run by hand
(Linux, gcc or clang, atheris installed)::

    python tests/fuzz/sanitized.py -max_total_time=3600

builds into a temporary directory and runs tests/fuzz/fuzz_native.py with
the conformance corpus as seeds; any libFuzzer option may be given, and
more seed folders (for instance the corpus that a coverage-guided run of
tests/fuzz/fuzz_loads.py wrote).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HARNESS = Path(__file__).with_name("fuzz_native.py")
SEEDS = [ROOT / "tests" / "data" / "valid", ROOT / "tests" / "data" / "invalid"]

# -O1 keeps the stack traces readable; every UBSan finding stops the run.
SANITIZE = "-fsanitize=address,undefined"
CFLAGS = f"{SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
OPTIONS = {
    # CPython frees little at exit, so leak reports would be noise; the leak
    # loop test (tests/test_native_leaks.py) checks leaks instead.
    # A small quarantine and short allocation stacks keep a long run within
    # libFuzzer's memory limit.
    "ASAN_OPTIONS": (
        "detect_leaks=0:halt_on_error=1:abort_on_error=0:allocator_may_return_null=1"
        ":quarantine_size_mb=16:malloc_context_size=5"
    ),
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
    "PYTHONMALLOC": "malloc",
}


class BuildError(RuntimeError):
    """The sanitized build failed (no compiler, or the C code did not compile)."""


def compiler() -> str | None:
    """The C compiler setuptools would use, if it is on the PATH."""
    command = os.environ.get("CC") or str(sysconfig.get_config_var("CC") or "cc")
    return shutil.which(command.split()[0])


def _environment(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONHOME", "LD_PRELOAD"} and not key.startswith("SEEDBUNDLE_")
    }
    env.update(extra)
    return env


def _compile(command: list[str], cwd: Path) -> None:
    env = _environment(CFLAGS=CFLAGS, LDFLAGS=SANITIZE, SEEDBUNDLE_REQUIRE_SPEEDUPS="1")
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BuildError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")


def build(tree: Path) -> Path:
    """Put the package with a sanitized accelerator into ``tree``; return the extension's path."""
    package = tree / "seedbundle"
    shutil.copytree(
        ROOT / "src" / "seedbundle",
        package,
        ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__", "_c"),
    )
    # setup.py itself, so that the build has exactly the extension that ships.
    command = [sys.executable, "setup.py", "-q", "build_ext", "--build-lib", str(tree)]
    _compile([*command, "--build-temp", str(tree / "objects")], cwd=ROOT)
    (extension,) = package.glob("_speedups*.so")
    return extension


def build_probe(tree: Path) -> Path:
    """A tiny extension with a heap overflow and a signed overflow, to prove the sanitizers catch them."""
    source = tree / "probe.c"
    source.write_text(_PROBE, encoding="utf-8")
    script = (
        "from setuptools import setup, Extension\n"
        f"setup(name='probe', ext_modules=[Extension('_sanitizer_probe', [{str(source)!r}])])\n"
    )
    _compile(
        [
            sys.executable,
            "-c",
            script,
            "-q",
            "build_ext",
            "--build-lib",
            str(tree),
            "--build-temp",
            str(tree / "objects"),
        ],
        cwd=tree,
    )
    (extension,) = tree.glob("_sanitizer_probe*.so")
    return extension


def runtime(extension: Path) -> str:
    """The sanitizer runtime that ``extension`` links to, which must be loaded before Python."""
    linked = subprocess.run(["ldd", str(extension)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"libasan\.so\S*\s+=>\s+(\S+)", linked)
    if found is None:
        raise BuildError(f"{extension} does not link the AddressSanitizer runtime:\n{linked}")
    return found.group(1)


def environment(tree: Path, extension: Path) -> dict[str, str]:
    """The environment in which Python imports seedbundle from ``tree`` with the sanitizers on."""
    return _environment(PYTHONPATH=str(tree), LD_PRELOAD=runtime(extension), **OPTIONS)


def main(argv: list[str]) -> int:
    """Build into a temporary directory, then fuzz with libFuzzer options ``argv``."""
    with tempfile.TemporaryDirectory(prefix="seedbundle-asan-") as scratch:
        tree = Path(scratch) / "tree"
        extension = build(tree)
        corpus = Path(scratch) / "corpus"
        corpus.mkdir()
        command = fuzz_command(corpus, Path.cwd(), argv or ["-max_total_time=600"])
        return subprocess.run(command, env=environment(tree, extension), check=False).returncode


def fuzz_command(corpus: Path, artifacts: Path, options: list[str]) -> list[str]:
    """The command that fuzzes with new inputs in ``corpus`` and failing ones in ``artifacts``.

    The preloaded sanitizer runtime brings its own empty coverage hooks,
    which shadow libFuzzer's (atheris warns that coverage is broken), so the
    fuzzer cannot tell which inputs are new. ``-keep_seed=1`` keeps it
    mutating the conformance corpus with the format's dictionary all the
    same, about 100 inputs a second here. (Restoring the hooks, with a
    preloaded library that forwards them to atheris, works but instruments
    the Python code under the sanitizers at 2 to 5 inputs a second.)
    """
    return [
        sys.executable,
        str(HARNESS),
        str(corpus),
        *map(str, SEEDS),
        f"-dict={HARNESS.with_name('bundle.dict')}",
        "-keep_seed=1",
        "-max_len=4096",
        "-timeout=60",
        "-rss_limit_mb=4096",
        f"-artifact_prefix={artifacts}/",
        *options,
    ]


_PROBE = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <string.h>

/* Reads one byte past a malloc'ed copy of the argument. */
static PyObject *
overflow(PyObject *self, PyObject *arg)
{
    Py_ssize_t size = PyBytes_Size(arg);
    char *copy = malloc((size_t)size);
    if (copy == NULL) {
        return PyErr_NoMemory();
    }
    memcpy(copy, PyBytes_AsString(arg), (size_t)size);
    int last = copy[size];
    free(copy);
    return PyLong_FromLong(last);
}

/* Adds to INT_MAX: undefined behaviour. */
static PyObject *
add(PyObject *self, PyObject *arg)
{
    int value = (int)PyLong_AsLong(arg);
    return PyLong_FromLong(value + INT_MAX);
}

static PyMethodDef methods[] = {
    {"overflow", overflow, METH_O, NULL},
    {"add", add, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_sanitizer_probe", NULL, -1, methods};

PyMODINIT_FUNC
PyInit__sanitizer_probe(void)
{
    return PyModule_Create(&module);
}
"""

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
