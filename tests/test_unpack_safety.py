"""Unpacking an untrusted bundle: nothing is written outside the target, or at all when refused.

Every bundle in tests/malicious/ states the refusal it must cause on its
first line (the bundle's comment): ``expect: <part of the message>``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

import seedbundle
from seedbundle import Bundle, Entry, _unpack
from seedbundle._cli import main
from seedbundle._unpack import unpack_entries

MALICIOUS = sorted(Path(__file__).parent.joinpath("malicious").glob("*.bundle"))

posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX symbolic links and modes")

Snapshot = dict[str, tuple[object, ...]]


def snapshot(root: Path) -> Snapshot:
    """Everything below ``root``: kind, mode, size and content (or link target) of each path."""
    result: Snapshot = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory, name)
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                result[str(path)] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                result[str(path)] = ("dir", stat.S_IMODE(info.st_mode))
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                result[str(path)] = ("file", stat.S_IMODE(info.st_mode), digest)
    return result


def expected_message(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("expect: "), f"{path.name} must state what it expects"
    return first.removeprefix("expect: ")


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """An empty target directory, with bait files around it."""
    (tmp_path / "target").mkdir()
    (tmp_path / "escape.txt").write_bytes(b"bait: must not change\n")
    (tmp_path / "late-escape.txt").write_bytes(b"bait\n")
    return tmp_path


def test_there_are_enough_malicious_cases() -> None:
    assert len(MALICIOUS) >= 15


@pytest.mark.parametrize("path", MALICIOUS, ids=lambda path: path.stem)
def test_a_malicious_bundle_writes_nothing(path: Path, sandbox: Path) -> None:
    before = snapshot(sandbox)
    with pytest.raises(seedbundle.BundleError, match=re.escape(expected_message(path))):
        seedbundle.unpack_from(path, sandbox / "target")
    assert snapshot(sandbox) == before
    assert not Path("/tmp/seedbundle-evil.txt").exists()


@pytest.mark.parametrize("path", MALICIOUS, ids=lambda path: path.stem)
def test_a_malicious_bundle_is_refused_by_the_command_line(
    path: Path, sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(sandbox)
    assert main(["unpack", str(path), "-C", str(sandbox / "new")]) == 1
    stdout, stderr = capsys.readouterr()
    assert stdout == ""
    assert expected_message(path) in stderr
    assert "Traceback" not in stderr
    assert snapshot(sandbox) == before


@pytest.mark.parametrize("path", MALICIOUS, ids=lambda path: path.stem)
def test_check_reports_what_unpack_would_refuse(path: Path) -> None:
    assert main(["check", str(path)]) == 1


# -- the target directory is hostile too ---------------------------------


@posix_only
def test_never_writes_through_a_symlinked_directory(sandbox: Path) -> None:
    outside = sandbox / "outside"
    outside.mkdir()
    (sandbox / "target" / "docs").symlink_to(outside)
    before = snapshot(sandbox)
    bundle = Bundle([Entry("a.txt", "a"), Entry("docs/evil.txt", "pwned")])
    for overwrite in (False, True):
        with pytest.raises(seedbundle.UnpackError, match="'docs' is a symbolic link"):
            seedbundle.unpack(bundle, sandbox / "target", overwrite=overwrite)
        assert snapshot(sandbox) == before


@posix_only
def test_never_writes_through_a_symlinked_file(sandbox: Path) -> None:
    secret = sandbox / "secret.txt"
    secret.write_bytes(b"secret\n")
    (sandbox / "target" / "a.txt").symlink_to(secret)
    bundle = Bundle([Entry("a.txt", "pwned\n")])
    before = snapshot(sandbox)
    with pytest.raises(seedbundle.UnpackError, match="already exists"):
        seedbundle.unpack(bundle, sandbox / "target")
    assert snapshot(sandbox) == before
    # Replacing swaps the link itself for a file; the file it pointed to is untouched.
    seedbundle.unpack(bundle, sandbox / "target", overwrite=True)
    assert secret.read_bytes() == b"secret\n"
    assert not (sandbox / "target" / "a.txt").is_symlink()
    assert (sandbox / "target" / "a.txt").read_bytes() == b"pwned\n"


def test_an_existing_file_is_never_replaced_by_default(sandbox: Path) -> None:
    (sandbox / "target" / "b.txt").write_bytes(b"mine\n")
    before = snapshot(sandbox)
    bundle = Bundle([Entry("a.txt", "A"), Entry("b.txt", "theirs\n")])
    with pytest.raises(seedbundle.UnpackError, match=r"'b\.txt' already exists"):
        seedbundle.unpack(bundle, sandbox / "target")
    assert snapshot(sandbox) == before


def test_a_directory_is_never_replaced_by_a_file(sandbox: Path) -> None:
    (sandbox / "target" / "a").mkdir()
    before = snapshot(sandbox)
    with pytest.raises(seedbundle.UnpackError, match="a directory of that name exists"):
        seedbundle.unpack(Bundle([Entry("a", "x")]), sandbox / "target", overwrite=True)
    assert snapshot(sandbox) == before


def test_a_file_in_the_way_of_a_directory_is_refused(sandbox: Path) -> None:
    (sandbox / "target" / "a").write_bytes(b"file")
    before = snapshot(sandbox)
    with pytest.raises(seedbundle.UnpackError, match="is not a directory"):
        seedbundle.unpack(Bundle([Entry("a/b", "x")]), sandbox / "target", overwrite=True)
    assert snapshot(sandbox) == before


def test_a_target_that_is_a_file_is_refused(sandbox: Path) -> None:
    (sandbox / "file").write_bytes(b"")
    with pytest.raises(NotADirectoryError):
        seedbundle.unpack(Bundle([Entry("a", "x")]), sandbox / "file")


# -- races between the check and the write -------------------------------


def attacked(entries: list[Entry], attack: Iterator[None]) -> object:
    """A source of entries that runs ``attack`` once the whole bundle is read, before any file is in place."""

    @contextlib.contextmanager
    def source() -> Iterator[list[Entry]]:
        yield entries
        next(attack)

    return source


def attack_after_checking(monkeypatch: pytest.MonkeyPatch, name: str, attack: Iterator[None]) -> None:
    """Run ``attack`` between the check of the entry ``name`` and its writing: where a race lands."""
    check = _unpack._Planner.add

    def add(self: object, entry: Entry) -> None:
        check(self, entry)  # type: ignore[arg-type]
        if entry.name == name:
            next(attack)

    monkeypatch.setattr(_unpack._Planner, "add", add)


def _swap_in_symlink(directory: Path, outside: Path) -> Iterator[None]:
    directory.symlink_to(outside)
    yield None


@posix_only
def test_a_symlink_swapped_in_after_the_check_is_not_followed(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = sandbox / "outside"
    outside.mkdir()
    target = sandbox / "target"
    entries = [Entry("a.txt", "a"), Entry("sub/evil.txt", "pwned"), Entry("z.txt", "z")]
    attack_after_checking(monkeypatch, "sub/evil.txt", _swap_in_symlink(target / "sub", outside))
    with pytest.raises(seedbundle.UnpackError, match="became a link"):
        unpack_entries(lambda: contextlib.nullcontext(entries), target)
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in target.iterdir()) == ["sub"]  # only the attacker's link


def _create(path: Path) -> Iterator[None]:
    path.write_bytes(b"arrived late\n")
    yield None


def test_a_file_that_appears_after_the_check_is_not_replaced(sandbox: Path) -> None:
    target = sandbox / "target"
    entries = [Entry("a.txt", "a"), Entry("dir/b.txt", "b"), Entry("z.txt", "z")]
    source = attacked(entries, _create(target / "z.txt"))
    with pytest.raises(seedbundle.UnpackError, match="appeared in the target directory"):
        unpack_entries(source, target)  # type: ignore[arg-type]
    assert (target / "z.txt").read_bytes() == b"arrived late\n"
    assert sorted(p.name for p in target.iterdir()) == ["z.txt"]


# -- a failed unpack leaves nothing behind -------------------------------


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failure_while_writing_removes_everything_created(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    (sandbox / "target" / "existing").mkdir()
    before = snapshot(sandbox)
    original = _unpack._Writer.stage
    calls = 0

    def failing_stage(self: object, entry: Entry, replaces: bool) -> None:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise error
        original(self, entry, replaces)  # type: ignore[arg-type]

    monkeypatch.setattr(_unpack._Writer, "stage", failing_stage)
    names = ["a.txt", "new/deep/b.txt", "existing/c.txt", "new/d.txt", "e.txt"]
    bundle = Bundle([Entry(name, name) for name in names])
    with pytest.raises(type(error)):
        seedbundle.unpack(bundle, sandbox / "target" / "made" / "here")
    assert snapshot(sandbox) == before


def test_a_failure_while_moving_into_place_removes_everything_created(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(sandbox)
    original = _unpack._move_no_replace
    calls = 0

    def failing_move(*args: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise PermissionError(13, "Permission denied")
        original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(seedbundle._unpack, "_move_no_replace", failing_move)
    bundle = Bundle([Entry(f"d{i}/f.txt", str(i)) for i in range(5)])
    with pytest.raises(PermissionError):
        seedbundle.unpack(bundle, sandbox / "target")
    assert snapshot(sandbox) == before


@posix_only
@pytest.mark.skipif(os.name == "posix" and os.geteuid() == 0, reason="root ignores permissions")
def test_a_read_only_target_fails_cleanly(sandbox: Path) -> None:
    target = sandbox / "target"
    target.chmod(0o555)
    try:
        with pytest.raises(PermissionError):
            seedbundle.unpack(Bundle([Entry("a/b.txt", "x")]), target)
    finally:
        target.chmod(0o755)
    assert list(target.iterdir()) == []


def test_dry_run_checks_everything_and_writes_nothing(sandbox: Path) -> None:
    (sandbox / "target" / "old.txt").write_bytes(b"old")
    before = snapshot(sandbox)
    bundle = Bundle([Entry("new.txt", "n"), Entry("old.txt", "o")])
    with pytest.raises(seedbundle.UnpackError, match="already exists"):
        seedbundle.unpack(bundle, sandbox / "target", dry_run=True)
    assert seedbundle.unpack(bundle, sandbox / "target", dry_run=True, overwrite=True) == (
        "new.txt",
        "old.txt",
    )
    assert snapshot(sandbox) == before
