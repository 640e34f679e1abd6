"""Readers for the outputs of prompt packers: repomix, files-to-prompt, gitingest and code2prompt.

These tools only pack, and each loses something on the way; a reader
gives back what the output holds and a warning for every loss it knows
of. Each reader follows the tool's own template, quoted in its docstring.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from ._convert_codes import ConvertError, ConvertWarning, new_warning
from ._model import Bundle, Entry

__all__ = ["PACKER_READERS"]


class _Files:
    """The files found so far and the warnings, a later file of the same name replacing an earlier one."""

    def __init__(self) -> None:
        self.files: dict[str, Entry] = {}
        self.warnings: list[ConvertWarning] = []

    def warn(self, code: str, file: str | None, message: str) -> None:
        self.warnings.append(new_warning(code, file, message))

    def add(self, raw_name: str, content: str) -> str:
        name = raw_name.removeprefix("./")
        if not name:
            raise ConvertError(f"a file in the output has the empty name {raw_name!r}")
        if name in self.files:
            self.warn("CV101", name, f"two files are named {name!r}; the last one wins")
            del self.files[name]
        self.files[name] = Entry(name, content)
        return name

    def result(self) -> tuple[Bundle, list[ConvertWarning]]:
        self.warn("CV309", None, "the packer keeps no executable bit: every file is read as not executable")
        return Bundle(self.files.values()), self.warnings


def _decode(data: bytes, tool: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ConvertError(f"the {tool} output is not UTF-8 (at line {line})") from error
    return text.removeprefix("\ufeff")


def _marker_lines(content: str, pattern: re.Pattern[str]) -> bool:
    return any(pattern.fullmatch(line) for line in content.split("\n"))


# -- repomix --------------------------------------------------------------

_REPOMIX_TRIM = (
    "repomix trims every file: leading and trailing blank lines and spaces are lost; one final newline"
    " was put back"
)


def _repomix_file(files: _Files, path: str, content: str, marker: re.Pattern[str] | None) -> None:
    """Add a file whose content repomix trimmed; a non-empty one gets back the final newline it most likely had."""
    name = files.add(path, content + "\n" if content else "")
    files.warn("CV301", name, _REPOMIX_TRIM if content else "repomix trims every file; this one is empty")
    if marker is not None and _marker_lines(content, marker):
        files.warn(
            "CV303", name, "the content holds a line like repomix's file marker, which it does not escape"
        )


def _repomix_tree(text: str) -> list[str]:
    """The file paths of a repomix directory structure: two spaces per level, directories end in '/'."""
    paths: list[str] = []
    stack: list[str] = []
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        if not stripped.strip():
            continue
        depth = (len(line) - len(stripped)) // 2
        del stack[depth:]
        if stripped.endswith("/"):
            stack.append(stripped[:-1])
        else:
            paths.append("/".join([*stack, stripped]))
    return paths


def _repomix_missing(files: _Files, listed: list[str] | None) -> None:
    files.warn(
        "CV305",
        None,
        "repomix leaves out binary, empty and ignored files, often without a trace in its output",
    )
    for path in listed or ():
        if path not in files.files:
            files.warn(
                "CV302",
                path,
                "listed in the directory structure with no content (binary or skipped): left out",
            )


_XML_FILE = re.compile(r'^<file path="([^"\n]*)">\n', re.MULTILINE)
_XML_MARKER = re.compile(r'</file>|<file path="[^"]*">')


def read_repomix_xml(data: bytes) -> tuple[Bundle, list[ConvertWarning]]:
    """Read repomix --style xml: ``<file path="PATH">\\nCONTENT\\n</file>\\n\\n`` inside ``<files>``, nothing escaped."""
    text = _decode(data, "repomix")
    files = _Files()
    start = text.find("\n<files>\n")
    if start < 0:
        raise ConvertError("no <files> section: not a repomix XML output")
    end = text.rfind("\n</files>")
    body = text[start : end if end > start else len(text)]
    headers = list(_XML_FILE.finditer(body))
    for index, header in enumerate(headers):
        stop = headers[index + 1].start() if index + 1 < len(headers) else len(body)
        chunk = body[header.end() : stop]
        close = chunk.rfind("\n</file>")
        if close < 0 and chunk.startswith("</file>"):
            close = -1  # an empty file: the closer follows the opening line at once
            content = ""
        elif close < 0:
            raise ConvertError(f"the file {header.group(1)!r} has no </file>", header.group(1))
        else:
            content = chunk[:close]
        _repomix_file(files, header.group(1), content, _XML_MARKER)  # the path is not escaped either
    tree = re.search(r"<directory_structure>\n(.*?)\n</directory_structure>", text[:start], re.DOTALL)
    _repomix_missing(files, _repomix_tree(tree.group(1)) if tree else None)
    return files.result()


_PLAIN_FILE = re.compile(r"^={16}\nFile: (.*)\n={16}\n", re.MULTILINE)
_PLAIN_END = re.compile(r"\n\n={64}\n", re.MULTILINE)
_PLAIN_MARKER = re.compile(r"={16}|File: .*")


def read_repomix_plain(data: bytes) -> tuple[Bundle, list[ConvertWarning]]:
    """Read repomix --style plain: a line of 16 '=', ``File: PATH``, 16 '=', then CONTENT and a blank line."""
    text = _decode(data, "repomix")
    files = _Files()
    headers = list(_PLAIN_FILE.finditer(text))
    if not headers:
        raise ConvertError("no 'File: ' header between lines of '=': not a repomix plain output")
    for index, header in enumerate(headers):
        stop = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        chunk = text[header.end() : stop]
        if index + 1 == len(headers):
            end = _PLAIN_END.search("\n" + chunk)
            chunk = chunk[: end.start() - 1] if end and end.start() > 0 else chunk.rstrip("\n")
        # repomix trims every file, so no content ends in a blank line: whatever
        # blank lines follow are the layout's (one in 0.3, two in 1.x).
        _repomix_file(files, header.group(1), chunk.rstrip("\n"), _PLAIN_MARKER)
    tree = re.search(r"={64}\nDirectory Structure\n={64}\n(.*?)\n\n", text, re.DOTALL)
    _repomix_missing(files, _repomix_tree(tree.group(1)) if tree else None)
    return files.result()


_MD_FILE = re.compile(r"^## File: (.*)\n(`{3,})[^\n`]*\n", re.MULTILINE)


def read_repomix_markdown(data: bytes) -> tuple[Bundle, list[ConvertWarning]]:
    """Read repomix --style markdown: ``## File: PATH``, a fence longer than any in the files, CONTENT, the fence."""
    text = _decode(data, "repomix")
    files = _Files()
    position = 0
    found = False
    while (header := _MD_FILE.search(text, position)) is not None:
        found = True
        fence = header.group(2)
        close = text.find("\n" + fence + "\n", header.end() - 1)
        if close < 0:
            raise ConvertError(f"the fence of {header.group(1)!r} is not closed", header.group(1))
        content = text[header.end() : close] if close >= header.end() else ""
        marker = re.compile(re.escape(fence) + r".*")
        _repomix_file(files, header.group(1), content, marker)
        position = close + len(fence) + 2
    if not found:
        raise ConvertError("no '## File: ' header: not a repomix markdown output")
    tree = re.search(r"# Directory Structure\n```\n(.*?)\n```\n", text, re.DOTALL)
    _repomix_missing(files, _repomix_tree(tree.group(1)) if tree else None)
    return files.result()


