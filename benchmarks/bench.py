"""Throughput and memory benchmarks for seedbundle, printed as ratios to references.

Run ``python benchmarks/bench.py`` (``--help`` lists the options);
``benchmarks/README.md`` explains what is measured and how to read it.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import importlib.metadata
import importlib.util
import io
import itertools
import json
import os
import pstats
import random
import re
import shutil
import stat
import statistics
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import seedbundle
from seedbundle import _native

HERE = Path(__file__).resolve().parent
CACHE_DIR = HERE / ".corpus"
# Bump when the way the corpus is built changes, so that old caches are ignored.
CORPUS_VERSION = 2
CORPUS_SEED = 20240601
SUFFIXES = (".py", ".txt", ".rst", ".html", ".md")
MARKER_SHARE = 0.01
# Lines that look like structural lines, or like escaped ones: the writer must
# escape every one of them and the reader must unescape it.
MARKER_LINES = (
    b"<<<FILE x>>>",
    b"<<<END 3>>>",
    b"\\<<<END 3>>>",
    b"\\\\<<<FILE nested.txt noeol>>>",
    b"<<<",
    b'<<<FILE "quoted name" exec>>>',
)
MB = 1_000_000
GIB = 1 << 30
MIB = 1 << 20

Pairs = list[tuple[str, bytes]]
T = TypeVar("T")


# -- the corpus ----------------------------------------------------------------


def source_roots() -> list[tuple[str, Path]]:
    """The standard library and the site-packages of the running interpreter."""
    paths = sysconfig.get_paths()
    roots: list[tuple[str, Path]] = [("stdlib", Path(paths["stdlib"]))]
    for key in ("purelib", "platlib"):
        path = Path(paths[key])
        if all(path != known for _, known in roots):
            roots.append(("site-packages", path))
    return roots


def iter_source_files() -> Iterator[tuple[str, Path]]:
    """Every text file under the roots, as (entry name, path), in sorted order."""
    roots = source_roots()
    root_paths = {path for _, path in roots}
    for label, root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            current = Path(dirpath)
            # A site-packages inside the stdlib is walked once, under its own label.
            dirnames[:] = sorted(
                name for name in dirnames if name != "__pycache__" and current / name not in root_paths
            )
            for filename in sorted(filenames):
                path = current / filename
                if filename.endswith(SUFFIXES) and not path.is_symlink():
                    yield f"{label}/{path.relative_to(root).as_posix()}", path


def is_text(data: bytes) -> bool:
    """Whether seedbundle stores the data verbatim (UTF-8, no NUL), not as base64."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def inject_markers(data: bytes, rng: random.Random) -> bytes:
    """Put a marker-like line before about MARKER_SHARE of the lines of ``data``."""
    lines = data.split(b"\n")
    count = int(len(lines) * MARKER_SHARE + rng.random())
    for index in rng.sample(range(len(lines)), min(count, len(lines))):
        lines[index] = rng.choice(MARKER_LINES) + b"\n" + lines[index]
    return b"\n".join(lines)


def corpus_fingerprint(files: Sequence[tuple[str, Path]]) -> str:
    digest = hashlib.sha256(f"{CORPUS_VERSION} {CORPUS_SEED} {MARKER_SHARE}".encode())
    for name, path in files:
        stat = path.stat()
        digest.update(f"\n{name}\t{stat.st_size}\t{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def load_cached_corpus(stem: Path) -> Pairs | None:
    try:
        index = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
        blob = stem.with_suffix(".bin").read_bytes()
    except (OSError, ValueError):
        return None
    pairs: Pairs = []
    offset = 0
    for name, size in index:
        pairs.append((name, blob[offset : offset + size]))
        offset += size
    return pairs if offset == len(blob) else None


def store_cached_corpus(stem: Path, pairs: Pairs) -> None:
    CACHE_DIR.mkdir(exist_ok=True)
    for stale in CACHE_DIR.glob("corpus-*"):
        stale.unlink()
    index = [[name, len(data)] for name, data in pairs]
    # Written under temporary names first, so an interrupted run leaves no half cache.
    blob = stem.with_suffix(".bin.tmp")
    blob.write_bytes(b"".join(data for _, data in pairs))
    blob.replace(stem.with_suffix(".bin"))
    listing = stem.with_suffix(".json.tmp")
    listing.write_text(json.dumps(index), encoding="utf-8")
    listing.replace(stem.with_suffix(".json"))


def build_corpus() -> Pairs:
    """All the text files as they are, in a fixed shuffled order."""
    files = list(iter_source_files())
    stem = CACHE_DIR / f"corpus-{corpus_fingerprint(files)}"
    cached = load_cached_corpus(stem)
    if cached is not None:
        return cached
    pairs: Pairs = []
    for name, path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if is_text(data):
            pairs.append((name, data))
    # Shuffled, so that every prefix (every corpus size) holds the same mix of files.
    random.Random(CORPUS_SEED).shuffle(pairs)
    store_cached_corpus(stem, pairs)
    return pairs


def mark_corpus(corpus: Pairs) -> Pairs:
    """The corpus with marker-like lines injected, the same on every run."""
    rng = random.Random(CORPUS_SEED)
    return [(name, inject_markers(data, rng)) for name, data in corpus]


def cycle_corpus(corpus: Pairs) -> Iterator[tuple[str, bytes]]:
    """The corpus over and over, with a suffix that keeps the names unique."""
    if not corpus:
        raise SystemExit("no text files found to build a corpus from")
    for round_number in itertools.count():
        suffix = f"~{round_number}" if round_number else ""
        for name, data in corpus:
            yield name + suffix, data


def take(corpus: Pairs, size: int) -> Pairs:
    """The first entries of the cycled corpus that hold at least ``size`` bytes."""
    chosen: Pairs = []
    total = 0
    for name, data in cycle_corpus(corpus):
        if total >= size:
            break
        chosen.append((name, data))
        total += len(data)
    return chosen


# -- the competitors -----------------------------------------------------------


def reference_split(document: bytes) -> list[tuple[bytes, bytes]]:
    """The read limit: split a bundle into (raw name, raw data), checking nothing.

    It neither unescapes, nor decodes names, nor validates anything; bytes.find
    on "\\n<<<" is much faster than any regex over the whole buffer.
    """
    pairs: list[tuple[bytes, bytes]] = []
    append = pairs.append
    find = document.find
    startswith = document.startswith
    # Without a FILE line the start is 0 and the loop does not run.
    start = 0 if startswith(b"<<<FILE ") else find(b"\n<<<FILE ") + 1
    while startswith(b"<<<FILE ", start):
        line_end = find(b"\n", start)
        following = find(b"\n<<<", line_end) + 1 or len(document)
        append((document[start + 8 : line_end - 3], document[line_end + 1 : following]))
        start = following
    return pairs


def reference_join(bundle: seedbundle.Bundle) -> bytes:
    """The write limit: one b"".join of a header and the data of every entry, escaping nothing."""
    parts: list[bytes] = []
    append = parts.append
    for entry in bundle.entries:
        # Concatenation beats b"%b" formatting here by about 20 %.
        append(b"<<<FILE " + entry.name.encode() + b">>>\n")
        append(entry.data)
    append(b"<<<END %d>>>\n" % len(bundle.entries))
    return b"".join(parts)


def stream_read(source: str | io.BytesIO) -> list[seedbundle.Entry]:
    with seedbundle.open(source, "r") as reader:
        return list(reader)


def stream_write(bundle: seedbundle.Bundle) -> bytes:
    out = io.BytesIO()
    with seedbundle.open(out, "w") as writer:
        for entry in bundle.entries:
            writer.add(entry)
    return out.getvalue()


def zip_write(bundle: seedbundle.Bundle) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for entry in bundle.entries:
            archive.writestr(entry.name, entry.data)
    return out.getvalue()


def zip_read(archive_bytes: bytes) -> Pairs:
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def tar_write(bundle: seedbundle.Bundle) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:", format=tarfile.PAX_FORMAT) as archive:
        for entry in bundle.entries:
            info = tarfile.TarInfo(entry.name)
            info.size = len(entry.data)
            archive.addfile(info, io.BytesIO(entry.data))
    return out.getvalue()


def tar_read(archive_bytes: bytes) -> Pairs:
    pairs: Pairs = []
    with tarfile.open(fileobj=io.BytesIO(archive_bytes), mode="r:") as archive:
        for member in archive:
            extracted = archive.extractfile(member)
            if extracted is not None:
                pairs.append((member.name, extracted.read()))
    return pairs


# -- the two paths: the C accelerator and pure Python ---------------------------

PURE, NATIVE = "pure", "native"


def paths() -> list[str]:
    """The paths this run measures: pure always, native where seedbundle._speedups is loaded."""
    return [PURE, NATIVE] if _native.speedups is not None else [PURE]


def native_missing() -> str:
    """Why there are no native rows, for the report."""
    if os.environ.get("SEEDBUNDLE_PURE") == "1":
        return "not measured: SEEDBUNDLE_PURE=1 is set"
    return "not built: seedbundle._speedups is missing (python setup.py build_ext --inplace)"


def on_path(path: str, run: Callable[[], T]) -> Callable[[], T]:
    """``run`` on ``path``, in this process: the pure path switches the accelerator off around it."""
    if path == NATIVE:
        return run

    def pure() -> T:
        with _native.pure_path():
            return run()

    return pure


def path_of(path: str, run: Callable[[Path], object]) -> Callable[[Path], object]:
    """``run(out)`` on ``path``, as [`on_path`][on_path] does for a run without arguments."""
    return lambda out: on_path(path, lambda: run(out))()


def path_environment(path: str) -> dict[str, str]:
    """The environment of a command on ``path``, importing the seedbundle that this script imported."""
    environment = dict(os.environ)
    source = str(Path(seedbundle.__file__).resolve().parent.parent)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [source, environment.get("PYTHONPATH")]))
    if path == PURE:
        environment["SEEDBUNDLE_PURE"] = "1"
    else:
        environment.pop("SEEDBUNDLE_PURE", None)
    return environment


