"""The pytest plugin: bundles as test fixtures, and directory snapshots checked against golden bundles.

pytest loads this module through the ``pytest11`` entry point in every
project where seedbundle is installed, so it imports nothing of seedbundle
until a test asks for one of its fixtures.

Added in version 1.1.0.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ._model import Bundle

__all__ = ["assert_tree", "bundle_tree"]

_UPDATE_VARIABLE = "SEEDBUNDLE_UPDATE"
_SNAPSHOT_DIRECTORY = "snapshots"  # as pytest-snapshot names it; syrupy owns __snapshots__
_SUFFIX = ".bundle"
_UNSAFE = re.compile(r'[\\/?*:|"<>\x00-\x1f\x7f]')


class _State:
    """What one session does with goldens: the flag, and every golden read, written or left alone."""

    def __init__(self, update: bool) -> None:
        self.update = update
        self.used: set[Path] = set()
        self.written: dict[Path, str] = {}  # path -> "created" or "updated"
        self.items: dict[Path, int] = {}  # test file -> tests collected
        self.ran: dict[Path, int] = {}  # test file -> tests whose call phase ran
        self.incomplete: set[Path] = set()  # test files with a test deselected


_STATE = pytest.StashKey[_State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--seedbundle-update`` and ``--seedbundle-update-force``."""
    group = parser.getgroup("seedbundle", "directory snapshots (seedbundle)")
    group.addoption(
        "--seedbundle-update",
        action="store_true",
        help=f"rewrite the golden bundles that differ and create missing ones (or set {_UPDATE_VARIABLE}=1);"
        " refused when CI is set",
    )
    group.addoption(
        "--seedbundle-update-force",
        action="store_true",
        help=f"update the goldens even when CI is set (or set {_UPDATE_VARIABLE}=force)",
    )


def _update_requested(config: pytest.Config) -> tuple[bool, bool]:
    """Whether to update goldens, and whether the request is forced, from the options and the environment."""
    value = os.environ.get(_UPDATE_VARIABLE, "").strip().lower()
    if value not in {"", "0", "false", "no", "1", "true", "yes", "force"}:
        raise pytest.UsageError(f"{_UPDATE_VARIABLE}={value!r}: expected 1, 0 or force")
    force = bool(config.getoption("seedbundle_update_force")) or value == "force"
    update = force or bool(config.getoption("seedbundle_update")) or value in {"1", "true", "yes"}
    return update, force


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def pytest_configure(config: pytest.Config) -> None:
    """Decide whether goldens may be updated; refuse it under ``CI`` unless forced."""
    update, force = _update_requested(config)
    if update and not force and _in_ci():
        raise pytest.UsageError(
            "seedbundle: refusing to update golden bundles because CI is set: a golden rewritten"
            f" in CI hides the change it should catch. Use --seedbundle-update-force or {_UPDATE_VARIABLE}=force"
            " to update anyway."
        )
    config.stash[_STATE] = _State(update)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Count the tests of each test file, to know later whether all of them ran."""
    state = session.config.stash[_STATE]
    for item in session.items:
        state.items[item.path] = state.items.get(item.path, 0) + 1


def pytest_deselected(items: list[pytest.Item]) -> None:
    """Remember the test files with deselected tests: their unused goldens cannot be told."""
    for item in items:
        item.config.stash[_STATE].incomplete.add(item.path)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    """Count the tests whose call phase ran, passed or failed; a skipped test may own a golden it did not read."""
    skipped = call.excinfo is not None and call.excinfo.errisinstance(pytest.skip.Exception)
    if call.when == "call" and not skipped:
        state = item.config.stash[_STATE]
        state.ran[item.path] = state.ran.get(item.path, 0) + 1


def _unused(state: _State) -> list[Path]:
    """The goldens in the snapshot directory of each test file whose every test ran, that none read."""
    found: list[Path] = []
    for path, count in sorted(state.items.items()):
        if path in state.incomplete or state.ran.get(path, 0) < count:
            continue
        directory = path.parent / _SNAPSHOT_DIRECTORY / path.stem
        if directory.is_dir():
            found.extend(p for p in sorted(directory.glob(f"*{_SUFFIX}")) if p.resolve() not in state.used)
    return found


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """List the goldens written, and the unused ones, which are never deleted."""
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    where = config.rootpath
    if state.written:
        terminalreporter.section("seedbundle: goldens written")
        for path, how in sorted(state.written.items()):
            terminalreporter.line(f"{how}: {_relative(path, where)}")
    unused = _unused(state)
    if unused:
        terminalreporter.section("seedbundle: unused goldens")
        terminalreporter.line(f"{len(unused)} golden bundle(s) that no test read; they were not deleted:")
        for path in unused:
            terminalreporter.line(f"  {_relative(path, where)}")


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _test_file(request: pytest.FixtureRequest) -> Path:
    return Path(request.path).resolve()


def _golden_name(request: pytest.FixtureRequest) -> str:
    """``test_name``, or ``TestClass.test_name[param]``: the test's node id after its file, made safe."""
    name = request.node.nodeid.split("::", 1)[-1].replace("::", ".")
    return _UNSAFE.sub("_", name)


