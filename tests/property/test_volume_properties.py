"""Volumes: for any tree and budget, every volume is a valid bundle within the budget, and join gives back pack's bundle."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import event, given, settings
from hypothesis import strategies as st

import seedbundle

_estimated_tokens = seedbundle.token_counter("estimate")

_SEGMENT = st.text("abcxyz_-.0é", min_size=1, max_size=6).filter(lambda s: s not in (".", ".."))
_NAMES = st.lists(_SEGMENT, min_size=1, max_size=3).map("/".join)
_DATA = st.one_of(
    st.binary(max_size=150),
    st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=60).map(str.encode),
    st.lists(st.sampled_from(["<<<FILE x>>>", "\\<<<END 1>>>", "", "plain", "\\\\"]), max_size=8).map(
        lambda lines: "\n".join(lines).encode()
    ),
)


# Mostly budgets that hold a file or a few; some so small that the packing is refused.
_ROOMY = st.integers(min_value=150, max_value=500)
_BUDGETS = st.one_of(_ROOMY, _ROOMY, _ROOMY, st.integers(min_value=1, max_value=149))


def _trees() -> st.SearchStrategy[dict[str, bytes]]:
    def consistent(files: dict[str, bytes]) -> bool:
        # No name may be both a file and a directory of another name.
        names = set(files)
        return not any(name.startswith(other + "/") for name in names for other in names)

    return st.dictionaries(_NAMES, _DATA, max_size=10).filter(consistent)


def _write(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _pack_or_refuse(
    tree: Path,
    out: Path,
    files: dict[str, bytes],
    budget: int,
    *,
    count: Callable[[str], int] | None,
    comment: str,
    sha256: bool,
) -> tuple[str, ...] | None:
    """The volumes, or None after checking that a refusal was right and wrote nothing."""
    try:
        return seedbundle.pack_volumes(
            tree, out / "v%d", budget=budget, count=count, comment=comment, sha256=sha256, git=False
        )
    except seedbundle.PackError as error:
        refusal = error
    assert list(out.iterdir()) == []
    if "too small for even an empty volume" in str(refusal):
        empty = seedbundle.Bundle(
            [], comment=(comment and comment + "\n\n") + "[seedbundle volume 1 of 1: 0 files]"
        )
        assert count is not None or budget < len(seedbundle.dumps(empty).encode("utf-8"))
        return None
    name = refusal.path[len(str(tree)) + 1 :].replace("\\", "/")
    assert name in files
    assert f"{name!r} is too large for any volume" in str(refusal)
    if count is None:  # the smallest volume that could hold the file is larger than the budget
        alone = seedbundle.Bundle(
            [seedbundle.Entry(name, files[name])], comment=f"[seedbundle volume 2 of 2: 1 file, {name}]"
        )
        assert len(seedbundle.dumps(alone, sha256=sha256).encode("utf-8")) > budget
    return None


@settings(max_examples=150, deadline=None)
@given(
    _trees(),
    _BUDGETS,
    st.sampled_from(["", "A comment", "two\n\nparagraphs\n"]),
    st.booleans(),
    st.sampled_from([None, _estimated_tokens]),
)
def test_join_of_the_volumes_is_the_single_bundle(
    files: dict[str, bytes], budget: int, comment: str, sha256: bool, count: Callable[[str], int] | None
) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        tree, out = root / "tree", root / "out"
        tree.mkdir()
        out.mkdir()
        _write(tree, files)
        measure = count or (lambda text: len(text.encode("utf-8")))
        paths = _pack_or_refuse(tree, out, files, budget, count=count, comment=comment, sha256=sha256)
        event("refused" if paths is None else f"{len(paths)} volume(s)" if len(paths) < 3 else "3+ volumes")
        if paths is None:
            return
        names: list[str] = []
        for path in paths:
            data = Path(path).read_bytes()
            assert measure(data.decode("utf-8")) <= budget
            names += seedbundle.loads(data).names
        single = io.BytesIO()
        seedbundle.pack_to(tree, single, comment=comment, sha256=sha256, git=False)
        assert names == list(seedbundle.loads(single.getvalue()).names)
        joined = io.BytesIO()
        assert seedbundle.join(paths, joined) == len(files)
        assert joined.getvalue() == single.getvalue()
