"""The documentation site builds strictly and works in a real browser.

The build runs ``mkdocs build --strict``, so a broken link, a missing page, a
missing snippet or a docstring that mkdocstrings cannot render fails the test
suite. The built site is then served on 127.0.0.1 and opened in headless
Chromium through Playwright. The system's Chromium is used, because
Playwright's own browser download is not available everywhere.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from mkdocs.utils.yaml import yaml_load

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Route

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Anything that is not the local test server: the site must work offline.
_NOT_LOCAL = re.compile(r"^(?:https?|wss?)://(?!127\.0\.0\.1[:/])")


# The text of an element without its code blocks and inline code.
_PROSE_TEXT = """element => {
    const copy = element.cloneNode(true);
    copy.querySelectorAll("pre, code").forEach(code => code.remove());
    return copy.textContent;
}"""


def _nav_pages(nav: Any) -> list[str]:
    """The Markdown paths in a MkDocs nav, in order."""
    if isinstance(nav, str):
        return [nav] if nav.endswith(".md") else []
    if isinstance(nav, list):
        return [page for item in nav for page in _nav_pages(item)]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in _nav_pages(value)]
    return []


def _url_path(markdown_path: str) -> str:
    """The served path of a page, for MkDocs' default directory URLs."""
    stem = markdown_path.removesuffix(".md")
    if stem == "index":
        return ""
    return stem.removesuffix("/index") + "/"


with (ROOT / "mkdocs.yml").open(encoding="utf-8") as _config_file:
    NAV_PAGES = _nav_pages(yaml_load(_config_file)["nav"])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    # MkDocs' plugins print a banner about a future MkDocs; it is not a build warning.
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert build.returncode == 0, f"mkdocs build --strict failed:\n{build.stdout}{build.stderr}"
    return site_dir


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output free of one line per request."""


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def external_requests() -> list[str]:
    return []


@pytest.fixture(scope="module")
def browser(
    tmp_path_factory: pytest.TempPathFactory, external_requests: list[str]
) -> Iterator[BrowserContext]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Chromium (Debian: apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; the browser test must run in CI")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    def refuse(route: Route) -> None:
        external_requests.append(route.request.url)
        route.abort()

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        context.route(_NOT_LOCAL, refuse)
        try:
            yield context
        finally:
            context.close()


def _open(browser: BrowserContext, url: str) -> tuple[Page, list[str]]:
    """Open a page, collecting console errors and uncaught exceptions."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    response = page.goto(url, wait_until="load")
    assert response is not None, url
    assert response.status == 200, f"{url}: HTTP {response.status}"
    page.wait_for_load_state("networkidle")
    return page, errors


def test_site_builds_strictly(site: Path) -> None:
    for markdown_path in NAV_PAGES:
        assert (site / _url_path(markdown_path) / "index.html").is_file(), markdown_path
    assert (site / "search" / "search_index.json").is_file()


def test_nav_lists_the_diataxis_sections() -> None:
    assert {"index.md", "tutorial.md", "reference/api.md", "reference/format.md"} <= set(NAV_PAGES)
    assert any(page.startswith("how-to/") for page in NAV_PAGES)
    assert any(page.startswith("explanation/") for page in NAV_PAGES)


@pytest.mark.parametrize("markdown_path", NAV_PAGES)
def test_page_loads_cleanly(
    browser: BrowserContext, base_url: str, external_requests: list[str], markdown_path: str
) -> None:
    external_requests.clear()
    page, errors = _open(browser, base_url + _url_path(markdown_path))
    try:
        assert page.locator("article h1").count() >= 1, "the page has no title"
        # Markdown left unrendered (say, inside an HTML block without
        # md_in_html) shows up as literal link syntax in the prose.
        prose = page.locator("article").evaluate(_PROSE_TEXT)
        assert not re.search(r"\]\([^)\s]+\)", prose), "unrendered Markdown link"
        assert errors == [], "console errors"
        assert external_requests == [], "the page tried to reach the network"
    finally:
        page.close()


def test_api_reference_shows_the_api(browser: BrowserContext, base_url: str) -> None:
    page, errors = _open(browser, base_url + "reference/api/")
    try:
        for identifier in ("seedbundle.loads", "seedbundle.Bundle", "seedbundle.strategies.bundles"):
            heading = page.locator(f'[id="{identifier}"]')
            assert heading.count() == 1, f"no heading for {identifier}"
        assert "loads" in page.locator('[id="seedbundle.loads"]').inner_text()
        # Docstring examples must render as code. A section that the Google
        # style parser does not know (such as "Example:" rather than
        # "Examples:") is rendered as Markdown, where ">>>" becomes a quote.
        assert page.locator("article blockquote").count() == 0, "an example rendered as prose"
        assert page.locator("article pre code", has_text=">>> ").count() >= 1
        assert errors == []
    finally:
        page.close()


def test_copy_button_copies_only_the_commands_of_a_console_block(
    browser: BrowserContext, base_url: str
) -> None:
    browser.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url.rstrip("/"))
    page, errors = _open(browser, base_url + "how-to/cli/")
    try:
        # Two commands, each followed by output.
        block = page.locator("div.language-console", has_text="seedbundle check damaged.bundle")
        assert block.count() == 1
        assert block.inner_text().startswith("$ seedbundle check damaged.bundle\n")
        block.hover()
        block.locator('button[data-md-type="copy"]').click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == "seedbundle check damaged.bundle\necho $?"
        assert "$ " not in copied
        assert "unknown marker" not in copied, "an output line was copied"
        assert errors == []
    finally:
        page.close()


def test_copy_button_copies_only_the_code_of_a_docstring_example(
    browser: BrowserContext, base_url: str
) -> None:
    browser.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url.rstrip("/"))
    page, errors = _open(browser, base_url + "reference/api/")
    try:
        # A session whose output follows its last prompt.
        block = page.locator("div.language-pycon", has_text="Traceback (most recent call last)").first
        shown = block.inner_text().splitlines()
        code = [line[4:] for line in shown if line.startswith((">>> ", "... "))]
        assert code, "the example has no prompts"
        assert len(code) < len(shown), "the example has no output"
        block.hover()
        block.locator('button[data-md-type="copy"]').click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == "\n".join(code).rstrip()
        assert "Traceback" not in copied
        assert errors == []
    finally:
        page.close()


def test_search_finds_trailer(browser: BrowserContext, base_url: str) -> None:
    page, errors = _open(browser, base_url)
    try:
        search_box = page.locator("input.md-search__input")
        search_box.click()
        search_box.press_sequentially("trailer", delay=20)
        results = page.locator(".md-search-result__item")
        results.first.wait_for(state="visible", timeout=20_000)
        assert results.count() >= 1
        assert "trailer" in page.locator(".md-search-result").inner_text().lower()
        assert errors == []
    finally:
        page.close()
