"""The CATP planner: task + tool catalogue (+ prices and budget) -> a valid plan.

Two ways to write a plan, one result type:

* **constrained** (local models, anything with ``with_grammar``): the plan is written
  one line at a time, each line decoded under the grammar of OpenCATP's mask
  (:mod:`steergraph.tools.plan_mask`), so every plan parses, type-checks, uses each
  tool once, ends when the outputs exist and -- cost-aware -- fits the budget;
* **free** (any LangChain chat model): the whole plan in one reply, parsed; an invalid
  plan is sent back with the parser's positioned error and re-asked (bounded).

``cost_aware=False`` hides prices and budget from the model (the baseline CATP
compares against). Steps no returned value needs are pruned before the plan is
returned (both modes; ``PlannerResult.pruned_steps`` lists them).

Example:
    >>> from steergraph.testing import ScriptedChatModel
    >>> from steergraph.tools.registry import default_registry
    >>> llm = ScriptedChatModel(responses=["n = count_words(doc)\\nreturn n"])
    >>> task = PlanTask("Count the words.", {"doc": "text"}, ["number"])
    >>> Planner(llm, default_registry(), constrained=False).plan(task).plan.tools()
    ['count_words']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from steergraph.errors import PlanError
from steergraph.tools.plan import Plan
from steergraph.tools.plan_mask import MaskState, next_line_grammar
from steergraph.tools.plan_parser import parse_plan

__all__ = ["PlanTask", "Planner", "PlannerResult", "plan_price"]

SYSTEM = """You plan tool calls for a task. \
Tools, as name(input types) -> output type: purpose{priced}:
{catalogue}
{cost_note}
Write the plan one step per line as `name = tool(arg, ...)`; each arg is a task input or an \
earlier step of the right type. Steps that do not depend on each other run at the same time. \
Use each tool at most once. End with `return name, ...`: one value per required output type, \
in order. Write only the plan."""


@dataclass
class PlanTask:
    """What to plan for: a description, typed inputs, required output types, size, budget."""

    description: str
    inputs: dict[str, str]
    outputs: list[str]
    input_size: int = 2000
    budget: float | None = None


@dataclass
class PlannerResult:
    """The plan (None if none was found), its text, and how it was obtained."""

    plan: Plan | None
    text: str
    mode: str
    llm_calls: int = 0
    errors: list[str] = field(default_factory=list)
    estimated_price: float = 0.0
    pruned_steps: list[str] = field(default_factory=list)


def plan_price(plan: Plan, registry: Any, size: int) -> float:
    """Estimated dollars of a plan: each step's tool priced at ``size``."""
    return sum(registry.get(s.tool).price_at(size) for s in plan.steps.values())


def _plan_text(reply: str) -> str:
    """The plan lines of a reply (code fences and chatter around them dropped)."""
    fenced = re.search(r"```[a-z]*\n(.*?)```", reply, re.S)
    body = fenced.group(1) if fenced else reply
    lines = [
        ln.strip()
        for ln in body.splitlines()
        if re.match(r"\s*([A-Za-z_]\w*\s*=\s*[A-Za-z_]\w*\s*\(|return\b)", ln)
    ]
    return "\n".join(lines)


