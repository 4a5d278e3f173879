"""``ToolRegistry``: the tools a planner may use, their measured costs and a price table.

Register a :class:`~steergraph.tools.tool.Tool`, any annotated Python callable or a
LangChain tool. :meth:`ToolRegistry.profile` measures every tool's cost at four
input-size levels (with a progress bar) and caches the profiles in
``$STEERGRAPH_HOME/tool_profiles.json``, keyed by tool name and a hash of its
source, so profiles are re-measured only when code changes.
:func:`default_registry` holds the 22 built-in tools.

Example:
    >>> reg = default_registry()
    >>> len(reg) >= 12, "summarize_rank" in reg, reg.get("parse_csv").output
    (True, True, 'table')
"""

from __future__ import annotations

import difflib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from steergraph.errors import ToolDefinitionError
from steergraph.tools import builtin_table as tables
from steergraph.tools import builtin_text as texts
from steergraph.tools.cost import CostProfile
from steergraph.tools.samples import SIZE_LEVELS
from steergraph.tools.tool import Tool

__all__ = ["ToolRegistry", "default_registry"]


class ToolRegistry:
    """A name -> :class:`Tool` mapping with cost profiling (see module docstring)."""

    def __init__(self, tools: Iterable[Any] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for item in tools:
            self.register(item)

    def register(self, obj: Any, **kwargs: Any) -> Tool:
        """Add a Tool, a LangChain tool or a callable (``kwargs`` go to the wrapper)."""
        from langchain_core.tools import BaseTool

        if isinstance(obj, Tool):
            tool = obj
        elif isinstance(obj, BaseTool):
            tool = Tool.from_langchain(obj, **kwargs)
        elif callable(obj):
            tool = Tool.from_callable(obj, **kwargs)
        else:
            raise ToolDefinitionError(
                f"cannot register {obj!r} as a tool",
                fix="pass a Tool, a LangChain tool or a typed Python function",
            )
        if tool.name in self._tools:
            raise ToolDefinitionError(
                f"a tool named '{tool.name}' is already registered", fix="pass name=... to rename"
            )
        self._tools[tool.name] = tool
        return tool

    def get(self, name: str) -> Tool:
        """The tool called ``name``; the error suggests close names."""
        try:
            return self._tools[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self._tools), n=3)
            hint = f"did you mean {', '.join(close)}?" if close else "see registry.names()"
            raise ToolDefinitionError(f"no tool named '{name}'", fix=hint) from None

    def names(self) -> list[str]:
        return list(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def subset(self, names: Sequence[str]) -> ToolRegistry:
        """A registry with only ``names`` (profiles shared)."""
        return ToolRegistry(self.get(n) for n in names)

    # --------------------------------------------------------------- profiling
    def profile(
        self,
        *,
        levels: Sequence[int] = SIZE_LEVELS,
        repeats: int = 3,
        cache: Path | None = None,
        force: bool = False,
        progress: bool = True,
    ) -> dict[str, CostProfile]:
        """Measure every tool's cost profile (cached by source hash); return them by name."""
        from tqdm.auto import tqdm

        from steergraph.paths import steergraph_home

        path = cache or steergraph_home() / "tool_profiles.json"
        stored = json.loads(path.read_text()) if path.is_file() and not force else {}
        todo = []
        for tool in self:
            entry = stored.get(tool.name)
            if entry and entry.get("version") == tool.version and not force:
                tool.profile = CostProfile.from_dict(entry)
            else:
                todo.append(tool)
        for tool in tqdm(todo, desc="measuring tool costs", disable=not progress or not todo):
            tool.measure(levels, repeats)
            assert tool.profile is not None
            stored[tool.name] = tool.profile.to_dict()
        if todo:
            path.parent.mkdir(parents=True, exist_ok=True)
            # a name of its own per writer: two processes measuring at once never share one
            fd, tmp = tempfile.mkstemp(prefix=".tool_profiles-", dir=path.parent)
            with os.fdopen(fd, "w") as f:
                f.write(json.dumps(stored, indent=1))
            os.replace(tmp, path)
        return {t.name: t.profile for t in self if t.profile is not None}

    def price_table(self, size: int) -> list[dict[str, Any]]:
        """Per tool: types, estimated wall ms and dollars per call at input ``size``."""
        rows = []
        for tool in self:
            point = tool.profile.at(size) if tool.profile else None
            rows.append(
                {
                    "tool": tool.name,
                    "inputs": list(tool.inputs),
                    "output": tool.output,
                    "wall_ms": round(point.wall_s * 1000, 3) if point else None,
                    "price": point.price if point else None,
                }
            )
        return rows

    def catalogue(self, size: int | None = None) -> str:
        """One line per tool for a planner prompt, with prices when ``size`` is given."""
        lines = []
        for tool in self:
            line = f"{tool.name}({', '.join(tool.inputs)}) -> {tool.output}: {tool.description}"
            if size is not None and tool.profile:
                point = tool.profile.at(size)
                line += f" [~{point.wall_s * 1000:.1f} ms, ${point.price:.2e}]"
            lines.append(line)
        return "\n".join(lines)


_BUILTINS: list[tuple[Callable[..., Any], str]] = [
    (texts.clean_text, "cpu"),
    (texts.dedupe_sentences, "cpu"),
    (texts.summarize_lead, "cpu"),
    (texts.summarize_rank, "cpu"),
    (texts.keywords_freq, "cpu"),
    (texts.keywords_tfidf, "cpu"),
    (texts.count_words, "cpu"),
    (texts.estimate_words, "cpu"),
    (texts.lookup_docs, "io"),
    (texts.join_texts, "cpu"),
    (texts.words_to_text, "cpu"),
    (tables.parse_csv, "cpu"),
    (tables.drop_incomplete, "cpu"),
    (tables.dedupe_rows, "cpu"),
    (tables.mean_exact, "cpu"),
    (tables.mean_sampled, "cpu"),
    (tables.median_exact, "cpu"),
    (tables.top_rows, "cpu"),
    (tables.top_rows_scan, "cpu"),
    (tables.describe_table, "cpu"),
    (tables.table_to_text, "cpu"),
    (tables.extract_numbers, "cpu"),
]


def default_registry() -> ToolRegistry:
    """A fresh registry of the built-in deterministic text and table tools."""
    reg = ToolRegistry()
    for fn, kind in _BUILTINS:
        if fn is texts.lookup_docs:  # measure on short keyword lists, as plans call it
            reg.register(
                fn, kind=kind, samples=lambda level: [["class", "import"][: 1 + level % 2]]
            )
        elif fn is tables.parse_csv:
            reg.register(fn, kind=kind, samples=_csv_samples)
        else:
            reg.register(fn, kind=kind)
    return reg


def _csv_samples(level: int) -> list[Any]:
    from steergraph.tools.samples import sample_value

    return [sample_value("table", level).to_csv()]
