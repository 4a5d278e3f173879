"""Seg2Act on the real embedded model: the graph and the command line on a real man page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

MV = "/usr/share/man/man1/mv.1.gz"


def test_the_embedded_model_writes_one_valid_action_per_segment():
    from steergraph.agents.seg2act import DocTree
    from steergraph.bench.seg2act_eval import score_tree
    from steergraph.data.seg2act import load_document
    from steergraph.graphs.seg2act import Seg2ActContext, build_seg2act_graph

    doc = load_document(MV).head(12)
    out = build_seg2act_graph().invoke(
        {"segments": doc.segments}, context=Seg2ActContext(model="local", window=3)
    )
    assert len(out["actions"]) == 12 and out["calls"] == 12
    assert not [r for r in out["repairs"] if "is no action" in r]  # the grammar held
    assert all(a in {"*", "="} or set(a) == {"+"} for a in out["actions"])
    tree = DocTree.build(out["actions"], doc.segments)
    assert out["outline"].count("\n") + 1 == len(tree.root.walk())
    assert 0.0 <= score_tree(tree.root, doc.tree)["teds"] <= 1.0


def test_the_command_line_structures_a_manual_with_the_embedded_model(cli):
    r = cli("seg2act", "structure", MV, "--max-segments", "6", "--window", "2")
    assert r.returncode == 0, r.stderr
    assert "6 segments" in r.stderr and "against the manual's own structure" in r.stderr
    assert r.stdout.strip()
