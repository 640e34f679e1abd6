"""The value objects and the load/loads/dump/dumps entry points."""

from __future__ import annotations

import io
import subprocess
import sys
import types
from pathlib import Path

import attrs
import lark
import pytest

import seedbundle
from seedbundle import (
    Bundle,
    BundleDecodeError,
    BundleEncodeError,
    Entry,
    dump,
    dumps,
    load,
    loads,
)
from seedbundle._reference import parse_with_grammar

# Entry


def test_entry_stores_text_as_utf8() -> None:
    entry = Entry("a.txt", "héllo\n")
    assert entry.data == b"h\xc3\xa9llo\n"
    assert entry.text == "héllo\n"
    assert entry.executable is False


@pytest.mark.parametrize("data", [bytearray(b"xy"), memoryview(b"xy")])
def test_entry_copies_bytes_like_data_into_bytes(data: bytearray | memoryview) -> None:
    entry = Entry("a", data)
    assert type(entry.data) is bytes
    assert entry.data == b"xy"


def test_entry_defaults_to_no_data() -> None:
    assert Entry("a").data == b""


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((1, b""), {}, "an entry name must be a str, not int"),
        ((b"a", b""), {}, "an entry name must be a str, not bytes"),
        (("a", 1), {}, "entry data must be bytes or str, not int"),
        (("a", None), {}, "entry data must be bytes or str, not NoneType"),
        (("a", b""), {"executable": 1}, "executable must be a bool, not int"),
        (("a", b""), {"executable": "yes"}, "executable must be a bool, not str"),
    ],
)
def test_entry_rejects_wrong_types(args: tuple[object, ...], kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Entry(*args, **kwargs)  # type: ignore[arg-type]


def test_entry_executable_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        Entry("a", b"", True)  # type: ignore[call-arg]


def test_entry_rejects_an_empty_name() -> None:
    with pytest.raises(BundleEncodeError, match="an entry name must not be empty"):
        Entry("", b"x")


def test_entry_rejects_an_unpaired_surrogate_in_the_name() -> None:
    with pytest.raises(BundleEncodeError, match=r"unpaired surrogate U\+D800 at index 1"):
        Entry("a\ud800", b"")


def test_entry_rejects_an_unpaired_surrogate_in_text_data() -> None:
    with pytest.raises(BundleEncodeError, match=r"the entry data holds the unpaired surrogate U\+DC00"):
        Entry("a", "\udc00")


@pytest.mark.parametrize("name", ["a b", "\n", " ", "<<<END 0>>>", "\u202e", "\x00", "\ufeff"])
def test_entry_accepts_any_non_empty_name(name: str) -> None:
    assert Entry(name).name == name


def test_entry_is_immutable_and_hashable() -> None:
    entry = Entry("a", b"x")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        entry.data = b"y"  # type: ignore[misc]
    assert hash(entry) == hash(Entry("a", "x"))
    assert entry == Entry("a", "x")
    assert entry != Entry("a", "x", executable=True)


@pytest.mark.parametrize(
    ("data", "is_text"),
    [
        (b"", True),
        (b"plain\n", True),
        ("é€😀".encode(), True),
        (b"\r\n\x0c\x1b", True),
        (b"a\x00b", False),
        (b"\xff", False),
        (b"\xed\xa0\x80", False),
    ],
)
def test_is_text_means_utf8_without_nul(data: bytes, is_text: bool) -> None:
    assert Entry("a", data).is_text is is_text


def test_text_raises_for_data_that_is_not_utf8() -> None:
    with pytest.raises(UnicodeDecodeError):
        _ = Entry("a", b"\xff").text


def test_entry_repr_shortens_long_data() -> None:
    assert repr(Entry("a", b"x", executable=True)) == "Entry('a', b'x', executable=True)"
    assert repr(Entry("a", b"y" * 100)) == f"Entry('a', {b'y' * 57 + b'...'!r})"


# Bundle


def _abc() -> Bundle:
    return Bundle([Entry("a", "1"), Entry("b", "2"), Entry("c", "3")], comment="note")


def test_bundle_is_a_read_only_collection_of_entries() -> None:
    bundle = _abc()
    assert len(bundle) == 3
    assert [entry.name for entry in bundle] == ["a", "b", "c"]
    assert bundle.names == ("a", "b", "c")
    assert bundle["b"] == Entry("b", "2")
    assert "c" in bundle
    assert "d" not in bundle
    assert 1 not in bundle
    assert bundle.get("a") == Entry("a", "1")
    assert bundle.get("d") is None
    assert bundle.get("d", Entry("d")) == Entry("d")
    assert bundle.entries == (Entry("a", "1"), Entry("b", "2"), Entry("c", "3"))


def test_bundle_getitem_raises_key_error_for_a_missing_name() -> None:
    with pytest.raises(KeyError):
        _abc()["missing"]


def test_bundle_defaults_to_empty() -> None:
    bundle = Bundle()
    assert (len(bundle), bundle.names, bundle.comment) == (0, (), "")


def test_bundle_accepts_any_iterable_of_entries() -> None:
    assert Bundle(Entry(name) for name in "xy").names == ("x", "y")


def test_with_entry_replaces_in_place_or_appends() -> None:
    bundle = _abc()
    replaced = bundle.with_entry(Entry("b", "new"))
    assert replaced.names == ("a", "b", "c")
    assert replaced["b"].data == b"new"
    assert replaced.comment == "note"
    assert bundle.with_entry(Entry("z")).names == ("a", "b", "c", "z")
    assert bundle["b"].data == b"2"


def test_with_entry_rejects_a_non_entry() -> None:
    with pytest.raises(TypeError, match="expected an Entry, not str"):
        _abc().with_entry("a")  # type: ignore[arg-type]


def test_without_removes_an_entry() -> None:
    bundle = _abc().without("b")
    assert bundle.names == ("a", "c")
    assert bundle.comment == "note"
    with pytest.raises(KeyError):
        bundle.without("b")


def test_bundle_rejects_duplicate_names() -> None:
    with pytest.raises(BundleEncodeError, match="two entries are named 'a'"):
        Bundle([Entry("a", "1"), Entry("a", "2")])


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ("ab", "entries must be an iterable of Entry, not a string"),
        (b"ab", "entries must be an iterable of Entry, not a string"),
        ([Entry("a"), "b"], r"entries\[1\] is a str, not an Entry"),
        (5, "not iterable"),
    ],
)
def test_bundle_rejects_wrong_entry_types(entries: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Bundle(entries)  # type: ignore[arg-type]


def test_bundle_rejects_a_comment_that_is_not_utf8_text() -> None:
    with pytest.raises(TypeError, match="the comment must be a str, not bytes"):
        Bundle(comment=b"x")  # type: ignore[arg-type]
    with pytest.raises(BundleEncodeError, match="the comment holds the unpaired surrogate"):
        Bundle(comment="\ud800")


def test_bundle_is_immutable_and_compares_by_value() -> None:
    bundle = _abc()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        bundle.comment = "x"  # type: ignore[misc]
    assert isinstance(bundle.entries, tuple)
    assert bundle == _abc()
    assert hash(bundle) == hash(_abc())
    assert bundle != Bundle(bundle.entries)
    assert bundle != Bundle(reversed(bundle.entries), comment="note")


def test_a_parsed_bundle_is_a_full_bundle() -> None:
    bundle = loads("<<<FILE a>>>\nx\n<<<END 1>>>\n")
    assert bundle == Bundle([Entry("a", "x\n")])
    assert bundle["a"].data == b"x\n"
    assert bundle.with_entry(Entry("b")).names == ("a", "b")


# dumps: the canonical form


@pytest.mark.parametrize(
    ("bundle", "text"),
    [
        (Bundle(), "<<<END 0>>>\n"),
        (Bundle([Entry("a")]), "<<<FILE a>>>\n<<<END 1>>>\n"),
        (Bundle([Entry("a", "x")]), "<<<FILE a noeol>>>\nx\n<<<END 1>>>\n"),
        (Bundle([Entry("a", "x\n", executable=True)]), "<<<FILE a exec>>>\nx\n<<<END 1>>>\n"),
        (Bundle([Entry("a b", "")]), '<<<FILE "a b">>>\n<<<END 1>>>\n'),
        (Bundle([Entry("a", b"\x00")]), "<<<FILE a base64>>>\nAA==\n<<<END 1>>>\n"),
        (Bundle([Entry("a", "<<<x\n\\<<<y")]), "<<<FILE a noeol>>>\n\\<<<x\n\\\\<<<y\n<<<END 1>>>\n"),
        (Bundle(comment="hi"), "hi\n<<<END 0>>>\n"),
        (Bundle(comment="<<<"), "\\<<<\n<<<END 0>>>\n"),
        (Bundle(comment="\ufeffx"), "\\\ufeffx\n<<<END 0>>>\n"),
    ],
)
def test_dumps_writes_the_canonical_form(bundle: Bundle, text: str) -> None:
    assert dumps(bundle) == text
    assert loads(text) == bundle


def test_dumps_with_sha256_adds_the_digest_last() -> None:
    text = dumps(Bundle([Entry("a", "x", executable=True)]), sha256=True)
    digest = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    assert text == f"<<<FILE a noeol exec sha256={digest}>>>\nx\n<<<END 1>>>\n"


def test_dumps_writes_base64_in_76_character_lines() -> None:
    lines = dumps(Bundle([Entry("b", bytes(range(256)))])).splitlines()
    assert [len(line) for line in lines[1:-1]] == [76, 76, 76, 76, 40]


@pytest.mark.parametrize("value", [None, "text", [Entry("a")], Entry("a")])
def test_dumps_needs_a_bundle(value: object) -> None:
    with pytest.raises(TypeError, match="dumps\\(\\) needs a Bundle"):
        dumps(value)  # type: ignore[arg-type]


def test_options_are_keyword_only_and_inputs_positional_only() -> None:
    with pytest.raises(TypeError):
        dumps(Bundle(), True)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        loads("<<<END 0>>>\n", False)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        loads(document="<<<END 0>>>\n")  # type: ignore[call-arg]


# loads


@pytest.mark.parametrize("value", [None, 1, ["<<<END 0>>>\n"], io.BytesIO(b"<<<END 0>>>\n")])
def test_loads_needs_str_or_bytes(value: object) -> None:
    with pytest.raises(TypeError, match="a bundle must be str or bytes"):
        loads(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "document",
    [
        "<<<FILE a>>>\nx\n<<<END 1>>>\n",
        b"<<<FILE a>>>\nx\n<<<END 1>>>\n",
        bytearray(b"<<<FILE a>>>\nx\n<<<END 1>>>\n"),
        memoryview(b"<<<FILE a>>>\nx\n<<<END 1>>>\n"),
    ],
)
def test_loads_reads_str_and_bytes_alike(document: str | bytes | bytearray | memoryview) -> None:
    assert loads(document) == Bundle([Entry("a", "x\n")])


def test_loads_reports_a_lone_surrogate_as_a_decode_error() -> None:
    with pytest.raises(BundleDecodeError) as caught:
        loads("<<<FILE a>>>\nok \ud800\n<<<END 1>>>\n")
    error = caught.value
    assert not isinstance(error, UnicodeError)
    assert (error.lineno, error.colno, error.pos) == (2, 4, 16)
    assert error.msg.startswith("invalid UTF-8: byte 0xed")


def test_loads_reports_a_lone_surrogate_in_a_name_as_a_decode_error() -> None:
    with pytest.raises(BundleDecodeError) as caught:
        loads("<<<FILE é\udc80>>>\n<<<END 1>>>\n")
    assert (caught.value.lineno, caught.value.colno, caught.value.pos) == (1, 10, 9)


def test_loads_is_strict_by_default() -> None:
    with pytest.raises(BundleDecodeError, match="no END marker"):
        loads("<<<FILE a>>>\nx\n")
    assert loads("<<<FILE a>>>\nx\n", strict=False).names == ("a",)


# load and dump


def test_dump_and_load_use_binary_files(tmp_path: Path) -> None:
    bundle = Bundle([Entry("a", "x\r\n"), Entry("b", b"\xff")], comment="c")
    path = tmp_path / "out.bundle"
    with path.open("wb") as fp:
        dump(bundle, fp, sha256=True)
    assert path.read_bytes() == dumps(bundle, sha256=True).encode("utf-8")
    with path.open("rb") as fp:
        assert load(fp) == bundle


def test_load_takes_strict() -> None:
    assert load(io.BytesIO(b"<<<FILE a>>>\n"), strict=False).names == ("a",)
    with pytest.raises(BundleDecodeError):
        load(io.BytesIO(b"<<<FILE a>>>\n"))


def test_load_rejects_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "a.bundle"
    path.write_bytes(b"<<<END 0>>>\n")
    with path.open(encoding="utf-8") as fp, pytest.raises(TypeError, match="binary file"):
        load(fp)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="binary file"):
        load(io.StringIO("<<<END 0>>>\n"))  # type: ignore[arg-type]