def read_repomix_json(data: bytes) -> tuple[Bundle, list[ConvertWarning]]:
    """Read repomix --style json: ``{"files": {PATH: CONTENT}}``, every CONTENT trimmed."""
    try:
        document = json.loads(_decode(data, "repomix"))
    except json.JSONDecodeError as error:
        raise ConvertError(
            f"not a repomix JSON output: {error.msg} (at line {error.lineno}, column {error.colno})"
        ) from error
    if not isinstance(document, dict) or not isinstance(document.get("files"), dict):
        raise ConvertError("not a repomix JSON output: it has no 'files' object")
    files = _Files()
    for path, content in document["files"].items():
        if not isinstance(content, str):
            raise ConvertError(f"the content of {path!r} is not a string", path)
        _repomix_file(files, path, content, None)
    tree = document.get("directoryStructure")
    _repomix_missing(files, _repomix_tree(tree) if isinstance(tree, str) else None)
    return files.result()


# -- files-to-prompt ----------------------------------------------------------


def _files_to_prompt_losses(files: _Files, name: str) -> None:
    files.warn("CV304", name, "files-to-prompt reads in text mode: CRLF and CR line endings became LF")


def _files_to_prompt_skips(files: _Files) -> None:
    files.warn(
        "CV305",
        None,
        "files-to-prompt skips non-UTF-8, hidden and ignored files without a trace in its output",
    )


