"""The API reference shows the public API in plain words, with working links.

mkdocstrings renders docs/reference/api.md from the docstrings in
src/seedbundle. Docstrings are Markdown there: a Sphinx role such as
``:func:`pack``` is printed as it stands, so cross-references are written as
Markdown links, ``[`pack`][pack]``, which mkdocs.yml's ``scoped_crossrefs``
resolves where the docstring is written. The page must not show private
module paths or internal parameters, and every type named in a signature
must lead to an explanation.

The site is built once from the real tree, so that a cross-reference that
does not resolve (a warning, which fails the strict build) fails here too.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A Sphinx cross-reference role, and the Markdown link that replaces it.
# ":func:`pack`" becomes "[`pack`][pack]"; ":meth:`~seedbundle.Bundle.get`"
# (the tilde shows only the last name) becomes "[`get`][seedbundle.Bundle.get]".
SPHINX_ROLE = re.compile(r":(?:func|meth|class|attr|mod|exc|data|obj):`(?P<tilde>~?)(?P<target>[\w.]+)`")
# As rendered: the backticks have become a code element.
_SHOWN_ROLE = re.compile(r":(?:func|meth|class|attr|mod|exc|data|obj):`?~?[\w.]*\w")

_SIGNATURE = re.compile(r'<div class="[^"]*\bdoc-signature\b.*?</code></pre></div>', re.DOTALL)


def test_no_source_file_writes_a_sphinx_role() -> None:
    written = [
        f"{path.name}:{number}"
        for path in sorted((ROOT / "src" / "seedbundle").glob("*.py"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if SPHINX_ROLE.search(line)
    ]
    assert written == [], "write cross-references as Markdown: [`pack`][pack]"


def _build(project: Path, site_dir: Path) -> Path:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(project / "src")}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert build.returncode == 0, f"mkdocs build --strict failed:\n{build.stdout}{build.stderr}"
    return site_dir / "reference" / "api" / "index.html"


def _article(page: Path) -> str:
    text = page.read_text("utf-8")
    return text[text.index("<article") : text.index("</article>")]


def _shown_text(markup: str) -> str:
    """The text a reader sees: no tags, and so no title attributes."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def _signature(article: str, identifier: str) -> str:
    """The HTML of the signature below the heading of an object."""
    heading = article.index(f'id="{identifier}"')
    signature = _SIGNATURE.search(article, heading)
    assert signature is not None, f"no signature below {identifier}"
    return signature[0]


def _signatures(article: str) -> list[str]:
    return [match[0] for match in _SIGNATURE.finditer(article)]


@pytest.fixture(scope="module")
def api_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _article(_build(ROOT, tmp_path_factory.mktemp("site")))


def test_the_page_documents_the_api(api_page: str) -> None:
    # Guards the checks below against passing on an empty page.
    for identifier in ("seedbundle.loads", "seedbundle.BundleWriter", "seedbundle.pack"):
        assert f'id="{identifier}"' in api_page
    assert len(_signatures(api_page)) >= 20


def test_bases_are_shown_by_their_public_names(api_page: str) -> None:
    # docs/_griffe/public_bases.py renames them; griffe would show the
    # module that defines each base.
    bases = [
        _shown_text(p) for p in re.findall(r'<p class="doc doc-class-bases">.*?</p>', api_page, re.DOTALL)
    ]
    assert any("seedbundle.BundleError" in line for line in bases)
    assert [line for line in bases if "seedbundle._" in line or "builtins." in line] == []


def test_no_sphinx_role_is_shown(api_page: str) -> None:
    shown = sorted({match[0] for match in _SHOWN_ROLE.finditer(_shown_text(api_page))})
    assert shown == [], "write cross-references as Markdown: [`pack`][pack]"


def test_no_private_module_is_shown(api_page: str) -> None:
    shown = sorted(set(re.findall(r"seedbundle\._\w+(?:\.\w+)*", _shown_text(api_page))))
    assert shown == []


def test_bundle_writer_shows_no_internal_parameter(api_page: str) -> None:
    signature = _shown_text(_signature(api_page, "seedbundle.BundleWriter"))
    assert "comment" in signature
    assert not re.search(r"\bcommit\b", signature)


def test_every_seedbundle_type_in_a_signature_links_to_its_entry(api_page: str) -> None:
    # signature_crossrefs makes a documented type a link; a name that stays
    # plain text (such as a private type alias) is explained nowhere.
    unexplained: set[str] = set()
    for signature in _signatures(api_page):
        unexplained.update(re.findall(r'<span title="(seedbundle\.[\w.]+)">', signature))
    assert sorted(unexplained) == []


def test_a_literal_type_shows_its_values(api_page: str) -> None:
    bare = [
        line.strip()
        for signature in _signatures(api_page)
        for line in _shown_text(signature).splitlines()
        if re.search(r"\bLiteral\b(?!\[)", line)
    ]
    assert bare == [], "the allowed values are lost"


def test_no_cross_reference_is_left_as_text(api_page: str) -> None:
    left = re.findall(r"\[`?[\w.]+`?\]\[[\w.]*\]", _shown_text(api_page))
    assert left == [], "a cross-reference was left as text"
