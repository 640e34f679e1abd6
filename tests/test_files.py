"""pack and unpack: a tree of regular files survives the round trip byte for byte."""

from __future__ import annotations

import io
import os
import pickle
import stat
import subprocess
import sys
import tempfile
import unicodedata
import warnings
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seedbundle
from seedbundle import _unpack

Tree = dict[str, tuple[bytes, bool]]

posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX file modes and links")


def write_tree(root: Path, files: Mapping[str, bytes | tuple[bytes, bool]]) -> None:
    for name, value in files.items():
        data, executable = value if isinstance(value, tuple) else (value, False)
        path = root.joinpath(*name.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(0o755 if executable else 0o644)


def read_tree(root: Path) -> Tree:
    tree: Tree = {}
    for directory, _dirs, files in os.walk(root):
        for file in files:
            path = Path(directory, file)
            name = path.relative_to(root).as_posix()
            tree[name] = (path.read_bytes(), bool(path.stat().st_mode & stat.S_IXUSR))
    return tree


NASTY_FILES: dict[str, bytes | tuple[bytes, bool]] = {
    "marker.txt": b"<<<FILE evil.txt>>>\n<<<END 1>>>\n",
    "escaped.txt": b"\\<<<FILE already escaped>>>\n\\\\<<<END 0>>>\n",
    "inner.bundle": b"intro\n<<<FILE a>>>\nA\n<<<END 1>>>\n",
    "no-final-newline.txt": b"last line has no newline",
    "crlf.txt": b"windows\r\nline endings\r\n",
    "lone-cr.txt": b"old mac\rline ends\r",
    "latin-1.txt": "caf\xe9 cr\xe8me\n".encode("latin-1"),
    "binary.bin": bytes(range(256)) * 3,
    "nul.txt": b"text with a \x00 in it\n",
    "bom.txt": b"\xef\xbb\xbfstarts with a byte order mark\n",
    "empty.txt": b"",
    "only-newline.txt": b"\n",
    "with spaces/and a name with spaces.txt": b"spaces\n",
    "quotes/\"double\" and 'single'.txt": b"quotes\n",
    "unicode/日本語/naïve café.md": "# Ünïcödé\n".encode(),
    "unicode/emoji 🎉.txt": "🎉\n".encode(),
    "scripts/run.sh": (b"#!/bin/sh\necho hi\n", True),
    "scripts/deep/er/tool": (b"\x7fELF\x00binary", True),
    "trailing spaces.txt": b"trailing   \n\t\n",
    "starts-with-markers.txt": b"<<<\n<<<<\n<<<END\n",
}


@posix_only
def test_nasty_tree_round_trips_byte_for_byte(tmp_path: Path) -> None:
    source, target = tmp_path / "source", tmp_path / "target"
    write_tree(source, NASTY_FILES)
    bundle = seedbundle.pack(source)
    text = seedbundle.dumps(bundle)
    seedbundle.unpack(seedbundle.loads(text), target)
    assert read_tree(target) == read_tree(source)
    assert len(read_tree(target)) == len(NASTY_FILES)


@posix_only
def test_streaming_functions_write_the_same_bytes(tmp_path: Path) -> None:
    source = tmp_path / "source"
    write_tree(source, NASTY_FILES)
    out = io.BytesIO()
    assert seedbundle.pack_to(source, out, comment="tree") == len(NASTY_FILES)
    assert out.getvalue() == seedbundle.dumps(seedbundle.pack(source, comment="tree")).encode()
    seedbundle.pack_to(source, tmp_path / "tree.bundle", sha256=True)
    names = seedbundle.unpack_from(tmp_path / "tree.bundle", tmp_path / "from-path")
    seedbundle.unpack_from(io.BytesIO(out.getvalue()), tmp_path / "from-file")
    assert names == seedbundle.pack(source).names
    assert read_tree(tmp_path / "from-path") == read_tree(source)
    assert read_tree(tmp_path / "from-file") == read_tree(source)


def test_names_come_in_path_component_order(tmp_path: Path) -> None:
    write_tree(tmp_path, dict.fromkeys(["b", "a.txt", "a-c", "a/z", "a/b/c", "B", "é", "z"], b""))
    # Each directory sorted by the UTF-8 bytes of its names; 'a/...' before 'a-c'.
    assert seedbundle.pack(tmp_path).names == ("B", "a/b/c", "a/z", "a-c", "a.txt", "b", "z", "é")


def test_packing_twice_gives_identical_bytes(tmp_path: Path) -> None:
    write_tree(tmp_path, {f"d{i % 3}/f{i}.txt": b"x" * i for i in range(20)})
    assert seedbundle.dumps(seedbundle.pack(tmp_path)) == seedbundle.dumps(seedbundle.pack(tmp_path))


# -- hypothesis: generated trees -----------------------------------------

SEGMENT = st.text(
    alphabet=st.sampled_from("abcXYZ019 -_.'\"é日ß\u0301~+=,;@#%&()[]{}"), min_size=1, max_size=12
).filter(lambda s: s not in (".", "..") and s.casefold() != ".git")
NAME = st.lists(SEGMENT, min_size=1, max_size=4).map("/".join)
CONTENT = st.one_of(
    st.binary(max_size=300),
    st.lists(
        st.sampled_from([b"<<<FILE x>>>", b"\\<<<END 1>>>", b"\r", b"\n", b"\r\n", b"text", b"\xff"]),
        max_size=12,
    ).map(b"".join),
    st.text(max_size=50).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


@st.composite
def trees(draw: st.DrawFn) -> Tree:
    """Trees that any file system can hold: no two names fold together, no file is a directory."""
    tree: Tree = {}
    files: set[str] = set()
    directories: set[str] = set()
    for name in draw(st.lists(NAME, max_size=12)):
        key = _fold(name)
        parts = key.split("/")
        prefixes = {"/".join(parts[:i]) for i in range(1, len(parts))}
        if key in files or key in directories or prefixes & files:
            continue
        files.add(key)
        directories |= prefixes
        tree[name] = (draw(CONTENT), draw(st.booleans()))
    return tree


@posix_only
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees())
def test_generated_trees_round_trip(tree: Tree) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        source, target = Path(scratch, "source"), Path(scratch, "target")
        source.mkdir()
        write_tree(source, tree)
        on_disk = read_tree(source)  # the file system may normalize names (macOS)
        bundle = seedbundle.pack(source)
        assert sorted(bundle.names) == sorted(on_disk)
        out = io.BytesIO()
        seedbundle.pack_to(source, out)
        assert out.getvalue() == seedbundle.dumps(bundle).encode()
        seedbundle.unpack_from(io.BytesIO(out.getvalue()), target)
        assert read_tree(target) == on_disk


# -- selecting files -----------------------------------------------------


def test_git_directory_is_always_left_out(tmp_path: Path) -> None:
    write_tree(tmp_path, {".git/config": b"x", "sub/.git": b"gitdir: ../x", "a": b""})
    assert seedbundle.pack(tmp_path).names == ("a",)
    assert seedbundle.pack(tmp_path, gitignore=False).names == ("a",)


def test_gitignore_is_honoured_like_git(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".gitignore": b"*.log\n!keep.log\n/build/\ndocs/*.html\ntemp/\n# comment\n\n",
            "a.log": b"",
            "keep.log": b"",
            "build/out.o": b"",
            "src/build/kept.c": b"",  # '/build/' is anchored to the root
            "docs/index.html": b"",
            "docs/api/nested.html": b"",  # 'docs/*.html' does not cross '/'
            "src/temp/x": b"",
            "src/.gitignore": b"!debug.log\n*.tmp\n",
            "src/debug.log": b"",  # re-included by the deeper file
            "src/other.log": b"",
            "src/x.tmp": b"",
            "top.tmp": b"",  # the nested pattern applies only below src/
        },
    )
    assert seedbundle.pack(tmp_path).names == (
        ".gitignore",
        "docs/api/nested.html",
        "keep.log",
        "src/.gitignore",
        "src/build/kept.c",
        "src/debug.log",
        "top.tmp",
    )


