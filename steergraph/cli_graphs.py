"""Running a graph from the CLI with an optional SQLite checkpoint, resumable by thread.

Example:
    >>> callable(invoke_checkpointed)
    True
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["invoke_checkpointed"]


def invoke_checkpointed(
    build: Callable[..., Any],
    inputs: dict[str, Any],
    context: Any,
    *,
    db: Path | None = None,
    thread: str | None = None,
    callbacks: list[Any] | None = None,
) -> dict[str, Any]:
    """Invoke ``build(checkpointer=...)`` on ``inputs``.

    With ``db`` every step is checkpointed in that SQLite file; a ``thread`` whose run
    stopped before the end (killed, failed) resumes where it stopped instead of
    starting again.
    """
    config: dict[str, Any] = {"configurable": {"thread_id": thread or uuid.uuid4().hex}}
    if callbacks:
        config["callbacks"] = callbacks
    if db is None:
        return build().invoke(inputs, config, context=context)
    from langgraph.checkpoint.sqlite import SqliteSaver

    with SqliteSaver.from_conn_string(str(db)) as saver:
        graph = build(checkpointer=saver)
        resume = thread is not None and bool(graph.get_state(config).next)
        return graph.invoke(None if resume else inputs, config, context=context)
