"""CAORL as a LangGraph graph: train (each variant, once) -> evaluate (one branch per
variant, ``Send``) -> collect.

``train`` reads the plan pool's training tasks (:func:`~steergraph.data.caorl.load_pool`)
and fine-tunes the base model once per variant (``caorl``, ``no_cost``, ``sft_best``)
into ``workdir/<variant>`` with :func:`~steergraph.training.caorl_trainer.train_caorl`;
a folder that already holds a trained planner is reused (a killed run does not train
again). ``evaluate`` loads one trained planner (exported to llama.cpp when installed),
plans every task of ``eval_tasks`` under the type mask and runs each plan for real
(score against the gold output, estimated and measured price and latency): one
:class:`~steergraph.bench.catp.Outcome` per task. ``collect`` writes them to
``workdir/outcomes.jsonl`` and sums them up per variant.

Example (a tiny random model, one step, no evaluation):
    >>> import tempfile
    >>> from datasets import Dataset
    >>> from steergraph.testing import tiny_causal_lm
    >>> rows = [{"task_id": "word-count-L1", "split": "train", "planner": "enumeration",
    ...          "plan": "n = count_words(doc)\\nreturn n", "valid": True, "score": 1.0,
    ...          "measured": False, "description": "Count the words of the document."}]
    >>> pool = tempfile.mkdtemp()
    >>> Dataset.from_list(rows).save_to_disk(pool)
    >>> base = tempfile.mkdtemp()
    >>> for part in tiny_causal_lm(seed=0):
    ...     _ = part.save_pretrained(base)
    >>> ctx = CAORLContext(model=str(base), workdir=tempfile.mkdtemp(),
    ...                    train={"max_steps": 1, "max_length": 4096})
    >>> out = build_caorl_graph().invoke({"pool": pool}, context=ctx)
    >>> sorted(out["trained"]), out["summary"]
    (['caorl'], {})
"""

from __future__ import annotations

import contextlib
import io
import json
import operator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any, NotRequired

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send
from typing_extensions import TypedDict

from steergraph.errors import InputError

__all__ = [
    "CAORLContext",
    "CAORLState",
    "build_caorl_graph",
    "collect",
    "evaluate",
    "fan_out",
    "train",
]


@dataclass
class CAORLContext:
    """The base model to fine-tune, where planners are kept, which variants, the
    trainer's settings (``CAORLConfig`` fields), how trained planners are served."""

    model: str = "local"
    workdir: str = "caorl"
    variants: tuple[str, ...] = ("caorl",)
    train: dict[str, Any] = field(default_factory=dict)
    engine: str = "auto"
    target_return: float | None = None
    registry: Any = None


class CAORLState(TypedDict):
    """Input: the plan pool folder and, optionally, the task ids to plan for."""

    pool: str
    eval_tasks: NotRequired[list[str]]
    trained: NotRequired[dict[str, str]]
    outcomes: Annotated[list[dict[str, Any]], operator.add]
    summary: NotRequired[dict[str, Any]]


def _registry(ctx: CAORLContext) -> Any:
    from steergraph.tools.registry import default_registry

    if ctx.registry is None:
        ctx.registry = default_registry()
        ctx.registry.profile(progress=False)
    return ctx.registry


def _eval_tasks(state: CAORLState) -> list[Any]:
    from steergraph.data.catp.tasks import build_tasks

    wanted = list(state.get("eval_tasks") or [])
    if not wanted:
        return []
    suite = {t.id: t for t in build_tasks()}
    unknown = [t for t in wanted if t not in suite]
    if unknown:
        raise InputError(
            f"no CATP task {unknown[0]!r}", fix="use ids such as summary-L1 (family-Llevel)"
        )
    return [suite[t] for t in wanted]


