"""Bundle shards through seedbundle.huggingface, next to the same rows as JSONL through datasets' JSON loader.

Run ``python benchmarks/bench_huggingface.py`` (``--help`` lists the options).
It writes the engine corpus (``engine_corpus.write_corpus``: 8 shards of 1000
articles of about 2 KB, as bundles and as JSONL) to a temporary folder, then
times, in one run, the best of ``--repeat`` rounds of:

- building a ``Dataset`` (into a fresh cache each time) with
  ``seedbundle.huggingface.load_dataset``, with ``datasets.load_dataset("json")``
  on the JSONL shards, and, for comparison, with ``Dataset.from_generator``
  fed the same bundle rows one dict at a time;
- the same with ``num_proc=2``;
- iterating every row of the streaming ``IterableDataset`` of both, as
  Python dicts and as Arrow batches (``with_format("arrow")``);
- the ``Dataset`` again, with pyarrow's JSON reader held to one thread
  (``pyarrow.set_cpu_count(1)``), as seedbundle's reader, pure Python, runs
  on one core.

It prints rows per second and the ratio of the bundle time to the JSONL
time. It always exits with status 0: timings on a shared machine are
reported, not asserted.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ["HF_DATASETS_OFFLINE"] = "1"  # before datasets is imported: it reads the variable once

import datasets
import pyarrow as pa
from bench_rows import best_time
from engine_corpus import write_corpus

from seedbundle._shards import iter_rows, read_shard
from seedbundle.huggingface import features, load_dataset

_fresh = itertools.count()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--rows-per-shard", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args(argv)
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        corpus = write_corpus(folder / "corpus", shards=options.shards, rows_per_shard=options.rows_per_shard)

        def cache() -> str:
            return str(folder / f"cache-{next(_fresh)}")

        def bundle_dataset(num_proc: int | None = None) -> Any:
            return load_dataset(corpus.bundles, cache_dir=cache(), num_proc=num_proc)

        def json_dataset(num_proc: int | None = None) -> Any:
            return datasets.load_dataset(
                "json", data_files=corpus.jsonl, split="train", cache_dir=cache(), num_proc=num_proc
            )

        def generator_dataset() -> Any:
            return datasets.Dataset.from_generator(
                _generate, features=features(), gen_kwargs={"shards": corpus.bundles}, cache_dir=cache()
            )

        def bundle_stream() -> Any:
            return load_dataset(corpus.bundles, streaming=True, cache_dir=cache())

        def json_stream() -> Any:
            return datasets.load_dataset(
                "json", data_files=corpus.jsonl, split="train", streaming=True, cache_dir=cache()
            )

        _check(bundle_dataset(), json_dataset(), bundle_stream(), corpus.rows)
        rows: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
            ("Dataset", bundle_dataset, json_dataset),
            ("Dataset, from_generator (dicts)", generator_dataset, json_dataset),
            ("Dataset, num_proc=2", lambda: bundle_dataset(2), lambda: json_dataset(2)),
            ("IterableDataset, dicts", lambda: _drain(bundle_stream()), lambda: _drain(json_stream())),
            (
                "IterableDataset, Arrow batches",
                lambda: _drain_arrow(bundle_stream()),
                lambda: _drain_arrow(json_stream()),
            ),
            # pyarrow's JSON reader parses on every core; seedbundle's reader is Python, on one.
            ("Dataset, JSON reader on 1 thread", bundle_dataset, lambda: _one_thread(json_dataset)),
        ]
        print(
            f"{corpus.rows} rows in {len(corpus.bundles)} shards: bundles {corpus.bundle_bytes / 1e6:.1f} MB,"
            f" JSONL {corpus.jsonl_bytes / 1e6:.1f} MB; best of {options.repeat}; datasets {datasets.__version__}"
        )
        print(f"| {'what':<32} | {'bundle rows/s':>13} | {'JSONL rows/s':>12} | {'bundle/JSONL time':>17} |")
        print(f"| {'-' * 32} | {'-' * 13}:| {'-' * 12}:| {'-' * 17}:|")
        for what, bundle, jsonl in rows:
            times = [0.0, 0.0]
            for _ in range(options.repeat):  # interleaved, so that a burst of load hits both
                times[0] = min(times[0] or float("inf"), best_time(bundle, 1))
                times[1] = min(times[1] or float("inf"), best_time(jsonl, 1))
            bundle_time, jsonl_time = times
            print(
                f"| {what:<32} | {corpus.rows / bundle_time:>13,.0f} | {corpus.rows / jsonl_time:>12,.0f}"
                f" | {bundle_time / jsonl_time:>17.2f} |"
            )
    return 0


def _one_thread(run: Callable[[], object]) -> object:
    threads = pa.cpu_count()
    pa.set_cpu_count(1)
    try:
        return run()
    finally:
        pa.set_cpu_count(threads)


def _generate(shards: list[str]) -> Iterator[dict[str, Any]]:
    for shard in shards:
        yield from iter_rows(read_shard(shard).columns)


def _drain(stream: Any) -> int:
    count = 0
    for _row in stream:
        count += 1
    return count


def _drain_arrow(stream: Any) -> int:
    return sum(len(batch) for batch in stream.with_format("arrow").iter(batch_size=1000))


def _check(bundle: Any, jsonl: Any, stream: Any, rows: int) -> None:
    """Both readers give every row, the same ones; the stream gives the Dataset's rows."""
    assert bundle.num_rows == jsonl.num_rows == rows, (bundle.num_rows, jsonl.num_rows, rows)
    assert bundle["title"] == jsonl["title"]
    assert bundle["text"] == jsonl["text"]
    # pyarrow's JSON reader takes the YYYY-MM-DD strings for timestamps.
    assert bundle["date"] == [moment.date() for moment in jsonl["date"]]
    assert next(iter(stream)) == bundle[0]


if __name__ == "__main__":
    sys.exit(main())
