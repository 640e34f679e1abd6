"""seedbundle.convert: txtar by txtar's rules, tar and zip as hostile input, detection and the CLI."""

from __future__ import annotations

import glob
import io
import os
import re
import stat
import tarfile
import zipfile
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seedbundle
from seedbundle import convert
from seedbundle._cli import main
from seedbundle._convert_codes import CODES
from seedbundle._convert_codes import READ_FORMATS as _READ_FORMATS

TRICKY = seedbundle.Bundle(
    [
        seedbundle.Entry("plain.txt", "hello\n"),
        seedbundle.Entry("noeol.txt", "no final newline"),
        seedbundle.Entry("crlf.txt", "one\r\ntwo\r\n"),
        seedbundle.Entry("marker.txt", "-- x --\n<<<END 0>>>\n"),
        seedbundle.Entry("bin.dat", b"\x00\xff\x01"),
        seedbundle.Entry("run.sh", "#!/bin/sh\necho hi\n", executable=True),
        seedbundle.Entry("ünïcode/ñame.txt", "unicode\n"),
        seedbundle.Entry("empty.txt", ""),
    ]
)


# -- txtar ---------------------------------------------------------------------


def test_txtar_reads_by_txtars_rules() -> None:
    archive = b"comment\n-- a.txt --\nA\n--  spaced name  --\nB\n-- no end --\nC"
    result = convert.read(archive, format="txtar")
    assert result.bundle.comment == "comment\n"
    assert [(entry.name, entry.data) for entry in result.bundle] == [
        ("a.txt", b"A\n"),
        ("spaced name", b"B\n"),
        ("no end", b"C\n"),  # only the last part gains a newline
    ]
    assert result.warnings == ()


def test_txtar_marker_needs_lf_and_a_name() -> None:
    archive = b"-- a --\n-- a --\r\n--  --\n-- --\n"
    result = convert.read(archive, format="txtar")
    assert result.bundle["a"].data == b"-- a --\r\n--  --\n-- --\n"


def test_txtar_duplicate_names_keep_the_last_with_a_warning() -> None:
    result = convert.read(b"-- f --\n1\n-- g --\n2\n-- f --\n3\n", format="txtar")
    assert [(entry.name, entry.data) for entry in result.bundle] == [("g", b"2\n"), ("f", b"3\n")]
    assert [(warning.code, warning.file) for warning in result.warnings] == [("CV101", "f")]
    with pytest.raises(convert.ConvertError, match="CV101"):
        convert.read(b"-- f --\n1\n-- f --\n3\n", format="txtar", strict=True)


def test_txtar_write_warns_of_exec_bit_and_final_newline() -> None:
    bundle = seedbundle.Bundle(
        [seedbundle.Entry("run.sh", "echo\n", executable=True), seedbundle.Entry("n", "x")], comment="c"
    )
    written = convert.write(bundle, "txtar")
    assert written.data == b"c\n-- run.sh --\necho\n-- n --\nx\n"
    assert [(warning.code, warning.file) for warning in written.warnings] == [
        ("CV202", None),
        ("CV201", "run.sh"),
        ("CV202", "n"),
    ]
    with pytest.raises(convert.ConvertError, match="CV202"):
        convert.write(bundle, "txtar", strict=True)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (seedbundle.Entry("bin", b"\x00\xff"), "binary"),
        (seedbundle.Entry("m", "ok\n-- x --\n"), "marker line '-- x --' at line 2"),
        (seedbundle.Entry(" a", "x\n"), "space"),
        (seedbundle.Entry("a\nb", "x\n"), "line break"),
    ],
)
def test_txtar_write_refuses_what_txtar_cannot_hold(entry: seedbundle.Entry, reason: str) -> None:
    with pytest.raises(convert.ConvertError, match=re.escape(reason)) as caught:
        convert.write(seedbundle.Bundle([entry]), "txtar")
    assert caught.value.name == entry.name


def test_txtar_write_refuses_a_marker_in_the_comment() -> None:
    with pytest.raises(convert.ConvertError, match="comment"):
        convert.write(seedbundle.Bundle([], comment="-- a --\n"), "txtar")


def _go_archives() -> list[str]:
    roots = sorted(glob.glob("/usr/share/go-*/src"))
    return [
        path
        for root in roots
        for path in sorted(glob.glob(f"{root}/**/*.txtar", recursive=True))
        + sorted(glob.glob(f"{root}/cmd/go/testdata/script/*.txt"))
    ]


