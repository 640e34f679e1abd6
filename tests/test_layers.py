"""The modules of seedbundle import strictly downward, and never in a cycle.

Each module sits in one layer, and it may import only modules of the
layers below its own: not its neighbours in the same layer, and nothing
above. A new module must be placed here before the test passes, which is
the moment to decide where it belongs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "seedbundle"

# Lowest first. The facades at the top only re-export.
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(layer.split())
    for layer in (
        "_errors _extract_codes _signals _instructions _native _choices _version",
        "_ignore",
        "_syntax",
        "_atomic _dirs _extract_lines",
        "_article _extract_markers _tokens _remote",
        "_names _rows",
        "_model _extract_names",
        "_decoder _encoder _extract_checks _extract_result _convert_codes _profile",
        "_scanner _reference _extract_answer _convert_txtar _convert_archive _convert_packers",
        "_api _stream _extract_blocks _extract_tags _extract_report",
        "_select _extract_bundle _convert _shards",
        "_pack _unpack _strategies _extract",
        "_volumes _apply",
        "_cli_base",
        "_cli_answer _cli_pack _cli_unpack _cli_read _cli_convert",
        "_cli _snapshot",
        "__init__ __main__ strategies convert pytest_plugin syrupy huggingface ray dask",
    )
)


def package_imports(package: Path) -> dict[str, set[str]]:
    """For each module of ``package``, the package modules it imports, at any depth in its code.

    Imports inside functions and ``if TYPE_CHECKING:`` blocks count too: a
    lazy import is still a dependency, only a hidden one.
    """
    graph: dict[str, set[str]] = {}
    for path in sorted(package.glob("*.py")):
        module = path.stem
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    imported.add(node.module.split(".")[0])
                else:  # from . import x
                    imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("seedbundle"):
                rest = node.module.split(".")[1:]
                imported.add(rest[0] if rest else "__init__")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    parts = alias.name.split(".")
                    if parts[0] == "seedbundle":
                        imported.add(parts[1] if len(parts) > 1 else "__init__")
        graph[module] = imported - {module}
    return graph


def layering_problems(graph: dict[str, set[str]]) -> list[str]:
    """Every upward or sideways import, every module without a layer, and every cycle."""
    level = {module: index for index, layer in enumerate(LAYERS) for module in layer}
    problems = [f"{module} has no layer in LAYERS" for module in sorted(graph) if module not in level]
    for module, imported in sorted(graph.items()):
        for target in sorted(imported):
            if module in level and target in level and level[target] >= level[module]:
                where = "the same layer as" if level[target] == level[module] else "a layer above"
                problems.append(f"{module} imports {target}, which is in {where} it")
    problems += [f"import cycle: {' -> '.join(cycle)}" for cycle in _cycles(graph)]
    return problems


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected group of modules, found by depth-first search."""
    found: list[list[str]] = []
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return found


def test_modules_import_only_from_lower_layers() -> None:
    graph = package_imports(PACKAGE)
    assert set(graph) >= {"_errors", "_model", "_cli"}, "the package was not found"
    assert layering_problems(graph) == []


def test_every_layer_names_a_real_module() -> None:
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    assert {module for layer in LAYERS for module in layer} <= modules


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"_errors": {"_model"}, "_model": set()}, "_errors imports _model, which is in a layer above it"),
        ({"_decoder": {"_encoder"}, "_encoder": set()}, "_decoder imports _encoder, which is in the same"),
        ({"_new": set()}, "_new has no layer in LAYERS"),
        ({"_a": {"_b"}, "_b": {"_a"}}, "import cycle: _a -> _b -> _a"),
    ],
)
def test_the_checker_reports_each_kind_of_problem(graph: dict[str, set[str]], expected: str) -> None:
    assert any(problem.startswith(expected) for problem in layering_problems(graph))


def test_the_checker_reads_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    (tmp_path / "_model.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ._article import Article\n"
        "def f():\n    from . import _cli\n    import seedbundle._api\n",
        encoding="utf-8",
    )
    assert package_imports(tmp_path) == {"_model": {"_article", "_cli", "_api"}}
