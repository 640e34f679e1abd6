"""The pytest plugin, used as its users use it: real test files run by pytester."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import seedbundle

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent

# Where the plugin is installed (pip install -e .), pytest loads it through its
# entry point, as it does for users; elsewhere it is named on the command line.
_INSTALLED = any(
    entry.value == "seedbundle.pytest_plugin" for entry in importlib.metadata.entry_points(group="pytest11")
)
PLUGIN = () if _INSTALLED else ("-p", "seedbundle.pytest_plugin")

BUILD = """
import os

def build(root):
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("# Title\\n\\nSome text.\\n")
    (root / "run.sh").write_text("#!/bin/sh\\necho hi\\n")
    os.chmod(root / "run.sh", 0o755)
    (root / "logo.png").write_bytes(b"\\x89PNG\\r\\n\\x00\\x01")
    (root / "notes.txt").write_bytes(b"no newline")

def test_build(tmp_path, assert_tree):
    build(tmp_path)
    assert_tree(tmp_path)
"""

GOLDEN = Path("snapshots/test_build/test_build.bundle")


@pytest.fixture(autouse=True)
def _no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests decide for themselves whether they run "under CI".
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("SEEDBUNDLE_UPDATE", raising=False)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*PLUGIN, "-p", "no:cacheprovider", *args)


def golden_of(tree: dict[str, bytes], executable: frozenset[str] = frozenset()) -> bytes:
    entries = [seedbundle.Entry(name, data, executable=name in executable) for name, data in tree.items()]
    return seedbundle.dumps(seedbundle.Bundle(entries)).encode()


BUILT = {
    "docs/index.md": b"# Title\n\nSome text.\n",
    "logo.png": b"\x89PNG\r\n\x00\x01",
    "notes.txt": b"no newline",
    "run.sh": b"#!/bin/sh\necho hi\n",
}


def write_golden(pytester: pytest.Pytester, golden: bytes, path: Path = GOLDEN) -> Path:
    target = pytester.path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(golden)
    return target


def test_a_tree_that_matches_its_golden_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_build=BUILD)
    write_golden(pytester, golden_of(BUILT, frozenset({"run.sh"})))
    run(pytester).assert_outcomes(passed=1)


def test_a_failure_reports_every_difference_at_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_build=BUILD)
    old = {
        "docs/index.md": b"# Title\n\nOld text.\n",
        "gone.txt": b"was here\n",
        "logo.png": b"\x89PNG\r\n\x00\x00",
        "notes.txt": b"no newline\n",
        "run.sh": b"#!/bin/sh\necho hi\n",
    }
    golden = write_golden(pytester, golden_of(old))
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E * differs from the golden bundle snapshots/test_build/test_build.bundle in 5 file(s):",
            "E       ~ docs/index.md: content:",
            "E           --- golden/docs/index.md",
            "E           +++ actual/docs/index.md",
            "E           @@ -1,3 +1,3 @@",
            "E            # Title",
            "E            ",
            "E           -Old text.",
            "E           +Some text.",
            "E       - gone.txt: missing (text, 9 bytes, sha256 *)",
            "E           --- golden/gone.txt",
            "E           +++ actual/gone.txt",
            "E           @@ -1 +0,0 @@",
            "E           -was here",
            "E       ~ logo.png: content: golden binary, 8 bytes, sha256 *; actual binary, 8 bytes, sha256 *",
            "E       ~ notes.txt: final newline: golden has one, actual has none",
            "E       ~ notes.txt: content:",
            "E           -no newline",
            "E           +no newline",
            "E           \\ No newline at end of file",
            "E       ~ run.sh: executable bit: golden not set, actual set",
            "E       run pytest with --seedbundle-update to accept the tree as the new golden",
        ],
        consecutive=False,
    )
    assert golden.read_bytes() == golden_of(old), "a failing run must not touch the golden"


def test_an_added_file_is_listed_with_its_text(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_build=BUILD)
    without_notes = {name: data for name, data in BUILT.items() if name != "notes.txt"}
    write_golden(pytester, golden_of(without_notes, frozenset({"run.sh"})))
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E * in 1 file(s):",
            "E       + notes.txt: added (text, 10 bytes, sha256 *)",
            "E           @@ -0,0 +1 @@",
            "E           +no newline",
        ]
    )


def test_the_update_flag_fixes_the_golden_and_a_second_run_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_build=BUILD)
    golden = write_golden(pytester, golden_of({"gone.txt": b"old\n"}))
    updated = run(pytester, "--seedbundle-update")
    updated.assert_outcomes(passed=1)
    updated.stdout.fnmatch_lines(
        ["*seedbundle: goldens written*", "updated: snapshots/test_build/test_build.bundle"]
    )
    assert golden.read_bytes() == golden_of(BUILT, frozenset({"run.sh"}))
    again = run(pytester)
    again.assert_outcomes(passed=1)
    assert "goldens written" not in again.stdout.str()


def test_a_missing_golden_fails_and_the_update_flag_creates_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_build=BUILD)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E * the golden bundle snapshots/test_build/test_build.bundle does not exist;"
            " run pytest with --seedbundle-update to create it"
        ]
    )
    assert not (pytester.path / "snapshots").exists()
    created = run(pytester, "--seedbundle-update")
    created.assert_outcomes(passed=1)
    created.stdout.fnmatch_lines(["created: snapshots/test_build/test_build.bundle"])
    assert (pytester.path / GOLDEN).read_bytes() == golden_of(BUILT, frozenset({"run.sh"}))


def test_the_environment_variable_updates_too(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_build=BUILD)
    monkeypatch.setenv("SEEDBUNDLE_UPDATE", "1")
    run(pytester).assert_outcomes(passed=1)
    assert (pytester.path / GOLDEN).is_file()


@pytest.mark.parametrize("value", ["0", "false", "no", ""])
def test_the_variable_can_say_no(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    pytester.makepyfile(test_build=BUILD)
    monkeypatch.setenv("SEEDBUNDLE_UPDATE", value)
    run(pytester).assert_outcomes(failed=1)
    assert not (pytester.path / GOLDEN).exists()


def test_a_note_written_into_a_golden_by_hand_is_kept(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_build=BUILD)
    entries = seedbundle.loads(golden_of(BUILT, frozenset({"run.sh"}))).entries
    noted = seedbundle.dumps(seedbundle.Bundle(entries, comment="Built by build().\n")).encode()
    golden = write_golden(pytester, noted)
    run(pytester).assert_outcomes(passed=1)
    run(pytester, "--seedbundle-update").assert_outcomes(passed=1)
    assert golden.read_bytes() == noted


def test_an_unknown_value_of_the_variable_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_build=BUILD)
    monkeypatch.setenv("SEEDBUNDLE_UPDATE", "please")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*SEEDBUNDLE_UPDATE='please': expected 1, 0 or force*"])


@pytest.mark.parametrize(("flag", "variable"), [("--seedbundle-update", ""), ("", "1"), ("", "yes")])
def test_updating_is_refused_under_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, flag: str, variable: str
) -> None:
    pytester.makepyfile(test_build=BUILD)
    golden = write_golden(pytester, golden_of({"old.txt": b"old\n"}))
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("SEEDBUNDLE_UPDATE", variable)
    result = run(pytester, *([flag] if flag else []))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*refusing to update golden bundles because CI is set*--seedbundle-update-force*"]
    )
    assert golden.read_bytes() == golden_of({"old.txt": b"old\n"})


@pytest.mark.parametrize(("flag", "variable"), [("--seedbundle-update-force", ""), ("", "force")])
def test_a_forced_update_works_under_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, flag: str, variable: str
) -> None:
    pytester.makepyfile(test_build=BUILD)
    monkeypatch.setenv("CI", "1")
    monkeypatch.setenv("SEEDBUNDLE_UPDATE", variable)
    run(pytester, *([flag] if flag else [])).assert_outcomes(passed=1)
    assert (pytester.path / GOLDEN).read_bytes() == golden_of(BUILT, frozenset({"run.sh"}))


def test_ci_alone_does_not_stop_a_normal_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_build=BUILD)
    write_golden(pytester, golden_of(BUILT, frozenset({"run.sh"})))
    monkeypatch.setenv("CI", "true")
    run(pytester).assert_outcomes(passed=1)


UNUSED = """
def test_one(tmp_path, assert_tree):
    (tmp_path / "a.txt").write_text("a\\n")
    assert_tree(tmp_path)

