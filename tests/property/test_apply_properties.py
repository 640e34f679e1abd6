"""apply, then applying its undo, gives back the tree it started from, byte for byte."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from seedbundle import Bundle, Entry, UnpackError, apply, extract, plan_apply, read_change
from seedbundle._dirs import Dir

Tree = dict[str, tuple[bytes, bool]]

_names = st.lists(st.sampled_from(["a", "b", "src", "Dé", "x y"]), min_size=1, max_size=3).map("/".join)
_contents = st.one_of(st.binary(max_size=40), st.text(max_size=40).map(lambda text: text.encode("utf-8")))
_files = st.tuples(_contents, st.booleans())


def _consistent(names: set[str]) -> bool:
    """No name is also a directory of another, so all of them fit in one tree."""
    return not any(other.startswith(name + "/") for name in names for other in names)


_trees = st.dictionaries(_names, _files, max_size=6).filter(lambda tree: _consistent(set(tree)))


def _write(root: Path, tree: Tree) -> None:
    for name, (data, executable) in tree.items():
        path = root.joinpath(*name.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(0o755 if executable else 0o644)


def _read(root: Path) -> tuple[Tree, set[str]]:
    files: Tree = {}
    directories: set[str] = set()
    for directory, dirs, names in os.walk(root):
        for name in dirs:
            directories.add(Path(directory, name).relative_to(root).as_posix())
        for name in names:
            path = Path(directory, name)
            executable = bool(path.stat().st_mode & stat.S_IXUSR)
            files[path.relative_to(root).as_posix()] = (path.read_bytes(), executable)
    return files, directories


@st.composite
def _changes(draw: st.DrawFn) -> tuple[Tree, Tree, list[str]]:
    """A tree, and an answer's change to it: files written (new or modified) and files deleted."""
    tree = draw(_trees)
    names = sorted(tree)
    deleted = draw(st.lists(st.sampled_from(names), unique=True)) if names else []
    written = draw(st.dictionaries(_names, _files, max_size=5))
    written = {name: file for name, file in written.items() if name not in deleted}
    # Replacing a directory by a file (or the reverse) is refused, not planned: leave it out.
    if not _consistent(set(tree) | set(written)):
        written = {}
    return tree, written, deleted


@settings(max_examples=60, deadline=None)
@given(_changes(), st.booleans())
def test_undo_restores_the_tree_byte_for_byte(change: tuple[Tree, Tree, list[str]], as_answer: bool) -> None:
    tree, written, deleted = change
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary, "tree")
        root.mkdir()
        _write(root, tree)
        before = _read(root)
        bundle = Bundle(
            [Entry(name, data, executable=executable) for name, (data, executable) in written.items()]
        )
        # The same change, given as a bundle plus deletions, or as an answer that extract reads.
        text = _answer(bundle, deleted)
        source = read_change(text) if as_answer else extract(text)
        plan = plan_apply(source, root, force=[file.name for file in getattr(source, "files", ())])
        assert plan.ok, plan.as_dict()
        result = apply(plan)
        after = _read(root)[0]
        assert after == {name: file for name, file in tree.items() if name not in deleted} | written
        apply(read_change(result.undo), root)
        assert _read(root) == before


def _answer(bundle: Bundle, deleted: list[str]) -> str:
    from seedbundle import dumps
    from seedbundle._syntax import encode_name

    return dumps(bundle) + "".join(f"<<<DELETE {encode_name(name)}>>>\n" for name in deleted)


@settings(max_examples=40, deadline=None)
@given(_changes(), st.integers(min_value=1, max_value=12))
def test_a_failure_at_any_step_leaves_the_tree_as_it_was(
    change: tuple[Tree, Tree, list[str]], failing: int
) -> None:
    tree, written, deleted = change
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary, "tree")
        root.mkdir()
        _write(root, tree)
        before = _read(root)
        bundle = Bundle(
            [Entry(name, data, executable=executable) for name, (data, executable) in written.items()]
        )
        plan = plan_apply(read_change(_answer(bundle, deleted)), root)
        calls = 0
        real_move = Dir.move

        def move(self: Dir, source: str, destination: str) -> None:
            nonlocal calls
            calls += 1
            if calls == failing:
                raise OSError(28, "No space left on device (injected)")
            real_move(self, source, destination)

        with mock.patch.object(Dir, "move", move):
            try:
                apply(plan)
            except OSError:
                assert _read(root) == before
                return
        assert calls < failing  # it did not get that far: then it is applied in full
        assert _read(root)[0] == {name: file for name, file in tree.items() if name not in deleted} | written


_hostile_segments = st.sampled_from(["a", "..", ".git", ".GIT", "git~1", "link", "A", "", ".", "b\\c", "/"])
_hostile_names = st.lists(_hostile_segments, min_size=1, max_size=3).map("/".join)


@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(_hostile_names, st.binary(max_size=8), max_size=4),
    st.lists(_hostile_names, max_size=3),
    st.booleans(),
)
def test_a_hostile_answer_never_touches_anything_outside_or_in_git(
    written: dict[str, bytes], deleted: list[str], force_all: bool
) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        base = Path(temporary)
        root, outside = base / "tree", base / "outside"
        (root / ".git").mkdir(parents=True)
        (root / ".git" / "config").write_bytes(b"[core]\n")
        (root / "a").write_bytes(b"a\n")
        outside.mkdir()
        (outside / "a").write_bytes(b"outside\n")
        (base / "a").write_bytes(b"above\n")
        if os.name == "posix":
            (root / "link").symlink_to(outside)
        guarded = {path: path.read_bytes() for path in (root / ".git" / "config", outside / "a", base / "a")}
        text = "".join(f"<<<FILE {json.dumps(name)}>>>\n{data.hex()}\n" for name, data in written.items())
        text += "".join(f"<<<DELETE {json.dumps(name)}>>>\n" for name in deleted)
        source = extract(text + "<<<END 0>>>\n")
        names = [*source.bundle.names, *source.deletions]
        force = names if force_all else []
        try:
            plan = plan_apply(source, root, force=force)
            apply(plan)
        except UnpackError:
            pass
        assert {path: path.read_bytes() for path in guarded} == guarded
        assert sorted(os.listdir(root / ".git")) == ["config"]
        assert sorted(os.listdir(outside)) == ["a"]
