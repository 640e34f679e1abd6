"""Ray Data: bundle shards through seedbundle.ray.read_bundles, next to the same rows as JSONL through read_json.

Run ``python benchmarks/bench_ray.py`` (``--help`` lists the options). It
writes the engine corpus (``engine_corpus.write_corpus``: 8 shards of 1000
articles of about 2 KB, as bundles and as JSON Lines) to a temporary folder,
starts a local Ray instance with ``num_cpus=2``, and times, in interleaved
rounds, reading every row into Ray's object store (``materialize()``):

- ``read_bundles``: ``seedbundle.ray.read_bundles(bundle shards)``, one block per shard;
- ``read_bundles blocksize``: the same, in byte ranges of a quarter of a shard;
- ``read_json``: ``ray.data.read_json(JSONL shards, lines=True)``, Ray's own
  reader (pyarrow's JSON parser in C++).

Each round first checks the row count. It prints rows per second (best and
median of the rounds) and the ratio of each time to read_json's. It always
exits with status 0: timings on a shared machine are reported, not asserted.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import ray
from engine_corpus import write_corpus

from seedbundle.ray import read_bundles


def _quiet() -> None:
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray").setLevel(logging.ERROR)
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    warnings.simplefilter("ignore", DeprecationWarning)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=8, help="shards (default 8)")
    parser.add_argument("--rows", type=int, default=1000, help="articles per shard (default 1000)")
    parser.add_argument("--repeat", type=int, default=7, help="rounds (default 7)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        corpus = write_corpus(Path(folder), shards=args.shards, rows_per_shard=args.rows)
        blocksize = corpus.bundle_bytes // args.shards // 4 + 1
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
        try:
            _quiet()
            competitors: dict[str, Callable[[], int]] = {
                "read_bundles": lambda: read_bundles(corpus.bundles).materialize().count(),
                "read_bundles blocksize": lambda: (
                    read_bundles(corpus.bundles, blocksize=blocksize).materialize().count()
                ),
                "read_json": lambda: ray.data.read_json(corpus.jsonl, lines=True).materialize().count(),
            }
            for run in competitors.values():  # warm up: worker processes, imports
                assert run() == corpus.rows
            times: dict[str, list[float]] = {label: [] for label in competitors}
            for _ in range(args.repeat):
                for label, run in competitors.items():
                    start = time.perf_counter()
                    count = run()
                    times[label].append(time.perf_counter() - start)
                    assert count == corpus.rows, (label, count)
        finally:
            ray.shutdown()
    print(
        f"Ray {ray.__version__}, num_cpus=2: {args.shards} shards x {args.rows} articles,"
        f" bundles {corpus.bundle_bytes / 1e6:.1f} MB, JSONL {corpus.jsonl_bytes / 1e6:.1f} MB,"
        f" {args.repeat} rounds, materialize()"
    )
    reference_best = min(times["read_json"])
    reference_median = statistics.median(times["read_json"])
    print(f"{'reader':<24} {'best rows/s':>12} {'median rows/s':>14} {'best/json':>10} {'median/json':>12}")
    for label, rounds in times.items():
        best, median = min(rounds), statistics.median(rounds)
        print(
            f"{label:<24} {corpus.rows / best:12,.0f} {corpus.rows / median:14,.0f}"
            f" {best / reference_best:9.2f}x {median / reference_median:11.2f}x"
        )


if __name__ == "__main__":
    main()
