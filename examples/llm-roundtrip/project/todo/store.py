"""Keep the to-do items in a text file, one per line."""

from __future__ import annotations

from pathlib import Path


def load(path: Path) -> list[str]:
    """The items in the file; none if it is missing."""
    if not path.exists():
        return []
    return [line for line in path.read_text("utf-8").splitlines() if line]


def save(path: Path, items: list[str]) -> None:
    """Write the items, one per line."""
    path.write_text("".join(item + "\n" for item in items), "utf-8")
