"""Unpacking reads the bundle once: each entry is checked and written as it is read.

Nothing is in place until the whole bundle is read and valid, and the error
raised is the one that checking the whole bundle first finds.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
from pathlib import Path

import pytest

import seedbundle
from seedbundle import Bundle, Entry, _unpack

posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX locks and modes")

Tree = dict[str, bytes]


class CountingReader(io.RawIOBase):
    """A file over ``data`` that counts every byte it hands out; it seeks only if ``seekable``."""

    def __init__(self, data: bytes, *, seekable: bool) -> None:
        self._data = memoryview(data)
        self._seekable = seekable
        self.position = 0
        self.handed_out = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._seekable

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if not self._seekable:
            raise io.UnsupportedOperation("seek")
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: len(self._data)}[whence]
        self.position = base + offset
        return self.position

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        piece = self._data[self.position : self.position + len(buffer)]
        buffer[: len(piece)] = piece
        self.position += len(piece)
        self.handed_out += len(piece)
        return len(piece)


def files(root: Path) -> Tree:
    """Every path below ``root``: a file's bytes, or b"/" for a directory."""
    found: Tree = {}
    for directory, dirs, names in os.walk(root):
        for name in dirs:
            found[Path(directory, name).relative_to(root).as_posix() + "/"] = b"/"
        for name in names:
            path = Path(directory, name)
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def write(root: Path, tree: Tree) -> None:
    for name, data in tree.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def broken_at_the_end(count: int = 40) -> bytes:
    """A bundle of ``count`` good entries whose END line gives the wrong count."""
    good = seedbundle.dumps(Bundle([Entry(f"d{i % 4}/f{i}.txt", f"{i}\n") for i in range(count)]))
    return good.encode().replace(f"<<<END {count}>>>".encode(), f"<<<END {count + 1}>>>".encode())


def test_each_byte_of_a_bundle_over_32_mb_is_read_once(tmp_path: Path) -> None:
    # Over the size above which the old unpack read the bundle a second time.
    line = b"x" * 1023 + b"\n"
    entries = [Entry(f"big/{i}.txt", line * (4 * 1024 + i)) for i in range(9)]
    entries.append(Entry("blob.bin", bytes(range(256)) * 4096))
    data = seedbundle.dumps(Bundle(entries)).encode()
    assert len(data) > 32 * 1024 * 1024
    for seekable in (True, False):
        source = CountingReader(data, seekable=seekable)
        target = tmp_path / f"seekable-{seekable}"
        names = seedbundle.unpack_from(io.BufferedReader(source, 1 << 16), target)
        assert source.handed_out == len(data)  # the whole bundle, and not one byte twice
        assert names == tuple(entry.name for entry in entries)
        written = files(target)
        for entry in entries:
            assert written[entry.name] == entry.data


def test_a_pipe_is_read_without_a_temporary_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_copy(*args: object, **kwargs: object) -> None:
        raise AssertionError("the bundle was copied to a temporary file")

    monkeypatch.setattr("tempfile.TemporaryFile", no_copy)
    data = seedbundle.dumps(Bundle([Entry("a.txt", "A\n"), Entry("b/c.txt", "C\n")])).encode()
    seedbundle.unpack_from(io.BufferedReader(CountingReader(data, seekable=False)), tmp_path / "target")
    assert files(tmp_path / "target") == {"a.txt": b"A\n", "b/": b"/", "b/c.txt": b"C\n"}


def test_an_error_at_the_end_leaves_a_missing_target_missing(tmp_path: Path) -> None:
    data = broken_at_the_end()
    with pytest.raises(seedbundle.BundleDecodeError) as caught:
        seedbundle.unpack_from(io.BytesIO(data), tmp_path / "made" / "here")
    with pytest.raises(seedbundle.BundleDecodeError) as whole:
        seedbundle.loads(data)
    found, expected = caught.value, whole.value
    assert (found.msg, found.lineno, found.colno, found.pos, found.line) == (
        expected.msg,
        expected.lineno,
        expected.colno,
        expected.pos,
        expected.line,
    )
    assert list(tmp_path.iterdir()) == []


def test_an_error_at_the_end_leaves_an_existing_target_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "target"
    write(target, {"d0/f0.txt": b"old\n", "keep.txt": b"keep\n"})
    before = files(target)
    with pytest.raises(seedbundle.BundleDecodeError, match="END"):
        seedbundle.unpack_from(io.BytesIO(broken_at_the_end()), target, overwrite=True)
    assert files(target) == before


def test_an_error_in_the_bundle_after_a_refused_entry_is_the_one_raised(tmp_path: Path) -> None:
    # As when the whole bundle is checked first: the bundle's own error wins.
    target = tmp_path / "target"
    write(target, {"d1/f1.txt": b"old\n"})
    before = files(target)
    with pytest.raises(seedbundle.BundleDecodeError, match="END"):
        seedbundle.unpack_from(io.BytesIO(broken_at_the_end()), target)
    assert files(target) == before


def test_an_unsafe_name_after_a_refused_entry_is_the_one_raised(tmp_path: Path) -> None:
    target = tmp_path / "target"
    write(target, {"b.txt": b"old\n"})
    bundle = Bundle([Entry("a.txt", "a"), Entry("b.txt", "b"), Entry("c.txt", "c")])
    with pytest.raises(seedbundle.UnpackError, match="already exists"):
        seedbundle.unpack(bundle, target)
    data = seedbundle.dumps(bundle).replace("c.txt", ".git/config").encode()
    with pytest.raises(seedbundle.UnpackError, match=r"\.git"):
        seedbundle.unpack_from(io.BytesIO(data), target)
    assert files(target) == {"b.txt": b"old\n"}


