"""Packing real repositories made by running git: the files are those git lists, in git mode and not.

Each repository has tracked files that an ignore pattern matches (added
with ``git add -f``), untracked files, nested ``.gitignore`` files,
``.git/info/exclude``, a ``core.excludesFile``, a nested repository, a
submodule entry and a tracked file deleted from disk.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

import seedbundle
from seedbundle._cli import main

from .gitutil import git, isolated_git_environment, ls_files, needs_git, write_files

pytestmark = needs_git
posix_only = pytest.mark.skipif(os.name != "posix", reason="needs FIFOs and symbolic links")


@pytest.fixture(autouse=True)
def home() -> Any:
    with isolated_git_environment() as home:
        yield home


def names(root: Path, **options: Any) -> tuple[str, ...]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", seedbundle.PackWarning)
        return seedbundle.pack(root, **options).names


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write_files(
        root,
        {
            b".gitignore": b"*.log\nbuild/\n/secret.txt\n",
            b"src/main.py": b"print()\n",
            b"src/.gitignore": b"*.tmp\n!keep.log\n",
            b"src/keep.log": b"kept by the nested negation\n",
            b"src/scratch.tmp": b"",
            b"tracked.log": b"tracked, though ignored\n",
            b"build/tracked.o": b"tracked in an ignored directory\n",
            b"build/untracked.o": b"",
            b"debug.log": b"",
            b"secret.txt": b"",
            b"notes.local": b"",
            b".env": b"",
            b"gone.txt": b"",
            b"new.md": b"untracked\n",
            b"vendor/lib/x.py": b"",
        },
    )
    excludes = tmp_path / "excludes"
    excludes.write_bytes(b".env\n")
    git(root, "config", "core.excludesFile", str(excludes))
    (root / ".git" / "info" / "exclude").write_bytes(b"*.local\n")
    git(root / "vendor" / "lib", "init", "-q")
    git(root, "add", ".gitignore", "src", "gone.txt")
    git(root, "add", "-f", "tracked.log", "build/tracked.o")
    module = tmp_path / "module"
    module.mkdir()
    git(module, "init", "-q")
    git(module, "commit", "-q", "--allow-empty", "-m", "m")
    head = git(module, "rev-parse", "HEAD").decode().strip()
    git(root, "update-index", "--add", "--cacheinfo", f"160000,{head},mod")
    (root / "mod").mkdir()
    git(root, "commit", "-q", "-m", "first")
    (root / "gone.txt").unlink()
    return root


def test_git_mode_packs_exactly_what_git_lists(repository: Path) -> None:
    listed = ls_files(repository, "--cached", "--others", "--exclude-standard")
    on_disk = {name for name in listed if (repository / name).is_file()}
    assert {"gone.txt", "mod", "vendor/lib/"} <= listed - on_disk  # deleted, submodule, nested repository
    assert names(repository) == tuple(sorted(on_disk, key=lambda name: name.split("/")))
    assert names(repository) == (
        ".gitignore",
        "build/tracked.o",
        "new.md",
        "src/.gitignore",
        "src/keep.log",
        "src/main.py",
        "tracked.log",
    )


def test_git_mode_reports_why_each_path_is_left_out(repository: Path) -> None:
    left_out: list[seedbundle.Ignored] = []
    names(repository, ignored=left_out.append)
    reasons = {ignored.name: ignored.reason for ignored in left_out}
    excludes = str(repository.parent / "excludes")
    assert reasons == {
        ".env": f"{excludes}:1:.env",
        "build/untracked.o": ".gitignore:2:build/",
        "debug.log": ".gitignore:1:*.log",
        "mod/": "a submodule",
        "notes.local": ".git/info/exclude:1:*.local",
        "secret.txt": ".gitignore:3:/secret.txt",
        "src/scratch.tmp": "src/.gitignore:1:*.tmp",
        "vendor/lib/": "a nested git repository",
    }


def test_no_git_mode_reads_the_same_rules_but_knows_no_index(repository: Path) -> None:
    # Without git, tracked files that a pattern ignores are left out, and a
    # core.excludesFile set in git's config is not read (only the default place).
    assert names(repository, git=False) == (
        ".env",
        ".gitignore",
        "new.md",
        "src/.gitignore",
        "src/keep.log",
        "src/main.py",
    )
    global_excludes = Path(os.environ["XDG_CONFIG_HOME"]) / "git" / "ignore"
    global_excludes.parent.mkdir(parents=True)
    global_excludes.write_bytes(b".env\n")
    assert ".env" not in names(repository, git=False)


def test_the_global_excludes_file_counts_in_git_mode(repository: Path) -> None:
    git(repository, "config", "--unset", "core.excludesFile")
    assert ".env" in names(repository)
    global_excludes = Path(os.environ["XDG_CONFIG_HOME"]) / "git" / "ignore"
    global_excludes.parent.mkdir(parents=True)
    global_excludes.write_bytes(b".env\n")
    assert ".env" not in names(repository)


def test_a_subdirectory_packs_what_git_lists_there(repository: Path) -> None:
    assert set(names(repository / "src")) == ls_files(
        repository / "src", "--cached", "--others", "--exclude-standard"
    )
    assert names(repository / "build") == (
        "tracked.o",
    )  # git lists only the tracked file of an ignored directory


def test_no_ignore_packs_every_file_but_git_directories(repository: Path) -> None:
    packed = names(repository, gitignore=False)
    assert {"debug.log", "build/untracked.o", ".env", "vendor/lib/x.py"} <= set(packed)
    assert not any(name.startswith(".git/") or "/.git/" in name for name in packed)


def test_a_git_failure_falls_back_with_a_warning(repository: Path) -> None:
    (repository / ".git" / "index").write_bytes(b"not an index")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", seedbundle.PackWarning)
        bundle = seedbundle.pack(repository)
    assert bundle.names == names(repository, git=False)
    messages = [str(warning.message) for warning in caught]
    assert messages[0].startswith("git ls-files failed: ")
    assert messages[0].endswith("; reading the ignore files without git")
    assert messages[1:] == ["skipped the empty directory 'mod/': a bundle stores files only"]


def test_without_git_on_the_path_the_ignore_files_are_read(
    repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(repository / "nothing-here"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", seedbundle.PackWarning)
        assert seedbundle.pack(repository).names == names(repository, git=False)
    # Silently: no git is no failure. (The submodule, not checked out, is an empty directory.)
    assert [str(warning.message) for warning in caught] == [
        "skipped the empty directory 'mod/': a bundle stores files only"
    ]


@posix_only
def test_git_mode_does_not_hang_on_a_fifo_gitignore(tmp_path: Path) -> None:
    # git 2.39 itself waits for ever in open() on such a file; seedbundle must not.
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write_files(root, {b"a.txt": b"", b"sub/b.txt": b"", b"sub/c.log": b"", b".gitignore": b"*.log\n"})
    os.mkfifo(root / "sub" / ".gitignore")
    script = f"import seedbundle; print(seedbundle.pack({str(root)!r}).names)"
    source = str(Path(seedbundle.__file__).parent.parent)
    env = {**os.environ, "PYTHONPATH": source + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    # git sees the FIFO as an empty file, and does not list it (it lists files and links only).
    assert done.stdout.strip() == "('.gitignore', 'a.txt', 'sub/b.txt')"


@posix_only
def test_a_symlinked_gitignore_is_not_followed_in_either_mode(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write_files(root, {b"rules": b"a.txt\n", b"a.txt": b"", b"sub/b.txt": b""})
    (root / "sub" / ".gitignore").symlink_to("../rules")
    listed = ls_files(root, "--others", "--exclude-standard")
    assert "sub/b.txt" in listed  # git refuses the link, so 'a.txt' (relative to sub/) ignores nothing
    expected = tuple(sorted(listed - {"sub/.gitignore"}))
    assert names(root, symlinks="skip") == expected
    assert names(root, symlinks="skip", git=False) == expected


def test_cli_no_git_and_list_ignored(
    repository: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "o.bundle"
    assert main(["pack", str(repository), "--list-ignored", "-q", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "seedbundle: ignored debug.log (.gitignore:1:*.log)\n" in err
    assert "seedbundle: ignored vendor/lib/ (a nested git repository)\n" in err
    assert "tracked.log" in seedbundle.load(out.open("rb")).names
    assert main(["pack", str(repository), "--no-git", "-q", "-o", str(out)]) == 0
    assert "tracked.log" not in seedbundle.load(out.open("rb")).names
    assert (
        capsys.readouterr().err
        == "seedbundle: skipped the empty directory 'mod/': a bundle stores files only\n"
    )


def test_generated_repository_round_trips(repository: Path, tmp_path: Path) -> None:
    bundle = seedbundle.pack(repository)
    seedbundle.unpack(bundle, tmp_path / "copy")
    for entry in bundle.entries:
        assert (tmp_path / "copy" / entry.name).read_bytes() == (repository / entry.name).read_bytes()
