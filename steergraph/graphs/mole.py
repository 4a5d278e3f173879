"""MOLE's counterfactual generation as a LangGraph graph: check -> rewrite (one branch per
text and facet, ``Send``) -> collect.

``check`` validates the texts and facets before any model call; ``rewrite`` asks the
chat model for a version of one text worse in one facet, checks it, and falls back to
the programmatic perturbation (:func:`~steergraph.agents.mole.rewrite.counterfactual`);
``collect`` puts the records in input order (``dataset``), counts how each was made
and why LLM rewrites were dropped, and writes ``counterfactuals.jsonl`` under
``out_dir``: the dataset the evaluator trains on. A later run with the same texts,
facets, model and seed reads it back instead of calling the model again. Concurrent
``rewrite`` branches on a local model can decode together (``STEERGRAPH_MICROBATCH_MS``).

Example:
    >>> from steergraph.testing import ScriptedChatModel
    >>> src = "Officials in Paris said 12 people were hurt. The Mayor of Paris spoke."
    >>> out = build_mole_graph().invoke(
    ...     {"items": [{"id": "s1", "source": src, "text": "Paris said 12 were hurt."}],
    ...      "facets": ["consistency"]},
    ...     context=MoleContext(model=ScriptedChatModel(responses=["Paris said 40 were hurt."])))
    >>> out["report"]["by_method"], out["dataset"][0]["text"]
    ({'llm': 1}, 'Paris said 40 were hurt.')
"""

from __future__ import annotations

import hashlib
import json
import operator
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NotRequired

from langchain_core.language_models import BaseChatModel
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send
from typing_extensions import TypedDict

from steergraph.errors import InputError

__all__ = [
    "DATASET_FILE",
    "MoleContext",
    "MoleState",
    "build_mole_graph",
    "check",
    "collect",
    "fan_out",
    "rewrite",
]

DATASET_FILE = "counterfactuals.jsonl"


@dataclass
class MoleContext:
    """The rewriting model (a spec or a chat model; ``None``: perturbations only), the
    reply budget (default: twice the text's words) and the perturbation seed."""

    model: str | BaseChatModel | None = "local"
    max_new_tokens: int | None = None
    seed: int = 0


class MoleState(TypedDict):
    """Inputs: ``items`` (``{"id", "source", "text"}``), ``facets`` (default: all four),
    ``out_dir``; the run adds the records and the report."""

    items: list[dict[str, str]]
    facets: NotRequired[list[str]]
    out_dir: NotRequired[str | None]
    cached: NotRequired[bool]
    counterfactuals: Annotated[list[dict[str, Any]], operator.add]  # as branches finish
    dataset: NotRequired[list[dict[str, Any]]]  # the same, in input order
    report: NotRequired[dict[str, Any]]


class RewriteTask(TypedDict):
    """One ``rewrite`` branch: a text and the facet to make worse."""

    id: str
    source: str
    text: str
    facet: str


def _facets(state: MoleState) -> list[str]:
    from steergraph.data.mole.summeval import FACETS, check_facet

    return [check_facet(f) for f in (state.get("facets") or FACETS)]


def _key(state: MoleState, ctx: MoleContext) -> str:
    model = ctx.model
    if not (isinstance(model, str) or model is None):  # a chat model: its class and its name
        model = f"{type(model).__name__}:{getattr(model, 'model_name', None) or ''}"
    blob = json.dumps([state["items"], _facets(state), str(model), ctx.seed], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _dataset(state: MoleState) -> Path | None:
    return Path(state["out_dir"]) / DATASET_FILE if state.get("out_dir") else None


def check(state: MoleState, runtime: Runtime[MoleContext]) -> dict[str, Any]:
    """Refuse empty input, texts without an id, source or text, and unknown facets; read
    the cached dataset when it was made from the same inputs."""
    items = state.get("items") or []
    if not items:
        raise InputError("no texts to rewrite", fix='pass items=[{"id", "source", "text"}, ...]')
    for n, item in enumerate(items):
        missing = [k for k in ("id", "source", "text") if not str(item.get(k) or "").strip()]
        if missing:
            raise InputError(
                f"item {n} has no {', '.join(missing)}", fix="give each item all three"
            )
    _facets(state)
    path = _dataset(state)
    key = _key(state, runtime.context or MoleContext())
    if path is not None and path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines()
        head = json.loads(lines[0]) if lines else {}
        if head.get("key") == key:
            return {"cached": True, "counterfactuals": [json.loads(x) for x in lines[1:]]}
    return {"cached": False}


def fan_out(state: MoleState) -> list[Send] | str:
    """One ``rewrite`` branch per (text, facet), or straight to ``collect`` when cached."""
    if state.get("cached"):
        return "collect"
    return [
        Send("rewrite", RewriteTask(id=i["id"], source=i["source"], text=i["text"], facet=f))
        for i in state["items"]
        for f in _facets(state)
    ]


def rewrite(task: RewriteTask, runtime: Runtime[MoleContext]) -> dict[str, Any]:
    """One checked counterfactual (LLM, else perturbation) of one text in one facet."""
    from steergraph.agents.mole.rewrite import counterfactual
    from steergraph.llm.loading import load_chat_model

    ctx = runtime.context or MoleContext()
    llm = None if ctx.model is None else load_chat_model(ctx.model)
    made = counterfactual(
        llm, task["facet"], task["source"], task["text"],
        seed=ctx.seed, max_new_tokens=ctx.max_new_tokens,
    )  # fmt: skip
    return {"counterfactuals": [{"id": task["id"], "source": task["source"], **made.model_dump()}]}


def collect(state: MoleState, runtime: Runtime[MoleContext]) -> dict[str, Any]:
    """Records in input order, counts by method and drop reason, the dataset written."""
    order = {(i["id"], f): n for n, (i, f) in enumerate(
        (i, f) for i in state["items"] for f in _facets(state)
    )}  # fmt: skip
    records = sorted(state["counterfactuals"], key=lambda r: order.get((r["id"], r["facet"]), 0))
    by_method = Counter(r["method"] for r in records)
    report = {
        "counterfactuals": len(records),
        "by_method": dict(sorted(by_method.items())),
        "checked_rate": round(sum(r["check_passed"] for r in records) / max(len(records), 1), 4),
        "llm_rejections": dict(
            Counter(r["llm_reason"].split(" (")[0] for r in records if r.get("llm_reason"))
        ),
        "cached": bool(state.get("cached")),
    }
    path = _dataset(state)
    if path is not None and not state.get("cached"):
        path.parent.mkdir(parents=True, exist_ok=True)
        key = _key(state, runtime.context or MoleContext())
        lines = [json.dumps({"key": key}), *(json.dumps(r) for r in records)]
        tmp = path.with_suffix(".tmp")
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        tmp.replace(path)
    return {"dataset": records, "report": report}


def build_mole_graph(*, checkpointer: Any = None) -> Any:
    """Compile check -> rewrite (per text and facet) -> collect."""
    graph = StateGraph(MoleState, context_schema=MoleContext)
    graph.add_node("check", check)
    graph.add_node("rewrite", rewrite)
    graph.add_node("collect", collect)
    graph.add_edge(START, "check")
    graph.add_conditional_edges("check", fan_out, ["rewrite", "collect"])
    graph.add_edge("rewrite", "collect")
    graph.add_edge("collect", END)
    return graph.compile(checkpointer=checkpointer)
