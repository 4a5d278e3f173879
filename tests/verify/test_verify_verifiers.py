"""Verifiers: rules, composites, judge; bad candidates and raising verifiers never escape."""

from __future__ import annotations

import asyncio
import time

import pytest

from steergraph.agents.verify import (
    AllOf,
    AnyOf,
    ExactMatch,
    JsonSchemaVerifier,
    LLMJudge,
    MajorityVote,
    NumericTolerance,
    Problem,
    RegexMatch,
    Verdict,
    Verifier,
    Weighted,
    ranked,
)
from steergraph.errors import InputError
from steergraph.testing import ScriptedChatModel

P = Problem(id="p", prompt="What is 6 * 7?", answer="42")


class Boom(Verifier):
    name = "boom"

    async def _check(self, problem, candidate):
        raise RuntimeError("disk on fire")


class Slow(Verifier):
    name = "slow"
    concurrency = 8

    async def _check(self, problem, candidate):
        await asyncio.sleep(0.2)
        return Verdict(verifier=self.name, passed=True, score=1.0)


def test_exact_match_normalizes_and_extracts():
    v = ExactMatch()
    assert v.verify(P, " 42. ").passed
    assert not v.verify(P, "43").passed
    from steergraph.data.verify.arithmetic import extract_number

    assert ExactMatch(extract=extract_number).verify(P, "6 * 7 = 42, so the answer is 42.").passed
    nothing = ExactMatch(extract=lambda t: None).verify(P, "no idea")
    assert nothing.passed is False and nothing.error == "no final answer found in the reply"


def test_numeric_tolerance():
    p = Problem(prompt="pi?", answer="3.14159")
    with pytest.raises(InputError, match="holds no number"):
        NumericTolerance().verify(Problem(prompt="?", answer="many"), "3")
    assert NumericTolerance(abs_tol=1e-3).verify(p, "about 3.1416").passed
    miss = NumericTolerance(abs_tol=1e-3).verify(p, "3.2")
    assert not miss.passed and miss.details["abs_error"] == pytest.approx(0.05841, abs=1e-4)
    assert NumericTolerance().verify(p, "no digits here").error == "the reply contains no number"
    with pytest.raises(InputError):
        NumericTolerance(abs_tol=-1)


def test_regex_and_bad_pattern():
    v = RegexMatch(r"^def \w+\(")
    assert v.verify(P, "def f(x):\n  return x").passed
    assert "required pattern" in v.verify(P, "print(1)").feedback
    with pytest.raises(InputError, match="invalid regular expression"):
        RegexMatch("(")


def test_json_schema_verifier_scores_parse_and_schema():
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    v = JsonSchemaVerifier(schema)
    assert v.verify(P, 'Here: {"n": 3} done').passed
    wrong = v.verify(P, '{"n": "three"}')
    assert not wrong.passed and wrong.score == 0.5 and "at n" in wrong.feedback
    assert v.verify(P, "no json at all").error == "the reply holds no JSON value"
    with pytest.raises(InputError, match="invalid JSON schema"):
        JsonSchemaVerifier({"type": "no-such-type"})


def test_a_problem_without_reference_is_a_typed_error_not_a_silent_zero():
    with pytest.raises(InputError, match="needs a reference answer") as err:
        ExactMatch().verify(Problem(prompt="?"), "42")
    assert err.value.fix == "set Problem(answer=...)"


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [("", "empty candidate"), ("   \n", "empty candidate"), (None, "candidate is NoneType")],
)
def test_bad_candidates_become_failed_verdicts(candidate, reason):
    verdict = ExactMatch().verify(P, candidate)
    assert verdict.passed is False and verdict.score == 0.0 and verdict.error.startswith(reason)


def test_huge_candidate_rejected_before_work():
    verdict = ExactMatch().verify(P, "4" * 60_000)
    assert verdict.error.startswith("candidate too large: 60000 characters")


def test_raising_verifier_is_recorded_and_batch_continues():
    verdicts = Boom().verify_many(P, ["42", "43"])
    assert [v.passed for v in verdicts] == [False, False]
    assert verdicts[0].error == "verifier raised RuntimeError: disk on fire"
    both = AllOf([ExactMatch(), Boom()]).verify(P, "42")
    assert both.passed is False
    assert both.details["children"][1]["error"].startswith("verifier raised")


