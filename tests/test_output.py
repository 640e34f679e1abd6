"""Writing bundles to paths: what the path names, interrupts, large files, and the output inside the tree."""

from __future__ import annotations

import contextlib
import errno
import inspect
import io
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seedbundle
from seedbundle import _cli_base, _cli_pack, _encoder
from seedbundle._cli import main

posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX links, modes and special files")
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
is_root = hasattr(os, "geteuid") and os.geteuid() == 0


def make_tree(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"A\n")
    (root / "sub" / "b.bin").write_bytes(b"\x00\xff")
    return root


def expected(tree: Path) -> bytes:
    return seedbundle.dumps(seedbundle.pack(tree)).encode()


def leftovers(*directories: Path) -> list[str]:
    return sorted(p.name for d in directories for p in d.iterdir() if p.name.startswith(".seedbundle-"))


# -- 1. open(path, "w") validates first, and leaves nothing behind ---------------


@pytest.mark.parametrize("comment", ["bad\ud800", 3])
def test_an_invalid_comment_leaves_no_file_behind(tmp_path: Path, comment: Any) -> None:
    with pytest.raises((seedbundle.BundleEncodeError, TypeError)):
        seedbundle.open(tmp_path / "out.bundle", "w", comment=comment)
    with pytest.raises((seedbundle.BundleEncodeError, TypeError)):
        seedbundle.pack_to(make_tree(tmp_path / "tree"), tmp_path / "out.bundle", comment=comment)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tree"]


def test_a_directory_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    target = tmp_path / "dir"
    target.mkdir()
    with pytest.raises(IsADirectoryError) as caught:
        seedbundle.open(target, "w")
    assert caught.value.filename == str(target)
    with pytest.raises(IsADirectoryError) as caught:
        seedbundle.pack_to(make_tree(tmp_path / "tree"), target)
    assert caught.value.filename == str(target)
    assert leftovers(tmp_path, target) == []


def test_errors_name_the_target_never_the_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.bundle"
    with pytest.raises(FileNotFoundError) as caught:
        seedbundle.open(target, "w")
    assert caught.value.filename == str(target)
    with pytest.raises(FileNotFoundError) as caught:
        seedbundle.pack_to(make_tree(tmp_path / "tree"), target)
    assert caught.value.filename == str(target)


