"""URLs through fsspec, for real on loopback only: memory://, file://, gzip, pyarrow and two HTTP servers.

The HTTP servers are http.server threads on 127.0.0.1: one answers Range
requests, one does not, and one of those sends no Content-Length, which
makes fsspec hand out its streaming file (seekable() says True, seek()
raises). The bundles are larger than the fsspec block size used.
"""

from __future__ import annotations

import gzip
import http.server
import io
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import fsspec
import pyarrow as pa
import pytest

import seedbundle
from seedbundle import Bundle, BundleDecodeError, Entry
from seedbundle._cli import main
from seedbundle._remote import is_url

BLOCK = {"block_size": 4096}
BUNDLE = Bundle(
    [Entry(f"f{n:02d}.txt", f"line {n} <<<\n" * 150) for n in range(30)]
    + [Entry("bin", bytes(range(256)) * 20)],
    comment="A bundle larger than one block",
)
DATA = seedbundle.dumps(BUNDLE).encode()
DAMAGED = {
    "cut": DATA[: len(DATA) * 2 // 3 + 5],
    "bad-attribute": DATA.replace(b"<<<FILE f20.txt>>>", b"<<<FILE f20.txt bogus>>>"),
    "bad-utf8": DATA.replace(b"line 25 ", b"line \xff5 ", 1),
    "wrong-count": DATA.replace(b"<<<END 31>>>", b"<<<END 30>>>"),
}


def _error(parse: Any, *args: Any, **kwargs: Any) -> tuple[str, int, int, int, str]:
    with pytest.raises(BundleDecodeError) as caught:
        parse(*args, **kwargs)
    error = caught.value
    return (error.msg, error.lineno, error.colno, error.pos, error.line)


def _expected(name: str) -> tuple[str, int, int, int, str]:
    return _error(seedbundle.loads, DAMAGED[name])


# -- which strings are URLs ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("s3://bucket/a.bundle", True),
        ("memory://a.bundle", True),
        ("http://127.0.0.1/a", True),
        ("file:///tmp/a.bundle", True),
        ("git+ssh://host/a", True),
        ("a.bundle", False),
        ("/tmp/a://b", False),
        ("C:\\a.bundle", False),
        ("c:/a.bundle", False),
        ("://a", False),
    ],
)
def test_which_strings_are_urls(text: str, url: bool) -> None:
    assert is_url(text) is url
    assert not is_url(Path(text))


def test_storage_options_need_a_url(tmp_path: Path) -> None:
    path = tmp_path / "a.bundle"
    seedbundle.dump(BUNDLE, path)
    for call in (
        lambda: seedbundle.open(str(path), storage_options={}),
        lambda: seedbundle.open(io.BytesIO(DATA), storage_options={"anon": True}),
        lambda: seedbundle.load(path, storage_options={}),
        lambda: seedbundle.dump(BUNDLE, str(path), storage_options={}),
    ):
        with pytest.raises(ValueError, match="storage_options"):
            call()


@pytest.mark.parametrize(
    ("byte_range", "error"),
    [
        ((5, 4), ValueError),
        ((-1, 4), ValueError),
        ([0, 4], TypeError),
        ((0, 4.0), TypeError),
        ((True, 4), TypeError),
    ],
)
def test_a_bad_byte_range_is_refused(tmp_path: Path, byte_range: Any, error: type[Exception]) -> None:
    path = tmp_path / "a.bundle"
    seedbundle.dump(BUNDLE, path)
    with pytest.raises(error, match="byte_range"):
        seedbundle.open(path, byte_range=byte_range)
    with pytest.raises(ValueError, match="for reading only"):
        seedbundle.open(tmp_path / "b.bundle", "w", byte_range=(0, 1))  # type: ignore[call-overload]
    assert not (tmp_path / "b.bundle").exists()


def test_without_fsspec_a_url_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fsspec", None)
    with pytest.raises(ImportError, match=re.escape("pip install 'seedbundle[remote]'")):
        seedbundle.open("memory://a.bundle")
    with pytest.raises(ImportError, match=re.escape("seedbundle[remote]")):
        seedbundle.dump(BUNDLE, "memory://a.bundle")


def test_a_protocol_without_its_package_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    # As if aiohttp were not installed, even after another test used http://.
    monkeypatch.setitem(sys.modules, "aiohttp", None)
    monkeypatch.delitem(sys.modules, "fsspec.implementations.http", raising=False)
    for protocol in ("http", "https"):
        monkeypatch.delitem(sys.modules["fsspec.registry"]._registry, protocol, raising=False)
    with pytest.raises(ImportError, match=r"'http://127\.0\.0\.1:1/a' needs a package that is not installed"):
        seedbundle.load("http://127.0.0.1:1/a")


