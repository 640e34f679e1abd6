"""How fast extract reads model answers, printed as ratios to loads on the same bundle.

Run ``python benchmarks/bench_extract.py [--mb 5] [--repeat 3]``. Each answer
shape holds about the same files; the reference is ``loads`` reading them as
a strictly valid bundle, the fastest way in. The last shapes are
adversarial: a code block or a file on every line, where every item gets its
own diagnostic.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import seedbundle

MB = 1_000_000
_BODY = "".join(f"    value_{index} = compute({index})  # a line of code\n" for index in range(40))


def _shapes(size: int) -> dict[str, str]:
    count = max(1, size // (len(_BODY) + 40))
    names = [f"src/module_{index}.py" for index in range(count)]
    valid = seedbundle.dumps(seedbundle.Bundle([seedbundle.Entry(name, _BODY) for name in names]))
    return {
        "strictly valid bundle": valid,
        "bundle in prose and a fence": "Here you go:\n```\n" + valid + "```\nHope this helps.\n",
        "bundle without END": valid.rsplit("<<<END", 1)[0],
        "header variants": valid.replace("<<<FILE ", "### <<< File: ").rsplit("<<<END", 1)[0],
        "markdown dialect": "".join(f"Next:\n\n`{name}`\n```python\n{_BODY}```\n\n" for name in names),
        "xml tags": "".join(f'<file path="{name}">\n{_BODY}</file>\n' for name in names),
        "one line": "x" * size,
        "adversarial: a fence on every line": "```\n" * (size // 4),
        "adversarial: a header on every line": "<<<FILE a>>>\n" * (size // 13),
    }


def _best(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=5.0, help="size of each answer in MB (default 5)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per shape; the best counts (default 3)")
    args = parser.parse_args()
    shapes = _shapes(int(args.mb * MB))
    valid = shapes["strictly valid bundle"]
    reference = _best(lambda: seedbundle.loads(valid), args.repeat)
    print(
        f"loads on a {len(valid) / MB:.1f} MB bundle: {reference:.3f} s ({len(valid) / MB / reference:.0f} MB/s)"
    )
    print(f"{'answer':40} {'MB':>5} {'seconds':>8} {'MB/s':>6} {'x loads':>8}")
    for label, text in shapes.items():
        seconds = _best(lambda text=text: seedbundle.extract(text), args.repeat)  # type: ignore[misc]
        size = len(text) / MB
        print(f"{label:40} {size:5.1f} {seconds:8.3f} {size / seconds:6.1f} {seconds / reference:8.1f}")


if __name__ == "__main__":
    main()