def test_dump_rejects_a_text_file(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="binary file"):
        dump(Bundle(), io.StringIO())  # type: ignore[arg-type]
    with (tmp_path / "a").open("w", encoding="utf-8") as fp, pytest.raises(TypeError):
        dump(Bundle(), fp)  # type: ignore[arg-type]


def test_dump_needs_a_bundle() -> None:
    with pytest.raises(TypeError, match="dump\\(\\) needs a Bundle"):
        dump("x", io.BytesIO())  # type: ignore[arg-type]


# The public surface


def _public_names(module: types.ModuleType) -> set[str]:
    # dir() and getattr(), not vars(): the package imports its names lazily.
    public = {name: getattr(module, name) for name in dir(module) if not name.startswith("_")}
    return {
        name
        for name, value in public.items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }


def test_all_lists_exactly_the_public_names() -> None:
    assert sorted(seedbundle.__all__) == sorted(_public_names(seedbundle))
    assert len(set(seedbundle.__all__)) == len(seedbundle.__all__)
    assert isinstance(seedbundle.__version__, str)


def test_strategies_all_lists_exactly_the_public_strategies() -> None:
    from seedbundle import _strategies, strategies

    defined = {
        name
        for name, value in vars(_strategies).items()
        if callable(value) and not name.startswith("_") and value.__module__ == _strategies.__name__
    }
    assert sorted(strategies.__all__) == sorted(defined)
    assert sorted(strategies.__all__) == sorted(_public_names(strategies))
    for name in strategies.__all__:
        assert getattr(strategies, name).__doc__, name


def test_importing_seedbundle_does_not_import_hypothesis() -> None:
    code = "import sys, seedbundle; sys.exit('hypothesis' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize(
    "data",
    [
        b"<<<",
        b"<<<FILE",
        b"<<<FILE a",
        b"<<<FILE a>>>",
        b"<<<FILE a>>>x\n",
        b'<<<FILE "a>>>\n',
        b"<<<END 0>>>\n<<<END 0>>>\n",
        b"<<<END",
        b"\xef\xbb\xbf<<<X\n",
        b"x\n<<<FILE a b>>>\n",
    ],
)
@pytest.mark.parametrize("strict", [True, False])
def test_no_lark_error_escapes_the_reference_parser(data: bytes, strict: bool) -> None:
    with pytest.raises(BundleDecodeError) as caught:
        parse_with_grammar(data, strict=strict)
    assert not isinstance(caught.value, lark.exceptions.LarkError)
