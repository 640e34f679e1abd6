"""The error family: types, messages and positions."""

from __future__ import annotations

import hashlib
import pickle

import pytest

import seedbundle
from seedbundle import BundleDecodeError, BundleEncodeError, BundleError, loads


def _error(document: str | bytes, *, strict: bool = True) -> BundleDecodeError:
    with pytest.raises(BundleDecodeError) as caught:
        loads(document, strict=strict)
    return caught.value


def test_errors_subclass_the_builtin_they_are() -> None:
    assert issubclass(BundleDecodeError, BundleError)
    assert issubclass(BundleDecodeError, ValueError)
    assert issubclass(BundleEncodeError, BundleError)
    assert issubclass(BundleEncodeError, ValueError)
    assert issubclass(BundleError, Exception)
    assert not issubclass(BundleError, ValueError)


def test_a_decode_error_carries_its_position() -> None:
    error = BundleDecodeError("bad", lineno=2, colno=3, pos=7, line="xyz")
    assert str(error) == "bad (at line 2, column 3)"
    assert (error.msg, error.lineno, error.colno, error.pos, error.line) == ("bad", 2, 3, 7, "xyz")
    assert BundleDecodeError("bad", lineno=1, colno=1, pos=0).line == ""


def test_a_decode_error_survives_pickling() -> None:
    error = _error("<<<FILE a>>>\n<<<FOO\n")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is BundleDecodeError
    assert (copy.msg, copy.lineno, copy.colno, copy.pos, copy.line) == (
        error.msg,
        error.lineno,
        error.colno,
        error.pos,
        error.line,
    )
    assert str(copy) == str(error)


def test_one_except_clause_catches_every_bundle_error() -> None:
    for action in (lambda: loads("<<<FOO\n"), lambda: seedbundle.Entry("", b"")):
        with pytest.raises(BundleError):
            action()


# Positions count characters, not bytes.


def test_pos_and_colno_count_characters_before_the_error() -> None:
    error = _error("日本語\n<<<FOO\n")
    assert (error.lineno, error.colno, error.pos) == (2, 1, 4)
    error = _error("<<<FILE été bad>>>\n<<<END 1>>>\n")
    assert (error.lineno, error.colno, error.pos) == (1, 13, 12)
    assert error.msg.startswith("unknown attribute 'bad'")


def test_an_undecodable_byte_counts_as_one_character() -> None:
    error = _error(b"\xff\xfe x\n<<<FILE a>>>\n\xc3\n")
    assert (error.lineno, error.colno, error.pos) == (1, 1, 0)
    error = _error(b"<<<FILE a>>>\n\xc3\xa9\xc3\xa9 \xff\n<<<END 1>>>\n")
    assert (error.lineno, error.colno, error.pos, error.line) == (2, 4, 16, "éé \ufffd")


def test_str_and_bytes_give_the_same_error() -> None:
    document = "ça\n<<<FILE été>>>\nx\n<<<END 2>>>\n"
    from_str, from_bytes = _error(document), _error(document.encode("utf-8"))
    assert (from_str.lineno, from_str.colno, from_str.pos, from_str.msg) == (
        from_bytes.lineno,
        from_bytes.colno,
        from_bytes.pos,
        from_bytes.msg,
    )
    assert (from_str.lineno, from_str.colno, from_str.pos) == (4, 8, 27)


def test_the_line_is_the_offending_line_without_its_ending() -> None:
    assert _error("<<<FILE a>>>\r\nx\n<<<END 1>>>\n").line == "<<<FILE a>>>"
    assert _error("x\n<<<FOO\r\nmore\n").line == "<<<FOO"
    error = _error("<<<FILE a>>>\nx\n")
    assert (error.lineno, error.colno, error.line) == (3, 1, "")


def test_the_first_problem_in_document_order_is_reported() -> None:
    document = "<<<FILE a>>>\n<<<FILE a>>>\n<<<FILE b base64>>>\n!!!!\n<<<END 9>>>\n"
    error = _error(document)
    assert (error.lineno, error.msg) == (2, "duplicate entry name 'a': names in a bundle are unique")
    # A byte order mark is checked before anything else in strict mode.
    assert _error(b"\xef\xbb\xbf<<<FOO\n").msg.startswith("the bundle begins with a byte order mark")
    assert _error(b"\xef\xbb\xbf<<<FOO\n", strict=False).msg.startswith("unknown marker")


# Messages say what was expected and what was found.


