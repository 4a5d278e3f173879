"""The CATP graph: plan -> validate -> (approve) -> execute -> replan on failure -> answer.

``plan`` asks the :class:`~steergraph.agents.catp.planner.Planner` (constrained decoding on
local models, parse-and-repair on API models); ``validate`` parses the plan against the
registry; ``approve`` (when ``require_approval``) pauses with LangGraph's ``interrupt``
so a person can accept, edit or reject the plan; ``execute`` runs it with the
concurrent :class:`~steergraph.tools.executor.PlanExecutor`; failures go back to
``plan`` with the observations and the failed tools avoided, a bounded number of
times; ``answer`` reports the outputs, price, makespan and per-step records.

Durability: every completed step's value is written to the graph's LangGraph store
(namespace ``("catp", thread_id, plan hash)``) the moment it finishes, so a run
killed mid-execution and resumed on the same thread re-runs only the unfinished
steps. Compile with a checkpointer *and* a store (``SqliteSaver`` + ``SqliteStore``).

Example:
    >>> from steergraph.testing import ScriptedChatModel
    >>> from steergraph.tools.registry import default_registry
    >>> llm = ScriptedChatModel(responses=["n = count_words(doc)\\nreturn n"])
    >>> ctx = CATPContext(model=llm, registry=default_registry(), constrained=False)
    >>> task = {"description": "Count words.", "inputs": {"doc": "text"}, "outputs": ["number"]}
    >>> out = build_catp_graph().invoke({"task": task, "inputs": {"doc": "a b"}}, context=ctx)
    >>> out["status"], out["outputs"]
    ('done', {'n': 2.0})
"""

from __future__ import annotations

import hashlib
import operator
from dataclasses import dataclass, field
from typing import Annotated, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt
from typing_extensions import TypedDict

from steergraph.agents.catp.planner import Planner, PlanTask, plan_price
from steergraph.asyncio_utils import run_sync
from steergraph.errors import InputError, PlanError
from steergraph.llm.loading import load_chat_model
from steergraph.tools.executor import ExecutorConfig, PlanExecutor
from steergraph.tools.plan_mask import BudgetError
from steergraph.tools.plan_parser import parse_plan
from steergraph.tools.registry import ToolRegistry, default_registry
from steergraph.tools.types import decode_value, encode_value

__all__ = [
    "CATPContext",
    "CATPState",
    "after_approve",
    "after_execute",
    "after_validate",
    "answer",
    "approve",
    "build_catp_graph",
    "execute",
    "plan",
    "validate",
]


class CATPState(TypedDict, total=False):
    """Serializable state of one CATP run (values are JSON-friendly, tables tagged)."""

    task: dict[str, Any]
    inputs: dict[str, Any]
    plan: str | None
    estimated_price: float
    planner_calls: int
    replans: int
    observations: Annotated[list[str], operator.add]
    avoid_tools: Annotated[list[str], operator.add]
    records: list[dict[str, Any]]
    outputs: dict[str, Any]
    execution: dict[str, Any]
    status: str
    answer: str


@dataclass
class CATPContext:
    """Run-time dependencies and knobs of the CATP graph."""

    model: str | BaseChatModel = "local"
    registry: ToolRegistry | None = None
    cost_aware: bool = True
    constrained: bool | None = None
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    require_approval: bool = False
    max_replans: int = 2
    max_steps: int = 6
    # any object with Planner's ``plan(task, observations=, avoid_tools=)`` (e.g.
    # RandomPlanner, FixedPlanner); None builds a Planner on ``model``
    planner: Any = None


def _registry(ctx: CATPContext) -> ToolRegistry:
    if ctx.registry is None:
        ctx.registry = default_registry()
        ctx.registry.profile(progress=False)
    return ctx.registry


def _task(state: CATPState) -> PlanTask:
    task = dict(state.get("task") or {})
    for key in ("description", "inputs", "outputs"):
        if key not in task:
            raise InputError(
                f"the CATP task has no '{key}'",
                fix="pass task={'description': ..., 'inputs': {name: type}, 'outputs': [type]}",
            )
    return PlanTask(**task)


def plan(state: CATPState, runtime: Runtime[CATPContext]) -> dict[str, Any]:
    """Ask the planner (or ``ctx.planner``) for a plan, avoiding tools that failed."""
    ctx = runtime.context or CATPContext()
    task = _task(state)
    planner = ctx.planner or Planner(
        load_chat_model(ctx.model),
        _registry(ctx),
        cost_aware=ctx.cost_aware,
        max_steps=ctx.max_steps,
        constrained=ctx.constrained,
    )
    try:
        result = planner.plan(
            task,
            observations=state.get("observations", []),
            avoid_tools=state.get("avoid_tools", []),
        )
    except (PlanError, BudgetError) as err:
        return {"plan": None, "status": "failed", "observations": [str(err)]}
    calls = state.get("planner_calls", 0) + result.llm_calls
    if result.plan is None:
        return {"plan": None, "planner_calls": calls, "observations": result.errors[-1:]}
    return {
        "plan": result.plan.to_text(),
        "estimated_price": result.estimated_price,
        "planner_calls": calls,
        "status": "planned",
    }


def validate(state: CATPState, runtime: Runtime[CATPContext]) -> dict[str, Any]:
    """Parse the plan against the registry; an invalid plan counts as a replan."""
    ctx = runtime.context or CATPContext()
    task = _task(state)
    if state.get("status") == "failed":
        return {}
    try:
        parse_plan(state.get("plan") or "", _registry(ctx), task.inputs, outputs=task.outputs)
    except PlanError as err:
        return {
            "status": "invalid",
            "replans": state.get("replans", 0) + 1,
            "observations": [f"the plan was invalid: {err}"],
        }
    return {"status": "valid"}


