"""Seg2Act's generation loop: a window of segments in, their actions out, the tree updated.

At each step the model sees the **global context** (the rightmost path of the tree built
so far, :meth:`~steergraph.agents.seg2act.actions.DocTree.render_path`) and the next
``window`` segments, and writes one action line per segment; the first ``stride``
actions are committed and the window slides on. Local models decode under a grammar
that admits exactly ``len(window)`` action lines (any vocabulary, no token ids); other
chat models get the same prompt and their reply is parsed, each unusable line repaired
to ``*`` (a new paragraph) with the repair recorded. ``context=False`` drops the global
context (the ablation baseline).

Example:
    >>> from steergraph.testing import ScriptedChatModel
    >>> llm = ScriptedChatModel(responses=["+\\n*", "*\\n=", "="])
    >>> result = Structurer(llm, window=2, stride=1).run(["Intro", "Text", "more"])
    >>> result.actions, result.repairs
    (['+', '*', '='], [])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

from steergraph.agents.seg2act.actions import ACTION_GRAMMAR, ActionError, DocTree, parse_action
from steergraph.errors import InputError

__all__ = ["StructureResult", "Structurer", "window_grammar", "window_messages"]

SYSTEM = (
    "You rebuild the outline of a document from its text segments. For each segment write "
    "one action on its own line: '+' repeated k times if the segment is a level-k heading, "
    "'*' if it starts a new paragraph, '=' if it continues the previous segment's heading "
    "or paragraph. Write only the actions."
)


def window_grammar(n: int) -> str:
    """A lark grammar for exactly ``n`` action lines."""
    body = ' "\\n" '.join(["act"] * n)
    alternatives = ACTION_GRAMMAR.split(":", 1)[1].strip()
    return f"start: {body}\nact: {alternatives}"


def window_messages(path: str, window: Sequence[str], *, context: bool = True) -> list[Any]:
    """The prompt for one step: the outline so far (if ``context``) and the segments."""
    numbered = "\n".join(f"[{i + 1}] {s}" for i, s in enumerate(window))
    outline = f"Outline so far:\n{path or '(empty)'}\n\n" if context else ""
    return [
        SystemMessage(SYSTEM),
        HumanMessage(f"{outline}Segments:\n{numbered}\n\nActions ({len(window)} lines):"),
    ]


@dataclass
class StructureResult:
    """The tree, the committed action per segment, the repairs and the model calls."""

    tree: DocTree
    actions: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    calls: int = 0


class Structurer:
    """Turn a list of segments into a document tree with a chat model."""

    def __init__(
        self,
        llm: Any,
        *,
        window: int = 3,
        stride: int = 1,
        context: bool = True,
        max_segments: int = 5000,
    ) -> None:
        if window < 1 or not 1 <= stride <= window:
            raise InputError(f"window={window}, stride={stride}", fix="use 1 <= stride <= window")
        self.llm, self.window, self.stride = llm, window, stride
        self.context, self.max_segments = context, max_segments

    def _ask(self, tree: DocTree, chunk: Sequence[str]) -> list[str]:
        messages = window_messages(tree.render_path(), chunk, context=self.context)
        llm = self.llm
        if hasattr(llm, "with_grammar"):
            llm = llm.with_grammar(window_grammar(len(chunk)))
        from steergraph.agents.calls import with_budget

        reply = with_budget(llm, 8 * len(chunk)).invoke(messages)
        return str(reply.content).strip().splitlines()

    def step(self, result: StructureResult, segments: Sequence[str], start: int) -> int:
        """Decide the window at ``start``, commit up to ``stride`` actions into ``result``;
        return the next start."""
        chunk = segments[start : start + self.window]
        lines = self._ask(result.tree, chunk)
        result.calls += 1
        for k in range(min(self.stride, len(chunk))):
            text = lines[k] if k < len(lines) else ""
            try:
                action = parse_action(text)
            except ActionError:
                result.repairs.append(f"segment {start + k}: {text!r} is no action; used '*'")
                action = parse_action("*")
            repair = result.tree.apply(action, chunk[k])
            if repair:
                result.repairs.append(f"segment {start + k}: {repair}")
            result.actions.append(str(action))
        return start + self.stride

    def check(self, segments: Sequence[str]) -> list[str]:
        """The segments, whitespace-normalised; an empty or oversized document raises."""
        segs = [" ".join(str(s).split()) for s in segments]
        if not segs or not any(segs):
            raise InputError("the document has no text segments", fix="give non-empty text")
        if len(segs) > self.max_segments:
            raise InputError(
                f"{len(segs)} segments > max_segments={self.max_segments}",
                fix="split the document or raise max_segments",
            )
        return segs

    def run(self, segments: Sequence[str]) -> StructureResult:
        """Structure ``segments`` (non-empty texts) from first to last."""
        segs = self.check(segments)
        result = StructureResult(DocTree())
        start = 0
        while start < len(segs):
            start = self.step(result, segs, start)
        return result
