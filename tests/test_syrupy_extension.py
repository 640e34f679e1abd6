"""seedbundle.syrupy, used as syrupy users use it: real test files run by pytester."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest

import seedbundle
from seedbundle.syrupy import BundleSnapshotExtension

pytest_plugins = ["pytester"]

_INSTALLED = any(
    entry.value == "seedbundle.pytest_plugin" for entry in importlib.metadata.entry_points(group="pytest11")
)
PLUGIN = () if _INSTALLED else ("-p", "seedbundle.pytest_plugin")

SITE = """
import os
from seedbundle.syrupy import BundleSnapshotExtension

import pytest

@pytest.fixture
def tree_snapshot(snapshot):
    return snapshot.use_extension(BundleSnapshotExtension)

def test_site(tree_snapshot, tmp_path):
    (tmp_path / "index.html").write_text("<h1>Hi</h1>\\n")
    (tmp_path / "deploy.sh").write_text("#!/bin/sh\\n")
    os.chmod(tmp_path / "deploy.sh", 0o755)
    (tmp_path / ".gitignore").write_text("*.html\\n")
    assert tree_snapshot == tmp_path
"""

SNAPSHOT = Path("__snapshots__/test_site/test_site.bundle")
EXPECTED = seedbundle.Bundle(
    [
        seedbundle.Entry(".gitignore", "*.html\n"),
        seedbundle.Entry("deploy.sh", "#!/bin/sh\n", executable=True),
        seedbundle.Entry("index.html", "<h1>Hi</h1>\n"),
    ]
)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*PLUGIN, "-p", "no:cacheprovider", *args)


def test_snapshot_update_writes_a_canonical_bundle_and_the_next_run_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_site=SITE)
    run(pytester, "--snapshot-update").assert_outcomes(passed=1)
    assert (pytester.path / SNAPSHOT).read_bytes() == seedbundle.dumps(EXPECTED).encode()
    run(pytester).assert_outcomes(passed=1)


def test_a_changed_tree_fails_with_every_difference(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_site=SITE)
    old = EXPECTED.without("deploy.sh").with_entry(seedbundle.Entry("index.html", "<h1>Hello</h1>\n"))
    (pytester.path / SNAPSHOT).parent.mkdir(parents=True)
    (pytester.path / SNAPSHOT).write_bytes(
        seedbundle.dumps(old.with_entry(seedbundle.Entry("old.css", b"\0"))).encode()
    )
    result = run(pytester, "-vv")  # pytest shortens an assertion's explanation without it
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*+ deploy.sh: added (text, executable, 10 bytes, sha256 *)",
            "*~ index.html: content:",
            "*-<h1>Hello</h1>",
            "*+<h1>Hi</h1>",
            "*- old.css: missing (binary, 1 bytes, sha256 *)",
        ],
        consecutive=False,
    )
    run(pytester, "--snapshot-update").assert_outcomes(passed=1)
    assert seedbundle.loads((pytester.path / SNAPSHOT).read_bytes()) == EXPECTED


def test_a_comment_added_to_the_snapshot_by_hand_still_matches(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_site=SITE)
    (pytester.path / SNAPSHOT).parent.mkdir(parents=True)
    commented = seedbundle.Bundle(EXPECTED.entries, comment="The site as built.\n")
    (pytester.path / SNAPSHOT).write_bytes(seedbundle.dumps(commented).encode())
    run(pytester).assert_outcomes(passed=1)


def test_syrupy_leaves_the_plugin_goldens_alone(pytester: pytest.Pytester) -> None:
    # The plugin's goldens live in snapshots/, syrupy's in __snapshots__/, so
    # syrupy's clean-up of unused snapshots never deletes one of ours.
    pytester.makepyfile(test_site=SITE)
    ours = pytester.path / "snapshots" / "test_site" / "test_other.bundle"
    ours.parent.mkdir(parents=True)
    ours.write_bytes(seedbundle.dumps(EXPECTED).encode())
    run(pytester, "--snapshot-update").assert_outcomes(passed=1)
    assert ours.is_file()


def test_a_bundle_is_snapshotted_as_it_is() -> None:
    bundle = seedbundle.Bundle([seedbundle.Entry("a.bin", b"\xff", executable=True)])
    assert BundleSnapshotExtension().serialize(bundle) == seedbundle.dumps(bundle).encode()


def test_other_data_is_refused() -> None:
    with pytest.raises(TypeError, match="a directory path or a Bundle, not dict"):
        BundleSnapshotExtension().serialize({"a": 1})


def test_an_unreadable_snapshot_falls_back_to_a_plain_diff() -> None:
    extension = BundleSnapshotExtension()
    assert not extension.matches(serialized_data=b"<<<END 0>>>\n", snapshot_data=b"<<<FILE a>>>\n")
    assert list(extension.diff_lines(b"<<<END 0>>>\n", b"<<<FILE a>>>\n"))


def test_a_missing_syrupy_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in sys.modules if name == "syrupy" or name.startswith("syrupy.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delitem(sys.modules, "seedbundle.syrupy")
    monkeypatch.setitem(sys.modules, "syrupy", None)
    with pytest.raises(ImportError, match=r"pip install 'seedbundle\[syrupy\]'"):
        __import__("seedbundle.syrupy")


def test_syrupy_reports_an_unused_bundle_snapshot(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_site=SITE)
    run(pytester, "--snapshot-update").assert_outcomes(passed=1)
    stale = pytester.path / "__snapshots__" / "test_site" / "test_removed.bundle"
    stale.write_bytes(seedbundle.dumps(EXPECTED).encode())
    result = run(pytester)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*1 snapshot unused*", "*--snapshot-update to delete unused snapshots*"])
    assert stale.is_file()
