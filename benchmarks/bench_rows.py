"""Seed-document rows: the lean row builder and Article.from_text, next to json.loads of the same row.

Run ``python benchmarks/bench_rows.py`` (``--help`` lists the options). It
builds N seed documents with a fixed seed, and the same rows as JSON
objects, then times three ways to get one row per document:

- ``json.loads``: parse the row from JSON, the reference (no checks at all);
- ``article_row``: ``seedbundle._rows.article_row`` from the document bytes;
- ``Article.from_text``: decode, parse into an Article, then build the row.

It prints each time per row and its ratio to json.loads. It always exits
with status 0: timings on a shared machine are reported, not asserted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import time
from collections.abc import Callable

from seedbundle import Article
from seedbundle._rows import article_row

WORDS = [
    "the",
    "of",
    "and",
    "a",
    "to",
    "in",
    "is",
    "was",
    "for",
    "on",
    "that",
    "with",
    "as",
    "by",
    "at",
    "from",
    "news",
    "city",
    "said",
    "year",
    "new",
]


def documents(count: int, seed: int) -> list[tuple[str, bytes, str]]:
    """(name, document bytes, the same row as JSON) for ``count`` articles."""
    rng = random.Random(seed)
    result = []
    for index in range(count):
        paragraphs = tuple(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 60))) + "."
            for _ in range(rng.randint(1, 12))
        )
        article = Article(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))).capitalize(),
            datetime.date(2000, 1, 1) + datetime.timedelta(days=rng.randint(0, 9000)),
            f"https://news.example.org/{index}/{rng.getrandbits(32):08x}",
            paragraphs,
        )
        row = {
            "name": article.filename(index),
            "title": article.title,
            "date": article.date.isoformat(),
            "url": article.url,
            "text": "\n".join(article.paragraphs),
        }
        result.append((article.filename(index), article.to_text().encode(), json.dumps(row)))
    return result


def through_article(name: str, data: bytes) -> dict[str, object]:
    article = Article.from_text(data.decode("utf-8"))
    return {
        "name": name,
        "title": article.title,
        "date": article.date,
        "url": article.url,
        "text": "\n".join(article.paragraphs),
    }


def best_time(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20000, help="seed documents (default 20000)")
    parser.add_argument("--repeat", type=int, default=7, help="rounds; the best counts (default 7)")
    args = parser.parse_args()
    docs = documents(args.count, seed=20261201)
    competitors: dict[str, Callable[[], object]] = {
        "json.loads": lambda: [json.loads(row) for _, _, row in docs],
        "article_row": lambda: [article_row(name, data) for name, data, _ in docs],
        "Article.from_text": lambda: [through_article(name, data) for name, data, _ in docs],
    }
    assert [article_row(n, d) for n, d, _ in docs[:50]] == [through_article(n, d) for n, d, _ in docs[:50]]
    times = {label: best_time(run, args.repeat) for label, run in competitors.items()}
    reference = times["json.loads"]
    print(f"{args.count} seed documents, {sum(len(d) for _, d, _ in docs) / 1e6:.1f} MB")
    for label, seconds in times.items():
        per_row = seconds / args.count * 1e6
        print(f"{label:>18}: {per_row:6.2f} µs per row, {seconds / reference:4.2f}x json.loads")


if __name__ == "__main__":
    main()
