"""Router training for StructRAG: simulated solutions -> preference pairs -> TRL DPO.

StructRAG trains its hybrid structure router with DPO on synthetic preference data: for
each synthesized task, a solution is simulated with every structure type, the solutions
are judged, and the structure whose solution won is preferred over those that lost.
Here the judge is the task's program-computed gold answer (F1 of each simulated answer,
:func:`~steergraph.data.structrag.scoring.score_answer`); ties -- including the common
case at 135M parameters where every structure scores 0 -- prefer the structure the task
was synthesized for (a ``tie_bonus`` added to its value), and :func:`judge_counts` says
how many tasks were decided by the simulation and how many by that tie-break.

Each task's winner is preferred over every structure that scored lower (TRL's
conversational preference format, like :func:`~steergraph.training.verify.preference_dataset`
but winner-vs-each rather than best-vs-worst, so one prompt teaches one decision against
all alternatives): the prompt is exactly
:func:`~steergraph.agents.structrag.router.router_messages`, the completions the JSON
the router emits. :func:`train_router` runs ``trl.DPOTrainer`` through
:func:`~steergraph.training.recipes.train_dpo` with router-sized defaults;
:func:`router_accuracy` measures a router against the tasks' designed structures.

Example:
    >>> sims = [{"task_id": "t1", "question": "Largest?", "titles": ["a", "b"],
    ...          "designed": "table", "structure": s, "f1": f}
    ...         for s, f in [("table", 1.0), ("chunk", 0.0), ("graph", 0.0)]]
    >>> ds = router_preferences(sims)
    >>> ds[0]["chosen"][0]["content"], ds[0]["rejected"][0]["content"]
    ('{"structure":"table"}', '{"structure":"chunk"}')
    >>> len(ds)
    2
    >>> judge_counts(sims)
    {'tasks': 1, 'decided_by_simulation': 1, 'decided_by_tie_break': 0}
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from steergraph.agents.structrag.router import Router, router_messages
from steergraph.errors import InputError
from steergraph.llm.prompting import to_chat_dicts
from steergraph.training.recipes import ModelLike, TrainResult, train_dpo

if TYPE_CHECKING:
    from datasets import Dataset
    from langchain_core.language_models import BaseChatModel

__all__ = [
    "ROUTER_DPO_DEFAULTS",
    "judge_counts",
    "route_completion",
    "router_accuracy",
    "router_preferences",
    "train_router",
]

#: DPOConfig fields that differ from :func:`~steergraph.training.recipes.cpu_safe_args`:
#: a short prompt and a one-line completion, tens of pairs, so a much higher learning rate
#: than TRL's 1e-6 and several epochs. Measured on SmolLM2-135M, 40 pairs from 10 tasks,
#: 30 steps: held-out routing accuracy 0.27 -> 0.27 at 1e-5 (no decision flips), 0.27 ->
#: 0.48 at 5e-5.
ROUTER_DPO_DEFAULTS: dict[str, Any] = {
    "learning_rate": 5e-5,
    "num_train_epochs": 3,
    "beta": 0.1,
    "max_length": 768,
}


def route_completion(structure: str) -> str:
    """The router's reply for ``structure``, token for token as constrained decoding writes
    it (compact JSON: training on ``{"structure": "x"}`` with a space would teach a
    context the decoder never produces)."""
    return json.dumps({"structure": structure}, separators=(",", ":"))


def _by_task(simulations: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    grouped: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for sim in simulations:
        grouped[str(sim["task_id"])].append(sim)
    return grouped


def _value(sim: Mapping[str, Any], tie_bonus: float) -> float:
    bonus = tie_bonus if sim["structure"] == sim.get("designed") else 0.0
    return float(sim.get("f1", 0.0)) + bonus


def judge_counts(simulations: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many tasks the simulation decided (a strict best) and how many the tie-break."""
    decided = tie = 0
    for sims in _by_task(simulations).values():
        scores = sorted((float(s.get("f1", 0.0)) for s in sims), reverse=True)
        if len(scores) > 1 and scores[0] > scores[1]:
            decided += 1
        else:
            tie += 1
    return {"tasks": decided + tie, "decided_by_simulation": decided, "decided_by_tie_break": tie}


