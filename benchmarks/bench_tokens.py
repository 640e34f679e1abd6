"""How fast seedbundle counts tokens, printed as ratios to the tokenizer alone and to pack without counting.

Run ``python benchmarks/bench_tokens.py`` (50 MB of the corpus of bench.py)
or ``--quick`` (5 MB). For each encoding it times, on the same bundle:
the tokenizer alone on the whole text (tiktoken's ``encode_ordinary``, the
reference), ``seedbundle list --tokens``, and ``seedbundle pack`` of the
corpus as a directory tree with the count in its summary, next to ``pack``
without counting. The target: counting makes ``pack`` at most 2x slower.
It also shows how far the sum of the entries' contents, each counted on its
own, is from the count of the whole bundle text. The command-line runs
include starting Python and loading the vocabulary (about a second).
The script always exits with status 0; a missed target is reported.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import seedbundle
from seedbundle import _tokens

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import build_corpus, take  # the corpus of the main benchmark

MB = 1_000_000
ENCODINGS = ("o200k_base", "cl100k_base", "estimate")


def best(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def cli(*args: str) -> None:
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run(
        [sys.executable, "-m", "seedbundle", *args],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environment,
    )


def write_tree(pairs: Sequence[tuple[str, bytes]], root: Path) -> None:
    for name, data in pairs:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0, help="corpus size in MB (default 50)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best counts (default 3)")
    parser.add_argument("--quick", action="store_true", help="--mb 5 --repeat 2")
    args = parser.parse_args(argv)
    if args.quick:
        args.mb, args.repeat = 5.0, 2
    pairs = take(build_corpus(), int(args.mb * MB))
    with tempfile.TemporaryDirectory(prefix="bench-tokens-") as scratch:
        tree = Path(scratch) / "tree"
        write_tree(pairs, tree)
        out = Path(scratch) / "out.bundle"
        pack = ["pack", str(tree), "-o", str(out), "--no-ignore"]
        plain = best(lambda: cli(*pack), args.repeat)
        data = out.read_bytes()
        text = data.decode()
        size = len(data) / MB
        print(
            f"bundle: {len(pairs)} files, {size:.1f} MB; pack without counting: {plain:.2f} s ({size / plain:.0f} MB/s)"
        )
        print(
            f"{'encoding':12} {'tokens':>10} {'tokenizer':>10} {'list':>10} {'x tok':>6} {'pack':>10} {'x pack':>7}  target"
        )
        for name in ENCODINGS:
            try:
                count = seedbundle.token_counter(name)  # type: ignore[arg-type]
            except ImportError as error:
                print(f"{name:12} skipped: {error}")
                continue
            alone = best(functools.partial(count, text), args.repeat)
            listed = best(
                functools.partial(cli, "list", "--tokens", "--encoding", name, str(out)), args.repeat
            )
            packed = best(functools.partial(cli, *pack, "--encoding", name), args.repeat)
            ratio = packed / plain
            verdict = "ok" if ratio <= 2 else "MISSED (at most 2x)"
            print(
                f"{name:12} {count(text):>10} {size / alone:>6.1f} MB/s {size / listed:>5.1f} MB/s {listed / alone:>6.2f}"
                f" {size / packed:>5.1f} MB/s {ratio:>6.2f}x  {verdict}"
            )
        _other_tokenizer(text, size, plain, args.repeat)
        honest = _tokens.token_counter("o200k_base") if "o200k_base" in _available() else None
        if honest is not None:
            bundle = seedbundle.loads(text)
            whole = honest(text)
            separate = sum(honest(entry.text) for entry in bundle if entry.is_text)
            print(
                f"o200k_base: whole bundle {whole} tokens; entries' contents counted one by one {separate}"
                f" ({(whole - separate) / whole:.2%} less: the marker lines and base64 entries)"
            )


def _other_tokenizer(text: str, size: float, plain: float, repeat: int) -> None:
    """If bpe-openai is installed, the speed of its o200k_base count: the fastest exact counter we know of.

    It is no dependency of seedbundle; it is timed to show what an exact count
    could cost at best, next to pack. Its wrapper refuses texts of a million
    characters or more, so the text goes in pieces cut at line breaks.
    """
    try:
        bpe_openai: Any = importlib.import_module("bpe_openai")
    except ImportError:
        print("bpe-openai is not installed: the alternative exact tokenizer is not timed")
        return
    backend = bpe_openai.get_encoding("o200k_base")._backend
    pieces = []
    start = 0
    while start < len(text):
        stop = text.rfind("\n", start, start + 500_000) + 1 if len(text) - start > 500_000 else len(text)
        if stop <= start:
            stop = min(len(text), start + 500_000)
        pieces.append(text[start:stop])
        start = stop
    alone = best(lambda: sum(backend.count(piece) for piece in pieces), repeat)
    floor = (plain + alone) / plain
    print(
        f"bpe-openai o200k_base count alone: {size / alone:.1f} MB/s; pack counting with it could at best"
        f" take {floor:.2f}x pack's time on one core (the 2x target needs a counter as fast as pack)"
    )


def _available() -> tuple[str, ...]:
    try:
        _tokens.token_counter("o200k_base")
    except ImportError:
        return ()
    return ("o200k_base",)


if __name__ == "__main__":
    main()
