"""Every code example in the documentation runs, and says what it claims.

Conventions for the pages in docs/, for README.md and for CHANGELOG.md
(which docs/changelog.md includes):

- A fenced ``python`` block is real code. The blocks of one page run in order,
  in one namespace, like one script, so a later block may use names from an
  earlier one. Blocks that must not run use another language: ``console`` or
  ``bash`` for shell sessions, ``text`` for output.
- A fenced ``pycon`` block is not allowed: one convention is easier to keep
  honest than two.
- A ``console`` block is a shell session: it begins with a ``$ `` prompt, and
  the lines without one are output. The site's copy button copies only the
  commands. Commands shown without prompts and output go in a ``bash``
  block, and a usage synopsis in a ``text`` block.
- A ``text`` block that holds a complete bundle (one that ends with an
  ``<<<END n>>>`` line) must load in strict mode, so that the samples of the
  format shown to readers are valid.

The examples in the docstrings of every module in ``src/seedbundle`` run as
doctests, so the API reference built from them cannot show stale examples.
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import seedbundle

ROOT = Path(__file__).resolve().parent.parent
PAGES = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md", ROOT / "CHANGELOG.md"]

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*)$")
_END_LINE = re.compile(r"^<<<END [0-9]+>>>$", re.MULTILINE)


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown page."""

    language: str
    code: str
    lineno: int  # 1-based line of the first code line


def fenced_blocks(markdown: str) -> list[Block]:
    """Return the fenced code blocks of a page, with indentation removed."""
    blocks: list[Block] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE_OPEN.match(lines[index])
        index += 1
        if opening is None:
            continue
        indent, fence = opening["indent"], opening["fence"]
        words = opening["info"].split()
        language = words[0].lstrip(".").lower() if words else ""
        start = index
        while index < len(lines):
            stripped = lines[index].strip()
            if stripped.startswith(fence) and set(stripped) == {fence[0]}:
                break
            index += 1
        body = [line.removeprefix(indent) for line in lines[start:index]]
        blocks.append(Block(language, "\n".join(body) + "\n", start + 1))
        index += 1
    return blocks


def _page_id(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def test_pages_are_found() -> None:
    names = {_page_id(page) for page in PAGES}
    assert {"README.md", "CHANGELOG.md", "docs/index.md", "docs/tutorial.md"} <= names


def test_every_markdown_file_of_the_site_is_checked() -> None:
    # A page can pull in another file with a snippet; that file's examples
    # are on the site too, so they must run as well.
    included = {
        (ROOT / name).resolve()
        for page in (ROOT / "docs").rglob("*.md")
        for name in re.findall(r'^--8<-- "([^"]+\.md)"$', page.read_text("utf-8"), re.MULTILINE)
    }
    assert included
    assert included <= {page.resolve() for page in PAGES}


def test_fence_parser_handles_indented_and_nested_fences() -> None:
    page = "text\n\n- item\n\n    ```python\n    x = 1\n    ```\n\n````text\n```python\n````\n"
    assert fenced_blocks(page) == [
        Block("python", "x = 1\n", 6),
        Block("text", "```python\n", 10),
    ]


def _blocks(page: Path, language: str) -> list[Block]:
    return [block for block in fenced_blocks(page.read_text("utf-8")) if block.language == language]


PAGES_WITH_PYTHON = [page for page in PAGES if _blocks(page, "python")]
BUNDLE_SAMPLES = [
    pytest.param(page, block, id=f"{_page_id(page)}:{block.lineno}")
    for page in PAGES
    for block in _blocks(page, "text")
    if _END_LINE.search(block.code)
]


def test_examples_are_found() -> None:
    assert len(PAGES_WITH_PYTHON) >= 5
    assert BUNDLE_SAMPLES


@pytest.mark.parametrize("page", PAGES_WITH_PYTHON, ids=_page_id)
def test_python_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Examples make their own temporary directories; running them from an
    # empty one keeps any stray relative path out of the source tree.
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs_example__"}
    for block in _blocks(page, "python"):
        # Padding with blank lines makes tracebacks point at the page's own lines.
        source = "\n" * (block.lineno - 1) + block.code
        exec(compile(source, str(page), "exec"), namespace)


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_one_example_convention(page: Path) -> None:
    languages = {block.language for block in fenced_blocks(page.read_text("utf-8"))}
    assert "pycon" not in languages, "write examples as ```python scripts, not ```pycon sessions"
    assert not languages & {"py", "python3"}, "tag Python examples as ```python so that they run"


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_console_blocks_are_sessions(page: Path) -> None:
    for block in _blocks(page, "console"):
        # Pygments' console lexer takes every line before the first prompt as
        # output, and the copy button leaves output out.
        assert block.code.startswith("$ "), (
            f"{_page_id(page)}:{block.lineno}: a console block begins with a '$ ' prompt;"
            " use ```bash for commands without prompts"
        )


@pytest.mark.parametrize(("page", "sample"), BUNDLE_SAMPLES)
def test_bundle_samples_are_valid(page: Path, sample: Block) -> None:
    try:
        seedbundle.loads(sample.code)
    except seedbundle.BundleDecodeError as error:
        pytest.fail(f"{_page_id(page)}:{sample.lineno + error.lineno - 1}: {error}")


def _package_modules() -> list[str]:
    found = pkgutil.walk_packages(seedbundle.__path__, prefix="seedbundle.")
    return ["seedbundle", *sorted(module.name for module in found)]


@pytest.mark.parametrize("module_name", _package_modules())
def test_docstring_examples(module_name: str) -> None:
    module = importlib.import_module(module_name)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(module, module_name):
        runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()


def test_the_public_api_has_docstring_examples() -> None:
    # Guards the test above against finding nothing, e.g. after a refactor
    # that hides every docstring from the finder.
    examples = sum(
        len(test.examples)
        for module_name in _package_modules()
        for test in doctest.DocTestFinder().find(importlib.import_module(module_name), module_name)
    )
    assert examples >= len(seedbundle.__all__)


def _help(*command: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "seedbundle", *command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def _commands() -> list[str]:
    usage = _help()
    listing = usage[usage.index("commands:") :]
    return re.findall(r"^ {4}(\w+) ", listing, re.MULTILINE)


def test_cli_reference_covers_every_command_and_option() -> None:
    reference = (ROOT / "docs" / "reference" / "cli.md").read_text("utf-8")
    commands = _commands()
    assert {"pack", "unpack", "list", "cat", "check", "fmt"} <= set(commands)
    missing: list[str] = []
    for command in commands:
        if f"### {command}\n" not in reference:
            missing.append(f"the command {command}")
        options = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", _help(command)))
        missing += [f"{command} {option}" for option in sorted(options) if f"`{option}" not in reference]
    assert missing == [], "docs/reference/cli.md does not describe: " + ", ".join(missing)
