"""The format page defines every term it uses, and says what the code does.

docs/reference/format.md is the normative specification. Its structure
summary names the parts of a bundle; each lowercase name there must be
defined in the prose (as a bold term), and the definitions that a test can
check against the reader are checked here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import seedbundle

ROOT = Path(__file__).resolve().parent.parent
FORMAT = (ROOT / "docs" / "reference" / "format.md").read_text("utf-8")
GRAMMAR = (ROOT / "src" / "seedbundle" / "grammar.lark").read_text("utf-8")

# What the epilogue may hold with strict=False, as the format page lists it.
WHITE_SPACE = {
    " ": "spaces",
    "\t": "tabs",
    "\n": "LFs",
    "\r": "CRs",
    "\x0b": "vertical tabs",
    "\x0c": "form feeds",
}
END = "<<<END 0>>>\n"


def _structure_summary() -> str:
    section = FORMAT[FORMAT.index("\n## Structure\n") :]
    match = re.search(r"```text\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the Structure section has no summary block"
    return match[1]


def _epilogue_definition() -> str:
    match = re.search(r"^- The \*\*epilogue\*\* (.*?)(?=^- |^#|\Z)", FORMAT, re.MULTILINE | re.DOTALL)
    assert match is not None, "the format page does not define the epilogue"
    return " ".join(match[1].split())


def test_every_part_of_the_structure_summary_is_defined() -> None:
    # Lowercase names are the parts the prose explains; FILE-line, END-line
    # and BOM are lines and characters that other sections describe.
    names = set(re.findall(r"(?<![\w-])([a-z][a-z-]*)", _structure_summary())) - {"bundle"}
    assert {"comment", "entry", "epilogue"} <= names
    undefined = [name for name in sorted(names) if f"**{name.replace('-', ' ')}**" not in FORMAT]
    assert undefined == [], "the format page uses but does not define: " + ", ".join(undefined)


def test_the_epilogue_definition_names_the_part_of_the_grammar() -> None:
    token = re.search(r"the epilogue is the `([^`]+)` that ends the `end` rule", _epilogue_definition())
    assert token is not None, "say where the epilogue is in grammar.lark"
    end_rule = re.search(r"^end:(.*)$", GRAMMAR, re.MULTILINE)
    assert end_rule is not None
    assert end_rule[1].split()[-1] == token[1]


def test_the_epilogue_definition_lists_the_white_space() -> None:
    definition = _epilogue_definition()
    missing = [name for name in WHITE_SPACE.values() if name not in definition]
    assert missing == []


@pytest.mark.parametrize("character", list(WHITE_SPACE), ids=list(WHITE_SPACE.values()))
def test_a_lenient_epilogue_may_hold_white_space(character: str) -> None:
    assert seedbundle.loads(END + character * 3, strict=False) == seedbundle.Bundle([])
    with pytest.raises(seedbundle.BundleDecodeError, match="text after the END marker"):
        seedbundle.loads(END + character, strict=True)


@pytest.mark.parametrize(
    "text", ["x", "\xa0", "\u2028", "\u3000", "\ufeff", "<<<END 0>>>\n", "<<<FILE a>>>\n"]
)
def test_an_epilogue_holds_nothing_else(text: str) -> None:
    for strict in (True, False):
        with pytest.raises(seedbundle.BundleDecodeError, match="text after the END marker"):
            seedbundle.loads(END + "\n" + text, strict=strict)


def test_a_strict_bundle_ends_with_its_end_marker_line() -> None:
    assert seedbundle.loads(END) == seedbundle.Bundle([])