def router_preferences(
    simulations: Sequence[Mapping[str, Any]],
    *,
    tie_bonus: float = 0.01,
    max_titles: int = 20,
) -> Dataset:
    """DPO rows (prompt/chosen/rejected, TRL conversational) from simulated solutions.

    ``simulations``: one dict per (task, structure) with ``task_id``, ``question``,
    ``titles``, ``designed`` (the task's intended structure), ``structure`` and ``f1``.
    Per task, the winning structure is preferred over every structure that scored lower
    (one pair each), so every prompt teaches one decision against all its alternatives.
    Columns: ``prompt``, ``chosen``, ``rejected``, ``problem_id``, ``margin``.
    """
    from datasets import Dataset

    if not simulations:
        raise InputError("no simulated solutions to judge", fix="simulate some tasks first")
    rows: list[dict[str, Any]] = []
    for task_id, sims in _by_task(simulations).items():
        first = sims[0]
        prompt = to_chat_dicts(
            router_messages(first["question"], first.get("titles") or [], max_titles=max_titles)
        )
        ranked = sorted(sims, key=lambda s: _value(s, tie_bonus), reverse=True)
        best = ranked[0]
        for other in ranked[1:]:
            margin = _value(best, tie_bonus) - _value(other, tie_bonus)
            if margin > 0 and other["structure"] != best["structure"]:
                rows.append(
                    {
                        "prompt": prompt,
                        "chosen": [
                            {"role": "assistant", "content": route_completion(best["structure"])}
                        ],
                        "rejected": [
                            {"role": "assistant", "content": route_completion(other["structure"])}
                        ],
                        "problem_id": task_id,
                        "margin": round(margin, 6),
                    }
                )
    if not rows:
        raise InputError(
            "no task has a structure that beat another, so there is no preference pair",
            fix="simulate more tasks or include each task's designed structure",
        )
    return Dataset.from_list(rows)


def train_router(
    model_or_chat: ModelLike,
    dataset: Dataset | Sequence[Mapping[str, Any]],
    *,
    output_dir: str | Path,
    **config: Any,
) -> TrainResult:
    """DPO-train a router model on :func:`router_preferences` rows (TRL ``DPOTrainer``).

    ``config`` overrides :data:`ROUTER_DPO_DEFAULTS` and any other ``DPOConfig`` field.
    """
    return train_dpo(
        model_or_chat, dataset, output_dir=output_dir, **{**ROUTER_DPO_DEFAULTS, **config}
    )


def router_accuracy(
    llm: BaseChatModel, tasks: Sequence[Any], *, progress: bool = False
) -> dict[str, Any]:
    """Share of ``tasks`` (``question``, ``documents``, ``structure``) routed as designed.

    Returns ``accuracy``, the ``predicted`` structure per task id, a confusion
    ``Counter`` of ``designed->predicted`` and how many routes fell back (bad replies).
    """
    if not tasks:
        raise InputError("no tasks to measure routing on", fix="pass held-out tasks")
    router = Router(llm)
    predicted: dict[str, str] = {}
    confusion: Counter[str] = Counter()
    fallbacks = 0
    items = tasks
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(tasks, desc="routing", unit="question")
    for task in items:
        titles = [d["title"] for d in task.documents]
        result = router.route(task.question, titles)
        predicted[task.id] = result.structure
        confusion[f"{task.structure}->{result.structure}"] += 1
        fallbacks += result.fallback is not None
    correct = sum(predicted[t.id] == t.structure for t in tasks)
    return {
        "accuracy": correct / len(tasks),
        "predicted": predicted,
        "confusion": dict(confusion),
        "fallbacks": fallbacks,
    }
