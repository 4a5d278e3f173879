"""Graph factories in the form LangGraph's Agent Server accepts (``langgraph.json``).

The server calls a factory with nothing, a ``RunnableConfig`` or a ``ServerRuntime``, and
brings its own checkpointer and store; our builders take keyword options
(``checkpointer=``, ``tools=``), which the server would fill with its config. So every
registered graph gets a zero-argument factory here, named after the graph, built from the
registry (:mod:`steergraph.methods`): ``langgraph dev`` serves every graph, and a run
passes its dependencies (model, workdir, ...) in its ``context``, as in Python.

Example:
    >>> from steergraph.graphs import server
    >>> server.catp().get_graph().nodes.keys() >= {"plan", "execute"}
    True
    >>> server.server_factory("nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    steergraph.errors.GraphNotFoundError: no graph named 'nope' -- fix: use one of: babel, ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from steergraph.errors import GraphNotFoundError
from steergraph.methods import graph_factories

__all__ = ["server_factory", *graph_factories()]


def server_factory(name: str) -> Callable[[], Any]:
    """A zero-argument factory of the registered graph ``name`` (no checkpointer)."""
    factories = graph_factories()
    if name not in factories:
        raise GraphNotFoundError(
            f"no graph named '{name}'", fix=f"use one of: {', '.join(sorted(factories))}"
        )

    def factory() -> Any:
        return factories[name]()

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = f"The '{name}' graph for LangGraph's Agent Server."
    return factory


for _name in graph_factories():
    globals()[_name] = server_factory(_name)