@pytest.mark.parametrize(
    ("document", "message", "colno"),
    [
        ("<<<FILE >>>", "expected a name after '<<<FILE '", 9),
        ("<<<FILE ", "expected a name after '<<<FILE '", 9),
        ("<<<FILE \ta>>>", "U+0009 cannot start a bare name: write the name as a quoted string", 9),
        ("<<<FILE a\u00a0b>>>", "U+00A0 is not allowed in a bare name: write the name as a", 10),
        ('<<<FILE a"b>>>', "'\"' is not allowed in a bare name: write the name as a quoted", 10),
        ("<<<FILE a exec", "expected ' ' or '>>>' after the name, found the end of the line", 15),
        ("<<<FILE a ", "expected an attribute after the space, found the end of the line", 11),
        ("<<<FILE a>>>>", "expected the end of the line after '>>>', found '>'", 13),
        ('<<<FILE "a\\', "invalid escape '\\\\' in a quoted name", 11),
        ('<<<FILE "a', "the quoted name has no closing '\"'", 9),
        ("<<<END ", "expected the entry count after '<<<END ', found the end of the line", 8),
        ("<<<END 1", "expected '>>>' after the entry count, found the end of the line", 9),
        ("<<<END 1>>>\u200b", "expected the end of the line after '>>>', found U+200B", 12),
    ],
)
def test_structural_line_messages(document: str, message: str, colno: int) -> None:
    error = _error(document + "\n<<<END 1>>>\n", strict=False)
    assert error.msg.startswith(message)
    assert (error.lineno, error.colno) == (1, colno)


def test_an_unknown_marker_is_shown_shortened() -> None:
    error = _error("<<<" + "x" * 60 + "\n")
    assert error.msg == (
        f"unknown marker '<<<{'x' * 37}...': a line that begins with '<<<' must be a FILE or END marker"
    )
    assert _error("<<<FOO>>> and more\n").msg.startswith("unknown marker '<<<FOO>>>':")


def test_count_mismatch_names_both_numbers() -> None:
    error = _error("<<<FILE a>>>\n<<<FILE b>>>\n<<<END 3>>>\n")
    assert error.msg == ("the END marker counts 3 entries but the bundle holds 2: entries were lost or added")
    assert (error.lineno, error.colno) == (3, 8)


def test_sha256_mismatch_shows_both_digests_shortened() -> None:
    actual = hashlib.sha256(b"x\n").hexdigest()
    error = _error(f"<<<FILE a sha256={'0' * 64}>>>\nx\n<<<END 1>>>\n")
    assert error.msg == (
        f"sha256 mismatch for 'a': the data hashes to {actual[:16]}..., not 0000000000000000..."
    )
    assert (error.lineno, error.colno) == (1, 11)


def test_base64_data_after_padding_is_called_that() -> None:
    # Regression: the message used to claim that 'Q' is not a base64 character.
    error = _error("<<<FILE a base64>>>\nQQ==QQ==\n<<<END 1>>>\n")
    assert error.msg == "invalid base64: data after the '=' padding"
    assert (error.lineno, error.colno) == (2, 5)
    assert _error("<<<FILE a base64>>>\nQQ===\n<<<END 1>>>\n").msg == error.msg
    other = _error("<<<FILE a base64>>>\nQQ==!\n<<<END 1>>>\n")
    assert other.msg == "invalid base64: byte 0x21 is not a base64 character"


def test_strict_mode_messages_say_how_to_read_leniently() -> None:
    for document in ("<<<FILE a>>>\r\n<<<END 1>>>\n", "\ufeff<<<END 0>>>\n", ""):
        assert "strict=False" in _error(document).msg


def test_the_text_content_utf8_error_explains_base64() -> None:
    error = _error(b"<<<FILE a>>>\n\x80\n<<<END 1>>>\n")
    assert error.msg == (
        "invalid UTF-8: byte 0x80 cannot start or continue a character"
        " (text content must be UTF-8; binary data is written as base64)"
    )


def test_encode_errors_are_raised_when_the_value_is_built() -> None:
    with pytest.raises(BundleEncodeError, match="an entry name must not be empty"):
        seedbundle.Entry("")
    with pytest.raises(BundleEncodeError, match="two entries are named 'x'"):
        seedbundle.Bundle([seedbundle.Entry("x"), seedbundle.Entry("x")])


@pytest.mark.parametrize(
    "error",
    [
        seedbundle.BundleDecodeError("m", lineno=2, colno=3, pos=4, line="l"),
        seedbundle.BundleEncodeError("m"),
        seedbundle.PackError("m", "/p"),
        seedbundle.UnpackError("m", "n"),
        seedbundle.PackWarning("m", "/p"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_pickles_name_only_public_classes(error: Exception) -> None:
    data = pickle.dumps(error, protocol=0)
    assert b"seedbundle._" not in data
    copy = pickle.loads(data)
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)


def test_a_pickle_made_by_1_0_0_still_loads() -> None:
    # What pickle.dumps(BundleDecodeError(...)) wrote in seedbundle 1.0.0.
    old = (
        b"\x80\x04\x95C\x00\x00\x00\x00\x00\x00\x00\x8c\x12seedbundle._errors\x94\x8c\x15_rebuild_decode_error"
        b"\x94\x93\x94(\x8c\x01m\x94K\x02K\x03K\x04\x8c\x01l\x94t\x94R\x94."
    )
    error = pickle.loads(old)
    assert (error.msg, error.lineno, error.colno, error.pos, error.line) == ("m", 2, 3, 4, "l")
