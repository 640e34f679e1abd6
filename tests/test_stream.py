"""Example-based tests of seedbundle.open: the streaming writer and reader."""

from __future__ import annotations

import io
import os
import stat
import tracemalloc
from pathlib import Path

import pytest

import seedbundle
from seedbundle import Bundle, BundleDecodeError, BundleEncodeError, Entry


def sample() -> Bundle:
    return Bundle(
        [
            Entry("a.txt", "A\n"),
            Entry("nested.bundle", "<<<FILE x>>>\n\\<<<END 1>>>\n<<<END 1>>>\n"),
            Entry("no-eol.txt", "last line"),
            Entry("blob.bin", bytes(range(256))),
            Entry("run.sh", "#!/bin/sh\n", executable=True),
        ],
        comment="\ufeffa comment\n<<<FILE not an entry>>>",
    )


def test_the_writer_writes_what_dumps_writes() -> None:
    bundle = sample()
    for sha256 in (False, True):
        out = io.BytesIO()
        with seedbundle.open(out, "w", comment=bundle.comment, sha256=sha256) as writer:
            for entry in bundle:
                writer.add(entry)
        assert out.getvalue() == seedbundle.dumps(bundle, sha256=sha256).encode()


def test_add_takes_a_name_and_data_or_an_entry_and_returns_the_entry() -> None:
    out = io.BytesIO()
    with seedbundle.open(out, "w") as writer:
        assert writer.add("a", "x\n") == Entry("a", b"x\n")
        assert writer.add("b", b"\x00", executable=True) == Entry("b", b"\x00", executable=True)
        with pytest.raises(TypeError):
            writer.add(Entry("c", ""), b"data")  # type: ignore[call-overload]
    assert seedbundle.loads(out.getvalue()).names == ("a", "b")


def test_the_writer_refuses_a_second_entry_of_the_same_name() -> None:
    out = io.BytesIO()
    writer = seedbundle.open(out, "w")
    writer.add("a", "1\n")
    with pytest.raises(BundleEncodeError, match="two entries are named 'a'"):
        writer.add("a", "2\n")
    writer.close()
    assert seedbundle.loads(out.getvalue()) == Bundle([Entry("a", "1\n")])


def test_a_closed_writer_refuses_more_entries() -> None:
    writer = seedbundle.open(io.BytesIO(), "w")
    writer.close()
    writer.close()  # closing twice is harmless
    with pytest.raises(ValueError, match="closed"):
        writer.add("a", "")


def write_then_fail(target: io.BytesIO | Path) -> None:
    with seedbundle.open(target, "w") as writer:
        writer.add("a", "A\n")
        raise RuntimeError("the source failed")


def test_a_failing_with_block_leaves_no_end_marker_on_a_file_object() -> None:
    out = io.BytesIO()
    with pytest.raises(RuntimeError):
        write_then_fail(out)
    with pytest.raises(BundleDecodeError, match="no END marker"):
        seedbundle.loads(out.getvalue())


def test_writing_to_a_path_replaces_it_only_on_success(tmp_path: Path) -> None:
    path = tmp_path / "out.bundle"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        write_then_fail(path)
    assert path.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["out.bundle"]
    with seedbundle.open(path, "w") as writer:
        writer.add("a", "A\n")
    assert seedbundle.loads(path.read_bytes()).names == ("a",)
    assert sorted(os.listdir(tmp_path)) == ["out.bundle"]


def test_a_new_bundle_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with seedbundle.open(tmp_path / "out.bundle", "w"):
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.bundle").stat().st_mode) == 0o644


