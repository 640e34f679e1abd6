"""The JSON format of version 0.1, kept so that old lists could be converted."""

from __future__ import annotations

import json
from pathlib import Path


def load_json(path: Path) -> list[str]:
    """The items of a version 0.1 file."""
    data = json.loads(path.read_text("utf-8"))
    return [str(item) for item in data["items"]]