def on(key: str, path: str) -> str:
    """The key of a seedbundle competitor on one path."""
    return f"{key}@{path}"


@dataclass(frozen=True)
class Competitor:
    key: str
    label: str
    reference: str  # the key of the competitor that this one is compared with
    run: Callable[[], object]
    payload: int  # bytes of entry data that one run handles
    # Run after each timed run, outside the timed region: removes what the run wrote.
    cleanup: Callable[[], object] | None = None


@dataclass
class Workload:
    """One corpus size, with every input prepared and checked."""

    pairs: Pairs
    payload: int
    bundle: seedbundle.Bundle
    document: bytes
    path: str
    zip_bytes: bytes
    tar_bytes: bytes
    # The same files without the injected marker lines, to show what escaping costs.
    plain_payload: int
    plain_document: bytes

    def competitors(self) -> list[Competitor]:
        document, bundle, path = self.document, self.bundle, self.path
        zip_bytes, tar_bytes, plain = self.zip_bytes, self.tar_bytes, self.plain_document
        size, plain_size = self.payload, self.plain_payload

        def read(key: str, label: str, run: Callable[[], object], reference: str = "split") -> Competitor:
            return Competitor(key, label, reference, run, plain_size if reference == "split_plain" else size)

        def write(key: str, label: str, run: Callable[[], object]) -> Competitor:
            return Competitor(key, label, "join", run, size)

        def ours(
            make: Callable[..., Competitor], key: str, label: str, run: Callable[[], object], *rest: str
        ) -> list[Competitor]:
            return [make(on(key, path), f"{label} [{path}]", on_path(path, run), *rest) for path in paths()]

        return [
            read("split", "find-split floor (reference)", lambda: reference_split(document)),
            *ours(read, "loads", "seedbundle.loads", lambda: seedbundle.loads(document)),
            *ours(read, "reader_mem", "reader (BytesIO)", lambda: stream_read(io.BytesIO(document))),
            *ours(read, "reader_file", "reader (file)", lambda: stream_read(path)),
            read("zip_read", "zipfile read", lambda: zip_read(zip_bytes)),
            read("tar_read", "tarfile read", lambda: tar_read(tar_bytes)),
            read(
                "split_plain", "find-split floor, no markers", lambda: reference_split(plain), "split_plain"
            ),
            *ours(
                read,
                "loads_plain",
                "seedbundle.loads, no markers",
                lambda: seedbundle.loads(plain),
                "split_plain",
            ),
            write("join", "join (reference)", lambda: reference_join(bundle)),
            write("join_str", "join + .decode() (str)", lambda: reference_join(bundle).decode("utf-8")),
            *ours(write, "dumps", "seedbundle.dumps", lambda: seedbundle.dumps(bundle)),
            *ours(write, "writer", "writer (BytesIO)", lambda: stream_write(bundle)),
            write("zip_write", "zipfile write (stored)", lambda: zip_write(bundle)),
            write("tar_write", "tarfile write", lambda: tar_write(bundle)),
        ]


def prepare(corpus: Pairs, plain_corpus: Pairs, size: int, directory: Path) -> Workload:
    pairs = take(corpus, size)
    bundle = seedbundle.Bundle(seedbundle.Entry(name, data) for name, data in pairs)
    document = seedbundle.dumps(bundle).encode("utf-8")
    path = directory / f"corpus-{size}.bundle"
    path.write_bytes(document)
    plain_pairs = take(plain_corpus, size)[: len(pairs)]
    plain_bundle = seedbundle.Bundle(seedbundle.Entry(name, data) for name, data in plain_pairs)
    plain_document = seedbundle.dumps(plain_bundle).encode("utf-8")
    if seedbundle.loads(plain_document) != plain_bundle:
        raise SystemExit("benchmark inputs are wrong: loads(dumps(bundle)) != bundle")
    workload = Workload(
        pairs=pairs,
        payload=sum(len(data) for _, data in pairs),
        bundle=bundle,
        document=document,
        path=str(path),
        zip_bytes=zip_write(bundle),
        tar_bytes=tar_write(bundle),
        plain_payload=sum(len(data) for _, data in plain_pairs),
        plain_document=plain_document,
    )
    check(workload)
    return workload


def check(workload: Workload) -> None:
    """Make sure that every competitor does the whole job before timing it."""
    expected = workload.pairs
    names = [name for name, _ in expected]
    problems = []
    for path in paths():
        found = on_path(path, lambda: check_ours(workload))()
        problems += [f"{problem} on the {path} path" for problem in found]
    # The raw names still hold attributes such as " noeol" and quotes, so compare starts.
    raw_names = [raw.decode() for raw, _ in reference_split(workload.document)]
    if len(raw_names) != len(names) or not all(
        raw.startswith((name, '"')) for raw, name in zip(raw_names, names, strict=True)
    ):
        problems.append("the reference split finds other entries")
    if zip_read(workload.zip_bytes) != expected or tar_read(workload.tar_bytes) != expected:
        problems.append("zipfile or tarfile do not give back the entries")
    if problems:
        raise SystemExit("benchmark inputs are wrong: " + "; ".join(problems))


