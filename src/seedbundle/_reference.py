"""The reference parser: the Lark grammar itself, driven over the same decoder.

It is slower than the scanner and exists to prove the scanner right: both
must return the same bundle or raise the same error on every input.
"""

from __future__ import annotations

import functools

import lark

from ._decoder import Decoder, WholeSource
from ._model import Bundle, Entry, _new_bundle
from ._syntax import LineError, grammar_text, structural_line_error

__all__ = ["parse_with_grammar"]


@functools.cache
def _parser() -> lark.Lark:
    return lark.Lark(grammar_text(), parser="lalr", lexer="contextual", keep_all_tokens=True)


class _ByteOffsets:
    """Converts increasing character positions of ``text`` to byte offsets in linear time."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.char = 0
        self.byte = 0

    def __call__(self, char: int) -> int:
        self.byte += len(self.text[self.char : char].encode("utf-8", "surrogateescape"))
        self.char = char
        return self.byte


def _first_token(tree: lark.Tree[lark.Token]) -> lark.Token:
    return next(iter(tree.scan_values(lambda _: True)))


def parse_with_grammar(data: bytes, *, strict: bool) -> Bundle:
    """Parse ``data`` with the Lark grammar and the shared semantic rules."""
    text = data.decode("utf-8", "surrogateescape")
    decoder = Decoder(WholeSource(data), strict=strict)
    try:
        tree = _parser().parse(text)
    except lark.UnexpectedInput as error:
        _report_syntax_error(text, data, error, decoder)
    entries = _feed(tree, text, data, len(data), decoder)
    decoder.read_eof(len(data))
    return _new_bundle(entries, decoder.comment)


def _report_syntax_error(text: str, data: bytes, error: lark.UnexpectedInput, decoder: Decoder) -> None:
    char = len(text) if isinstance(error, lark.UnexpectedEOF) else error.pos_in_stream
    if isinstance(error, lark.UnexpectedToken) and error.token.type == "$END":
        char = len(text)
    line_start = text.rfind("\n", 0, char) + 1
    if line_start == 0 and text.startswith("\ufeff"):
        line_start = 1
    # Everything before the offending line is a valid prefix: check its
    # semantics first, so that the error reported is the first in the document.
    prefix = text[:line_start]
    start = len(prefix.encode("utf-8", "surrogateescape"))
    _feed(_parser().parse(prefix), prefix, data, start, decoder)
    if decoder.ended:
        # After END the grammar allows only text, so this line is text after it.
        decoder.read_epilogue(data, start, len(data))
    end = data.find(b"\n", start)
    end = len(data) if end < 0 else end
    problem = structural_line_error(data[start:end], has_newline=end < len(data), strict=decoder.strict)
    if problem is None:  # pragma: no cover - the differential tests keep this unreachable
        problem = LineError(f"syntax error: {str(error).splitlines()[0]}", 0)
    decoder.line_fail(problem, data, start, end)


def _feed(tree: lark.Tree[lark.Token], text: str, data: bytes, stop: int, decoder: Decoder) -> list[Entry]:
    """Hand the decoder the pieces the grammar found, in document order."""
    entries: list[Entry] = []
    to_byte = _ByteOffsets(text)
    pieces: list[tuple[str, int]] = []
    for child in tree.children:
        if isinstance(child, lark.Token):
            decoder.bom()
            continue
        start = _first_token(child).start_pos
        assert start is not None  # the lexer sets positions on every token
        pieces.append((str(child.data), to_byte(start)))
    for index, (kind, start) in enumerate(pieces):
        following = pieces[index + 1][1] if index + 1 < len(pieces) else stop
        line_end = data.find(b"\n", start, stop)
        line_end = stop if line_end < 0 else line_end
        if kind == "comment":
            decoder.read_comment(data, start, following)
        elif kind == "entry":
            entries.append(decoder.read_entry(data, start, line_end, min(line_end + 1, stop), following))
        else:
            decoder.read_end(data, start, line_end)
            decoder.read_epilogue(data, min(line_end + 1, stop), stop)
    return entries
