"""The diagnostic codes of extract: one registry, and the Diagnostic value class.

Every repair and every flag that [`seedbundle.extract`][seedbundle.extract] reports has a
stable code here, grouped by hundreds as linters group their rules. The
registry is the single source of docs/reference/diagnostics.md: a test
renders the page from it and fails when the two differ, and runs every
example through ``extract`` to check that it yields its code.
"""

from __future__ import annotations

from typing import Literal

import attrs

__all__ = ["CODES", "SEVERITIES", "Code", "Diagnostic", "Severity", "code_info", "new_diagnostic"]

Severity = Literal["info", "warning", "error"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error")


@attrs.frozen
class Code:
    """One entry of the registry: what a code means, and an answer that produces it."""

    code: str
    severity: Severity
    summary: str
    action: str
    # An answer that yields the code. A lone surrogate stands for a byte that
    # is not UTF-8 (as 'surrogateescape' decodes it).
    example: str
    # The keyword arguments the example needs, as the reference shows them.
    options: str = ""

    def example_input(self) -> bytes:
        """The example as the bytes of an answer."""
        return self.example.encode("utf-8", "surrogateescape")


# Lowest first. A code is never renumbered or reused: add new ones at the end
# of their group. An example of None marks a code that no answer should
# produce (an internal error).
CODES: tuple[Code, ...] = (
    # SB1xx: structure, prose and fences
    Code(
        "SB101",
        "info",
        "Prose before, between or after the files.",
        "Left out of every file. In a strictly valid part of the answer, the text before the first"
        " file is the bundle's comment, as for `loads`.",
        "Here is the fix:\n<<<FILE a.py>>>\nprint(1)\n<<<END 1>>>\nThat is all.\n",
    ),
    Code(
        "SB102",
        "info",
        "The files are inside a markdown fence around the whole bundle.",
        "Read inside the fence; the fence lines are not content.",
        "```\n<<<FILE a.py>>>\nprint(1)\n<<<END 1>>>\n```\n",
    ),
    Code(
        "SB103",
        "warning",
        "One fenced code block wraps the whole content of a file that is not markdown.",
        "Unwrapped: the file holds the lines inside the fence. Markdown files keep their fences.",
        "<<<FILE a.py>>>\n```python\nprint(1)\n```\n<<<END 1>>>\n",
    ),
    Code(
        "SB104",
        "warning",
        "A code block with no file name before it or in its info string.",
        "Left out: it may be an example, and there is no name to give it.",
        "main.py\n```python\nprint(1)\n```\nRun it with:\n```\npython main.py\n```\n",
    ),
    Code(
        "SB105",
        "warning",
        "The fence that opens a file's content is not closed before the next file.",
        "The opening fence line is removed; the content runs to the next file.",
        "<<<FILE a.py>>>\n```python\nprint(1)\n<<<FILE b.py>>>\nprint(2)\n<<<END 2>>>\n",
    ),
    Code(
        "SB106",
        "warning",
        "More than one fence line could close the code block of a markdown file.",
        "The one that leaves the inner code blocks paired is taken; the message names the other reading.",
        "README.md\n```markdown\n# Demo\n```\npip install demo\n```\n```\n",
    ),
    Code(
        "SB107",
        "warning",
        "The answer holds bytes that are not UTF-8.",
        "Kept as they are in the content; a name that holds them is refused.",
        "<<<FILE a.txt>>>\ncaf\udce9\n<<<END 1>>>\n",
    ),
    Code(
        "SB108",
        "warning",
        "The answer begins with a byte order mark.",
        "Skipped.",
        "\ufeff<<<FILE a.py>>>\nprint(1)\n<<<END 1>>>\n",
    ),
    Code(
        "SB109",
        "warning",
        "Marker lines end in CRLF.",
        "The CR is not part of the marker; content lines keep their CR.",
        "<<<FILE a.py>>>\r\nprint(1)\r\n<<<END 1>>>\r\n",
    ),
    # SB2xx: headers, closers and dialects
    Code(
        "SB201",
        "warning",
        "A FILE header (or a DELETE line) written differently from `<<<FILE name>>>`.",
        "Read as a header: case, spacing, a colon, quotes, backticks, bold, a heading, list or quote"
        " prefix, indentation and an annotation such as `(new)` are taken off the name.",
        "### <<< File: `src/app.py` (new) >>>\nprint(1)\n<<<END 1>>>\n",
    ),
    Code(
        "SB202",
        "warning",
        "A closer the format does not define: `<<<END>>>`, `<<<END FILE>>>`, `<<<END_FILE>>>`,"
        " `<<<END FILE path>>>`.",
        "Read as the end of the open file; what follows it up to the next file is prose.",
        "<<<FILE a.py>>>\nprint(1)\n<<<END FILE a.py>>>\n",
    ),
    Code(
        "SB203",
        "warning",
        "The count in `<<<END n>>>` is not the number of files.",
        "The files are kept; the count is ignored.",
        "<<<FILE a.py>>>\nprint(1)\n<<<END 2>>>\n",
    ),
    Code(
        "SB204",
        "warning",
        "A content line begins with `<<<` but is not a marker (`<<<<<<< SEARCH`, `<<<EOF`).",
        "Kept verbatim as content. The format would write it with a backslash in front.",
        "<<<FILE run.sh>>>\ncat <<EOF\n<<<EOF\n<<<END 1>>>\n",
    ),
    Code(
        "SB205",
        "warning",
        "More files follow an `<<<END n>>>` marker.",
        "They are read too.",
        "<<<FILE a.py>>>\nprint(1)\n<<<END 1>>>\n<<<FILE b.py>>>\nprint(2)\n<<<END 1>>>\n",
    ),
    Code(
        "SB206",
        "warning",
        "A header holds an attribute the format does not define.",
        "The attribute is dropped.",
        "<<<FILE a.py mode=755>>>\nprint(1)\n<<<END 1>>>\n",
    ),
    Code(
        "SB207",
        "warning",
        "A file's content does not match its header: invalid base64, or a sha256 mismatch.",
        "Invalid base64 is refused; a checksum mismatch keeps the data and marks the file suspect.",
        "<<<FILE a.bin base64>>>\nnot base64!\n<<<END 1>>>\n",
    ),
    Code(
        "SB208",
        "warning",
        "A file of a dialect with closers (XML tags, PAWS markers) is not closed.",
        "It ends where the next file or the closing fence begins.",
        '<file path="a.py">\nprint(1)\n<file path="b.py">\nprint(2)\n</file>\n',
    ),
    Code(
        "SB210",
        "warning",
        "Files written in the markdown dialect: a name line (or info string) and a fenced code block.",
        "Each named code block is read as a file; closing fences follow CommonMark.",
        "`src/app.py`:\n```python\nprint(1)\n```\n",
    ),
    Code(
        "SB211",
        "warning",
        'Files written as XML tags: `<file path="...">` or bolt\'s `<boltAction type="file" filePath="...">`.',
        "The text between the tags is the content, without the line end right after the opening tag.",
        '<file path="src/app.py">\nprint(1)\n</file>\n',
    ),
    Code(
        "SB212",
        "warning",
        "Files written with PAWS markers: `--- DOGS_START_FILE: path ---` and `--- DOGS_END_FILE: path ---`.",
        "The lines between the markers are the content.",
        "--- DOGS_START_FILE: app.py ---\nprint(1)\n--- DOGS_END_FILE: app.py ---\n",
    ),
    # SB3xx: truncation
    Code(
        "SB301",
        "warning",
        "The answer ends inside its last file, with no closer and no `<<<END n>>>` marker.",
        "The file is kept and marked truncated: nothing shows that it is complete.",
        "<<<FILE a.py>>>\ndef main():\n    pri",
    ),
    Code(
        "SB302",
        "warning",
        "The answer ends inside an unclosed code fence.",
        "The file in it is kept and marked truncated.",
        "app.py\n```python\ndef main():\n    pri",
    ),
    Code(
        "SB303",
        "warning",
        'The caller passed `finish_reason="length"`: the model stopped at its output limit.',
        "The last file is marked truncated.",
        "<<<FILE a.py>>>\nprint(1)\n<<<END 1>>>\n",
        'finish_reason="length"',
    ),
    # SB4xx: lazy placeholders
    Code(
        "SB401",
        "warning",
        "A lazy placeholder such as `# ... existing code ...` or `// rest of the file unchanged`.",
        "The file is kept and marked suspect. Given `base=`, only placeholders that the original"
        " file does not hold count.",
        "<<<FILE a.py>>>\nimport os\n# ... rest of the file unchanged ...\n<<<END 1>>>\n",
    ),
    Code(
        "SB402",
        "warning",
        "Given `base=`, the file has less than half the lines of an original of 10 lines or more.",
        "The file is kept and marked suspect.",
        "<<<FILE a.py>>>\nprint(1)\n<<<END 1>>>\n",
        "base=Bundle([Entry('a.py', 20 lines)])",
    ),
    # SB5xx: paths
    Code(
        "SB501",
        "error",
        "A file name that is unsafe as a path: absolute, `..`, a drive letter, a backslash, a control"
        " character, empty, or inside `.git`.",
        "The file is refused: it is not in the bundle.",
        "<<<FILE ../../etc/passwd>>>\nroot::0:0::/:/bin/sh\n<<<END 1>>>\n",
    ),
    Code(
        "SB502",
        "warning",
        "A file name that begins with the `a/` or `b/` of a diff header.",
        "Taken off when `existing=` (or `base=`) holds the name without it; otherwise kept, and the"
        " file is marked suspect.",
        "<<<FILE b/src/app.py>>>\nprint(1)\n<<<END 1>>>\n",
        "existing=['src/app.py']",
    ),
    Code(
        "SB503",
        "warning",
        "A file name that is only a language tag, such as `python` or `php`.",
        "Kept and marked suspect: the model probably meant a path.",
        "<<<FILE php>>>\n<?php echo 1;\n<<<END 1>>>\n",
    ),
    Code(
        "SB504",
        "warning",
        "A file name that differs from an existing one only in case or Unicode normalization.",
        "Kept and marked suspect: on a case-insensitive file system one file would replace the other.",
        "<<<FILE readme.md>>>\n# Demo\n<<<END 1>>>\n",
        "existing=['README.md']",
    ),
    Code(
        "SB505",
        "warning",
        "A file name that begins with `./`.",
        "The `./` is taken off.",
        "<<<FILE ./src/app.py>>>\nprint(1)\n<<<END 1>>>\n",
    ),
    Code(
        "SB506",
        "warning",
        "A file name wrapped in quotes, backticks or bold, such as `` `src/app.py` ``.",
        "The wrapping is taken off, even where the format would allow it in a bare name.",
        "<<<FILE `src/app.py`>>>\nprint(1)\n<<<END 1>>>\n",
    ),
    # SB6xx: duplicates, deletions and other formats
    Code(
        "SB601",
        "warning",
        "Two files have the same name.",
        "The last copy wins; the message names the lines of both.",
        "<<<FILE a.py>>>\nprint(1)\n<<<FILE a.py>>>\nprint(2)\n<<<END 2>>>\n",
    ),
    Code(
        "SB602",
        "warning",
        "A unified diff where a whole file was expected.",
        "A diff in a code block is left out; a file in the bundle format whose content is a diff is"
        " kept and marked suspect. Files named `*.diff` or `*.patch` are not flagged.",
        "```diff\n--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-print(1)\n+print(2)\n```\n",
    ),
    Code(
        "SB603",
        "warning",
        "A SEARCH/REPLACE edit block where a whole file was expected.",
        "An edit block in a code block or in prose is left out; a file in the bundle format whose"
        " content is one is kept and marked suspect. An empty REPLACE never deletes a file.",
        "app.py\n```python\n<<<<<<< SEARCH\nprint(1)\n=======\nprint(2)\n>>>>>>> REPLACE\n```\n",
    ),
    Code(
        "SB604",
        "error",
        "The answer holds diffs or edit blocks, not whole files.",
        "No file is extracted; apply the edits with a tool made for them.",
        "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-print(1)\n+print(2)\n",
    ),
    Code(
        "SB605",
        "warning",
        "The answer both writes and deletes the same file.",
        "The later of the two wins.",
        "<<<FILE a.py>>>\nprint(1)\n<<<DELETE a.py>>>\n<<<END 1>>>\n",
    ),
    # SB9xx: nothing found, internal errors
    Code(
        "SB901",
        "error",
        "The answer holds no file and no deletion.",
        "The bundle is empty; the message says what the answer holds instead, if anything.",
        "I am sorry, I cannot help with that.\n",
    ),
    Code(
        "SB999",
        "error",
        "An internal error in extract: a bug in seedbundle.",
        "What was read before the error is lost; please report the input.",
        "",
    ),
)

_BY_CODE = {code.code: code for code in CODES}


def code_info(code: str) -> Code:
    """The registry entry of ``code``; KeyError for a code that does not exist."""
    return _BY_CODE[code]


def _validate_code(_instance: object, _attribute: object, value: str) -> None:
    if value not in _BY_CODE:
        raise ValueError(f"unknown diagnostic code {value!r}")


def _validate_position(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{attribute.name} must be an int of at least 1, not {value!r}")


@attrs.frozen
class Diagnostic:
    """One finding of [`seedbundle.extract`][seedbundle.extract]: what was found, where, and what was done.

    Attributes:
        code: The stable code, such as ``"SB301"``; see the diagnostics
            reference for the full list.
        severity: ``"info"`` for what is normal in a model's answer (prose,
            a fence around the bundle), ``"warning"`` for a repair or a flag,
            ``"error"`` for a refused file or an answer without files.
        line: The 1-based line of the answer where the finding is.
        column: The 1-based column, in characters.
        file: The name of the file it concerns, or None.
        message: What was found and what was done about it.

    Examples:
        >>> import seedbundle
        >>> result = seedbundle.extract("<<<FILE a.py>>>\\nprint(1)\\n")
        >>> diagnostic = result.diagnostics[0]
        >>> diagnostic.code, diagnostic.severity, diagnostic.line, diagnostic.file
        ('SB301', 'warning', 2, 'a.py')
        >>> print(diagnostic)
        2:1: SB301 warning: the answer ends inside 'a.py', with no closer and no <<<END n>>> marker; the file is marked truncated

    Added in version 1.1.0.
    """

    code: str = attrs.field(validator=_validate_code)
    severity: Literal["info", "warning", "error"] = attrs.field(validator=attrs.validators.in_(SEVERITIES))
    line: int = attrs.field(validator=_validate_position)
    column: int = attrs.field(validator=_validate_position)
    file: str | None
    message: str

    def __attrs_post_init__(self) -> None:
        expected = _BY_CODE[self.code].severity
        if self.severity != expected:
            raise ValueError(f"{self.code} has the severity {expected!r}, not {self.severity!r}")

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.code} {self.severity}: {self.message}"


def new_diagnostic(code: str, line: int, column: int, file: str | None, message: str) -> Diagnostic:
    """Build a Diagnostic for a registry code, its severity from the registry.

    Skipping the validators keeps a report of many findings fast; every
    caller passes a code of the registry and positions of at least 1.
    """
    diagnostic = object.__new__(Diagnostic)
    for field, value in zip(
        ("code", "severity", "line", "column", "file", "message"),
        (code, _BY_CODE[code].severity, line, column, file, message),
        strict=True,
    ):
        object.__setattr__(diagnostic, field, value)
    return diagnostic
