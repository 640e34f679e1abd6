"""extract: every dialect and every fault, on answers written in the spirit of real ones.

Each case is an answer and what extract must make of it: the exact files
(name, data, status, dialect) and the exact codes of its diagnostics, in
order. One loop runs them all. The answers are our own, modelled on what
models write (see the issue's corpus); none is copied from elsewhere.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import attrs
import pytest

import seedbundle
from seedbundle import Bundle, Diagnostic, Entry, ExtractedFile, Extraction, dumps, extract, loads
from seedbundle._extract_checks import looks_like_model_artifact
from seedbundle._extract_codes import CODES, code_info

ROOT = Path(__file__).resolve().parent.parent
DIAGNOSTICS_PAGE = ROOT / "docs" / "reference" / "diagnostics.md"

C, T, S = "complete", "truncated", "suspect"
# A file as a case expects it: name, data, status, dialect.
File = tuple[str, bytes, str, str]


def ours(name: str, data: bytes, status: str = C) -> File:
    return (name, data, status, "seedbundle")


def md(name: str, data: bytes, status: str = C) -> File:
    return (name, data, status, "markdown")


@dataclass(frozen=True)
class Case:
    id: str
    answer: str | bytes
    files: list[File]
    codes: list[str]
    options: dict[str, Any] = field(default_factory=dict)
    deletions: tuple[str, ...] = ()


TWENTY_LINES = "".join(f"line {number}\n" for number in range(20))

CASES = [
    # -- the bundle format, as models write it ---------------------------------------
    Case("strict", "<<<FILE a.py>>>\nprint(1)\n<<<END 1>>>\n", [ours("a.py", b"print(1)\n")], []),
    Case(
        "strict-with-comment-and-attributes",
        '<<<FILE run.sh exec>>>\n#!/bin/sh\n<<<FILE "my notes.txt" noeol>>>\nno newline\n<<<END 2>>>\n',
        [ours("run.sh", b"#!/bin/sh\n"), ours("my notes.txt", b"no newline")],
        [],
    ),
    Case(
        "prose-before-between-after",
        "Here is the fix:\n\n<<<FILE a.py>>>\nprint(1)\n<<<END FILE>>>\nAnd the test:\n"
        "<<<FILE test_a.py>>>\nassert True\n<<<END FILE>>>\nThat's all!\n",
        [ours("a.py", b"print(1)\n"), ours("test_a.py", b"assert True\n")],
        ["SB101", "SB202", "SB101", "SB202", "SB101"],
    ),
    Case(
        "exact-part-between-prose",
        "Sure.\n<<<FILE a.py>>>\nprint(1)\n<<<END 1>>>\nDone.\n",
        [ours("a.py", b"print(1)\n")],
        ["SB101", "SB101"],
    ),
    Case(
        "fence-around-bundle",
        "Here you go:\n```\n<<<FILE a.py>>>\nprint(1)\n<<<END 1>>>\n```\n",
        [ours("a.py", b"print(1)\n")],
        ["SB101", "SB102"],
    ),
    Case(
        "long-fence-with-info-around-bundle-without-end",
        "`````text\n<<<FILE a.md>>>\n```python\nx = 1\n```\n`````\nHope this helps.\n",
        [ours("a.md", b"```python\nx = 1\n```\n")],
        ["SB102", "SB101"],
    ),
    Case(
        "tilde-fence-around-bundle",
        "~~~~\n<<<FILE a.py>>>\nprint(1)\n~~~~\n",
        [ours("a.py", b"print(1)\n")],
        ["SB102"],
    ),
    Case(
        "each-file-in-its-own-fence-around-it",
        "```\n<<<FILE a.py>>>\nprint(1)\n```\nand\n```\n<<<FILE b.py>>>\nprint(2)\n```\n",
        [ours("a.py", b"print(1)\n"), ours("b.py", b"print(2)\n")],
        ["SB102", "SB101", "SB102"],
    ),
    Case(
        "fenced-bundle-markdown-file-keeps-inner-fences",
        "```\n<<<FILE a.md>>>\n# A\n```\ncode\n```\n<<<FILE b.py>>>\nx\n```\n",
        [ours("a.md", b"# A\n```\ncode\n```\n"), ours("b.py", b"x\n")],
        ["SB102"],
    ),
    Case(
        "fenced-bundle-last-markdown-file-bare-inner-fences",
        "```\n<<<FILE README.md>>>\n# A\n```\ncode\n```\n```\nbye\n",
        [ours("README.md", b"# A\n```\ncode\n```\n")],
        ["SB102", "SB101"],
    ),
    Case(
        "fenced-bundle-cut",
        "```\n<<<FILE a.py>>>\nx\n",
        [ours("a.py", b"x\n", T)],
        ["SB102", "SB302"],
    ),
    Case(
        "header-colon",
        "<<<FILE: src/app.py>>>\nprint(1)\n<<<END 1>>>\n",
        [ours("src/app.py", b"print(1)\n")],
        ["SB201"],
    ),
    Case(
        "header-spaces-and-case",
        "<<< file src/app.py >>>\nprint(1)\n<<<END 1>>>\n",
        [ours("src/app.py", b"print(1)\n")],
        ["SB201"],
    ),
    Case(
        "header-quoted-backticked-bold",
        "<<<FILE 'a.py'>>>\n1\n<<<FILE `b.py`>>>\n2\n<<<FILE **c.py**>>>\n3\n**<<<FILE d.py>>>**\n4\n<<<END 4>>>\n",
        [ours("a.py", b"1\n"), ours("b.py", b"2\n"), ours("c.py", b"3\n"), ours("d.py", b"4\n")],
        ["SB506", "SB506", "SB506", "SB201"],
    ),
    Case(
        "header-heading-list-quote-indent",
        "### <<<FILE a.py>>>\n1\n- <<<FILE b.py>>>\n2\n> <<<FILE c.py>>>\n3\n    <<<FILE d.py>>>\n4\n<<<END 4>>>\n",
        [ours("a.py", b"1\n"), ours("b.py", b"2\n"), ours("c.py", b"3\n"), ours("d.py", b"4\n")],
        ["SB201", "SB201", "SB201", "SB201"],
    ),
    Case(
        "header-annotation",
        "<<<FILE src/new.py (new)>>>\nprint(1)\n<<<END 1>>>\n",
        [ours("src/new.py", b"print(1)\n")],
        ["SB201"],
    ),
    Case(
        "closers",
        "<<<FILE a>>>\n1\n<<<END>>>\n<<<FILE b>>>\n2\n<<<END_FILE>>>\n<<<FILE e>>>\n3\n<<<END FILE e>>>\n<<<END 3>>>\n",
        [ours("a", b"1\n"), ours("b", b"2\n"), ours("e", b"3\n")],
        ["SB202", "SB202", "SB202"],
    ),
    Case(
        "closer-names-another-file",
        "<<<FILE a>>>\n1\n<<<END FILE b>>>\n",
        [ours("a", b"1\n")],
        ["SB202"],
    ),
    Case(
        "wrong-end-count",
        "<<<FILE a>>>\n1\n<<<FILE b>>>\n2\n<<<END 3>>>\n",
        [ours("a", b"1\n"), ours("b", b"2\n")],
        ["SB203"],
    ),
    Case(
        "stray-closer",
        "<<<END>>>\n<<<FILE a>>>\n1\n<<<END 1>>>\n",
        [ours("a", b"1\n")],
        ["SB202"],
    ),
    Case(
        "files-after-end",
        "<<<FILE a>>>\n1\n<<<END 1>>>\n<<<FILE b>>>\n2\n<<<END 1>>>\n",
        [ours("a", b"1\n"), ours("b", b"2\n")],
        ["SB205"],
    ),
    Case(
        "not-a-marker-kept-verbatim",
        "<<<FILE run.sh>>>\ncat <<<EOF\n<<<EOF\n<<<<<<< HEAD\n<<<END 1>>>\n",
        [ours("run.sh", b"cat <<<EOF\n<<<EOF\n<<<<<<< HEAD\n")],
        ["SB204"],
    ),
    Case(
        "escaped-lines-unescaped-as-loads-does",
        "<<<FILE inner.txt>>>\n\\<<<FILE x>>>\n\\\\<<<END 1>>>\nplain \\<<< stays\n",
        [ours("inner.txt", b"<<<FILE x>>>\n\\<<<END 1>>>\nplain \\<<< stays\n", T)],
        ["SB301"],
    ),
    Case(
        "fence-around-one-file",
        "<<<FILE app.py>>>\n```python\nprint(1)\n```\n<<<FILE b.py>>>\n\n~~~\nprint(2)\n~~~\n\n<<<END 2>>>\n",
        [ours("app.py", b"print(1)\n"), ours("b.py", b"print(2)\n")],
        ["SB103", "SB103"],
    ),
    Case(
        "fence-around-one-file-then-prose",
        "<<<FILE app.py>>>\n```python\nprint(1)\n```\nNext, the tests.\n<<<FILE t.py>>>\nx\n<<<END 2>>>\n",
        [ours("app.py", b"print(1)\n"), ours("t.py", b"x\n")],
        ["SB103", "SB101"],
    ),
    Case(
        "fence-shows-where-the-last-file-ends",
        "<<<FILE app.py>>>\n```python\nprint(1)\n```\n",
        [ours("app.py", b"print(1)\n")],
        ["SB103"],
    ),
    Case(
        "markdown-file-keeps-its-fences",
        "<<<FILE README.md>>>\n```bash\npip install x\n```\n<<<END 1>>>\n",
        [ours("README.md", b"```bash\npip install x\n```\n")],
        [],
    ),
    Case(
        "unclosed-fence-before-next-file",
        "<<<FILE a.py>>>\n```python\nprint(1)\n<<<FILE b.py>>>\nprint(2)\n<<<END 2>>>\n",
        [ours("a.py", b"print(1)\n"), ours("b.py", b"print(2)\n")],
        ["SB105"],
    ),
    Case(
        "tolerant-attributes",
        "<<<FILE a.txt noeol>>>\nno newline\n<<<FILE run.sh exec>>>\n#!/bin/sh\n<<<FILE b.bin base64>>>\nAAEC\r\n/w==\n"
        "<<<FILE c.txt mode=644>>>\nc\n<<<END 4>>>\n",
        [
            ours("a.txt", b"no newline"),
            ours("run.sh", b"#!/bin/sh\n"),
            ours("b.bin", b"\x00\x01\x02\xff"),
            ours("c.txt", b"c\n"),
        ],
        ["SB206"],
    ),
    Case(
        "sha256-mismatch",
        "<<<FILE a sha256=" + "0" * 64 + ">>>\nx\n<<<FILE b>>>\n<<<END 1>>>\n",
        [ours("a", b"x\n", S), ours("b", b"")],
        ["SB207", "SB203"],
    ),
    Case(
        "invalid-base64",
        "<<<FILE a.bin base64>>>\n!!!\n<<<END 1>>>\n",
        [],
        ["SB901", "SB207"],
    ),
    Case(
        "crlf-marker-lines",
        "<<<FILE a.py>>>\r\nprint(1)\r\n<<<END 1>>>\r\n",
        [ours("a.py", b"print(1)\r\n")],
        ["SB109"],
    ),
    Case(
        "byte-order-mark",
        "\ufeff<<<FILE a.py>>>\nprint(1)\n<<<END 1>>>\n",
        [ours("a.py", b"print(1)\n")],
        ["SB108"],
    ),
    Case(
        "invalid-utf8-kept",
        b"<<<FILE a.txt>>>\ncaf\xe9\n<<<END 1>>>\n",
        [ours("a.txt", b"caf\xe9\n")],
        ["SB107"],
    ),
    # -- the markdown dialect -------------------------------------------------------------
    Case(
        "markdown-name-forms",
        "main.py\n```python\n1\n```\n### src/a.py\n```python\n2\n```\n**b.py**\n```\n3\n```\n`c.py`:\n```\n4\n```\n"
        "1. `d.py` (entry point):\n```\n5\n```\n[e.py]\n```\n6\n```\n[FILE: f.py]\n```\n7\n```\nFile: g.py\n\n```\n8\n```\n",
        [
            md("main.py", b"1\n"),
            md("src/a.py", b"2\n"),
            md("b.py", b"3\n"),
            md("c.py", b"4\n"),
            md("d.py", b"5\n"),
            md("e.py", b"6\n"),
            md("f.py", b"7\n"),
            md("g.py", b"8\n"),
        ],
        ["SB210"],
    ),
    Case(
        "markdown-info-string-names",
        '```python:src/app.py\n1\n```\n```src/b.js\n2\n```\n```python title="c.py"\n3\n```\n',
        [md("src/app.py", b"1\n"), md("src/b.js", b"2\n"), md("c.py", b"3\n")],
        ["SB210"],
    ),
    Case(
        "markdown-more-name-forms",
        "**File: `src/app.py`**\n```python\n1\n```\nlib/util.py\n```python:lib/util.py\n2\n```\n"
        "and/or\n```\n3\n```\n",
        [md("src/app.py", b"1\n"), md("lib/util.py", b"2\n")],
        ["SB210", "SB101", "SB104"],
    ),
    Case(
        "header-text-after-the-closing-brackets",
        "<<<FILE a.py>>> (updated)\nprint(1)\n<<<END 1>>>\n",
        [ours("a.py", b"print(1)\n")],
        ["SB201"],
    ),
    Case(
        "markdown-prose-around-and-between",
        "To do this we need two files.\n\nFirst `main.py`:\n\nmain.py\n```python\nimport util\n```\n\nThen the helper:\n\n"
        "util.py\n```python\nX = 1\n```\nThis concludes a fully working implementation.",
        [md("main.py", b"import util\n"), md("util.py", b"X = 1\n")],
        ["SB101", "SB210", "SB101", "SB101"],
    ),
    Case(
        "markdown-heading-then-prose",
        "#### File: main.go\nThis file starts the server.\n\n```go\npackage main\n```\n",
        [md("main.go", b"package main\n")],
        ["SB210", "SB101"],
    ),
    Case(
        "markdown-heading-then-shell-block-is-not-the-file",
        "### main.py\nRun it with:\n```bash\npython main.py\n```\n",
        [],
        ["SB901", "SB101", "SB104"],
    ),
    Case(
        "markdown-readme-with-inner-fences",
        "README.md\n```markdown\n# Demo\n\n```bash\npip install demo\n```\n```\n",
        [md("README.md", b"# Demo\n\n```bash\npip install demo\n```\n")],
        ["SB210"],
    ),
    Case(
        "markdown-readme-with-longer-outer-fence",
        "README.md\n````markdown\n# Demo\n```\npip install demo\n```\n````\n",
        [md("README.md", b"# Demo\n```\npip install demo\n```\n")],
        ["SB210"],
    ),
    Case(
        "markdown-readme-bare-inner-fence-aider-22",
        "README.md\n```markdown\n# Demo\n...\n```\nan inner code block\n```\n```\n",
        [md("README.md", b"# Demo\n...\n```\nan inner code block\n```\n")],
        ["SB210", "SB106"],
    ),
    Case(
        "markdown-python-closes-at-first-bare-fence",
        "app.py\n```python\nprint(1)\n```\nRun:\n```\npython app.py\n```\n",
        [md("app.py", b"print(1)\n")],
        ["SB210", "SB101", "SB104"],
    ),
    Case(
        "markdown-indented-fence-in-list",
        "1. Create `app.py`:\n\n   app.py\n   ```python\n   def f():\n       return 1\n   ```\n",
        [md("app.py", b"def f():\n    return 1\n")],
        ["SB101", "SB210"],
    ),
    Case(
        "markdown-unnamed-block-between-named",
        "a.py\n```python\n1\n```\nFor example:\n```python\nimport a\n```\n",
        [md("a.py", b"1\n")],
        ["SB210", "SB101", "SB104"],
    ),
    Case(
        "markdown-fence-around-files",
        "````\nmain.py\n```python\n1\n```\n````\n",
        [md("main.py", b"1\n")],
        ["SB102", "SB210"],
    ),
    # -- XML tags and PAWS markers --------------------------------------------------------
    Case(
        "xml-file-tags",
        '<file path="src/a.py">\nprint(1)\n</file>\n<file name=\'b.txt\'>inline</file>\n<file path="c.js">\nx();</file>\n'
        '<file path="empty.txt"/>\n',
        [
            ("src/a.py", b"print(1)\n", C, "xml"),
            ("b.txt", b"inline", C, "xml"),
            ("c.js", b"x();", C, "xml"),
            ("empty.txt", b"", C, "xml"),
        ],
        ["SB211"],
    ),
    Case(
        "bolt-actions",
        '<boltArtifact id="app" title="App">\n<boltAction type="shell">\nnpm install\n</boltAction>\n'
        '<boltAction type="file" filePath="index.js">\nconsole.log(1);\n</boltAction>\n</boltArtifact>\n',
        [("index.js", b"console.log(1);\n", C, "xml")],
        ["SB101", "SB211", "SB101"],
    ),
    Case(
        "xml-unclosed",
        '<file path="a.py">\nprint(1)\n<file path="b.py">\nprint(2)\n',
        [("a.py", b"print(1)\n", C, "xml"), ("b.py", b"print(2)\n", T, "xml")],
        ["SB211", "SB208", "SB301"],
    ),
    Case(
        "paws",
        "\U0001f415 --- DOGS_START_FILE: a.py ---\nprint(1)\n\U0001f415 --- DOGS_END_FILE: a.py ---\n"
        "> \U0001f415 --- DOGS_START_FILE: b.md ---\n# B\n> \U0001f415 --- DOGS_END_FILE: b.md ---\n",
        [("a.py", b"print(1)\n", C, "paws"), ("b.md", b"# B\n", C, "paws")],
        ["SB212"],
    ),
    Case(
        "paws-in-fence-without-end",
        "The bundle:\n```\n\U0001f415 --- DOGS_START_FILE: a.py ---\nprint(1)\n```\n",
        [("a.py", b"print(1)\n", C, "paws")],
        ["SB101", "SB102", "SB212", "SB208"],
    ),
    Case(
        "paws-cut",
        "--- DOGS_START_FILE: a.py ---\nprint(1)\npri",
        [("a.py", b"print(1)\npri", T, "paws")],
        ["SB212", "SB301"],
    ),
    # -- truncation ---------------------------------------------------------------------------
    Case(
        "no-closer-no-end",
        "<<<FILE a.py>>>\nprint(1)\n",
        [ours("a.py", b"print(1)\n", T)],
        ["SB301"],
    ),
    Case(
        "cut-mid-line",
        "<<<FILE a.py>>>\nimport os\n<<<FILE b.py>>>\ndef main():\n    pri",
        [ours("a.py", b"import os\n"), ours("b.py", b"def main():\n    pri", T)],
        ["SB301"],
    ),
    Case(
        "cut-in-header",
        "<<<FILE a.py>>>\n1\n<<<FILE b.p",
        [ours("a.py", b"1\n"), ours("b.p", b"", T)],
        ["SB201", "SB301"],
    ),
    Case(
        "unclosed-markdown-fence",
        "app.py\n```python\ndef main():\n    return",
        [md("app.py", b"def main():\n    return", T)],
        ["SB210", "SB302"],
    ),
    Case(
        "unclosed-fence-around-one-file",
        "<<<FILE app.py>>>\n```python\nprint(1)\n",
        [ours("app.py", b"print(1)\n", T)],
        ["SB302"],
    ),
    Case(
        "finish-reason-length",
        "<<<FILE a.py>>>\n1\n<<<FILE b.py>>>\n2\n<<<END 2>>>\n",
        [ours("a.py", b"1\n"), ours("b.py", b"2\n", T)],
        ["SB303"],
        {"finish_reason": "length"},
    ),
    Case(
        "finish-reason-stop",
        "<<<FILE a.py>>>\n1\n<<<END 1>>>\n",
        [ours("a.py", b"1\n")],
        [],
        {"finish_reason": "stop"},
    ),
    # -- lazy placeholders --------------------------------------------------------------------
    Case(
        "placeholders",
        "<<<FILE a.py>>>\nimport os\n# ... existing code ...\n<<<FILE b.js>>>\nf();\n// rest of the file unchanged\n"
        "<<<FILE c.rs>>>\n// ... rest of the file content ...\n<<<FILE d.tf>>>\n[more code here]\n"
        "<<<FILE e.py>>>\n    x = 1  # ... (all previous fields)\n<<<FILE f.html>>>\n<!-- ... -->\n<<<END 6>>>\n",
        [
            ours("a.py", b"import os\n# ... existing code ...\n", S),
            ours("b.js", b"f();\n// rest of the file unchanged\n", S),
            ours("c.rs", b"// ... rest of the file content ...\n", S),
            ours("d.tf", b"[more code here]\n", S),
            ours("e.py", b"    x = 1  # ... (all previous fields)\n", S),
            ours("f.html", b"<!-- ... -->\n", S),
        ],
        ["SB401"] * 6,
    ),
    Case(
        "not-placeholders",
        "<<<FILE a.py>>>\nprint('Loading...')\n# Compute the rest.\nclass P:\n    ...\n<<<END 1>>>\n",
        [ours("a.py", b"print('Loading...')\n# Compute the rest.\nclass P:\n    ...\n")],
        [],
    ),
    Case(
        "placeholder-the-original-holds",
        "<<<FILE a.py>>>\n# ... existing code ...\nx = 2\n<<<END 1>>>\n",
        [ours("a.py", b"# ... existing code ...\nx = 2\n")],
        [],
        {"base": Bundle([Entry("a.py", "# ... existing code ...\nx = 1\n")])},
    ),
    Case(
        "shrunk-against-the-original",
        "<<<FILE a.py>>>\nline 0\n<<<FILE b.py>>>\nnew\n<<<END 2>>>\n",
        [ours("a.py", b"line 0\n", S), ours("b.py", b"new\n")],
        ["SB402"],
        {"base": Bundle([Entry("a.py", TWENTY_LINES)])},
    ),
    # -- paths ----------------------------------------------------------------------------------
    Case(
        "unsafe-paths-refused",
        '<<<FILE /etc/passwd>>>\n1\n<<<FILE ../up.txt>>>\n2\n<<<FILE C:/x.txt>>>\n3\n<<<FILE "a\\\\b.txt">>>\n4\n'
        '<<<FILE "nul\\u0000.txt">>>\n5\n<<<FILE .git/config>>>\n6\n<<<FILE ok.txt>>>\n7\n<<<END 7>>>\n',
        [ours("ok.txt", b"7\n")],
        ["SB501"] * 6,
    ),
    Case("empty-name-refused", "<<<FILE>>>\n1\n<<<END 1>>>\n", [], ["SB501", "SB901", "SB201"]),
    Case(
        "diff-prefix-taken-off",
        "<<<FILE b/src/app.py>>>\n1\n<<<END 1>>>\n",
        [ours("src/app.py", b"1\n")],
        ["SB502"],
        {"existing": ["src/app.py"]},
    ),
    Case(
        "diff-prefix-kept",
        "<<<FILE a/src/app.py>>>\n1\n<<<END 1>>>\n",
        [ours("a/src/app.py", b"1\n", S)],
        ["SB502"],
    ),
    Case(
        "language-tag-name", "<<<FILE php>>>\n<?php\n<<<END 1>>>\n", [ours("php", b"<?php\n", S)], ["SB503"]
    ),
    Case(
        "case-conflict",
        "<<<FILE readme.md>>>\n# x\n<<<END 1>>>\n",
        [ours("readme.md", b"# x\n", S)],
        ["SB504"],
        {"base": Bundle([Entry("README.md", "# x\n")])},
    ),
    Case("dot-slash", "<<<FILE ./src/a.py>>>\n1\n<<<END 1>>>\n", [ours("src/a.py", b"1\n")], ["SB505"]),
    Case(
        "markdown-backslash-path-refused",
        "src\\app.py\n```python\n1\n```\n",
        [],
        ["SB501", "SB901"],
    ),
    # -- duplicates, deletions, other formats ------------------------------------------------
    Case(
        "duplicate-last-wins",
        "<<<FILE a.py>>>\n1\n<<<FILE b.py>>>\nb\n<<<FILE a.py>>>\n2\n<<<END 3>>>\n",
        [ours("b.py", b"b\n"), ours("a.py", b"2\n")],
        ["SB601"],
    ),
    Case(
        "duplicate-across-dialects",
        "a.py\n```python\n1\n```\nOops, fixed:\n<<<FILE a.py>>>\n2\n<<<END 1>>>\n",
        [ours("a.py", b"2\n")],
        ["SB210", "SB101", "SB601"],
    ),
    Case(
        "delete",
        '<<<FILE a.py>>>\n1\n<<<DELETE old.py>>>\n### <<<DELETE `gone.py`>>>\n<<<DELETE "with space.txt">>>\n<<<END 1>>>\n',
        [ours("a.py", b"1\n")],
        ["SB201"],
        deletions=("old.py", "gone.py", "with space.txt"),
    ),
    Case("delete-only", "<<<DELETE old.py>>>\n", [], [], deletions=("old.py",)),
    Case("delete-unsafe", "<<<DELETE ../x>>>\n", [], ["SB501", "SB901"]),
    Case(
        "write-then-delete",
        "<<<FILE a.py>>>\n1\n<<<DELETE a.py>>>\n<<<END 1>>>\n",
        [],
        ["SB605"],
        deletions=("a.py",),
    ),
    Case(
        "delete-then-write",
        "<<<DELETE a.py>>>\n<<<FILE a.py>>>\n1\n<<<END 1>>>\n",
        [ours("a.py", b"1\n")],
        ["SB605"],
    ),
    Case("empty-content-is-an-empty-file", "<<<FILE a.py>>>\n<<<END 1>>>\n", [ours("a.py", b"")], []),
    Case(
        "fenced-diffs",
        "Changes:\n```diff\n--- /dev/null\n+++ main.py\n@@ -0,0 +1 @@\n+print(1)\n```\n### File: req.txt\n```diff\n```\n",
        [],
        ["SB604", "SB101", "SB602", "SB602"],
    ),
    Case(
        "bare-diff",
        "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-print(1)\n+print(2)\n",
        [],
        ["SB604", "SB602"],
    ),
    Case(
        "search-replace-in-fence",
        "app.py\n```python\n<<<<<<< SEARCH\nprint(1)\n=======\nprint(2)\n>>>>>>> REPLACE\n```\n",
        [],
        ["SB604", "SB603"],
    ),
    Case(
        "search-replace-empty-is-not-a-deletion",
        "old.py\n<<<<<<< SEARCH\nall the code\n=======\n>>>>>>> REPLACE\n",
        [],
        ["SB604", "SB603"],
    ),
    Case(
        "diff-and-edit-in-bundle-file-kept-suspect",
        "<<<FILE a.py>>>\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-1\n+2\n<<<FILE b.py>>>\n<<<<<<< SEARCH\n1\n=======\n2\n"
        ">>>>>>> REPLACE\n<<<FILE fix.patch>>>\n--- a/x\n+++ b/x\n<<<END 3>>>\n",
        [
            ours("a.py", b"--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-1\n+2\n", S),
            ours("b.py", b"<<<<<<< SEARCH\n1\n=======\n2\n>>>>>>> REPLACE\n", S),
            ours("fix.patch", b"--- a/x\n+++ b/x\n"),
        ],
        ["SB602", "SB603", "SB204"],
    ),
    # -- nothing found ---------------------------------------------------------------------------
    Case("nothing-prose", "I cannot help with that.\n", [], ["SB901", "SB101"]),
    Case("nothing-empty", "", [], ["SB901"]),
    Case("nothing-unnamed-code", "Here:\n```python\nprint(1)\n```\n", [], ["SB901", "SB101", "SB104"]),
    Case("nothing-empty-bundle", "<<<END 0>>>\n", [], ["SB901"]),
]


def _result_files(result: Extraction) -> list[File]:
    return [(file.name, file.data, file.status, file.dialect) for file in result.files]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_extract_reads_the_answer(case: Case) -> None:
    result = extract(case.answer, **case.options)
    assert _result_files(result) == case.files
    assert [diagnostic.code for diagnostic in result.diagnostics] == case.codes, result.diagnostics
    assert result.deletions == case.deletions
    assert result.bundle.names == tuple(name for name, *_ in case.files)
    for diagnostic in result.diagnostics:
        assert diagnostic.severity == code_info(diagnostic.code).severity
        assert 1 <= diagnostic.line <= max(1, len(case.answer.splitlines()))


def test_case_ids_are_unique() -> None:
    assert len({case.id for case in CASES}) == len(CASES)


LAZY_LINES = [
    "# ... existing code ...",
    "    # ... (rest of the existing code)",
    "// ... rest of the file unchanged ...",
    "// rest of the file unchanged",
    "// Keep existing implementation",
    "/* rest of implementation */",
    "{/* ... */}",
    "<!-- rest of the page unchanged -->",
    "# (rest of the file remains unchanged)",
    "# [Previous code remains the same]",
    "# Rest of the code is unchanged",
    "-- ... rest of the query",
    "#... (remaining methods)",
    "# \u2026",
    "    ...  # existing code",
    "    pass  # ... (same as before)",
    "// TODO: rest of the file",
    "(...)",
]
NOT_LAZY_LINES = [
    "print('Loading...')",
    "x = [...]",
    "    ...",
    "return ...",
    "# The rest of this module handles IO",
    "# existing users are migrated",
    "// wait...",
    "# see https://example.org/...",
]


@pytest.mark.parametrize("line", LAZY_LINES)
def test_a_placeholder_makes_the_file_suspect(line: str) -> None:
    result = extract(f"<<<FILE a.py>>>\nx = 1\n{line}\n<<<END 1>>>\n")
    assert [diagnostic.code for diagnostic in result.diagnostics] == ["SB401"]
    assert result.diagnostics[0].line == 3
    assert result.files[0].status == "suspect"
    assert result.files[0].data == f"x = 1\n{line}\n".encode()


@pytest.mark.parametrize("line", NOT_LAZY_LINES)
def test_code_that_only_looks_lazy_is_not_flagged(line: str) -> None:
    result = extract(f"<<<FILE a.py>>>\n{line}\n<<<END 1>>>\n")
    assert result.diagnostics == ()


# -- what the messages and positions say ------------------------------------------------------


def test_a_diagnostic_names_its_file_and_position() -> None:
    result = extract("Intro\n<<<FILE a.py>>>\nprint(1)\n")
    assert [str(diagnostic) for diagnostic in result.diagnostics] == [
        "1:1: SB101 info: prose before the first file (line 1); left out",
        "3:1: SB301 warning: the answer ends inside 'a.py', with no closer and no <<<END n>>> marker; the"
        " file is marked truncated",
    ]
    assert result.diagnostics[1].file == "a.py"


def test_a_duplicate_names_both_spans() -> None:
    result = extract("<<<FILE a.py>>>\n1\n2\n<<<FILE a.py>>>\n3\n<<<END 2>>>\n")
    (diagnostic,) = result.diagnostics
    assert diagnostic.message == "'a.py' appears twice, at lines 1-3 and lines 4-5; the last copy wins"
    assert diagnostic.line == 4


def test_spans_cover_the_file_in_the_answer() -> None:
    result = extract("Intro\n\nmain.py\n```python\nprint(1)\n```\n<<<FILE b.py>>>\nx\n<<<END FILE>>>\n")
    assert [file.span for file in result.files] == [(3, 6), (7, 9)]


def test_the_header_variant_message_says_what_was_taken_off() -> None:
    result = extract("### <<< File: `src/app.py` (new) >>>\nprint(1)\n<<<END 1>>>\n")
    (diagnostic,) = result.diagnostics
    assert diagnostic.column == 5
    assert diagnostic.message.startswith(
        "read the header '### <<< File: `src/app.py` (new) >>>' as <<<FILE src/app.py>>>"
    )
    assert "the annotation '(new)'" in diagnostic.message
    assert "the '`' around the name" in diagnostic.message


def test_an_empty_replace_says_how_to_delete() -> None:
    result = extract("<<<<<<< SEARCH\nold\n=======\n>>>>>>> REPLACE\n")
    assert [diagnostic.code for diagnostic in result.diagnostics] == ["SB604", "SB603"]
    assert "<<<DELETE name>>>" in result.diagnostics[1].message
    assert result.deletions == ()


def _message(result: Extraction, code: str) -> str:
    return next(diagnostic.message for diagnostic in result.diagnostics if diagnostic.code == code)


def test_nothing_found_says_what_the_answer_holds() -> None:
    assert "2 code blocks have no file name" in _message(extract("```\n1\n```\n```\n2\n```\n"), "SB901")
    assert (
        "1 unified diff and 1 SEARCH/REPLACE block"
        in extract("```diff\n--- a/x\n+++ b/x\n```\n<<<<<<< SEARCH\n1\n=======\n2\n>>>>>>> REPLACE\n")
        .diagnostics[0]
        .message
    )
    assert "every file it holds was refused" in _message(extract("<<<FILE /x>>>\n1\n<<<END 1>>>\n"), "SB901")


def test_the_comment_of_a_valid_bundle_is_kept() -> None:
    text = dumps(Bundle([Entry("a.py", "1\n")], comment="What changed:\n- a.py"))
    assert extract(text).bundle.comment == "What changed:\n- a.py"
    fenced = extract("Sure.\n```\nWhat changed\n<<<FILE a.py>>>\n1\n<<<END 1>>>\n```\n")
    assert fenced.bundle.comment == "What changed"
    assert "kept it as the bundle's comment" in fenced.diagnostics[2].message


# -- the contract: exact where loads is exact, never an exception -------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "<<<FILE a>>>\n\\<<<FILE b>>>\n<<<END 1>>>\n",
        '<<<FILE "x y" exec noeol>>>\nz\n<<<FILE bin base64>>>\nAP8=\n<<<END 2>>>\n',
        "notes\n<<<FILE a sha256="
        + "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
        + " noeol>>>\n1\n<<<END 1>>>\n",
    ],
)
def test_a_strictly_valid_bundle_gives_exactly_what_loads_gives(text: str) -> None:
    result = extract(text)
    assert result.bundle == loads(text)
    assert result.diagnostics == ()
    assert result.ok


def test_input_types() -> None:
    text = "<<<FILE a>>>\n1\n<<<END 1>>>\n"
    expected = extract(text).bundle
    for value in (text.encode(), bytearray(text.encode()), memoryview(text.encode())):
        assert extract(value).bundle == expected
    # A str with an unpaired surrogate is read, its surrogate kept as bytes that are not UTF-8.
    odd = extract("<<<FILE a>>>\n\ud800\n")
    assert odd.files[0].data == "\ud800\n".encode("utf-8", "surrogatepass")
    assert [diagnostic.code for diagnostic in odd.diagnostics] == ["SB107", "SB301"]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((1,), {}, "the answer must be str or bytes, not int"),
        (("",), {"base": {}}, "base must be a Bundle or None, not dict"),
        (("",), {"finish_reason": 1}, "finish_reason must be a str or None, not int"),
        (("",), {"existing": "a.py"}, "existing must be an iterable of names, not a string"),
        (("",), {"existing": [b"a.py"]}, "existing[0] is a bytes, not a str"),
    ],
)
def test_wrong_argument_types_raise_type_error(
    args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=re.escape(message)):
        extract(*args, **kwargs)


def test_a_bug_becomes_an_internal_error_diagnostic(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> bool:
        raise RuntimeError("boom")

    monkeypatch.setattr(seedbundle._extract, "read_strict", broken)
    result = extract("<<<FILE a>>>\n")
    assert [diagnostic.code for diagnostic in result.diagnostics] == ["SB999"]
    assert "RuntimeError: boom" in result.diagnostics[0].message
    assert not result.ok
    assert len(result.bundle) == 0


def test_ok() -> None:
    assert extract("<<<FILE a>>>\n1\n<<<END 1>>>\n").ok
    assert extract("<<<DELETE a>>>\n").ok
    assert not extract("<<<FILE a>>>\n1\n").ok  # truncated
    assert not extract("<<<FILE a>>>\n# ... existing code ...\n<<<END 1>>>\n").ok  # suspect
    assert not extract("<<<FILE /a>>>\n1\n<<<FILE b>>>\n2\n<<<END 2>>>\n").ok  # a refused file
    assert extract("a.py\n```\n1\n```\n").ok  # warnings about repairs do not count


def test_as_dict_is_json() -> None:
    report = extract("<<<FILE a.py exec>>>\n1\n<<<DELETE b.py>>>\n", finish_reason="length").as_dict()
    assert json.loads(json.dumps(report)) == report
    assert report["files"] == [
        {
            "name": "a.py",
            "status": "truncated",
            "span": [1, 2],
            "dialect": "seedbundle",
            "executable": True,
            "size": 2,
            "sha256": "4355a46b19d348dc2f57c046f8ef63d4538ebb936000f3c9ee954a27460dd865",
        }
    ]
    assert report["deletions"] == ["b.py"]
    assert report["diagnostics"] == [
        {
            "code": "SB303",
            "severity": "warning",
            "line": 2,
            "column": 1,
            "file": "a.py",
            "message": "the model stopped at its output limit (finish_reason='length'); 'a.py', the last file,"
            " is marked truncated",
        }
    ]


def test_value_classes_validate() -> None:
    with pytest.raises(ValueError, match="unknown diagnostic code 'SB000'"):
        Diagnostic("SB000", "info", 1, 1, None, "")
    with pytest.raises(ValueError, match="SB301 has the severity 'warning', not 'error'"):
        Diagnostic("SB301", "error", 1, 1, None, "")
    with pytest.raises(ValueError, match="line must be an int of at least 1"):
        Diagnostic("SB301", "warning", 0, 1, None, "")
    with pytest.raises(ValueError, match="span must be"):
        ExtractedFile("a", b"", status="complete", span=(2, 1), dialect="markdown")
    with pytest.raises(ValueError, match="'done'"):
        ExtractedFile("a", b"", status="done", span=(1, 1), dialect="markdown")  # type: ignore[arg-type]
    file = ExtractedFile("a", b"x", status="complete", span=(1, 1), dialect="markdown")
    with pytest.raises(ValueError, match="the files must be the bundle's entries"):
        Extraction(Bundle(), [file], [])
    with pytest.raises(ValueError, match="does not hold the bundle entry's data"):
        Extraction(Bundle([Entry("a", b"y")]), [file], [])
    assert Extraction(Bundle([Entry("a", b"x")]), [file], []).files == (file,)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        file.name = "b"  # type: ignore[misc]


def test_model_artifacts() -> None:
    assert not looks_like_model_artifact("a.py", b"print(1)\n")
    assert not looks_like_model_artifact("README.md", b"```\ncode\n```\n")
    assert not looks_like_model_artifact("img.png", b"\x89PNG\x00```\n")
    assert looks_like_model_artifact("a.py", b"\n```python\nprint(1)\n```\n")
    assert looks_like_model_artifact("a.py", b"```\nunclosed\n")
    assert looks_like_model_artifact("a.py", b"x\n# ... rest of the code ...\n")
    assert looks_like_model_artifact("../a.py", b"")
    assert looks_like_model_artifact("python", b"")


# -- the registry and its page ------------------------------------------------------------------

# The keyword arguments that the examples need, as the page shows them in Code.options.
EXAMPLE_OPTIONS: dict[str, dict[str, Any]] = {
    "SB303": {"finish_reason": "length"},
    "SB402": {"base": Bundle([Entry("a.py", TWENTY_LINES)])},
    "SB502": {"existing": ["src/app.py"]},
    "SB504": {"existing": ["README.md"]},
}


def test_codes_are_well_formed_unique_and_in_order() -> None:
    codes = [code.code for code in CODES]
    assert codes == sorted(set(codes))
    assert all(re.fullmatch(r"SB[1-9][0-9]{2}", code) for code in codes)
    assert {code.code for code in CODES if code.options} == set(EXAMPLE_OPTIONS)


@pytest.mark.parametrize("code", [code for code in CODES if code.example], ids=lambda code: code.code)
def test_every_example_yields_its_code(code: Any) -> None:
    result = extract(code.example_input(), **EXAMPLE_OPTIONS.get(code.code, {}))
    assert code.code in [diagnostic.code for diagnostic in result.diagnostics]


def test_every_code_in_the_source_is_in_the_registry_and_back() -> None:
    source = "\n".join(
        path.read_text("utf-8")
        for path in (ROOT / "src" / "seedbundle").glob("_extract*.py")
        if path.name != "_extract_codes.py"
    )
    used = set(re.findall(r'"(SB[0-9]{3})"', source))
    assert used == {code.code for code in CODES} - {"SB999"} | {"SB999"} & used
    assert "SB999" in used


_PAGE_INTRO = """\
# Diagnostics of extract

