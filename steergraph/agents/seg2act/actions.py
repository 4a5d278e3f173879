"""Seg2Act's action language and the document tree the actions build.

One action per text segment (Li et al., 2024, "Seg2Act: Global Context-aware Action
Generation for Document Logical Structuring", arXiv:2410.06802):

* ``+`` repeated *k* times -- the segment opens a heading of level *k*;
* ``*`` -- the segment opens a new paragraph (under the deepest open heading);
* ``=`` -- the segment continues the node opened last (a heading or a paragraph that
  spans several segments).

:class:`DocTree` applies actions one by one and keeps the **rightmost path** (the chain of
nodes a new segment can attach to), which is the model's global context. Two inputs have
no meaning and are repaired, the repair recorded: a heading more than one level below
the deepest open heading (``+++`` under a level-1 heading) is clamped to the next level
(our choice; the reference release does not say what it does), and ``=`` with nothing
open starts a paragraph. :func:`gold_actions` turns a known tree into the action sequence
a model is trained to produce; :data:`ACTION_GRAMMAR` constrains decoding to one action.

Example:
    >>> tree = DocTree()
    >>> for act, seg in [("+", "Intro"), ("*", "Text starts"), ("=", "and goes on."),
    ...                  ("++", "Details"), ("*", "More.")]:
    ...     _ = tree.apply(parse_action(act), seg)
    >>> print(tree.render_path())
    + Intro
    ++ Details
    * More.
    >>> [n.text for n in tree.root.children[0].children]
    ['Text starts and goes on.', 'Details']
    >>> gold_actions(tree.root)
    ['+', '*', '++', '*']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from steergraph.errors import InputError

__all__ = [
    "ACTION_GRAMMAR",
    "MAX_LEVEL",
    "Action",
    "ActionError",
    "DocTree",
    "Node",
    "gold_actions",
    "parse_action",
]

MAX_LEVEL = 6
#: one action line, as llguidance's lark dialect (any local model decodes under it)
ACTION_GRAMMAR = 'start: "+" | "++" | "+++" | "++++" | "+++++" | "++++++" | "*" | "="'
_ACTION = re.compile(r"^\s*(\+{1,6}|\*|=)\s*$")


class ActionError(InputError):
    """Text that is not one Seg2Act action."""

    code = "seg2act-action"


@dataclass(frozen=True)
class Action:
    """What to do with one segment."""

    kind: Literal["heading", "paragraph", "concat"]
    level: int = 0  # heading level (1 = top); 0 otherwise

    def __str__(self) -> str:
        return {"heading": "+" * self.level, "paragraph": "*", "concat": "="}[self.kind]


def parse_action(text: str) -> Action:
    """The action ``text`` spells (``+``..``++++++``, ``*``, ``=``), else :class:`ActionError`."""
    m = _ACTION.match(text or "")
    if not m:
        raise ActionError(
            f"{text!r} is not a Seg2Act action",
            fix=f"use '+' repeated 1-{MAX_LEVEL} times (heading), '*' (paragraph) or '=' "
            "(continue the last node)",
        )
    token = m.group(1)
    if token == "*":
        return Action("paragraph")
    if token == "=":
        return Action("concat")
    return Action("heading", len(token))


@dataclass
class Node:
    """A heading (``level`` >= 1), a paragraph (``level`` 0) or the root (level -1)."""

    kind: Literal["root", "heading", "paragraph"]
    level: int
    text: str = ""
    children: list[Node] = field(default_factory=list)

    def walk(self) -> list[Node]:
        """This node and its descendants, in document order (the root excluded)."""
        out = [] if self.kind == "root" else [self]
        for child in self.children:
            out += child.walk()
        return out


class DocTree:
    """A document tree built one (action, segment) at a time."""

    def __init__(self) -> None:
        self.root = Node("root", -1)
        self.path: list[Node] = [self.root]  # the rightmost path, root first
        self.repairs: list[str] = []

    @classmethod
    def build(cls, actions: list[str], segments: list[str]) -> DocTree:
        """The tree that ``actions`` (strings) build from ``segments``, pairwise."""
        tree = cls()
        for action, segment in zip(actions, segments):
            tree.apply(parse_action(action), segment)
        return tree

    def _headings(self) -> list[Node]:
        return [n for n in self.path if n.kind == "heading"]

    def apply(self, action: Action, segment: str) -> str | None:
        """Attach ``segment`` as ``action`` says; return the repair made, if any."""
        segment = " ".join(segment.split())
        repair = None
        if action.kind == "concat":
            last = self.path[-1]
            if last.kind != "root":
                last.text = f"{last.text} {segment}".strip()
                return None
            repair = "'=' with nothing open: started a paragraph"
            action = Action("paragraph")
        if action.kind == "heading":
            deepest = self._headings()[-1].level if self._headings() else 0
            level = action.level
            if level > deepest + 1:
                repair = f"heading level {level} under level {deepest}: clamped to {deepest + 1}"
                level = deepest + 1
            while self.path[-1].kind == "paragraph" or (
                self.path[-1].kind == "heading" and self.path[-1].level >= level
            ):
                self.path.pop()
            node = Node("heading", level, segment)
        else:
            while self.path[-1].kind == "paragraph":
                self.path.pop()
            node = Node("paragraph", 0, segment)
        self.path[-1].children.append(node)
        self.path.append(node)
        if repair:
            self.repairs.append(repair)
        return repair

    def render_path(self, chars: int = 80) -> str:
        """The rightmost path as action-prefixed lines (each text cut at ``chars``)."""
        lines = []
        for node in self.path[1:]:
            mark = "+" * node.level if node.kind == "heading" else "*"
            text = node.text if len(node.text) <= chars else node.text[: chars - 3] + "..."
            lines.append(f"{mark} {text}")
        return "\n".join(lines)


def gold_actions(root: Node, segments: dict[int, list[str]] | None = None) -> list[str]:
    """The action per segment that rebuilds ``root``'s tree: one segment per node unless
    ``segments`` maps a node's position (document order) to its several segments."""
    actions: list[str] = []
    for i, node in enumerate(root.walk()):
        first = "+" * node.level if node.kind == "heading" else "*"
        count = len(segments[i]) if segments and i in segments else 1
        actions += [first] + ["="] * (count - 1)
    return actions