def test_a_failing_rename_is_reported_on_the_target_and_cleaned_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(_source: object, _target: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", "/somewhere/.seedbundle-x.tmp")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError) as caught, seedbundle.open(tmp_path / "out.bundle", "w") as writer:
        writer.add("a", "A\n")
    assert caught.value.filename == str(tmp_path / "out.bundle")
    assert list(tmp_path.iterdir()) == []


def test_the_writer_shows_no_internal_parameter() -> None:
    parameters = list(inspect.signature(seedbundle.BundleWriter).parameters)
    assert parameters == ["fp", "comment", "sha256", "close"]


def test_a_writer_never_closed_leaves_no_file_behind(tmp_path: Path) -> None:
    writer = seedbundle.open(tmp_path / "out.bundle", "w")
    writer.add("a", "A\n")
    del writer
    assert list(tmp_path.iterdir()) == []


# -- 7. one check, one message, for a comment ----------------------------------


@pytest.mark.parametrize("comment", ["bad\ud800", 3])
def test_every_writer_reports_a_bad_comment_alike(tmp_path: Path, comment: Any) -> None:
    def error(make: Callable[[], object]) -> tuple[type, str]:
        with pytest.raises(Exception) as caught:  # noqa: PT011 - comparing the exact errors below
            make()
        return type(caught.value), str(caught.value)

    reference = error(lambda: seedbundle.Bundle(comment=comment))
    assert error(lambda: seedbundle.open(tmp_path / "out.bundle", "w", comment=comment)) == reference
    assert error(lambda: seedbundle.open(io.BytesIO(), "w", comment=comment)) == reference
    assert error(lambda: seedbundle.pack_to(tmp_path, io.BytesIO(), comment=comment)) == reference
    assert error(lambda: seedbundle.pack(tmp_path, comment=comment)) == reference


# -- 2. what -o may name -------------------------------------------------------


@needs_fifo
def test_output_onto_a_fifo_writes_into_it(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        assert main(["pack", str(tree), "-o", str(fifo), "-q"]) == 0
    finally:
        if reader.is_alive():  # unblock a reader that the program never opened the FIFO for
            with contextlib.suppress(OSError), open(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK), "wb"):
                pass
        reader.join(10)
    assert received == [expected(tree)]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert leftovers(tmp_path) == []


@contextlib.contextmanager
def null_device(tmp_path: Path) -> Iterator[Path]:
    """A character device that discards what it is given.

    As root, a private node made with mknod, so that a regression cannot
    replace the system's /dev/null; otherwise /dev/null itself, which a user
    cannot replace.
    """
    if is_root:
        node = tmp_path / "null"
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        yield node
    else:
        yield Path(os.devnull)


@pytest.mark.skipif(not os.path.exists("/dev/null") or not hasattr(os, "mknod"), reason="needs /dev/null")
def test_output_onto_a_character_device_leaves_it_a_device(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree")
    with null_device(tmp_path) as device:
        assert main(["pack", str(tree), "-o", str(device), "-q"]) == 0
        assert stat.S_ISCHR(os.lstat(device).st_mode)
        with seedbundle.open(device, "w") as writer:
            writer.add("a", "A\n")
        assert stat.S_ISCHR(os.lstat(device).st_mode)
    assert leftovers(tmp_path) == []


@posix_only
@pytest.mark.skipif(not os.path.exists("/proc/self/fd/1"), reason="needs /proc/self/fd")
def test_output_onto_a_link_to_stdout_writes_to_stdout(tmp_path: Path) -> None:
    # A link of our own to /proc/self/fd/1: what /dev/stdout is, without risking /dev/stdout.
    tree = make_tree(tmp_path / "tree")
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    result = subprocess.run(
        [sys.executable, "-m", "seedbundle", "pack", str(tree), "-o", str(link), "-q"],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout == expected(tree)
    assert link.is_symlink()


@posix_only
def test_output_onto_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree")
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "out.bundle").write_bytes(b"old")
    link = tmp_path / "link.bundle"
    link.symlink_to(Path("real") / "out.bundle")
    assert main(["pack", str(tree), "-o", str(link), "-q"]) == 0
    assert os.readlink(link) == os.path.join("real", "out.bundle")
    assert (tmp_path / "real" / "out.bundle").read_bytes() == expected(tree)
    assert leftovers(tmp_path, tmp_path / "real") == []


@posix_only
def test_output_onto_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree")
    (tmp_path / "real").mkdir()
    link = tmp_path / "link.bundle"
    link.symlink_to(Path("real") / "new.bundle")
    with seedbundle.open(link, "w") as writer:
        writer.add("a", "A\n")
    assert link.is_symlink()
    assert seedbundle.loads((tmp_path / "real" / "new.bundle").read_bytes()).names == ("a",)
    assert seedbundle.pack_to(tree, link) == 2
    assert (tmp_path / "real" / "new.bundle").read_bytes() == expected(tree)


@posix_only
def test_a_symlink_loop_is_an_error_naming_the_link(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(OSError, match="evels of symbolic links") as caught:
        seedbundle.open(tmp_path / "a", "w")
    assert caught.value.filename == str(tmp_path / "a")


@posix_only
def test_output_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree")
    out = tmp_path / "out.bundle"
    out.write_bytes(b"old")
    out.chmod(0o600)
    assert main(["pack", str(tree), "-o", str(out), "-q"]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_bytes() == expected(tree)
    out.chmod(0o640)
    assert main(["fmt", str(out), "-o", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


@posix_only
@pytest.mark.skipif(not is_root, reason="only root may give a file away")
def test_output_keeps_the_owner_of_the_file_it_replaces(tmp_path: Path) -> None:
    out = tmp_path / "out.bundle"
    out.write_bytes(b"old")
    os.chown(out, 12345, 23456)
    seedbundle.pack_to(make_tree(tmp_path / "tree"), out)
    assert (out.stat().st_uid, out.stat().st_gid) == (12345, 23456)


@posix_only
def test_output_onto_a_hard_linked_file_keeps_the_links_joined(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "tree")
    out = tmp_path / "out.bundle"
    out.write_bytes(b"an old bundle that is longer than the new one " * 10)
    os.link(out, tmp_path / "other-name.bundle")
    inode = out.stat().st_ino
    assert main(["pack", str(tree), "-o", str(out), "-q"]) == 0
    assert out.stat().st_ino == inode
    assert out.stat().st_nlink == 2
    assert (tmp_path / "other-name.bundle").read_bytes() == expected(tree)
    assert leftovers(tmp_path) == []


@posix_only
def test_a_failed_write_onto_a_hard_linked_file_leaves_it_alone(tmp_path: Path) -> None:
    out = tmp_path / "out.bundle"
    out.write_bytes(b"old")
    os.link(out, tmp_path / "other-name.bundle")
    writer = seedbundle.open(out, "w")
    writer.add("a", "A\n")
    writer.__exit__(RuntimeError, RuntimeError("the source failed"), None)
    assert (tmp_path / "other-name.bundle").read_bytes() == b"old"
    assert leftovers(tmp_path) == []


# -- 3. interrupts -------------------------------------------------------------


@pytest.fixture
def term_raises() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt, as the command line's handler does."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@posix_only
@pytest.mark.usefixtures("term_raises")
@pytest.mark.parametrize("call", ["open", "replace"])
def test_an_interrupt_at_a_system_call_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    # The signal arrives the moment the temporary file is created, or renamed.
    real = getattr(os, call)

    def then_interrupt(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        if ".seedbundle-" in os.fspath(args[0]):
            signal.raise_signal(signal.SIGTERM)
        return result

    monkeypatch.setattr(os, call, then_interrupt)
    tree = make_tree(tmp_path / "tree")
    out = tmp_path / "out.bundle"
    with pytest.raises(KeyboardInterrupt):
        seedbundle.pack_to(tree, out)
    monkeypatch.undo()
    assert leftovers(tmp_path) == []
    assert not out.exists() or out.read_bytes() == expected(tree)


_INTERRUPTED_CHILD = """
import signal, sys, seedbundle

def interrupt(signum, frame):
    raise KeyboardInterrupt

signal.signal(signal.SIGTERM, interrupt)
print("ready", flush=True)
try:
    seedbundle.pack_to(sys.argv[1], sys.argv[2])
except KeyboardInterrupt:
    sys.exit(130)
"""


@posix_only
def test_sigterm_during_pack_to_leaves_the_old_bundle_or_the_new_one(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for n in range(200):
        (tree / f"{n:03d}.txt").write_bytes(b"<<<line %d\n" % n * 2000)
    (tree / "big.bin").write_bytes(os.urandom(6 << 20))
    want = expected(tree)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "tree.bundle"
    child = [sys.executable, "-c", _INTERRUPTED_CHILD, str(tree), str(out)]

    def run(delay: float | None) -> tuple[int, float]:
        process = subprocess.Popen(child, stdout=subprocess.PIPE)
        assert process.stdout is not None
        assert process.stdout.readline() == b"ready\n"
        started = time.monotonic()
        if delay is not None:
            time.sleep(delay)
            process.send_signal(signal.SIGTERM)
        code = process.wait(60)
        return code, time.monotonic() - started

    code, duration = run(None)
    assert code == 0
    assert out.read_bytes() == want
    outcomes: set[int] = set()
    for trial in range(8):
        out.write_bytes(b"old")
        code, _ = run(duration * trial / 7)
        outcomes.add(code)
        assert leftovers(out_dir) == [], f"trial {trial}"
        assert out.read_bytes() in (b"old", want), f"trial {trial}"
    assert 130 in outcomes  # some trial did interrupt the pack


# -- 4. files larger than memory ---------------------------------------------------

PIECES = [b"\\", b"\\\\", b"<", b"<<", b"<<<", b"<<<FILE a>>>", b"\n", b"x", b"\r\n"]
PIECES += ["é".encode(), "€".encode()[:2], "€".encode()[2:], "🎉".encode(), b"\x00", b"\xff", b"\xed\xa0\x80"]
DATA = st.one_of(st.lists(st.sampled_from(PIECES), max_size=40).map(b"".join), st.binary(max_size=400))


def cut(data: bytes, sizes: list[int]) -> list[bytes]:
    chunks: list[bytes] = []
    position = 0
    for size in sizes * (len(data) + 1):
        if position >= len(data):
            break
        chunks.append(data[position : position + size])
        position += size
    return chunks


def streamed(name: str, data: bytes, sizes: list[int], *, executable: bool, sha256: bool) -> bytes:
    chunks = cut(data, sizes)
    survey = _encoder.Survey()
    for chunk in chunks:
        survey.add(chunk)
    body = _encoder.TextBody(noeol=survey.noeol) if survey.is_text else _encoder.Base64Body()
    pieces = [_encoder.encode_header(name, survey, executable=executable, sha256=sha256)]
    for chunk in chunks:
        pieces += body.feed(chunk)
    pieces += body.finish()
    return b"".join(pieces)


@settings(max_examples=500, deadline=None)
@given(
    data=DATA,
    sizes=st.lists(st.integers(1, 70), min_size=1, max_size=5),
    executable=st.booleans(),
    sha256=st.booleans(),
)
def test_the_streamed_entry_is_byte_identical_to_the_whole_one(
    data: bytes, sizes: list[int], executable: bool, sha256: bool
) -> None:
    whole = b"".join(_encoder.encode_entry(seedbundle.Entry("f", data, executable=executable), sha256=sha256))
    assert streamed("f", data, sizes, executable=executable, sha256=sha256) == whole


class ShortReads(io.BytesIO):
    """A file that hands out at most ``size`` bytes per read, as a pipe or a slow disk may."""

    def __init__(self, data: bytes, size: int) -> None:
        super().__init__(data)
        self.size = size

    def read(self, n: int | None = -1) -> bytes:
        return super().read(self.size if n is None or n < 0 else min(n, self.size))


@settings(max_examples=200, deadline=None)
@given(data=DATA, size=st.integers(1, 70), sha256=st.booleans())
def test_add_file_writes_what_add_writes(data: bytes, size: int, sha256: bool) -> None:
    streamed, whole = io.BytesIO(), io.BytesIO()
    with seedbundle.open(streamed, "w", sha256=sha256) as writer:
        assert writer.add_file("f", ShortReads(data, size), executable=True) == len(data)
    with seedbundle.open(whole, "w", sha256=sha256) as writer:
        writer.add("f", data, executable=True)
    assert streamed.getvalue() == whole.getvalue()


@settings(max_examples=200, deadline=None)
@given(data=DATA, size=st.integers(1, 70), hold=st.integers(0, 100), sha256=st.booleans())
def test_add_file_writes_what_add_writes_whether_it_reads_once_or_twice(
    data: bytes, size: int, hold: int, sha256: bool
) -> None:
    streamed, whole = io.BytesIO(), io.BytesIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(seedbundle._stream, "_CHUNK", size)
        patch.setattr(seedbundle._stream, "_HOLD", hold)
        with seedbundle.open(streamed, "w", sha256=sha256) as writer:
            assert writer.add_file("f", io.BytesIO(data), executable=True) == len(data)
    with seedbundle.open(whole, "w", sha256=sha256) as writer:
        writer.add("f", data, executable=True)
    assert streamed.getvalue() == whole.getvalue()


class CountingFile(io.BytesIO):
    """A file that counts the bytes read from it."""

    read_bytes = 0

    def read(self, n: int | None = -1) -> bytes:
        chunk = super().read(n)
        self.read_bytes += len(chunk)
        return chunk


@pytest.mark.parametrize(
    ("data", "sha256", "reads"),
    [
        (b"text line\n" * 1000, False, 1),  # held: text up to the limit
        (b"text line\n" * 1000, True, 1),
        (b"\x00binary" * 3000, False, 1),  # binary: streamed as it is read
        (b"\x00binary" * 3000, True, 2),  # the checksum goes in the header, before the data
        (b"text line\n" * 3000, False, 2),  # text over the limit: surveyed, then written
        (b"text line\n" * 2000 + b"\xff" + b"x" * 5000, False, 1),  # binary found while held
    ],
    ids=["text", "text-sha256", "binary", "binary-sha256", "long-text", "late-binary"],
)
def test_add_file_reads_a_file_once_where_the_header_allows(
    monkeypatch: pytest.MonkeyPatch, data: bytes, sha256: bool, reads: int
) -> None:
    monkeypatch.setattr(seedbundle._stream, "_CHUNK", 1000)
    monkeypatch.setattr(seedbundle._stream, "_HOLD", 20_000)
    file = CountingFile(data)
    out = io.BytesIO()
    with seedbundle.open(out, "w", sha256=sha256) as writer:
        assert writer.add_file("f", file) == len(data)
    assert file.read_bytes == reads * len(data)
    assert seedbundle.loads(out.getvalue())["f"].data == data


def test_add_file_reads_from_the_current_position_and_takes_a_path(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"head:rest\n")
    out = io.BytesIO()
    with seedbundle.open(out, "w") as writer, path.open("rb") as file:
        file.seek(5)
        assert writer.add_file("rest", file) == 5
        assert writer.add_file("whole", path, executable=True) == 10
        with pytest.raises(seedbundle.BundleEncodeError, match="two entries"):
            writer.add_file("whole", path)
    bundle = seedbundle.loads(out.getvalue())
    assert bundle["rest"].data == b"rest\n"
    assert bundle["whole"] == seedbundle.Entry("whole", b"head:rest\n", executable=True)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_add_file_refuses_a_fifo_path_instead_of_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def add() -> None:
        try:
            with seedbundle.open(io.BytesIO(), "w") as writer:
                writer.add_file("pipe", fifo)
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=add, daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # unblock the open so the thread ends, then fail
        with open(fifo, "wb"):
            pass
        pytest.fail("add_file() blocked on a FIFO")
    assert len(outcome) == 1
    assert isinstance(outcome[0], io.UnsupportedOperation)
    assert "not a regular file" in str(outcome[0])


def test_add_file_needs_a_seekable_binary_file() -> None:
    class Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    writer = seedbundle.open(io.BytesIO(), "w")
    with pytest.raises(io.UnsupportedOperation, match="seekable"):
        writer.add_file("a", Pipe(b"x"))
    with pytest.raises(TypeError, match="binary"):
        writer.add_file("a", io.StringIO("x"))  # type: ignore[arg-type]


@pytest.mark.parametrize("change", ["content", "size"])
def test_a_file_that_changes_between_the_passes_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    monkeypatch.setattr(seedbundle._stream, "_CHUNK", 4)
    monkeypatch.setattr(seedbundle._stream, "_HOLD", 4)  # too long to hold: read twice
    tree = tmp_path / "tree"
    tree.mkdir()
    path = tree / "moving.txt"
    path.write_bytes(b"first version\n")
    header = _encoder.encode_header

    def rewrite_between_the_passes(*args: Any, **kwargs: Any) -> bytes:
        with path.open("r+b") as file:  # the same file, changed in place
            file.write(b"FIRST" if change == "content" else b"first version, longer\n")
        return header(*args, **kwargs)

    monkeypatch.setattr("seedbundle._stream.encode_header", rewrite_between_the_passes)
    with pytest.raises(seedbundle.PackError, match="changed while it was being packed") as caught:
        seedbundle.pack_to(tree, tmp_path / "out.bundle")
    assert caught.value.path == str(path)
    assert list(tmp_path.iterdir()) == [tree]


_MEMORY_CHILD = """
import resource, sys, seedbundle

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)

baseline = peak()
seedbundle.pack_to(sys.argv[1], sys.argv[2])
print(peak() - baseline)
"""
# A process started straight from pytest counts pytest's own memory in its
# ru_maxrss (Linux folds the old memory's peak in at exec), which would hide
# the growth; one started from a small Python process counts only that one.
_LAUNCHER = "import subprocess, sys; sys.exit(subprocess.run([sys.executable, *sys.argv[1:]]).returncode)"


@posix_only
@pytest.mark.parametrize("kind", ["binary", "text"])
def test_pack_to_holds_a_large_file_a_chunk_at_a_time(tmp_path: Path, kind: str) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    size = 200 * 2**20
    with (tree / "large").open("wb") as file:
        if kind == "binary":  # sparse: a few written blocks, holes in between
            for offset in range(0, size, 50 * 2**20):
                file.seek(offset)
                file.write(os.urandom(4096))
            file.truncate(size)
        else:
            line = b"<<<FILE a line that needs escaping>>>\n" + b"text " * 200 + b"\n"
            file.write(line * (size // len(line)))
    result = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, "-c", _MEMORY_CHILD, str(tree), str(tmp_path / "out.bundle")],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    grown = int(result.stdout)
    print(f"{kind}: peak memory grew by {grown / 2**20:.1f} MiB")
    assert grown < 64 * 2**20
    with seedbundle.open(tmp_path / "out.bundle") as reader:
        assert [entry.name for entry in reader] == ["large"]


# -- 5. the output inside the tree ---------------------------------------------


def test_packing_into_the_tree_twice_gives_the_same_bundle(tmp_path: Path) -> None:
    make_tree(tmp_path)
    out = tmp_path / "out.bundle"
    assert seedbundle.pack_to(tmp_path, out) == 2
    first = out.read_bytes()
    with pytest.warns(seedbundle.PackWarning, match="skipped 'out.bundle': it is the bundle being written"):
        assert seedbundle.pack_to(tmp_path, out) == 2
    assert out.read_bytes() == first
    assert main(["pack", str(tmp_path), "-o", str(out), "-q"]) == 0
    assert main(["pack", str(tmp_path), "-o", str(out), "-q"]) == 0
    assert out.read_bytes() == first


# -- 6. the command line calls the library -------------------------------------


def test_pack_to_reports_progress_after_each_file(tmp_path: Path) -> None:
    make_tree(tmp_path / "tree")
    (tmp_path / "tree" / "c.txt").write_bytes(b"C" * 10)
    calls: list[tuple[str, int, int, int]] = []
    count = seedbundle.pack_to(tmp_path / "tree", io.BytesIO(), progress=lambda *args: calls.append(args))
    assert count == 3
    assert calls == [("a.txt", 2, 1, 3), ("c.txt", 10, 2, 3), ("sub/b.bin", 2, 3, 3)]


def test_the_pack_command_calls_pack_to_and_sums_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = make_tree(tmp_path / "tree")
    calls: list[object] = []
    library = seedbundle.pack_to

    def spy(*args: Any, **kwargs: Any) -> int:
        calls.append(args[1])
        return library(*args, **kwargs)

    monkeypatch.setattr(_cli_pack, "pack_to", spy)
    out = tmp_path / "out.bundle"
    assert main(["pack", str(tree), "-o", str(out)]) == 0
    assert calls == [str(out)]
    assert capsys.readouterr().err == f"seedbundle: packed 2 files, 4 bytes into {out}\n"
    assert main(["pack", str(tree), "-o", str(out), "--quiet"]) == 0
    assert capsys.readouterr().err == ""


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_counts_files_against_a_total(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = make_tree(tmp_path / "tree")
    monkeypatch.setattr(_cli_base, "_PROGRESS_DELAY", 0)
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["pack", str(tree), "-o", str(tmp_path / "out.bundle"), "-q"]) == 0
    assert "packing" in terminal.getvalue()
    assert "1/2" in terminal.getvalue()  # the total shows from the first file on
