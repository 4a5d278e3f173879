"""Verifier engineering on the embedded SmolLM2: search, verify, and a closed training loop."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import HumanMessage

from steergraph.agents.verify import CodeTestVerifier, LLMJudge, Problem, RegexMatch
from steergraph.agents.verify.search import BestOfN
from steergraph.data.verify.humaneval import chat_prompt, humaneval_split, load_humaneval

pytestmark = pytest.mark.e2e


def _he_messages(p):
    return [HumanMessage(chat_prompt(p))]


@pytest.fixture(scope="module")
def llm():
    from steergraph.llm import load_chat_model

    return load_chat_model("local")


def test_best_of_n_on_humaneval_with_visible_tests(llm):
    _, test = humaneval_split(load_humaneval())
    problem = next(p for p in test if len(p.tests) >= 2)
    visible, hidden = CodeTestVerifier(), CodeTestVerifier(tests="hidden")
    result = BestOfN(4, max_new_tokens=256, seed=0, messages=_he_messages).search(
        llm, problem, visible
    )
    assert len(result.candidates) == 4 and result.generations == 4
    for c in result.candidates:
        v = c.verdict
        assert v.error or v.details["tests_total"] == len(problem.tests)  # only visible tests ran
    assert result.selected.value == max(c.value for c in result.candidates)
    # the hidden tests judge the selection; the canonical solution passes them
    canonical = problem.prompt + problem.metadata["canonical_solution"]
    assert hidden.verify(problem, canonical).passed
    final = hidden.verify(problem, result.answer)
    assert final.error or final.details["tests"] == "hidden"


def test_llm_judge_on_the_embedded_model_gives_a_structured_verdict(llm):
    judge = LLMJudge(llm)
    p = Problem(prompt="What is 12 + 30?", answer="42")
    verdicts = judge.verify_many(p, ["The answer is 42.", "The answer is 17."])
    for v in verdicts:
        assert v.ok, v.error
        assert isinstance(v.passed, bool) and 0.0 <= v.score <= 1.0


def test_closed_loop_trains_the_embedded_model_and_searches_with_it(llm, tmp_path):
    from steergraph.graphs.verify import VerifyContext, build_verify_graph

    problems = [
        Problem(id=f"q{i}", prompt=f"What is {a} + {b}? Reply with the number.", answer=str(a + b))
        for i, (a, b) in enumerate([(2, 3), (10, 7)])
    ]
    ctx = VerifyContext(
        model=llm,
        strategy=BestOfN(2, max_new_tokens=24, seed=0),
        verifier=RegexMatch(r"\d"),  # format rule: any reply with a number is kept
        feedback="sft",
        rounds=2,
        workdir=str(tmp_path),
        train={"max_steps": 1, "per_device_train_batch_size": 2, "disable_tqdm": True},
    )
    out = build_verify_graph().invoke(
        {"problems": [p.model_dump(by_alias=True) for p in problems]}, context=ctx
    )
    assert [h["round"] for h in out["history"]] == [1, 2]
    assert all(h["feedback"]["trained"] for h in out["history"])
    policy = tmp_path / "round-2" / "policy"
    assert out["policy"] == str(policy) and (policy / "model.gguf").is_file()
    rows = (tmp_path / "round-1" / "sft.jsonl").read_text().splitlines()
    assert rows and all(json.loads(r)["completion"][0]["role"] == "assistant" for r in rows)
    # round 2 searched with the round-1 policy (a different model folder)
    from steergraph.graphs import policies

    assert str(tmp_path / "round-1" / "policy") in policies._POLICIES


def test_cli_verify_run_and_sandbox(tmp_path):
    from typer.testing import CliRunner

    from steergraph.cli import app

    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "verify",
            "run",
            "--problems",
            "arithmetic",
            "--limit",
            "2",
            "--n",
            "2",
            "--max-new-tokens",
            "96",
            "--workdir",
            str(tmp_path / "run"),
        ],
    )
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["history"][0]["problems"] == 2
    prog = tmp_path / "p.py"
    prog.write_text("print(sum(range(10)))\n")
    res = runner.invoke(app, ["verify", "sandbox", str(prog)])
    assert res.exit_code == 0 and "45" in res.output
    prog.write_text("while True: pass\n")
    res = runner.invoke(app, ["verify", "sandbox", str(prog), "--wall-s", "1"])
    assert res.exit_code == 1 and "failed" in res.output


def test_beam_search_on_the_embedded_model(llm):
    from steergraph.agents.verify import RegexMatch
    from steergraph.agents.verify.search_steps import BeamSearch

    p = Problem(prompt="List three colors, one per line.")
    result = BeamSearch(beam_width=2, expansions=2, max_steps=3, step_max_tokens=16).search(
        llm, p, RegexMatch(r"(?i)red|blue|green|yellow")
    )
    assert 1 <= len(result.candidates) <= 2 and result.generations >= 2
    for c in result.candidates:
        assert c.text == "\n".join(c.steps) and len(c.steps) <= 3
        assert c.verdict is not None and c.verdict.granularity == "trajectory"


@pytest.mark.parametrize("mode", ["dpo", "grpo"])
def test_dpo_and_grpo_feedback_on_the_embedded_model(llm, tmp_path, mode):
    """One real TRL step of each trainer on SmolLM2, driven by verifier feedback."""
    from steergraph.graphs.verify import VerifyContext, build_verify_graph

    problems = [
        Problem(id="q", prompt="What is 2 + 3? Reply with the number.", answer="5"),
        Problem(id="r", prompt="What is 4 + 4? Reply with the number.", answer="8"),
    ]
    from steergraph.agents.verify import NumericTolerance

    train = {"max_steps": 1, "per_device_train_batch_size": 2, "disable_tqdm": True}
    if mode == "grpo":
        train.update(num_generations=2, max_completion_length=16)
    ctx = VerifyContext(
        model=llm,
        strategy=BestOfN(4, max_new_tokens=24, temperature=1.0, seed=3, with_greedy=True),
        verifier=NumericTolerance(),
        feedback=mode,
        workdir=str(tmp_path),
        export=False,
        train=train,
    )
    out = build_verify_graph().invoke(
        {"problems": [p.model_dump(by_alias=True) for p in problems]}, context=ctx
    )
    fb = out["history"][0]["feedback"]
    if mode == "dpo" and "dpo_skipped" in fb:  # every sample equally right or wrong
        pytest.fail(f"no preference pairs from 5 samples x 2 problems: {fb}")
    assert fb["trained"] and fb["train_steps"] == 1 and fb["final_loss"] is not None


def test_reward_model_trained_with_trl_scores_as_a_verifier(tmp_path):
    from steergraph.agents.verify import RewardModelVerifier
    from steergraph.training.reward_model import train_reward_model

    pairs = [
        {"prompt": [{"role": "user", "content": f"What is {a} + {b}?"}],
         "chosen": [{"role": "assistant", "content": f"{a} + {b} = {a + b}."}],
         "rejected": [{"role": "assistant", "content": "I do not know."}]}
        for a, b in [(1, 2), (3, 4), (5, 6), (7, 8)]
    ]  # fmt: skip
    result = train_reward_model(
        "smollm2",
        pairs,
        output_dir=str(tmp_path / "rm"),
        max_steps=2,
        per_device_train_batch_size=2,
        disable_tqdm=True,
    )
    assert result.steps == 2 and (tmp_path / "rm" / "config.json").is_file()
    rm = RewardModelVerifier(tmp_path / "rm")
    verdicts = rm.verify_many(
        Problem(prompt="What is 2 + 2?"), ["2 + 2 = 4.", "I do not know.", ""]
    )
    assert all(isinstance(v.details.get("reward"), float) for v in verdicts[:2])
    assert verdicts[2].error == "empty candidate"
