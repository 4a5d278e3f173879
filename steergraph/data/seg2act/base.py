"""The document every Seg2Act source yields: plain-text segments, the gold action of each
and the gold tree they build (:mod:`steergraph.agents.seg2act.actions`).

Example:
    >>> doc = finish_document("x", "man", [("+", "NAME"), ("*", "x - does x")])
    >>> doc.headings, doc.head(1).segments
    (1, ['NAME'])
"""

from __future__ import annotations

from dataclasses import dataclass, field

from steergraph.agents.seg2act.actions import DocTree, Node

__all__ = ["Document", "finish_document"]


@dataclass
class Document:
    """Plain-text segments with their gold actions and the tree those build."""

    name: str
    source: str  # "man", "info" or "readme"
    segments: list[str]
    actions: list[str]
    tree: Node = field(repr=False, default_factory=lambda: Node("root", -1))

    @property
    def headings(self) -> int:
        """How many headings the gold tree has."""
        return sum(n.kind == "heading" for n in self.tree.walk())

    def head(self, n: int) -> Document:
        """The document cut to its first ``n`` segments (the gold tree rebuilt)."""
        if n >= len(self.segments):
            return self
        pairs = list(zip(self.actions[:n], self.segments[:n]))
        return finish_document(self.name, self.source, pairs)


def finish_document(name: str, source: str, pairs: list[tuple[str, str]]) -> Document:
    """The document of ``(gold action, segment)`` pairs, its gold tree built."""
    actions, segments = [a for a, _ in pairs], [s for _, s in pairs]
    return Document(name, source, segments, actions, DocTree.build(actions, segments).root)
