"""One module per method: typed state, nodes, edges, ``build_<method>_graph()``.

``GRAPHS`` maps each registered graph's name to its factory. It is derived from the
method registry (:mod:`steergraph.methods`), as are the CLI's ``viz`` and
``langgraph.json``; a factory's module is imported when it is first looked up, so
``import steergraph.graphs`` loads no torch.

Example:
    >>> from steergraph.graphs import GRAPHS
    >>> "demo" in GRAPHS and "structrag_router" in GRAPHS
    True
    >>> build_graph("nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    steergraph.errors.GraphNotFoundError: no graph named 'nope' -- fix: use one of: babel, ...
"""

from __future__ import annotations

from typing import Any

from steergraph.errors import GraphNotFoundError
from steergraph.methods import GraphFactories, graph_factories

__all__ = ["GRAPHS", "build_graph"]

GRAPHS: GraphFactories = graph_factories()


def build_graph(name: str) -> Any:
    """Compile the registered graph ``name`` or raise GraphNotFoundError."""
    if name not in GRAPHS:
        raise GraphNotFoundError(
            f"no graph named '{name}'", fix=f"use one of: {', '.join(sorted(GRAPHS))}"
        )
    return GRAPHS[name]()
