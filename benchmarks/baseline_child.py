"""Time loads, the streaming reader, dumps and the writer once each; print the seconds as JSON.

``bench.py`` runs this file in fresh interpreters, alternately with the
1.0.0 sources and with today's on ``sys.path`` (both on the pure path), so
that the pure path can be held to 1.0. argv: a bundle file.
"""

from __future__ import annotations

import gc
import io
import json
import sys
import time
from collections.abc import Callable

import seedbundle


def main(path: str) -> None:
    with open(path, "rb") as file:
        document = file.read()
    bundle = seedbundle.loads(document)

    def reader() -> object:
        with seedbundle.open(io.BytesIO(document)) as entries:
            return list(entries)

    def writer() -> object:
        out = io.BytesIO()
        with seedbundle.open(out, "w") as bundle_writer:
            for entry in bundle.entries:
                bundle_writer.add(entry)
        return out.getvalue()

    operations: dict[str, Callable[[], object]] = {
        "loads": lambda: seedbundle.loads(document),
        "reader": reader,
        "dumps": lambda: seedbundle.dumps(bundle),
        "writer": writer,
    }
    seconds = {}
    for name, operation in operations.items():
        gc.collect()
        start = time.perf_counter()
        result = operation()
        seconds[name] = time.perf_counter() - start
        del result  # freed outside the timed region
    print(json.dumps(seconds))


if __name__ == "__main__":
    main(sys.argv[1])
