"""``loads``, the reader and the writer do not leak, on the C accelerator or off it.

A new interpreter runs the same bundle through them many times: a warm-up,
then two equal halves. After each part it counts Python's allocated memory
blocks (``sys.getallocatedblocks``, which a leaked object or reference
keeps) and the resident set size (which a leaked C buffer or a large
object raises). Neither may grow over a half by more than a bound far
below what one leaked object per call would add. The run uses whichever
path the test run is on: CI runs the suite on the accelerator and again
with ``SEEDBUNDLE_PURE=1``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from seedbundle import _native

ROUNDS = 100  # iterations in each half; every iteration makes about 16 calls into the library
MiB = 1 << 20

SCRIPT = r"""
import gc, io, json, os, sys
import seedbundle
from seedbundle import _native

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


text_body = "".join(f"line {n}: <<<FILE not a marker>>> \\<<<END 1>>> héllo\n" for n in range(400))
bundle = seedbundle.Bundle(
    [
        seedbundle.Entry("docs/a.md", text_body),
        seedbundle.Entry("<<<odd>>> name", "<<<END 0>>>\n\\\\<<<FILE x>>>\n" * 50),
        seedbundle.Entry("data/blob.bin", bytes(range(256)) * 400, executable=True),
        seedbundle.Entry("noeol.txt", "no final newline" * 100),
        seedbundle.Entry("crlf.txt", "a\r\nb\r\n" * 500),
    ],
    comment="leak loop",
)
text = seedbundle.dumps(bundle, sha256=True)
data = text.encode("utf-8")
broken = data.replace(b"<<<END 5>>>", b"<<<END 4>>>")  # declined by C, raised by Python


def once():
    assert seedbundle.loads(data) == bundle
    assert seedbundle.loads(text) == bundle
    assert seedbundle.loads(data, strict=False) == bundle
    try:
        seedbundle.loads(broken)
    except seedbundle.BundleDecodeError:
        pass
    else:
        raise AssertionError("the broken bundle was read")
    assert seedbundle.dumps(bundle, sha256=True) == text
    assert seedbundle.dumps(bundle) != ""
    out = io.BytesIO()
    with seedbundle.open(out, "w", comment="leak loop", sha256=True) as writer:
        for entry in bundle.entries:
            writer.add(entry)
    assert out.getvalue() == data
    with seedbundle.BundleReader(io.BytesIO(data), chunk_size=8192) as reader:
        assert list(reader) == list(bundle.entries)
    with seedbundle.BundleReader(io.BytesIO(data)) as reader:
        assert reader["data/blob.bin"] == bundle.entries[2]


def measure():
    gc.collect()
    return sys.getallocatedblocks(), rss()


rounds = int(sys.argv[1])
for _ in range(rounds // 2):
    once()
marks = [measure()]
for _ in range(2):
    for _ in range(rounds):
        once()
    marks.append(measure())
path = "pure" if _native.speedups is None else _native.speedups.__file__
print(json.dumps({"path": path, "marks": marks, "size": len(data)}))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads the resident set size from /proc")
def test_loads_the_reader_and_the_writer_do_not_leak() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROUNDS)], capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    expected = "pure" if _native.speedups is None else _native.speedups.__file__
    assert report["path"] == expected, "the loop ran on another path than the tests"
    (blocks0, rss0), (blocks1, rss1), (blocks2, rss2) = report["marks"]
    summary = (
        f"on {report['path']}, {ROUNDS} rounds per half of a {report['size']}-byte bundle:"
        f" blocks {blocks0} -> {blocks1} -> {blocks2}, RSS {rss0 / MiB:.1f} -> {rss1 / MiB:.1f}"
        f" -> {rss2 / MiB:.1f} MiB"
    )
    # One object leaked per call would add over 16 blocks a round, and even one
    # per round shows in both halves alike; a leaked copy of the bundle, or of
    # one entry, adds several MiB a half. Caches that fill on first use (seen:
    # about 60 blocks) may still grow in the first half, never in the second.
    assert blocks1 - blocks0 < 2 * ROUNDS, f"allocated blocks grow: {summary}"
    assert blocks2 - blocks1 < ROUNDS // 2, f"allocated blocks grow: {summary}"
    for growth in (rss1 - rss0, rss2 - rss1):
        assert growth < 4 * MiB, f"the resident set grows: {summary}"
