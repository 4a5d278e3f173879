"""The StructRAG benchmark: StructRAG vs chunk RAG vs long context on Loong-style tasks.

One run, one model (any chat model spec), the same held-out tasks for every method:

1. tasks with program-computed gold answers over real documents
   (:mod:`steergraph.data.structrag.tasks`: spotlight locating, comparison, clustering,
   chain of reasoning; all five structure types), split into train and test;
2. router training (:mod:`steergraph.graphs.structrag_router`) on the training tasks;
   routing accuracy on the test tasks before and after (local models only: DPO needs
   the weights);
3. every test question answered by StructRAG (the trained router when there is one),
   plain chunk RAG (FAISS top-k) and long context (all documents, cut to the window);
4. exact match and F1 per method, per task type and overall, time per question.

Example:
    >>> cfg = StructRAGBenchConfig(quick=True)
    >>> cfg.n_per_family, cfg.train_n_per_family, len(cfg.test_families), cfg.router_epochs
    (1, 1, 6, 1)
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from steergraph.agents.structrag.baselines import chunk_rag_answer, long_context_answer
from steergraph.agents.structrag.documents import Doc
from steergraph.agents.structrag.retrieval import Retriever
from steergraph.data.structrag.scoring import score_answer
from steergraph.data.structrag.tasks import StructTask, split_tasks, structrag_tasks
from steergraph.errors import InputError
from steergraph.graphs.structrag import StructRAGContext, build_structrag_graph
from steergraph.llm.loading import load_chat_model

__all__ = [
    "METHODS",
    "QUICK_TEST_FAMILIES",
    "ROUTER_TRAIN_FAMILIES",
    "StructRAGBenchConfig",
    "run_structrag_bench",
    "split_for_bench",
    "summarize",
]

METHODS = ("structrag", "chunk_rag", "long_context")


@dataclass
class StructRAGBenchConfig:
    """What to run.

    ``quick`` (explicit values win): 1 test task in each of :data:`QUICK_TEST_FAMILIES`
    (every structure type and task type; five of the six unseen in router training), 1
    training task per router-training family simulated with its designed structure, table
    and chunk only (``contrast``), 1 DPO epoch. ``test_families`` restricts the test
    tasks only; ``families`` restricts both.
    """

    model: Any = "local"
    n_per_family: int = 6
    train_n_per_family: int = 2
    families: list[str] | None = None
    seed: int = 0
    train_router: bool = True
    chunk_k: int = 6
    workdir: str | None = None
    quick: bool = False
    progress: bool = True
    graph_options: dict[str, Any] = field(default_factory=dict)
    embeddings: Any = None
    test_families: list[str] | None = None
    router_epochs: int = 3
    contrast: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.quick:  # explicit values given with --quick win
            fields = type(self).__dataclass_fields__
            if self.n_per_family == fields["n_per_family"].default:
                self.n_per_family = 1
            if self.train_n_per_family == fields["train_n_per_family"].default:
                self.train_n_per_family = 1
            if self.router_epochs == fields["router_epochs"].default:
                self.router_epochs = 1
            if self.test_families is None:
                self.test_families = list(QUICK_TEST_FAMILIES)
            if self.contrast is None:  # each task vs table and chunk, not all five
                self.contrast = ("table", "chunk")
        if min(self.n_per_family, self.train_n_per_family, self.router_epochs) < 1:
            raise InputError(
                "n_per_family, train_n_per_family and router_epochs must be >= 1",
                fix="pass positive counts",
            )


def _first(tasks: list[StructTask], per_family: int) -> list[StructTask]:
    by_family: dict[str, list[StructTask]] = defaultdict(list)
    for task in tasks:
        if len(by_family[task.family]) < per_family:
            by_family[task.family].append(task)
    return [t for family in sorted(by_family) for t in by_family[family]]


#: One family per structure type. The router is trained on these families only, so its
#: accuracy on the test tasks of the other six measures routing of question kinds it never
#: saw (tasks of one family share their question template).
ROUTER_TRAIN_FAMILIES = (
    "package_description",
    "largest_package",
    "dependency_link",
    "next_step",
    "parent_section",
)


#: The test families of ``--quick``: every structure type and every task type once.
QUICK_TEST_FAMILIES = (
    "package_field",
    "section_total_size",
    "dependents",
    "next_step",
    "step_count",
    "section_children",
)


def split_for_bench(cfg: StructRAGBenchConfig) -> tuple[list[StructTask], list[StructTask]]:
    """(router training tasks, test tasks): one pool split by id hash, so never shared;
    training tasks from :data:`ROUTER_TRAIN_FAMILIES` only (all families when none of
    those is selected)."""
    pool = structrag_tasks(
        2 * max(cfg.n_per_family, cfg.train_n_per_family), seed=cfg.seed, families=cfg.families
    )
    train, test = split_tasks(pool)
    seen = [t for t in train if t.family in ROUTER_TRAIN_FAMILIES] or train
    if cfg.test_families is not None:
        test = [t for t in test if t.family in cfg.test_families]
        if not test:
            raise InputError(
                f"no test tasks in the families {cfg.test_families}",
                fix="name families of steergraph.data.structrag.tasks.FAMILIES",
            )
    return _first(seen, cfg.train_n_per_family), _first(test, cfg.n_per_family)


def _accuracy_by_seen(
    result: dict[str, Any] | None, test: list[StructTask], seen: set[str]
) -> dict[str, float | None]:
    """Routing accuracy on the test tasks of families trained on, and of the others."""
    if not result:
        return {"seen_families": None, "unseen_families": None}
    out: dict[str, float | None] = {}
    for name, group in (
        ("seen_families", [t for t in test if t.family in seen]),
        ("unseen_families", [t for t in test if t.family not in seen]),
    ):
        hits = [result["predicted"][t.id] == t.structure for t in group]
        out[name] = round(sum(hits) / len(hits), 4) if hits else None
    return out


def _train_router(
    cfg: StructRAGBenchConfig,
    tasks: list[StructTask],
    test: list[StructTask],
    log: Callable[[str], None],
) -> dict[str, Any]:
    from steergraph.graphs.structrag_router import (
        RouterTrainingContext,
        build_structrag_router_graph,
    )

    workdir = cfg.workdir or tempfile.mkdtemp(prefix="structrag-bench-")
    local = isinstance(cfg.model, str) and cfg.model.startswith("local")
    ctx = RouterTrainingContext(
        model=cfg.model,
        workdir=f"{workdir}/router-training",
        train=local and cfg.train_router,
        progress=cfg.progress,
        embeddings=cfg.embeddings,
        train_config={"num_train_epochs": cfg.router_epochs},
        contrast=cfg.contrast,
    )
    per_task = f"its structure, {' and '.join(cfg.contrast)}" if cfg.contrast else "5 structures"
    log(f"router training: simulating {len(tasks)} tasks x {per_task}")
    start = time.perf_counter()
    out = build_structrag_router_graph().invoke(
        {"tasks": [t.model_dump() for t in tasks], "eval_tasks": [t.model_dump() for t in test]},
        context=ctx,
    )
    out["seconds"] = round(time.perf_counter() - start, 1)
    return out


def _answer(method: str, task: StructTask, cfg: StructRAGBenchConfig, router: str | None) -> dict:
    llm = load_chat_model(cfg.model)
    docs = [Doc.model_validate(d) for d in task.documents]
    start = time.perf_counter()
    meta: dict[str, Any] = {}
    if method == "structrag":
        ctx = StructRAGContext(
            model=llm,
            router_model=f"local:{router}" if router else None,
            embeddings=cfg.embeddings,
            **cfg.graph_options,
        )
        out = build_structrag_graph().invoke(
            {"question": task.question, "documents": task.documents}, context=ctx
        )
        answer, meta = out["answer"], out["metadata"]
    elif method == "chunk_rag":
        answer = chunk_rag_answer(
            llm, task.question, docs, k=cfg.chunk_k, retriever=Retriever(docs, cfg.embeddings)
        ).answer
    else:
        result = long_context_answer(llm, task.question, docs)
        answer, meta = result.answer, {"truncated": result.truncated}
    return {
        "task_id": task.id,
        "family": task.family,
        "task_type": task.task_type,
        "designed": task.structure,
        "method": method,
        "answer": answer,
        "gold": task.gold,
        "seconds": round(time.perf_counter() - start, 3),
        "structure": meta.get("structure"),
        "routed": meta.get("routed"),
        "exact": meta.get("method") == "exact",
        "fallbacks": meta.get("fallbacks", []),
        "truncated": meta.get("truncated", False),
        **score_answer(answer, task.gold, task.answer_type),
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean EM/F1 per method overall, per task type and per family; seconds per question."""

    def mean(values: list[float]) -> float:
        return round(sum(values) / len(values), 4) if values else 0.0

    out: dict[str, Any] = {"overall": {}, "per_task": {}, "per_family": {}, "seconds": {}}
    for method in METHODS:
        mine = [r for r in rows if r["method"] == method]
        if not mine:
            continue
        out["overall"][method] = {
            "em": mean([r["em"] for r in mine]),
            "f1": mean([r["f1"] for r in mine]),
        }
        out["seconds"][method] = mean([r["seconds"] for r in mine])
        for key, bucket in (("task_type", "per_task"), ("family", "per_family")):
            for value in sorted({r[key] for r in mine}):
                group = [r for r in mine if r[key] == value]
                out[bucket].setdefault(value, {})[method] = {
                    "em": mean([r["em"] for r in group]),
                    "f1": mean([r["f1"] for r in group]),
                    "n": len(group),
                }
    return out