def test_text_files_and_unknown_modes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="binary"):
        seedbundle.open(io.StringIO(), "w")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="binary"):
        seedbundle.open(io.StringIO("<<<END 0>>>\n"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mode"):
        seedbundle.open(tmp_path / "x", "a")  # type: ignore[call-overload]


@pytest.mark.parametrize("chunk_size", [1, 7, 1 << 20])
def test_the_reader_gives_back_the_bundle(chunk_size: int) -> None:
    bundle = sample()
    reader = seedbundle.BundleReader(io.BytesIO(seedbundle.dumps(bundle).encode()), chunk_size=chunk_size)
    assert reader.comment == bundle.comment
    assert reader.read_all() == list(bundle)
    assert list(reader) == []


def test_a_reader_on_a_path_closes_its_file(tmp_path: Path) -> None:
    path = tmp_path / "b.bundle"
    path.write_text(seedbundle.dumps(sample()), encoding="utf-8")
    with seedbundle.open(path) as reader:
        names = [entry.name for entry in reader]
        handle = reader._fp
    assert names == list(sample().names)
    assert handle.closed


def test_a_reader_leaves_a_file_object_open() -> None:
    source = io.BytesIO(b"<<<END 0>>>\n")
    with seedbundle.open(source) as reader:
        assert reader.read_all() == []
    assert not source.closed


def test_entries_before_damage_arrive_then_the_error() -> None:
    document = seedbundle.dumps(sample()).encode()
    cut = document[: document.index(b"<<<FILE run.sh")]
    seen: list[str] = []

    def read() -> None:
        seen.extend(entry.name for entry in seedbundle.open(io.BytesIO(cut)))

    with pytest.raises(BundleDecodeError, match="no END marker") as caught:
        read()
    assert seen == ["a.txt", "nested.bundle", "no-eol.txt", "blob.bin"]
    assert caught.value.lineno == cut.count(b"\n") + 1


def test_an_error_far_into_a_stream_has_the_position_loads_gives() -> None:
    document = b"".join(b"<<<FILE f%d>>>\nline\n" % n for n in range(5000)) + b"<<<FILE f9 b>>>\n"
    with pytest.raises(BundleDecodeError) as expected:
        seedbundle.loads(document)
    with pytest.raises(BundleDecodeError) as got:
        seedbundle.open(io.BytesIO(document)).read_all()
    assert (got.value.lineno, got.value.colno, got.value.pos) == (10001, 12, expected.value.pos)
    assert str(got.value) == str(expected.value)


def test_random_access_by_name() -> None:
    bundle = sample()
    reader = seedbundle.BundleReader(io.BytesIO(seedbundle.dumps(bundle).encode()), chunk_size=5)
    assert reader.names() == bundle.names
    for name in reversed(bundle.names):
        assert reader[name] == bundle[name]
    with pytest.raises(KeyError):
        reader["missing"]


def test_random_access_checks_the_whole_bundle_first() -> None:
    document = seedbundle.dumps(sample()).encode().replace(b"<<<END 5>>>", b"<<<END 4>>>")
    with pytest.raises(BundleDecodeError, match="counts 4 entries"):
        seedbundle.open(io.BytesIO(document)).names()


def test_random_access_needs_a_fresh_seekable_reader() -> None:
    reader = seedbundle.open(io.BytesIO(seedbundle.dumps(sample()).encode()))
    next(reader)
    with pytest.raises(ValueError, match="not been iterated"):
        reader.names()

    class Pipe(io.RawIOBase):
        def readable(self) -> bool:
            return True

    with pytest.raises(io.UnsupportedOperation):
        seedbundle.open(Pipe()).names()  # type: ignore[call-overload]


def test_the_reader_keeps_no_entry_it_has_handed_on() -> None:
    # 24 MB of 16 KiB entries: a reader that kept them would trace 24 MB or more;
    # one that does not holds about a read chunk (1 MiB) a few times over.
    out = io.BytesIO()
    with seedbundle.open(out, "w") as writer:
        for n in range(1536):
            writer.add(f"{n:04d}.txt", (b"%04d " % n) * 3276 + b"\n")
    out.seek(0)
    tracemalloc.start()
    try:
        total = sum(len(entry.data) for entry in seedbundle.open(out))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 1536 * 16381
    assert peak < 8 * 2**20