def test_two():
    pass
"""


def test_unused_goldens_are_reported_by_name_and_kept(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_unused=UNUSED)
    write_golden(pytester, golden_of({"a.txt": b"a\n"}), Path("snapshots/test_unused/test_one.bundle"))
    stale = write_golden(pytester, golden_of({}), Path("snapshots/test_unused/test_removed.bundle"))
    for args in ((), ("--seedbundle-update",)):
        result = run(pytester, *args)
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(
            [
                "*seedbundle: unused goldens*",
                "1 golden bundle(s) that no test read; they were not deleted:",
                "  snapshots/test_unused/test_removed.bundle",
            ]
        )
        assert "test_one.bundle" not in result.stdout.str()
        assert stale.is_file()


@pytest.mark.parametrize("args", [("-k", "test_one"), ("-x",)])
def test_unused_goldens_are_not_guessed_when_tests_did_not_run(
    pytester: pytest.Pytester, args: tuple[str]
) -> None:
    pytester.makepyfile(
        test_unused=UNUSED.replace("pass", "raise SystemError") + "\ndef test_three():\n    pass\n"
    )
    write_golden(pytester, golden_of({"a.txt": b"a\n"}), Path("snapshots/test_unused/test_one.bundle"))
    write_golden(pytester, golden_of({}), Path("snapshots/test_unused/test_removed.bundle"))
    result = run(pytester, *args)
    assert "unused goldens" not in result.stdout.str()


def test_a_skipped_test_keeps_its_golden_from_being_called_unused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_unused=UNUSED.replace("def test_one", "import pytest\n@pytest.mark.skip\ndef test_one")
    )
    write_golden(pytester, golden_of({"a.txt": b"a\n"}), Path("snapshots/test_unused/test_one.bundle"))
    result = run(pytester)
    result.assert_outcomes(passed=1, skipped=1)
    assert "unused goldens" not in result.stdout.str()


@pytest.mark.parametrize("in_git", [False, True], ids=["plain", "git-work-tree"])
def test_ignore_files_inside_the_tree_do_not_drop_files(pytester: pytest.Pytester, in_git: bool) -> None:
    pytester.makepyfile(
        test_build=f"""
        import subprocess

        def test_build(tmp_path, assert_tree):
            if {in_git}:
                subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
                (tmp_path / ".git" / "info").mkdir(exist_ok=True)
                (tmp_path / ".git" / "info" / "exclude").write_text("*.md\\n")
            (tmp_path / ".gitignore").write_text("*\\n")
            (tmp_path / "build").mkdir()
            (tmp_path / "build" / ".gitignore").write_text("*.o\\n")
            (tmp_path / "build" / "main.o").write_bytes(b"\\x7fELF")
            (tmp_path / "app.log").write_text("log\\n")
            (tmp_path / "notes.md").write_text("notes\\n")
            assert_tree(tmp_path)
        """
    )
    run(pytester, "--seedbundle-update").assert_outcomes(passed=1)
    golden = seedbundle.loads((pytester.path / GOLDEN).read_bytes())
    # Everything but the .git folder itself, which a bundle never holds.
    assert golden.names == (".gitignore", "app.log", "build/.gitignore", "build/main.o", "notes.md")


def test_snapshots_are_deterministic_and_byte_exact(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_build="""
        import pytest

        @pytest.mark.parametrize("order", [1, -1])
        def test_build(tmp_path, assert_tree, order):
            names = ["b/z.txt", "a.txt", "b/a.txt", "c\\u00e9.txt"][::order]
            for name in names:
                (tmp_path / name).parent.mkdir(exist_ok=True)
                (tmp_path / name).write_bytes(b"line one\\r\\nline two\\r\\n")
            assert_tree(tmp_path)
        """
    )
    run(pytester, "--seedbundle-update").assert_outcomes(passed=2)
    first, second = (pytester.path / f"snapshots/test_build/test_build[{n}].bundle" for n in ("1", "-1"))
    assert first.read_bytes() == second.read_bytes()
    golden = seedbundle.loads(first.read_bytes())
    assert golden.names == ("a.txt", "b/a.txt", "b/z.txt", "c\u00e9.txt")
    assert golden["a.txt"].data == b"line one\r\nline two\r\n"


def test_a_line_ending_change_shows_in_the_diff(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_build="""
        def test_build(tmp_path, assert_tree):
            (tmp_path / "a.txt").write_bytes(b"one\\r\\ntwo\\n")
            assert_tree(tmp_path)
        """
    )
    write_golden(pytester, golden_of({"a.txt": b"one\ntwo\n"}))
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E           -one", "E           +one\\r", "E            two"])


def test_golden_names_follow_the_test_id(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_build="""
        import pytest

        class TestSite:
            @pytest.mark.parametrize("page", ["a/b", "c"])
            def test_page(self, tmp_path, assert_tree, page):
                (tmp_path / "p.txt").write_text(page)
                assert_tree(tmp_path)
                (tmp_path / "q.txt").write_text(page)
                assert_tree(tmp_path)
                assert_tree(tmp_path, "elsewhere/custom.bundle")
        """
    )
    run(pytester, "--seedbundle-update").assert_outcomes(passed=2)
    found = sorted(str(path.relative_to(pytester.path)) for path in pytester.path.rglob("*.bundle"))
    assert found == [
        "elsewhere/custom.bundle",
        "snapshots/test_build/TestSite.test_page[a_b].2.bundle",
        "snapshots/test_build/TestSite.test_page[a_b].bundle",
        "snapshots/test_build/TestSite.test_page[c].2.bundle",
        "snapshots/test_build/TestSite.test_page[c].bundle",
    ]
    assert seedbundle.loads((pytester.path / found[2]).read_bytes()).names == ("p.txt",)


def test_a_symbolic_link_in_the_tree_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_build="""
        def test_build(tmp_path, assert_tree):
            (tmp_path / "target.txt").write_text("t\\n")
            (tmp_path / "link.txt").symlink_to("target.txt")
            assert_tree(tmp_path)
        """
    )
    result = run(pytester, "--seedbundle-update")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *AssertionError: the tree * cannot be snapshotted: 'link.txt' is a symbolic link, which a snapshot cannot hold"
        ]
    )
    assert not (pytester.path / "snapshots").exists()


def test_a_damaged_golden_fails_with_its_position(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_build=BUILD)
    write_golden(pytester, b"<<<FILE a.txt>>>\nA\n<<<END 2>>>\n")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["E * the golden bundle snapshots/test_build/test_build.bundle cannot be read: *line 3*"]
    )
    run(pytester, "--seedbundle-update").assert_outcomes(passed=1)
    run(pytester).assert_outcomes(passed=1)


def test_bundle_tree_materialises_a_file_and_a_text(pytester: pytest.Pytester) -> None:
    data = pytester.path / "data"
    data.mkdir()
    (data / "app.bundle").write_bytes(
        golden_of({"app/main.py": b"print('hi')", "app/run": b"#!/bin/sh\n"}, frozenset({"app/run"}))
    )
    pytester.makepyfile(
        test_fixture="""
        import os
        from pathlib import Path

        def test_from_a_file(bundle_tree, tmp_path):
            root = bundle_tree(Path("data/app.bundle"))
            assert root == tmp_path / "tree"
            assert (root / "app" / "main.py").read_bytes() == b"print('hi')"
            assert os.access(root / "app" / "run", os.X_OK)

        def test_from_text_and_bytes(bundle_tree, tmp_path):
            first = bundle_tree("<<<FILE a.txt>>>\\nA\\n<<<END 1>>>\\n")
            second = bundle_tree(b"<<<FILE b.txt>>>\\nB\\r\\n<<<END 1>>>\\n")
            assert (first, second) == (tmp_path / "tree", tmp_path / "tree-2")
            assert (first / "a.txt").read_bytes() == b"A\\n"
            assert (second / "b.txt").read_bytes() == b"B\\r\\n"
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_bundle_tree_refuses_a_hostile_bundle_and_names_the_mistake(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fixture="""
        import pytest
        import seedbundle

        def test_escape(bundle_tree, tmp_path):
            with pytest.raises(seedbundle.UnpackError, match="evil"):
                bundle_tree("<<<FILE ../evil.txt>>>\\nx\\n<<<END 1>>>\\n")
            assert not (tmp_path.parent / "evil.txt").exists()

        def test_a_path_as_text(bundle_tree):
            with pytest.raises(seedbundle.BundleDecodeError) as caught:
                bundle_tree("data/app.bundle")
            assert "pass a pathlib.Path" in str(caught.value.__notes__)

        def test_a_missing_file(bundle_tree):
            with pytest.raises(FileNotFoundError):
                bundle_tree(__import__("pathlib").Path("nowhere.bundle"))
        """
    )
    run(pytester).assert_outcomes(passed=3)


