"""git itself is the oracle: seedbundle must select exactly the files git would.

Hypothesis builds small trees with ``.gitignore`` files at several levels,
made of the fragments where ignore rules are subtle (nested, anchored,
negated, directory-only, ``**``, escapes, classes, trailing spaces, CRLF, a
BOM, invalid lines). Each tree becomes a fresh repository; what ``git
ls-files --others --exclude-standard`` lists must be what seedbundle
selects, with git and without it, and for every path left out, the pattern
seedbundle names must be the one ``git check-ignore -v`` names.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seedbundle
from seedbundle._ignore import _CLASSES, Rules, parse_ignore_lines
from seedbundle._select import select_files

from .gitutil import check_ignore, git, isolated_git_environment, ls_files, needs_git, write_files

pytestmark = needs_git

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent.parent / "data" / "gitignore" / "cases.json").read_text(encoding="utf-8")
)


@pytest.fixture(autouse=True, scope="module")
def _isolated() -> Any:
    with isolated_git_environment() as home:
        yield home


def selected(root: Path, **options: Any) -> set[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", seedbundle.PackWarning)
        return {found.name for found in select_files(root, **options)}


# -- the table of cases, and the character classes ------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case["description"] for case in CASES])
def test_each_case_is_what_git_says(tmp_path: Path, case: dict[str, Any]) -> None:
    git(tmp_path, "init", "-q")
    paths = [path.encode() for path in case["ignored"] + case["kept"]]
    write_files(tmp_path, {**dict.fromkeys(paths, b""), b".gitignore": case["gitignore"].encode()})
    assert check_ignore(tmp_path, paths) == {path.encode() for path in case["ignored"]}


def test_character_classes_are_gits_byte_for_byte(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    paths = [b"x" + bytes([byte]) for byte in range(1, 256) if byte != ord("/")]
    for name, in_class in _CLASSES.items():
        members = in_class - {0, ord("/")}  # no path holds these bytes
        (tmp_path / ".gitignore").write_bytes(b"x[[:" + name + b":]]\n")
        assert check_ignore(tmp_path, paths) == {b"x" + bytes([byte]) for byte in members}, name
        rules = Rules().push(parse_ignore_lines(b"x[[:" + name + b":]]\n", source=".gitignore"))
        assert {path for path in paths if rules.excluded(path, False)} == {b"x" + bytes([b]) for b in members}


# -- generated trees ----------------------------------------------------------------

NAMES = ["a", "b", "A", "é", "a b", "b ", "#c", "!d", "[e", "x.py", "y.log", "ab", "Foo", "*", "e"]
PIECES = [
    *["a", "b", "A", "é", "e", "x", "Foo", ".py", ".log", " ", "#", "!", "["],
    *["*", "**", "?", "[a-c]", "[!a]", "[^b]", "[[:upper:]]", "[[:space:]]", "[é]", "[z-a]", "[]a]"],
    *["\\", "\\*", "\\ ", "\\[", "\\!", "\\#", "\\a"],
]
LINES = [
    *["", " ", "#comment", "!", "\\", "a\\", "a\\/b", "[z-a]", "[abc", "[[:nope:]]", "/", "!/"],
    *["*", "!*/", "!*.py", "/*", "!*", "**", "**/", "**/a", "a/**", "a/**/", "!a/**/b", "*/", "/a/", "!/a"],
    *["\\!d", "\\#c", "a b", "a\\ b", "b\\ ", "b  ", "b\t", "[[:upper:]]*/"],
    # where '?', '*' and brackets meet a '/', and where a literal prefix meets '**'
    *["/a?b", "/a*b", "/a[!x]b", "/a[^x]b", "*/b", "/*/b", "a/*", "a**/b", "a**", "/a**", "e/a**", "a/**b"],
]


@st.composite
def segments(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(st.sampled_from(NAMES))  # a name of the tree, so that patterns often match
    return "".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=2)))


@st.composite
def pattern_lines(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 2)) == 0:
        return draw(st.sampled_from(LINES))
    body = "/".join(draw(st.lists(segments(), min_size=1, max_size=2)))
    negate = draw(st.sampled_from(["", "", "!"]))
    anchor = draw(st.sampled_from(["", "", "/"]))
    directory = draw(st.sampled_from(["", "", "/"]))
    trailing = draw(st.sampled_from(["", "", "", " ", "  ", "\\ ", "\t"]))
    return negate + anchor + body + directory + trailing


@st.composite
def ignore_files(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(pattern_lines(), min_size=1, max_size=6))
    eol = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    text = eol.join(lines) + draw(st.sampled_from([eol, ""]))
    bom = draw(st.sampled_from(["", "", "\ufeff"]))
    return (bom + text).encode("utf-8")


@st.composite
def trees(draw: st.DrawFn) -> dict[bytes, bytes]:
    """Files (empty) at paths of up to three components, and .gitignore files in some of the directories."""
    paths = draw(
        st.lists(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3).map(tuple), min_size=1, max_size=12)
    )
    # A name cannot be a file and a directory at once: keep the longer paths.
    files = {path for path in paths if not any(other[: len(path)] == path != other for other in paths)}
    directories = sorted({path[:depth] for path in files for depth in range(len(path))})
    chosen = draw(st.lists(st.sampled_from(directories), max_size=3, unique=True))
    if draw(st.booleans()) and () not in chosen:
        chosen.append(())
    tree = {"/".join(path).encode(): b"" for path in files}
    for directory in chosen:
        tree["/".join((*directory, ".gitignore")).encode()] = draw(ignore_files())
    return tree


# Every path of one or two components from these names, and some of three; the leaf is a file.
PATH_NAMES = ["a", "b", "A", "é", "e", "x.py", "b\t", "a b", "b ", "*", "!d", "#c", "[e", "Foo", "ab", "a\\b"]
PATHS = [
    *(name.encode() for name in PATH_NAMES),
    *(f"{first}/{second}".encode() for first in PATH_NAMES for second in PATH_NAMES),
    *(f"{first}/{second}/{third}".encode() for first in "abé" for second in "abé" for third in "abé"),
]


def ignored_by(rules: Rules, path: bytes) -> bool:
    parts = path.split(b"/")
    for depth in range(1, len(parts)):
        if rules.excluded(b"/".join(parts[:depth]), True) is not None:
            return True
    return rules.excluded(path, False) is not None


@pytest.fixture(scope="module")
def bare_repository() -> Any:
    with tempfile.TemporaryDirectory() as scratch:
        git(scratch, "init", "-q")
        yield Path(scratch)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gitignore=ignore_files())
def test_matching_is_what_git_check_ignore_says(bare_repository: Path, gitignore: bytes) -> None:
    (bare_repository / ".gitignore").write_bytes(gitignore)
    rules = Rules().push(parse_ignore_lines(gitignore, source=".gitignore"))
    assert {path for path in PATHS if ignored_by(rules, path)} == check_ignore(bare_repository, PATHS)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees())
def test_selection_is_what_git_lists(tree: dict[bytes, bytes]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        git(root, "init", "-q")
        write_files(root, tree)
        expected = ls_files(root, "--others", "--exclude-standard")
        left_out: list[seedbundle.Ignored] = []
        assert selected(root, git=False, ignored=left_out.append) == expected
        assert selected(root) == expected
        # The pattern named for each path left out is the one git names.
        asked = [os.fsencode(ignored.name.rstrip("/")) for ignored in left_out]
        if not asked:
            return
        answers = git(
            root, "check-ignore", "--no-index", "-v", "-z", "--stdin", stdin=b"\0".join(asked) + b"\0"
        )
        fields = [os.fsdecode(field) for field in answers.split(b"\0")]
        by_git = {fields[i + 3]: ":".join(fields[i : i + 3]) for i in range(0, len(fields) - 3, 4)}
        assert {i.name.rstrip("/"): i.reason for i in left_out} == by_git
