"""Parse and validate the plan language; every rejection is a positioned :class:`PlanError`.

Grammar (one statement per line; ``#`` starts a comment; blank lines are ignored)::

    plan   := step* return
    step   := NAME "=" TOOL "(" [NAME ("," NAME)*] ")"
    return := "return" NAME ("," NAME)*

Arguments name a task input or another step, in any order of lines; a plan is valid
when every tool is known, every name is defined once, argument types match the
tool's input types, no tool repeats (unless allowed), the steps form no cycle, and
the returned values cover the required output types. The language has three
productions and must report exact line/column positions to users and to a
re-asking planner, so the scanner and parser are written here rather than with a
parser generator; nothing is ever evaluated.

Example:
    >>> from steergraph.tools.registry import default_registry
    >>> plan = parse_plan("s = summarize_lead(doc)\\nreturn s", default_registry(), {"doc": "text"})
    >>> plan.tools()
    ['summarize_lead']
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx

from steergraph.errors import PlanError
from steergraph.tools.plan import Plan, Step

__all__ = ["parse_plan", "plan_from_opencatp"]

_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[=(),])|(?P<bad>\S))")
RESERVED = frozenset({"return"})


def _tokens(line: str, lineno: int, source: str) -> list[tuple[str, str, int]]:
    """(kind, text, column) tokens of one line, comment stripped."""
    code = line.split("#", 1)[0]
    out = []
    pos = 0
    while pos < len(code):
        match = _TOKEN.match(code, pos)
        if match is None or match.end() == pos:  # only trailing whitespace is left
            break
        kind = match.lastgroup or "bad"
        text = match.group(kind)
        column = match.start(kind) + 1
        if kind == "bad":
            raise PlanError(
                f"unexpected character {text!r}",
                kind="syntax",
                line=lineno,
                column=column,
                source=source,
                fix="a step is `name = tool(arg, ...)`; the last line is `return name, ...`",
            )
        out.append((kind, text, column))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.arg_columns: dict[str, list[int]] = {}

    def error(self, message: str, kind: str, line: int, column: int, fix: str) -> PlanError:
        return PlanError(message, kind=kind, line=line, column=column, source=self.source, fix=fix)

    def names(
        self, toks: list[tuple[str, str, int]], start: int, lineno: int, closing: str | None
    ) -> tuple[list[tuple[str, int]], int]:
        """Comma-separated names from ``start``; stop at ``closing`` (or end of line)."""
        items: list[tuple[str, int]] = []
        i = start
        expect_name = closing is None or (i < len(toks) and toks[i][1] != closing)
        while True:
            if expect_name:
                if i >= len(toks) or toks[i][0] != "name":
                    col = (
                        toks[i][2]
                        if i < len(toks)
                        else len(self.source.splitlines()[lineno - 1]) + 1
                    )
                    raise self.error(
                        "expected a value name",
                        "syntax",
                        lineno,
                        col,
                        "name a task input or a step, e.g. `summary`",
                    )
                items.append((toks[i][1], toks[i][2]))
                i += 1
            if i < len(toks) and toks[i][1] == ",":
                i += 1
                expect_name = True
                continue
            break
        if closing is not None:
            if i >= len(toks) or toks[i][1] != closing:
                col = toks[i][2] if i < len(toks) else len(self.source.splitlines()[lineno - 1]) + 1
                raise self.error(f"expected '{closing}'", "syntax", lineno, col, "close the call")
            i += 1
        return items, i

    def parse(self) -> tuple[list[Step], list[tuple[str, int, int]], int]:
        steps: list[Step] = []
        returns: list[tuple[str, int, int]] = []
        return_line = 0
        for lineno, line in enumerate(self.source.splitlines(), start=1):
            toks = _tokens(line, lineno, self.source)
            if not toks:
                continue
            if return_line:
                raise self.error(
                    "nothing may follow the return line",
                    "syntax",
                    lineno,
                    toks[0][2],
                    "put `return ...` last",
                )
            if toks[0][1] == "return" and toks[0][0] == "name":
                items, end = self.names(toks, 1, lineno, None)
                if end != len(toks):
                    raise self.error(
                        f"unexpected {toks[end][1]!r}",
                        "syntax",
                        lineno,
                        toks[end][2],
                        "return names separated by commas",
                    )
                returns = [(name, lineno, col) for name, col in items]
                return_line = lineno
                continue
            steps.append(self.step(toks, lineno))
        if not return_line:
            last = len(self.source.splitlines()) or 1
            raise self.error(
                "the plan has no return line" if steps else "the plan is empty",
                "syntax" if steps else "empty",
                last,
                1,
                "end the plan with `return name, ...`",
            )
        return steps, returns, return_line

    def step(self, toks: list[tuple[str, str, int]], lineno: int) -> Step:
        shape = [t[1] if t[0] == "punct" else "NAME" for t in toks[:4]]
        if shape[:1] != ["NAME"] or toks[0][1] in RESERVED:
            raise self.error(
                f"a step must start with a new name, not {toks[0][1]!r}",
                "syntax",
                lineno,
                toks[0][2],
                "write `name = tool(arg, ...)`",
            )
        for want, idx, what in (("=", 1, "'='"), ("NAME", 2, "a tool name"), ("(", 3, "'('")):
            if len(shape) <= idx or shape[idx] != want:
                col = (
                    toks[idx][2]
                    if idx < len(toks)
                    else len(self.source.splitlines()[lineno - 1]) + 1
                )
                raise self.error(
                    f"expected {what}", "syntax", lineno, col, "write `name = tool(arg, ...)`"
                )
        args, end = self.names(toks, 4, lineno, ")")
        if end != len(toks):
            raise self.error(
                f"unexpected {toks[end][1]!r} after the call",
                "syntax",
                lineno,
                toks[end][2],
                "one call per line",
            )
        self.arg_columns[toks[0][1]] = [c for _, c in args]
        return Step(toks[0][1], toks[2][1], tuple(a for a, _ in args), lineno, toks[2][2])


def parse_plan(
    text: str,
    registry: Any = None,
    inputs: Mapping[str, str] | None = None,
    *,
    outputs: Sequence[str] = (),
    allow_repeats: bool = False,
) -> Plan:
    """Parse ``text`` and validate it against ``registry`` (see the module docstring).

    ``inputs`` maps task input names to data types (default ``{"input": "text"}``);
    ``outputs`` lists the data types the returned values must include. Without a
    registry only the syntax, names and cycles are checked.
    """
    if not isinstance(text, str):
        raise PlanError(f"a plan is text, not {type(text).__name__}", kind="syntax")
    inputs = dict(inputs or {"input": "text"})
    parser = _Parser(text)
    steps, returns, return_line = parser.parse()
    columns = parser.arg_columns
    by_name: dict[str, Step] = {}
    for step in steps:
        if step.name in by_name or step.name in inputs:
            what = "a task input" if step.name in inputs else f"line {by_name[step.name].line}"
            raise parser.error(
                f"'{step.name}' is already defined ({what})",
                "duplicate-step",
                step.line,
                1,
                "give every step a new name",
            )
        by_name[step.name] = step
    for step in steps:
        for arg, col in zip(step.args, columns[step.name]):
            if arg not in by_name and arg not in inputs:
                raise parser.error(
                    f"'{arg}' is not a task input or a step",
                    "dangling-reference",
                    step.line,
                    col,
                    f"use one of {', '.join([*inputs, *by_name])}",
                )
    for name, line, col in returns:
        if name not in by_name and name not in inputs:
            raise parser.error(
                f"the plan returns '{name}', which is not defined",
                "dangling-reference",
                line,
                col,
                "return a step name",
            )
    plan = Plan(by_name, tuple(n for n, _, _ in returns), inputs)
    _check_cycles(plan, parser)
    if registry is not None:
        _check_tools(plan, parser, registry, columns, allow_repeats)
        _check_outputs(plan, parser, registry, outputs, return_line)
    return plan


def _check_cycles(plan: Plan, parser: _Parser) -> None:
    dag = plan.graph()
    try:
        cycle = nx.find_cycle(dag)
    except nx.NetworkXNoCycle:
        return
    names = [edge[0] for edge in cycle]
    first = min((plan.steps[n] for n in names), key=lambda s: s.line)
    raise parser.error(
        f"the steps form a cycle: {' -> '.join([*names, names[0]])}",
        "cycle",
        first.line,
        1,
        "a step may only use task inputs and steps that do not depend on it",
    )


def _value_type(name: str, plan: Plan, registry: Any) -> str:
    if name in plan.inputs:
        return plan.inputs[name]
    return registry.get(plan.steps[name].tool).output


def _check_tools(
    plan: Plan, parser: _Parser, registry: Any, columns: dict[str, list[int]], allow_repeats: bool
) -> None:
    seen: dict[str, int] = {}
    for step in sorted(plan.steps.values(), key=lambda s: s.line):
        if step.tool not in registry:
            import difflib

            close = difflib.get_close_matches(step.tool, registry.names(), n=3)
            raise parser.error(
                f"unknown tool '{step.tool}'",
                "unknown-tool",
                step.line,
                step.column,
                f"did you mean {', '.join(close)}?" if close else "see the tool catalogue",
            )
        if step.tool in seen and not allow_repeats:
            raise parser.error(
                f"tool '{step.tool}' is used again (first on line {seen[step.tool]})",
                "repeated-tool",
                step.line,
                step.column,
                "use each tool at most once",
            )
        seen.setdefault(step.tool, step.line)
        tool = registry.get(step.tool)
        if len(step.args) != len(tool.inputs):
            raise parser.error(
                f"{step.tool} takes {len(tool.inputs)} argument(s) ({', '.join(tool.inputs)}), "
                f"got {len(step.args)}",
                "arity",
                step.line,
                step.column,
                f"call it as {step.tool}({', '.join(tool.inputs)})",
            )
    for step in plan.steps.values():
        tool = registry.get(step.tool)
        for arg, want, col in zip(step.args, tool.inputs, columns[step.name]):
            got = _value_type(arg, plan, registry)
            if got != want:
                raise parser.error(
                    f"{step.tool} expects {want} here but '{arg}' is {got}",
                    "type-mismatch",
                    step.line,
                    col,
                    f"pass a {want} value",
                )


def _check_outputs(
    plan: Plan, parser: _Parser, registry: Any, outputs: Sequence[str], line: int
) -> None:
    have = [_value_type(name, plan, registry) for name in plan.returns]
    missing = list(outputs)
    for kind in have:
        if kind in missing:
            missing.remove(kind)
    if missing:
        raise parser.error(
            f"the plan returns {', '.join(have) or 'nothing'} but the task needs "
            f"{', '.join(outputs)}",
            "missing-output",
            line,
            1,
            f"return a value of type {', '.join(missing)}",
        )


def plan_from_opencatp(
    seq: Sequence[Any], registry: Any = None, inputs: Mapping[str, str] | None = None
) -> Plan:
    """Build a plan from OpenCATP's ``[tool, [deps], ...]`` (deps: step indices or input names)."""
    if len(seq) % 2:
        raise PlanError("an OpenCATP plan alternates tool and dependency list", kind="syntax")
    lines = []
    for i in range(0, len(seq), 2):
        deps = [f"s{d + 1}" if isinstance(d, int) else str(d) for d in seq[i + 1]]
        lines.append(f"s{i // 2 + 1} = {seq[i]}({', '.join(deps)})")
    lines.append(f"return s{len(seq) // 2}" if seq else "return")
    return parse_plan("\n".join(lines), registry, inputs)