def test_batched_verification_runs_concurrently():
    start = time.perf_counter()
    verdicts = Slow().verify_many(P, [str(i) for i in range(8)])
    assert all(v.passed for v in verdicts)
    assert time.perf_counter() - start < 1.0  # 8 x 0.2 s one at a time would be 1.6 s


def test_composites():
    children = [ExactMatch(), RegexMatch(r"^\d+$"), NumericTolerance(abs_tol=5)]
    assert AllOf(children).verify(P, "42").passed
    assert not AllOf(children).verify(P, "40").passed
    assert AnyOf(children).verify(P, "40").passed
    vote = MajorityVote(children).verify(P, "40")  # regex + numeric pass, exact fails
    assert vote.passed and vote.score == pytest.approx(2 / 3)
    weighted = Weighted(children, [2, 1, 1], threshold=0.6).verify(P, "40")
    assert weighted.score == pytest.approx(0.5) and not weighted.passed
    with pytest.raises(InputError):
        Weighted(children, [1, 1])
    with pytest.raises(InputError):
        AllOf([])


def test_ranked_orders_by_value():
    verdicts = ranked([Verdict(verifier="v", score=s) for s in (0.1, 0.7, 0.3)])
    assert [v.rank for v in verdicts] == [2, 0, 1]


def test_llm_judge_structured_and_malformed():
    good = LLMJudge(ScriptedChatModel(responses=[{"correct": True, "score": 8, "feedback": "ok"}]))
    verdict = good.verify(P, "42")
    assert verdict.passed and verdict.score == 0.8 and verdict.feedback == "ok"
    bad_json = LLMJudge(ScriptedChatModel(responses=["I think it is fine"]))
    verdict = bad_json.verify(P, "42")
    assert verdict.passed is False and verdict.error.startswith("malformed judge verdict")
    out_of_range = LLMJudge(ScriptedChatModel(responses=[{"correct": True, "score": 11}]))
    assert out_of_range.verify(P, "42").error.startswith("malformed judge verdict")


def test_llm_judge_sees_task_reference_and_candidate():
    llm = ScriptedChatModel(responses=[{"correct": False, "score": 2, "feedback": "wrong"}])
    LLMJudge(llm, criteria="be strict").verify(P, "41")
    system, human = llm.prompts[0]
    assert "be strict" in system.content
    assert "What is 6 * 7?" in human.content and "42" in human.content and "41" in human.content


def test_step_verdicts_have_step_granularity():
    verdict = asyncio.run(RegexMatch("b").averify_steps(P, ["a", "b"]))
    assert verdict.granularity == "step" and verdict.step == 1 and verdict.passed


def test_reward_model_verifier_batches_and_guards(tmp_path):
    from steergraph.agents.verify import RewardModelVerifier
    from steergraph.testing import tiny_causal_lm
    from steergraph.training.reward_model import RewardModelScorer

    scorer = RewardModelScorer.from_causal_lm(*tiny_causal_lm())
    calls = []
    original = scorer.score

    def counting(prompt, responses):
        calls.append(len(responses))
        return original(prompt, responses)

    scorer.score = counting
    rm = RewardModelVerifier(scorer)
    verdicts = rm.verify_many(P, ["42", "", "41", "40"])
    assert calls == [3]  # one batch for the three real candidates
    assert verdicts[1].error == "empty candidate"
    rewards = [v.details["reward"] for v in verdicts if v.ok]
    assert len(set(rewards)) == 3  # a random head still tells texts apart
    for v in verdicts:
        if v.ok:
            assert v.passed == (v.details["reward"] > 0) and 0 < v.score < 1

    def broken(prompt, responses):
        raise RuntimeError("CUDA out of memory")

    scorer.score = broken
    failed = rm.verify_many(P, ["42", "41"])
    assert all(v.error.startswith("verifier raised RuntimeError") for v in failed)


def test_long_judge_feedback_is_cut_not_refused():
    reply = {"correct": False, "score": 3, "feedback": "too long " * 60}
    verdict = LLMJudge(ScriptedChatModel(responses=[reply])).verify(P, "41")
    assert verdict.ok and len(verdict.feedback) == 200


def test_reward_model_with_a_short_batch_falls_back_to_one_at_a_time():
    from steergraph.agents.verify import RewardModelVerifier

    class Scorer:
        def score(self, prompt, responses):
            return [1.0] if len(responses) > 1 else [float(len(responses[0]))]

    verdicts = RewardModelVerifier(Scorer()).verify_many(P, ["a", "bbb"])
    assert [v.details["reward"] for v in verdicts] == [1.0, 3.0]
