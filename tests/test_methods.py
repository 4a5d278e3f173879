"""The method registry: every registered part exists, and everything derived agrees."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from steergraph.errors import MethodNotFoundError
from steergraph.graphs import GRAPHS
from steergraph.lazy import resolve
from steergraph.methods import CORE_GRAPHS, METHODS, get_method, langgraph_config

ROOT = Path(__file__).parents[1]


def test_langgraph_json_is_the_registry():
    on_disk = json.loads((ROOT / "langgraph.json").read_text())
    assert on_disk == langgraph_config(), "regenerate: steergraph methods --langgraph-json ..."
    for target in on_disk["graphs"].values():
        assert (ROOT / target.split(":")[0]).is_file()


def test_graphs_are_the_core_graphs_and_every_method_graph():
    expected = set(CORE_GRAPHS).union(*(m.graphs for m in METHODS.values()))
    assert set(GRAPHS) == expected


@pytest.mark.parametrize("slug", sorted(METHODS))
def test_every_registered_part_of_a_method_exists(slug):
    m = METHODS[slug]
    assert m.graphs, f"{slug} has no graph"
    for name, target in m.graphs.items():
        factory = resolve(target)
        assert callable(factory) and GRAPHS[name] is factory
        assert factory().get_graph().nodes, f"{name} compiles to an empty graph"
    for module in (*m.library, *m.training, m.data):
        importlib.import_module(module)
    for path in (m.notebook, m.benchmark):
        assert (ROOT / path).is_file(), f"{slug}: {path} is missing"
    assert m.readme in (ROOT / "README.md").read_text(), f"{slug}: no README section"
    assert m.paper.startswith("arXiv:")


@pytest.mark.parametrize("slug", sorted(METHODS))
def test_every_method_uses_its_slug_in_every_folder(slug):
    m = METHODS[slug]
    assert m.notebook == f"examples/{slug}.ipynb"
    assert m.benchmark == f"benchmarks/{slug}_bench.py"
    assert m.cli.startswith(f"steergraph.cli.{slug}:")
    assert slug in m.graphs and m.graphs[slug].startswith(f"steergraph.graphs.{slug}:")
    assert all(t.startswith(f"steergraph.training.{slug}") for t in m.training)
    tests = sorted(p.name for p in (ROOT / m.tests).glob("*.py") if p.name.startswith("test"))
    assert f"test_{slug}_graph.py" in tests and f"test_{slug}_e2e.py" in tests, tests
    assert all(name.startswith(f"test_{slug}_") for name in tests), tests
    assert (ROOT / m.tests / "__init__.py").is_file()


def test_no_two_test_files_share_a_name():
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_every_method_command_is_a_cli_sub_app():
    from steergraph.cli import app

    mounted = {group.name: group.typer_instance for group in app.registered_groups}
    for m in METHODS.values():
        assert mounted[m.command] is resolve(m.cli)


def test_an_unknown_slug_names_the_known_ones():
    with pytest.raises(MethodNotFoundError, match="catp, delta, difflm, mole, seg2act, sso"):
        get_method("rlhf")


def test_the_methods_command_lists_them_and_writes_langgraph_json(cli, tmp_path):
    out = cli("methods", "--langgraph-json", str(tmp_path / "lg.json"))
    assert out.returncode == 0
    for m in METHODS.values():
        assert m.slug in out.stdout
    assert json.loads((tmp_path / "lg.json").read_text()) == langgraph_config()


LIGHT = """
import sys, tempfile, pathlib
import steergraph.cli, steergraph.graphs
from steergraph.graphs import GRAPHS
from steergraph.viz import write_graph_picture
d = pathlib.Path(tempfile.mkdtemp())
for name in GRAPHS:
    write_graph_picture(GRAPHS[name](), d / (name + ".mmd"))
print(sorted(m for m in ("torch", "transformers", "trl") if m in sys.modules))
"""


def test_cli_and_drawing_every_graph_import_no_torch():
    done = subprocess.run(
        [sys.executable, "-c", LIGHT], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_lazy_llm_package_exports_what_it_declares():
    import steergraph.llm as llm

    assert sorted(llm.__all__) == dir(llm)
    for name in llm.__all__:
        assert getattr(llm, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        llm.Nope  # noqa: B018