[`seedbundle.extract`][seedbundle.extract] reads a language model's answer
back into files. It never raises on a str or bytes answer and never returns
an empty result silently: everything it repairs and everything it doubts is a
[`Diagnostic`][seedbundle.Diagnostic] with a stable code, a severity, a line
and column, the file it concerns and a message that says what was found and
what was done. This page lists every code. It is generated from the registry
in `seedbundle/_extract_codes.py` by `tests/test_extract.py`, which fails when
the two differ.

- **info**: what is normal in a model's answer: prose around the files, a
  fence around the whole bundle.
- **warning**: a repair (a header variant, a closer, a fence around a file,
  a dialect other than the bundle format) or a flag (truncated, suspect).
- **error**: a refused file, or an answer that holds no file.

Each file has a **status**: `complete`; `truncated` when the answer stops
inside it (SB301, SB302, SB303); `suspect` when it holds a lazy placeholder,
an edit block or a diff, shrank against `base=`, does not match its sha256,
or has an odd name (SB207, SB401, SB402, SB502, SB503, SB504, SB602, SB603).
`Extraction.ok` is true when there is a file or a deletion, no error, and
every file is complete.

## What extract reads

- **The bundle format**, exactly as [`loads`][seedbundle.loads] reads it
  when the answer, or the part of it between prose and a fence, is a strictly
  valid bundle; otherwise entry by entry, with the variants below. As in the
  format, a file's content runs to the next marker: text between two files
  belongs to the first unless a closer ends it, and the last file is marked
  truncated (SB301) unless an `<<<END n>>>` line, a closer or a closing fence
  shows where it ends. Prompts for extract should ask for the END line.
