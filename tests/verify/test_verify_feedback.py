"""Verified samples -> TRL datasets and GRPO reward functions (no training here)."""

from __future__ import annotations

import asyncio

import pytest

from steergraph.agents.verify.base import Problem, Verdict, Verifier
from steergraph.errors import InputError
from steergraph.training.verify import (
    Scored,
    feedback_stats,
    preference_dataset,
    problem_key,
    prompt_dataset,
    reward_function,
    sft_dataset,
    verify_candidates,
)

ADD = Problem(id="add", prompt="What is 2+2?", answer="4")
MUL = Problem(id="mul", prompt="What is 3*3?", answer="9")


def scored(problem: Problem, candidate: str, *, passed=None, score=None, error=None) -> Scored:
    verdict = Verdict(verifier="hand", passed=passed, score=score, error=error)
    return Scored(problem=problem, candidate=candidate, verdict=verdict)


class ContainsAnswer(Verifier):
    """Passes iff the candidate contains the problem's answer."""

    name = "contains"

    async def _check(self, problem: Problem, candidate: str) -> Verdict:
        await asyncio.sleep(0)
        return Verdict(verifier=self.name, passed=problem.answer in candidate)


class Exploding(Verifier):
    name = "boom"

    async def _check(self, problem: Problem, candidate: str) -> Verdict:
        raise RuntimeError("judge is down")


class BrokenBatch(ContainsAnswer):
    """A verifier whose batched method itself raises (bypassing the base class guard)."""

    async def averify_many(self, problem, candidates):
        raise RuntimeError("batch failed")


# ---------------------------------------------------------------- SFT
def test_sft_keeps_only_passed_candidates_in_trl_conversational_format():
    rows = [
        scored(ADD, "5", passed=False),
        scored(ADD, "It is 4.", passed=True),
        scored(MUL, "6", passed=False),
    ]
    ds = sft_dataset(rows)
    assert len(ds) == 1
    assert set(ds.column_names) == {"prompt", "completion", "problem_id", "score"}
    row = ds[0]
    assert row["prompt"] == [{"role": "user", "content": "What is 2+2?"}]
    assert row["completion"] == [{"role": "assistant", "content": "It is 4."}]
    assert row["problem_id"] == "add" and row["score"] == 1.0


def test_sft_dedupes_and_caps_per_problem_best_first():
    rows = [
        scored(ADD, "4", score=1.0),
        scored(ADD, " 4 ", score=1.0),  # same text after strip
        scored(ADD, "four = 4", score=1.0),
        scored(ADD, "4!", score=1.0),
        scored(MUL, "9", score=0.95),
        scored(MUL, "nine", score=1.0),
    ]
    one = sft_dataset(rows)
    assert sorted(one["problem_id"]) == ["add", "mul"]
    assert one.filter(lambda r: r["problem_id"] == "mul")[0]["completion"][0]["content"] == "nine"
    three = sft_dataset(rows, per_problem=3)
    adds = [r["completion"][0]["content"] for r in three if r["problem_id"] == "add"]
    assert adds == ["4", "four = 4", "4!"]
    dup = sft_dataset(rows, per_problem=3, dedupe=False)
    assert [r["completion"][0]["content"] for r in dup][:2] == ["4", " 4 "]
    assert len(sft_dataset(rows, threshold=0.9, per_problem=5)) == 5  # 9 at 0.95 joins


def test_sft_threshold_and_failed_or_errored_verdicts():
    rows = [
        scored(ADD, "4", passed=False, score=1.0),  # explicitly failed: never kept
        scored(ADD, "4.0", score=0.8),
        scored(ADD, "x", error="verifier raised", passed=False, score=0.0),
    ]
    with pytest.raises(InputError, match="no candidate passed verification"):
        sft_dataset(rows)
    assert sft_dataset(rows, threshold=0.5)[0]["completion"][0]["content"] == "4.0"


def test_custom_prompt_messages_and_problem_key_without_id():
    anon = Problem(prompt="Say hi")
    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hi"}]
    row = Scored(
        problem=anon,
        candidate="hi",
        verdict=Verdict(verifier="v", passed=True),
        prompt_messages=chat,
    )
    ds = sft_dataset([row])
    assert ds[0]["prompt"] == chat
    assert ds[0]["problem_id"] == problem_key(anon) == problem_key(Problem(prompt="Say hi"))
    assert problem_key(anon).startswith("p-")


@pytest.mark.parametrize("rows", [[], [scored(ADD, "5", passed=False)]])
def test_empty_results_raise_input_error_with_a_fix(rows):
    with pytest.raises(InputError) as err:
        sft_dataset(rows)
    assert err.value.fix and "sample more" in err.value.fix
    with pytest.raises(InputError, match="no preference pair"):
        preference_dataset(rows)


