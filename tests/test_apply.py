"""apply and plan_apply: a reviewed change to a directory, all or nothing, and its undo."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path

import pytest

import seedbundle
from seedbundle import Bundle, Entry, UnpackError, _unpack, apply, extract, plan_apply, read_change
from seedbundle._cli import main
from seedbundle._dirs import Dir

posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX symbolic links and modes")

Snapshot = dict[str, tuple[object, ...]]


def snapshot(root: Path) -> Snapshot:
    """Everything below ``root``: kind, exec bit and content (or link target) of each path."""
    result: Snapshot = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(directory, name)
            relative = path.relative_to(root).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                result[relative] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                result[relative] = ("dir",)
            else:
                result[relative] = ("file", bool(info.st_mode & stat.S_IXUSR), path.read_bytes())
    return result


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_bytes(b"import helper\n\nprint(helper.greet())\n")
    (root / "src" / "helper.py").write_bytes(b"def greet():\n    return 'hi'\n")
    (root / "README.md").write_bytes(b"# Demo\n")
    (tmp_path / "escape.txt").write_bytes(b"bait: must not change\n")
    return root


ANSWER = """\
Here are the changes: `app.py` now says hello, a test is added, and the helper is gone.

```
<<<FILE src/app.py>>>
print("hello")
<<<FILE tests/test_app.py>>>
def test_nothing():
    assert True
<<<DELETE src/helper.py>>>
<<<END 2>>>
```
"""


def actions(plan: seedbundle.ApplyPlan) -> dict[str, str]:
    return {change.name: change.action for change in plan.actions}


# -- planning ------------------------------------------------------------------


def test_each_file_gets_its_action(project: Path) -> None:
    answer = (
        "<<<FILE src/app.py>>>\nprint('new')\n<<<FILE README.md>>>\n# Demo\n<<<FILE new/x.py>>>\nx = 1\n"
        "<<<DELETE src/helper.py>>>\n<<<DELETE gone.py>>>\n<<<END 3>>>\n"
    )
    before = snapshot(project)
    plan = plan_apply(extract(answer), project)
    assert actions(plan) == {
        "src/app.py": "modify",
        "README.md": "unchanged",
        "new/x.py": "create",
        "src/helper.py": "delete",
        "gone.py": "unchanged",
    }
    assert plan.ok
    assert snapshot(project) == before  # planning writes nothing
    change = plan.actions[0]
    assert change.old_sha256 == hashlib.sha256((project / "src" / "app.py").read_bytes()).hexdigest()
    assert change.new_sha256 == hashlib.sha256(b"print('new')\n").hexdigest()
    assert plan.actions[3].new_sha256 is None
    assert "not there" in (plan.actions[4].reason or "")


def test_empty_content_is_an_empty_file_never_a_deletion(project: Path) -> None:
    plan = plan_apply(extract("<<<FILE src/helper.py>>>\n<<<END 1>>>\n"), project)
    assert actions(plan) == {"src/helper.py": "modify"}
    apply(plan)
    assert (project / "src" / "helper.py").read_bytes() == b""


def test_an_empty_search_replace_deletes_nothing(project: Path) -> None:
    answer = "src/helper.py\n```python\n<<<<<<< SEARCH\ndef greet():\n=======\n>>>>>>> REPLACE\n```\n"
    result = extract(answer)
    assert result.deletions == ()
    plan = plan_apply(result, project)
    assert all(change.action != "delete" for change in plan.actions)


def test_a_file_changed_since_the_prompt_is_a_conflict(project: Path) -> None:
    base = seedbundle.pack(project)
    (project / "src" / "app.py").write_bytes(b"print('edited by hand')\n")
    plan = plan_apply(extract(ANSWER), project, base=base)
    assert actions(plan)["src/app.py"] == "conflict"
    assert "changed on the disk since the prompt" in (plan.actions[0].reason or "")
    assert actions(plan)["tests/test_app.py"] == "create"
    assert not plan.ok


def test_creating_a_file_that_exists_but_was_not_in_the_prompt_is_a_conflict(project: Path) -> None:
    base = seedbundle.pack(project)
    (project / "tests").mkdir()
    (project / "tests" / "test_app.py").write_bytes(b"# someone else's\n")
    plan = plan_apply(extract(ANSWER), project, base=base)
    assert actions(plan)["tests/test_app.py"] == "conflict"
    assert "not in the prompt" in (plan.actions[1].reason or "")


def test_deleting_a_file_changed_since_the_prompt_is_a_conflict(project: Path) -> None:
    base = seedbundle.pack(project)
    (project / "src" / "helper.py").write_bytes(b"# precious edits\n")
    plan = plan_apply(extract(ANSWER), project, base=base)
    assert actions(plan)["src/helper.py"] == "conflict"


def test_a_file_deleted_since_the_prompt_is_a_conflict(project: Path) -> None:
    base = seedbundle.pack(project)
    (project / "src" / "app.py").unlink()
    assert actions(plan_apply(extract(ANSWER), project, base=base))["src/app.py"] == "conflict"


def test_the_base_as_packed_with_sha256_is_what_the_model_saw(project: Path, tmp_path: Path) -> None:
    prompt = tmp_path / "prompt.bundle"
    seedbundle.pack_to(project, prompt, sha256=True)
    base = seedbundle.loads(prompt.read_bytes())
    assert plan_apply(extract(ANSWER), project, base=base).ok


@pytest.mark.parametrize(
    "answer",
    ["<<<FILE src/app.py>>>\nprint(1)\n", "<<<FILE src/app.py>>>\n# ... rest of the code\n<<<END 1>>>\n"],
)
def test_truncated_and_suspect_files_are_refused_unless_forced(project: Path, answer: str) -> None:
    result = extract(answer)
    assert result.files[0].status in ("truncated", "suspect")
    plan = plan_apply(result, project)
    assert actions(plan) == {"src/app.py": "refused"}
    assert result.files[0].status in (plan.actions[0].reason or "")
    forced = plan_apply(result, project, force=["src/app.py"])
    assert actions(forced) == {"src/app.py": "modify"}
    assert forced.actions[0].forced
    assert forced.ok


def test_force_overrides_a_conflict_and_skip_leaves_a_file_alone(project: Path) -> None:
    base = seedbundle.pack(project)
    (project / "src" / "app.py").write_bytes(b"edited\n")
    forced = plan_apply(extract(ANSWER), project, base=base, force=["src/app.py"])
    assert actions(forced)["src/app.py"] == "modify"
    assert forced.ok
    skipped = plan_apply(extract(ANSWER), project, base=base, skip=["src/app.py"])
    assert skipped.ok
    assert skipped.actions[0].skipped
    apply(skipped)
    assert (project / "src" / "app.py").read_bytes() == b"edited\n"
    assert (project / "tests" / "test_app.py").exists()


def test_force_and_skip_must_name_files_of_the_answer(project: Path) -> None:
    with pytest.raises(ValueError, match=r"nope\.py"):
        plan_apply(extract(ANSWER), project, force=["nope.py"])
    with pytest.raises(TypeError):
        plan_apply(extract(ANSWER), project, skip="src/app.py")


# -- hostile answers ---------------------------------------------------------------


HOSTILE = [
    "<<<FILE ../escape.txt>>>\npwned\n<<<END 1>>>\n",
    "<<<DELETE ../escape.txt>>>\n<<<END 0>>>\n",
    "<<<FILE .git/hooks/pre-commit exec>>>\nrm -rf /\n<<<END 1>>>\n",
    "<<<DELETE .git/config>>>\n<<<END 0>>>\n",
    '<<<FILE "/tmp/absolute">>>\nx\n<<<END 1>>>\n',
    "<<<FILE readme.md>>>\nlower\n<<<END 1>>>\n",
    "<<<FILE .GIT/config>>>\nx\n<<<END 1>>>\n",
]


@pytest.mark.parametrize("answer", HOSTILE)
def test_a_hostile_answer_is_refused_and_writes_nothing(project: Path, answer: str) -> None:
    (project / ".git").mkdir()
    (project / ".git" / "config").write_bytes(b"[core]\n")
    before, bait = snapshot(project), (project.parent / "escape.txt").read_bytes()
    source = read_change(answer)
    plan = plan_apply(source, project)
    refused = [change for change in plan.actions if change.action == "refused"]
    names = source.bundle.names if isinstance(source, seedbundle.Extraction) else source.names
    if names or (isinstance(source, seedbundle.Extraction) and source.deletions):
        assert refused, plan
        assert not plan.ok
        with pytest.raises(UnpackError):
            apply(plan)
        # An unsafe name cannot be forced.
        forced = plan_apply(source, project, force=[change.name for change in refused])
        assert not forced.ok
    assert snapshot(project) == before
    assert (project.parent / "escape.txt").read_bytes() == bait


@posix_only
def test_never_writes_or_deletes_through_a_symlink(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.py").write_bytes(b"keep me\n")
    (project / "linked").symlink_to(outside)
    (project / "link.py").symlink_to(outside / "victim.py")
    answer = (
        "<<<FILE linked/victim.py>>>\npwned\n<<<FILE link.py>>>\npwned\n<<<DELETE linked/victim.py>>>\n"
        "<<<END 2>>>\n"
    )
    plan = plan_apply(extract(answer), project)
    assert set(actions(plan).values()) == {"refused"}
    assert all("link" in (change.reason or "") for change in plan.actions)
    with pytest.raises(UnpackError):
        apply(plan)
    assert (outside / "victim.py").read_bytes() == b"keep me\n"


def test_a_case_conflict_with_a_file_on_the_disk_is_refused(project: Path) -> None:
    plan = plan_apply(Bundle([Entry("src/APP.py", "x\n")]), project)
    assert actions(plan) == {"src/APP.py": "refused"}
    assert "differs only in case" in (plan.actions[0].reason or "")
    assert actions(plan_apply(Bundle([Entry("src/APP.py", "x\n")]), project, allow_case_conflicts=True)) == {
        "src/APP.py": "create"
    }


# -- rendering ------------------------------------------------------------------------


def test_the_diff_is_a_unified_diff(project: Path) -> None:
    plan = plan_apply(extract(ANSWER), project)
    assert plan.diff() == (
        "--- a/src/app.py\n+++ b/src/app.py\n@@ -1,3 +1 @@\n-import helper\n-\n-print(helper.greet())\n"
        '+print("hello")\n'
        "--- /dev/null\n+++ b/tests/test_app.py\n@@ -0,0 +1,2 @@\n+def test_nothing():\n+    assert True\n"
        "--- a/src/helper.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-def greet():\n-    return 'hi'\n"
    )


def test_the_diff_shows_binary_files_mode_changes_missing_newlines_and_problems(project: Path) -> None:
    (project / "logo.png").write_bytes(b"\x89PNG\x00old")
    bundle = Bundle(
        [
            Entry("logo.png", b"\x89PNG\x00new!"),
            Entry("README.md", "# Demo\n", executable=True),
            Entry("src/helper.py", "no newline"),
            Entry("../x", "y"),
        ]
    )
    diff = plan_apply(bundle, project).diff()
    old_hash, new_hash = (
        hashlib.sha256(data).hexdigest() for data in (b"\x89PNG\x00old", b"\x89PNG\x00new!")
    )
    assert f"Binary file logo.png: 8 bytes, sha256 {old_hash}" in diff
    assert f"-> 9 bytes, sha256 {new_hash}\n" in diff
    assert "old mode 100644\nnew mode 100755\n--- a/README.md\n+++ b/README.md\n" in diff
    assert "+no newline\n\\ No newline at end of file\n" in diff
    assert re.search(r"^# refused \.\./x: unsafe: ", diff, re.MULTILINE)


def test_the_plan_as_json(project: Path) -> None:
    report = json.loads(json.dumps(plan_apply(extract(ANSWER), project).as_dict()))
    assert report["ok"] is True
    assert [(item["name"], item["action"]) for item in report["actions"]] == [
        ("src/app.py", "modify"),
        ("tests/test_app.py", "create"),
        ("src/helper.py", "delete"),
    ]
    assert report["actions"][2]["old_size"] == len(b"def greet():\n    return 'hi'\n")
    assert report["actions"][2]["new_sha256"] is None


# -- applying ---------------------------------------------------------------------------


def test_apply_then_its_undo_restores_the_tree(project: Path, tmp_path: Path) -> None:
    (project / "run.sh").write_bytes(b"#!/bin/sh\n")
    (project / "run.sh").chmod(0o755)
    before = snapshot(project)
    answer = ANSWER.replace("<<<END 2>>>", "<<<FILE run.sh>>>\n#!/bin/sh\necho hi\n<<<END 3>>>")
    undo = tmp_path / "undo.bundle"
    result = apply(plan_apply(extract(answer), project), undo_to=undo)
    assert (project / "src" / "app.py").read_bytes() == b'print("hello")\n'
    assert not (project / "src" / "helper.py").exists()
    assert (project / "tests" / "test_app.py").exists()
    assert undo.read_text("utf-8") == result.undo
    assert result.undo_path == str(undo)
    assert result.undo.endswith("<<<DELETE tests/test_app.py>>>\n")
    apply(read_change(undo.read_bytes()), project)
    assert snapshot(project) == before  # the created tests/ directory is gone too


def test_a_deletion_removes_the_directories_it_empties(project: Path) -> None:
    (project / "deep" / "er").mkdir(parents=True)
    (project / "deep" / "er" / "only.txt").write_bytes(b"x\n")
    apply(read_change("<<<END 0>>>\n<<<DELETE deep/er/only.txt>>>\n"), project)
    assert not (project / "deep").exists()
    assert project.is_dir()


def test_nothing_is_written_when_the_plan_is_not_ok(project: Path, tmp_path: Path) -> None:
    before = snapshot(project)
    plan = plan_apply(extract(ANSWER[: ANSWER.index("    assert")]), project)  # cut inside a file
    assert not plan.ok
    with pytest.raises(UnpackError, match="nothing was written"):
        apply(plan, undo_to=tmp_path / "undo.bundle")
    assert snapshot(project) == before
    assert not (tmp_path / "undo.bundle").exists()


def test_the_tree_changing_between_plan_and_apply_writes_nothing(project: Path) -> None:
    plan = plan_apply(extract(ANSWER), project)
    (project / "src" / "app.py").write_bytes(b"changed meanwhile\n")
    before = snapshot(project)
    with pytest.raises(UnpackError, match="changed in the directory since the plan"):
        apply(plan)
    assert snapshot(project) == before


def test_an_existing_undo_file_is_never_replaced(project: Path, tmp_path: Path) -> None:
    undo = tmp_path / "undo.bundle"
    undo.write_bytes(b"older undo\n")
    before = snapshot(project)
    with pytest.raises(FileExistsError):
        apply(plan_apply(extract(ANSWER), project), undo_to=undo)
    assert snapshot(project) == before
    assert undo.read_bytes() == b"older undo\n"


@pytest.mark.parametrize("failing_call", [1, 2, 3])
def test_a_failure_mid_apply_puts_everything_back(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing_call: int
) -> None:
    before = snapshot(project)
    real_move = Dir.move
    calls = 0

    def failing_move(self: Dir, source: str, destination: str) -> None:
        nonlocal calls
        calls += 1
        if calls == failing_call:
            raise OSError(5, "Input/output error (injected)")
        real_move(self, source, destination)

    monkeypatch.setattr(Dir, "move", failing_move)
    undo = tmp_path / "undo.bundle"
    with pytest.raises(OSError, match="injected"):
        apply(plan_apply(extract(ANSWER), project), undo_to=undo)
    assert snapshot(project) == before
    assert not undo.exists()


def test_apply_plans_itself_from_an_extraction_or_a_bundle(project: Path) -> None:
    apply(Bundle([Entry("notes.txt", "n\n")]), project)
    assert (project / "notes.txt").read_bytes() == b"n\n"
    with pytest.raises(TypeError):
        apply(Bundle([]))


def test_read_change_reads_bundles_and_undo_files_exactly() -> None:
    tricky = Bundle([Entry("a.py", "# ... rest of the code\n<<<<<<< SEARCH\n")])
    assert read_change(seedbundle.dumps(tricky)) == tricky
    undo = read_change(seedbundle.dumps(tricky) + '<<<DELETE "b c.py">>>\n')
    assert isinstance(undo, seedbundle.Extraction)
    assert undo.deletions == ("b c.py",)
    assert undo.files[0].status == "complete"
    assert isinstance(read_change("prose\n<<<FILE a.py>>>\nx\n"), seedbundle.Extraction)


# -- the command line ---------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_cli_extract_writes_the_canonical_answer_and_reports_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = tmp_path / "answer.md"
    answer.write_text(ANSWER, "utf-8")
    status, out, err = run(capsys, "extract", str(answer))
    assert status == 0
    assert out.endswith("<<<END 2>>>\n<<<DELETE src/helper.py>>>\n")
    assert read_change(out).deletions == ("src/helper.py",)  # type: ignore[union-attr]
    for line in err.splitlines():
        assert re.fullmatch(rf"{re.escape(str(answer))}:\d+:\d+: SB\d{{3}} (info|warning|error): .+", line), (
            line
        )
    assert "SB101 info" in err


def test_cli_extract_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cut = tmp_path / "cut.md"
    cut.write_text("<<<FILE a.py>>>\nprint(1)\n", "utf-8")
    status, _out, err = run(capsys, "extract", str(cut))
    assert status == 1
    assert "SB301" in err
    status, _out, err = run(capsys, "extract", str(cut), "--finish-reason", "length")
    assert status == 1
    nothing = tmp_path / "nothing.md"
    nothing.write_text("Sorry, I can't do that.\n", "utf-8")
    status, out, _err = run(capsys, "extract", str(nothing), "--json")
    assert status == 1
    assert json.loads(out)["diagnostics"][0]["code"] == "SB901"
    out_file = tmp_path / "out.bundle"
    ok = tmp_path / "ok.md"
    ok.write_text("<<<FILE a.py>>>\nprint(1)\n<<<END 1>>>\n", "utf-8")
    assert run(capsys, "extract", str(ok), "-o", str(out_file))[0] == 0
    assert out_file.read_text("utf-8") == "<<<FILE a.py>>>\nprint(1)\n<<<END 1>>>\n"
    assert run(capsys, "extract")[0] == 2


def test_cli_apply_shows_the_plan_and_writes_nothing_without_yes(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = tmp_path / "answer.md"
    answer.write_text(ANSWER, "utf-8")
    before = snapshot(project)
    status, out, _err = run(capsys, "apply", str(answer), "-C", str(project))
    assert status == 0
    assert out.startswith(
        "modify    src/app.py\ncreate    tests/test_app.py\ndelete    src/helper.py\n--- a/src/app.py\n"
    )
    assert snapshot(project) == before
    status, out, _err = run(capsys, "apply", str(answer), "-C", str(project), "--json")
    assert status == 0
    assert json.loads(out)["ok"] is True


def test_cli_apply_yes_applies_and_its_undo_restores(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = tmp_path / "answer.md"
    answer.write_text(ANSWER, "utf-8")
    before = snapshot(project)
    undo = tmp_path / "undo.bundle"
    status, _out, err = run(capsys, "apply", str(answer), "-C", str(project), "--yes", "--undo-to", str(undo))
    assert status == 0, err
    assert f"apply {undo} -C {project} --yes" in err
    assert not (project / "src" / "helper.py").exists()
    status, _out, err = run(
        capsys, "apply", str(undo), "-C", str(project), "--yes", "--undo-to", str(tmp_path / "u2")
    )
    assert status == 0, err
    assert snapshot(project) == before


def test_cli_apply_with_a_conflict_writes_nothing_unless_forced_or_skipped(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    prompt = tmp_path / "prompt.bundle"
    seedbundle.pack_to(project, prompt, sha256=True)
    (project / "src" / "app.py").write_bytes(b"edited\n")
    answer = tmp_path / "answer.md"
    answer.write_text(ANSWER, "utf-8")
    before = snapshot(project)
    args = ["apply", str(answer), "-C", str(project), "--base", str(prompt), "--yes"]
    status, out, err = run(capsys, *args)
    assert status == 1
    assert "conflict  src/app.py: 'src/app.py' has changed on the disk since the prompt" in out
    assert "nothing was written" in err
    assert "--force NAME or --skip NAME" in err
    assert snapshot(project) == before
    assert run(capsys, *args[:-1])[0] == 1  # the plan alone says so too
    status, _out, err = run(capsys, *args, "--skip", "src/app.py")
    assert status == 0, err
    assert (project / "src" / "app.py").read_bytes() == b"edited\n"
    assert list(tmp_path.glob("project.undo-*.bundle"))  # the default undo file, beside the directory
    assert run(capsys, *args, "--force", "nope.py")[0] == 2


def test_cli_apply_reads_stdin_and_refuses_hostile_names(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    data = b"<<<FILE ../escape.txt>>>\npwned\n<<<END 1>>>\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    status, out, err = run(capsys, "apply", "-", "-C", str(project), "--yes")
    assert status == 1
    assert out.startswith("refused   ../escape.txt: unsafe:")
    assert (project.parent / "escape.txt").read_bytes() == b"bait: must not change\n"
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "edit"),
    [
        ("src/app.py", b"edited in place meanwhile\n"),  # same file, another size and time
        ("tests/test_app.py", b"appeared meanwhile\n"),  # where the answer creates a file
        ("src/helper.py", b"edited before the deletion\n"),
    ],
)
def test_a_file_changed_while_applying_writes_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch, name: str, edit: bytes
) -> None:
    plan = plan_apply(extract(ANSWER), project)
    real_commit = _unpack._Writer.commit

    def commit_after_an_edit(self: _unpack._Writer) -> None:
        path = project.joinpath(*name.split("/"))
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(edit)
        real_commit(self)

    monkeypatch.setattr(_unpack._Writer, "commit", commit_after_an_edit)
    with pytest.raises(UnpackError, match="changed in the target directory"):
        apply(plan)
    monkeypatch.undo()
    after = snapshot(project)
    assert after[name] == ("file", False, edit)  # the edit is kept, not overwritten
    assert after["src/app.py"][2] != b'print("hello")\n'
    assert "src/helper.py" in after


MALICIOUS = sorted(Path(__file__).parent.joinpath("malicious").glob("*.bundle"))


@pytest.mark.parametrize("path", MALICIOUS, ids=lambda path: path.stem)
def test_the_malicious_corpus_is_refused_or_repaired_never_written_outside(
    path: Path, tmp_path: Path
) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (tmp_path / "escape.txt").write_bytes(b"bait\n")
    source = read_change(path.read_bytes())
    plan = plan_apply(source, target)
    if plan.ok:  # what extract repairs: a wrong END count, a name given twice
        assert isinstance(source, seedbundle.Extraction)
        assert source.diagnostics
        apply(plan)
    else:
        with pytest.raises(UnpackError, match="nothing was written"):
            apply(plan)
        assert os.listdir(target) == []
    assert (tmp_path / "escape.txt").read_bytes() == b"bait\n"
    assert sorted(os.listdir(tmp_path)) == ["escape.txt", "target"]


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_mid_apply_puts_everything_back(
    project: Path, monkeypatch: pytest.MonkeyPatch, interrupt: type[BaseException]
) -> None:
    before = snapshot(project)
    real_move = Dir.move
    calls = 0

    def interrupted_move(self: Dir, source: str, destination: str) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise interrupt
        real_move(self, source, destination)

    monkeypatch.setattr(Dir, "move", interrupted_move)
    with pytest.raises(interrupt):
        apply(plan_apply(extract(ANSWER), project))
    assert snapshot(project) == before


def test_cli_apply_of_an_answer_without_files_fails(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = tmp_path / "sorry.md"
    answer.write_text("Sorry, I cannot help with that.\n", "utf-8")
    status, _out, err = run(capsys, "apply", str(answer), "-C", str(project), "--yes")
    assert status == 1
    assert "SB901 error" in err
    assert "holds no file and no deletion; nothing was written" in err
