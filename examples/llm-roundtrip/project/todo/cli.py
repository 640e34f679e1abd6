"""python -m todo.cli add ITEM | list"""

from __future__ import annotations

import sys
from pathlib import Path

from todo import store

LIST = Path("todo.txt")


def main(argv: list[str]) -> int:
    """Run one command; the exit status."""
    items = store.load(LIST)
    if argv[:1] == ["add"] and len(argv) == 2:
        store.save(LIST, [*items, argv[1]])
        return 0
    if argv == ["list"]:
        for number, item in enumerate(items, 1):
            print(f"{number}. {item}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