def check_ours(workload: Workload) -> list[str]:
    """What seedbundle gets wrong of the workload, on the path that is on."""
    expected = workload.pairs
    problems = []
    if seedbundle.loads(workload.document) != workload.bundle:
        problems.append("loads(dumps(bundle)) != bundle")
    for label, source in (("BytesIO", io.BytesIO(workload.document)), ("file", workload.path)):
        if [(entry.name, entry.data) for entry in stream_read(source)] != expected:
            problems.append(f"the reader ({label}) does not give back the entries")
    if stream_write(workload.bundle) != workload.document:
        problems.append("the writer and dumps disagree")
    if seedbundle.dumps(workload.bundle).encode("utf-8") != workload.document:
        problems.append("dumps changed")
    return problems


# -- timing --------------------------------------------------------------------


def time_round_robin(competitors: Sequence[Competitor], repeat: int) -> dict[str, list[float]]:
    """Time every competitor once per round, so that machine noise hits them all alike."""
    times: dict[str, list[float]] = {competitor.key: [] for competitor in competitors}
    for _ in range(repeat):
        for competitor in competitors:
            gc.collect()
            start = time.perf_counter()
            result = competitor.run()
            elapsed = time.perf_counter() - start
            del result  # freed outside the timed region
            times[competitor.key].append(elapsed)
            if competitor.cleanup is not None:
                competitor.cleanup()
    return times


@dataclass
class SizeResult:
    size: int
    payload: int
    entries: int
    document: int
    zip_size: int
    tar_size: int
    repeat: int
    labels: dict[str, str]
    references: dict[str, str]
    payloads: dict[str, int]
    seconds: dict[str, float]

    def rate(self, key: str) -> float:
        return self.payloads[key] / MB / self.seconds[key]

    def ratio(self, key: str, reference: str) -> float:
        return self.seconds[reference] / self.seconds[key]


def run_size(
    corpus: Pairs, plain_corpus: Pairs, size: int, args: argparse.Namespace, directory: Path
) -> SizeResult:
    log(f"preparing {size / MB:g} MB ...")
    workload = prepare(corpus, plain_corpus, size, directory)
    competitors = workload.competitors()
    # Small sizes time in milliseconds: more rounds make their best stable.
    repeat = args.repeat * 3 if size < 20 * MB else args.repeat
    log(f"timing {len(competitors)} competitors x {repeat} rounds ...")
    times = time_round_robin(competitors, repeat)
    summarize = min if args.stat == "best" else statistics.median
    return SizeResult(
        size=size,
        payload=workload.payload,
        entries=len(workload.pairs),
        document=len(workload.document),
        zip_size=len(workload.zip_bytes),
        tar_size=len(workload.tar_bytes),
        repeat=repeat,
        labels={c.key: c.label for c in competitors},
        references={c.key: c.reference for c in competitors},
        payloads={c.key: c.payload for c in competitors},
        seconds={key: summarize(values) for key, values in times.items()},
    )


# -- peak memory of the streaming reader ---------------------------------------

# Run in a fresh interpreter, so that nothing but seedbundle and the reader
# counts towards its peak resident set size.
PEAK_CHILD = HERE / "peak_child.py"


@dataclass
class PeakResult:
    reader: str
    file_size: int
    entries: int
    payload: int
    largest: int
    baseline: int
    peak: int
    seconds: float
    write_seconds: float

    @property
    def over_baseline(self) -> int:
        return self.peak - self.baseline

    @property
    def limit(self) -> int:
        return self.largest + 64 * MB


def write_big_bundle(corpus: Pairs, path: Path, size: int) -> None:
    total = 0
    with seedbundle.open(path, "w") as writer:
        for name, data in cycle_corpus(corpus):
            if total >= size:
                break
            writer.add(seedbundle.Entry(name, data))
            total += len(data)


def measure_peaks(corpus: Pairs, directory: Path) -> list[PeakResult]:
    """Peak memory of the streaming reader over one bundle of at least 1 GiB."""
    path = directory / "big.bundle"
    log(f"writing a {GIB / MB:,.0f} MB bundle with the streaming writer ...")
    start = time.perf_counter()
    write_big_bundle(corpus, path, GIB)
    write_seconds = time.perf_counter() - start
    results = []
    for way in paths():
        log(f"reading it with the streaming reader in a fresh interpreter, {way} path ...")
        completed = subprocess.run(
            [sys.executable, str(PEAK_CHILD), str(path)],
            check=True,
            capture_output=True,
            text=True,
            env=path_environment(way),
        )
        report = json.loads(completed.stdout)
        results.append(
            PeakResult(
                reader=f"reader [{way}]",
                file_size=path.stat().st_size,
                entries=report["entries"],
                payload=report["payload"],
                largest=report["largest"],
                baseline=report["baseline"],
                peak=report["peak"],
                seconds=report["seconds"],
                write_seconds=write_seconds,
            )
        )
    path.unlink()
    return results


# -- trees of files: the commands against tarfile, Go's txtar and files-to-prompt

STDLIB_SKIP_DIRS = frozenset({"__pycache__", "site-packages", "dist-packages"})
# Not valid module names, so that they shadow nothing on the commands' sys.path.
TREE_NAME = "stdlib-tree"
TEXT_TREE_NAME = "stdlib-py"
PACKAGE_TREE_NAME = "package-py"
# A tree the size of flask's repository (about 250 files and 2 MB of text with
# its docs and tests): the first of these packages that is installed.
FLASK_SIZED = ("rich", "jinja2", "click")
# (name, data, executable) of every file in a tree or an archive.
FileRecords = Iterator[tuple[str, bytes, bool]]
PEERS_NOTE: dict[str, str] = {}  # peer -> why it is missing, for the report


def copy_tree(root: Path, target: Path, keep: Callable[[Path], bool] = lambda path: True) -> dict[str, bool]:
    """Copy the readable regular files below ``root`` that ``keep`` accepts: name -> executable bit.

    site-packages, __pycache__ and links are left out. The copy is what every
    competitor packs, because the tarfile command has no exclude option.
    """
    files: dict[str, bool] = {}
    # os.walk does not descend into links to directories.
    for dirpath, dirnames, filenames in os.walk(root):
        current = Path(dirpath)
        dirnames[:] = sorted(name for name in dirnames if name not in STDLIB_SKIP_DIRS)
        for filename in sorted(filenames):
            path = current / filename
            mode = path.lstat().st_mode
            name = path.relative_to(root).as_posix()
            if not stat.S_ISREG(mode) or not os.access(path, os.R_OK) or not keep(path):
                continue
            destination = target / name
            # Only directories that hold files: an empty one would make pack warn.
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, destination)
            files[name] = bool(mode & stat.S_IXUSR)
    return files


def stdlib_root() -> Path | None:
    """The standard library's directory; None where it is a zip."""
    root = Path(sysconfig.get_paths()["stdlib"])
    return root if root.is_dir() else None


def flask_sized_package() -> Path | None:
    for name in FLASK_SIZED:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            return Path(next(iter(spec.submodule_search_locations)))
    return None


def is_python_text(path: Path) -> bool:
    """A .py file that is text: UTF-8 without NUL (files-to-prompt skips the others)."""
    return path.suffix == ".py" and is_text(path.read_bytes())


def pack_tree(tree: Path, out: Path) -> None:
    seedbundle.pack_to(tree, out, gitignore=False)


def tar_tree(tree: Path, out: Path) -> None:
    with tarfile.open(out, "w") as archive:
        for name in sorted(os.listdir(tree)):
            archive.add(tree / name, arcname=name)


