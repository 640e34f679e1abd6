"""A quick check of an installed seedbundle, run outside the source tree.

tests/test_wheel.py runs it in the virtual environments where it installed
the wheels, and cibuildwheel runs it on every wheel it builds (see
[tool.cibuildwheel] in pyproject.toml)::

    python tests/wheel_smoke.py native   # the C accelerator must have loaded
    python tests/wheel_smoke.py pure     # the wheel must have none

It checks that seedbundle is imported from the installation, not from a
source tree, that the accelerator is there or not as expected, and that a
bundle with text, odd names, binary data and an executable round-trips
through loads, dumps, the streaming reader and the writer, with the same
bytes on the accelerated and the pure-Python path.
"""

from __future__ import annotations

import io
import sys
import sysconfig
from pathlib import Path

import seedbundle
from seedbundle import _native


def _check_location(expect: str) -> str:
    package = Path(seedbundle.__file__).resolve().parent
    installed = {Path(sysconfig.get_paths()[kind]).resolve() for kind in ("purelib", "platlib")}
    assert package.parent in installed, f"seedbundle imported from {package}, not from {installed}"
    assert package.joinpath("grammar.lark").is_file(), "the wheel lacks grammar.lark"
    speedups = _native.speedups
    if expect == "pure":
        assert speedups is None, f"a pure install loaded {speedups}"
        built = sorted(path.name for path in package.glob("_speedups*") if path.suffix != ".pyi")
        assert not built, f"a pure install holds {built}"
        return "pure-Python path"
    assert speedups is not None, "the C accelerator seedbundle._speedups did not load"
    origin = Path(str(speedups.__file__)).resolve()
    assert origin.parent == package, f"the accelerator was loaded from {origin}, outside {package}"
    return f"C accelerator {origin.name}"


def _bundle() -> seedbundle.Bundle:
    return seedbundle.Bundle(
        [
            seedbundle.Entry("a.txt", "no final newline"),
            seedbundle.Entry("<<<odd name>>>", "<<<END 0>>>\n\\<<<FILE x>>>\n"),
            seedbundle.Entry("ünï/cødé.txt", "héllo\r\nwörld\n"),
            seedbundle.Entry("bin/tool", bytes(range(256)) * 5, executable=True),
            seedbundle.Entry("empty", b""),
        ],
        comment="from the installed wheel",
    )


def _round_trip() -> bytes:
    bundle = _bundle()
    text = seedbundle.dumps(bundle, sha256=True)
    assert seedbundle.loads(text) == bundle
    data = text.encode("utf-8")
    assert seedbundle.loads(data) == bundle
    with seedbundle.BundleReader(io.BytesIO(data), chunk_size=7) as reader:
        assert list(reader) == list(bundle.entries)
    with seedbundle.open(io.BytesIO(data)) as reader:
        assert reader["bin/tool"] == bundle.entries[3]
    out = io.BytesIO()
    with seedbundle.open(out, "w", comment=bundle.comment, sha256=True) as writer:
        for entry in bundle.entries:
            writer.add(entry)
    assert out.getvalue() == data, "the writer and dumps wrote different bytes"
    return data


def main(argv: list[str]) -> int:
    """Check the installation; ``argv[1]`` is ``native`` or ``pure``."""
    if len(argv) != 2 or argv[1] not in {"native", "pure"}:
        print("usage: python wheel_smoke.py native|pure", file=sys.stderr)
        return 2
    path = _check_location(argv[1])
    data = _round_trip()
    with _native.pure_path():
        assert _round_trip() == data, "the pure-Python path wrote different bytes"
    print(f"seedbundle {seedbundle.__version__}: {path}: round trip ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