def train(state: CAORLState, runtime: Runtime[CAORLContext]) -> dict[str, Any]:
    """One planner per variant, trained once into ``workdir/<variant>``."""
    from steergraph.agents.caorl.planner import VARIANTS
    from steergraph.data.caorl.pool import load_pool
    from steergraph.training.caorl_trainer import META_FILE, train_caorl
    from steergraph.training.recipes import trainable_name

    ctx = runtime.context or CAORLContext()
    bad = [v for v in ctx.variants if v not in VARIANTS]
    if bad or not ctx.variants:
        raise InputError(f"unknown CAORL variant(s) {bad}", fix=f"use some of {VARIANTS}")
    _eval_tasks(state)  # bad task ids fail before any training
    base = trainable_name(ctx.model)
    registry = _registry(ctx)
    todo = [v for v in ctx.variants if not (Path(ctx.workdir) / v / META_FILE).is_file()]
    pool = load_pool(state["pool"], registry) if todo else {}
    trained = {}
    for variant in ctx.variants:
        out = Path(ctx.workdir) / variant
        if variant in todo:
            settings = {"disable_tqdm": True, **ctx.train, "variant": variant}
            with contextlib.redirect_stdout(io.StringIO()):  # TRL's per-step log lines
                train_caorl(base, pool, registry, output_dir=out, base_name=base, **settings)
        trained[variant] = str(out)
    return {"trained": trained}


def fan_out(state: CAORLState) -> list[Send] | str:
    """One ``evaluate`` branch per trained variant, or straight to ``collect``."""
    if not state.get("eval_tasks"):
        return "collect"
    return [Send("evaluate", {**state, "variant": v}) for v in state["trained"]]


def evaluate(state: dict[str, Any], runtime: Runtime[CAORLContext]) -> dict[str, Any]:
    """Plan and run every task of ``eval_tasks`` with one trained planner."""
    from steergraph.agents.catp.outcome import plan_and_run
    from steergraph.training.caorl_trainer import load_planner

    ctx = runtime.context or CAORLContext()
    registry = _registry(ctx)
    variant = state["variant"]
    planner = load_planner(state["trained"][variant], registry,
                           target_return=ctx.target_return, engine=ctx.engine)  # fmt: skip
    outcomes = []
    for task in _eval_tasks(state):
        outcome = plan_and_run(variant, planner, task, registry, None)
        outcomes.append(asdict(outcome))
    return {"outcomes": outcomes}


def collect(state: CAORLState, runtime: Runtime[CAORLContext]) -> dict[str, Any]:
    """Outcomes to ``workdir/outcomes.jsonl``; per variant: tasks, mean score (invalid =
    0), mean estimated price of valid plans, invalid rate."""
    ctx = runtime.context or CAORLContext()
    outcomes = state.get("outcomes") or []
    summary: dict[str, Any] = {}
    for variant in state.get("trained", {}):
        mine = [o for o in outcomes if o["planner"] == variant]
        if not mine:
            continue
        valid = [o for o in mine if o["valid"]]
        summary[variant] = {
            "tasks": len(mine),
            "score": sum(o["score"] for o in valid) / len(mine),
            "est_price": sum(o["est_price"] for o in valid) / len(valid) if valid else None,
            "invalid_plan_rate": 1 - len(valid) / len(mine),
        }
    if outcomes:
        Path(ctx.workdir).mkdir(parents=True, exist_ok=True)
        with open(Path(ctx.workdir) / "outcomes.jsonl", "w") as fh:
            fh.writelines(json.dumps(o) + "\n" for o in outcomes)
    return {"summary": summary}


def build_caorl_graph(*, checkpointer: Any = None) -> Any:
    """Compile train -> evaluate (per variant) -> collect."""
    graph = StateGraph(CAORLState, context_schema=CAORLContext)
    graph.add_node("train", train)
    graph.add_node("evaluate", evaluate)
    graph.add_node("collect", collect)
    graph.add_edge(START, "train")
    graph.add_conditional_edges("train", fan_out, ["evaluate", "collect"])
    graph.add_edge("evaluate", "collect")
    graph.add_edge("collect", END)
    return graph.compile(checkpointer=checkpointer)
