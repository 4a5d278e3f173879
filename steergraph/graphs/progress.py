"""Run a compiled graph to its end with a progress bar over one node's runs.

A fan-out graph (one ``Send`` per item) finishes its branches inside one super-step, so
``invoke`` says nothing until all of them are done: minutes of silence on a long run.
:func:`invoke_with_progress` streams LangGraph's ``updates`` (one per finished task) and
``values`` (the state after each step) together, advances a tqdm bar each time the named
node finishes, and returns the last state, which is what ``invoke`` returns.

Example:
    >>> import operator
    >>> from typing import Annotated
    >>> from typing_extensions import TypedDict
    >>> from langgraph.graph import START, StateGraph
    >>> from langgraph.types import Send
    >>> S = TypedDict("S", {"items": list, "done": Annotated[list, operator.add]})
    >>> g = StateGraph(S)
    >>> g = g.add_node("square", lambda x: {"done": [x * x]})
    >>> g = g.add_conditional_edges(START, lambda s: [Send("square", i) for i in s["items"]])
    >>> out = invoke_with_progress(g.compile(), {"items": [1, 2, 3]}, node="square",
    ...                            total=3, desc="squares", enabled=False)
    >>> sorted(out["done"])
    [1, 4, 9]
"""

from __future__ import annotations

from typing import Any

__all__ = ["invoke_with_progress"]


def invoke_with_progress(
    graph: Any,
    inputs: Any,
    *,
    node: str,
    total: int | None,
    desc: str,
    enabled: bool = True,
    **kwargs: Any,
) -> dict[str, Any]:
    """``graph.invoke(inputs, **kwargs)`` with a bar of ``total`` runs of ``node``."""
    from tqdm.auto import tqdm

    final: dict[str, Any] = {}
    with tqdm(total=total, desc=desc, unit="run", disable=not enabled) as bar:
        for mode, chunk in graph.stream(inputs, stream_mode=["updates", "values"], **kwargs):
            if mode == "values":
                final = chunk
            elif isinstance(chunk, dict) and node in chunk:
                bar.update(1)
    return final
