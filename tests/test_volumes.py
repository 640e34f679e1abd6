"""Volumes: pack within a budget, and join the volumes back into exactly one bundle."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import pytest

import seedbundle
from seedbundle import _pack, _volumes
from seedbundle._cli import main
from seedbundle._select import FoundFile
from seedbundle._volumes import volume_path

_estimated_tokens = seedbundle.token_counter("estimate")


def make_tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


TREE = {
    "README.md": b"# Demo\n" * 20,
    "src/a.py": b"print('a')\n" * 30,
    "src/b.py": b"\\<<<FILE tricky>>>\n" * 10,
    "src/data.bin": bytes(range(256)),
    "tests/test_a.py": b"assert True",  # no final newline
    "z.txt": b"",
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "tree", TREE)


def single(tree: Path, **options: object) -> bytes:
    out = io.BytesIO()
    seedbundle.pack_to(tree, out, git=False, **options)  # type: ignore[arg-type]
    return out.getvalue()


def pack(tree: Path, out: Path, budget: int, **options: object) -> list[Path]:
    paths = seedbundle.pack_volumes(tree, out / "v-%03d.bundle", budget=budget, git=False, **options)  # type: ignore[arg-type]
    return [Path(path) for path in paths]


def joined(paths: list[Path]) -> bytes:
    out = io.BytesIO()
    seedbundle.join(paths, out)
    return out.getvalue()


@pytest.mark.parametrize("budget", [600, 700, 1000, 5000])
@pytest.mark.parametrize("comment", ["", "A comment.\n\nWith two paragraphs."])
@pytest.mark.parametrize("sha256", [False, True])
def test_every_volume_is_a_valid_bundle_within_budget_and_join_is_exact(
    tree: Path, tmp_path: Path, budget: int, comment: str, sha256: bool
) -> None:
    paths = pack(tree, tmp_path, budget, comment=comment, sha256=sha256)
    names: list[str] = []
    for path in paths:
        data = path.read_bytes()
        assert len(data) <= budget
        names += seedbundle.loads(data).names
    assert names == list(seedbundle.pack(tree, git=False).names)  # tree order, nothing lost or split
    assert joined(paths) == single(tree, comment=comment, sha256=sha256)


def test_volumes_are_filled_greedily_in_tree_order(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "t", {f"f{i}.txt": b"x" * 99 + b"\n" for i in range(6)})
    paths = pack(tree, tmp_path, 450)
    held = [seedbundle.loads(path.read_bytes()).names for path in paths]
    assert held == [("f0.txt", "f1.txt", "f2.txt"), ("f3.txt", "f4.txt", "f5.txt")]
    # One byte less, and the third file no longer fits beside the first two.
    size = len(paths[0].read_bytes())
    (tmp_path / "again").mkdir()
    again = pack(tree, tmp_path / "again", size - 1)
    assert [len(seedbundle.loads(path.read_bytes())) for path in again] == [2, 2, 2]


def test_volume_comments_say_which_volume_and_what_it_holds(tree: Path, tmp_path: Path) -> None:
    paths = pack(tree, tmp_path, 600, comment="Hello.")
    comments = [seedbundle.loads(path.read_bytes()).comment for path in paths]
    n = len(paths)
    assert n > 2
    assert comments[0].startswith(f"Hello.\n\n[seedbundle volume 1 of {n}: ")
    for number, comment in enumerate(comments[1:], 2):
        assert re.fullmatch(rf"\[seedbundle volume {number} of {n}: \d+ files?(, .+)?\]", comment)
    last = seedbundle.loads(paths[-1].read_bytes())
    first, final = last.names[0], last.names[-1]
    assert comments[-1].endswith(f"{first}]" if first == final else f"{first} ... {final}]")


def test_the_budget_counts_with_the_given_counter(tree: Path, tmp_path: Path) -> None:
    paths = pack(tree, tmp_path, 150, count=_estimated_tokens)
    for path in paths:
        assert _estimated_tokens(path.read_text("utf-8")) <= 150
    assert joined(paths) == single(tree)
    assert _estimated_tokens("abcde") == 2
    assert _estimated_tokens("") == 0


def test_a_file_too_large_for_any_volume_is_an_error_that_names_it_and_writes_nothing(
    tmp_path: Path,
) -> None:
    tree = make_tree(tmp_path / "t", {"small.txt": b"s\n", "big/huge.txt": b"h" * 5000 + b"\n"})
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(seedbundle.PackError, match=r"'big/huge\.txt' is too large for any volume") as caught:
        pack(tree, out, 1000)
    assert caught.value.path == str(tree / "big" / "huge.txt")
    assert list(out.iterdir()) == []


def test_a_file_larger_than_a_byte_budget_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = make_tree(tmp_path / "t", {"big.bin": b"b" * 5000})
    read: list[str] = []
    original = _pack.read_file

    def spy(found: FoundFile, **options: Any) -> seedbundle.Entry | None:
        read.append(found.name)
        return original(found, **options)

    monkeypatch.setattr(_volumes, "read_file", spy)
    with pytest.raises(
        seedbundle.PackError, match=r"'big\.bin' is too large for any volume: it holds 5000 bytes"
    ):
        pack(tree, tmp_path, 1000)
    assert read == []
    assert pack(tree, tmp_path, 8000)  # with room for it, the same spy sees it read
    assert read == ["big.bin", "big.bin"]  # once to plan, once to write


def test_a_budget_too_small_for_an_empty_volume(tree: Path, tmp_path: Path) -> None:
    with pytest.raises(seedbundle.PackError, match="too small for even an empty volume"):
        pack(tree, tmp_path, 10)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [("out-%03d.bundle", "out-007.bundle"), ("out-%d.b", "out-7.b"), ("v{n}.b", "v7.b"), ("v{n:02d}", "v07")],
)
def test_output_patterns(pattern: str, expected: str) -> None:
    assert volume_path(pattern, 7) == expected


@pytest.mark.parametrize("pattern", ["out.bundle", "a-%03d-%03d.bundle", "{n}{n}"])
def test_an_output_without_one_place_for_the_number_is_refused(
    tree: Path, tmp_path: Path, pattern: str
) -> None:
    with pytest.raises(ValueError, match="one place for the volume number"):
        seedbundle.pack_volumes(tree, tmp_path / pattern, budget=1000)
    assert not list(tmp_path.glob("out*"))


def test_bad_budgets(tree: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        seedbundle.pack_volumes(tree, tmp_path / "%d", budget=0)
    with pytest.raises(TypeError):
        seedbundle.pack_volumes(tree, tmp_path / "%d", budget=1.5)  # type: ignore[arg-type]


def test_old_volumes_inside_the_tree_are_not_packed_and_are_replaced(tree: Path) -> None:
    first = seedbundle.pack_volumes(tree, tree / "v-%02d.bundle", budget=600, git=False)
    contents = [Path(path).read_bytes() for path in first]
    with pytest.warns(seedbundle.PackWarning, match="being written"):
        second = seedbundle.pack_volumes(tree, tree / "v-%02d.bundle", budget=600, git=False)
    assert first == second
    assert [Path(path).read_bytes() for path in second] == contents


def test_join_takes_the_volumes_in_any_order_and_writes_a_path(tree: Path, tmp_path: Path) -> None:
    paths = pack(tree, tmp_path, 500, comment="c")
    out = tmp_path / "all.bundle"
    assert seedbundle.join(reversed(paths), out) == len(TREE)
    assert out.read_bytes() == single(tree, comment="c")
    with open(paths[0], "rb") as first:
        files = [first, *paths[1:]]
        assert joined(files) == single(tree, comment="c")  # type: ignore[arg-type]


def test_progress_reports_every_file_written(tree: Path, tmp_path: Path) -> None:
    calls: list[tuple[str, int, int, int]] = []
    seedbundle.pack_volumes(
        tree, tmp_path / "v%d", budget=600, git=False, progress=lambda *call: calls.append(call)
    )
    assert calls == [(name, len(TREE[name]), done, 6) for done, name in enumerate(sorted(TREE), 1)]


def test_one_volume_when_everything_fits(tree: Path, tmp_path: Path) -> None:
    paths = pack(tree, tmp_path, 100_000)
    assert len(paths) == 1
    assert seedbundle.loads(paths[0].read_bytes()).comment.startswith("[seedbundle volume 1 of 1: 6 files, ")
    assert joined(paths) == single(tree)


def test_an_empty_tree_makes_one_empty_volume(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    paths = pack(tmp_path / "empty", tmp_path, 100)
    assert seedbundle.loads(paths[0].read_bytes()).comment == "[seedbundle volume 1 of 1: 0 files]"
    assert joined(paths) == b"<<<END 0>>>\n"


# -- join's refusals ---------------------------------------------------------


@pytest.fixture
def volumes(tree: Path, tmp_path: Path) -> list[Path]:
    out = tmp_path / "vols"
    out.mkdir()
    paths = pack(tree, out, 500)
    assert len(paths) >= 3
    return paths


def refused(paths: list[Path], match: str) -> None:
    out = io.BytesIO()
    with pytest.raises(seedbundle.VolumeError, match=match):
        seedbundle.join(paths, out)
    assert out.getvalue() == b""


def test_join_refuses_a_missing_volume(volumes: list[Path]) -> None:
    refused([volumes[0], *volumes[2:]], f"volume 2 of {len(volumes)} is missing")


def test_join_lists_a_few_missing_volumes_whatever_the_count_claims() -> None:
    claim = seedbundle.Bundle([], comment="[seedbundle volume 3 of 99999999999999: 0 files]")
    refused_ = io.BytesIO(seedbundle.dumps(claim).encode())
    with pytest.raises(seedbundle.VolumeError) as caught:
        seedbundle.join([refused_], io.BytesIO())
    assert str(caught.value) == "volumes 1, 2, 4, 5, 6 and 99999999999993 more of 99999999999999 are missing"


@pytest.mark.parametrize(
    "line", ["[seedbundle volume 0 of 1: 0 files]", "[seedbundle volume 2 of 1: 0 files]"]
)
def test_join_refuses_a_number_outside_its_set(line: str) -> None:
    volume = io.BytesIO(seedbundle.dumps(seedbundle.Bundle([], comment=line)).encode())
    with pytest.raises(seedbundle.VolumeError, match="is damaged"):
        seedbundle.join([volume], io.BytesIO())


def test_join_refuses_a_volume_given_twice(volumes: list[Path]) -> None:
    refused([*volumes, volumes[1]], f"volume 2 of {len(volumes)} is given twice")


def test_join_refuses_volumes_of_different_sets(volumes: list[Path], tree: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    others = pack(tree, other, 100_000)
    refused([*volumes[:-1], others[0]], "belong to different sets")


def test_join_refuses_a_bundle_that_is_not_a_volume(volumes: list[Path], tmp_path: Path) -> None:
    plain = tmp_path / "plain.bundle"
    plain.write_bytes(b"<<<FILE a>>>\nA\n<<<END 1>>>\n")
    refused([*volumes, plain], "plain.bundle is not a seedbundle volume")


def test_join_refuses_a_broken_volume_with_its_position(volumes: list[Path]) -> None:
    data = volumes[1].read_bytes()
    volumes[1].write_bytes(data[: data.rindex(b"<<<END")])
    refused(volumes, r"v-002.bundle: .*\(at line \d+, column \d+\)")


def test_join_refuses_a_volume_whose_line_does_not_match_it(volumes: list[Path]) -> None:
    bundle = seedbundle.loads(volumes[1].read_bytes())
    fewer = seedbundle.Bundle(bundle.entries[:-1], comment=bundle.comment)
    volumes[1].write_bytes(seedbundle.dumps(fewer).encode())
    refused(volumes, "v-002.bundle is damaged")


def test_join_refuses_a_name_in_two_volumes(volumes: list[Path]) -> None:
    one = seedbundle.loads(volumes[0].read_bytes())
    two = seedbundle.loads(volumes[1].read_bytes())
    moved = seedbundle.Bundle([*two.entries[:-1], one.entries[0]], comment=two.comment)
    volumes[1].write_bytes(seedbundle.dumps(moved).encode())
    refused(volumes, f"the entry {one.entries[0].name!r} is in both")


def test_join_refuses_nothing_and_text_files(volumes: list[Path]) -> None:
    refused([], "no volumes")
    with open(volumes[0], encoding="utf-8") as text, pytest.raises(TypeError, match="binary"):
        seedbundle.join([text], io.BytesIO())  # type: ignore[list-item]


def test_a_failed_join_leaves_the_output_path_alone(volumes: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "all.bundle"
    out.write_bytes(b"old")
    with pytest.raises(seedbundle.VolumeError):
        seedbundle.join(volumes[1:], out)
    assert out.read_bytes() == b"old"


# -- the command line --------------------------------------------------------


def test_cli_pack_max_bytes_and_join(tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.chdir(tmp_path)
    assert main(["pack", str(tree), "--no-git", "--max-bytes", "500", "-o", "out-%03d.bundle"]) == 0
    paths = sorted(tmp_path.glob("out-*.bundle"))
    assert len(paths) >= 3
    assert all(len(path.read_bytes()) <= 500 for path in paths)
    err = capsys.readouterr().err
    size = sum(len(data) for data in TREE.values())
    assert (
        f"packed 6 files, {size} bytes into {len(paths)} volumes of at most 500 bytes each: out-001.bundle ... "
        in err
    )
    assert main(["join", *map(str, paths), "-o", "all.bundle"]) == 0
    assert (tmp_path / "all.bundle").read_bytes() == single(tree)
    assert main(["join", *map(str, paths)]) == 0
    assert capsys.readouterr().out.encode() == single(tree)


def test_cli_pack_max_tokens(tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "t{n}.bundle"
    assert main(["pack", str(tree), "--no-git", "--max-tokens", "150", "-o", str(out)]) == 0
    paths = sorted(tmp_path.glob("t*.bundle"))
    assert len(paths) > 1
    assert all(_estimated_tokens(path.read_text("utf-8")) <= 150 for path in paths)
    assert "estimated tokens each" in capsys.readouterr().err
    assert main(["join", *map(str, paths), "-o", str(tmp_path / "all")]) == 0
    assert (tmp_path / "all").read_bytes() == single(tree)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--max-bytes", "500"], "volumes need -o with a place for the number"),
        (["--max-bytes", "500", "-o", "plain.bundle"], "one place for the volume number"),
        (["--max-bytes", "0", "-o", "x%d"], "must be at least 1"),
        (["--max-tokens", "many", "-o", "x%d"], "not a whole number"),
        (["--max-bytes", "5", "--max-tokens", "5", "-o", "x%d"], "not allowed with argument"),
    ],
)
def test_cli_budget_usage_errors(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    os.chdir(tmp_path)
    assert main(["pack", str(tree), *arguments]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.glob("*.bundle")) == []


def test_cli_too_large_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = make_tree(tmp_path / "t", {"big.txt": b"b" * 1000 + b"\n"})
    assert main(["pack", str(tree), "--max-bytes", "300", "-o", str(tmp_path / "v%d")]) == 1
    assert "error: 'big.txt' is too large for any volume" in capsys.readouterr().err
    assert not (tmp_path / "v1").exists()


def test_cli_join_errors(tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = pack(tree, tmp_path, 500)
    assert main(["join", str(paths[0]), "-o", str(tmp_path / "all")]) == 1
    assert re.search(r"error: volumes? 2(, \d+)* of \d+ (is|are) missing", capsys.readouterr().err)
    assert not (tmp_path / "all").exists()
    assert main(["join", str(tmp_path / "missing.bundle")]) == 1
    assert "missing.bundle" in capsys.readouterr().err
