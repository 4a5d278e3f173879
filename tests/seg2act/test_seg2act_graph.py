"""The Seg2Act graph: the windowed loop over a real document, resume mid-document, export."""

from __future__ import annotations

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from steergraph.data.seg2act import load_document
from steergraph.errors import InputError, SteergraphError
from steergraph.graphs.seg2act import Seg2ActContext, build_seg2act_graph, tree_dict
from steergraph.testing import ScriptedChatModel


@pytest.fixture(scope="module")
def doc():
    return load_document("/usr/share/man/man1/mv.1.gz")


def test_gold_replies_rebuild_the_gold_tree(doc):
    llm = ScriptedChatModel(responses=list(doc.actions))
    ctx = Seg2ActContext(model=llm, window=1, windows_per_step=16)
    out = build_seg2act_graph().invoke(
        {"segments": doc.segments}, {"recursion_limit": 100}, context=ctx
    )
    assert out["actions"] == doc.actions and out["calls"] == len(doc.segments)
    assert out["tree"] == tree_dict(doc.tree) and not out["repairs"]
    assert out["outline"].splitlines()[0] == "# NAME"


def test_a_failed_run_resumes_mid_document_without_asking_again(doc):
    graph = build_seg2act_graph(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "doc"}, "recursion_limit": 100}
    first = ScriptedChatModel(responses=list(doc.actions[:20]))  # runs out at segment 20
    ctx = Seg2ActContext(model=first, window=1, windows_per_step=10)
    with pytest.raises(SteergraphError, match="ran out of responses"):
        graph.invoke({"segments": doc.segments}, config, context=ctx)
    assert len(graph.get_state(config).values["actions"]) == 20  # two steps committed
    rest = ScriptedChatModel(responses=list(doc.actions[20:]))
    ctx = Seg2ActContext(model=rest, window=1, windows_per_step=10)
    out = graph.invoke(None, config, context=ctx)
    assert out["actions"] == doc.actions and out["calls"] == len(doc.segments)


@pytest.mark.parametrize(
    ("state", "message"),
    [({"text": " \n \n"}, "no text segments"), ({"text": "a\x00b"}, "binary input")],
)
def test_empty_and_binary_input_are_refused(state, message):
    with pytest.raises(InputError, match=message):
        build_seg2act_graph().invoke(state, context=Seg2ActContext(model=ScriptedChatModel()))


def test_training_rows_show_the_loop_its_own_prompts_and_sft_runs(doc, tiny_pair, tmp_path):
    from steergraph.agents.seg2act import window_messages
    from steergraph.training.seg2act import sft_rows, train_seg2act

    rows = sft_rows([doc], window=3, max_rows=12)
    assert len(rows) == 12
    first = window_messages("", doc.segments[:3])
    assert rows[0]["prompt"][1]["content"] == first[1].content
    assert rows[0]["completion"][0]["content"].splitlines() == doc.actions[:3]
    assert "+ NAME" in rows[2]["prompt"][1]["content"]  # the gold outline so far
    bare = sft_rows([doc], window=3, context=False, max_rows=3)
    assert "Outline so far" not in bare[2]["prompt"][1]["content"]
    base, _ = tiny_pair
    result = train_seg2act(str(base), [doc], output_dir=tmp_path / "s2a", max_rows=8, max_steps=2)
    assert result.steps == 2 and (tmp_path / "s2a" / "model.safetensors").is_file()


def test_segment_alone_splits_text_into_non_blank_lines_or_keeps_given_segments():
    from steergraph.graphs.seg2act import segment

    out = segment({"text": "NAME\n\n   \nmv - move files\n"})
    assert out == {"segments": ["NAME", "mv - move files"], "actions": [], "repairs": [],
                   "calls": 0}  # fmt: skip
    assert segment({"segments": ["a", 2], "text": "ignored"})["segments"] == ["a", "2"]


def test_export_alone_renders_the_tree_and_its_outline(doc):
    from steergraph.graphs.seg2act import export

    out = export({"segments": doc.segments, "actions": doc.actions})
    assert out["tree"] == tree_dict(doc.tree)
    assert out["outline"].splitlines()[0] == "# NAME"
    assert len(out["outline"].splitlines()) == len(doc.segments) - doc.actions.count("=")