class Planner:
    """Writes plans with any chat model (see module docstring)."""

    def __init__(
        self,
        llm: Any,
        registry: Any,
        *,
        cost_aware: bool = True,
        max_steps: int = 6,
        max_repairs: int = 2,
        constrained: bool | None = None,
    ) -> None:
        self.llm = llm
        self.registry = registry
        self.cost_aware = cost_aware
        self.max_steps = max_steps
        self.max_repairs = max_repairs
        self.constrained = hasattr(llm, "with_grammar") if constrained is None else constrained

    def messages(
        self, task: PlanTask, observations: Sequence[str] = (), registry: Any = None
    ) -> list[BaseMessage]:
        """System prompt (catalogue, prices, budget) and the task."""
        registry = registry or self.registry
        size = task.input_size if self.cost_aware else None
        cost_note = ""
        if self.cost_aware:
            cost_note = "Prices are per call. Prefer cheaper tools when they serve the task"
            cost_note += f"; the plan must cost at most ${task.budget:.3g}." if task.budget else "."
        system = SYSTEM.format(
            priced=" [time, price]" if self.cost_aware else "",
            catalogue=registry.catalogue(size),
            cost_note=cost_note,
        )
        inputs = ", ".join(f"{n} ({k}, size {task.input_size})" for n, k in task.inputs.items())
        user = (
            f"Task: {task.description}\nTask inputs: {inputs}\n"
            f"Required output types: {', '.join(task.outputs)}"
        )
        if observations:
            user += "\nWhat happened before:\n" + "\n".join(f"- {o}" for o in observations)
        return [SystemMessage(system), HumanMessage(user)]

    def plan(
        self,
        task: PlanTask,
        *,
        observations: Sequence[str] = (),
        avoid_tools: Sequence[str] = (),
    ) -> PlannerResult:
        """Write a plan for ``task``; ``avoid_tools`` (e.g. tools that failed) are left out."""
        registry = self.registry
        if avoid_tools:
            registry = registry.subset([n for n in registry.names() if n not in avoid_tools])
        if self.constrained:
            return self._constrained(task, registry, observations)
        return self._free(task, registry, observations)

    def line_messages(
        self, base: list[BaseMessage], lines: Sequence[str], task: PlanTask
    ) -> list[BaseMessage]:
        """What the model sees before writing the next line: ``base`` and the plan so far."""
        so_far = "\n".join(lines) if lines else "(empty)"
        return [
            *base[:-1],
            HumanMessage(f"{base[-1].content}\n\nPlan so far:\n{so_far}\nNext line:"),
        ]

    def _budget(self, task: PlanTask) -> float | None:
        return task.budget if self.cost_aware else None

    def _constrained(
        self, task: PlanTask, registry: Any, observations: Sequence[str]
    ) -> PlannerResult:
        state = MaskState(
            registry, task.inputs, task.outputs, task.input_size, self._budget(task), self.max_steps
        )
        state.check_feasible()
        base = self.messages(task, observations, registry)
        lines: list[str] = []
        calls = 0
        while True:
            name = f"s{len(lines) + 1}"
            grammar = next_line_grammar(state, name)
            prompt = self.line_messages(base, lines, task)
            line = str(self.llm.with_grammar(grammar).invoke(prompt).content).strip()
            calls += 1
            lines.append(line)
            if line.startswith("return"):
                break
            tool = line.split("=", 1)[1].split("(", 1)[0].strip()
            state.add(name, tool)
        text = "\n".join(lines)
        plan = parse_plan(text, registry, task.inputs, outputs=task.outputs)
        return self._result(plan, text, "constrained", calls, [], registry, task)

    @staticmethod
    def _result(
        plan: Plan,
        text: str,
        mode: str,
        calls: int,
        errors: list[str],
        registry: Any,
        task: PlanTask,
    ) -> PlannerResult:
        """Drop steps no returned value needs (they would cost and contribute nothing)."""
        dead = plan.unused_steps()
        plan = plan.pruned()
        cost = plan_price(plan, registry, task.input_size)
        return PlannerResult(plan, text, mode, calls, errors, cost, dead)

    def _free(self, task: PlanTask, registry: Any, observations: Sequence[str]) -> PlannerResult:
        messages = self.messages(task, observations, registry)
        errors: list[str] = []
        text = ""
        for attempt in range(self.max_repairs + 1):
            reply = str(self.llm.invoke(messages).content)
            text = _plan_text(reply)
            try:
                plan = parse_plan(text, registry, task.inputs, outputs=task.outputs)
                cost = plan_price(plan, registry, task.input_size)
                budget = self._budget(task)
                if budget is not None and cost > budget:
                    raise PlanError(
                        f"the plan costs about ${cost:.3g}, over the budget ${budget:.3g}",
                        kind="budget",
                        fix="use cheaper tools or fewer steps",
                    )
            except PlanError as err:
                errors.append(str(err))
                pointer = err.pointer()
                messages = [
                    *messages,
                    AIMessage(reply),
                    HumanMessage(
                        f"That plan is invalid: {err}\n{pointer}\nWrite the corrected plan."
                    ),
                ]
                continue
            return self._result(plan, text, "free", attempt + 1, errors, registry, task)
        return PlannerResult(None, text, "free", self.max_repairs + 1, errors, 0.0)