def untar(archive_path: Path, out: Path) -> None:
    with tarfile.open(archive_path) as archive:
        archive.extractall(out, filter="data")


def run_command(command: Sequence[str], cwd: Path, environment: dict[str, str] | None = None) -> None:
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=environment)


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def directory_records(directory: Path) -> FileRecords:
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            executable = bool(path.stat().st_mode & stat.S_IXUSR)
            yield path.relative_to(directory).as_posix(), path.read_bytes(), executable


def bundle_records(path: Path) -> FileRecords:
    with seedbundle.open(path) as reader:
        for entry in reader:
            yield entry.name, entry.data, entry.executable


def tar_records(path: Path, prefix: str = "") -> FileRecords:
    with tarfile.open(path) as archive:
        for member in archive:
            extracted = archive.extractfile(member) if member.isfile() else None
            if extracted is not None:
                yield member.name.removeprefix(prefix), extracted.read(), bool(member.mode & stat.S_IXUSR)


def listed_names(path: Path, pattern: bytes, prefix: str) -> set[str]:
    """The names that a txtar or files-to-prompt output lists (content lines may add more)."""
    found = re.findall(pattern, path.read_bytes(), re.MULTILINE)
    return {name.decode("utf-8", "replace").removeprefix(prefix) for name in found}


# -- the peers: Go's txtar and files-to-prompt ----------------------------------

TXTAR_SOURCE = HERE / "txtar_pack.go"
GOPATHS = ("/usr/share/gocode",)  # where Debian's golang-golang-x-tools-dev puts x/tools


def build_txtar(scratch: Path) -> list[str] | None:
    """Compile benchmarks/txtar_pack.go offline; the command, or None with the reason in PEERS_NOTE."""
    go = shutil.which("go")
    if go is None:
        PEERS_NOTE["txtar"] = (
            "skipped: Go not found (Debian: apt-get install golang-go golang-golang-x-tools-dev)"
        )
        return None
    candidates = [os.environ.get("GOPATH", ""), *GOPATHS]
    gopath = next(
        (path for path in candidates if path and Path(path, "src/golang.org/x/tools/txtar").is_dir()), None
    )
    if gopath is None:
        PEERS_NOTE["txtar"] = (
            "skipped: golang.org/x/tools/txtar not found (Debian: golang-golang-x-tools-dev)"
        )
        return None
    program = scratch / "txtar-pack"
    # GOPATH mode, no proxy: the build must not reach the network.
    environment = dict(
        os.environ,
        GOPATH=gopath,
        GO111MODULE="off",
        GOFLAGS="",
        GOPROXY="off",
        GOCACHE=str(scratch / "gocache"),
    )
    built = subprocess.run(
        [go, "build", "-o", str(program), str(TXTAR_SOURCE)], capture_output=True, text=True, env=environment
    )
    if built.returncode != 0:
        PEERS_NOTE["txtar"] = f"skipped: go build failed: {' '.join(built.stderr.split())[:200]}"
        return None
    return [str(program)]