# ---------------------------------------------------------- preferences
def test_preference_pairs_best_vs_worst_with_margin():
    rows = [
        scored(ADD, "4", score=1.0),
        scored(ADD, "about 4", score=0.6),
        scored(ADD, "5", score=0.0),
        scored(ADD, "7", score=0.2),
        scored(MUL, "9", passed=True),
        scored(MUL, "8", passed=False),
    ]
    ds = preference_dataset(rows)
    assert set(ds.column_names) == {"prompt", "chosen", "rejected", "problem_id", "margin"}
    by_id = {r["problem_id"]: r for r in ds}
    assert by_id["add"]["chosen"] == [{"role": "assistant", "content": "4"}]
    assert by_id["add"]["rejected"] == [{"role": "assistant", "content": "5"}]
    assert by_id["add"]["margin"] == pytest.approx(1.0)
    assert by_id["mul"]["prompt"] == [{"role": "user", "content": "What is 3*3?"}]
    two = preference_dataset(rows, pairs_per_problem=2)
    add_pairs = [(r["chosen"][0]["content"], r["rejected"][0]["content"]) for r in two]
    assert ("about 4", "7") in add_pairs and len(two) == 3
    assert {r["problem_id"] for r in preference_dataset(rows, min_margin=0.5)} == {"add", "mul"}
    strict = preference_dataset(rows, pairs_per_problem=2, min_margin=0.5)
    assert len(strict) == 2  # ("about 4", "7") has margin 0.4


def test_preference_skips_equal_values_identical_texts_and_errors():
    rows = [
        scored(ADD, "4", passed=True),
        scored(ADD, "four", passed=True),  # all equal: no pair
        scored(MUL, "9", passed=True),
        scored(MUL, " 9", passed=False),  # identical text: collapsed to its best verdict
        scored(MUL, "", error="empty candidate", passed=False, score=0.0),
    ]
    with pytest.raises(InputError, match="no preference pair"):
        preference_dataset(rows)
    rows.append(scored(MUL, "81", passed=False))
    ds = preference_dataset(rows)
    assert len(ds) == 1
    assert ds[0]["rejected"][0]["content"] == "81"


def test_stats_count_everything_without_raising():
    rows = [
        scored(ADD, "4", passed=True),
        scored(ADD, "4", passed=True),
        scored(ADD, "5", passed=False),
        scored(MUL, "x", error="boom", passed=False, score=0.0),
    ]
    stats = feedback_stats(rows)
    assert (stats.scored, stats.passed, stats.errors, stats.problems) == (4, 2, 1, 2)
    assert (stats.kept, stats.problems_passed, stats.pairs) == (1, 1, 1)
    assert stats.pass_rate == 0.5
    assert stats.as_dict() == {
        "scored": 4, "passed": 2, "errors": 1, "problems": 2, "problems_passed": 1,
        "kept": 1, "pairs": 1, "pass_rate": 0.5,
    }  # fmt: skip
    assert feedback_stats([]).pass_rate == 0.0


def test_verify_candidates_builds_scored_records():
    rows = verify_candidates(ContainsAnswer(), ADD, ["4", "5", ""])
    assert [r.verdict.passed for r in rows] == [True, False, False]
    assert rows[2].verdict.error == "empty candidate"
    assert len(sft_dataset(rows)) == 1


# ---------------------------------------------------------- GRPO reward
def test_prompt_dataset_for_grpo():
    ds = prompt_dataset([ADD, MUL], system="Answer with a number.")
    assert ds.column_names == ["prompt", "problem_id"]
    assert ds[1]["prompt"][-1] == {"role": "user", "content": "What is 3*3?"}
    assert ds[0]["prompt"][0]["role"] == "system"
    with pytest.raises(InputError):
        prompt_dataset([])


def _trl_call(func, prompts, texts, problem_ids, **extra):
    """Call ``func`` exactly as GRPOTrainer._calculate_rewards does (conversational)."""
    completions = [[{"role": "assistant", "content": t}] for t in texts]
    logged: dict[str, float] = {}
    return func(
        prompts=prompts,
        completions=completions,
        completion_ids=[[1, 2]] * len(texts),
        problem_id=problem_ids,
        trainer_state=object(),
        log_extra=lambda *a, **k: None,
        log_metric=lambda name, value: logged.__setitem__(name, value),
        **extra,
    ), logged


def test_reward_function_runs_the_verifier_like_grpo_calls_it():
    reward = reward_function(ContainsAnswer(), [ADD, MUL])
    assert reward.__name__ == "verifier_contains"
    p_add = [{"role": "user", "content": ADD.prompt}]
    p_mul = [{"role": "user", "content": MUL.prompt}]
    prompts = [p_add, p_add, p_mul, p_mul]
    rewards, logged = _trl_call(reward, prompts, ["4", "5", "9", "   "], ["add"] * 2 + ["mul"] * 2)
    assert rewards == [1.0, 0.0, 1.0, 0.0]  # the blank one is a failed verdict -> 0
    assert logged == {"verifier_contains/passed": 0.5}
    # plain-text completions and lookup by prompt text (no problem_id column)
    by_text = reward(prompts=[ADD.prompt, MUL.prompt], completions=["x 4", "8"])
    assert by_text == [1.0, 0.0]


def test_reward_function_never_raises_for_verifier_failures():
    prompts = [[{"role": "user", "content": ADD.prompt}]] * 2
    for verifier in (Exploding(), BrokenBatch()):
        rewards, _ = _trl_call(reward_function(verifier, [ADD]), prompts, ["4", "4"], ["add"] * 2)
        assert rewards == [0.0, 0.0]


def test_reward_function_works_inside_a_running_event_loop():
    reward = reward_function(ContainsAnswer(), {"k": ADD}, name="acc")

    async def inside() -> list[float]:
        return reward(prompts=["?"], completions=["4"], problem_id=["k"])

    assert asyncio.run(inside()) == [1.0]
    assert reward.__name__ == "acc"


def test_reward_function_rejects_unknown_problems():
    reward = reward_function(ContainsAnswer(), [ADD])
    with pytest.raises(InputError, match="knows no problem"):
        reward(prompts=["other?"], completions=["4"], problem_id=["nope"])
