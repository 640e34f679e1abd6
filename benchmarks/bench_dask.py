"""Bundle shards through seedbundle.dask, next to the same rows as JSONL through Dask's own readers.

Run ``python benchmarks/bench_dask.py`` (``--help`` lists the options). It
writes the engine corpus (``engine_corpus.write_corpus``: 8 shards of 1000
articles of about 2 KB, as bundles and as JSONL), checks that both give the
same rows, then times, on each scheduler asked for, the same job on both:

- bag: ``seedbundle.dask.read_bag(bundles)`` next to
  ``dask.bag.read_text(jsonl).map(json.loads)``, counted with ``.count()``;
- dataframe: ``seedbundle.dask.read_dataframe(bundles)`` next to
  ``dask.dataframe.read_json(jsonl, lines=True)``, each partition's length
  computed with ``map_partitions(len)``;
- the same two with byte ranges (``blocksize=``) on both sides.

Each job builds every row on the workers and sends only counts back, so
the time is that of reading and building rows, not of moving them to the
client. The schedulers are ``sync`` (one thread: the cost per row) and
``distributed``, a ``LocalCluster`` of two worker processes with one thread
each (the cluster's start is not timed). It prints rows per second and the
ratio of bundle time to JSONL time (below 1: the bundles are faster), the
best of interleaved rounds, and
always exits with status 0: timings on a shared machine are reported, not
asserted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dask.bag
import dask.dataframe as dd
from bench_rows import best_time
from engine_corpus import Corpus, write_corpus

import seedbundle.dask as sd


def _jobs(corpus: Corpus, blocksize: int) -> list[tuple[str, Callable[[], Any], Callable[[], Any]]]:
    """(what, the bundle job, the JSONL job), each a function of no arguments that builds the lazy collection."""
    bundles, jsonl = corpus.bundles, corpus.jsonl
    return [
        (
            "bag, a partition per shard",
            lambda: sd.read_bag(bundles).count(),
            lambda: dask.bag.read_text(jsonl).map(json.loads).count(),
        ),
        (
            "dataframe, a partition per shard",
            lambda: sd.read_dataframe(bundles).map_partitions(len, meta=("n", "int64")),
            lambda: dd.read_json(jsonl, lines=True).map_partitions(len, meta=("n", "int64")),
        ),
        (
            f"bag, blocksize={blocksize}",
            lambda: sd.read_bag(bundles, blocksize=blocksize).count(),
            lambda: dask.bag.read_text(jsonl, blocksize=blocksize).map(json.loads).count(),
        ),
        (
            f"dataframe, blocksize={blocksize}",
            lambda: sd.read_dataframe(bundles, blocksize=blocksize).map_partitions(len, meta=("n", "int64")),
            lambda: dd.read_json(jsonl, lines=True, blocksize=blocksize).map_partitions(
                len, meta=("n", "int64")
            ),
        ),
    ]


def _rows(result: Any) -> int:
    return int(result) if isinstance(result, int) else int(sum(result))


def check_same_rows(corpus: Corpus) -> None:
    """Both readers give the same rows, before anything is timed."""
    bundle_rows = sd.read_bag(corpus.bundles).compute(scheduler="sync")
    json_rows = dask.bag.read_text(corpus.jsonl).map(json.loads).compute(scheduler="sync")
    for row in json_rows:
        row["date"] = datetime.date.fromisoformat(row["date"])
    assert bundle_rows == json_rows, "the bundle and JSONL shards do not hold the same rows"
    frame = sd.read_dataframe(corpus.bundles).compute(scheduler="sync")
    json_frame = dd.read_json(corpus.jsonl, lines=True).compute(scheduler="sync")
    assert frame["title"].tolist() == json_frame["title"].tolist()
    assert frame["date"].tolist() == [day.date() for day in json_frame["date"]]


def run(corpus: Corpus, scheduler: Any, name: str, repeat: int, blocksize: int) -> list[str]:
    lines = []
    for what, bundle_job, json_job in _jobs(corpus, blocksize):
        for job in (bundle_job, json_job):  # a warm-up: imports and connections on the workers
            assert _rows(job().compute(scheduler=scheduler)) == corpus.rows
        # Interleaved rounds, so that a burst of load on the machine hits both alike.
        bundle = jsonl = float("inf")
        for _ in range(repeat):
            bundle = min(bundle, best_time(lambda job=bundle_job: job().compute(scheduler=scheduler), 1))  # type: ignore[misc]
            jsonl = min(jsonl, best_time(lambda job=json_job: job().compute(scheduler=scheduler), 1))  # type: ignore[misc]
        lines.append(
            f"| {name} | {what} | {corpus.rows / bundle:,.0f} | {corpus.rows / jsonl:,.0f} | {bundle / jsonl:.2f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--rows", type=int, default=1000, help="rows per shard")
    parser.add_argument("--repeat", type=int, default=5, help="best of N")
    parser.add_argument("--blocksize", type=int, default=512 * 1024)
    parser.add_argument("--schedulers", default="sync,distributed", help="of sync, threads, distributed")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        corpus = write_corpus(Path(folder), shards=options.shards, rows_per_shard=options.rows)
        check_same_rows(corpus)
        print(
            f"{corpus.rows} rows in {options.shards} shards: bundles {corpus.bundle_bytes / 1e6:.1f} MB,"
            f" JSONL {corpus.jsonl_bytes / 1e6:.1f} MB; best of {options.repeat}"
        )
        print()
        print("| scheduler | reader | bundle rows/s | JSONL rows/s | bundle/JSONL time |")
        print("| --- | --- | ---: | ---: | ---: |")
        for name in options.schedulers.split(","):
            if name != "distributed":
                for line in run(corpus, name, name, options.repeat, options.blocksize):
                    print(line, flush=True)
                continue
            from distributed import Client, LocalCluster

            with (
                LocalCluster(
                    n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
                ) as cluster,
                Client(cluster, set_as_default=False) as client,
            ):
                for line in run(corpus, client, "distributed (2 workers)", options.repeat, options.blocksize):
                    print(line, flush=True)


if __name__ == "__main__":
    main()
