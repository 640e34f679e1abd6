"""Shard rows in one process: ``read_shard`` of bundle shards next to ``json.loads`` of the same rows as JSONL.

Run ``python benchmarks/bench_shards.py`` (``--help`` lists the options). It
writes the engine benchmarks' corpus (``engine_corpus.write_corpus``: 8
shards of 1000 articles of about 2 KB), then times, in interleaved rounds,
reading every row of every shard:

- ``json.loads``: each JSONL file read, then ``json.loads`` of each line;
  the reference, which checks nothing and leaves the date a string;
- ``read_shard``: ``seedbundle.read_shard`` of each bundle shard, every check
  of ``load`` included, rows as columns with the date a ``datetime.date``;
- ``read_shard, byte ranges``: the same shards in 256 KiB byte ranges.

It prints rows per second and each time's ratio to ``json.loads`` (the target:
at most 1.0). It always exits with status 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_corpus import write_corpus

import seedbundle
from seedbundle import _native


def _jsonl(paths: list[str]) -> int:
    rows = 0
    for path in paths:
        with open(path, encoding="utf-8") as file:
            rows += len([json.loads(line) for line in file])
    return rows


def _bundles(paths: list[str], blocksize: int | None) -> int:
    rows = 0
    for path in paths:
        if blocksize is None:
            rows += len(seedbundle.read_shard(path))
        else:
            spans = seedbundle.byte_ranges(seedbundle.shard_size(path), blocksize)
            rows += sum(len(seedbundle.read_shard(path, byte_range=span)) for span in spans)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--rows", type=int, default=1000, help="rows per shard (default 1000)")
    parser.add_argument("--repeat", type=int, default=7, help="rounds; the best counts (default 7)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-shards-"))
    corpus = write_corpus(folder, shards=args.shards, rows_per_shard=args.rows)
    competitors: dict[str, Callable[[], int]] = {
        "json.loads": lambda: _jsonl(corpus.jsonl),
        "read_shard": lambda: _bundles(corpus.bundles, None),
        "read_shard, byte ranges": lambda: _bundles(corpus.bundles, 256 * 1024),
    }
    paths = {"native": _native.speedups is not None, "pure": True}
    times: dict[str, list[float]] = {}
    import time

    for _ in range(args.repeat):
        for path, available in paths.items():
            if not available:
                continue
            for label, run in competitors.items():
                if path == "pure" and label == "json.loads":
                    continue
                key = label if label == "json.loads" else f"{label} ({path})"
                start = time.perf_counter()
                if path == "pure":
                    with _native.pure_path():
                        count = run()
                else:
                    count = run()
                times.setdefault(key, []).append(time.perf_counter() - start)
                assert count == corpus.rows, (key, count)
    print(
        f"{corpus.rows} rows in {args.shards} shards: {corpus.bundle_bytes / 1e6:.1f} MB of bundles,"
        f" {corpus.jsonl_bytes / 1e6:.1f} MB of JSONL; best of {args.repeat}"
    )
    if not paths["native"]:
        print("(the C accelerator is not built: only the pure path is timed)")
    reference = min(times["json.loads"])
    for key, values in times.items():
        best = min(values)
        verdict = (
            "" if key == "json.loads" else ("  met" if best <= reference else "  MISSED (target <= 1.00x)")
        )
        print(f"{key:>32}: {corpus.rows / best:10,.0f} rows/s  {best / reference:5.2f}x json.loads{verdict}")


if __name__ == "__main__":
    main()
