"""Round-trip every example bundle, as text and as files on disk.

For each ``examples/*.bundle`` this checks that

1. ``dumps(loads(text))`` gives back exactly the same bytes, and
2. unpacking the bundle into a temporary directory and packing that
   directory again gives back the same entries (in pack order),

then prints a table. The exit status is 1 if any bundle does not round-trip.

Run it with ``python examples/roundtrip.py``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import seedbundle

HERE = Path(__file__).resolve().parent


def pack_order(entry: seedbundle.Entry) -> list[str]:
    """pack() lists a tree by path components, each compared by code point."""
    return entry.name.split("/")


def round_trip(path: Path) -> tuple[str, int, int, int, bool]:
    data = path.read_bytes()
    bundle = seedbundle.loads(data)
    same_text = seedbundle.dumps(bundle).encode("utf-8") == data
    with tempfile.TemporaryDirectory() as scratch:
        seedbundle.unpack(bundle, scratch)
        # The bundle may hold a .gitignore; it must not filter its own files.
        repacked = seedbundle.pack(scratch, gitignore=False)
    same_files = list(repacked) == sorted(bundle, key=pack_order)
    return path.name, len(bundle), len(data), len(bundle.articles()), same_text and same_files


def main() -> int:
    rows = [round_trip(path) for path in sorted(HERE.glob("*.bundle"))]
    if not rows:
        print(f"no bundles found in {HERE}", file=sys.stderr)
        return 1
    header = ("bundle", "entries", "bytes", "articles", "round trip")
    table = [header] + [
        (name, str(entries), str(size), str(articles), "identical" if ok else "MISMATCH")
        for name, entries, size, articles, ok in rows
    ]
    widths = [max(len(row[column]) for row in table) for column in range(len(header))]
    for row in table:
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(row[1:4], widths[1:4], strict=True)
        ]
        print("  ".join([*cells, row[4]]))
    return 0 if all(ok for *_, ok in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