def pinned(project: str) -> str:
    """The requirement pinned for ``project`` in pyproject.toml's extras, else the bare name."""
    try:
        metadata = tomllib.loads((HERE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return project
    for requirements in metadata.get("project", {}).get("optional-dependencies", {}).values():
        for requirement in requirements:
            if re.match(rf"{re.escape(project)}\s*==", requirement):
                return str(requirement)
    return project


def files_to_prompt(scratch: Path, install: bool) -> list[str] | None:
    """The files-to-prompt command: the one beside this interpreter if it is the pinned version,
    else the pinned version installed into a temporary virtual environment."""
    requirement = pinned("files-to-prompt")
    wanted = requirement.partition("==")[2]
    scripts = Path(sysconfig.get_paths()["scripts"])
    here = shutil.which("files-to-prompt", path=str(scripts))
    if here is not None:
        try:
            version = importlib.metadata.version("files-to-prompt")
        except importlib.metadata.PackageNotFoundError:
            version = ""
        if not wanted or version == wanted:
            return [here]
    if not install:
        PEERS_NOTE["files-to-prompt"] = f"skipped: {requirement} is not installed (--no-install)"
        return None
    log(f"installing {requirement} into a temporary virtual environment ...")
    venv = scratch / "peers-venv"
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    try:
        run_command([sys.executable, "-m", "venv", str(venv)], scratch)
        run_command([str(bin_dir / "python"), "-m", "pip", "install", "-q", requirement], scratch)
    except (OSError, subprocess.CalledProcessError) as error:
        stderr = getattr(error, "stderr", b"") or b""
        PEERS_NOTE["files-to-prompt"] = f"skipped: installing {requirement} failed: {stderr.decode()[-200:]}"
        return None
    return [str(bin_dir / "files-to-prompt")]


# -- the stdlib tree: pack and unpack, as functions and as commands ------------


@dataclass
class TreeWorkload:
    """A copied tree, with a bundle and a tar of it, checked."""

    scratch: Path
    name: str  # the tree's directory in scratch
    files: dict[str, bool]
    payload: int
    bundle_path: Path
    tar_path: Path
    txtar: list[str] | None = None
    files_to_prompt: list[str] | None = None

    @property
    def tree(self) -> Path:
        return self.scratch / self.name

    def holds_the_files(self, records: FileRecords) -> bool:
        """Whether ``records`` are exactly the tree's files, bytes and executable bits."""
        seen: set[str] = set()
        for name, data, executable in records:
            if name in seen or self.files.get(name) != executable:
                return False
            if data != (self.tree / name).read_bytes():
                return False
            seen.add(name)
        return seen == self.files.keys()

    def competitor(self, key: str, label: str, reference: str, run: Callable[[Path], object]) -> Competitor:
        out = self.scratch / f"out-{key}"
        return Competitor(key, label, reference, lambda: run(out), self.payload, lambda: remove(out))

    def command(
        self, key: str, label: str, reference: str, program: Sequence[str], way: str | None = None
    ) -> Competitor:
        """A command in a fresh process, run in the scratch directory; ``{out}`` and ``{tree}`` are filled in."""
        environment = path_environment(way) if way else None

        def run(out: Path) -> None:
            filled = [
                part.format(out=out, tree=self.name, bundle=self.bundle_path, tar=self.tar_path)
                for part in program
            ]
            run_command(filled, self.scratch, environment)

        return self.competitor(key, label, reference, run)

    def pack_commands(self, reference: str) -> list[Competitor]:
        return [
            self.command(
                on("command_pack", way),
                f"seedbundle pack (command) [{way}]",
                reference,
                [sys.executable, "-m", "seedbundle", "pack", "--no-ignore", "-o", "{out}", "{tree}"],
                way,
            )
            for way in paths()
        ]

    def stdlib_competitors(self) -> list[Competitor]:
        tree, bundle_path, tar_path = self.tree, self.bundle_path, self.tar_path
        competitors = [
            self.competitor(
                "tar_pack", "tarfile add (function)", "tar_pack", lambda out: tar_tree(tree, out)
            ),
            self.competitor(
                "tar_unpack",
                'tarfile extractall (function, filter="data")',
                "tar_unpack",
                lambda out: untar(tar_path, out),
            ),
            self.command(
                "command_tar",
                "python -m tarfile -c",
                "command_tar",
                [sys.executable, "-m", "tarfile", "-c", "{out}", "{tree}"],
            ),
            self.command(
                "command_tar_extract",
                "python -m tarfile -e",
                "command_tar_extract",
                [sys.executable, "-m", "tarfile", "-e", "{tar}", "{out}"],
            ),
        ]
        for way in paths():
            competitors += [
                self.competitor(
                    on("pack", way),
                    f"seedbundle.pack_to (function) [{way}]",
                    "tar_pack",
                    path_of(way, lambda out: pack_tree(tree, out)),
                ),
                self.competitor(
                    on("unpack", way),
                    f"seedbundle.unpack_from (function) [{way}]",
                    "tar_unpack",
                    path_of(way, lambda out: seedbundle.unpack_from(bundle_path, out)),
                ),
                self.command(
                    on("command_unpack", way),
                    f"seedbundle unpack (command) [{way}]",
                    "command_tar_extract",
                    [sys.executable, "-m", "seedbundle", "unpack", "{bundle}", "-C", "{out}"],
                    way,
                ),
            ]
        competitors += self.pack_commands("command_tar")
        if self.txtar is not None:
            competitors.append(
                self.command(
                    "txtar", "Go txtar (txtar_pack.go)", "command_tar", [*self.txtar, "{tree}", "{out}"]
                )
            )
        return competitors

    def text_competitors(self) -> list[Competitor]:
        competitors = self.pack_commands("files_to_prompt")
        if self.files_to_prompt is not None:
            competitors.append(
                self.command(
                    "files_to_prompt",
                    "files-to-prompt",
                    "files_to_prompt",
                    [*self.files_to_prompt, "{tree}", "-o", "{out}"],
                )
            )
        return competitors

    def check(self, competitors: Sequence[Competitor]) -> None:
        """Run every competitor once and make sure that it did the whole job (this also warms the caches)."""
        expected = self.bundle_path.read_bytes()
        names = set(self.files)
        checks: dict[str, Callable[[Path], bool]] = {
            # pack is deterministic, so every way of packing must write the very same bundle.
            "pack": lambda out: out.read_bytes() == expected,
            "command_pack": lambda out: out.read_bytes() == expected,
            "unpack": lambda out: self.holds_the_files(directory_records(out)),
            "command_unpack": lambda out: self.holds_the_files(directory_records(out)),
            "tar_pack": lambda out: self.holds_the_files(tar_records(out)),
            "tar_unpack": lambda out: self.holds_the_files(directory_records(out)),
            "command_tar": lambda out: self.holds_the_files(tar_records(out, f"{self.name}/")),
            "command_tar_extract": lambda out: self.holds_the_files(directory_records(out)),
            "txtar": lambda out: names <= listed_names(out, rb"^-- (.+) --$", ""),
            "files_to_prompt": lambda out: names <= listed_names(out, rb"^(.+)\n---$", f"{self.name}/"),
        }
        problems = []
        if not self.holds_the_files(bundle_records(self.bundle_path)):
            problems.append("pack_to does not store the files")
        for competitor in competitors:
            competitor.run()
            if not checks[competitor.key.partition("@")[0]](self.scratch / f"out-{competitor.key}"):
                problems.append(f"{competitor.label} does not do the whole job")
            if competitor.cleanup is not None:
                competitor.cleanup()
        if problems:
            raise SystemExit(f"{self.name} benchmark inputs are wrong: " + "; ".join(problems))


def prepare_tree(
    scratch: Path, name: str, root: Path, keep: Callable[[Path], bool] = lambda path: True
) -> TreeWorkload:
    files = copy_tree(root, scratch / name, keep)
    workload = TreeWorkload(
        scratch=scratch,
        name=name,
        files=files,
        payload=sum((scratch / name / file).stat().st_size for file in files),
        bundle_path=scratch / f"{name}.bundle",
        tar_path=scratch / f"{name}.tar",
    )
    pack_tree(workload.tree, workload.bundle_path)
    tar_tree(workload.tree, workload.tar_path)
    return workload


@dataclass
class TreeResult:
    title: str
    files: int
    payload: int
    bundle_size: int
    repeat: int
    labels: dict[str, str]
    references: dict[str, str]
    seconds: dict[str, float]

    def rate(self, key: str) -> float:
        return self.payload / MB / self.seconds[key]

    def ratio(self, key: str, reference: str | None = None) -> float:
        return self.seconds[reference or self.references[key]] / self.seconds[key]


def time_tree(title: str, workload: TreeWorkload, competitors: list[Competitor], repeat: int) -> TreeResult:
    workload.check(competitors)
    log(f"timing {title}: {len(competitors)} competitors x {repeat} rounds ...")
    times = time_round_robin(competitors, repeat)
    return TreeResult(
        title=title,
        files=len(workload.files),
        payload=workload.payload,
        bundle_size=workload.bundle_path.stat().st_size,
        repeat=repeat,
        labels={c.key: c.label for c in competitors},
        references={c.key: c.reference for c in competitors},
        # Medians whatever --stat says: the best of a few rounds of disk writes is mostly luck.
        seconds={key: statistics.median(values) for key, values in times.items()},
    )


@dataclass
class Trees:
    stdlib: TreeResult | None = None
    stdlib_py: TreeResult | None = None
    package: TreeResult | None = None
    package_name: str = ""
    # path -> peak RSS of `seedbundle pack` of the stdlib tree over that of `python -c pass`
    pack_peak: dict[str, int] | None = None
    bare_peak: int = 0


def run_trees(repeat: int, install: bool) -> Trees:
    """Pack and unpack copies of the stdlib, of its .py files and of a flask-sized package."""
    trees = Trees()
    root = stdlib_root()
    with tempfile.TemporaryDirectory(prefix="seedbundle-bench-tree-") as temporary:
        scratch = Path(temporary)
        txtar = build_txtar(scratch)
        ftp = files_to_prompt(scratch, install)
        if root is None:
            PEERS_NOTE["stdlib"] = "skipped: the standard library is not a directory here"
        else:
            log("copying the standard library ...")
            stdlib = prepare_tree(scratch, TREE_NAME, root)
            stdlib.txtar = txtar
            trees.stdlib = time_tree("the stdlib tree", stdlib, stdlib.stdlib_competitors(), repeat)
            trees.pack_peak, trees.bare_peak = pack_peaks(stdlib)
            remove(stdlib.tree)
            log("copying the standard library's .py files ...")
            text = prepare_tree(scratch, TEXT_TREE_NAME, root, is_python_text)
            text.files_to_prompt = ftp
            trees.stdlib_py = time_tree("the stdlib's .py files", text, text.text_competitors(), repeat)
        package = flask_sized_package()
        if package is not None:
            trees.package_name = package.name
            small = prepare_tree(scratch, PACKAGE_TREE_NAME, package, is_python_text)
            small.files_to_prompt = ftp
            # It packs in tens of milliseconds: more rounds make the median stable.
            trees.package = time_tree(
                f"{package.name}'s .py files", small, small.text_competitors(), repeat * 5
            )
    return trees


def pack_peaks(workload: TreeWorkload) -> tuple[dict[str, int] | None, int]:
    """Peak RSS of the pack command on each path, and of ``python -c pass``, through peak_child.py."""
    if not hasattr(os, "wait4"):
        PEERS_NOTE["peak"] = "skipped: os.wait4 is POSIX only"
        return None, 0

    def peak(command: list[str], environment: dict[str, str] | None = None) -> int:
        completed = subprocess.run(
            [sys.executable, str(PEAK_CHILD), "--command", *command],
            check=True,
            capture_output=True,
            text=True,
            cwd=workload.scratch,
            env=environment,
        )
        report = json.loads(completed.stdout)
        if report["status"] != 0:
            raise SystemExit(f"the peak RSS run of {command} failed")
        return int(report["peak"])

    bare = min(peak([sys.executable, "-c", "pass"]) for _ in range(3))
    out = workload.scratch / "peak.bundle"
    peaks = {
        way: peak(
            [sys.executable, "-m", "seedbundle", "pack", "--no-ignore", "-o", str(out), workload.name],
            path_environment(way),
        )
        - bare
        for way in paths()
    }
    out.unlink(missing_ok=True)
    return peaks, bare


# -- start-up ------------------------------------------------------------------


@dataclass
class Startup:
    runs: int
    bare: float  # median seconds of `python -c pass`
    old: float | None  # median seconds of 1.0's `python -m seedbundle --version`
    version: dict[str, float]  # path -> median seconds of `python -m seedbundle --version`

    def over(self, way: str) -> float:
        return self.version[way] - self.bare


def measure_startup(runs: int, old: Path | None) -> Startup:
    """``python -m seedbundle --version`` against ``python -c pass`` (and 1.0's), interleaved, medians of ``runs``."""
    log(f"timing start-up: {runs} runs of each ...")
    commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
        "bare": ([sys.executable, "-c", "pass"], None)
    }
    for way in paths():
        commands[way] = ([sys.executable, "-m", "seedbundle", "--version"], path_environment(way))
    if old is not None:
        commands["1.0"] = ([sys.executable, "-m", "seedbundle", "--version"], old_environment(old))
    times: dict[str, list[float]] = {key: [] for key in commands}
    for _ in range(runs):
        for key, (command, environment) in commands.items():
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=environment)
            times[key].append(time.perf_counter() - start)
    medians = {key: statistics.median(values) for key, values in times.items()}
    return Startup(runs=runs, bare=medians.pop("bare"), old=medians.pop("1.0", None), version=medians)


