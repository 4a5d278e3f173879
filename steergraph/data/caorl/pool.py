"""The CATP plan pool as CAORL's offline data: plans grouped by task, parsed and checked.

The pool is what ``benchmarks/catp_bench.py`` (or :func:`steergraph.bench.caorl.build_pool`)
saves with ``datasets``: one row per enumerated or executed plan with its real score
(:mod:`steergraph.bench.catp_report`). :func:`load_pool` reads it (a folder or a
``Dataset``), keeps the tasks of the requested splits, rebuilds each task from the CATP
suite (its input size and inputs come from there) and parses every distinct plan
against the tool registry. A pool that does not come from this suite (a task id it does
not have, a description that differs, a tool the registry lacks), an empty pool and a
folder that is no plan pool are refused with one :class:`~steergraph.errors.InputError`.

Example:
    >>> from datasets import Dataset
    >>> from steergraph.tools.registry import default_registry
    >>> rows = [{"task_id": "word-count-L1", "split": "train", "planner": "enumeration",
    ...          "plan": "n = count_words(doc)\\nreturn n", "valid": True, "score": 1.0,
    ...          "description": "Count the words of the document.", "measured": False}]
    >>> pool = load_pool(Dataset.from_list(rows), default_registry())
    >>> pool["word-count-L1"].plans[0].plan.tools()
    ['count_words']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steergraph.data.catp.tasks import CATPTask, build_tasks
from steergraph.errors import InputError, PlanError
from steergraph.tools.plan import Plan
from steergraph.tools.plan_parser import parse_plan

__all__ = ["POOL_COLUMNS", "PoolPlan", "PoolTask", "load_pool"]

#: the input-size levels of the CATP suite
SUITE_LEVELS = ("1", "2", "3", "4")

#: the columns CAORL reads from a plan pool
POOL_COLUMNS = ("task_id", "split", "planner", "plan", "valid", "score", "description")


@dataclass
class PoolPlan:
    """One distinct plan of a task: parsed, with its real score and validity."""

    plan: Plan
    score: float
    valid: bool
    planner: str


@dataclass
class PoolTask:
    """A CATP task and the distinct plans the pool holds for it."""

    task: CATPTask
    plans: list[PoolPlan] = field(default_factory=list)


def _read(source: Any) -> Any:
    from datasets import Dataset, load_from_disk

    if isinstance(source, Dataset):
        return source
    path = Path(source)
    if not path.exists():
        raise InputError(
            f"no plan pool at '{path}'",
            fix="run `python benchmarks/catp_bench.py --out DIR` and pass DIR/plan_pool",
        )
    try:
        data = load_from_disk(str(path))
    except Exception as err:  # datasets raises several kinds for a folder it cannot read
        raise InputError(
            f"'{path}' is not a saved datasets dataset ({type(err).__name__})",
            fix="pass the plan_pool folder a CATP benchmark run wrote",
        ) from err
    if not isinstance(data, Dataset):
        raise InputError(f"'{path}' holds several splits", fix="pass the plan_pool folder")
    return data


def _suite(levels: set[int]) -> dict[str, CATPTask]:
    return {t.id: t for t in build_tasks(levels=sorted(levels))} if levels else {}


def load_pool(
    source: Any, registry: Any, *, splits: Sequence[str] = ("train",)
) -> dict[str, PoolTask]:
    """Task id -> :class:`PoolTask` for the tasks of ``splits`` (see module docstring)."""
    data = _read(source)
    missing = [c for c in POOL_COLUMNS if c not in data.column_names]
    if missing:
        raise InputError(
            f"the dataset has no column(s) {', '.join(missing)}: it is not a CATP plan pool",
            fix="pass the plan_pool folder a CATP benchmark run wrote",
        )
    if len(data) == 0:
        raise InputError("the plan pool is empty", fix="run the CATP benchmark to fill it")
    rows = data.select_columns(list(POOL_COLUMNS)).to_list()
    levels = set()
    for row in rows:
        family, _, level = str(row["task_id"]).rpartition("-L")
        if not family or level not in SUITE_LEVELS:
            raise _foreign(f"task id {row['task_id']!r} is not a CATP suite id")
        levels.add(int(level))
    suite = _suite(levels)
    known = set(registry.names())
    pool: dict[str, PoolTask] = {}
    seen: set[tuple[str, str]] = set()
    for row in rows:
        task = suite.get(row["task_id"])
        if task is None or task.description != row["description"]:
            raise _foreign(f"task {row['task_id']!r} is not the CATP suite's task of that id")
        if task.split not in splits or not row["plan"] or (row["task_id"], row["plan"]) in seen:
            continue
        seen.add((row["task_id"], row["plan"]))
        try:
            plan = parse_plan(row["plan"], None, task.inputs)
        except PlanError:
            continue  # an invalid plan whose text does not even parse teaches nothing
        unknown = sorted(set(plan.tools()) - known)
        if unknown:
            raise _foreign(f"tools {unknown} of task {row['task_id']!r} are not in the registry")
        entry = pool.setdefault(task.id, PoolTask(task))
        entry.plans.append(
            PoolPlan(plan, float(row["score"]), bool(row["valid"]), str(row["planner"]))
        )
    if not pool:
        raise InputError(
            f"the plan pool has no parseable plan of a {'/'.join(splits)} task",
            fix="check the splits asked for, or rebuild the pool",
        )
    return pool


def _foreign(what: str) -> InputError:
    return InputError(
        f"{what}: this pool comes from another task suite",
        fix="build the pool with this version's CATP benchmark (benchmarks/catp_bench.py)",
    )
