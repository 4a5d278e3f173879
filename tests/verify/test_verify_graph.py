"""The verify graph: rounds, feedback that really trains, checkpoints and resume."""

from __future__ import annotations

import json
import sqlite3

import pytest
import torch
from langgraph.checkpoint.sqlite import SqliteSaver

from steergraph.agents.verify import ExactMatch, Problem, RegexMatch, Verdict, Verifier
from steergraph.agents.verify.search import BestOfN
from steergraph.agents.verify.search_base import SearchResult
from steergraph.errors import CapabilityError, InputError
from steergraph.graphs.verify import VerifyContext, build_verify_graph
from steergraph.testing import ScriptedChatModel

PROBLEMS = [
    Problem(id="a", prompt="2+2?", answer="4").model_dump(by_alias=True),
    Problem(id="b", prompt="3+3?", answer="6").model_dump(by_alias=True),
]


def _right_then_wrong():
    """Per question: the right answer, then a wrong one (whatever order threads ask in)."""
    seen: dict[str, int] = {}
    answers = {"2+2?": ("4", "5"), "3+3?": ("6", "7")}

    def reply(messages):
        question = str(messages[-1].content)
        seen[question] = seen.get(question, 0) + 1
        return answers[question][(seen[question] - 1) % 2]

    return ScriptedChatModel(responses=[reply], cycle=True)


def test_rounds_are_bounded_and_recorded(tmp_path):
    llm = _right_then_wrong()
    ctx = VerifyContext(
        model=llm,
        strategy=BestOfN(n=2),
        verifier=ExactMatch(),
        feedback="none",
        rounds=3,
        workdir=str(tmp_path),
    )
    out = build_verify_graph().invoke({"problems": PROBLEMS}, context=ctx)
    assert out["round"] == 3 and out["status"] == "done"
    assert [h["round"] for h in out["history"]] == [1, 2, 3]
    first = out["history"][0]
    assert first["problems"] == 2 and first["candidates"] == 4
    assert first["feedback"]["mode"] == "none"
    # data is written every round even without training
    rows = [json.loads(x) for x in (tmp_path / "round-1" / "sft.jsonl").read_text().splitlines()]
    assert {r["problem_id"] for r in rows} <= {"a", "b"} and rows


def test_eval_verifier_scores_only_the_selection():
    llm = ScriptedChatModel(responses=["4", "four"], cycle=True)
    ctx = VerifyContext(
        model=llm,
        strategy=BestOfN(n=2),
        verifier=RegexMatch(r"\d"),
        eval_verifier=ExactMatch(),
        feedback="none",
    )
    out = build_verify_graph().invoke({"problems": PROBLEMS[:1]}, context=ctx)
    assert out["history"][0]["selected_pass_rate"] == 1.0
    assert out["evaluated"][0]["passed"] is True


def test_bad_inputs():
    ctx = VerifyContext(
        model=ScriptedChatModel(responses=["x"], cycle=True),
        strategy=BestOfN(n=1),
        verifier=ExactMatch(),
        feedback="none",
    )
    with pytest.raises(InputError, match="no problems"):
        build_verify_graph().invoke({"problems": []}, context=ctx)
    train = VerifyContext(
        model=ScriptedChatModel(responses=["4"], cycle=True),
        strategy=BestOfN(n=1),
        verifier=ExactMatch(),
        feedback="sft",
    )
    with pytest.raises(CapabilityError, match="needs a local model"):
        build_verify_graph().invoke({"problems": PROBLEMS[:1]}, context=train)
    no_answer = [Problem(id="z", prompt="hi").model_dump(by_alias=True)]
    with pytest.raises(InputError, match="no tests and no answer"):
        build_verify_graph().invoke(
            {"problems": no_answer},
            context=VerifyContext(
                model=ScriptedChatModel(responses=["x"], cycle=True),
                strategy=BestOfN(n=1),
                feedback="none",
            ),
        )


def test_sft_feedback_trains_a_new_policy_and_the_next_round_uses_it(tmp_path):
    from steergraph.testing import tiny_chat_model

    llm = tiny_chat_model(seed=0, max_new_tokens=6)
    before = {k: v.clone() for k, v in llm.hf_model.state_dict().items()}
    # a verifier that passes everything: every sample becomes SFT data
    ctx = VerifyContext(
        model=llm,
        strategy=BestOfN(n=2, max_new_tokens=6, seed=0),
        verifier=RegexMatch(r"[\s\S]"),
        feedback="sft",
        rounds=2,
        workdir=str(tmp_path),
        export=False,
        train={"max_steps": 2, "disable_tqdm": True},
    )
    out = build_verify_graph().invoke({"problems": PROBLEMS}, context=ctx)
    assert out["policy"] == str(tmp_path / "round-2" / "policy")
    fb = [h["feedback"] for h in out["history"]]
    assert all(f["trained"] and f["train_steps"] == 2 for f in fb)
    # the input policy is untouched; the round-1 policy differs from it
    after = llm.hf_model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    from transformers import AutoModelForCausalLM

    trained = AutoModelForCausalLM.from_pretrained(tmp_path / "round-1" / "policy")
    assert any(not torch.equal(before[k], v) for k, v in trained.state_dict().items())


