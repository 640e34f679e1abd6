"""The commands against their peers on a copy of the stdlib: time, CPU and peak memory.

Run ``python benchmarks/bench_commands.py`` with seedbundle importable. It
copies the standard library as ``bench.py`` does (site-packages, __pycache__
and links left out), and its ``.py`` files alone as a text-only tree, then
runs each command in a fresh process, interleaved, ``--repeat`` times:

- ``seedbundle pack`` of the tree against ``python -m tarfile -c``;
- ``seedbundle unpack`` of its bundle against ``python -m tarfile -e`` of its tar;
- ``seedbundle pack`` of the text tree against ``files-to-prompt``, if installed.

Each seedbundle command runs twice: on the native path and with
``SEEDBUNDLE_PURE=1``. Printed per row: the median wall time (including the
launcher's start, the same for every row), its ratio to the peer (below 1.0
is faster), the median CPU time of the command, and its peak RSS over that
of a bare ``python -c pass``. ``--source`` runs the seedbundle commands
from another source tree too (say, an older checkout's ``src``), in the same
run, for before/after numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import copy_stdlib

MIB = 1 << 20


@dataclass
class Row:
    label: str
    argv: list[str]
    env: dict[str, str]
    output: str  # removed before and after each run
    peer: str | None = None  # the label of the row it is compared with
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)


# A process forked from this one would count this one's memory in its peak
# (Linux folds the old memory's peak in at exec), so each command is started
# from a small launcher, which reports what its child used.
_LAUNCHER = """
import json, resource, subprocess, sys
code = subprocess.run(sys.argv[2:]).returncode
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
with open(sys.argv[1], "w") as report:
    json.dump({"cpu": usage.ru_utime + usage.ru_stime, "peak": usage.ru_maxrss * scale}, report)
sys.exit(code)
"""


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """Run a command to its end: wall seconds, CPU seconds (user + system) and peak RSS in bytes."""
    report = cwd / "usage.json"
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, str(report), *argv],
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{argv} failed: {result.stderr.decode(errors='replace')}")
    usage = json.loads(report.read_text(encoding="utf-8"))
    return wall, float(usage["cpu"]), int(usage["peak"])


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def text_tree(tree: Path, target: Path) -> None:
    for path in sorted(tree.rglob("*.py")):
        copy = target / path.relative_to(tree)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, copy)


def rows(scratch: Path, sources: dict[str, str | None], files_to_prompt: str | None) -> list[Row]:
    python = sys.executable
    found: list[Row] = [
        Row("pack: python -m tarfile -c", [python, "-m", "tarfile", "-c", "out.tar", "tree"], {}, "out.tar"),
        Row(
            "unpack: python -m tarfile -e",
            [python, "-m", "tarfile", "-e", "tree.tar", "out-untar"],
            {},
            "out-untar",
        ),
    ]
    if files_to_prompt is not None:
        found.append(
            Row("text: files-to-prompt", ["sh", "-c", f"{files_to_prompt} text > out.txt"], {}, "out.txt")
        )
    for name, source in sources.items():
        for pure in (False, True):
            env = {} if source is None else {"PYTHONPATH": source}
            if pure:
                env["SEEDBUNDLE_PURE"] = "1"
            tag = f"{name}{' pure' if pure else ''}"
            seedbundle = [python, "-m", "seedbundle"]
            found += [
                Row(
                    f"pack: seedbundle {tag}",
                    [*seedbundle, "pack", "-q", "--no-ignore", "-o", "out.bundle", "tree"],
                    env,
                    "out.bundle",
                    "pack: python -m tarfile -c",
                ),
                Row(
                    f"unpack: seedbundle {tag}",
                    [*seedbundle, "unpack", "tree.bundle", "-C", "out-unpack"],
                    env,
                    "out-unpack",
                    "unpack: python -m tarfile -e",
                ),
            ]
            if files_to_prompt is not None:
                found.append(
                    Row(
                        f"text: seedbundle pack {tag}",
                        [*seedbundle, "pack", "-q", "--no-ignore", "-o", "out-text.bundle", "text"],
                        env,
                        "out-text.bundle",
                        "text: files-to-prompt",
                    )
                )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (default 5)")
    parser.add_argument(
        "--source", action="append", default=[], metavar="NAME=DIR", help="also run seedbundle from DIR"
    )
    args = parser.parse_args()
    sources: dict[str, str | None] = {"current": None}
    for item in args.source:
        name, _, directory = item.partition("=")
        sources[name] = os.path.abspath(directory)
    found = shutil.which("files-to-prompt") or shutil.which(
        "files-to-prompt", path=os.path.dirname(sys.executable)
    )
    with tempfile.TemporaryDirectory(prefix="seedbundle-commands-") as name:
        scratch = Path(name)
        if copy_stdlib(scratch / "tree") is None:
            raise SystemExit("the standard library is not a directory here")
        text_tree(scratch / "tree", scratch / "text")
        python = sys.executable
        run(
            [python, "-m", "seedbundle", "pack", "-q", "--no-ignore", "-o", "tree.bundle", "tree"],
            scratch,
            {},
        )
        run([python, "-m", "tarfile", "-c", "tree.tar", "tree"], scratch, {})
        bare = min(run([python, "-c", "pass"], scratch, {})[2] for _ in range(3))
        table = rows(scratch, sources, found)
        for _ in range(args.repeat):
            for row in table:
                remove(scratch / row.output)
                wall, cpu, peak = run(row.argv, scratch, row.env)
                remove(scratch / row.output)
                row.walls.append(wall)
                row.cpus.append(cpu)
                row.peaks.append(peak)
    medians = {row.label: statistics.median(row.walls) for row in table}
    print(f"medians of {args.repeat}; bare interpreter peak RSS {bare / MIB:.1f} MiB")
    for row in table:
        ratio = f"{medians[row.label] / medians[row.peer]:5.2f}x" if row.peer else "   ref"
        print(
            f"{row.label:36} {medians[row.label]:7.3f} s {ratio}  cpu {statistics.median(row.cpus):6.3f} s"
            f"  peak +{(max(row.peaks) - bare) / MIB:6.1f} MiB"
        )


if __name__ == "__main__":
    main()