# -- the pure path against 1.0 ---------------------------------------------------

# The last commit of release 1.0.0 (2026-11-26), whose code the pure path is held to.
BASELINE_REF = "0f84039"
BASELINE_CHILD = HERE / "baseline_child.py"
BASELINE_OPERATIONS = ("loads", "reader", "dumps", "writer")


@dataclass
class Baseline:
    ref: str
    repeat: int
    payload: int
    seconds: dict[str, dict[str, float]]  # "1.0" or "pure" -> operation -> seconds

    def ratio(self, operation: str) -> float:
        return self.seconds["1.0"][operation] / self.seconds["pure"][operation]


BASELINE_USED = [BASELINE_REF]  # the commit that this run compares with, for the report


def baseline_sources(ref: str, target: Path) -> Path | None:
    """Check out src/seedbundle of ``ref`` into ``target``; the directory to put on sys.path."""
    BASELINE_USED[0] = ref
    try:
        archive = subprocess.run(
            ["git", "-C", str(HERE.parent), "archive", "--format=tar", ref, "src/seedbundle"],
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        PEERS_NOTE["1.0"] = f"skipped: git cannot check out {ref} (a clone without history?)"
        return None
    with tarfile.open(fileobj=io.BytesIO(archive)) as sources:
        sources.extractall(target, filter="data")
    return target / "src"


def old_environment(old: Path) -> dict[str, str]:
    """The environment of a process that imports the 1.0 sources (which have no accelerator)."""
    return dict(os.environ, PYTHONPATH=str(old), SEEDBUNDLE_PURE="1")


def measure_baseline(
    old: Path | None, document: Path, payload: int, repeat: int, summarize: Callable[[list[float]], float]
) -> Baseline | None:
    """loads, the reader, dumps and the writer of 1.0 and of the pure path today, in alternating fresh processes."""
    if old is None:
        return None
    log(f"timing the pure path against 1.0: {repeat} rounds ...")
    environments = {"1.0": old_environment(old), "pure": path_environment(PURE)}
    times: dict[str, dict[str, list[float]]] = {
        side: {op: [] for op in BASELINE_OPERATIONS} for side in environments
    }
    for _ in range(repeat):
        for side, environment in environments.items():
            completed = subprocess.run(
                [sys.executable, str(BASELINE_CHILD), str(document)],
                check=True,
                capture_output=True,
                text=True,
                env=environment,
            )
            for operation, seconds in json.loads(completed.stdout).items():
                times[side][operation].append(seconds)
    return Baseline(
        ref=BASELINE_USED[0],
        repeat=repeat,
        payload=payload,
        seconds={side: {op: summarize(values) for op, values in ops.items()} for side, ops in times.items()},
    )


# -- reporting -----------------------------------------------------------------


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: int = 1) -> str:
    """A Markdown table whose columns line up; columns from ``right`` on are right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if index >= right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = ["-" * (width - 1) + ":" if index >= right else "-" * width for index, width in enumerate(widths)]
    return "\n".join([line(header), line(rule), *(line(row) for row in rows)])


def size_table(result: SizeResult) -> str:
    rows = []
    for key, label in result.labels.items():
        reference = result.references[key]
        reading = reference.startswith("split")
        rows.append(
            [
                f"{'read' if reading else 'write'}: {label}",
                f"{result.rate(key):,.1f}",
                f"{result.ratio(key, reference):.2f}",
                f"{result.ratio(key, 'zip_read'):.2f}" if reference == "split" else "",
            ]
        )
    title = (
        f"### {result.payload / MB:,.1f} MB of text in {result.entries:,} entries"
        f" (bundle {result.document / MB:,.1f} MB, zip {result.zip_size / MB:,.1f} MB,"
        f" tar {result.tar_size / MB:,.1f} MB), {result.repeat} rounds"
    )
    header = ["competitor", "MB/s", "x reference", "x zipfile read"]
    return title + "\n\n" + markdown_table(header, rows)


@dataclass
class Target:
    goal: str
    # path -> (what was measured, whether the target is met; None: not measured)
    results: dict[str, tuple[str, bool | None]]


def per_path(goal: str, measure: Callable[[str], tuple[str, bool | None]]) -> Target:
    return Target(goal, {way: measure(way) for way in paths()})


def ratio_target(goal: str, ratio: Callable[[str], float], at_least: float, strictly: bool = False) -> Target:
    def measure(way: str) -> tuple[str, bool | None]:
        value = ratio(way)
        return f"{value:.2f} x", value > at_least if strictly else value >= at_least

    return per_path(goal, measure)


def issue_targets(
    largest: SizeResult, trees: Trees, startup: Startup, baseline: Baseline | None
) -> list[Target]:
    """The targets of the issue "Speed close to the machine", on each path."""
    targets = [
        ratio_target(
            "loads >= 1.5 x the find-split floor", lambda w: largest.ratio(on("loads", w), "split"), 1.5
        ),
        ratio_target(
            "streaming reader (BytesIO) >= 1.0 x the find-split floor",
            lambda w: largest.ratio(on("reader_mem", w), "split"),
            1.0,
        ),
        ratio_target(
            "streaming reader (file) >= 1.0 x the find-split floor",
            lambda w: largest.ratio(on("reader_file", w), "split"),
            1.0,
        ),
        ratio_target("writer >= 0.8 x the join", lambda w: largest.ratio(on("writer", w), "join"), 0.8),
        ratio_target(
            "dumps >= 1.0 x join().decode()", lambda w: largest.ratio(on("dumps", w), "join_str"), 1.0
        ),
    ]
    targets += tree_targets(trees)
    targets.append(
        per_path(
            "start-up: seedbundle --version <= 100 ms over python -c pass",
            lambda w: (f"{startup.over(w) * 1000:.0f} ms over", startup.over(w) <= 0.100),
        )
    )
    for operation in BASELINE_OPERATIONS:
        goal = f"pure path: {operation} no slower than 1.0 (x 1.0's speed)"
        if baseline is None:
            targets.append(
                Target(
                    goal, {PURE: (PEERS_NOTE.get("1.0", "skipped"), None), NATIVE: ("pure path only", None)}
                )
            )
            continue
        value = baseline.ratio(operation)
        targets.append(
            Target(goal, {PURE: (f"{value:.2f} x", value >= 1.0), NATIVE: ("pure path only", None)})
        )
    return targets


def tree_targets(trees: Trees) -> list[Target]:
    stdlib, text, package = trees.stdlib, trees.stdlib_py, trees.package

    def faster(goal: str, result: TreeResult | None, key: str, reference: str, missing: str) -> Target:
        if result is None or reference not in result.seconds:
            reason = PEERS_NOTE.get(missing, "skipped")
            return Target(goal, dict.fromkeys(paths(), (reason, None)))
        return ratio_target(goal, lambda w: result.ratio(on(key, w), reference), 1.0, strictly=True)

    targets = [
        faster(
            "seedbundle pack of the stdlib tree faster than python -m tarfile -c",
            stdlib,
            "command_pack",
            "command_tar",
            "stdlib",
        ),
        faster(
            "seedbundle pack of the stdlib tree faster than Go's txtar",
            stdlib,
            "command_pack",
            "txtar",
            "txtar",
        ),
    ]
    goal = "seedbundle pack of the stdlib tree: peak RSS <= 64 MiB over python -c pass's"
    if trees.pack_peak is None:
        targets.append(
            Target(
                goal,
                {way: (PEERS_NOTE.get("peak", PEERS_NOTE.get("stdlib", "skipped")), None) for way in paths()},
            )
        )
    else:
        peaks = trees.pack_peak
        targets.append(
            per_path(
                goal,
                lambda w: (
                    f"{peaks[w] / MIB:,.1f} MiB over {trees.bare_peak / MIB:,.1f}",
                    peaks[w] <= 64 * MIB,
                ),
            )
        )
    targets += [
        faster(
            "seedbundle unpack of the stdlib tree faster than python -m tarfile -e",
            stdlib,
            "command_unpack",
            "command_tar_extract",
            "stdlib",
        ),
        faster(
            "seedbundle pack of the stdlib's .py files faster than files-to-prompt",
            text,
            "command_pack",
            "files_to_prompt",
            "files-to-prompt",
        ),
        faster(
            f"seedbundle pack of {trees.package_name or 'a flask-sized package'}'s .py files faster than files-to-prompt",
            package,
            "command_pack",
            "files_to_prompt",
            "files-to-prompt",
        ),
    ]
    return targets


def linearity_targets(smallest: SizeResult, largest: SizeResult) -> list[Target]:
    span = f"{smallest.size / MB:g} -> {largest.size / MB:g} MB"

    def linear(key: str) -> Target:
        def measure(way: str) -> tuple[str, bool | None]:
            small, large = smallest.rate(on(key, way)), largest.rate(on(key, way))
            change = large / small - 1
            return f"{small:,.0f} -> {large:,.0f} MB/s ({change:+.0%})", abs(change) <= 0.10

        return per_path(f"{key} linear {span} (MB/s within 10 %)", measure)

    return [linear(key) for key in ("loads", "reader_mem", "reader_file", "dumps", "writer")]


def zip_targets(largest: SizeResult) -> list[Target]:
    return [
        ratio_target(
            f"{largest.labels[on(key, PURE)].removesuffix(' [pure]')} >= 1.5 x zipfile read",
            lambda w, key=key: largest.ratio(on(key, w), "zip_read"),  # type: ignore[misc]
            1.5,
        )
        for key in ("loads", "reader_mem", "reader_file")
    ]


def peak_target(peaks: Sequence[PeakResult]) -> Target:
    goal = "reader peak RSS on >= 1 GB <= largest entry + 64 MB"
    if not peaks:
        return Target(goal, dict.fromkeys(paths(), ("skipped (--skip-1gb)", None)))
    by_path = {peak.reader.partition("[")[2].rstrip("]"): peak for peak in peaks}
    return per_path(goal, lambda w: (peak_measured(by_path[w]), by_path[w].over_baseline <= by_path[w].limit))


def peak_measured(peak: PeakResult) -> str:
    return (
        f"{peak.over_baseline / MB:,.1f} MB over a baseline of {peak.baseline / MB:,.1f} MB;"
        f" largest entry {peak.largest / MB:,.2f} MB (limit {peak.limit / MB:,.1f} MB)"
    )


def context_rows(smallest: SizeResult, largest: SizeResult) -> list[list[str]]:
    """Numbers that explain the targets: how the references themselves scale, and more."""
    rows = []
    if largest is not smallest:
        span = f"{smallest.size / MB:g} -> {largest.size / MB:g} MB"
        for key in ("split", "join", "zip_read", "join_str"):
            small, large = smallest.rate(key), largest.rate(key)
            rows.append(
                [
                    f"{largest.labels[key]}, {span}",
                    f"{small:,.0f} -> {large:,.0f} MB/s ({large / small - 1:+.0%})",
                ]
            )
    for way in paths():
        rows.append(
            [
                f"seedbundle.loads [{way}] vs the floor, both on the files without injected markers",
                f"{largest.ratio(on('loads_plain', way), 'split_plain'):.2f} x",
            ]
        )
        rows.append(
            [
                f"seedbundle.dumps [{way}] vs writer (BytesIO) (the cost of returning str)",
                f"{largest.ratio(on('dumps', way), on('writer', way)):.2f} x",
            ]
        )
    if NATIVE in paths():
        for key in ("loads", "reader_mem", "reader_file", "dumps", "writer"):
            rows.append([f"{key}: native vs pure", f"{largest.ratio(on(key, NATIVE), on(key, PURE)):.2f} x"])
    return rows


def targets_table(targets: Sequence[Target]) -> str:
    verdict = {True: "yes", False: "NO", None: "n/a"}
    missing = native_missing().partition(":")[0]

    def cell(target: Target, way: str) -> str:
        if way not in target.results:
            return missing
        measured, met = target.results[way]
        return f"{measured} ({verdict[met]})" if met is not None else measured

    rows = [[target.goal, cell(target, PURE), cell(target, NATIVE)] for target in targets]
    return markdown_table(["target", "pure", "native"], rows, right=3)


def tree_table(result: TreeResult) -> str:
    rows = [
        [
            label,
            f"{result.seconds[key]:,.3f}",
            f"{result.rate(key):,.1f}",
            f"{result.ratio(key):.2f} x {result.labels[result.references[key]]}",
        ]
        for key, label in result.labels.items()
    ]
    title = (
        f"### {result.title}: medians of {result.repeat} rounds\n\n"
        f"{result.files:,} files, {result.payload / MB:,.1f} MB (bundle {result.bundle_size / MB:,.1f} MB),"
        " copied to a temporary directory without __pycache__ and links. The commands run in fresh"
        " processes, start-up included."
    )
    header = ["competitor", "seconds", "MB/s", "x reference"]
    return title + "\n\n" + markdown_table(header, rows)


def trees_sections(trees: Trees) -> list[str]:
    sections = [tree_table(result) for result in (trees.stdlib, trees.stdlib_py, trees.package) if result]
    if trees.package is not None:
        sections.append(
            f"The flask-sized tree is the .py files of the installed package {trees.package_name!r}"
            " (flask's repository holds about 250 files and 2 MB of text with its docs and tests)."
        )
    return sections


def startup_summary(startup: Startup) -> str:
    # The cost over a bare start, in bare starts: steadier than milliseconds on a loaded machine.
    paths_text = "; ".join(
        f"{way}: {startup.version[way] * 1000:.1f} ms ({startup.over(way) * 1000:+.1f} ms,"
        f" {startup.over(way) / startup.bare:.1f} x python -c pass)"
        for way in startup.version
    )
    old = ""
    if startup.old is not None:
        old_over = startup.old - startup.bare
        old = (
            f"; 1.0's: {startup.old * 1000:.1f} ms ({old_over * 1000:+.1f} ms), so today's costs"
            f" {old_over / max(startup.over(PURE), 1e-6):.1f} x less over python -c pass"
        )
    return (
        f"Start-up, medians of {startup.runs} interleaved runs: python -c pass {startup.bare * 1000:.1f} ms;"
        f" python -m seedbundle --version {paths_text}{old}."
    )


def baseline_table(baseline: Baseline) -> str:
    rows = [
        [
            operation,
            f"{baseline.payload / MB / baseline.seconds['1.0'][operation]:,.1f}",
            f"{baseline.payload / MB / baseline.seconds['pure'][operation]:,.1f}",
            f"{baseline.ratio(operation):.2f}",
        ]
        for operation in BASELINE_OPERATIONS
    ]
    title = (
        f"### The pure path against 1.0 ({baseline.ref}), {baseline.repeat} alternating fresh processes each,"
        f" on the largest corpus ({baseline.payload / MB:,.1f} MB)"
    )
    return title + "\n\n" + markdown_table(["operation", "1.0 MB/s", "pure MB/s", "x 1.0"], rows)


def peak_summary(peak: PeakResult) -> str:
    return (
        f"Streaming {peak.reader} on a {peak.file_size / MB:,.0f} MB bundle"
        f" ({peak.entries:,} entries, {peak.payload / MB:,.0f} MB of data, written by the"
        f" streaming writer at {peak.payload / MB / peak.write_seconds:,.0f} MB/s):"
        f" read at {peak.payload / MB / peak.seconds:,.0f} MB/s;"
        f" peak RSS {peak.peak / MB:,.1f} MB, baseline after the imports"
        f" {peak.baseline / MB:,.1f} MB, largest entry {peak.largest / MB:,.2f} MB."
    )


def environment_line(stat: str) -> str:
    native = "loaded" if NATIVE in paths() else native_missing()
    notes = "".join(f" {peer}: {note}." for peer, note in PEERS_NOTE.items())
    return (
        f"Python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs,"
        f" seedbundle {seedbundle.__version__}; native path (seedbundle._speedups): {native};"
        f" {stat} of the rounds. MB = 10^6 bytes of entry data, the same for every competitor but the"
        f" 'no markers' ones, whose files lack the injected lines.{notes}"
    )


# -- profiling -----------------------------------------------------------------


def profile(corpus: Pairs, plain_corpus: Pairs, size: int, keys: Sequence[str], directory: Path) -> None:
    workload = prepare(corpus, plain_corpus, size, directory)
    competitors = {c.key: c for c in workload.competitors()}
    for key in keys:
        competitor = competitors.get(key)
        if competitor is None:
            raise SystemExit(f"unknown competitor {key!r}: choose from {', '.join(competitors)}")
        profiler = cProfile.Profile()
        gc.collect()
        profiler.enable()
        competitor.run()
        profiler.disable()
        print(f"\n## cProfile of {competitor.label} on {workload.payload / MB:,.1f} MB\n")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


# -- command line --------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = sorted({round(float(part) * MB) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of sizes in MB: {text!r}") from None
    if not sizes or sizes[0] <= 0:
        raise argparse.ArgumentTypeError("sizes must be positive numbers of MB")
    return sizes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark seedbundle against a find-split floor, a join, zipfile, tarfile,"
        " Go's txtar, files-to-prompt and its own 1.0 release."
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=parse_sizes("5,50,200"),
        help="corpus sizes in MB, comma-separated (default: 5,50,200)",
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="rounds at each size of 20 MB or more (default: 5)"
    )
    parser.add_argument(
        "--stat", choices=("best", "median"), default="best", help="how rounds are summarized"
    )
    parser.add_argument("--skip-1gb", action="store_true", help="skip the 1 GB peak-memory run")
    parser.add_argument("--quick", action="store_true", help="same as --sizes 5,50 --repeat 3 --skip-1gb")
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    parser.add_argument(
        "--no-install",
        action="store_true",
        help="do not install files-to-prompt into a temporary virtual environment when it is missing",
    )
    parser.add_argument(
        "--baseline",
        metavar="REF",
        default=BASELINE_REF,
        help=f"the git commit of 1.0 that the pure path is held to (default: {BASELINE_REF})",
    )
    parser.add_argument(
        "--startup-runs", type=int, default=20, help="runs of each start-up command (default: 20)"
    )
    parser.add_argument(
        "--profile",
        metavar="KEYS",
        help="instead of timing, cProfile these competitors (comma-separated keys,"
        " e.g. loads,dumps) at the largest size",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat, args.skip_1gb = parse_sizes("5,50"), 3, True
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    log(f"paths: {', '.join(paths())}" + ("" if NATIVE in paths() else f" (native {native_missing()})"))
    log("building the corpus (cached in benchmarks/.corpus/) ...")
    plain_corpus = build_corpus()
    corpus = mark_corpus(plain_corpus)
    log(f"corpus: {len(corpus):,} files, {sum(len(d) for _, d in corpus) / MB:,.1f} MB")
    summarize = min if args.stat == "best" else statistics.median
    with tempfile.TemporaryDirectory(prefix="seedbundle-bench-") as temporary:
        directory = Path(temporary)
        if args.profile:
            profile(corpus, plain_corpus, args.sizes[-1], args.profile.split(","), directory)
            return 0
        results = [run_size(corpus, plain_corpus, size, args, directory) for size in args.sizes]
        largest = results[-1]
        old = baseline_sources(args.baseline, directory / "seedbundle-1.0")
        baseline = measure_baseline(
            old, directory / f"corpus-{largest.size}.bundle", largest.payload, args.repeat, summarize
        )
        startup = measure_startup(args.startup_runs, old)
        peaks = [] if args.skip_1gb else measure_peaks(corpus, directory)
    # In temporary directories of their own, so that they need no disk space on top of the 1 GB test.
    trees = run_trees(args.repeat, install=not args.no_install)
    smallest = results[0]
    kept = zip_targets(largest)
    if largest is not smallest:
        kept += linearity_targets(smallest, largest)
    kept.append(peak_target(peaks))
    context = context_rows(smallest, largest)
    context += [[f"{peak.reader} peak RSS on >= 1 GB", peak_measured(peak)] for peak in peaks[1:]]
    sections = [
        "## seedbundle benchmark",
        environment_line(args.stat),
        f"### Targets (speed ratios at {largest.payload / MB:,.1f} MB; trees: medians)",
        targets_table(issue_targets(largest, trees, startup, baseline)),
        "### Targets kept from 1.0",
        targets_table(kept),
        *(size_table(result) for result in results),
        "### Context (not targets)",
        markdown_table(["measure", "value"], context, right=2),
        *(peak_summary(peak) for peak in peaks),
        *([baseline_table(baseline)] if baseline else []),
        *trees_sections(trees),
        startup_summary(startup),
    ]
    report = "\n\n".join(sections) + "\n"
    print(report, end="")
    if args.markdown:
        args.markdown.write_text(report, encoding="utf-8")
    # Missed targets are reported, not signalled: timings on shared machines are too noisy.
    return 0


if __name__ == "__main__":
    sys.exit(main())
