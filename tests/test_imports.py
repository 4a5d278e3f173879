"""The package's import graph: no cycles, and no module imports another's private names.

Every ``import`` counts, those inside functions too: an import deferred into a function
still makes the two modules depend on each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).parents[1] / "steergraph"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(module: str, path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, names taken from it) for every import statement in ``path``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            out.append((base, [alias.name for alias in node.names]))
    return out


def import_graph() -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for module, path in modules.items():
        for target, names in _imports(module, path):
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            # ``from pkg import sub`` depends on ``sub``; ``from pkg import name`` on ``pkg``
            for name in submodules if submodules and len(submodules) == len(names) else [target]:
                if name in modules and name != module:
                    graph.add_edge(module, name)
            for name in submodules:
                if name != module:
                    graph.add_edge(module, name)
    return graph


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    assert graph.number_of_edges() > 100, "the walk found too few imports to mean anything"
    cycles = list(nx.simple_cycles(graph, length_bound=6))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c + c[:1]) for c in cycles)


def test_no_module_imports_another_modules_private_names():
    modules = _modules()
    bad = []
    for module, path in modules.items():
        for target, names in _imports(module, path):
            if target == module or not target.startswith("steergraph"):
                continue
            for name in names:
                private = name.startswith("_") and not name.startswith("__")
                if private and f"{target}.{name}" not in modules:
                    bad.append(f"{module} imports {target}.{name}")
    assert not bad, "\n".join(bad)


def test_the_walk_sees_imports_inside_functions(tmp_path):
    (tmp_path / "m.py").write_text("def f():\n    from steergraph.llm import loading\n")
    assert ("steergraph.llm", ["loading"]) in _imports("x.m", tmp_path / "m.py")


def test_every_lazy_package_exports_exactly_what_it_declares():
    import importlib

    lazy = [m for m, p in _modules().items() if "lazy_exports(" in p.read_text()]
    lazy = [m for m in lazy if _modules()[m].name == "__init__.py"]
    assert "steergraph.llm.engines" in lazy
    for name in lazy:
        package = importlib.import_module(name)
        assert sorted(package.__all__) == dir(package), name
        for export in package.__all__:
            assert getattr(package, export) is not None, f"{name}.{export}"


#: the layers of ../shared/DESIGN.md, bottom first: a module imports its own layer or lower
LAYERS = {
    **dict.fromkeys(("errors", "lazy", "paths", "asyncio_utils", "methods"), 0),
    **dict.fromkeys(("llm", "tools"), 1),
    **dict.fromkeys(("data", "agents"), 2),
    **dict.fromkeys(("graphs", "training", "editing"), 3),
    **dict.fromkeys(("bench", "viz"), 4),
    **dict.fromkeys(("cli", "testing"), 5),  # testing: test doubles, built from anything
    "__main__": 6,
}

#: upward imports allowed (none: issue 30 moved the last ones below their users)
KNOWN_UPWARD: set[tuple[str, str]] = set()


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS[parts[1]] if len(parts) > 1 else None


def test_imports_flow_down_the_layers_and_viz_never_imports_bench():
    upward = set()
    for a, b in import_graph().edges:
        la, lb = _layer(a), _layer(b)
        if la is not None and lb is not None and lb > la:
            upward.add((a, b))
        if a.startswith("steergraph.viz") and b.startswith("steergraph.bench"):
            upward.add((a, b))
    assert set(LAYERS) >= {p.name.removesuffix(".py") for p in PACKAGE.iterdir()
                           if p.name != "__init__.py" and not p.name.startswith("_")
                           and (p.is_dir() or p.suffix == ".py")} - {"__pycache__"}  # fmt: skip
    assert upward == KNOWN_UPWARD, sorted(upward ^ KNOWN_UPWARD)
