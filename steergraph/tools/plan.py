"""``Plan``: a parsed tool plan -- named steps calling tools on earlier values -- as a DAG.

The textual form (see :mod:`steergraph.tools.plan_parser`) is one step per line::

    text = clean_text(doc)
    summary = summarize_rank(text)      # these two steps only need `text`,
    words = keywords_freq(text)         # so they run at the same time
    return summary, words

A plan is data, never code: :meth:`Plan.graph` is a networkx DAG (task inputs and
steps as nodes, an edge per argument), :meth:`Plan.to_text` writes the canonical
text back, and :meth:`Plan.critical_path` gives the latency of a plan whose steps
all run as soon as their inputs exist.

Example:
    >>> from steergraph.tools.plan_parser import parse_plan
    >>> plan = parse_plan("a = clean_text(doc)\\nreturn a", inputs={"doc": "text"})
    >>> plan.tools(), plan.returns
    (['clean_text'], ('a',))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

__all__ = ["Plan", "Step"]


@dataclass(frozen=True)
class Step:
    """``name = tool(args...)`` at a source position (1-based line and column)."""

    name: str
    tool: str
    args: tuple[str, ...]
    line: int = 0
    column: int = 0

    def key(self) -> tuple[str, str, tuple[str, ...]]:
        """What identifies the step (positions excluded)."""
        return (self.name, self.tool, self.args)

    def pruned(self) -> Plan:
        """The plan without :meth:`unused_steps` (same names, same returns)."""
        dead = set(self.unused_steps())
        steps = {n: s for n, s in self.steps.items() if n not in dead}
        return Plan(steps, self.returns, dict(self.inputs))

    def to_text(self) -> str:
        return f"{self.name} = {self.tool}({', '.join(self.args)})"


@dataclass
class Plan:
    """Steps (in source order), the returned names, and the task inputs with their types."""

    steps: dict[str, Step]
    returns: tuple[str, ...]
    inputs: dict[str, str] = field(default_factory=lambda: {"input": "text"})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Plan):
            return NotImplemented
        mine = sorted(s.key() for s in self.steps.values())
        theirs = sorted(s.key() for s in other.steps.values())
        return mine == theirs and self.returns == other.returns and self.inputs == other.inputs

    def __len__(self) -> int:
        return len(self.steps)

    def tools(self) -> list[str]:
        """Tool names in execution order."""
        return [self.steps[name].tool for name in self.order()]

    def graph(self) -> nx.DiGraph:
        """The DAG: input nodes (``kind='input'``) and step nodes (``kind='step'``)."""
        dag = nx.DiGraph()
        for name, kind in self.inputs.items():
            dag.add_node(name, kind="input", type=kind)
        for step in self.steps.values():
            dag.add_node(step.name, kind="step", tool=step.tool, line=step.line)
        for step in self.steps.values():
            for slot, arg in enumerate(step.args):
                if dag.has_edge(arg, step.name):
                    dag.edges[arg, step.name]["slots"].append(slot)
                else:
                    dag.add_edge(arg, step.name, slots=[slot])
        return dag

    def order(self) -> list[str]:
        """Step names in a topological order, ties broken by source order."""
        rank = {name: i for i, name in enumerate(self.steps)}
        dag = self.graph().subgraph(self.steps)
        return list(nx.lexicographical_topological_sort(dag, key=lambda n: rank[n]))

    def dependencies(self, name: str) -> list[str]:
        """The steps ``name`` reads (inputs excluded), without repeats."""
        return list(dict.fromkeys(a for a in self.steps[name].args if a in self.steps))

    def dependents(self) -> dict[str, list[str]]:
        """For each step, the steps that read it."""
        out: dict[str, list[str]] = {name: [] for name in self.steps}
        for step in self.steps.values():
            for dep in self.dependencies(step.name):
                out[dep].append(step.name)
        return out

    def unused_steps(self) -> list[str]:
        """Steps no returned value depends on (they cost without contributing)."""
        dag = self.graph()
        needed = set(self.returns)
        for name in self.returns:
            if name in dag:
                needed |= nx.ancestors(dag, name)
        return [name for name in self.steps if name not in needed]

    def pruned(self) -> Plan:
        """The plan without :meth:`unused_steps` (same names, same returns)."""
        dead = set(self.unused_steps())
        steps = {n: s for n, s in self.steps.items() if n not in dead}
        return Plan(steps, self.returns, dict(self.inputs))

    def to_text(self) -> str:
        """The canonical text: steps in topological order, then the return line."""
        lines = [self.steps[name].to_text() for name in self.order()]
        lines.append(f"return {', '.join(self.returns)}")
        return "\n".join(lines)

    def critical_path(self, durations: Mapping[str, float]) -> tuple[float, list[str]]:
        """Longest (sum of ``durations``) chain of steps, and the chain itself."""
        best: dict[str, tuple[float, list[str]]] = {}
        for name in self.order():
            deps = [best[d] for d in self.dependencies(name)]
            length, path = max(deps, key=lambda d: d[0]) if deps else (0.0, [])
            best[name] = (length + float(durations.get(name, 0.0)), [*path, name])
        return max(best.values(), key=lambda v: v[0]) if best else (0.0, [])

    def to_opencatp(self) -> list[Any]:
        """OpenCATP's ``[tool, [deps], tool, [deps], ...]`` (deps: step indices or input names)."""
        order = self.order()
        index = {name: i for i, name in enumerate(order)}
        out: list[Any] = []
        for name in order:
            step = self.steps[name]
            out += [step.tool, [index.get(a, a) for a in step.args]]
        return out
