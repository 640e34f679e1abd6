"""The answer instructions teach exactly what extract reads with no diagnostic, deletion included."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import seedbundle
from seedbundle._encoder import encode_comment

INDENT = "    "


def examples(text: str) -> list[str]:
    """Every example answer of the instructions, written as they say: without the indentation."""
    found: list[str] = []
    lines = text.splitlines(keepends=True)
    start = None
    for index, line in enumerate(lines):
        if line.startswith(INDENT + "<<<FILE ") and start is None:
            start = index
        if start is not None and re.fullmatch(r" {4}<<<END \d+>>>\n", line):
            block = lines[start : index + 1]
            assert all(line.startswith(INDENT) or line == "\n" for line in block), block
            found.append("".join(line.removeprefix(INDENT) for line in block))
            start = None
    assert start is None, "an example has no END line"
    return found


def test_the_text_is_versioned() -> None:
    text = seedbundle.instructions()
    assert re.fullmatch(r"seedbundle answer instructions v\d+", text.splitlines()[0])
    assert text.endswith("\n")


def test_every_example_is_read_by_extract_with_no_diagnostic() -> None:
    found = examples(seedbundle.instructions())
    assert len(found) >= 2
    for example in found:
        result = seedbundle.extract(example)
        assert result.diagnostics == (), example
        assert result.ok
        assert all(file.status == "complete" for file in result.files)


def test_the_examples_mean_what_the_text_says() -> None:
    rewrite, markers = examples(seedbundle.instructions())
    result = seedbundle.extract(rewrite)
    assert result.bundle.names == ("src/app.py", "src/util.py")
    assert result.deletions == ("src/old.py",)
    assert result.bundle["src/util.py"].text == 'def greet(name):\n    return f"Hello, {name}!"\n'
    content = seedbundle.extract(markers).bundle["notes/markers.txt"].text
    assert content == "<<<EOF\n<<<FILE not-a-file.txt>>>\n\\<<<END 1>>>\n"
    # The escaping the text teaches is the writer's own.
    assert seedbundle.dumps(seedbundle.Bundle([seedbundle.Entry("notes/markers.txt", content)])) == markers


def test_each_example_counts_its_files_in_the_end_line() -> None:
    for example in examples(seedbundle.instructions()):
        count = int(re.search(r"^<<<END (\d+)>>>$", example, re.MULTILINE).group(1))  # type: ignore[union-attr]
        assert count == len(re.findall(r"^<<<FILE ", example, re.MULTILINE))


@pytest.mark.parametrize(
    "rule",
    [
        "<<<FILE path>>>",
        "<<<DELETE path>>>",
        "<<<END n>>>",
        "backslash",
        "whole files",
        "placeholder",
        "no code fence",
    ],
)
def test_the_text_states_each_rule(rule: str) -> None:
    assert rule in " ".join(seedbundle.instructions().split())


def test_an_answer_that_breaks_a_rule_gets_the_diagnostic_the_rule_avoids() -> None:
    """What the instructions forbid is what extract reports: prose, a fence, no END line, a placeholder."""
    rewrite, markers = examples(seedbundle.instructions())
    codes = {
        "SB204": markers.replace("\\<<<EOF", "<<<EOF"),
        "SB101": "Here you go:\n" + rewrite,
        "SB102": "```\n" + rewrite + "```\n",
        "SB301": rewrite.replace("<<<DELETE src/old.py>>>\n<<<END 2>>>\n", ""),
        "SB401": rewrite.replace('print(greet("world"))\n', "# ... existing code ...\n"),
    }
    for code, answer in codes.items():
        assert code in {diagnostic.code for diagnostic in seedbundle.extract(answer).diagnostics}, code


def test_in_a_bundle_comment_the_instructions_are_written_verbatim() -> None:
    """A model reads the prompt as it is: the comment needs no escape that would change the examples."""
    text = seedbundle.instructions()
    assert encode_comment(text) == text.encode() + b"\n"
    bundle = seedbundle.Bundle([seedbundle.Entry("a.txt", "A\n")], comment=text)
    assert seedbundle.loads(seedbundle.dumps(bundle)).comment == text


def test_pack_puts_them_in_the_comment(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("A\n")
    text = seedbundle.instructions()
    out = tmp_path.parent / f"{tmp_path.name}.bundle"
    seedbundle.pack_to(tmp_path, out, comment=text)
    assert seedbundle.loads(out.read_text(encoding="utf-8")).comment == text