@pytest.fixture
def bundle_tree(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[[str | bytes | os.PathLike[str]], Path]:
    """Materialise a bundle as a directory tree under ``tmp_path``, and return the directory.

    Call it with a path (a ``pathlib.Path`` or another
    ``os.PathLike``) to a ``.bundle`` file, relative to the test file's
    directory unless absolute; or with the bundle's text (``str``) or its
    UTF-8 bytes. Each call unpacks into a new directory, ``tmp_path / "tree"``,
    then ``"tree-2"`` and so on. The bundle is read strictly and unpacked
    with every check of [`unpack`][seedbundle.unpack].

    Examples:
        >>> def test_reads_config(bundle_tree):
        ...     root = bundle_tree("<<<FILE app.toml>>>\\nname = 'demo'\\n<<<END 1>>>\\n")
        ...     assert (root / "app.toml").read_text() == "name = 'demo'\\n"

    Added in version 1.1.0.
    """
    base = _test_file(request).parent
    made = 0

    def materialise(source: str | bytes | os.PathLike[str]) -> Path:
        nonlocal made
        from ._api import loads
        from ._snapshot import materialise as unpack_into

        bundle = _read_source(source, base, loads)
        made += 1
        return unpack_into(bundle, tmp_path / ("tree" if made == 1 else f"tree-{made}"))

    return materialise


def _read_source(
    source: str | bytes | os.PathLike[str], base: Path, loads: Callable[[str | bytes], Bundle]
) -> Bundle:
    if isinstance(source, os.PathLike):
        path = base / os.fspath(source)
        try:
            return loads(path.read_bytes())
        except ValueError as error:
            error.add_note(f"in the bundle file {path}")
            raise
    if isinstance(source, str | bytes):
        try:
            return loads(source)
        except ValueError as error:
            if isinstance(source, str) and "\n" not in source and source.endswith(_SUFFIX):
                error.add_note("to read a bundle file, pass a pathlib.Path: a str is the bundle's text")
            raise
    raise TypeError(f"bundle_tree() needs a path, a str or bytes, not {type(source).__name__}")


@pytest.fixture
def assert_tree(request: pytest.FixtureRequest) -> Callable[..., None]:
    """Assert that a directory matches its golden bundle, reporting every difference at once.

    ``assert_tree(directory)`` packs every regular file below
    ``directory`` (ignore files inside it are not read; a symbolic link is
    refused) and compares it with the golden bundle
    ``snapshots/<test file>/<test name>.bundle`` beside the test file; a
    second call in the same test uses ``<test name>.2.bundle``, and so on.
    ``assert_tree(directory, golden)`` uses the path ``golden`` instead,
    relative to the test file's directory.

    On a difference it raises an ``AssertionError`` that lists every file
    added, missing or changed, by name: the executable bit, the final
    newline, a unified diff for text and size and SHA-256 for binary data.
    With ``--seedbundle-update`` it writes the goldens that differ or are
    missing, in canonical form, and passes.

    Examples:
        >>> def test_build_writes_the_site(assert_tree, tmp_path):
        ...     (tmp_path / "index.html").write_text("<h1>Hi</h1>\\n")
        ...     assert_tree(tmp_path)

    Added in version 1.1.0.
    """
    state = request.config.stash[_STATE]
    test_file = _test_file(request)
    calls = 0

    def check(directory: str | os.PathLike[str], golden: str | os.PathLike[str] | None = None) -> None:
        __tracebackhide__ = True
        nonlocal calls
        calls += 1
        if golden is None:
            suffix = _SUFFIX if calls == 1 else f".{calls}{_SUFFIX}"
            path = test_file.parent / _SNAPSHOT_DIRECTORY / test_file.stem / (_golden_name(request) + suffix)
        else:
            path = (test_file.parent / os.fspath(golden)).resolve()
        _check_tree(state, Path(directory), path, request.config.rootpath)

    return check


def _check_tree(state: _State, directory: Path, golden: Path, root: Path) -> None:
    __tracebackhide__ = True
    from ._errors import BundleDecodeError, PackError
    from ._snapshot import compare, read_golden, snapshot, write_golden

    state.used.add(golden.resolve())
    try:
        actual = snapshot(directory)
    except PackError as error:
        if os.path.islink(error.path):
            reason = (
                f"{os.path.relpath(error.path, directory)!r} is a symbolic link, which a snapshot cannot hold"
            )
        else:
            reason = error.msg
        raise AssertionError(f"the tree {directory} cannot be snapshotted: {reason}") from None
    shown = _relative(golden, root)
    try:
        expected = read_golden(golden)
    except BundleDecodeError as error:
        if not state.update:
            raise AssertionError(f"the golden bundle {shown} cannot be read: {error}") from None
        expected = None
    if expected is None:
        if state.update:
            state.written[golden] = "updated" if golden.exists() else "created"
            write_golden(golden, actual)
            return
        raise AssertionError(
            f"the golden bundle {shown} does not exist; run pytest with --seedbundle-update to create it"
        )
    differences = compare(expected, actual)
    if not differences:
        return
    if state.update:
        write_golden(golden, actual)
        state.written[golden] = "updated"
        return
    lines = [line for report in differences.values() for line in report]
    raise AssertionError(
        f"the tree {directory} differs from the golden bundle {shown} in {len(differences)} file(s):\n"
        + "\n".join(lines)
        + "\nrun pytest with --seedbundle-update to accept the tree as the new golden"
    )
