"""One module per method: typed state, nodes, edges, ``build_<method>_graph()``.

``GRAPHS`` maps each registered graph's name to its factory; the CLI's ``viz`` and
``langgraph.json`` list the same graphs.

Example:
    >>> from steergraph.graphs import GRAPHS
    >>> "demo" in GRAPHS
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from steergraph.errors import GraphNotFoundError
from steergraph.graphs.catp import build_catp_graph
from steergraph.graphs.demo import build_demo_graph
from steergraph.graphs.sso import build_sso_graph
from steergraph.graphs.structrag import build_structrag_graph
from steergraph.graphs.structrag_router import build_structrag_router_graph
from steergraph.graphs.verify import build_verify_graph

__all__ = ["GRAPHS", "build_graph"]

GRAPHS: dict[str, Callable[..., Any]] = {
    "demo": build_demo_graph,
    "catp": build_catp_graph,
    "verify": build_verify_graph,
    "structrag": build_structrag_graph,
    "structrag_router": build_structrag_router_graph,
    "sso": build_sso_graph,
}


def build_graph(name: str) -> Any:
    """Compile the registered graph ``name`` or raise GraphNotFoundError."""
    if name not in GRAPHS:
        raise GraphNotFoundError(
            f"no graph named '{name}'", fix=f"use one of: {', '.join(sorted(GRAPHS))}"
        )
    return GRAPHS[name]()
