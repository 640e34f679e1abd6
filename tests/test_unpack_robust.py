"""Unpack under stress: failures and interrupts half-way, huge names, races, and first-time users.

Each test was written for a problem that seedbundle 1.0.0 had, and fails on
it. They go through the public API, the command line and the ``os`` module
only, so that they run unchanged against 1.0.0 too.
"""

from __future__ import annotations

import errno
import inspect
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import seedbundle
from seedbundle import Bundle, Entry
from seedbundle._cli import main

posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX links, modes and signals")
needs_signal_masks = pytest.mark.skipif(
    not hasattr(signal, "pthread_sigmask"), reason="signals can only be held back with POSIX signal masks"
)

Files = dict[str, bytes]


def files(root: Path) -> Files:
    """Every file below ``root`` (relative name -> content); directories are listed as b'/'."""
    found: Files = {}
    for directory, dirs, names in os.walk(root):
        for name in dirs:
            found[Path(directory, name).relative_to(root).as_posix() + "/"] = b"/"
        for name in names:
            path = Path(directory, name)
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def write(root: Path, tree: Files) -> None:
    for name, data in tree.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def leftovers(root: Path) -> list[str]:
    return sorted(name for name in files(root) if ".seedbundle-" in name)


def bundle_of(tree: Files) -> Bundle:
    return Bundle([Entry(name, data) for name, data in tree.items()])


def bundle_file(path: Path, tree: Files) -> Path:
    path.write_text(seedbundle.dumps(bundle_of(tree)), encoding="utf-8", newline="")
    return path


OLD = {"a.txt": b"old a\n", "b.txt": b"old b\n", "sub/c.txt": b"old c\n"}
NEW = {"a.txt": b"new a\n", "b.txt": b"new b\n", "sub/c.txt": b"new c\n"}


# -- 1. a failed unpack --force puts back what it replaced ---------------


def test_a_failed_overwrite_puts_back_every_file_it_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "target"
    write(target, OLD)
    in_the_way = target / "sub" / "c.txt"
    original = os.replace  # renames, replacing, with or without directory descriptors

    def rename_after_an_attack(*args: Any, **kwargs: Any) -> None:
        if not in_the_way.is_dir():  # after the check, before the files move into place
            in_the_way.unlink()
            in_the_way.mkdir()
        original(*args, **kwargs)

    for rename in ("rename", "replace"):  # one of them moves files into place
        monkeypatch.setattr(os, rename, rename_after_an_attack)
    with pytest.raises((seedbundle.UnpackError, OSError)) as caught:
        seedbundle.unpack(bundle_of(NEW), target, overwrite=True)
    assert "sub/c.txt" in str(caught.value).replace(os.sep, "/")
    assert ".part" not in str(caught.value)
    assert files(target) == {"a.txt": b"old a\n", "b.txt": b"old b\n", "sub/": b"/", "sub/c.txt/": b"/"}