_FTP_HEADER = re.compile(r"([^\n]+)\n---\n")
_FTP_MARKER = re.compile(r"---")


def read_files_to_prompt(data: bytes) -> tuple[Bundle, list[ConvertWarning]]:
    """files-to-prompt's default style: ``PATH\\n---\\nCONTENT\\n\\n---\\n`` per file."""
    text = _decode(data, "files-to-prompt")
    files = _Files()
    position = 0
    while position < len(text):
        header = _FTP_HEADER.match(text, position)
        if header is None:
            raise ConvertError(_where(text, position, "expected a path and a '---' line"))
        end = _ftp_end(text, header.end())
        name = files.add(header.group(1), text[header.end() : end])
        _files_to_prompt_losses(files, name)
        if _marker_lines(files.files[name].text, _FTP_MARKER):
            files.warn("CV303", name, "the content holds a '---' line, which files-to-prompt does not escape")
        position = end + len("\n\n---\n")
    _files_to_prompt_skips(files)
    return files.result()


def _ftp_end(text: str, start: int) -> int:
    """Where CONTENT ends: the first ``\\n\\n---\\n`` followed by the end or by another file's header."""
    search = start
    while (end := text.find("\n\n---\n", search)) >= 0:
        after = end + len("\n\n---\n")
        if after == len(text) or _FTP_HEADER.match(text, after):
            return end
        search = end + 1
    raise ConvertError(_where(text, start, "this file's content has no closing '---' line"))


def _where(text: str, position: int, message: str) -> str:
    line = text.count("\n", 0, position) + 1
    return f"{message} (at line {line})"


_CXML_FILE = re.compile(r'<document index="\d+">\n<source>(.*)</source>\n<document_content>\n')
_CXML_END = "\n</document_content>\n</document>\n"
_CXML_MARKER = re.compile(r"</document_content>|</document>|<document index=.*")


def read_files_to_prompt_cxml(data: bytes) -> tuple[Bundle, list[ConvertWarning]]:
    """files-to-prompt --cxml: ``<document index="N">``, ``<source>PATH</source>``, ``<document_content>``."""
    text = _decode(data, "files-to-prompt")
    if not text.startswith("<documents>\n"):
        raise ConvertError("not a files-to-prompt --cxml output: it does not begin with <documents>")
    files = _Files()
    position = len("<documents>\n")
    while not text.startswith("</documents>", position):
        header = _CXML_FILE.match(text, position)
        if header is None:
            raise ConvertError(_where(text, position, 'expected <document index="N">'))
        end = _cxml_end(text, header.end())
        name = files.add(header.group(1), text[header.end() : end])
        _files_to_prompt_losses(files, name)
        if _marker_lines(files.files[name].text, _CXML_MARKER):
            files.warn(
                "CV303", name, "the content holds a line like files-to-prompt's XML markers, not escaped"
            )
        position = end + len(_CXML_END)
    return _skips_result(files)


def _cxml_end(text: str, start: int) -> int:
    search = start - 1
    while (end := text.find(_CXML_END, search)) >= 0:
        after = end + len(_CXML_END)
        if text.startswith("</documents>", after) or _CXML_FILE.match(text, after):
            return max(end, start)
        search = end + 1
    raise ConvertError(_where(text, start, "this document has no </document_content>"))


def _skips_result(files: _Files) -> tuple[Bundle, list[ConvertWarning]]:
    _files_to_prompt_skips(files)
    return files.result()


_FTP_MD_FILE = re.compile(r"([^\n]+)\n(`{3,})[^\n`]*\n")


def read_files_to_prompt_markdown(data: bytes) -> tuple[Bundle, list[ConvertWarning]]:
    """files-to-prompt --markdown: ``PATH``, a fence longer than any backticks in CONTENT, CONTENT, the fence."""
    text = _decode(data, "files-to-prompt")
    files = _Files()
    position = 0
    while position < len(text):
        header = _FTP_MD_FILE.match(text, position)
        if header is None:
            raise ConvertError(_where(text, position, "expected a path and a fence line"))
        fence = header.group(2)
        close = text.find("\n" + fence + "\n", header.end() - 1)
        if close < 0:
            raise ConvertError(_where(text, header.end(), f"the fence of {header.group(1)!r} is not closed"))
        name = files.add(header.group(1), text[header.end() : close] if close >= header.end() else "")
        _files_to_prompt_losses(files, name)
        position = close + len(fence) + 2
    return _skips_result(files)


# -- gitingest --------------------------------------------------------------

