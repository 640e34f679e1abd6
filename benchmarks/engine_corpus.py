"""The corpus of the engine benchmarks: the same article rows as bundle shards and as JSONL shards.

``write_corpus(folder)`` writes ``shards`` bundle shards of ``rows_per_shard``
seed documents each (through ``seedbundle._shards.ShardWriter``), and the same
rows as JSON Lines files, one per shard, with the columns name, title, date
(``YYYY-MM-DD``), url and text. The articles are made with a fixed seed by
``_articles``: 3 to 15 paragraphs of 30 to 90 words, about 2 KB each,
the size of a news article.

Each engine's benchmark reads both with that engine (the bundle shards
through seedbundle's integration, the JSONL through the engine's own JSON
reader) and prints rows per second and the ratio.
"""

from __future__ import annotations

import datetime
import json
import random
from pathlib import Path
from typing import Any

import attrs
from bench_rows import WORDS

from seedbundle._shards import ShardWriter


@attrs.frozen
class Corpus:
    """Where the shards are, and what they hold."""

    bundles: list[str]
    jsonl: list[str]
    rows: int
    bundle_bytes: int
    jsonl_bytes: int


def write_corpus(
    folder: Path, *, shards: int = 8, rows_per_shard: int = 1000, seed: int = 20261202
) -> Corpus:
    """Write the corpus below ``folder``; the bundle and the JSONL shards hold the same rows."""
    docs = _articles(shards * rows_per_shard, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    jsonl: list[str] = []
    with ShardWriter(folder / "part-%05d.bundle", max_rows=rows_per_shard) as writer:
        for number in range(shards):
            part = docs[number * rows_per_shard : (number + 1) * rows_per_shard]
            lines = []
            for row in part:
                writer.write_row(row)
                lines.append(dict(row))
            jsonl.append(str(folder / f"part-{number:05d}.jsonl"))
            pending = lines
            writer.close()  # the next row starts the next shard
            names = _names(writer.paths[-1])
            with open(jsonl[-1], "w", encoding="utf-8") as out:
                for row, name in zip(pending, names, strict=True):
                    row["name"] = name
                    row["date"] = row["date"].isoformat()
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return Corpus(
        bundles=list(writer.paths),
        jsonl=jsonl,
        rows=shards * rows_per_shard,
        bundle_bytes=sum(Path(path).stat().st_size for path in writer.paths),
        jsonl_bytes=sum(Path(path).stat().st_size for path in jsonl),
    )


def _articles(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "title": " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))).capitalize(),
            "date": datetime.date(2000, 1, 1) + datetime.timedelta(days=rng.randint(0, 9000)),
            "url": f"https://news.example.org/{index}/{rng.getrandbits(32):08x}",
            "text": "\n".join(
                " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 90))).capitalize() + "."
                for _ in range(rng.randint(3, 15))
            ),
        }
        for index in range(count)
    ]


def _names(path: str) -> list[str]:
    import seedbundle

    return list(seedbundle.load(path).names)