def test_a_file_system_error_while_replacing_names_the_entry_and_restores_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "target"
    write(target, OLD)
    path = bundle_file(tmp_path / "new.bundle", NEW)
    original = os.replace
    calls = 0

    def third_rename_fails(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError(errno.EIO, "Input/output error")
        original(*args, **kwargs)

    for rename in ("rename", "replace"):
        monkeypatch.setattr(os, rename, third_rename_fails)
    assert main(["unpack", str(path), "-C", str(target), "-f"]) == 1
    err = capsys.readouterr().err
    assert err == f"seedbundle: error: {target / 'sub' / 'c.txt'}: Input/output error\n"
    assert files(target) == {**OLD, "sub/": b"/"}


def test_a_failure_while_staging_names_the_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = os.open
    made = 0

    def disk_full_on_the_second_file(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        nonlocal made
        if flags & os.O_CREAT:
            made += 1
            if made == 2:
                raise OSError(errno.ENOSPC, "No space left on device")
        return original(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", disk_full_on_the_second_file)
    with pytest.raises(OSError, match="No space left") as caught:
        seedbundle.unpack(bundle_of(NEW), tmp_path / "target")
    assert caught.value.filename == os.path.join(tmp_path / "target", "b.txt")
    assert not (tmp_path / "target").exists()


def test_a_successful_overwrite_keeps_no_backups(tmp_path: Path) -> None:
    write(tmp_path, OLD)
    seedbundle.unpack(bundle_of(NEW), tmp_path, overwrite=True)
    assert files(tmp_path) == {**NEW, "sub/": b"/"}


def test_unpack_never_follows_a_symlinked_file_when_keeping_a_backup(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("needs POSIX symbolic links")
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"secret\n")
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "a.txt").symlink_to(secret)
    seedbundle.unpack(bundle_of({"a.txt": b"new\n"}), tmp_path / "target", overwrite=True)
    assert secret.read_bytes() == b"secret\n"
    info = (tmp_path / "target" / "a.txt").lstat()
    assert stat.S_ISREG(info.st_mode)
    assert sorted(p.name for p in (tmp_path / "target").iterdir()) == ["a.txt"]


# -- 2. interrupts -------------------------------------------------------


class Terminated(BaseException):
    """What the command line's SIGTERM handler raises."""


@pytest.fixture
def sigterm_raises() -> Iterator[None]:
    def stop(signum: int, frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _creates_a_file(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    return bool(args[1] & os.O_CREAT)


def _always(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    return True


def _opens_a_directory(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    return bool(args[1] & getattr(os, "O_DIRECTORY", 0)) and "dir_fd" in kwargs


# The system call after which the signal arrives, which of its calls, and
# whether the target holds files that the unpack replaces.
INTERRUPTIONS = {
    "after-mkdir": ("mkdir", _always, 2, False),
    "after-creating-a-temporary-file": ("open", _creates_a_file, 2, False),
    "after-linking-into-place": ("link", _always, 2, False),
    "after-unlinking-the-temporary": ("unlink", _always, 1, False),
    "after-replacing": ("rename", _always, 2, True),
    "after-linking-a-backup": ("link", _always, 2, True),
    # Between opening a directory and recording it, the cursor would point
    # elsewhere than it thinks, and the rollback would miss staged files.
    "after-opening-a-directory": ("open", _opens_a_directory, 3, False),
    "after-opening-a-directory-later": ("open", _opens_a_directory, 6, True),
}


@posix_only
@needs_signal_masks
@pytest.mark.usefixtures("sigterm_raises")
@pytest.mark.parametrize("case", sorted(INTERRUPTIONS))
def test_a_signal_right_after_a_change_leaves_the_target_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    function, which, nth, replacing = INTERRUPTIONS[case]
    target = tmp_path / "target"
    target.mkdir()
    if replacing:
        write(target, OLD)
    before = files(target)
    original = getattr(os, function)
    calls = 0

    def signal_after(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        result = original(*args, **kwargs)
        if which(args, kwargs):
            calls += 1
            if calls == nth:
                signal.raise_signal(signal.SIGTERM)
        return result

    monkeypatch.setattr(os, function, signal_after)
    tree = {**NEW, "new/deep/d.txt": b"d\n"}
    with pytest.raises(Terminated):
        seedbundle.unpack(bundle_of(tree), target, overwrite=replacing)
    monkeypatch.undo()
    assert calls >= nth, "the signal was never sent"
    assert files(target) == before


_UNPACK_UNTIL_SIGNALLED = textwrap.dedent(
    """
    import signal, sys
    import seedbundle

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print("ready", flush=True)
    seedbundle.unpack_from(sys.argv[1], sys.argv[2], overwrite=sys.argv[3] == "overwrite")
    """
)


def _big_tree(version: str) -> Files:
    return {f"d{i % 20:02}/sub/f{i:04}.txt": f"{version} {i}\n".encode() for i in range(800)}


def _start_unpack(script: Path, bundle: Path, target: Path, mode: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, str(script), str(bundle), str(target), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert process.stdout is not None
    assert process.stdout.readline() == b"ready\n"
    return process


# Where the cursor that walks the target's directories changes its state in
# two steps: a signal between them would leave it pointing elsewhere than it
# thinks, and the rollback would then miss staged files.
CURSOR_STEPS = {
    "opening-a-directory": (("_step_down", "_down"), "self._nodes.append(child)"),
    "leaving-a-directory": (("_step_up", "_up"), "self._nodes.pop()"),
}


@posix_only
@needs_signal_masks
@pytest.mark.usefixtures("sigterm_raises")
@pytest.mark.parametrize("nth", [2, 5, 9])
@pytest.mark.parametrize("where", sorted(CURSOR_STEPS))
def test_a_signal_inside_a_step_of_the_directory_cursor_is_undone(
    tmp_path: Path, where: str, nth: int
) -> None:
    # A trace function sends the signal at that very line, so that it lands
    # between the system call and the bookkeeping, as a real one can.
    from seedbundle import _dirs

    names, text = CURSOR_STEPS[where]
    step = next(getattr(_dirs.Cursor, name) for name in names if hasattr(_dirs.Cursor, name))
    lines, first = inspect.getsourcelines(step)
    # The last such line: in _down, the one after os.open() (the first is the path-only branch).
    at = first + max(i for i, line in enumerate(lines) if text in line)
    reached = 0

    def trace(frame: Any, event: str, arg: Any) -> Any:
        nonlocal reached
        if event == "call":
            return trace if frame.f_code is step.__code__ else None
        if event == "line" and frame.f_lineno == at:
            reached += 1
            if reached == nth:
                os.kill(os.getpid(), signal.SIGTERM)
        return trace

    target = tmp_path / "target"
    target.mkdir()
    write(target, OLD)
    before = files(target)
    tree = {**NEW, **{f"d{i}/sub/f.txt": f"{i}\n".encode() for i in range(6)}}
    sys.settrace(trace)
    try:
        with pytest.raises(Terminated):
            seedbundle.unpack(bundle_of(tree), target, overwrite=True)
    finally:
        sys.settrace(None)
    assert reached >= nth, "the signal was never sent"
    assert files(target) == before


def _run_time(script: Path, bundle: Path, target: Path, mode: str) -> float:
    process = _start_unpack(script, bundle, target, mode)
    start = time.monotonic()
    assert process.wait(timeout=120) == 0
    return time.monotonic() - start


@pytest.fixture
def big(tmp_path: Path) -> tuple[Path, Path]:
    script = tmp_path / "unpack_until_signalled.py"
    script.write_text(_UNPACK_UNTIL_SIGNALLED, encoding="utf-8")
    return script, bundle_file(tmp_path / "big.bundle", _big_tree("new"))


@posix_only
@pytest.mark.parametrize("mode", ["new", "overwrite"])
def test_sigterm_at_any_moment_leaves_nothing_or_everything(
    tmp_path: Path, big: tuple[Path, Path], mode: str
) -> None:
    script, bundle = big
    old = _big_tree("old")
    whole = files(_unpacked(tmp_path / "whole", bundle))
    duration = _run_time(script, bundle, tmp_path / "timing", "new")
    rng = random.Random(f"sigterm-{mode}")
    for trial in range(8):
        target = tmp_path / f"trial{trial}"
        if mode == "overwrite":
            write(target, old)
        before = files(target) if target.exists() else None
        process = _start_unpack(script, bundle, target, mode)
        time.sleep(rng.uniform(0.2, 1.1) * duration)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
        after = files(target) if target.exists() else None
        assert after in (before, whole), f"trial {trial}: {leftovers(target) if after else 'a partial tree'}"


def _unpacked(target: Path, bundle: Path) -> Path:
    seedbundle.unpack_from(bundle, target)
    return target


@posix_only
def test_after_sigkill_the_next_unpack_finishes_the_job_or_says_what_to_do(
    tmp_path: Path, big: tuple[Path, Path]
) -> None:
    script, bundle = big
    whole = files(_unpacked(tmp_path / "whole", bundle))
    duration = _run_time(script, bundle, tmp_path / "timing", "new")
    rng = random.Random("sigkill")
    for trial in range(6):
        target = tmp_path / f"trial{trial}"
        write(target, _big_tree("old"))
        process = _start_unpack(script, bundle, target, "overwrite")
        time.sleep(rng.uniform(0.2, 1.1) * duration)
        process.kill()
        process.wait(timeout=120)
        refusal: str | None = None
        try:
            seedbundle.unpack_from(bundle, target, overwrite=True)
        except seedbundle.UnpackError as error:
            refusal = error.msg
        if refusal is not None:
            # Only the old content of a replaced file stops it, and it says where that is.
            assert ".old' holds the old content of a file" in refusal
            for name in leftovers(target):
                if name.endswith(".old"):  # as the user would, once they have looked
                    (target / name).unlink()
            seedbundle.unpack_from(bundle, target, overwrite=True)
        assert files(target) == whole, f"trial {trial}"


LEFTOVER = ".seedbundle-0123456789ab.part"
BACKUP = ".seedbundle-0123456789ab.old"


@posix_only
def test_the_next_unpack_removes_the_temporary_files_a_killed_one_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "target"
    write(
        target,
        {
            f"sub/{LEFTOVER}": b"half a fi",
            "sub/.seedbundle-mine.part": b"mine",
            "elsewhere/" + LEFTOVER: b"x",
        },
    )
    path = bundle_file(tmp_path / "b.bundle", {"sub/a.txt": b"A\n"})
    assert main(["unpack", str(path), "-C", str(target), "-n"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "create  sub/a.txt",
        f"remove  sub/{LEFTOVER} (left by an interrupted unpack)",
    ]
    assert main(["unpack", str(path), "-C", str(target)]) == 0
    # Only in a directory it writes to, and only its own exact pattern.
    assert files(target) == {
        "sub/": b"/",
        "sub/a.txt": b"A\n",
        "sub/.seedbundle-mine.part": b"mine",
        "elsewhere/": b"/",
        f"elsewhere/{LEFTOVER}": b"x",
    }


@posix_only
def test_the_temporary_files_of_an_unpack_still_running_are_left_alone(tmp_path: Path) -> None:
    import fcntl  # POSIX only

    target = tmp_path / "target"
    write(target, {LEFTOVER: b"being written\n"})
    running = os.open(target, os.O_RDONLY)  # an unpack holds a shared lock on its target
    try:
        fcntl.flock(running, fcntl.LOCK_SH)
        seedbundle.unpack(bundle_of({"a.txt": b"A\n"}), target)
        assert (target / LEFTOVER).exists()
    finally:
        os.close(running)
    seedbundle.unpack(bundle_of({"b.txt": b"B\n"}), target)
    assert files(target) == {"a.txt": b"A\n", "b.txt": b"B\n"}


@posix_only
def test_the_old_content_a_killed_overwrite_kept_is_never_deleted(tmp_path: Path) -> None:
    target = tmp_path / "target"
    write(target, {f"sub/{BACKUP}": b"the only copy\n"})
    before = files(target)
    with pytest.raises(seedbundle.UnpackError, match=rf"'sub/{BACKUP}' holds the old content of a file"):
        seedbundle.unpack(bundle_of({"sub/a.txt": b"A\n"}), target, overwrite=True)
    assert files(target) == before


# -- 3. names of 4,095 bytes ----------------------------------------------


def _read_deep(root: Path, name: str) -> bytes:
    """Read a file whose path is too long for open(), one directory at a time."""
    *directories, last = name.split("/")
    fd = os.open(root, os.O_RDONLY)
    try:
        for directory in directories:
            child = os.open(directory, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        handle = os.open(last, os.O_RDONLY, dir_fd=fd)
        with open(handle, "rb") as file:
            return file.read()
    finally:
        os.close(fd)


@posix_only
def test_names_of_4095_bytes_below_a_long_target_unpack_again_with_force(tmp_path: Path) -> None:
    target = tmp_path / ("t" * 100) / ("t" * 100)
    assert len(str(target)) >= 200
    deep = "/".join([f"{i:x}" * 255 for i in range(15)])
    names = [f"{deep}/{letter * 255}" for letter in "ab"] + ["z" * 255 + "/" + "y" * 255]
    assert {len(name.encode()) for name in names[:2]} == {4095}
    for version in (b"first\n", b"second\n"):
        bundle = Bundle([Entry(name, version) for name in names])
        assert seedbundle.unpack(bundle, target, overwrite=True) == tuple(names)
        assert [_read_deep(target, name) for name in names] == [version] * 3
    assert [name for _, _, found, _ in os.fwalk(target) for name in found if ".seedbundle-" in name] == []


# -- 4. checking names costs what the names are long ---------------------


def _run_python(code: str, timeout: float) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


# Checks the names of a bundle, by `seedbundle check` or by a dry run of
# unpack (which also looks at the disk), and prints the peak of memory if traced.
_DEEP_NAMES = """
import io, os, sys, tempfile, tracemalloc
import seedbundle
from seedbundle._cli import main

names = [{name} for i in range({count})]
bundle = seedbundle.Bundle([seedbundle.Entry(name, "") for name in names])
path = os.path.join(tempfile.mkdtemp(), "deep.bundle")
with open(path, "w", encoding="utf-8") as file:
    file.write(seedbundle.dumps(bundle))
if {trace}:
    tracemalloc.start()
if {by_unpack}:
    assert seedbundle.unpack(bundle, os.path.join(tempfile.mkdtemp(), "new"), dry_run=True) == tuple(names)
else:
    assert main(["check", path]) == 0
print(tracemalloc.get_traced_memory()[1])
"""

CHAINS = {
    # 1,000 names 2,000 directories deep: 1.0.0 took 17 seconds (0.4 now), a prefix at a time.
    "shared": ('"a/" * 2000 + str(i)', 1000),
    # 50 chains 2,000 directories deep that share nothing: 1.0.0 kept every prefix, 400 MB of them.
    "distinct": ('f"{i}/" + "a/" * 2000 + "f"', 50),
}


@pytest.mark.parametrize("by_unpack", [False, True], ids=["check", "unpack"])
def test_many_deep_names_are_checked_in_linear_time(by_unpack: bool) -> None:
    name, count = CHAINS["shared"]
    _run_python(_DEEP_NAMES.format(name=name, count=count, by_unpack=by_unpack, trace=False), timeout=10)


@pytest.mark.parametrize("by_unpack", [False, True], ids=["check", "unpack"])
def test_many_deep_names_are_checked_in_linear_memory(by_unpack: bool) -> None:
    name, count = CHAINS["distinct"]
    code = _DEEP_NAMES.format(name=name, count=count, by_unpack=by_unpack, trace=True)
    peak = int(_run_python(code, timeout=60))
    assert peak < 50 * 1024 * 1024, f"{peak / 2**20:.0f} MiB"


# -- 5. two unpacks at once ----------------------------------------------


def test_a_directory_that_someone_else_makes_meanwhile_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = os.mkdir

    def another_unpack_is_faster(path: Any, *args: Any, **kwargs: Any) -> None:
        original(path, *args, **kwargs)
        original(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", another_unpack_is_faster)
    target = tmp_path / "made" / "here"
    seedbundle.unpack(bundle_of({"new/deep/a.txt": b"A\n", "b.txt": b"B\n"}), target)
    monkeypatch.undo()
    assert files(tmp_path) == {
        "made/": b"/",
        "made/here/": b"/",
        "made/here/new/": b"/",
        "made/here/new/deep/": b"/",
        "made/here/new/deep/a.txt": b"A\n",
        "made/here/b.txt": b"B\n",
    }


def test_a_failed_unpack_leaves_the_directories_someone_else_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original_mkdir, original_open = os.mkdir, os.open

    def another_unpack_is_faster(path: Any, *args: Any, **kwargs: Any) -> None:
        original_mkdir(path, *args, **kwargs)
        original_mkdir(path, *args, **kwargs)

    def disk_full(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", another_unpack_is_faster)
    monkeypatch.setattr(os, "open", disk_full)
    with pytest.raises(OSError, match="No space left"):
        seedbundle.unpack(bundle_of({"new/deep/a.txt": b"A\n"}), tmp_path)
    monkeypatch.undo()
    assert files(tmp_path) == {"new/": b"/", "new/deep/": b"/"}


def test_two_unpacks_into_the_same_new_directories_at_once(tmp_path: Path) -> None:
    failures: list[BaseException] = []

    def unpack(bundle: Bundle, target: Path, start: threading.Barrier) -> None:
        start.wait()
        try:
            seedbundle.unpack(bundle, target)
        except BaseException as error:
            failures.append(error)

    for round_ in range(30):
        target = tmp_path / f"round{round_}" / "a"
        start = threading.Barrier(2)
        threads = [
            threading.Thread(
                target=unpack, args=(bundle_of({f"x/y/z/{who}{i}": b"" for i in range(3)}), target, start)
            )
            for who in "pq"
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []


# -- 6. names that hide what they are ----------------------------------


@pytest.mark.parametrize("char", ["\x85", "\x9b", "\u202e", "\u2028", "\u200b", "\ufeff", "\u2066", "\xad"])
def test_characters_that_hide_what_a_name_is_are_refused(tmp_path: Path, char: str) -> None:
    name = f"dir/a{char}b.txt"
    with pytest.raises(seedbundle.UnpackError, match=f"U\\+{ord(char):04X}"):
        seedbundle.unpack(bundle_of({"fine.txt": b"", name: b""}), tmp_path)
    assert list(tmp_path.iterdir()) == []


# -- 7. a target that is a symbolic link ---------------------------------


@posix_only
def test_the_target_may_be_a_symbolic_link_but_nothing_below_it(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "docs").mkdir(parents=True)
    (tmp_path / "link").symlink_to(real)
    assert seedbundle.unpack(bundle_of({"docs/a.txt": b"A\n"}), tmp_path / "link") == ("docs/a.txt",)
    assert (real / "docs" / "a.txt").read_bytes() == b"A\n"
    (tmp_path / "outside").mkdir()
    (real / "lib").symlink_to(tmp_path / "outside")
    with pytest.raises(seedbundle.UnpackError, match="'lib' is a symbolic link"):
        seedbundle.unpack(bundle_of({"lib/b.txt": b"B\n"}), tmp_path / "link")
    assert list((tmp_path / "outside").iterdir()) == []


# -- 8. names that macOS or Windows would open as .git -----------------


@pytest.mark.parametrize(
    "segment",
    [".git\u200c", "\u200e.git", ".g\u200dit", ".GIT\ufeff", "git~1", "GIT~1", ".git ", ".git.", ".git. .",
     ".git::$INDEX_ALLOCATION", ".git:stream"],
)  # fmt: skip
def test_names_that_macos_or_windows_would_open_as_git_are_refused(tmp_path: Path, segment: str) -> None:
    with pytest.raises(seedbundle.UnpackError, match=r"'\.git' directory"):
        seedbundle.unpack(bundle_of({f"{segment}/hooks/pre-commit": b"#!/bin/sh\n"}), tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", [".gitignore", ".github/workflows/ci.yml", "git~x", "my.git", "ab:c"])
def test_names_near_git_are_fine(tmp_path: Path, name: str) -> None:
    if os.name == "nt" and ":" in name:
        pytest.skip("Windows does not allow ':' in a name")
    assert seedbundle.unpack(bundle_of({name: b"x"}), tmp_path) == (name,)


# -- 9. a dry run shows what it would do ---------------------------------


def test_a_dry_run_lists_what_it_would_replace_instead_of_refusing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "target"
    write(target, {"b.txt": b"mine\n", "docs": b"a file\n"})
    before = files(target)
    path = bundle_file(tmp_path / "b.bundle", {"a.txt": b"A", "b.txt": b"B", "docs/c.txt": b"C"})
    assert main(["unpack", str(path), "-C", str(target), "-n"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "create  a.txt",
        "replace b.txt (needs --force)",
        "refuse  docs/c.txt: 'docs' already exists in the target directory and is not a directory",
    ]
    assert err == "seedbundle: error: unpack would refuse this bundle: it cannot write 1 file\n"
    assert files(target) == before
    (target / "docs").unlink()
    assert main(["unpack", str(path), "-C", str(target), "-n"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == ["create  a.txt", "replace b.txt (needs --force)", "create  docs/c.txt"]
    assert err == (
        "seedbundle: error: unpack would refuse this bundle: it would replace 1 existing file"
        " (add --force to allow that)\n"
    )
    assert main(["unpack", str(path), "-C", str(target), "-n", "-f"]) == 0
    assert capsys.readouterr() == ("create  a.txt\nreplace b.txt\ncreate  docs/c.txt\n", "")
    assert files(target) == {"b.txt": b"mine\n"}


# -- 10. the command line names its options ------------------------------


def test_command_line_messages_name_options_not_python_keywords(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "target"
    write(target, {"b.txt": b"mine\n"})
    path = bundle_file(tmp_path / "b.bundle", {"b.txt": b"B"})
    assert main(["unpack", str(path), "-C", str(target)]) == 1
    err = capsys.readouterr().err
    assert "(pass --force to replace it)" in err
    assert "=True" not in err
    cases = tmp_path / "case.bundle"
    cases.write_bytes(b"<<<FILE README>>>\n<<<FILE readme>>>\n<<<END 2>>>\n")
    for extra in ([], ["-n"]):
        assert main(["unpack", str(cases), "-C", str(tmp_path / "new"), *extra]) == 1
        err = capsys.readouterr().err
        assert "(pass --allow-case-conflicts to unpack them anyway)" in err
        assert "=True" not in err
