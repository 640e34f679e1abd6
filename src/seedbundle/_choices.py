"""The fixed sets of names that the command line offers as choices.

They live in a module that imports nothing of seedbundle, so that building
the command's parser, which ``seedbundle --version`` and every command do
first, loads no reader, no converter and no tokenizer. ``_convert_codes``
and ``_tokens`` re-export them.

    >>> "txtar" in READ_FORMATS and "tar.gz" in WRITE_FORMATS
    True
    >>> ENCODINGS
    ('o200k_base', 'cl100k_base', 'estimate', 'bytes')
"""

from __future__ import annotations

from typing import Literal

__all__ = ["ENCODINGS", "READ_FORMATS", "WRITE_FORMATS", "ReadFormat", "WriteFormat"]

ReadFormat = Literal[
    "bundle",
    "txtar",
    "tar",
    "zip",
    "repomix-xml",
    "repomix-markdown",
    "repomix-plain",
    "repomix-json",
    "files-to-prompt",
    "files-to-prompt-cxml",
    "files-to-prompt-markdown",
    "gitingest",
    "code2prompt",
]
WriteFormat = Literal["bundle", "txtar", "tar", "tar.gz", "zip"]

READ_FORMATS: tuple[str, ...] = ReadFormat.__args__  # type: ignore[attr-defined]
WRITE_FORMATS: tuple[str, ...] = WriteFormat.__args__  # type: ignore[attr-defined]

#: The token encodings that ``token_counter`` and ``--encoding`` accept.
ENCODINGS = ("o200k_base", "cl100k_base", "estimate", "bytes")
