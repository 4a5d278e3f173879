"""OpenCATP's planning mask as grammars: which next plan line is allowed, given the plan so far.

At each step a planner may call a tool it has not used, on values of the right types
defined earlier, provided the required outputs stay reachable within the remaining
steps (and, cost-aware, within the remaining budget); it may ``return`` only once
values of every required type exist. :func:`next_line_grammar` turns that mask into a
Lark grammar for constrained decoding, so a local model can only write valid plans.
Reachability uses shortest paths over data types (networkx, tools as edges), a lower
bound that ignores the no-repeat rule across branches.

Example:
    >>> from steergraph.tools.registry import default_registry
    >>> state = MaskState(default_registry(), {"doc": "text"}, ["number"])
    >>> "count_words" in state.allowed_tools(), state.can_return()
    (True, False)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from steergraph.errors import BudgetError

__all__ = ["BudgetError", "MaskState", "cheapest_cover", "next_line_grammar"]


def _type_graph(registry: Any, tools: Sequence[str], size: int) -> nx.DiGraph:
    """Types as nodes; a tool with one input type is an edge (multi-input tools: one per input)."""
    graph = nx.DiGraph()
    for name in tools:
        tool = registry.get(name)
        cost = tool.price_at(size)
        for kind in set(tool.inputs):
            old = graph.get_edge_data(kind, tool.output)
            if old is None or cost < old["price"]:
                graph.add_edge(kind, tool.output, price=cost, steps=1, tool=name)
    return graph


def _distance(graph: nx.DiGraph, have: set[str], target: str) -> tuple[int, float] | None:
    """Cheapest (hops, price) from any type in ``have`` to ``target`` (0 if already there)."""
    if target in have:
        return 0, 0.0
    best = None
    for src in have:
        if src in graph and target in graph and nx.has_path(graph, src, target):
            price = nx.shortest_path_length(graph, src, target, weight="price")
            hops = nx.shortest_path_length(graph, src, target)
            if best is None or price < best[1]:
                best = (hops, price)
    return best


def cheapest_cover(
    registry: Any,
    available: Sequence[str],
    produced: Sequence[str],
    need: Sequence[str],
    tools: Sequence[str],
    size: int,
) -> tuple[int, float]:
    """(steps, price) lower bounds until a *step* has produced every type in ``need``.

    ``available`` are the types of all values (task inputs and steps), ``produced`` the
    types steps made; a needed type not yet produced costs at least one more tool.
    """
    graph = _type_graph(registry, tools, size)
    have = set(available)
    steps, price = 0, 0.0
    for kind in need:
        if kind in produced:
            continue
        best = None
        for src, _, data in graph.in_edges(kind, data=True) if kind in graph else []:
            reach = _distance(graph, have, src)
            if reach is not None and (best is None or reach[1] + data["price"] < best[1]):
                best = (reach[0] + 1, reach[1] + data["price"])
        if best is None:
            return 10**6, float("inf")
        steps, price = max(steps, best[0]), price + best[1]
    return steps, price


@dataclass
class MaskState:
    """The plan so far: defined values with types, used tools, spent (estimated) price."""

    registry: Any
    inputs: Mapping[str, str]
    outputs: Sequence[str]
    size: int = 2000
    budget: float | None = None
    max_steps: int = 8
    values: dict[str, str] = field(default_factory=dict)
    used: list[str] = field(default_factory=list)
    spent: float = 0.0

    def __post_init__(self) -> None:
        self.values = {**self.inputs, **self.values}

    def steps_left(self) -> int:
        return self.max_steps - len(self.used)

    def produced(self) -> list[str]:
        """Types of the values steps made (task inputs excluded)."""
        return [k for n, k in self.values.items() if n not in self.inputs]

    def can_return(self) -> bool:
        """True when step values (not task inputs) cover the required output types."""
        have = self.produced()
        return all(have.count(k) >= list(self.outputs).count(k) for k in set(self.outputs))

    def allowed_tools(self) -> list[str]:
        """Unused tools whose inputs exist and after which the outputs stay reachable."""
        out = []
        unused = [n for n in self.registry.names() if n not in self.used]
        have = set(self.values.values())
        for name in unused:
            tool = self.registry.get(name)
            if not all(k in have for k in tool.inputs) or self.steps_left() < 1:
                continue
            cost = tool.price_at(self.size)
            rest = [n for n in unused if n != name]
            steps, price = cheapest_cover(
                self.registry,
                [*have, tool.output],
                [*self.produced(), tool.output],
                self.outputs,
                rest,
                self.size,
            )
            if steps > self.steps_left() - 1:
                continue
            if self.budget is not None and self.spent + cost + price > self.budget:
                continue
            out.append(name)
        return out

    def add(self, name: str, tool: str) -> None:
        """Record step ``name = tool(...)``."""
        self.values[name] = self.registry.get(tool).output
        self.used.append(tool)
        self.spent += self.registry.get(tool).price_at(self.size)

    def check_feasible(self) -> None:
        """Raise :class:`BudgetError` if no valid plan can meet the budget and step limit."""
        have = list(self.values.values())
        steps, price = cheapest_cover(
            self.registry, have, self.produced(), self.outputs, self.registry.names(), self.size
        )
        if steps > self.max_steps or price == float("inf"):
            raise BudgetError(
                f"no plan of at most {self.max_steps} steps produces {', '.join(self.outputs)} "
                f"from {', '.join(sorted(set(have)))}",
                fix="register a tool that produces the missing type, or raise max_steps",
            )
        if self.budget is not None and price > self.budget:
            raise BudgetError(
                f"no plan meets the budget ${self.budget:.3g}: the cheapest costs about "
                f"${price:.3g}",
                fix=f"raise the budget to at least ${price:.3g}",
            )


def _lit(text: str) -> str:
    return json.dumps(text)


def next_line_grammar(state: MaskState, step_name: str) -> str:
    """A Lark grammar for the next plan line: an allowed step, or the return line."""
    by_type: dict[str, list[str]] = {}
    for name, kind in state.values.items():
        by_type.setdefault(kind, []).append(name)
    rules = []
    calls = []
    for tool_name in state.allowed_tools():
        tool = state.registry.get(tool_name)
        args = ' ", " '.join(f"ref_{k}" for k in tool.inputs)
        calls.append(f'{_lit(tool_name + "(")} {args} ")"')
    options = []
    if calls:
        rules.append(f"step: {_lit(step_name + ' = ')} call")
        rules.append("call: " + "\n    | ".join(calls))
        options.append("step")
    if state.can_return():
        ret = ' ", " '.join(f"out_{k}" for k in state.outputs)
        rules.append(f'ret: "return " {ret}')
        options.append("ret")
    if not options:
        raise BudgetError(
            "the plan so far cannot be completed (no allowed tool and outputs not covered)",
            fix="raise max_steps or the budget, or replan from scratch",
        )
    for kind, names in by_type.items():
        rules.append(f"ref_{kind}: " + " | ".join(_lit(n) for n in names))
        produced = [n for n in names if n not in state.inputs]
        if kind in state.outputs and produced:
            rules.append(f"out_{kind}: " + " | ".join(_lit(n) for n in produced))
    return "start: " + " | ".join(options) + "\n" + "\n".join(rules)
