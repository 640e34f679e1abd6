"""Throughput and memory benchmarks for seedbundle, printed as ratios to references.

Run ``python benchmarks/bench.py`` (``--help`` lists the options);
``benchmarks/README.md`` explains what is measured and how to read it.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import itertools
import json
import os
import pstats
import random
import shutil
import stat
import statistics
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import seedbundle

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

Pairs = list[tuple[str, bytes]]


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

        return [
            read("split", "regex split (reference)", lambda: reference_split(document)),
            read("loads", "seedbundle.loads", lambda: seedbundle.loads(document)),
            read("reader_mem", "reader (BytesIO)", lambda: stream_read(io.BytesIO(document))),
            read("reader_file", "reader (file)", lambda: stream_read(path)),
            read("zip_read", "zipfile read", lambda: zip_read(zip_bytes)),
            read("tar_read", "tarfile read", lambda: tar_read(tar_bytes)),
            read("split_plain", "regex split, no markers", lambda: reference_split(plain), "split_plain"),
            read(
                "loads_plain", "seedbundle.loads, no markers", lambda: seedbundle.loads(plain), "split_plain"
            ),
            write("join", "join (reference)", lambda: reference_join(bundle)),
            write("dumps", "seedbundle.dumps", lambda: seedbundle.dumps(bundle)),
            write("writer", "writer (BytesIO)", lambda: stream_write(bundle)),
            write("zip_write", "zipfile write (stored)", lambda: zip_write(bundle)),
            write("tar_write", "tarfile write", lambda: tar_write(bundle)),
            write("join_str", "join + .decode() (str)", lambda: reference_join(bundle).decode("utf-8")),
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
    if seedbundle.loads(workload.document) != workload.bundle:
        problems.append("loads(dumps(bundle)) != bundle")
    for label, source in (("BytesIO", io.BytesIO(workload.document)), ("file", workload.path)):
        if [(entry.name, entry.data) for entry in stream_read(source)] != expected:
            problems.append(f"the reader ({label}) does not give back the entries")
    if stream_write(workload.bundle) != workload.document:
        problems.append("the writer and dumps disagree")
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
    log("reading it with the streaming reader in a fresh interpreter ...")
    completed = subprocess.run(
        [sys.executable, str(PEAK_CHILD), str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(completed.stdout)
    result = PeakResult(
        reader="reader",
        file_size=path.stat().st_size,
        entries=report["entries"],
        payload=report["payload"],
        largest=report["largest"],
        baseline=report["baseline"],
        peak=report["peak"],
        seconds=report["seconds"],
        write_seconds=write_seconds,
    )
    path.unlink()
    return [result]


# -- the standard library as a tree of files ----------------------------------

STDLIB_SKIP_DIRS = frozenset({"__pycache__", "site-packages", "dist-packages"})
# Not a valid module name, so that it shadows nothing on the commands' sys.path.
TREE_NAME = "stdlib-tree"
# (name, data, executable) of every file in a tree or an archive.
FileRecords = Iterator[tuple[str, bytes, bool]]


def copy_stdlib(target: Path) -> dict[str, bool] | None:
    """Copy the stdlib's readable regular files to ``target``: name -> executable bit.

    site-packages, __pycache__ and links are left out. The copy is what every
    competitor packs, because the tarfile command has no exclude option.
    None if the standard library is not a directory here (a zip).
    """
    root = Path(sysconfig.get_paths()["stdlib"])
    if not root.is_dir():
        return None
    files: dict[str, bool] = {}
    # os.walk does not descend into links to directories.
    for dirpath, dirnames, filenames in os.walk(root):
        current = Path(dirpath)
        dirnames[:] = sorted(name for name in dirnames if name not in STDLIB_SKIP_DIRS)
        for filename in sorted(filenames):
            path = current / filename
            mode = path.lstat().st_mode
            if not stat.S_ISREG(mode) or not os.access(path, os.R_OK):
                continue
            name = path.relative_to(root).as_posix()
            destination = target / name
            # Only directories that hold files: an empty one would make pack warn.
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, destination)
            files[name] = bool(mode & stat.S_IXUSR)
    return files


def pack_tree(tree: Path, out: Path) -> None:
    seedbundle.pack_to(tree, out, gitignore=False)


def tar_tree(tree: Path, out: Path) -> None:
    with tarfile.open(out, "w") as archive:
        for name in sorted(os.listdir(tree)):
            archive.add(tree / name, arcname=name)


def untar(archive_path: Path, out: Path) -> None:
    with tarfile.open(archive_path) as archive:
        archive.extractall(out, filter="data")


def run_command(command: Sequence[str], cwd: Path) -> None:
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)


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


@dataclass
class TreeWorkload:
    """The copy of the stdlib, with a bundle and a tar of it, checked."""

    scratch: Path
    files: dict[str, bool]
    payload: int
    bundle_path: Path
    tar_path: Path

    @property
    def tree(self) -> Path:
        return self.scratch / TREE_NAME

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

    def competitors(self) -> list[Competitor]:
        tree, scratch, bundle_path, tar_path = self.tree, self.scratch, self.bundle_path, self.tar_path

        def competitor(key: str, label: str, reference: str, run: Callable[[Path], object]) -> Competitor:
            out = scratch / f"out-{key}"
            return Competitor(key, label, reference, lambda: run(out), self.payload, lambda: remove(out))

        def command(key: str, label: str, reference: str, *program: str) -> Competitor:
            def run(out: Path) -> None:
                # Both commands take the output, then the tree, relative to the scratch directory.
                run_command([sys.executable, *program, str(out), TREE_NAME], scratch)

            return competitor(key, label, reference, run)

        return [
            competitor("pack", "pack: seedbundle.pack_to", "tar_pack", lambda out: pack_tree(tree, out)),
            competitor("tar_pack", "pack: tarfile add", "tar_pack", lambda out: tar_tree(tree, out)),
            competitor(
                "unpack",
                "unpack: seedbundle.unpack_from",
                "tar_unpack",
                lambda out: seedbundle.unpack_from(bundle_path, out),
            ),
            competitor(
                "tar_unpack",
                'unpack: tarfile extractall (filter="data")',
                "tar_unpack",
                lambda out: untar(tar_path, out),
            ),
            command(
                "command_pack",
                "command: python -m seedbundle pack",
                "command_tar",
                *("-m", "seedbundle", "pack", "--no-ignore", "-o"),
            ),
            command("command_tar", "command: python -m tarfile -c", "command_tar", "-m", "tarfile", "-c"),
        ]


def prepare_tree(scratch: Path) -> TreeWorkload | None:
    files = copy_stdlib(scratch / TREE_NAME)
    if files is None:
        return None
    workload = TreeWorkload(
        scratch=scratch,
        files=files,
        payload=sum((scratch / TREE_NAME / name).stat().st_size for name in files),
        bundle_path=scratch / "stdlib.bundle",
        tar_path=scratch / "stdlib.tar",
    )
    pack_tree(workload.tree, workload.bundle_path)
    tar_tree(workload.tree, workload.tar_path)
    check_tree(workload)
    return workload


def check_tree(workload: TreeWorkload) -> None:
    """Run every competitor once and make sure that it did the whole job (this also warms the caches)."""
    scratch = workload.scratch
    checks: dict[str, Callable[[Path], bool]] = {
        "pack": lambda out: out.read_bytes() == workload.bundle_path.read_bytes(),
        "tar_pack": lambda out: workload.holds_the_files(tar_records(out)),
        "unpack": lambda out: workload.holds_the_files(directory_records(out)),
        "tar_unpack": lambda out: workload.holds_the_files(directory_records(out)),
        # pack is deterministic, so the command must write the very same bundle.
        "command_pack": lambda out: out.read_bytes() == workload.bundle_path.read_bytes(),
        "command_tar": lambda out: workload.holds_the_files(tar_records(out, f"{TREE_NAME}/")),
    }
    problems = []
    if not workload.holds_the_files(bundle_records(workload.bundle_path)):
        problems.append("pack_to does not store the files")
    for competitor in workload.competitors():
        competitor.run()
        if not checks[competitor.key](scratch / f"out-{competitor.key}"):
            problems.append(f"{competitor.label} does not do the whole job")
        if competitor.cleanup is not None:
            competitor.cleanup()
    if problems:
        raise SystemExit("stdlib tree benchmark inputs are wrong: " + "; ".join(problems))


@dataclass
class TreeResult:
    files: int
    payload: int
    bundle_size: int
    tar_size: int
    repeat: int
    labels: dict[str, str]
    references: dict[str, str]
    seconds: dict[str, float]

    def rate(self, key: str) -> float:
        return self.payload / MB / self.seconds[key]

    def ratio(self, key: str) -> float:
        return self.seconds[self.references[key]] / self.seconds[key]


def run_tree(repeat: int) -> TreeResult | None:
    """Pack and unpack a copy of the stdlib, and tarfile alike, medians of interleaved rounds."""
    with tempfile.TemporaryDirectory(prefix="seedbundle-bench-tree-") as temporary:
        log("copying the standard library ...")
        workload = prepare_tree(Path(temporary))
        if workload is None:
            return None
        competitors = workload.competitors()
        log(f"timing the stdlib tree: {len(competitors)} competitors x {repeat} rounds ...")
        times = time_round_robin(competitors, repeat)
        return TreeResult(
            files=len(workload.files),
            payload=workload.payload,
            bundle_size=workload.bundle_path.stat().st_size,
            tar_size=workload.tar_path.stat().st_size,
            repeat=repeat,
            labels={c.key: c.label for c in competitors},
            references={c.key: c.reference for c in competitors},
            # Medians whatever --stat says: the best of a few rounds of disk writes is mostly luck.
            seconds={key: statistics.median(values) for key, values in times.items()},
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
    measured: str
    met: bool | None  # None: not measured in this run


def speed_targets(largest: SizeResult) -> list[Target]:
    targets = []
    for key in ("loads", "reader_mem", "reader_file"):
        label = largest.labels[key]
        versus_split = largest.ratio(key, "split")
        versus_zip = largest.ratio(key, "zip_read")
        targets.append(Target(f"{label} >= 0.8 x regex split", f"{versus_split:.2f} x", versus_split >= 0.8))
        targets.append(Target(f"{label} >= 1.5 x zipfile read", f"{versus_zip:.2f} x", versus_zip >= 1.5))
    for key in ("dumps", "writer"):
        versus_join = largest.ratio(key, "join")
        targets.append(
            Target(
                f"{largest.labels[key]} >= 0.8 x join",
                f"{versus_join:.2f} x",
                versus_join >= 0.8,
            )
        )
    return targets


def linearity_targets(smallest: SizeResult, largest: SizeResult) -> list[Target]:
    targets = []
    span = f"{smallest.size / MB:g} -> {largest.size / MB:g} MB"
    for key in ("loads", "reader_mem", "reader_file", "dumps", "writer"):
        small, large = smallest.rate(key), largest.rate(key)
        change = large / small - 1
        targets.append(
            Target(
                f"{largest.labels[key]} linear {span} (MB/s within 10 %)",
                f"{small:,.0f} -> {large:,.0f} MB/s ({change:+.0%})",
                abs(change) <= 0.10,
            )
        )
    return targets


def peak_target(peak: PeakResult | None) -> Target:
    goal = "reader peak RSS on >= 1 GB <= largest entry + 64 MB"
    if peak is None:
        return Target(goal, "skipped (--skip-1gb)", None)
    return Target(goal, peak_measured(peak), peak.over_baseline <= peak.limit)


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
    rows.append(
        [
            "seedbundle.loads vs regex split, both on the files without injected markers",
            f"{largest.ratio('loads_plain', 'split_plain'):.2f} x",
        ]
    )
    rows.append(
        [
            "seedbundle.dumps vs join + .decode() (what a str result costs at least)",
            f"{largest.ratio('dumps', 'join_str'):.2f} x",
        ]
    )
    rows.append(
        [
            "seedbundle.dumps vs writer (BytesIO) (the cost of returning str)",
            f"{largest.ratio('dumps', 'writer'):.2f} x",
        ]
    )

    return rows


def targets_table(targets: Sequence[Target]) -> str:
    verdict = {True: "yes", False: "NO", None: "n/a"}
    rows = [[target.goal, target.measured, verdict[target.met]] for target in targets]
    return markdown_table(["target", "measured", "met"], rows, right=3)


def tree_table(result: TreeResult) -> str:
    rows = [
        [
            label,
            f"{result.seconds[key]:,.2f}",
            f"{result.rate(key):,.1f}",
            f"{result.ratio(key):.2f}",
        ]
        for key, label in result.labels.items()
    ]
    title = (
        f"### stdlib tree: pack/unpack vs tarfile, medians of {result.repeat} rounds\n\n"
        f"{result.files:,} files, {result.payload / MB:,.1f} MB (bundle {result.bundle_size / MB:,.1f} MB,"
        f" tar {result.tar_size / MB:,.1f} MB): the standard library without site-packages,"
        " __pycache__ and links, copied to a temporary directory."
    )
    header = ["competitor", "seconds", "MB/s", "x tarfile"]
    return title + "\n\n" + markdown_table(header, rows)


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
    return (
        f"Python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs,"
        f" seedbundle {seedbundle.__version__}; {stat} of the rounds. MB = 10^6 bytes of entry"
        " data, the same for every competitor but the 'no markers' ones, whose files lack the"
        " injected lines."
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
        description="Benchmark seedbundle against a regex split, a join, zipfile and tarfile."
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
    log("building the corpus (cached in benchmarks/.corpus/) ...")
    plain_corpus = build_corpus()
    corpus = mark_corpus(plain_corpus)
    log(f"corpus: {len(corpus):,} files, {sum(len(d) for _, d in corpus) / MB:,.1f} MB")
    with tempfile.TemporaryDirectory(prefix="seedbundle-bench-") as temporary:
        directory = Path(temporary)
        if args.profile:
            profile(corpus, plain_corpus, args.sizes[-1], args.profile.split(","), directory)
            return 0
        results = [run_size(corpus, plain_corpus, size, args, directory) for size in args.sizes]
        peaks = [] if args.skip_1gb else measure_peaks(corpus, directory)
    # In a temporary directory of its own, so that it needs no disk space on top of the 1 GB test.
    tree = run_tree(args.repeat)
    smallest, largest = results[0], results[-1]
    targets = speed_targets(largest)
    if largest is not smallest:
        targets += linearity_targets(smallest, largest)
    targets.append(peak_target(peaks[0] if peaks else None))
    context = context_rows(smallest, largest)
    context += [[f"{peak.reader} peak RSS on >= 1 GB", peak_measured(peak)] for peak in peaks[1:]]
    sections = [
        "## seedbundle benchmark",
        environment_line(args.stat),
        *(size_table(result) for result in results),
        f"### Targets (speed ratios at {largest.payload / MB:,.1f} MB)",
        targets_table(targets),
        "### Context (not targets)",
        markdown_table(["measure", "value"], context, right=2),
        *(peak_summary(peak) for peak in peaks),
        tree_table(tree)
        if tree
        else "### stdlib tree: skipped (the standard library is not a directory here)",
    ]
    report = "\n\n".join(sections) + "\n"
    print(report, end="")
    if args.markdown:
        args.markdown.write_text(report, encoding="utf-8")
    # Missed targets are reported, not signalled: timings on shared machines are too noisy.
    return 0


if __name__ == "__main__":
    sys.exit(main())
