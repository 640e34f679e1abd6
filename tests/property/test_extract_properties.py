"""Properties of extract: lossless on clean bundles, documented on model artifacts, never an exception.

"Clean" uses the one definition of what looks like a model artifact,
``seedbundle._extract_checks.looks_like_model_artifact``, which extract
itself applies to every file it reads.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from seedbundle import Bundle, Entry, Extraction, dumps, extract, loads
from seedbundle._extract_checks import looks_like_model_artifact, review_content
from seedbundle._extract_names import review_name
from seedbundle.strategies import bundle_texts, bundles

from .strategies import documents, line_soups, surrogate_texts


def _clean(bundle: Bundle) -> Bundle:
    """The bundle without the entries that look like model artifacts."""
    return Bundle(
        [entry for entry in bundle if not looks_like_model_artifact(entry.name, entry.data)],
        comment=bundle.comment,
    )


CLEAN_BUNDLES = bundles(max_entries=4).map(_clean).filter(len)

# Prose as models write it around files: sentences of several words, never a
# line that holds a name alone, never a fence or a marker.
_WORDS = st.sampled_from(
    [
        "Here",
        "is",
        "the",
        "fix",
        "for",
        "main.py",
        "Sure!",
        "I",
        "changed",
        "two",
        "files:",
        "`app.py`",
        "Done.",
        "ok",
    ]
)
_SENTENCE = st.lists(_WORDS, min_size=2, max_size=8).map(" ".join)
PROSE = st.lists(st.one_of(_SENTENCE, st.just("")), max_size=4).map(
    lambda lines: "".join(f"{line}\n" for line in lines)
)
FENCES = st.sampled_from(["```", "````", "~~~", "```text", "````seedbundle", "~~~~~ bundle"])


def _codes(result: Extraction) -> list[str]:
    return [diagnostic.code for diagnostic in result.diagnostics]


@settings(max_examples=300, deadline=None)
@given(CLEAN_BUNDLES, st.booleans())
def test_a_clean_bundle_comes_back_with_no_diagnostic(bundle: Bundle, sha256: bool) -> None:
    result = extract(dumps(bundle, sha256=sha256))
    assert result.bundle == bundle
    assert result.diagnostics == ()
    assert result.ok
    assert all(file.status == "complete" and file.dialect == "seedbundle" for file in result.files)


@settings(max_examples=300, deadline=None)
@given(CLEAN_BUNDLES, PROSE, FENCES, PROSE, st.booleans())
@example(Bundle([Entry("0", b"")], comment="0/A\n"), "", "````", "", False)
def test_prose_and_a_fence_around_a_bundle_say_so_and_nothing_else(
    bundle: Bundle, before: str, fence: str, after: str, sha256: bool
) -> None:
    closing = fence[: len(fence) - len(fence.lstrip(fence[0]))]
    result = extract(before + fence + "\n" + dumps(bundle, sha256=sha256) + closing + "\n" + after)
    assert result.bundle.entries == bundle.entries
    assert "SB102" in _codes(result)
    assert set(_codes(result)) <= {"SB101", "SB102"}
    assert all(diagnostic.severity == "info" for diagnostic in result.diagnostics)
    assert result.ok


@settings(max_examples=300, deadline=None)
@given(bundle_texts())
@example("<<<FILE ./a>>>\n1\n<<<FILE a>>>\n2\n<<<END 2>>>\n")
@example("<<<FILE `a`>>>\n```\nx\n```\n<<<FILE ../b>>>\n<<<END 2>>>\n")
def test_a_valid_bundle_gives_what_loads_gives_after_the_documented_checks(text: str) -> None:
    expected: dict[str, Entry] = {}
    refused = []
    for entry in loads(text):
        name = review_name(entry.name).name
        if name is None:
            refused.append(entry.name)
            continue
        expected.pop(name, None)  # the last copy wins, in its own place
        data = review_content(name, entry.data).data
        expected[name] = Entry(name, data, executable=entry.executable)
    result = extract(text)
    assert list(result.bundle.entries) == list(expected.values())
    refusals = [diagnostic.file for diagnostic in result.diagnostics if diagnostic.code == "SB501"]
    assert refusals == refused


# -- model artifacts: the repair or the flag, exactly as documented ----------------------------

_CODE_LINES = st.sampled_from(["x = 1", "def f():", "    return 2", "", "print('hi')", "import os", "}"])
_CODE = st.lists(_CODE_LINES, max_size=6).map(lambda lines: "".join(f"{line}\n" for line in lines))
_NAMES = st.lists(st.sampled_from(["src", "lib", "app", "util", "x1"]), min_size=1, max_size=3).map(
    lambda parts: "/".join(parts) + ".py"
)
_PLACEHOLDERS = st.sampled_from(
    [
        "# ... existing code ...",
        "    # ... (rest of the existing code)",
        "// ... rest of the file unchanged ...",
        "// rest of the file unchanged",
        "/* ... */",
        "# ...",
        "[more code here]",
        "<!-- ... rest of the page ... -->",
        "# Previous code remains the same",
        "    pass  # ... (same as before)",
    ]
)
_ARTIFACTS = st.sampled_from(["fence", "placeholder", "dot-slash", "climb", "language", "backticks"])


@st.composite
def _artifact_case(draw: st.DrawFn) -> tuple[Bundle, str, Entry, Entry | None, str]:
    """A bundle of clean files plus one with an artifact, and what extract must make of it."""
    names = draw(st.lists(_NAMES, min_size=2, max_size=4, unique=True))
    clean = [Entry(name, draw(_CODE)) for name in names[1:]]
    name, code, kind = names[0], draw(_CODE), draw(_ARTIFACTS)
    expected: Entry | None = Entry(name, code)
    if kind == "fence":
        fence = draw(st.sampled_from(["```", "```python", "~~~", "````py"]))
        closing = fence[: len(fence) - len(fence.lstrip(fence[0]))]
        data = f"{fence}\n{code}{closing}\n"
        written, code_expected = Entry(name, data), "SB103"
    elif kind == "placeholder":
        lines = code.splitlines(keepends=True)
        lines.insert(draw(st.integers(0, len(lines))), draw(_PLACEHOLDERS) + "\n")
        written = expected = Entry(name, "".join(lines))
        code_expected = "SB401"
    elif kind == "dot-slash":
        written, code_expected = Entry("./" + name, code), "SB505"
    elif kind == "climb":
        written, expected, code_expected = Entry("../" + name, code), None, "SB501"
    elif kind == "language":
        written = expected = Entry(draw(st.sampled_from(["python", "php", "markdown", "js"])), code)
        code_expected = "SB503"
    else:
        written, code_expected = Entry(f"`{name}`", code), "SB506"
    at = draw(st.integers(0, len(clean)))
    bundle = Bundle([*clean[:at], written, *clean[at:]])
    return bundle, kind, written, expected, code_expected


_SUSPECT_KINDS = frozenset(("placeholder", "language"))


@settings(max_examples=300, deadline=None)
@given(_artifact_case(), st.booleans())
def test_an_artifact_is_repaired_or_flagged_as_documented(
    case: tuple[Bundle, str, Entry, Entry | None, str], fenced: bool
) -> None:
    bundle, kind, written, expected, code = case
    text = dumps(bundle)
    if fenced:
        text = "Here you go:\n```\n" + text + "```\n"
    result = extract(text)
    concerning = [diagnostic.code for diagnostic in result.diagnostics if diagnostic.file == written.name]
    assert concerning == [code]
    others = [entry for entry in bundle if entry is not written]
    assert [entry for entry in result.bundle if entry.name != (expected.name if expected else None)] == others
    if expected is None:
        assert written.name not in result.bundle
        return
    assert result.bundle[expected.name] == expected
    (file,) = (file for file in result.files if file.name == expected.name)
    assert file.status == ("suspect" if kind in _SUSPECT_KINDS else "complete")


# -- the markdown dialect ---------------------------------------------------------------------

_NAME_FORMS = st.sampled_from(["{}", "### {}", "**{}**", "`{}`", "1. `{}`:", "File: {}", "[{}]"])
_INFO = st.sampled_from(["", "python", "py", "text"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(_NAMES, _CODE, _NAME_FORMS, _INFO), min_size=1, max_size=4, unique_by=lambda item: item[0]
    ),
    PROSE,
)
def test_named_code_blocks_come_back_as_files(files: list[tuple[str, str, str, str]], prose: str) -> None:
    answer = prose + "".join(
        f"{form.format(name)}\n```{info}\n{code}```\n{prose}" for name, code, form, info in files
    )
    result = extract(answer)
    assert [(file.name, file.data, file.status, file.dialect) for file in result.files] == [
        (name, code.encode(), "complete", "markdown") for name, code, _, _ in files
    ]
    assert set(_codes(result)) <= {"SB101", "SB210"}


# -- any input gives a report, never an exception ----------------------------------------------

_PIECES = (
    "```",
    "````",
    "~~~",
    "```python",
    "```diff",
    "```py:a.py",
    "<<<FILE a.py>>>",
    "<<<FILE>>>",
    "<<< file `b.md` (new) >>>",
    "<<<END>>>",
    "<<<END 1>>>",
    "<<<END FILE a.py>>>",
    "<<<DELETE a.py>>>",
    "\\<<<FILE z>>>",
    "### ",
    "> ",
    "- ",
    "1. ",
    "`",
    "**",
    '<file path="x.py">',
    "</file>",
    '<boltAction type="file" filePath="y.js">',
    "</boltAction>",
    "--- DOGS_START_FILE: p.py ---",
    "--- DOGS_END_FILE: p.py ---",
    "<<<<<<< SEARCH",
    "=======",
    ">>>>>>> REPLACE",
    "--- a/x",
    "+++ b/x",
    "@@ -1 +1 @@",
    "# ... existing code ...",
    "README.md",
    "main.py",
    "\r",
    "\ufeff",
    "\udcff",
    "\x00",
    " ",
    "../x",
    "python",
    "é",
)
_SOUPS = st.lists(st.lists(st.sampled_from(_PIECES), max_size=4).map("".join), max_size=25).map("\n".join)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.binary(),
        surrogate_texts(),
        _SOUPS,
        _SOUPS.map(lambda soup: soup + "\n"),
        line_soups(),
        documents(),
    ),
    st.sampled_from([None, "length", "stop"]),
    st.booleans(),
)
@example("```\n<<<FILE a>>>\n```\n", None, False)
@example("<<<FILE a>>>\n<<<END 1>>>\n<<<FILE a>>>", "length", True)
def test_any_input_gives_a_report(
    document: str | bytes, finish_reason: str | None, with_existing: bool
) -> None:
    existing = ["A.py", "src/x"] if with_existing else []
    base = Bundle([Entry("a.py", "".join(f"{n}\n" for n in range(12)))]) if with_existing else None
    result = extract(document, finish_reason=finish_reason, existing=existing, base=base)
    assert "SB999" not in _codes(result), result.diagnostics
    # Never an empty result silently: files, deletions, or an error that says why not.
    assert result.files or result.deletions or any(d.severity == "error" for d in result.diagnostics)
    assert result.bundle.names == tuple(file.name for file in result.files)
    lines = max(1, (document.count("\n") if isinstance(document, str) else document.count(b"\n")) + 1)
    for diagnostic in result.diagnostics:
        assert 1 <= diagnostic.line <= lines
    for file in result.files:
        assert 1 <= file.span[0] <= file.span[1] <= lines