def test_real_go_archives_round_trip_by_txtar_semantics() -> None:
    """Every archive of Go's own test scripts: txtar -> bundle -> txtar gives txtar.Format(txtar.Parse(x))."""
    archives = _go_archives()
    if not archives:
        reason = "no Go txtar archives: install the Debian package golang-src (apt-get install golang-src)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; .ci/run installs it, so under CI this is a failure")
        pytest.skip(reason)
    compared = 0
    for path in archives:
        data = Path(path).read_bytes()
        result = convert.read(data, format="txtar")
        written = convert.write(result.bundle, "txtar")
        assert written.warnings == (), path  # Parse already ends every part with a newline
        again = convert.read(written.data, format="txtar")
        assert again.bundle == result.bundle, path
        if not result.warnings:  # without duplicates, Format(Parse(x)) is x with a final newline
            assert written.data == (data if data.endswith(b"\n") or not data else data + b"\n"), path
            compared += 1
        else:
            assert {warning.code for warning in result.warnings} == {"CV101"}, path
    assert compared > 100


# -- tar and zip -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["tar", "tar.gz", "zip"])
def test_archives_round_trip_names_data_and_exec_bit(fmt: str) -> None:
    written = convert.write(TRICKY, fmt)  # type: ignore[arg-type]
    assert written.warnings == ()
    result = convert.read(written.data)
    assert result.format == ("zip" if fmt == "zip" else "tar")
    assert result.bundle == TRICKY
    assert result.warnings == ()


def _tar(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            archive.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return buffer.getvalue()


def _member(name: str, kind: bytes = tarfile.REGTYPE, mode: int = 0o644, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.linkname = link
    return info


@pytest.mark.parametrize("name", ["/etc/passwd", "../escape", "a/../../b", "a//b"])
def test_tar_refuses_unsafe_names_with_the_member_name(name: str) -> None:
    with pytest.raises(convert.ConvertError, match="unsafe member name") as caught:
        convert.read(_tar((_member(name), b"x")), format="tar")
    assert caught.value.name == name


def test_tar_refuses_links_unless_asked_to_drop_them() -> None:
    data = _tar((_member("a.txt"), b"a"), (_member("link", tarfile.SYMTYPE, link="/etc/passwd"), b""))
    with pytest.raises(convert.ConvertError, match="'link' is a symbolic link"):
        convert.read(data, format="tar")
    result = convert.read(data, format="tar", drop_special=True)
    assert result.bundle.names == ("a.txt",)
    assert [(warning.code, warning.file) for warning in result.warnings] == [("CV102", "link")]


def test_tar_reports_special_bits_duplicates_and_empty_directories() -> None:
    data = _tar(
        (_member("s", mode=0o4755), b"x"),
        (_member("d", tarfile.DIRTYPE, 0o755), b""),
        (_member("e", tarfile.DIRTYPE, 0o755), b""),
        (_member("e/f"), b"1"),
        (_member("./e/f"), b"2"),
    )
    result = convert.read(data, format="tar")
    assert result.bundle == seedbundle.Bundle(
        [seedbundle.Entry("s", "x", executable=True), seedbundle.Entry("e/f", "2")]
    )
    assert [(warning.code, warning.file) for warning in result.warnings] == [
        ("CV103", "s"),
        ("CV101", "e/f"),
        ("CV104", "d"),
    ]


def test_damaged_archives_are_clear_errors() -> None:
    tar = convert.write(TRICKY, "tar").data
    with pytest.raises(convert.ConvertError, match="tar archive"):
        convert.read(tar[:1500], format="tar")
    zipped = bytearray(convert.write(seedbundle.Bundle([seedbundle.Entry("a.txt", "a" * 1000)]), "zip").data)
    position = zipped.index(b"a.txt") + len(b"a.txt")  # the first byte of the compressed data
    zipped[position + 3] ^= 0xFF
    with pytest.raises(convert.ConvertError, match=re.escape("'a.txt'")):
        convert.read(bytes(zipped), format="zip")
    with pytest.raises(convert.ConvertError, match="not a valid zip archive"):
        convert.read(b"PK\x03\x04 broken", format="zip")


def test_zip_bomb_stops_at_the_size_cap() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb", b"\0" * (4 << 20))
    assert len(buffer.getvalue()) < 10_000
    with pytest.raises(convert.ConvertError, match=r"^the archive holds more than 1048576 bytes"):
        convert.read(buffer.getvalue(), format="zip", max_size=1 << 20)
    gzipped = convert.write(seedbundle.Bundle([seedbundle.Entry("bomb", bytes(4 << 20))]), "tar.gz").data
    assert len(gzipped) < 10_000
    with pytest.raises(convert.ConvertError, match="compressed tar archive holds more than"):
        convert.read(gzipped, max_size=1 << 20)


def test_zip_symlink_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("link")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(convert.ConvertError, match="'link' is a symbolic link"):
        convert.read(buffer.getvalue(), format="zip")


def test_writing_an_unsafe_name_to_an_archive_is_refused() -> None:
    with pytest.raises(convert.ConvertError, match=re.escape("'../x'")):
        convert.write(seedbundle.Bundle([seedbundle.Entry("../x", "x")]), "zip")


# -- detection and arguments ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("a.tgz", b"\x1f\x8b\x08", "tar"),
        (None, b"<<<FILE a>>>\n", "bundle"),
        ("x.txtar", b"comment only\n", "txtar"),
        (None, b'<documents>\n<document index="1">\n', "files-to-prompt-cxml"),
        (None, b"a.py\n```python\nx\n```\n", "files-to-prompt-markdown"),
        (None, b"Directory structure:\n\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 a/\n", "gitingest"),
        (None, b"Project Path: /p\n\nSource Tree:\n", "code2prompt"),
        (None, b"This file is a merged representation ... by Repomix.\n\n<file_summary>\n", "repomix-xml"),
    ],
)
def test_detect(name: str | None, head: bytes, expected: str) -> None:
    assert convert.detect(name, head) == expected