def run_structrag_bench(
    cfg: StructRAGBenchConfig, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Run everything (see the module docstring); return the figures and every answer."""
    start = time.perf_counter()
    train, test = split_for_bench(cfg)
    families = len({t.family for t in test})
    log(f"{len(test)} test tasks in {families} families, {len(train)} to train the router on")
    training = _train_router(cfg, train, test, log)
    accuracy = training.get("accuracy", {})
    router = (training.get("trained") or {}).get("router")
    rows: list[dict[str, Any]] = []
    items: Any = [(t, m) for t in test for m in METHODS]
    if cfg.progress:
        from tqdm.auto import tqdm

        items = tqdm(items, desc="answering", unit="answer")
    for task, method in items:
        rows.append(_answer(method, task, cfg, router))
    summary = summarize(rows)
    structrag_rows = [r for r in rows if r["method"] == "structrag"]
    return {
        "model": cfg.model if isinstance(cfg.model, str) else type(cfg.model).__name__,
        "test_tasks": len(test),
        "train_tasks": len(training.get("tasks", [])),
        "summary": summary,
        "router_accuracy_before": accuracy.get("before", {}).get("accuracy"),
        "router_accuracy_after": accuracy.get("after", {}).get("accuracy"),
        "router_accuracy_by_family_seen": {
            when: _accuracy_by_seen(accuracy.get(when), test, {t.family for t in train})
            for when in ("before", "after")
        },
        "router_confusion_before": accuracy.get("before", {}).get("confusion"),
        "router_confusion_after": accuracy.get("after", {}).get("confusion"),
        "router_training": {
            "judged": training.get("judged"),
            "trained": {k: v for k, v in (training.get("trained") or {}).items()},
            "seconds": training.get("seconds"),
        },
        "structrag_routes": {
            "as_designed": sum(r["routed"] == r["designed"] for r in structrag_rows),
            "exact_computations": sum(r["exact"] for r in structrag_rows),
            "fallbacks": sum(bool(r["fallbacks"]) for r in structrag_rows),
        },
        "rows": rows,
        "seconds": round(time.perf_counter() - start, 1),
    }
