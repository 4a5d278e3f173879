"""Delta-parameter editing as a LangGraph graph: check -> edit (one branch per editor) ->
estimate.

``check`` rebuilds every editor from its dict and runs :func:`prepare_edit` for each
(architecture, tensors, shapes, dtypes, the editor's settings), so bad input fails before
anything is written; ``edit`` is sent once per editor (LangGraph ``Send``) and streams
``W_base + edited dW`` into ``out_dir/NN-method``; ``estimate`` gives the Riemann-sum
prediction of each edit's loss change beside the measured one on the calibration rows
(Tang et al., 2024, arXiv:2410.13841). Without ``out_dir`` nothing is written; without
calibration rows there is no estimate.

Example:
    >>> import tempfile, pathlib
    >>> from steergraph.testing import TINY_ROWS, tiny_model_pair
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> base, post = tiny_model_pair(tmp)
    >>> out = build_delta_graph().invoke({
    ...     "base": str(base), "post": str(post), "out_dir": str(tmp / "edits"),
    ...     "editors": [{"method": "dare", "p": 0.5}, {"method": "bitdelta", "bits": 1}],
    ...     "calibration": TINY_ROWS}, context=DeltaContext())
    >>> sorted(e["folder"] for e in out["edits"])
    ['01-dare', '02-bitdelta']
    >>> [e["editor"]["method"] for e in out["report"]["estimates"]]
    ['dare', 'bitdelta']
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, NotRequired

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send
from typing_extensions import TypedDict

from steergraph.errors import InputError

__all__ = ["DeltaContext", "DeltaState", "build_delta_graph", "check", "edit", "estimate"]


@dataclass
class DeltaContext:
    """Settings of a run: the Riemann rule and steps, the band, calibration length."""

    steps: int = 5
    rule: Literal["left", "midpoint"] = "left"
    band: float | None = None
    max_length: int = 256
    overwrite: bool = False
    progress: bool = False


class DeltaState(TypedDict):
    """Inputs (``base``, ``post``, ``editors`` as dicts, optional ``out_dir`` and
    ``calibration`` rows in TRL's formats) and what the run adds."""

    base: str
    post: str
    editors: list[dict[str, Any]]
    out_dir: NotRequired[str | None]
    calibration: NotRequired[list[dict[str, Any]]]
    targeted: NotRequired[int]
    edits: Annotated[list[dict[str, Any]], operator.add]
    report: NotRequired[dict[str, Any]]


class EditTask(TypedDict):
    """One ``edit`` branch: the pair, one editor and where to write."""

    base: str
    post: str
    editor: dict[str, Any]
    out: str


def _editors(specs: list[dict[str, Any]]) -> list[Any]:
    from steergraph.editing.specs import editor_from_dict

    if not specs:
        raise InputError("no editors given", fix='pass editors=[{"method": "dare", "p": 0.9}, ...]')
    return [editor_from_dict(spec) for spec in specs]


def check(state: DeltaState) -> dict[str, Any]:
    """Every editor against the pair; raises EditingError before anything is written."""
    from steergraph.editing.stream import prepare_edit

    targeted = 0
    for editor in _editors(state["editors"]):
        _, _, names = prepare_edit(state["base"], [state["post"]], editor)
        targeted = max(targeted, len(names))
    return {"targeted": targeted}


def fan_out(state: DeltaState) -> list[Send] | str:
    """One ``edit`` branch per editor when there is an ``out_dir``, else the estimate."""
    out_dir = state.get("out_dir")
    if not out_dir:
        return "estimate"
    return [
        Send(
            "edit",
            EditTask(
                base=state["base"],
                post=state["post"],
                editor=spec,
                out=str(Path(out_dir) / f"{i:02d}-{spec['method']}"),
            ),
        )
        for i, spec in enumerate(state["editors"], 1)
    ]


def edit(task: EditTask, runtime: Runtime[DeltaContext]) -> dict[str, Any]:
    """Stream one edited model folder; record what was written."""
    from steergraph.editing.specs import editor_from_dict
    from steergraph.editing.stream import edit_checkpoint

    ctx = runtime.context or DeltaContext()
    result = edit_checkpoint(
        task["base"],
        task["post"],
        editor_from_dict(task["editor"]),
        task["out"],
        overwrite=ctx.overwrite,
        progress=ctx.progress,
    )
    record = {
        "editor": result.editor,
        "out": str(result.out),
        "folder": Path(result.out).name,
        "tensors": result.tensors,
        "edited": result.edited,
        "seconds": result.seconds,
    }
    return {"edits": [record]}


def estimate(state: DeltaState, runtime: Runtime[DeltaContext]) -> dict[str, Any]:
    """Predicted and measured loss change of every editor (needs calibration rows)."""
    rows = state.get("calibration") or []
    if not rows:
        return {}
    from steergraph.editing.estimate import evaluate_edits

    ctx = runtime.context or DeltaContext()
    report = evaluate_edits(
        state["base"],
        state["post"],
        _editors(state["editors"]),
        rows,
        steps=ctx.steps,
        rule=ctx.rule,
        band=ctx.band,
        max_length=ctx.max_length,
        progress=ctx.progress,
    )
    return {"report": report.to_dict()}


def build_delta_graph(checkpointer: Any = None) -> Any:
    """check -> edit x editors (Send) -> estimate."""
    graph = StateGraph(DeltaState, context_schema=DeltaContext)
    graph.add_node("check", check)
    graph.add_node("edit", edit)
    graph.add_node("estimate", estimate)
    graph.add_edge(START, "check")
    graph.add_conditional_edges("check", fan_out, ["edit", "estimate"])
    graph.add_edge("edit", "estimate")
    graph.add_edge("estimate", END)
    return graph.compile(checkpointer=checkpointer)