def test_detect_refuses_to_guess() -> None:
    with pytest.raises(convert.ConvertError, match=re.escape("cannot tell the format of notes.txt")):
        convert.detect("notes.txt", b"just some words\n")


def test_wrong_arguments() -> None:
    with pytest.raises(TypeError):
        convert.read(123)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown format"):
        convert.read(b"", format="rar")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot write"):
        convert.write(TRICKY, "repomix-xml")  # type: ignore[arg-type]


# -- the codes reference ----------------------------------------------------------------


def test_every_code_is_in_the_reference_table() -> None:
    page = (Path(__file__).parent.parent / "docs" / "reference" / "convert-codes.md").read_text(
        encoding="utf-8"
    )
    rows = dict(re.findall(r"^\| `(CV\d+)` \| (.*) \|$", page, re.MULTILINE))
    assert rows == CODES


def test_every_code_is_emitted_somewhere_in_the_source() -> None:
    source = "".join(
        path.read_text(encoding="utf-8")
        for path in (Path(convert.__file__).parent).glob("_convert_*.py")
        if path.name != "_convert_codes.py"
    )
    for code in CODES:
        assert f'"{code}"' in source, code


# -- the command line ----------------------------------------------------------------------


def test_cli_converts_and_prints_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.txtar"
    source.write_bytes(b"-- a --\n1\n-- a --\n2\n")
    assert main(["convert", str(source), "-o", str(tmp_path / "out.zip")]) == 0
    assert capsys.readouterr().err == f"{source}: CV101: a: two files are named 'a'; the last one wins\n"
    assert convert.read(tmp_path / "out.zip").bundle == seedbundle.Bundle([seedbundle.Entry("a", "2\n")])
    assert main(["convert", str(tmp_path / "out.zip")]) == 0
    assert capsys.readouterr().out == "<<<FILE a>>>\n2\n<<<END 1>>>\n"


def test_cli_strict_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.txtar"
    source.write_bytes(b"-- a --\n1\n-- a --\n2\n")
    assert main(["convert", str(source), "-o", str(tmp_path / "out.bundle"), "--strict"]) == 1
    assert "1 warning under --strict; nothing written" in capsys.readouterr().err
    assert not (tmp_path / "out.bundle").exists()


