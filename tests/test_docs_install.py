"""The installation instructions work when followed literally, top to bottom.

Until seedbundle is published on PyPI, a clone is the only place to install it
from, so every page that tells how to install it from PyPI also tells how to
install it from a clone. A reader who follows a page line by line must make
the virtual environment before the first install command, or the install
goes into the system's Python.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]
# The pages that walk a new reader through installing seedbundle.
INSTALL_GUIDES = ["README.md", "docs/index.md", "docs/tutorial.md"]

_FROM_PYPI = re.compile(r'pip install\s+(?:seedbundle\b|"seedbundle\[)')
# "pip install .", "pip install -e .", 'pip install ".[hypothesis]"' and so on.
_FROM_A_CLONE = re.compile(r'pip install\s+(?:-e\s+)?(?:\.|"\.\[[a-z,]+\]")(?=[\s`]|$)', re.MULTILINE)
_ANY_INSTALL = re.compile(r"pip install\s")
_MAKE_A_VENV = re.compile(r"python -m venv\s")


def _page_id(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def _text(page_id: str) -> str:
    return (ROOT / page_id).read_text("utf-8")


def test_the_clone_pattern_matches_what_it_should() -> None:
    for command in ("pip install .", "pip install -e .", 'pip install ".[hypothesis]"', "pip install -e .`"):
        assert _FROM_A_CLONE.search(command), command
    for command in ("pip install seedbundle", "pip install ./dist/x.whl", 'pip install "seedbundle[x]"'):
        assert not _FROM_A_CLONE.search(command), command


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_a_page_that_installs_from_pypi_also_installs_from_a_clone(page: Path) -> None:
    text = page.read_text("utf-8")
    if _FROM_PYPI.search(text):
        assert _FROM_A_CLONE.search(text), "say how to install from a clone: python -m pip install ."


@pytest.mark.parametrize("page_id", INSTALL_GUIDES)
def test_an_install_guide_installs_from_a_clone(page_id: str) -> None:
    assert _FROM_A_CLONE.search(_text(page_id))


@pytest.mark.parametrize("page_id", INSTALL_GUIDES)
def test_the_virtual_environment_comes_before_the_first_install(page_id: str) -> None:
    text = _text(page_id)
    venv = _MAKE_A_VENV.search(text)
    install = _ANY_INSTALL.search(text)
    assert venv is not None, "tell the reader to make a virtual environment"
    assert install is not None
    line = text.count("\n", 0, install.start()) + 1
    assert venv.start() < install.start(), f"line {line} installs before the virtual environment is made"