- **The markdown dialect**: a file name alone on a line, as a heading, in
  bold or backticks, as a list item, in brackets or after `File:`, followed by
  a fenced code block (a marked name may have up to three lines of prose
  between it and the block); or the name in the info string
  (`python:src/app.py`, `src/app.py`, `python title="src/app.py"`). Closing
  fences follow CommonMark, and the code block of a markdown file keeps its
  inner code blocks.
- **XML tags**: `<file path="...">...</file>` and bolt's
  `<boltAction type="file" filePath="...">...</boltAction>`.
- **PAWS markers**: `DOGS_START_FILE: path` and `DOGS_END_FILE: path`.

## Deleting a file

An answer deletes a file with a line of its own:

```text
<<<DELETE path/to/old.py>>>
```

The name is written as in a FILE header (bare, or as a JSON string). The
line has no content and no attributes, and an END marker does not count it.
`Extraction.deletions` lists the names. Nothing else deletes a file: a file
with empty content is an empty file, and an empty SEARCH/REPLACE block is
reported (SB603), never read as a deletion. Version 1 of the format reads a
`<<<DELETE` line as an unknown marker, an error, so giving it this meaning
in a later version changes no valid bundle.

## The codes

"""

_PAGE_EXAMPLES = """
## Examples

One answer for each code. Control characters and bytes that are not UTF-8
are shown as escapes: `\\r`, `\\ufeff`, `\\xNN`.
"""


def _shown(example: str) -> str:
    """An example as the page shows it, with invisible characters as escapes."""
    out = []
    for char in example:
        if char == "\r":
            out.append("\\r")
        elif char == "\ufeff":
            out.append("\\ufeff")
        elif "\udc80" <= char <= "\udcff":
            out.append(f"\\x{ord(char) - 0xDC00:02x}")
        else:
            out.append(char)
    return "".join(out)


def _fenced(text: str) -> str:
    """A code block that holds ``text``, its fence longer than any run of backticks in it."""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}markdown\n{text if text.endswith(chr(10)) else text + chr(10)}{ticks}\n"


def reference_page() -> str:
    """The text of docs/reference/diagnostics.md, rendered from the registry."""
    rows = ["| Code | Severity | What it means | What extract does |", "|---|---|---|---|"]
    for code in CODES:
        rows.append(
            f"| [{code.code}](#{code.code.lower()}) | {code.severity} | {code.summary} | {code.action} |"
        )
    sections = []
    for code in CODES:
        if not code.example:
            body = "No answer produces it: it reports a bug.\n"
        else:
            options = f"With `{code.options}`:\n\n" if code.options else ""
            body = options + _fenced(_shown(code.example))
        sections.append(f"### {code.code}\n\n{code.summary}\n\n{body}")
    return _PAGE_INTRO + "\n".join(rows) + "\n" + _PAGE_EXAMPLES + "\n" + "\n".join(sections)


def test_the_diagnostics_page_is_the_registry() -> None:
    page = reference_page()
    if os.environ.get("SEEDBUNDLE_WRITE_DOCS"):
        DIAGNOSTICS_PAGE.write_text(page, encoding="utf-8")
    assert DIAGNOSTICS_PAGE.read_text(encoding="utf-8") == page, (
        "docs/reference/diagnostics.md differs from the registry: run this test with SEEDBUNDLE_WRITE_DOCS=1"
    )
    for code in CODES:
        assert f"| [{code.code}](#{code.code.lower()}) | {code.severity} |" in page
        assert f"### {code.code}\n" in page