def test_cli_errors_and_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really")
    assert main(["convert", str(broken)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"seedbundle: error: {broken}: not a valid zip archive")
    assert "Traceback" not in err
    assert main(["convert", str(broken), "--from", "rar"]) == 2
    bundle = tmp_path / "b.bundle"
    bundle.write_text(seedbundle.dumps(seedbundle.Bundle([seedbundle.Entry("x", b"\x00")])), encoding="utf-8")
    assert main(["convert", str(bundle), "--to", "txtar"]) == 1
    assert "binary, which txtar cannot hold" in capsys.readouterr().err


# -- code2prompt ----------------------------------------------------------------------------


def _code2prompt_default(files: dict[str, str]) -> bytes:
    """What code2prompt's documented default template (default_template_md.hbs) renders.

    The template is ``Project Path: ...``, the source tree in a fence, then
    for each file `` `{{path}}`: ``, a blank line, ``{{code}}`` and a blank
    line, where code is ```` ```EXT\\nCONTENT\\n``` ```` (wrap_code_block).
    """
    out = "Project Path: /home/me/project\n\nSource Tree:\n\n```txt\nproject\n```\n\n"
    for path, content in files.items():
        extension = path.rsplit(".", 1)[-1] if "." in path else ""
        out += f"`{path}`:\n\n```{extension}\n{content}\n```\n\n"
    return (out + "\n").encode("utf-8")


def test_code2prompt_default_template() -> None:
    files = {
        "a.py": "print(1)\n",
        "noeol.txt": "no final newline",
        "empty.txt": "",
        "README.md": "Use it:\n```\nrun\n```\n",
        "\u00fcn\u00efcode/\u00f1ame.txt": "unicode\n",
    }
    result = convert.read(_code2prompt_default(files))
    assert result.format == "code2prompt"
    assert {entry.name: entry.text for entry in result.bundle} == files
    assert [(w.code, w.file) for w in result.warnings] == [
        ("CV303", "README.md"),
        ("CV305", None),
        ("CV309", None),
    ]


# -- hostile input ------------------------------------------------------------------------------

_SEEDS = [
    b"-- a --\nx\n",
    b"src/a.py\n---\nx\n\n---\n",
    b'<documents>\n<document index="1">\n<source>a</source>\n<document_content>\nx\n</document_content>\n'
    b"</document>\n</documents>\n",
    b"a\n```\nx\n```\n",
    b"=" * 48 + b"\nFILE: a\n" + b"=" * 48 + b"\nx\n\n",
    b"`a.py`:\n\n```py\nx\n```\n\n",
    b'by Repomix\n<files>\n<file path="a">\nx\n</file>\n</files>\n',
    b"=" * 16 + b"\nFile: a\n" + b"=" * 16 + b"\nx\n\n",
    b"## File: a\n```\nx\n```\n",
    b'{"files": {"a": "x"}}',
]


@settings(max_examples=300, deadline=None)
@given(
    seed=st.sampled_from([*_SEEDS, convert.write(TRICKY, "tar").data, convert.write(TRICKY, "zip").data]),
    cut=st.integers(min_value=0, max_value=4000),
    flips=st.lists(st.tuples(st.integers(min_value=0, max_value=4000), st.integers(1, 255)), max_size=3),
    fmt=st.sampled_from(_READ_FORMATS),
)
def test_every_reader_gives_a_result_or_a_convert_error(
    seed: bytes, cut: int, flips: list[tuple[int, int]], fmt: str
) -> None:
    data = bytearray(seed[:cut] if cut < len(seed) else seed)
    for position, mask in flips:
        if data:
            data[position % len(data)] ^= mask
    try:
        result = convert.read(bytes(data), format=fmt)  # type: ignore[arg-type]
    except convert.ConvertError:
        return
    assert isinstance(result.bundle, seedbundle.Bundle)


def test_cli_reads_stdin_and_writes_stdout(
    monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    archive = convert.write(TRICKY, "tar.gz").data
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(archive)))
    assert main(["convert", "-", "--to", "zip"]) == 0
    captured = capsysbinary.readouterr()
    assert captured.err == b""
    assert convert.read(captured.out).bundle == TRICKY


def test_every_spelled_out_format_list_is_the_registry_s() -> None:
    # The public signatures spell their Literal values out (so the API reference
    # shows them); this keeps those copies equal to the one list in _convert_codes.
    annotations = [
        convert.detect.__annotations__["return"],
        convert.read.__annotations__["format"],
        str(attrs.fields(convert.Conversion).format.type),
    ]
    assert [tuple(re.findall(r"['\"]([^'\"]+)['\"]", text)) for text in annotations] == [_READ_FORMATS] * 3
