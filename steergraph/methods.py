"""The method registry: every method declared once, by slug.

Each :class:`Method` names where its parts live: the graph factories (``"module:attr"``
strings, imported only when used, so listing them stays light), the CLI sub-app and its
command, the library and training modules, the notebook, the benchmark and the README
section; its data (``steergraph.data.<slug>``) and tests (``tests/<slug>/``) sit under
its slug. :data:`GRAPHS <steergraph.graphs.GRAPHS>`, the CLI's sub-commands and
``langgraph.json`` are all derived from :data:`METHODS`; ``tests/test_methods.py`` fails
when a registered part is missing or ``langgraph.json`` disagrees. A new method is one
entry here (in the spirit of mergekit's ``merge_methods/registry.py``).

Example:
    >>> sorted(METHODS)  # doctest: +NORMALIZE_WHITESPACE
    ['babel', 'caorl', 'catp', 'delta', 'difflm', 'mole', 'seg2act', 'sso', 'structrag',
     'value_transfer', 'verify']
    >>> METHODS["structrag"].graphs["structrag_router"]
    'steergraph.graphs.structrag_router:build_structrag_router_graph'
    >>> "demo" in graph_factories() and "sso" in graph_factories()
    True
    >>> langgraph_config()["graphs"]["catp"]
    './steergraph/graphs/server.py:catp'
    >>> get_method("rlhf")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    steergraph.errors.MethodNotFoundError: no method with slug 'rlhf' -- fix: use one of: babel, ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from steergraph.errors import MethodNotFoundError
from steergraph.lazy import resolve

__all__ = [
    "CORE_GRAPHS",
    "METHODS",
    "GraphFactories",
    "Method",
    "get_method",
    "graph_factories",
    "langgraph_config",
]


@dataclass(frozen=True)
class Method:
    """Where one method's parts live (paths relative to the repository root)."""

    slug: str
    title: str
    paper: str
    graphs: dict[str, str]
    cli: str
    command: str
    library: tuple[str, ...]
    notebook: str
    benchmark: str
    readme: str
    training: tuple[str, ...] = field(default=())

    @property
    def tests(self) -> str:
        """The method's test folder: ``tests/<slug>/`` (``test_<slug>_*.py`` files)."""
        return f"tests/{self.slug}"

    @property
    def data(self) -> str:
        """The method's data package: ``steergraph.data.<slug>``."""
        return f"steergraph.data.{self.slug}"


# graphs that belong to no method: the quick-start demo
CORE_GRAPHS: dict[str, str] = {"demo": "steergraph.graphs.demo:build_demo_graph"}

