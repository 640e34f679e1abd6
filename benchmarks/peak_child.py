"""Peak resident set sizes, printed as JSON, for ``bench.py``.

``peak_child.py BUNDLE`` streams every entry of one bundle, in a fresh
interpreter, so that nothing but seedbundle and the reader counts towards
the peak. ``peak_child.py --command PROGRAM ARG...`` runs a command and
reports the peak of that process alone (``wait4``; POSIX only), which
``bench.py`` compares with the peak of ``python -c pass``.
"""

from __future__ import annotations

import json
import os
import subprocess
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


def command_peak(command: list[str]) -> None:
    """Run ``command`` with its output discarded; print its peak RSS, exit status and seconds."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # wait4 gives the usage of this one child, where RUSAGE_CHILDREN would take the largest of all.
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    scale = 1 if sys.platform == "darwin" else 1024
    print(json.dumps({"peak": usage.ru_maxrss * scale, "status": process.returncode, "seconds": seconds}))


if __name__ == "__main__":
    if sys.argv[1] == "--command":
        command_peak(sys.argv[2:])
    else:
        main(sys.argv[1])