def test_an_ignored_directory_cannot_be_reincluded(tmp_path: Path) -> None:
    # git does not descend into an excluded directory, so '!' cannot reach inside it.
    write_tree(tmp_path, {".gitignore": b"out/\n!out/keep.txt\n", "out/keep.txt": b""})
    assert seedbundle.pack(tmp_path).names == (".gitignore",)


def test_no_ignore_packs_everything_but_git(tmp_path: Path) -> None:
    write_tree(tmp_path, {".gitignore": b"*\n", "a.log": b"", ".git/HEAD": b""})
    assert seedbundle.pack(tmp_path).names == ()
    assert seedbundle.pack(tmp_path, gitignore=False).names == (".gitignore", "a.log")


def test_parent_ignore_files_apply_inside_a_repository(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".git/info/exclude": b"*.secret\n",
            ".gitignore": b"*.pyc\n/project/dist/\n",
            "project/a.py": b"",
            "project/a.pyc": b"",
            "project/key.secret": b"",
            "project/dist/wheel.whl": b"",
        },
    )
    assert seedbundle.pack(tmp_path / "project").names == ("a.py",)
    # Asked for by name, an ignored directory is packed; its own ignore files still apply.
    write_tree(tmp_path, {"project/dist/.gitignore": b"*.tmp\n", "project/dist/x.tmp": b""})
    assert seedbundle.pack(tmp_path / "project" / "dist").names == (".gitignore", "wheel.whl")