def test_nothing_is_written_after_a_refused_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "target"
    write(target, {"b.txt": b"old\n"})
    staged: list[str] = []
    stage = _unpack._Writer.stage

    def counting_stage(self: _unpack._Writer, entry: Entry, replaces: bool) -> None:
        staged.append(entry.name)
        stage(self, entry, replaces)

    monkeypatch.setattr(_unpack._Writer, "stage", counting_stage)
    bundle = Bundle([Entry(f"{name}.txt", name) for name in "abcde"])
    with pytest.raises(seedbundle.UnpackError, match=r"'b\.txt' already exists"):
        seedbundle.unpack(bundle, target)
    assert staged == ["a.txt"]
    assert files(target) == {"b.txt": b"old\n"}


def test_a_failed_write_is_raised_only_once_the_rest_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stage = _unpack._Writer.stage

    def full_disk(self: _unpack._Writer, entry: Entry, replaces: bool) -> None:
        if entry.name == "d1/f1.txt":
            raise OSError(errno.ENOSPC, "No space left on device")
        stage(self, entry, replaces)

    monkeypatch.setattr(_unpack._Writer, "stage", full_disk)
    target = tmp_path / "target"
    with pytest.raises(seedbundle.BundleDecodeError, match="END"):
        seedbundle.unpack_from(io.BytesIO(broken_at_the_end()), target)
    assert not target.exists()
    good = seedbundle.loads(broken_at_the_end().replace(b"<<<END 41>>>", b"<<<END 40>>>"))
    with pytest.raises(OSError, match="No space left"):
        seedbundle.unpack(good, target)
    assert not target.exists()


def test_progress_is_reported_after_each_file_is_written(tmp_path: Path) -> None:
    reported: list[tuple[str, bool]] = []
    target = tmp_path / "target"

    def progress(entry: Entry) -> None:
        temporary = [name for name in os.listdir(target) if name.endswith(".part")]
        reported.append((entry.name, bool(temporary)))

    entries = [Entry("a.txt", "a"), Entry("b.txt", "b")]
    _unpack.unpack_entries(lambda: contextlib.nullcontext(entries), target, progress=progress)
    # Each is written under its temporary name, and none is in place yet.
    assert reported == [("a.txt", True), ("b.txt", True)]
    assert files(target) == {"a.txt": b"a", "b.txt": b"b"}


LEFTOVER = ".seedbundle-0123456789ab.part"
BACKUP = ".seedbundle-0123456789ab.old"


@posix_only
def test_leftovers_in_a_directory_reached_after_writing_began_are_removed(tmp_path: Path) -> None:
    # The unpack holds its own lock by then: that lock alone must not count as another unpack's.
    target = tmp_path / "target"
    write(target, {f"sub/{LEFTOVER}": b"half a fi"})
    bundle = Bundle([Entry("a.txt", "A\n"), Entry("sub/b.txt", "B\n")])
    assert seedbundle.unpack(bundle, target) == ("a.txt", "sub/b.txt")
    assert files(target) == {"a.txt": b"A\n", "sub/": b"/", "sub/b.txt": b"B\n"}


@posix_only
def test_a_backup_in_a_directory_reached_after_writing_began_refuses(tmp_path: Path) -> None:
    target = tmp_path / "target"
    write(target, {f"sub/{BACKUP}": b"the only copy\n"})
    before = files(target)
    bundle = Bundle([Entry("a.txt", "A\n"), Entry("sub/b.txt", "B\n")])
    with pytest.raises(seedbundle.UnpackError, match=rf"'sub/{BACKUP}' holds the old content"):
        seedbundle.unpack(bundle, target, overwrite=True)
    assert files(target) == before


@posix_only
def test_another_unpack_still_running_keeps_its_files_after_writing_began(tmp_path: Path) -> None:
    import fcntl  # POSIX only

    target = tmp_path / "target"
    write(target, {f"sub/{LEFTOVER}": b"being written\n"})
    running = os.open(target, os.O_RDONLY)  # another unpack holds a shared lock on the target
    try:
        fcntl.flock(running, fcntl.LOCK_SH)
        seedbundle.unpack(Bundle([Entry("a.txt", "A\n"), Entry("sub/b.txt", "B\n")]), target)
        assert (target / "sub" / LEFTOVER).exists()
    finally:
        os.close(running)


@posix_only
def test_the_unpack_still_holds_its_lock_after_looking_for_leftovers(tmp_path: Path) -> None:
    import fcntl  # POSIX only

    target = tmp_path / "target"
    write(target, {f"sub/{LEFTOVER}": b"half a fi"})
    seen: list[bool] = []

    def progress(entry: Entry) -> None:
        other = os.open(target, os.O_RDONLY)
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            seen.append(False)
        except BlockingIOError:
            seen.append(True)  # held: another unpack would leave this one's files alone
        finally:
            os.close(other)

    entries = [Entry("a.txt", "A\n"), Entry("sub/b.txt", "B\n")]
    _unpack.unpack_entries(lambda: contextlib.nullcontext(entries), target, progress=progress)
    assert seen == [True, True]
    assert files(target) == {"a.txt": b"A\n", "sub/": b"/", "sub/b.txt": b"B\n"}
