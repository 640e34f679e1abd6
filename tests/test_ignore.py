"""Reading and matching ignore files as git does, without git: seedbundle._ignore and the walk.

The cases in ``data/gitignore/cases.json`` were each checked against git
2.39 (``tests/property/test_git_oracle.py`` checks them again wherever git
is installed); here they pin the matcher alone. The tests that need git
itself are in ``tests/property/test_git_*.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest

import seedbundle
from seedbundle._cli import main
from seedbundle._ignore import (
    PatternError,
    Rules,
    compile_patterns,
    find_repository,
    is_repository,
    parse_ignore_lines,
    read_ignore_file,
)

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "gitignore" / "cases.json").read_text(encoding="utf-8")
)
posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX file types")


@pytest.fixture(autouse=True)
def _no_global_excludes(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))


def ignored_by(gitignore: bytes, path: bytes) -> bool:
    """Whether one root .gitignore ignores the file ``path``: a directory above it, or the file itself."""
    rules = Rules().push(parse_ignore_lines(gitignore, source=".gitignore"))
    parts = path.split(b"/")
    for depth in range(1, len(parts)):
        if rules.excluded(b"/".join(parts[:depth]), True) is not None:
            return True
    return rules.excluded(path, False) is not None


def write(root: Path, files: dict[str, bytes | str]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)


def names(root: Path, **options: Any) -> tuple[str, ...]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", seedbundle.PackWarning)
        return seedbundle.pack(root, **options).names


def fake_repository(path: Path) -> None:
    """Enough of a .git for git (and seedbundle) to see a repository: HEAD, objects, refs."""
    (path / ".git" / "objects").mkdir(parents=True)
    (path / ".git" / "refs").mkdir()
    (path / ".git" / "HEAD").write_bytes(b"ref: refs/heads/main\n")


# -- the matcher -------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case["description"] for case in CASES])
def test_patterns_match_as_git_does(case: dict[str, Any]) -> None:
    gitignore = case["gitignore"].encode()
    for path in case["ignored"]:
        assert ignored_by(gitignore, path.encode()), path
    for path in case["kept"]:
        assert not ignored_by(gitignore, path.encode()), path


def test_the_deepest_ignore_file_decides_then_info_exclude_then_the_global_file() -> None:
    exclude = parse_ignore_lines(b"*.a\n*.b\n", source="info/exclude")
    global_ = parse_ignore_lines(b"*.c\n!*.a\n", source="global")
    root = parse_ignore_lines(b"!*.b\n*.d\n", source=".gitignore")
    deeper = parse_ignore_lines(b"!*.d\n", source="s/.gitignore", base=b"s/")
    rules = Rules(files=(exclude, global_)).push(root).push(deeper)
    decided = {name: rules.last_match(name.encode(), False) for name in ("x.a", "x.b", "x.c", "x.d", "s/x.d")}
    assert {name: (p.source, p.negative) if p else None for name, p in decided.items()} == {
        "x.a": ("info/exclude", False),  # info/exclude is consulted before the global file
        "x.b": (".gitignore", True),  # any .gitignore before info/exclude
        "x.c": ("global", False),
        "x.d": (".gitignore", False),  # s/.gitignore holds only below s/
        "s/x.d": ("s/.gitignore", True),
    }


def test_a_pattern_reports_where_it_is_written() -> None:
    (pattern,) = parse_ignore_lines(b"# c\n\n/build/  \n", source="sub/.gitignore", base=b"sub/")
    assert pattern.reason == "sub/.gitignore:3:/build/"
    assert pattern.matches(b"sub/build", True)
    assert not pattern.matches(b"build", True)
    assert not pattern.matches(b"sub/x/build", True)


# -- reading ignore files ------------------------------------------------------


@posix_only
def test_a_fifo_ignore_file_is_skipped_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / ".gitignore")
    read = read_ignore_file(str(tmp_path / ".gitignore"), source=".gitignore")
    assert read.patterns == ()
    assert read.problem == "it is a FIFO (named pipe), not a file"


@posix_only
def test_pack_does_not_block_on_a_fifo_ignore_file(tmp_path: Path) -> None:
    # In a child process, so that the old behaviour (blocking in open()) fails the test instead of hanging it.
    tree = tmp_path / "tree"
    write(tree, {"a.txt": "a", "sub/b.txt": "b"})
    os.mkfifo(tree / "sub" / ".gitignore")
    script = textwrap.dedent(
        f"""
        import warnings, seedbundle
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print(seedbundle.pack({str(tree)!r}, git=False, exclude=["/sub/.gitignore"]).names)
        print([str(w.message) for w in caught])
        try:
            seedbundle.pack({str(tree)!r}, git=False)
        except seedbundle.PackError as error:
            print(error)
        """
    )
    source = str(Path(seedbundle.__file__).parent.parent)
    env = {**os.environ, "PYTHONPATH": source + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    packed, caught, refused = done.stdout.splitlines()
    assert packed == "('a.txt', 'sub/b.txt')"
    assert "it is a FIFO (named pipe), not a file" in caught
    assert refused.endswith("is a FIFO (named pipe), which a bundle cannot store (exclude it)")


@posix_only
def test_a_symlinked_gitignore_is_not_followed(tmp_path: Path) -> None:
    write(tmp_path, {"rules": "a.txt\n", "a.txt": "a"})
    (tmp_path / ".gitignore").symlink_to("rules")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bundle = seedbundle.pack(tmp_path, git=False, symlinks="skip")
    assert bundle.names == ("a.txt", "rules")
    assert sorted(str(warning.message) for warning in caught) == [
        f"skipped the ignore file {str(tmp_path / '.gitignore')!r}: it is a symbolic link, which git does not follow",
        "skipped the symbolic link '.gitignore'",
    ]


def test_an_ignore_file_that_is_a_directory_is_skipped(tmp_path: Path) -> None:
    read = read_ignore_file(str(tmp_path), source=".gitignore")
    assert (read.patterns, read.problem) == ((), "it is a directory, not a file")


def test_a_missing_ignore_file_has_no_patterns(tmp_path: Path) -> None:
    read = read_ignore_file(str(tmp_path / "nothing"), source=".gitignore")
    assert (read.patterns, read.problem) == ((), None)


@pytest.mark.parametrize("line", ["!", "\\", "a\\", "a\\/b", "[z-a]", "[", "[[:nope:]]", "**/", "/", "!/"])
def test_any_ignore_line_packs_without_error(tmp_path: Path, line: str) -> None:
    write(tmp_path, {".gitignore": line + "\n", "a": "", "z": "", "!": ""})
    # git reads each of these without complaint; only '[z-a]' matches a name here ('z').
    expected = ("!", ".gitignore", "a") if line == "[z-a]" else ("!", ".gitignore", "a", "z")
    assert names(tmp_path, git=False) == expected
    assert names(tmp_path) == expected  # not a work tree: the same without git


# -- the caller's patterns -------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("!", "it is empty, so it matches nothing"),
        ("/", "it is empty, so it matches nothing"),
        ("[z-a]", "the range 'z'-'a' is reversed, so it adds nothing"),
        ("[abc", "a '[' without its ']'"),
        ("x\\", "it ends in a lone backslash"),
        ("\\", "it ends in a lone backslash"),
        ("[[:nope:]]", "there is no character class [:nope:]"),
        ("#notes", "a leading '#' starts a comment"),
        ("", "it is empty"),
        ("  ", "it is empty"),
        ("a\nb", "a pattern is one line"),
    ],
)
def test_a_pattern_that_cannot_work_is_refused_with_its_name(pattern: str, problem: str) -> None:
    with pytest.raises(PatternError, match="invalid exclude pattern") as caught:
        compile_patterns("exclude", [pattern])
    assert repr(pattern) in str(caught.value)
    assert problem in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_pack_refuses_such_patterns_before_reading_anything(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"invalid include pattern '\[z-a\]'"):
        seedbundle.pack(tmp_path, include=["[z-a]"])
    with pytest.raises(ValueError, match="invalid exclude pattern '!'"):
        seedbundle.pack_to(tmp_path, tmp_path / "out.bundle", exclude=["!"])
    assert not (tmp_path / "out.bundle").exists()


def test_patterns_must_be_strings() -> None:
    with pytest.raises(TypeError, match="not one str"):
        compile_patterns("exclude", "*.log")
    with pytest.raises(TypeError, match="must be a str, not bytes"):
        compile_patterns("exclude", [b"*.log"])  # type: ignore[list-item]


def test_include_keeps_gitignore_semantics_and_a_slash_anchors(tmp_path: Path) -> None:
    write(tmp_path, dict.fromkeys(["src/a.py", "lib/src/b.py", "c.py", "src/d.txt"], ""))
    assert names(tmp_path, include=["src/"]) == ("lib/src/b.py", "src/a.py", "src/d.txt")
    assert names(tmp_path, include=["/src/"]) == ("src/a.py", "src/d.txt")
    assert names(tmp_path, include=["/src/*.py"]) == ("src/a.py",)
    assert names(tmp_path, include=["*.py", "!c.py"]) == ("lib/src/b.py", "src/a.py")


# -- the walk ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gitignore", "files", "packed"),
    [
        # The disagreements with git that pathspec 1.1.1 gave 1.0.0, as pack sees them.
        ("*\n!*/\n!*.py\n", ["src/c.py", "src/d.txt"], ["src/c.py"]),
        ("!*\n/*\n", ["deep/Foo"], []),
        ("abc/**\n!abc/keep\n", ["abc/keep", "abc/x"], [".gitignore", "abc/keep"]),
        ("foo/**/\n", ["foo/a/x", "foo/b"], [".gitignore", "foo/b"]),
        ("[[:upper:]]*\n", ["Abc", "abc"], [".gitignore", "abc"]),
        ("[[:space:]]x\n", [" x", "ax"], [".gitignore", "ax"]),
        ("ab[\\]]c\n", ["ab]c", "abc"], [".gitignore", "abc"]),
        ("a**/b\n", ["ab", "ax/y/b", "axb"], [".gitignore", "axb"]),
        ("?\n", ["é", "e"], [".gitignore", "é"]),
        ("\ufeffbom\n", ["bom", "x"], [".gitignore", "x"]),
        ("one\x0btwo\n", ["one", "two"], [".gitignore", "one", "two"]),
        ("one\u2028two\n", ["one", "two"], [".gitignore", "one", "two"]),
    ],
)
def test_pack_leaves_out_what_git_would(
    tmp_path: Path, gitignore: str, files: list[str], packed: list[str]
) -> None:
    write(tmp_path, {".gitignore": gitignore, **dict.fromkeys(files, "")})
    assert list(names(tmp_path, git=False)) == packed


def test_every_path_left_out_is_reported_with_its_reason(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".gitignore": "*.log\nbuild/\n",
            "a.log": "",
            "build/x.o": "",
            "keep.py": "",
            "notes.md": "",
            "tmp/x": "",
            "vendor/lib/x.py": "",
        },
    )
    fake_repository(tmp_path / "vendor" / "lib")
    left_out: list[seedbundle.Ignored] = []
    packed = names(
        tmp_path, git=False, include=["*.py", ".gitignore"], exclude=["tmp"], ignored=left_out.append
    )
    assert packed == (".gitignore", "keep.py")
    assert [(i.name, i.reason) for i in left_out] == [
        ("a.log", ".gitignore:1:*.log"),
        ("build/", ".gitignore:2:build/"),
        ("notes.md", "matches no include pattern"),
        ("tmp/", "exclude pattern 'tmp'"),
        ("vendor/lib/", "a nested git repository"),
    ]


def test_a_nested_repository_is_not_entered_and_its_rules_do_not_apply(tmp_path: Path) -> None:
    write(tmp_path, {"inner/.gitignore": "*\n", "inner/x": "", "fake/.git/config": "", "fake/y": ""})
    fake_repository(tmp_path / "inner")
    assert is_repository(str(tmp_path / "inner"))
    assert not is_repository(str(tmp_path / "fake"))  # a .git without HEAD, objects and refs is no repository
    assert names(tmp_path, git=False) == ("fake/y",)
    assert names(tmp_path, gitignore=False) == ("fake/y", "inner/.gitignore", "inner/x")  # --no-ignore


def test_the_global_excludes_file_applies_inside_a_work_tree(tmp_path: Path) -> None:
    excludes = Path(os.environ["XDG_CONFIG_HOME"]) / "git" / "ignore"
    write(excludes.parent, {"ignore": ".env\n"})
    write(tmp_path, {"repo/.env": "", "repo/a": "", "plain/.env": "", "plain/a": ""})
    fake_repository(tmp_path / "repo")
    assert names(tmp_path / "repo", git=False) == ("a",)
    assert names(tmp_path / "plain", git=False) == (
        ".env",
        "a",
    )  # outside a work tree only .gitignore files count


def test_info_exclude_of_a_linked_work_tree_is_found(tmp_path: Path) -> None:
    common = tmp_path / "main.git"
    write(common, {"info/exclude": "*.secret\n", "worktrees/wt/commondir": "../..\n"})
    write(tmp_path, {"wt/.git": f"gitdir: {common / 'worktrees' / 'wt'}\n", "wt/a": "", "wt/b.secret": ""})
    repository = find_repository(str(tmp_path / "wt"))
    assert repository is not None
    assert repository.common_dir == str(common)
    assert names(tmp_path / "wt", git=False) == ("a",)


@posix_only
def test_a_tree_deeper_than_the_recursion_limit_packs(tmp_path: Path) -> None:
    depth = max(1100, sys.getrecursionlimit() + 100)
    handle = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=handle)
            inner = os.open("d", os.O_RDONLY, dir_fd=handle)
            os.close(handle)
            handle = inner
        with open(os.open("f", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=handle), "wb") as file:
            file.write(b"deep\n")
    finally:
        os.close(handle)
    (tmp_path / ".gitignore").write_text("*.log\n")
    try:
        bundle = seedbundle.pack(tmp_path, git=False)
        assert bundle.names == (".gitignore", "d/" * depth + "f")
        assert bundle.entries[1].data == b"deep\n"
    finally:
        remove_chain(tmp_path)


def remove_chain(root: Path) -> None:
    """Remove a chain of directories 'd/d/...' one level at a time (shutil.rmtree recurses)."""
    while (root / "d").exists():
        if (root / "d" / "d").exists():
            (root / "d" / "d").rename(root / "next")
        else:
            for child in (root / "d").iterdir():
                child.unlink()
        (root / "d").rmdir()
        if (root / "next").exists():
            (root / "next").rename(root / "d")


# -- the command line ------------------------------------------------------------


def test_cli_refuses_a_bad_pattern_in_one_line_with_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pack", str(tmp_path), "--exclude", "!", "-o", str(tmp_path / "o.bundle")]) == 2
    assert main(["pack", str(tmp_path), "--include", "[z-a]"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "seedbundle: error: --exclude: invalid exclude pattern '!': it is empty, so it matches nothing",
        "seedbundle: error: --include: invalid include pattern '[z-a]': the range 'z'-'a' is reversed,"
        " so it adds nothing",
    ]
    assert not (tmp_path / "o.bundle").exists()


def test_cli_lists_what_it_leaves_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "tree", {".gitignore": "*.log\n", "a.log": "", "b.txt": ""})
    out = tmp_path / "o.bundle"
    assert main(["pack", str(tmp_path / "tree"), "--no-git", "--list-ignored", "-q", "-o", str(out)]) == 0
    assert capsys.readouterr().err == "seedbundle: ignored a.log (.gitignore:1:*.log)\n"
    assert seedbundle.load(out.open("rb")).names == (".gitignore", "b.txt")
