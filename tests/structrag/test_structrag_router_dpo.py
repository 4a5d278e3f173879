"""Router training: simulated solutions -> judged preference pairs -> TRL DPO, and the graph."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from steergraph.agents.structrag.router import router_messages
from steergraph.agents.structrag.structures import STRUCTURE_TYPES
from steergraph.data.structrag.tasks import structrag_tasks
from steergraph.errors import InputError
from steergraph.graphs.structrag_router import (
    RouterTrainingContext,
    build_structrag_router_graph,
    structures_for,
)
from steergraph.llm.prompting import to_chat_dicts
from steergraph.testing import scripted_structrag, tiny_causal_lm
from steergraph.training.structrag import (
    judge_counts,
    route_completion,
    router_accuracy,
    router_preferences,
    train_router,
)

QUIET = {"disable_tqdm": True}


def sims(task_id, designed, scores, question="Q?", titles=("a", "b")):
    return [
        {
            "task_id": task_id,
            "question": question,
            "titles": list(titles),
            "designed": designed,
            "structure": s,
            "f1": f,
        }
        for s, f in scores.items()
    ]


def test_simulation_winner_is_chosen_even_against_the_designed_structure():
    rows = sims("t", "chunk", {"table": 0.8, "chunk": 0.2, "graph": 0.0})
    ds = router_preferences(rows)
    chosen = {r["chosen"][0]["content"] for r in ds}
    rejected = [r["rejected"][0]["content"] for r in ds]
    assert chosen == {route_completion("table")}  # the winner against each loser
    assert sorted(rejected) == sorted(route_completion(s) for s in ("chunk", "graph"))
    assert judge_counts(rows) == {"tasks": 1, "decided_by_simulation": 1, "decided_by_tie_break": 0}


def test_ties_prefer_the_designed_structure():
    rows = sims("t", "graph", {"table": 0.0, "graph": 0.0, "chunk": 0.0})
    ds = router_preferences(rows)
    assert {r["chosen"][0]["content"] for r in ds} == {route_completion("graph")}
    assert len(ds) == 2  # the designed one against each of the (tied) others
    assert judge_counts(rows)["decided_by_tie_break"] == 1


def test_pairs_use_the_routing_prompt_exactly():
    rows = sims("t", "table", {"table": 1.0, "chunk": 0.0}, question="Largest?", titles=["x"])
    ds = router_preferences(rows)
    assert ds[0]["prompt"] == to_chat_dicts(router_messages("Largest?", ["x"]))
    assert json.loads(ds[0]["chosen"][0]["content"]) == {"structure": "table"}


def test_no_simulations_is_an_error():
    with pytest.raises(InputError, match="no simulated"):
        router_preferences([])
    with pytest.raises(InputError, match="no preference pair"):  # all equal, none designed
        router_preferences(sims("t", "algorithm", {"table": 0.5, "chunk": 0.5}))


def test_train_router_moves_preferences(tmp_path):
    model, tok = tiny_causal_lm(seed=0)
    rows = []
    for i in range(4):
        rows += sims(f"t{i}", "table", {"table": 1.0, "chunk": 0.0}, question=f"Largest {i}?")
    result = train_router(
        (model, tok),
        router_preferences(rows),
        output_dir=tmp_path / "router",
        max_steps=3,
        learning_rate=1e-3,
        per_device_train_batch_size=2,
        **QUIET,
    )
    margins = [h["rewards/margins"] for h in result.log_history if "rewards/margins" in h]
    assert result.steps == 3 and margins[-1] > 0
    assert (tmp_path / "router" / "config.json").exists()


def _tasks():
    return structrag_tasks(1, families=["largest_package", "package_field"])


def _responder():
    # the plan is valid for table plans only; other structures' plans fail to parse
    plan = {"op": "argmax", "column": "Installed-Size", "filter_column": "none", "value": ""}
    return scripted_structrag("chunk", plan, "no idea")


def test_router_accuracy_counts_designed_routes():
    tasks = _tasks()
    acc = router_accuracy(_responder(), tasks)
    designed = [t.structure for t in tasks]
    assert acc["accuracy"] == designed.count("chunk") / len(tasks)
    assert sum(acc["confusion"].values()) == len(tasks)
    with pytest.raises(InputError):
        router_accuracy(_responder(), [])


def test_router_graph_simulates_judges_trains_and_evaluates(tmp_path):
    model, tok = tiny_causal_lm(seed=0)
    folder = tmp_path / "tiny"
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    tasks = _tasks()
    held_out = structrag_tasks(1, families=["section_members"])[0]
    ctx = RouterTrainingContext(
        model=_responder(),
        router=str(folder),
        workdir=str(tmp_path / "work"),
        structures=("table", "chunk"),
        batch=1,
        export=False,
        embeddings=DeterministicFakeEmbedding(size=16),
        train_config={"max_steps": 1, "max_length": None, **QUIET},
    )
    out = build_structrag_router_graph().invoke(
        {"tasks": [t.model_dump() for t in tasks], "eval_tasks": [held_out.model_dump()]},
        context=ctx,
    )
    by = {(s["task_id"], s["structure"]): s for s in out["simulations"]}
    largest = next(t for t in tasks if t.family == "largest_package")
    assert by[(largest.id, "table")]["f1"] == 1.0  # the exact argmax over the parsed table
    assert by[(largest.id, "chunk")]["f1"] == 0.0
    assert out["judged"]["decided_by_simulation"] == 1
    assert out["judged"]["decided_by_tie_break"] == 1
    assert (tmp_path / "work" / "router_pairs.jsonl").exists()
    assert out["trained"]["steps"] == 1
    assert set(out["accuracy"]) == {"before", "after"}
    assert out["status"] == "done"


def test_contrast_simulates_the_designed_structure_and_the_contrast_types():
    graph_task = structrag_tasks(1, families=["dependents"])[0]
    table_task = structrag_tasks(1, families=["largest_package"])[0]
    ctx = RouterTrainingContext(contrast=("table", "chunk"))
    assert structures_for(graph_task, ctx) == ["graph", "table", "chunk"]
    assert structures_for(table_task, ctx) == ["table", "chunk"]
    assert structures_for(table_task, RouterTrainingContext()) == list(STRUCTURE_TYPES)
    with pytest.raises(InputError, match="structures"):
        build_structrag_router_graph().invoke(
            {}, context=RouterTrainingContext(model=_responder(), contrast=("list",))
        )


def test_router_graph_rejects_bad_settings(tmp_path):
    with pytest.raises(InputError, match="structures"):
        build_structrag_router_graph().invoke(
            {}, context=RouterTrainingContext(model=_responder(), structures=("table",))
        )
    with pytest.raises(InputError, match="batch"):
        build_structrag_router_graph().invoke(
            {}, context=RouterTrainingContext(model=_responder(), batch=0)
        )


def test_router_graph_refuses_held_out_tasks_it_trains_on():
    tasks = [t.model_dump() for t in _tasks()]
    with pytest.raises(InputError, match="also training tasks"):
        build_structrag_router_graph().invoke(
            {"tasks": tasks, "eval_tasks": tasks[:1]},
            context=RouterTrainingContext(model=_responder(), train=False),
        )


def test_router_graph_resumes_from_its_checkpoint_without_redoing_tasks(tmp_path):
    from langgraph.checkpoint.sqlite import SqliteSaver

    tasks = [t.model_dump() for t in _tasks()]
    ctx = RouterTrainingContext(
        model=_responder(),
        structures=("table", "chunk"),
        batch=1,
        train=False,
        embeddings=DeterministicFakeEmbedding(size=16),
    )
    config = {"configurable": {"thread_id": "r1"}}
    with SqliteSaver.from_conn_string(str(tmp_path / "cp.sqlite")) as saver:
        graph = build_structrag_router_graph(checkpointer=saver)
        graph.invoke({"tasks": tasks}, config, context=ctx, interrupt_after=["simulate"])
        paused = graph.get_state(config)
        assert paused.next == ("simulate",) and len(paused.values["simulations"]) == 2
    with SqliteSaver.from_conn_string(str(tmp_path / "cp.sqlite")) as saver:  # a new process
        out = build_structrag_router_graph(checkpointer=saver).invoke(None, config, context=ctx)
    assert len(out["simulations"]) == 4  # 2 tasks x 2 structures, none simulated twice
    assert {s["task_id"] for s in out["simulations"]} == {t["id"] for t in tasks}
    assert out["judged"]["tasks"] == 2 and out["trained"] == {"skipped": "train=False"}


def test_simulate_alone_answers_one_batch_with_each_structure():
    from steergraph.graphs.structrag_router import simulate

    tasks = [t.model_dump() for t in _tasks()]
    ctx = RouterTrainingContext(model=_responder(), structures=("table", "chunk"), batch=1,
                                embeddings=DeterministicFakeEmbedding(size=16))  # fmt: skip
    runtime = SimpleNamespace(context=ctx)
    out = simulate({"tasks": tasks, "simulations": [{"kept": True}]}, runtime)
    assert out["cursor"] == 1 and out["status"] == "simulating"
    assert out["simulations"][0] == {"kept": True}
    new = out["simulations"][1:]
    assert [(s["task_id"], s["structure"]) for s in new] == [
        (tasks[0]["id"], "table"), (tasks[0]["id"], "chunk")]  # fmt: skip
    assert all(0.0 <= s["f1"] <= 1.0 for s in new)
    done = simulate({**out, "tasks": tasks}, runtime)
    assert done["cursor"] == 2 and len(done["simulations"]) == 5
