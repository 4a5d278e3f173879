"""The StructRAG router-training graph: synthesize -> simulate -> judge -> train -> evaluate.

The hybrid structure router is trained the way StructRAG's authors trained theirs:

* ``synthesize`` builds routing tasks with program-computed gold answers over real
  documents (:func:`~steergraph.data.structrag.tasks.structrag_tasks`, training split),
  or takes the ``tasks`` given in the input.
* ``simulate`` solves every task once with every structure type (the StructRAG graph
  with the structure forced), a few tasks per step, so a killed run resumes from the
  last checkpoint without redoing finished tasks; a structure that came out empty and
  fell back to chunk counts as a failed solution.
* ``judge`` scores each simulated answer against the gold answer and writes DPO pairs
  (:func:`~steergraph.training.structrag.router_preferences`) to
  ``workdir/router_pairs.jsonl``.
* ``train`` runs TRL's ``DPOTrainer`` on the router model (a copy of the embedded
  model's weights unless ``RouterTrainingContext.router`` is given) and exports it for
  llama.cpp; ``evaluate`` measures routing accuracy on the held-out tasks (input
  ``eval_tasks``) before and after.

Example:
    >>> g = build_structrag_router_graph()
    >>> sorted(n for n in g.get_graph().nodes if not n.startswith("__"))
    ['evaluate', 'judge', 'simulate', 'synthesize', 'train']
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from typing_extensions import TypedDict

from steergraph.agents.structrag.structures import STRUCTURE_TYPES
from steergraph.data.structrag.scoring import score_answer
from steergraph.data.structrag.tasks import StructTask, split_tasks, structrag_tasks
from steergraph.errors import InputError
from steergraph.graphs.structrag import StructRAGContext, build_structrag_graph
from steergraph.llm.loading import load_chat_model

__all__ = [
    "SIMULATION_DEFAULTS",
    "RouterTrainingContext",
    "RouterTrainingState",
    "build_structrag_router_graph",
    "evaluate",
    "judge",
    "more",
    "simulate",
    "simulate_task",
    "structures_for",
    "synthesize",
    "train",
]


#: StructRAGContext settings of a simulated solution: one LLM-built piece per structure,
#: one sub-question -- each task is solved once per structure type, so this is the cost
#: that multiplies (at 135M on 2 cores a full-size simulation costs minutes per task).
SIMULATION_DEFAULTS: dict[str, Any] = {
    "max_subquestions": 1,
    "max_llm_chunks": 1,
    "max_input_tokens": 800,
}


class RouterTrainingState(TypedDict, total=False):
    """Serializable state: tasks, simulations so far, pairs, training and accuracy figures."""

    tasks: list[dict[str, Any]]
    eval_tasks: list[dict[str, Any]]
    cursor: int
    simulations: list[dict[str, Any]]
    judged: dict[str, Any]
    trained: dict[str, Any]
    accuracy: dict[str, Any]
    status: str


@dataclass
class RouterTrainingContext:
    """Knobs of router training (not checkpointed; pass the same on resume).

    ``model`` simulates solutions (and is the router before training unless
    ``router`` is given: a model folder, embedded name or chat model to DPO-train).
    ``structures`` are the types simulated per task (``simulation``: the StructRAG
    settings each is solved with, :data:`SIMULATION_DEFAULTS`); with ``contrast`` only the
    task's designed structure and the ``contrast`` types are simulated (cheaper: used by
    the benchmark's ``--quick``). ``batch`` tasks are simulated per checkpointed step.
    ``train=False`` stops after writing the pairs; ``export`` writes
    the trained router's GGUF so llama.cpp serves it.
    """

    model: str | BaseChatModel = "local"
    router: str | None = None
    workdir: str | None = None
    n_per_family: int = 2
    seed: int = 0
    families: list[str] | None = None
    structures: tuple[str, ...] = STRUCTURE_TYPES
    contrast: tuple[str, ...] | None = None
    batch: int = 4
    train: bool = True
    export: bool = True
    train_config: dict[str, Any] = field(default_factory=dict)
    embeddings: Embeddings | None = None
    simulation: dict[str, Any] = field(default_factory=lambda: dict(SIMULATION_DEFAULTS))
    progress: bool = False


def _tasks(raw: list[dict[str, Any]] | None) -> list[StructTask]:
    return [StructTask.model_validate(t) for t in raw or []]


def _check_disjoint(tasks: list[StructTask], held_out: list[StructTask]) -> None:
    """Training and held-out tasks must not share an id or a (question, documents) pair."""

    def key(t: StructTask) -> tuple[str, frozenset[str]]:
        return t.question, frozenset(d["id"] for d in t.documents)

    shared = {t.id for t in tasks} & {t.id for t in held_out}
    shared |= {t.id for t in held_out if key(t) in {key(u) for u in tasks}}
    if shared:
        raise InputError(
            f"{len(shared)} held-out task(s) are also training tasks (e.g. {sorted(shared)[0]})",
            fix="evaluate routing on tasks the router is not trained on",
        )


def structures_for(task: StructTask, ctx: RouterTrainingContext) -> list[str]:
    """The structures ``task`` is solved with: all of ``ctx.structures``, or with
    ``ctx.contrast`` its designed structure and the contrast types."""
    if not ctx.contrast:
        return list(ctx.structures)
    return [task.structure, *(s for s in ctx.contrast if s != task.structure)]


def simulate_task(task: StructTask, structure: str, ctx: RouterTrainingContext) -> dict[str, Any]:
    """Solve ``task`` with ``structure`` forced and score the answer against its gold."""
    start = time.perf_counter()
    run_ctx = StructRAGContext(
        model=ctx.model, structure=structure, embeddings=ctx.embeddings, **ctx.simulation
    )
    out = build_structrag_graph().invoke(
        {"question": task.question, "documents": task.documents}, context=run_ctx
    )
    fell_back = out["metadata"]["structure"] != structure
    scores = (
        {"em": 0.0, "f1": 0.0}
        if fell_back
        else score_answer(out["answer"], task.gold, task.answer_type)
    )
    return {
        "task_id": task.id,
        "family": task.family,
        "question": task.question,
        "titles": [d["title"] for d in task.documents],
        "designed": task.structure,
        "structure": structure,
        "answer": out["answer"],
        "fell_back": fell_back,
        "method": out["metadata"]["method"],
        "seconds": round(time.perf_counter() - start, 3),
        **scores,
    }


def synthesize(state: RouterTrainingState, runtime: Runtime[RouterTrainingContext]) -> dict:
    """Check the settings; the training and held-out tasks (given or synthesized)."""
    ctx = runtime.context or RouterTrainingContext()
    if ctx.batch < 1:
        raise InputError(f"batch must be >= 1, got {ctx.batch}", fix="pass batch=1 or more")
    unknown = sorted((set(ctx.structures) | set(ctx.contrast or ())) - set(STRUCTURE_TYPES))
    if unknown or len(ctx.structures) < 2:
        raise InputError(
            f"structures {list(ctx.structures)} cannot be compared",
            fix=f"pass two or more of {', '.join(STRUCTURE_TYPES)}",
        )
    if state.get("tasks"):
        tasks = _tasks(state["tasks"])
        held_out = _tasks(state.get("eval_tasks"))
    else:
        tasks, held_out = split_tasks(
            structrag_tasks(ctx.n_per_family, seed=ctx.seed, families=ctx.families)
        )
        if state.get("eval_tasks"):
            held_out = _tasks(state["eval_tasks"])
    _check_disjoint(tasks, held_out)
    return {
        "tasks": [t.model_dump() for t in tasks],
        "eval_tasks": [t.model_dump() for t in held_out],
        "cursor": 0,
        "simulations": [],
        "status": "synthesized",
    }


def simulate(state: RouterTrainingState, runtime: Runtime[RouterTrainingContext]) -> dict:
    """Answer the next batch of tasks with each candidate structure (scored by F1)."""
    ctx = runtime.context or RouterTrainingContext()
    tasks = _tasks(state["tasks"])
    cursor = state.get("cursor", 0)
    batch = tasks[cursor : cursor + ctx.batch]
    sims = [simulate_task(t, s, ctx) for t in batch for s in structures_for(t, ctx)]
    if ctx.progress:
        done = min(cursor + ctx.batch, len(tasks))
        print(
            f"simulated {done}/{len(tasks)} tasks",
            flush=True,
        )
    return {
        "simulations": [*state.get("simulations", []), *sims],
        "cursor": cursor + len(batch),
        "status": "simulating",
    }


def more(state: RouterTrainingState) -> str:
    """Another batch to simulate, or judge."""
    return "simulate" if state.get("cursor", 0) < len(state["tasks"]) else "judge"


def judge(state: RouterTrainingState, runtime: Runtime[RouterTrainingContext]) -> dict:
    """Preference pairs from the simulations (written first: they survive a failure)."""
    from steergraph.training.structrag import judge_counts, router_preferences

    ctx = runtime.context or RouterTrainingContext()
    sims = state.get("simulations") or []
    folder = Path(ctx.workdir) if ctx.workdir else None
    if folder is not None:  # the simulations first: they survive a judging failure
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "simulations.jsonl").open("w") as fh:
            fh.writelines(json.dumps(s) + "\n" for s in sims)
    try:
        pairs = router_preferences(sims)
    except InputError:  # nothing to prefer (no simulations, or all equal and none designed)
        pairs = None
    wins: dict[str, list[float]] = {}
    for sim in sims:
        wins.setdefault(sim["structure"], []).append(float(sim["f1"]))
    summary = {
        **judge_counts(sims),
        "pairs": len(pairs) if pairs is not None else 0,
        "mean_f1_by_structure": {k: round(sum(v) / len(v), 4) for k, v in wins.items()},
    }
    if folder is not None and pairs is not None:
        pairs.to_json(str(folder / "router_pairs.jsonl"))
        summary["pairs_file"] = str(folder / "router_pairs.jsonl")
    return {"judged": summary, "status": "judged"}


def train(state: RouterTrainingState, runtime: Runtime[RouterTrainingContext]) -> dict:
    """DPO-train the router on the pairs (skipped, and said, when there is nothing)."""
    from steergraph.training.structrag import router_preferences, train_router

    ctx = runtime.context or RouterTrainingContext()
    if not ctx.train:
        return {"trained": {"skipped": "train=False"}, "status": "judged"}
    if not (state.get("judged") or {}).get("pairs"):
        return {"trained": {"skipped": "no preference pairs"}, "status": "judged"}
    if not ctx.workdir:
        raise InputError("training the router needs a workdir", fix="pass workdir=...")
    from steergraph.llm.embedded import DEFAULT_MODEL
    from steergraph.llm.engines.hf_weights import load_hf_model

    model, tok, _ = load_hf_model(ctx.router or DEFAULT_MODEL)
    out = Path(ctx.workdir) / "router"
    result = train_router(
        (model, tok),
        router_preferences(state.get("simulations") or []),
        output_dir=out,
        **ctx.train_config,
    )
    if ctx.export:
        from steergraph.llm.gguf_export import export_gguf

        export_gguf(out, dtype="f16")
    return {
        "trained": {
            "router": str(out),
            "steps": result.steps,
            "seconds": round(result.train_seconds, 1),
            "losses": result.losses,
        },
        "status": "trained",
    }


def evaluate(state: RouterTrainingState, runtime: Runtime[RouterTrainingContext]) -> dict:
    """Routing accuracy on the held-out tasks, before and after training."""
    from steergraph.training.structrag import router_accuracy

    ctx = runtime.context or RouterTrainingContext()
    held_out = _tasks(state.get("eval_tasks"))
    if not held_out:
        return {"accuracy": {}, "status": "done"}
    # "before" is the model that is trained (its base weights), or the routing model
    base = (f"local:{ctx.router}" if ctx.router else "local") if ctx.train else ctx.model
    before_model = load_chat_model(base)
    accuracy = {"before": router_accuracy(before_model, held_out)}
    router = (state.get("trained") or {}).get("router")
    if router:
        from steergraph.llm.local import LocalChatModel

        after_model = LocalChatModel.from_pretrained(router)
        accuracy["after"] = router_accuracy(after_model, held_out)
    return {"accuracy": accuracy, "status": "done"}


def build_structrag_router_graph(*, checkpointer: Any = None) -> Any:
    """Compile the router-training graph (see the module docstring): only the wiring."""
    graph = StateGraph(RouterTrainingState, context_schema=RouterTrainingContext)
    graph.add_node("synthesize", synthesize)
    graph.add_node("simulate", simulate)
    graph.add_node("judge", judge)
    graph.add_node("train", train)
    graph.add_node("evaluate", evaluate)
    graph.add_edge(START, "synthesize")
    graph.add_conditional_edges("synthesize", more, ["simulate", "judge"])
    graph.add_conditional_edges("simulate", more, ["simulate", "judge"])
    graph.add_edge("judge", "train")
    graph.add_edge("train", "evaluate")
    graph.add_edge("evaluate", END)
    return graph.compile(checkpointer=checkpointer, name="structrag_router")