def after_validate(state: CATPState, runtime: Runtime[CATPContext]) -> str:
    """valid -> approve (when asked) or execute; invalid -> plan again (bounded) or answer."""
    ctx = runtime.context or CATPContext()
    if state.get("status") == "valid":
        return "approve" if ctx.require_approval else "execute"
    if state.get("status") == "invalid" and state.get("replans", 0) <= ctx.max_replans:
        return "plan"
    return "answer"


def approve(state: CATPState) -> dict[str, Any]:
    """Pause (``interrupt``) for a person: accept, reject, or send an edited plan. An answer
    that is none of these is not guessed at: the person is asked again, told why (LangGraph's
    validate-in-a-loop pattern; each answer is one interrupt of this node)."""
    ask = {
        "plan": state["plan"],
        "estimated_price": state.get("estimated_price"),
        "ask": "approve with True, reject with False, or send {'plan': edited text}",
    }
    decision = interrupt(ask)
    while True:
        if isinstance(decision, bool):
            return {"status": "approved" if decision else "rejected"}
        edited = decision.get("plan") if isinstance(decision, dict) else None
        if isinstance(edited, str) and edited.strip():
            return {"plan": edited, "status": "edited"}
        problem = f"the answer {decision!r} is neither True/False nor {{'plan': non-empty text}}"
        decision = interrupt({**ask, "error": problem})


def after_approve(state: CATPState) -> str:
    """edited -> validate, approved -> execute, rejected -> answer."""
    return {"edited": "validate", "approved": "execute"}.get(state["status"], "answer")


def execute(
    state: CATPState, runtime: Runtime[CATPContext], config: RunnableConfig
) -> dict[str, Any]:
    """Run the plan with the concurrent executor; every finished step's value goes to the
    store at once, so a resumed run skips it."""
    ctx = runtime.context or CATPContext()
    registry = _registry(ctx)
    task = _task(state)
    plan_obj = parse_plan(state["plan"] or "", registry, task.inputs, outputs=task.outputs)
    thread = str((config.get("configurable") or {}).get("thread_id", "-"))
    digest = hashlib.sha256(plan_obj.to_text().encode()).hexdigest()[:16]
    namespace = ("catp", thread, digest)
    store = runtime.store
    completed = {}
    if store is not None:
        completed = {
            item.key: decode_value(item.value["value"])
            for item in store.search(namespace, limit=10_000)
        }

    def persist(name: str, value: Any) -> None:
        if store is not None:
            store.put(namespace, name, {"value": encode_value(value)})

    executor = PlanExecutor(registry, ctx.executor, on_value=persist)
    inputs = {k: decode_value(v) for k, v in (state.get("inputs") or {}).items()}
    try:
        result = run_sync(executor.run(plan_obj, inputs, completed=completed))
    finally:
        executor.close()
    records = [vars(r) for r in result.records.values()]
    update: dict[str, Any] = {
        "records": records,
        "outputs": {k: encode_value(v) for k, v in result.returns.items()},
        "execution": {
            **result.summary(),
            "estimated_price": plan_price(plan_obj, registry, task.input_size),
        },
    }
    if result.ok:
        return {**update, "status": "done"}
    failed = [result.records[n] for n in result.failed]
    notes = [f"step {r.name} ({r.tool}) {r.status}: {r.error}" for r in failed]
    return {
        **update,
        "status": "execution-failed",
        "replans": state.get("replans", 0) + 1,
        "observations": notes,
        "avoid_tools": [r.tool for r in failed],
    }


def after_execute(state: CATPState, runtime: Runtime[CATPContext]) -> str:
    """A failed execution plans again while replans are left; otherwise answer."""
    ctx = runtime.context or CATPContext()
    if state.get("status") == "execution-failed" and state.get("replans", 0) <= ctx.max_replans:
        return "plan"
    return "answer"


def answer(state: CATPState) -> dict[str, Any]:
    """The final status and a one-line answer (outputs, or the last observation)."""
    status = state.get("status")
    final = "done" if status == "done" else ("rejected" if status == "rejected" else "failed")
    outputs = state.get("outputs") or {}
    if final == "done":
        shown = "; ".join(f"{k} = {str(decode_value(v))[:200]}" for k, v in outputs.items())
        text = f"Completed: {shown}"
    else:
        notes = state.get("observations") or ["no plan"]
        text = f"{final.capitalize()}: {notes[-1]}"
    return {"status": final, "answer": text}


def build_catp_graph(*, checkpointer: Any = None, store: Any = None) -> Any:
    """Compile the CATP graph (see module docstring): only the wiring."""
    graph = StateGraph(CATPState, context_schema=CATPContext)
    graph.add_node("plan", plan)
    graph.add_node("validate", validate)
    graph.add_node("approve", approve)
    graph.add_node("execute", execute)
    graph.add_node("answer", answer)
    graph.add_edge(START, "plan")
    graph.add_edge("plan", "validate")
    graph.add_conditional_edges(
        "validate", after_validate, ["approve", "execute", "plan", "answer"]
    )
    graph.add_conditional_edges("approve", after_approve, ["validate", "execute", "answer"])
    graph.add_conditional_edges("execute", after_execute, ["plan", "answer"])
    graph.add_edge("answer", END)
    return graph.compile(checkpointer=checkpointer, store=store, name="catp")
