"""Search strategies on a scripted model (selection logic) and a tiny real model (batching)."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from steergraph.agents.verify import ExactMatch, Problem, RegexMatch, Verdict, Verifier
from steergraph.agents.verify.search import BestOfN, Greedy, Refine, SelfConsistency
from steergraph.agents.verify.search_base import sample_steps, sample_texts
from steergraph.agents.verify.search_steps import BeamSearch, TreeSearch
from steergraph.asyncio_utils import run_sync
from steergraph.errors import InputError
from steergraph.testing import ScriptedChatModel

P = Problem(id="p", prompt="What is 2 + 2?", answer="4")


def test_best_of_n_picks_the_verified_answer():
    llm = ScriptedChatModel(responses=["3", "5", "4", "6"])
    result = BestOfN(n=4).search(llm, P, ExactMatch())
    assert result.answer == "4" and result.selected.verdict.passed
    assert result.generations == 4 and result.verifications == 4
    assert sorted(c.text for c in result.candidates) == ["3", "4", "5", "6"]


def test_best_of_n_with_greedy_and_no_verifier():
    llm = ScriptedChatModel(responses=["g", "a", "b"])
    result = BestOfN(n=2, with_greedy=True).search(llm, P)
    assert result.candidates[0].origin == "greedy" and result.best == 0  # ties go to greedy
    assert all(c.verdict is None for c in result.candidates)


def test_self_consistency_majority_and_abstentions():
    replies = ["so 4", "so 5", "so 4", "no idea", "so 4"]
    llm = ScriptedChatModel(responses=replies)
    from steergraph.agents.verify.rules import last_number

    def extract(text):
        n = last_number(text)
        return None if n is None else str(int(n))

    result = SelfConsistency(n=5, extract=extract).search(llm, P, ExactMatch(extract=extract))
    assert result.details["votes"] == {"4": 3, "5": 1}
    assert extract(result.answer) == "4" and result.selected.verdict.passed
    assert result.details["agreement"] == pytest.approx(0.6)


def test_refine_feeds_verifier_feedback_back():
    llm = ScriptedChatModel(responses=["5", "4"])
    result = Refine(rounds=3).search(llm, P, ExactMatch())
    assert [c.text for c in result.candidates] == ["5", "4"]  # stops at the first pass
    assert result.answer == "4"
    second_prompt = llm.prompts[1]
    assert isinstance(second_prompt[-2], AIMessage) and second_prompt[-2].content == "5"
    assert "is not correct" in second_prompt[-1].content  # ExactMatch's feedback
    with pytest.raises(InputError):
        Refine().search(llm, P, None)


def test_refine_gives_up_after_rounds():
    llm = ScriptedChatModel(responses=["1"], cycle=True)
    result = Refine(rounds=2).search(llm, P, ExactMatch())
    assert len(result.candidates) == 3 and not result.selected.verdict.passed


class Prefix(Verifier):
    """Step verifier: value = how much of the target the partial answer matches."""

    name = "prefix"

    def __init__(self, target: list[str]):
        self.target = target

    async def _check(self, problem, candidate):
        lines = candidate.split("\n")
        good = 0
        for got, want in zip(lines, self.target):
            if got != want:
                break
            good += 1
        whole = lines == self.target
        return Verdict(verifier=self.name, passed=whole, score=good / len(self.target))


def test_beam_search_follows_the_step_verifier():
    # each call returns the next scripted step; the verifier prefers the target lines
    steps = ["x = 1", "bad", "y = 2", "worse"]
    llm = ScriptedChatModel(responses=steps, cycle=True)
    result = BeamSearch(beam_width=1, expansions=2, max_steps=2).search(
        llm, P, Prefix(["x = 1", "y = 2"])
    )
    assert result.answer == "x = 1\ny = 2"
    assert result.selected.verdict.passed


def test_tree_search_collects_rollouts_and_stops_on_pass():
    llm = ScriptedChatModel(responses=["4"], cycle=True)
    result = TreeSearch(iterations=4, expansions=2).search(llm, P, RegexMatch("4"))
    assert result.selected.verdict.passed
    assert result.details["tree_nodes"] >= 2
    assert all(c.origin.startswith("tree") for c in result.candidates)


def test_step_search_needs_a_verifier_and_valid_sizes():
    with pytest.raises(InputError):
        BeamSearch(beam_width=0)
    with pytest.raises(InputError):
        TreeSearch(iterations=0)
    with pytest.raises(InputError):
        BeamSearch(delimiter="")
    with pytest.raises(InputError):
        BeamSearch().search(ScriptedChatModel(responses=["a"]), P, None)
    with pytest.raises(InputError):
        BestOfN(n=0)


def test_local_model_samples_in_one_batch_and_continues_prefills(tiny_llm):
    msgs = [HumanMessage("count")]
    texts = run_sync(sample_texts(tiny_llm, msgs, 3, temperature=1.0, max_new_tokens=6, seed=1))
    assert len(texts) == 3
    # a prefill: the model continues the assistant message instead of starting over
    greedy = run_sync(
        sample_texts(tiny_llm, [*msgs, AIMessage("def f(")], 1, temperature=0.0, max_new_tokens=6)
    )
    fresh = run_sync(sample_texts(tiny_llm, msgs, 1, temperature=0.0, max_new_tokens=6))
    assert greedy != fresh


def test_sample_steps_reports_whether_the_answer_goes_on(tiny_llm):
    steps = run_sync(
        sample_steps(
            tiny_llm, [HumanMessage("go")], 4, " ", temperature=1.0, max_new_tokens=12, seed=3
        )
    )
    assert len(steps) == 4
    for text, goes_on in steps:
        assert " " not in text  # cut at the delimiter
        assert isinstance(goes_on, bool)


def test_greedy_on_tiny_model_is_deterministic(tiny_llm):
    a = Greedy(max_new_tokens=8).search(tiny_llm, P, ExactMatch())
    b = Greedy(max_new_tokens=8).search(tiny_llm, P, ExactMatch())
    assert a.answer == b.answer and a.generations == 1


def _msg(text, *, hit, reason):
    return AIMessage(text, response_metadata={"stop_sequence_hit": hit, "finish_reason": reason})


def test_a_step_cut_by_its_token_budget_goes_on_and_an_ended_one_does_not():
    llm = ScriptedChatModel(
        responses=[
            _msg("a long line cut", hit=False, reason="length"),
            _msg("the end", hit=False, reason="stop"),
            _msg("next", hit=True, reason="stop"),
        ]
    )
    steps = run_sync(sample_steps(llm, [HumanMessage("go")], 3, "\n"))
    assert sorted(steps) == [("a long line cut", True), ("next", True), ("the end", False)]


def test_tree_search_judges_a_finished_answer_once():
    llm = ScriptedChatModel(responses=[_msg("5", hit=False, reason="stop")], cycle=True)
    result = TreeSearch(iterations=5, expansions=1).search(llm, P, ExactMatch())
    assert len(result.candidates) == 1 and result.verifications == 1


def test_tree_search_without_rollouts_still_returns_answers():
    llm = ScriptedChatModel(responses=[_msg("x = 1", hit=True, reason="stop")], cycle=True)
    result = TreeSearch(iterations=2, expansions=1, rollout=False).search(llm, P, RegexMatch("x"))
    assert result.candidates and result.candidates[0].origin == "tree"
    assert result.answer.startswith("x = 1")


def test_prefill_keeps_its_trailing_newline_under_a_trimming_template():
    from steergraph.llm.prompting import render_prompt
    from steergraph.testing import tiny_tokenizer

    tok = tiny_tokenizer()
    tok.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] | trim }}"
        "{% if not loop.last %}<|im_end|>\n{% endif %}{% endfor %}"
    )
    chat = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "line 1\n"}]
    assert render_prompt(tok, chat).endswith("line 1\n")