def test_the_command_line_without_fsspec_says_what_to_install(tmp_path: Path) -> None:
    blocker = tmp_path / "fsspec.py"
    blocker.write_text("raise ImportError('no fsspec here')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-m", "seedbundle", "list", "memory://a.bundle"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 1
    assert "pip install 'seedbundle[remote]'" in done.stderr
    assert "Traceback" not in done.stderr


# -- memory:// and file:// -------------------------------------------------


@pytest.fixture
def memory() -> Iterator[Any]:
    fs = fsspec.filesystem("memory")
    fs.store.clear()
    fs.pseudo_dirs[:] = [""]
    yield fs
    fs.store.clear()


def test_memory_round_trip_through_open_load_and_dump(memory: Any) -> None:
    seedbundle.dump(BUNDLE, "memory://d/a.bundle")
    assert memory.cat("/d/a.bundle") == DATA
    assert seedbundle.load("memory://d/a.bundle") == BUNDLE
    with seedbundle.open("memory://d/b.bundle", "w", comment=BUNDLE.comment) as writer:
        for entry in BUNDLE:
            writer.add(entry)
    assert memory.cat("/d/b.bundle") == DATA
    with seedbundle.open("memory://d/b.bundle") as reader:
        assert reader["f07.txt"] == BUNDLE["f07.txt"]


def _write_then_fail(url: str) -> None:
    with seedbundle.open(url, "w") as writer:
        writer.add("new.txt", "x" * 100_000)
        raise RuntimeError("stop")


def _fail_writing(url: str) -> None:
    with pytest.raises(RuntimeError, match="stop"):
        _write_then_fail(url)


def test_a_failed_write_to_memory_leaves_the_old_object_and_no_temporary(memory: Any) -> None:
    _fail_writing("memory://d/a.bundle")
    assert not memory.exists("/d/a.bundle")
    seedbundle.dump(BUNDLE, "memory://d/a.bundle")
    _fail_writing("memory://d/a.bundle")
    assert memory.cat("/d/a.bundle") == DATA
    assert memory.ls("/d", detail=False) == ["/d/a.bundle"]


def test_a_failed_write_to_a_file_url_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "a.bundle"
    url = target.as_uri()
    _fail_writing(url)
    assert list(tmp_path.iterdir()) == []
    seedbundle.dump(BUNDLE, url)
    assert target.read_bytes() == DATA
    _fail_writing(url)
    assert target.read_bytes() == DATA
    assert list(tmp_path.iterdir()) == [target]
    assert seedbundle.load(url) == BUNDLE


def test_a_file_url_is_written_like_its_path(tmp_path: Path) -> None:
    target = tmp_path / "a.bundle"
    target.write_bytes(b"old")
    target.chmod(0o640)
    link = tmp_path / "link.bundle"
    link.symlink_to(target)
    seedbundle.dump(BUNDLE, link.as_uri())
    assert link.is_symlink()
    assert target.read_bytes() == DATA
    assert target.stat().st_mode & 0o777 == 0o640


def test_a_failed_dump_leaves_nothing(memory: Any) -> None:
    with pytest.raises(TypeError):
        seedbundle.dump("not a bundle", "memory://d/x.bundle")  # type: ignore[arg-type]
    assert not memory.exists("/d/x.bundle")


def test_writing_to_a_directory_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        seedbundle.open(tmp_path.as_uri(), "w")


# -- every file object: errors are BundleDecodeError at loads's position ----------


class _Pipe(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._data.readinto(buffer)


def _gzip(data: bytes) -> io.BufferedIOBase:
    return gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(data)))


def _os_pipe(data: bytes) -> io.BufferedReader:
    read, write = os.pipe()

    def feed() -> None:
        try:
            os.write(write, data)
        except BrokenPipeError:  # the reader stopped at an error and closed its end
            pass
        finally:
            os.close(write)

    threading.Thread(target=feed, daemon=True).start()
    return os.fdopen(read, "rb")


