"""Scoring a predicted document tree against the gold one (Seg2Act's metrics).

* heading and text precision/recall/F1 over nodes, each node identified by (kind, level,
  path of heading texts above it, its own text) -- a heading at the wrong level or under
  the wrong parent counts as wrong, as in the paper's node-level evaluation;
* document accuracy: the whole tree right;
* TEDS, tree-edit-distance similarity ``1 - TED / max(|T_pred|, |T_gold|)``, with
  ``apted`` computing the distance (rename cost 0 only for equal kind, level and text).

Example:
    >>> from steergraph.agents.seg2act import DocTree, parse_action
    >>> def tree(pairs):
    ...     t = DocTree()
    ...     for a, s in pairs:
    ...         t.apply(parse_action(a), s)
    ...     return t.root
    >>> gold = tree([("+", "A"), ("*", "x"), ("++", "B"), ("*", "y")])
    >>> pred = tree([("+", "A"), ("*", "x"), ("+", "B"), ("*", "y")])
    >>> s = score_tree(pred, gold)
    >>> s["heading_f1"], s["exact"], round(s["teds"], 3)
    (0.5, False, 0.4)
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from steergraph.agents.seg2act.actions import Node

__all__ = ["mean_scores", "prf", "score_tree", "teds"]


def _keys(root: Node) -> tuple[Counter, Counter]:
    headings, texts = Counter(), Counter()

    def visit(node: Node, above: tuple[str, ...]) -> None:
        for child in node.children:
            key = (child.level, above, child.text)
            (headings if child.kind == "heading" else texts)[key] += 1
            visit(child, (*above, child.text) if child.kind == "heading" else above)

    visit(root, ())
    return headings, texts


def prf(pred: Counter, gold: Counter) -> tuple[float, float, float]:
    """Precision, recall and F1 of two multisets (1.0 each when both are empty)."""
    hit = sum((pred & gold).values())
    n_pred, n_gold = sum(pred.values()), sum(gold.values())
    if n_pred == n_gold == 0:
        return 1.0, 1.0, 1.0
    p = hit / n_pred if n_pred else 0.0
    r = hit / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _size(node: Node) -> int:
    return 1 + sum(_size(c) for c in node.children)


def teds(pred: Node, gold: Node) -> float:
    """Tree-edit-distance similarity of two trees (1.0: identical)."""
    from apted import APTED, Config

    class _Config(Config):
        def rename(self, a: Node, b: Node) -> int:
            return int((a.kind, a.level, a.text) != (b.kind, b.level, b.text))

        def children(self, node: Node) -> list[Node]:
            return node.children

    distance = APTED(pred, gold, _Config()).compute_edit_distance()
    return 1.0 - distance / max(_size(pred), _size(gold))


def score_tree(pred: Node, gold: Node) -> dict[str, Any]:
    """Heading and text P/R/F1, whole-tree exactness and TEDS of one document."""
    (ph, pt), (gh, gt) = _keys(pred), _keys(gold)
    hp, hr, hf = prf(ph, gh)
    tp, tr, tf = prf(pt, gt)
    return {
        "heading_p": hp, "heading_r": hr, "heading_f1": hf,
        "text_p": tp, "text_r": tr, "text_f1": tf,
        "exact": ph == gh and pt == gt, "teds": teds(pred, gold),
    }  # fmt: skip


def mean_scores(scores: list[dict[str, Any]]) -> dict[str, float]:
    """The mean of each figure over documents (``exact`` becomes document accuracy)."""
    if not scores:
        return {}
    out = {k: round(sum(float(s[k]) for s in scores) / len(scores), 4) for k in scores[0]}
    out["document_accuracy"] = out.pop("exact")
    return out
