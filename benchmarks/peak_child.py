"""Stream every entry of one bundle and print the peak resident set size as JSON.

``bench.py`` runs this file in a fresh interpreter, so that nothing but
seedbundle and the reader counts towards the peak. argv: the bundle.
"""

from __future__ import annotations

import json
import sys
import time

import seedbundle


def high_water_mark() -> int:
    """The peak resident set size of this process so far, in bytes."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    # Imported only here: the resource module does not exist on Windows.
    import resource

    # ru_maxrss is in bytes on macOS and in KiB elsewhere.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def main(path: str) -> None:
    # Taken after the imports, so that the growth is what the reader costs.
    baseline = high_water_mark()
    count = payload = largest = 0
    start = time.perf_counter()
    with seedbundle.open(path) as reader:
        for entry in reader:
            count += 1
            payload += len(entry.data)
            largest = max(largest, len(entry.data))
    seconds = time.perf_counter() - start
    report = {
        "baseline": baseline,
        "peak": high_water_mark(),
        "entries": count,
        "payload": payload,
        "largest": largest,
        "seconds": seconds,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