def test_include_and_exclude_patterns(tmp_path: Path) -> None:
    write_tree(tmp_path, dict.fromkeys(["src/a.py", "src/b.txt", "tests/t.py", "x.py", "src/gen/g.py"], b""))
    assert seedbundle.pack(tmp_path, include=["*.py"]).names == (
        "src/a.py",
        "src/gen/g.py",
        "tests/t.py",
        "x.py",
    )
    assert seedbundle.pack(tmp_path, include=["src/"], exclude=["gen/"]).names == (
        "src/a.py",
        "src/b.txt",
    )
    assert seedbundle.pack(tmp_path, exclude=["/x.py", "tests"]).names == (
        "src/a.py",
        "src/b.txt",
        "src/gen/g.py",
    )


def test_patterns_must_be_a_sequence_not_a_string(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="not one str"):
        seedbundle.pack(tmp_path, exclude="*.log")


# -- what a bundle cannot store ------------------------------------------


@posix_only
def test_a_symlink_is_refused_by_default_naming_its_path(tmp_path: Path) -> None:
    write_tree(tmp_path, {"real.txt": b"real\n"})
    (tmp_path / "link.txt").symlink_to("real.txt")
    with pytest.raises(seedbundle.PackError, match="symbolic link") as caught:
        seedbundle.pack(tmp_path)
    assert caught.value.path == str(tmp_path / "link.txt")
    assert "--skip-symlinks" in str(caught.value)


@posix_only
def test_skipped_symlinks_are_reported(tmp_path: Path) -> None:
    write_tree(tmp_path, {"real.txt": b"real\n"})
    (tmp_path / "link.txt").symlink_to("real.txt")
    (tmp_path / "dirlink").symlink_to(tmp_path)
    with pytest.warns(seedbundle.PackWarning) as caught:
        bundle = seedbundle.pack(tmp_path, symlinks="skip")
    assert bundle.names == ("real.txt",)
    assert sorted(str(w.message) for w in caught) == [
        "skipped the symbolic link 'dirlink'",
        "skipped the symbolic link 'link.txt'",
    ]


@posix_only
def test_an_ignored_symlink_is_no_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {".gitignore": b"venv\n"})
    (tmp_path / "venv").symlink_to("/")
    assert seedbundle.pack(tmp_path).names == (".gitignore",)


@posix_only
def test_following_symlinks_packs_their_targets(tmp_path: Path) -> None:
    write_tree(tmp_path, {"tree/real.txt": b"real\n", "outside/o.txt": (b"o\n", True)})
    (tmp_path / "tree" / "link.txt").symlink_to("real.txt")
    (tmp_path / "tree" / "linked-dir").symlink_to(tmp_path / "outside")
    bundle = seedbundle.pack(tmp_path / "tree", symlinks="follow")
    assert bundle.names == ("link.txt", "linked-dir/o.txt", "real.txt")
    assert bundle["link.txt"].data == b"real\n"
    assert bundle["linked-dir/o.txt"].executable


@posix_only
def test_following_a_symlink_loop_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "up").symlink_to("..")
    with pytest.raises(seedbundle.PackError, match="loops back"):
        seedbundle.pack(tmp_path, symlinks="follow")


@posix_only
def test_following_a_broken_symlink_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "dangling").symlink_to("nowhere")
    with pytest.raises(seedbundle.PackError, match="broken symbolic link"):
        seedbundle.pack(tmp_path, symlinks="follow")


def test_symlink_policy_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="symlinks must be"):
        seedbundle.pack(tmp_path, symlinks="ignore")  # type: ignore[arg-type]