def test_checkpointed_run_resumes_after_an_interrupt(tmp_path):
    calls = {"n": 0}

    def reply(_messages):
        calls["n"] += 1
        return "4"

    llm = ScriptedChatModel(responses=[reply], cycle=True)
    ctx = VerifyContext(
        model=llm, strategy=BestOfN(n=1), verifier=ExactMatch(), feedback="none", rounds=2
    )
    saver = SqliteSaver(sqlite3.connect(str(tmp_path / "cp.sqlite"), check_same_thread=False))
    graph = build_verify_graph(checkpointer=saver)
    config = {"configurable": {"thread_id": "t1"}}
    graph.invoke({"problems": PROBLEMS[:1]}, config, context=ctx, interrupt_after=["feedback"])
    assert graph.get_state(config).values["round"] == 1 and calls["n"] == 1
    # a new process would rebuild the graph on the same database
    again = build_verify_graph(checkpointer=saver)
    out = again.invoke(None, config, context=ctx)
    assert out["round"] == 2 and calls["n"] == 2 and len(out["history"]) == 2


class LengthScore(Verifier):
    """Deterministic, text-dependent scores: enough spread for preference pairs."""

    name = "length"

    async def _check(self, problem, candidate):
        score = (len(candidate) % 5) / 4
        return Verdict(verifier=self.name, passed=score >= 0.5, score=score)


@pytest.mark.parametrize("mode", ["dpo", "grpo"])
def test_dpo_and_grpo_feedback_train_the_policy(tmp_path, mode):
    from steergraph.testing import tiny_chat_model

    llm = tiny_chat_model(seed=1, max_new_tokens=8)
    train = {"max_steps": 1, "disable_tqdm": True}
    if mode == "grpo":
        train.update(num_generations=2, max_completion_length=8)
    ctx = VerifyContext(
        model=llm,
        strategy=BestOfN(n=4, max_new_tokens=8, temperature=1.0, seed=0),
        verifier=LengthScore(),
        feedback=mode,
        rounds=1,
        workdir=str(tmp_path),
        export=False,
        train=train,
    )
    out = build_verify_graph().invoke({"problems": PROBLEMS}, context=ctx)
    fb = out["history"][0]["feedback"]
    assert fb["trained"] and fb["train_steps"] == 1, fb
    assert (tmp_path / "round-1" / "policy" / "config.json").is_file()
    if mode == "dpo":
        pairs = (tmp_path / "round-1" / "dpo.jsonl").read_text().splitlines()
        assert pairs and all(json.loads(p)["margin"] > 0 for p in pairs)


def test_hidden_tests_score_the_selection_by_default():
    code = "```python\ndef add(a, b):\n    return 5\n```"  # passes the visible test only
    problem = Problem(
        id="add",
        prompt="def add(a, b):\n",
        entry_point="add",
        tests=["assert add(2, 3) == 5"],
        hidden_tests=["assert add(1, 1) == 2"],
    )
    ctx = VerifyContext(
        model=ScriptedChatModel(responses=[code], cycle=True),
        strategy=BestOfN(n=1),
        feedback="none",
    )
    out = build_verify_graph().invoke(
        {"problems": [problem.model_dump(by_alias=True)]}, context=ctx
    )
    h = out["history"][0]
    assert h["selected_pass_rate"] == 1.0 and h["eval_pass_rate"] == 0.0
    assert h["selection_reads_reference"] is False


def test_one_failing_problem_does_not_lose_the_round():
    def reply(messages):
        if "3+3" in messages[-1].content:
            raise RuntimeError("context window exceeded")
        return "4"

    ctx = VerifyContext(
        model=ScriptedChatModel(responses=[reply], cycle=True),
        strategy=BestOfN(n=1),
        verifier=ExactMatch(),
        feedback="none",
    )
    out = build_verify_graph().invoke({"problems": PROBLEMS}, context=ctx)
    h = out["history"][0]
    assert h["search_errors"] == 1 and h["selected_pass_rate"] == 0.5
    assert h["selection_reads_reference"] is False  # an explicit verifier was given
    failed = SearchResult.model_validate(out["searched"][1])
    assert failed.details["error"].startswith("RuntimeError: context window exceeded")