def test_a_session_that_uses_no_fixture_imports_no_core(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_plain="""
        import sys

        def test_plain():
            loaded = sorted(name for name in sys.modules if name.startswith("seedbundle."))
            assert loaded == ["seedbundle.pytest_plugin"]
            assert "attrs" not in sys.modules and "lark" not in sys.modules
        """
    )
    result = pytester.runpytest_subprocess(*PLUGIN, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_importing_the_plugin_imports_no_core() -> None:
    code = (
        "import sys, seedbundle.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.startswith(('seedbundle', 'attr', 'lark'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "['seedbundle', 'seedbundle.pytest_plugin']"


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["entry-points"]["pytest11"] == {"seedbundle": "seedbundle.pytest_plugin"}


def test_the_options_are_in_the_help(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--help")
    result.stdout.fnmatch_lines(
        ["*directory snapshots (seedbundle)*", "*--seedbundle-update *", "*--seedbundle-update-force*"]
    )


HOW_TO = ROOT / "docs" / "how-to" / "snapshot-directories.md"


def _fenced(language: str) -> list[str]:
    text = HOW_TO.read_text("utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def test_the_how_to_example_runs_as_the_page_says(pytester: pytest.Pytester) -> None:
    test_file = pytester.path / "tests" / "test_scaffold.py"
    test_file.parent.mkdir()
    test_file.write_text(_fenced("python")[0], encoding="utf-8")
    golden_text = next(block for block in _fenced("text") if block.endswith("<<<END 4>>>\n"))
    failure = next(block for block in _fenced("text") if "differs from the golden" in block)

    run(pytester).stdout.fnmatch_lines([_fenced("text")[0].strip()])
    run(pytester, "--seedbundle-update").stdout.fnmatch_lines(
        ["created: tests/snapshots/test_scaffold/test_scaffold.bundle"]
    )
    assert (
        test_file.parent / "snapshots/test_scaffold/test_scaffold.bundle"
    ).read_bytes() == golden_text.encode()
    run(pytester).assert_outcomes(passed=1)

    source = test_file.read_text("utf-8")
    changed = source.replace('f"# {name}\\n"', 'f"# {name}\\n\\nA new project.\\n"').replace("0o755", "0o644")
    assert changed != source
    test_file.write_text(changed, encoding="utf-8")
    expected = [re.sub(r"the tree \S+ differs", "the tree * differs", line) for line in failure.splitlines()]
    run(pytester).stdout.fnmatch_lines(expected)
