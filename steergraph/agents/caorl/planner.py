"""The return-conditioned CATP planner: a decision-transformer transcript over plan lines.

:class:`CAORLPlanner` is the CATP :class:`~steergraph.agents.catp.planner.Planner`
(one line at a time under OpenCATP's type mask, so every plan is valid) with its own
prompt: a compact catalogue (each tool's signature, time and price at the task's input
size, no descriptions: about 400 SmolLM2 tokens instead of 1,100) and the task; the
answer is a transcript that alternates the **return to go** and the plan line written
for it::

    Return to go: +0.47
    s1 = count_words(doc)
    Return to go: +0.49
    return s1

The planner writes that transcript itself up to the next ``Return to go`` and lets the
model continue it (a prefilled assistant turn) with one line under the mask. The return
to go starts at the target (by default the best return seen in training) and, after
each step, drops by that step's reward (:mod:`.returns`). A training episode is the
same transcript in one row (:func:`~steergraph.training.caorl_trainer.episode_text`),
the loss on the plan lines only: one forward pass per plan, not per line.
No budget is given: the trained policy, not the mask, decides what to spend.

Variants (OpenCATP-LLM's method and the issue's ablations):

* ``caorl``: return = ``a * score - (1 - a) * cost``;
* ``no_cost``: return conditioning on the score alone (``Score to go``);
* ``sft_best``: no return lines (trained on the best plans only).

Example:
    >>> from steergraph.tools.registry import default_registry
    >>> p = CAORLPlanner(None, default_registry(), target_return=0.9, check_model=False)
    >>> task = PlanTask("Count the words.", {"doc": "text"}, ["number"])
    >>> p.note([], task)
    'Return to go: +0.90'
    >>> print(p.transcript(["s1 = count_words(doc)"], task))
    Return to go: +0.90
    s1 = count_words(doc)
    Return to go: +0.90
    <BLANKLINE>
    >>> # a step's price is a negative reward: what is left to reach grows by it
    >>> p.return_to_go(["s1 = count_words(doc)"], task) >= p.return_to_go([], task)
    True
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from steergraph.agents.caorl.returns import ReturnSpec, step_rewards
from steergraph.agents.catp.planner import Planner, PlannerResult, PlanTask
from steergraph.errors import CapabilityError, InputError

__all__ = ["VARIANTS", "CAORLPlanner", "plan_lines"]

#: the trained planners: the method and its two ablations
VARIANTS = ("caorl", "no_cost", "sft_best")

_STEP = re.compile(r"^(\w+)\s*=\s*(\w+)\s*\(")

SYSTEM = """You write tool plans. One step per line: `sN = tool(arg, ...)`, each arg a task \
input or an earlier step of the right type; steps that do not depend on each other run at \
the same time; each tool at most once; end with `return name, ...`, one value per required \
output type, in order. Tools, as name(input types) -> output type [time, price in 1e-7 $]:
{catalogue}"""


def plan_lines(plan: Any) -> list[str]:
    """A plan as the planner writes it: steps renamed ``s1, s2, ...`` in execution order,
    then the ``return`` line."""
    order = plan.order()
    rename = {name: f"s{i + 1}" for i, name in enumerate(order)}
    lines = []
    for name in order:
        step = plan.steps[name]
        args = ", ".join(rename.get(a, a) for a in step.args)
        lines.append(f"{rename[name]} = {step.tool}({args})")
    lines.append("return " + ", ".join(rename.get(r, r) for r in plan.returns))
    return lines


class CAORLPlanner(Planner):
    """Writes plans conditioned on a target return (see module docstring)."""

    def __init__(
        self,
        llm: Any,
        registry: Any,
        *,
        variant: str = "caorl",
        spec: ReturnSpec | None = None,
        target_return: float | None = None,
        return_range: tuple[float, float] | None = None,
        check_model: bool = True,
    ) -> None:
        if variant not in VARIANTS:
            raise InputError(f"unknown CAORL variant {variant!r}", fix=f"use one of {VARIANTS}")
        if check_model and not hasattr(llm, "with_grammar"):
            raise CapabilityError(
                f"a {type(llm).__name__} cannot decode under the plan mask",
                fix="load the trained planner as a local model (llama.cpp or transformers)",
            )
        self.spec = spec or ReturnSpec(cost_terms=variant != "no_cost")
        super().__init__(
            llm, registry, cost_aware=True, max_steps=self.spec.max_steps, constrained=True
        )
        self.variant = variant
        self.clip_note: str | None = None
        target = 1.0 if target_return is None else float(target_return)
        if return_range is not None:
            lo, hi = return_range
            clipped = min(max(target, lo), hi)
            if clipped != target:
                self.clip_note = (
                    f"target return {target:+.3f} is outside the returns seen in training "
                    f"[{lo:+.3f}, {hi:+.3f}]; clipped to {clipped:+.3f}"
                )
                warnings.warn(self.clip_note, stacklevel=2)
            target = clipped
        self.target_return = target

    def return_to_go(self, lines: Sequence[str], task: PlanTask) -> float:
        """The target return less the (discounted) rewards of the steps written so far."""
        tools = [m.group(2) for m in map(_STEP.match, lines) if m]
        rewards = step_rewards(tools, 0.0, True, self.registry, task.input_size, self.spec)[:-1]
        gamma = self.spec.gamma
        spent = sum(r * gamma**k for k, r in enumerate(rewards))
        return (self.target_return - spent) / gamma ** len(rewards)

    def note(self, lines: Sequence[str], task: PlanTask) -> str:
        """The conditioning line shown before the next plan line ('' for ``sft_best``)."""
        if self.variant == "sft_best":
            return ""
        rtg = self.return_to_go(lines, task)
        return f"Return to go: {rtg:+.2f}" if self.spec.cost_terms else f"Score to go: {rtg:.2f}"

    def catalogue(self, registry: Any, size: int) -> str:
        """One short line per tool: signature, time and price at ``size``."""
        lines = []
        for tool in registry:
            line = f"{tool.name}({', '.join(tool.inputs)}) -> {tool.output}"
            if tool.profile:
                point = tool.profile.at(size)
                ms = point.wall_s * 1000
                line += f" [{f'{ms:.0f}' if ms >= 10 else f'{ms:.2g}'} ms, {point.price * 1e7:.1f}]"
            lines.append(line)
        return "\n".join(lines)

    def messages(
        self, task: PlanTask, observations: Sequence[str] = (), registry: Any = None
    ) -> list[BaseMessage]:
        """The compact system prompt and the task (no budget)."""
        registry = registry or self.registry
        system = SYSTEM.format(catalogue=self.catalogue(registry, task.input_size))
        inputs = ", ".join(f"{n} ({k}, size {task.input_size})" for n, k in task.inputs.items())
        user = f"Task: {task.description}\nInputs: {inputs}\nOutputs: {', '.join(task.outputs)}"
        if observations:
            user += "\nWhat happened before:\n" + "\n".join(f"- {o}" for o in observations)
        return [SystemMessage(system), HumanMessage(user)]

    def transcript(self, lines: Sequence[str], task: PlanTask, *, upto_next: bool = True) -> str:
        """The answer so far: each line after its return to go, then (``upto_next``) the
        return to go of the line to write next."""
        return self.transcript_spans(lines, task, upto_next=upto_next)[0]

    def transcript_spans(
        self, lines: Sequence[str], task: PlanTask, *, upto_next: bool = True
    ) -> tuple[str, list[tuple[int, int]]]:
        """:meth:`transcript` and the (start, end) characters of each plan line in it."""
        text, spans = "", []
        for t in range(len(lines) + (1 if upto_next else 0)):
            note = self.note(lines[:t], task)
            if note:
                text += note + "\n"
            if t < len(lines):
                spans.append((len(text), len(text) + len(lines[t])))
                text += lines[t] + "\n"
        return text, spans

    def line_messages(
        self, base: list[BaseMessage], lines: Sequence[str], task: PlanTask
    ) -> list[BaseMessage]:
        """``base`` and the transcript so far as a prefilled answer the model continues."""
        return [*base, AIMessage(self.transcript(lines, task))]

    def plan(
        self,
        task: PlanTask,
        *,
        observations: Sequence[str] = (),
        avoid_tools: Sequence[str] = (),
    ) -> PlannerResult:
        """Write a plan; the budget is not shown or enforced (the policy chooses)."""
        result = super().plan(
            replace(task, budget=None), observations=observations, avoid_tools=avoid_tools
        )
        if self.clip_note:
            result.errors.append(self.clip_note)
        return result