_SEPARATOR = "=" * 48
_GI_HEADER = re.compile(rf"^{_SEPARATOR}\n(FILE|SYMLINK): (.*)\n{_SEPARATOR}\n", re.MULTILINE)
_GI_PLACEHOLDER = re.compile(
    r"\[Empty file\]|\[Binary file\]|Error reading file.*|Error processing notebook: .*"
    r"|Error: Unable to decode file with available encodings",
    re.DOTALL,
)


def read_gitingest(data: bytes) -> tuple[Bundle, list[ConvertWarning]]:
    """gitingest: a line of 48 '=', ``FILE: PATH``, 48 '=', CONTENT, a blank line; blocks joined by LF."""
    files = _Files()
    if b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n"):
        data = data.replace(b"\r\n", b"\n")
        files.warn("CV304", None, "the whole output has CRLF line endings (written on Windows): read as LF")
    text = _decode(data, "gitingest")
    headers = list(_GI_HEADER.finditer(text))
    if not headers:
        raise ConvertError("no 'FILE: ' header between lines of '=': not a gitingest digest")
    for index, header in enumerate(headers):
        last = index + 1 == len(headers)
        stop = len(text) if last else headers[index + 1].start()
        content = text[header.end() : stop]
        content = content.removesuffix("\n\n") if last else content.removesuffix("\n\n\n")
        path = header.group(2)
        if header.group(1) == "SYMLINK":
            files.warn("CV307", path.split(" -> ")[0], f"the symbolic link {path!r} was left out")
            continue
        if _GI_PLACEHOLDER.fullmatch(content):
            if content == "[Empty file]":
                files.warn("CV306", path, "gitingest wrote '[Empty file]': read as an empty file")
                content = ""
            else:
                files.warn(
                    "CV306",
                    path,
                    f"gitingest wrote {content.splitlines()[0]!r} instead of the content: left out",
                )
                continue
        name = files.add(path, content)
        files.warn("CV304", name, "gitingest reads in text mode: CRLF and CR line endings became LF")
        if _is_mojibake(content):
            files.warn("CV308", name, "the content looks like UTF-8 read as cp1252 (mojibake): kept as it is")
    files.warn("CV305", None, "gitingest skips ignored and very large files without a trace in its output")
    return files.result()


def _is_mojibake(content: str) -> bool:
    """Whether ``content`` is UTF-8 text that was decoded as cp1252, as gitingest does on Windows."""
    if content.isascii():
        return False
    try:
        return content.encode("cp1252").decode("utf-8") != content
    except UnicodeError:
        return False


# -- code2prompt --------------------------------------------------------------

_C2P_HEADER = re.compile(r"^`([^`\n]+)`:\n\n```[^\n`]*\n", re.MULTILINE)
_C2P_MARKER = re.compile(r"```.*")


def read_code2prompt(data: bytes) -> tuple[Bundle, list[ConvertWarning]]:
    """code2prompt's default template: `` `PATH`: ``, a blank line, then ```` ```EXT ````, CODE, ```` ``` ````."""
    text = _decode(data, "code2prompt")
    files = _Files()
    headers = list(_C2P_HEADER.finditer(text))
    if not headers:
        raise ConvertError("no '`PATH`:' header followed by a fence: not a code2prompt output")
    for index, header in enumerate(headers):
        stop = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        chunk = text[header.end() - 1 : stop]
        close = chunk.rfind("\n```\n")
        if close < 0:
            raise ConvertError(f"the fence of {header.group(1)!r} is not closed", header.group(1))
        content = chunk[1:close] if close > 0 else ""
        name = files.add(header.group(1), content)
        if _marker_lines(content, _C2P_MARKER):
            files.warn(
                "CV303", name, "the content holds a ``` line, which code2prompt's fixed fence makes ambiguous"
            )
    files.warn("CV305", None, "code2prompt skips non-UTF-8 and ignored files without a trace in its output")
    return files.result()


PACKER_READERS: dict[str, Callable[[bytes], tuple[Bundle, list[ConvertWarning]]]] = {
    "repomix-xml": read_repomix_xml,
    "repomix-markdown": read_repomix_markdown,
    "repomix-plain": read_repomix_plain,
    "repomix-json": read_repomix_json,
    "files-to-prompt": read_files_to_prompt,
    "files-to-prompt-cxml": read_files_to_prompt_cxml,
    "files-to-prompt-markdown": read_files_to_prompt_markdown,
    "gitingest": read_gitingest,
    "code2prompt": read_code2prompt,
}