def _fsspec_gzip(data: bytes) -> Any:
    fs = fsspec.filesystem("memory")
    with fs.open("/gz/x.bundle.gz", "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as out:
        out.write(data)
    return fsspec.open("memory://gz/x.bundle.gz", "rb", compression="infer").open()


def _arrow_gzip(data: bytes) -> Any:
    # A stream that cannot seek, as pyarrow's readers of compressed files are.
    return pa.CompressedInputStream(pa.BufferReader(gzip.compress(data)), "gzip")


OPENERS: dict[str, Any] = {
    "bytesio": io.BytesIO,
    "pipe": _Pipe,
    "gzip": _gzip,
    "os-pipe": _os_pipe,
    "fsspec-gzip": _fsspec_gzip,
    "arrow-buffer": pa.BufferReader,
    "arrow-python-file": lambda data: pa.PythonFile(io.BytesIO(data), mode="r"),
    "arrow-gzip-stream": _arrow_gzip,
}


@pytest.mark.parametrize("opener", OPENERS)
@pytest.mark.parametrize("damage", DAMAGED)
def test_every_reader_error_is_a_bundle_decode_error(opener: str, damage: str) -> None:
    expected = _expected(damage)
    for chunk_size in (1000, 1 << 20):
        fp = OPENERS[opener](DAMAGED[damage])
        try:
            got = _error(lambda fp=fp, size=chunk_size: list(seedbundle.BundleReader(fp, chunk_size=size)))
        finally:
            fp.close()
        assert got[:4] == expected[:4]
        assert expected[4].startswith(got[4])


# -- two HTTP servers on 127.0.0.1 -------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {}
    requests: ClassVar[list[str]] = []
    ranges_asked: ClassVar[list[str]] = []
    ranges = True
    length = True

    def log_message(self, *_args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self.requests.append(self.headers.get("X-Asked-By", ""))
        self.ranges_asked.append(self.headers.get("Range", ""))
        self._serve(body=True)

    def _serve(self, *, body: bool) -> None:
        data = self.files.get(self.path)
        if data is None:
            self.send_error(404)
            return
        start, stop, status = 0, len(data), 200
        asked = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if self.ranges and asked:
            start = int(asked[1])
            stop = min(int(asked[2]) + 1 if asked[2] else len(data), len(data))
            status = 206
        self.send_response(status)
        if self.ranges:
            self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{stop - 1}/{len(data)}")
        if self.length:
            self.send_header("Content-Length", str(stop - start))
        else:
            self.close_connection = True  # the end of the connection ends the body
        self.end_headers()
        if body:
            self.wfile.write(data[start:stop])


SERVERS = {
    "range": {"ranges": True, "length": True},
    "no-range": {"ranges": False, "length": True},
    "no-range-no-length": {"ranges": False, "length": False},
}


@pytest.fixture(params=list(SERVERS))
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    files = {"/a.bundle": DATA, **{f"/{name}.bundle": data for name, data in DAMAGED.items()}}
    _requests.clear()
    _ranges_asked.clear()
    handler = type(
        "Handler",
        (_Handler,),
        {"files": files, "requests": _requests, "ranges_asked": _ranges_asked, **SERVERS[request.param]},
    )
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", request.param
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_random_access_over_arrow_files() -> None:
    assert seedbundle.open(pa.BufferReader(DATA))["f05.txt"] == BUNDLE["f05.txt"]
    with pytest.raises(io.UnsupportedOperation):
        seedbundle.open(_arrow_gzip(DATA))["f05.txt"]


# The X-Asked-By and Range headers of the GET requests that the current server was sent.
_requests: list[str] = []
_ranges_asked: list[str] = []


def test_http_reads_a_bundle_larger_than_a_block(server: tuple[str, str]) -> None:
    url, _ = server
    assert len(DATA) > 4 * BLOCK["block_size"]
    asked = {**BLOCK, "headers": {"X-Asked-By": "seedbundle"}}
    assert seedbundle.load(f"{url}/a.bundle", storage_options=asked) == BUNDLE
    # storage_options reached the filesystem, which sent the header with every request.
    assert _requests
    assert set(_requests) == {"seedbundle"}
    with seedbundle.open(f"{url}/a.bundle", storage_options=BLOCK) as reader:
        assert reader.comment == BUNDLE.comment
        assert list(reader) == list(BUNDLE.entries)


@pytest.mark.parametrize("damage", DAMAGED)
def test_http_errors_are_bundle_decode_errors(server: tuple[str, str], damage: str) -> None:
    url, _ = server
    expected = _expected(damage)
    assert _error(seedbundle.load, f"{url}/{damage}.bundle", storage_options=BLOCK) == expected
    got = _error(lambda: list(seedbundle.open(f"{url}/{damage}.bundle", storage_options=BLOCK)))
    assert got[:4] == expected[:4]
    assert expected[4].startswith(got[4])


def test_the_streaming_http_file_claims_to_seek_and_cannot() -> None:
    # The file the bug was found on, opened as the issue says: block_size=0.
    handler = type("Handler", (_Handler,), {"files": {"/cut.bundle": DAMAGED["cut"]}})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/cut.bundle"
        with fsspec.open(url, "rb", block_size=0) as fp:
            assert type(fp).__name__ == "HTTPStreamFile"
            assert fp.seekable()
            got = _error(lambda: list(seedbundle.BundleReader(fp, chunk_size=4096)))
        assert got[:4] == _expected("cut")[:4]
        with fsspec.open(url, "rb", block_size=0) as fp, pytest.raises(io.UnsupportedOperation):
            seedbundle.open(fp)["f01.txt"]
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_http_random_access_works_with_range_requests_only(server: tuple[str, str]) -> None:
    url, kind = server
    reader = seedbundle.open(f"{url}/a.bundle", storage_options=BLOCK)
    if kind == "range":
        assert reader["f17.txt"] == BUNDLE["f17.txt"]
    else:
        with pytest.raises(io.UnsupportedOperation):
            reader["f17.txt"]
    reader.close()


def test_http_byte_ranges_tile_the_bundle(server: tuple[str, str]) -> None:
    url, _ = server
    entries: list[Entry] = []
    counts = []
    for start in range(0, len(DATA), 10_000):
        with seedbundle.open(
            f"{url}/a.bundle", storage_options=BLOCK, byte_range=(start, start + 10_000)
        ) as r:
            entries += r
            counts.append(r.end_count)
    assert entries == list(BUNDLE.entries)
    assert [count for count in counts if count is not None] == [len(entries)]


def test_a_byte_range_over_range_requests_reads_only_its_part(server: tuple[str, str]) -> None:
    url, kind = server
    start = len(DATA) - 9000
    with seedbundle.open(f"{url}/a.bundle", storage_options=BLOCK, byte_range=(start, len(DATA))) as reader:
        names = [entry.name for entry in reader]
    assert names == [
        entry.name for entry in BUNDLE.entries if DATA.index(f"<<<FILE {entry.name}".encode()) >= start
    ]
    first = [int(asked.split("=")[1].split("-")[0]) if asked else 0 for asked in _ranges_asked]
    assert first
    if kind == "range":
        assert min(first) >= start - BLOCK["block_size"]
    else:  # the server sends the whole file, and the reader skips to the range
        assert min(first) == 0


def test_a_byte_range_error_has_the_position_of_loads(server: tuple[str, str]) -> None:
    url, _ = server
    data = DAMAGED["bad-attribute"]
    where = data.index(b"<<<FILE f20.txt")
    got = _error(
        lambda: list(
            seedbundle.open(
                f"{url}/bad-attribute.bundle", storage_options=BLOCK, byte_range=(where - 3, where + 5)
            )
        )
    )
    assert got[:4] == _expected("bad-attribute")[:4]


# -- the command line ------------------------------------------------------------


def test_the_command_line_reads_and_writes_urls(memory: Any, capsys: pytest.CaptureFixture[str]) -> None:
    seedbundle.dump(BUNDLE, "memory://cli/a.bundle")
    assert main(["list", "memory://cli/a.bundle"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == ["f00.txt", "f01.txt"]
    assert main(["fmt", "memory://cli/a.bundle", "-o", "memory://cli/b.bundle"]) == 0
    assert memory.cat("/cli/b.bundle") == DATA
    memory.pipe("/cli/cut.bundle", DAMAGED["cut"])
    assert main(["fmt", "memory://cli/cut.bundle", "-o", "memory://cli/c.bundle"]) == 1
    assert "no END marker" in capsys.readouterr().err
    assert not memory.exists("/cli/c.bundle")
    assert main(["check", "memory://cli/missing.bundle"]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_the_command_line_packs_unpacks_and_joins_at_urls(memory: Any, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.txt").write_text("A\n")
    (tree / "b.txt").write_text("B" * 5000 + "\n")
    assert main(["pack", str(tree), "-q", "-o", "memory://cli/tree.bundle"]) == 0
    packed = seedbundle.load("memory://cli/tree.bundle")
    assert packed.names == ("a.txt", "b.txt")
    assert main(["unpack", "memory://cli/tree.bundle", "-C", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "b.txt").read_text() == "B" * 5000 + "\n"
    volumes = str(tmp_path / "v-%d.bundle")
    assert main(["pack", str(tree), "-q", "--max-bytes", "5100", "-o", volumes]) == 0
    parts = sorted(str(path) for path in tmp_path.glob("v-*.bundle"))
    assert len(parts) == 2
    assert main(["join", *parts, "-o", "memory://cli/j.bundle"]) == 0
    assert seedbundle.load("memory://cli/j.bundle") == packed