METHODS: dict[str, Method] = {
    m.slug: m
    for m in (
        Method(
            slug="catp",
            title="CATP: cost-aware tool planning",
            paper="arXiv:2411.16313",
            graphs={"catp": "steergraph.graphs.catp:build_catp_graph"},
            cli="steergraph.cli.catp:catp_app",
            command="catp",
            library=("steergraph.agents.catp.planner", "steergraph.agents.catp.plan_search"),
            notebook="examples/catp.ipynb",
            benchmark="benchmarks/catp_bench.py",
            readme="**CATP: cost-aware tool planning**",
        ),
        Method(
            slug="caorl",
            title="CAORL: cost-aware offline RL of the CATP planner",
            paper="arXiv:2411.16313",
            graphs={"caorl": "steergraph.graphs.caorl:build_caorl_graph"},
            cli="steergraph.cli.caorl:caorl_app",
            command="caorl",
            library=("steergraph.agents.caorl",),
            training=("steergraph.training.caorl_config", "steergraph.training.caorl_trainer"),
            notebook="examples/caorl.ipynb",
            benchmark="benchmarks/caorl_bench.py",
            readme="**CAORL: cost-aware offline RL of the planner**",
        ),
        Method(
            slug="verify",
            title="Verifier engineering: search, verify, feedback",
            paper="arXiv:2411.11504",
            graphs={"verify": "steergraph.graphs.verify:build_verify_graph"},
            cli="steergraph.cli.verify:verify_app",
            command="verify",
            library=("steergraph.agents.verify",),
            training=("steergraph.training.verify",),
            notebook="examples/verify.ipynb",
            benchmark="benchmarks/verify_bench.py",
            readme="**Verifier engineering: search -> verify -> feedback**",
        ),
        Method(
            slug="structrag",
            title="StructRAG: route, structurize, utilize",
            paper="arXiv:2410.08815",
            graphs={
                "structrag": "steergraph.graphs.structrag:build_structrag_graph",
                "structrag_router": (
                    "steergraph.graphs.structrag_router:build_structrag_router_graph"
                ),
            },
            cli="steergraph.cli.structrag:structrag_app",
            command="structrag",
            library=("steergraph.agents.structrag",),
            training=("steergraph.training.structrag",),
            notebook="examples/structrag.ipynb",
            benchmark="benchmarks/structrag_bench.py",
            readme="**StructRAG: route -> structurize -> utilize**",
        ),
        Method(
            slug="sso",
            title="SSO: self-steering optimization",
            paper="arXiv:2410.17131",
            graphs={"sso": "steergraph.graphs.sso:build_sso_graph"},
            cli="steergraph.cli.sso:sso_app",
            command="sso",
            library=("steergraph.agents.sso",),
            training=(
                "steergraph.training.sso",
                "steergraph.training.sso_trainer",
                "steergraph.training.sso_config",
            ),
            notebook="examples/sso.ipynb",
            benchmark="benchmarks/sso_bench.py",
            readme="**SSO: self-steering optimization**",
        ),
        Method(
            slug="delta",
            title="Delta-parameter editing",
            paper="arXiv:2410.13841",
            graphs={"delta": "steergraph.graphs.delta:build_delta_graph"},
            cli="steergraph.cli.delta:edit_app",
            command="edit",
            library=("steergraph.editing",),
            training=("steergraph.training.delta",),
            notebook="examples/delta.ipynb",
            benchmark="benchmarks/delta_bench.py",
            readme="**Delta-parameter editing**",
        ),
        Method(
            slug="difflm",
            title="DiffLM: VAE + latent diffusion steering a frozen LLM to synthesise tables",
            paper="arXiv:2411.03250",
            graphs={"difflm": "steergraph.graphs.difflm:build_difflm_graph"},
            cli="steergraph.cli.difflm:difflm_app",
            command="difflm",
            library=("steergraph.agents.difflm",),
            training=(
                "steergraph.training.difflm",
                "steergraph.training.difflm_vae",
                "steergraph.training.difflm_diffusion",
            ),
            notebook="examples/difflm.ipynb",
            benchmark="benchmarks/difflm_bench.py",
            readme="**DiffLM: synthetic tables**",
        ),
        Method(
            slug="mole",
            title="MOLE: multi-facet counterfactual learning of a quality evaluator",
            paper="arXiv:2410.07693",
            graphs={"mole": "steergraph.graphs.mole:build_mole_graph"},
            cli="steergraph.cli.mole:mole_app",
            command="mole",
            library=("steergraph.agents.mole",),
            training=("steergraph.training.mole", "steergraph.training.mole_verifier"),
            notebook="examples/mole.ipynb",
            benchmark="benchmarks/mole_bench.py",
            readme="**MOLE: multi-facet counterfactual learning**",
        ),
        Method(
            slug="seg2act",
            title="Seg2Act: document logical structuring as action generation",
            paper="arXiv:2410.06802",
            graphs={"seg2act": "steergraph.graphs.seg2act:build_seg2act_graph"},
            cli="steergraph.cli.seg2act:seg2act_app",
            command="seg2act",
            library=("steergraph.agents.seg2act",),
            training=("steergraph.training.seg2act",),
            notebook="examples/seg2act.ipynb",
            benchmark="benchmarks/seg2act_bench.py",
            readme="**Seg2Act: document structure as actions**",
        ),
        Method(
            slug="value_transfer",
            title="Value-network transfer (inverse value learning)",
            paper="arXiv:2410.21027",
            graphs={
                "value_transfer": "steergraph.graphs.value_transfer:build_value_transfer_graph"
            },
            cli="steergraph.cli.value_transfer:value_app",
            command="value",
            library=("steergraph.agents.value_transfer",),
            training=(
                "steergraph.training.value_transfer_config",
                "steergraph.training.value_transfer_trainer",
            ),
            notebook="examples/value_transfer.ipynb",
            benchmark="benchmarks/value_transfer_bench.py",
            readme="**Value-network transfer**",
        ),
        Method(
            slug="babel",
            title="Babel Tower: working languages, language neurons, staged code pre-training",
            paper="arXiv:2412.07298",
            graphs={"babel": "steergraph.graphs.babel:build_babel_graph"},
            cli="steergraph.cli.babel:babel_app",
            command="babel",
            library=("steergraph.agents.babel",),
            training=("steergraph.training.babel_config", "steergraph.training.babel_trainer"),
            notebook="examples/babel.ipynb",
            benchmark="benchmarks/babel_bench.py",
            readme="**Babel Tower: how a code model's languages split**",
        ),
    )
}


def get_method(slug: str) -> Method:
    """The registered method ``slug`` or MethodNotFoundError listing the slugs."""
    if slug not in METHODS:
        raise MethodNotFoundError(
            f"no method with slug {slug!r}", fix=f"use one of: {', '.join(sorted(METHODS))}"
        )
    return METHODS[slug]


class GraphFactories(Mapping[str, Callable[..., Any]]):
    """Graph name -> factory; a factory's module is imported on first access."""

    def __init__(self, targets: Mapping[str, str]) -> None:
        self.targets = dict(targets)

    def __getitem__(self, name: str) -> Callable[..., Any]:
        return resolve(self.targets[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self.targets)

    def __len__(self) -> int:
        return len(self.targets)


def graph_factories() -> GraphFactories:
    """Every registered graph: the core ones, then each method's, in registry order."""
    targets = dict(CORE_GRAPHS)
    for method in METHODS.values():
        targets.update(method.graphs)
    return GraphFactories(targets)


def langgraph_config() -> dict[str, Any]:
    """The content of ``langgraph.json``: every registered graph, served through the
    zero-argument factories of :mod:`steergraph.graphs.server`."""
    graphs = {name: f"./steergraph/graphs/server.py:{name}" for name in graph_factories()}
    return {"dependencies": ["."], "graphs": graphs}