def test_an_empty_directory_is_skipped_with_a_warning(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.txt": b""})
    (tmp_path / "empty" / "nested").mkdir(parents=True)
    with pytest.warns(seedbundle.PackWarning, match="empty directory 'empty/nested/'") as caught:
        assert seedbundle.pack(tmp_path).names == ("a.txt",)
    assert len(caught) == 1
    assert caught[0].message.path == str(tmp_path / "empty" / "nested")  # type: ignore[union-attr]
    assert caught[0].filename == __file__  # the warning points at the caller


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_special_file_is_refused_naming_its_path(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(seedbundle.PackError, match=r"is a FIFO \(named pipe\)") as caught:
        seedbundle.pack(tmp_path)
    assert caught.value.path == str(tmp_path / "pipe")
    assert seedbundle.pack(tmp_path, exclude=["pipe"]).names == ()


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system with byte names")
def test_a_name_that_is_not_utf8_is_refused_showing_its_bytes(tmp_path: Path) -> None:
    (Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9.txt"))).write_bytes(b"")
    with pytest.raises(seedbundle.PackError, match=r"caf\\xe9\.txt' is not valid UTF-8"):
        seedbundle.pack(tmp_path)
    assert seedbundle.pack(tmp_path, exclude=["caf*"]).names == ()


@pytest.mark.skipif(os.name != "posix", reason="POSIX allows these characters in names")
@pytest.mark.parametrize("name", ["back\\slash", "new\nline", "esc\x1b[0m"])
def test_a_name_that_cannot_be_unpacked_safely_is_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(seedbundle.PackError, match="could not be unpacked safely"):
        seedbundle.pack(tmp_path)


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(seedbundle.PackError, match="does not exist"):
        seedbundle.pack(tmp_path / "missing")
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(seedbundle.PackError, match="is not a directory"):
        seedbundle.pack(tmp_path / "file")


def test_a_bundle_written_inside_the_tree_is_not_packed_into_itself(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.txt": b"A\n", "self.bundle": b"the bundle of the last run"})
    with pytest.warns(seedbundle.PackWarning, match="'self.bundle': it is the bundle being written"):
        seedbundle.pack_to(tmp_path, tmp_path / "self.bundle")
    with (tmp_path / "self.bundle").open("rb") as file:
        assert seedbundle.load(file).names == ("a.txt",)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_failed_pack_to_leaves_no_file_behind(tmp_path: Path) -> None:
    write_tree(tmp_path / "tree", {"a.txt": b"A\n"})
    os.mkfifo(tmp_path / "tree" / "z-pipe")
    with pytest.raises(seedbundle.PackError):
        seedbundle.pack_to(tmp_path / "tree", tmp_path / "out.bundle")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tree"]


# -- unpack: the everyday behaviour --------------------------------------


@posix_only
def test_unpack_restores_the_executable_bit_under_the_umask(tmp_path: Path) -> None:
    bundle = seedbundle.Bundle(
        [seedbundle.Entry("run.sh", "#!/bin/sh\n", executable=True), seedbundle.Entry("a", "")]
    )
    old = os.umask(0o027)
    try:
        seedbundle.unpack(bundle, tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "run.sh").stat().st_mode) == 0o750
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o640


def test_unpack_creates_the_target_and_returns_the_names(tmp_path: Path) -> None:
    bundle = seedbundle.Bundle([seedbundle.Entry("x/y.txt", "Y"), seedbundle.Entry("z", "")])
    assert seedbundle.unpack(bundle, tmp_path / "new" / "target") == ("x/y.txt", "z")
    assert (tmp_path / "new" / "target" / "x" / "y.txt").read_bytes() == b"Y"


def test_unpack_leaves_no_temporary_files(tmp_path: Path) -> None:
    bundle = seedbundle.Bundle([seedbundle.Entry(f"d/{i}", str(i)) for i in range(10)])
    seedbundle.unpack(bundle, tmp_path)
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [str(i) for i in range(10)]


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    bundle = seedbundle.Bundle([seedbundle.Entry("a/b.txt", "B")])
    assert seedbundle.unpack(bundle, tmp_path / "t", dry_run=True) == ("a/b.txt",)
    assert list(tmp_path.iterdir()) == []


def test_overwrite_replaces_existing_files(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.txt": b"old", "keep.txt": b"kept"})
    bundle = seedbundle.Bundle([seedbundle.Entry("a.txt", "new")])
    with pytest.raises(seedbundle.UnpackError, match="already exists"):
        seedbundle.unpack(bundle, tmp_path)
    assert (tmp_path / "a.txt").read_bytes() == b"old"
    seedbundle.unpack(bundle, tmp_path, overwrite=True)
    assert read_tree(tmp_path) == {"a.txt": (b"new", False), "keep.txt": (b"kept", False)}


def test_case_conflicts_can_be_allowed(tmp_path: Path) -> None:
    bundle = seedbundle.Bundle([seedbundle.Entry("README", "a"), seedbundle.Entry("readme", "b")])
    with pytest.raises(seedbundle.UnpackError, match="differ only in case"):
        seedbundle.unpack(bundle, tmp_path)
    probe = tmp_path / "Probe"
    probe.write_bytes(b"")
    case_sensitive = not (tmp_path / "probe").exists()
    probe.unlink()
    if case_sensitive:
        seedbundle.unpack(bundle, tmp_path, allow_case_conflicts=True)
        assert read_tree(tmp_path) == {"README": (b"a", False), "readme": (b"b", False)}


def test_unpack_checks_its_arguments(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="needs a Bundle"):
        seedbundle.unpack("<<<END 0>>>\n", tmp_path)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="overwrite must be a bool"):
        seedbundle.unpack(seedbundle.Bundle(), tmp_path, overwrite="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="directory must be a path"):
        seedbundle.unpack(seedbundle.Bundle(), 3)  # type: ignore[arg-type]


def test_errors_survive_pickling() -> None:
    pack_error = seedbundle.PackError("msg", "/p")
    unpack_error = seedbundle.UnpackError("msg", "n")
    assert pickle.loads(pickle.dumps(pack_error)).path == "/p"
    assert pickle.loads(pickle.dumps(unpack_error)).name == "n"
    assert isinstance(pack_error, seedbundle.BundleEncodeError)
    assert isinstance(unpack_error, seedbundle.BundleError)
    assert isinstance(unpack_error, ValueError)


def test_warnings_are_not_errors_by_default(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert seedbundle.pack(tmp_path).names == ()


def test_a_bundle_unpacks_from_a_path_a_file_and_a_pipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path / "source", {"a.txt": b"A\n", "b/c.bin": b"\x00\x01"})
    seedbundle.pack_to(tmp_path / "source", tmp_path / "tree.bundle")
    seedbundle.unpack_from(tmp_path / "tree.bundle", tmp_path / "from-path")
    with (tmp_path / "tree.bundle").open("rb") as file:
        seedbundle.unpack_from(file, tmp_path / "from-file")
    pipe = io.BufferedReader(io.BytesIO((tmp_path / "tree.bundle").read_bytes()))
    monkeypatch.setattr(pipe, "seekable", lambda: False)
    seedbundle.unpack_from(pipe, tmp_path / "from-pipe")
    for copy in ("from-path", "from-file", "from-pipe"):
        assert read_tree(tmp_path / copy) == read_tree(tmp_path / "source")


def test_a_bundle_replaced_during_the_unpack_is_read_as_it_was_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "moving.bundle"
    path.write_bytes(b"<<<FILE a>>>\n<<<FILE b>>>\n<<<END 2>>>\n")
    check = _unpack._Planner.add
    calls = 0

    def rewrite_after_checking(self: object, entry: seedbundle.Entry) -> None:
        nonlocal calls
        calls += 1
        check(self, entry)  # type: ignore[arg-type]
        if calls == 1:  # a new file under the same name: the unpack goes on reading the old one
            (tmp_path / "new").write_bytes(b"<<<FILE a>>>\n<<<FILE ../evil>>>\n<<<END 2>>>\n")
            os.replace(tmp_path / "new", path)

    monkeypatch.setattr(_unpack._Planner, "add", rewrite_after_checking)
    assert seedbundle.unpack_from(path, tmp_path / "target") == ("a", "b")
    assert read_tree(tmp_path / "target") == {"a": (b"", False), "b": (b"", False)}
    assert not (tmp_path / "evil").exists()


def test_the_example_bundles_round_trip() -> None:
    script = Path(__file__).parent.parent / "examples" / "roundtrip.py"
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "MISMATCH" not in result.stdout
    assert "fixtures.bundle" in result.stdout
