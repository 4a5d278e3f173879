"""Micro-batching: concurrent calls with equal settings decode as one ``generate``."""

from __future__ import annotations

import operator
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

import pytest
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send
from typing_extensions import TypedDict

from steergraph.llm.engines.microbatch import MicroBatcher, batcher_for, window_seconds


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[list[str], dict]] = []
        self.fail = fail
        self.lock = threading.Lock()

    def __call__(self, prompts, **params):
        with self.lock:
            self.calls.append((list(prompts), params))
        if self.fail:
            raise RuntimeError("engine broke")
        return [f"{p}:{params.get('temperature')}" for p in prompts]


def _together(batcher, jobs):
    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(lambda job: batcher.generate([job[0]], **job[1]), jobs))


def test_equal_settings_share_one_generate_and_each_caller_gets_its_rows():
    rec = Recorder()
    out = _together(MicroBatcher(rec, window_s=0.1), [(p, {"temperature": 0.0}) for p in "abcd"])
    assert out == [["a:0.0"], ["b:0.0"], ["c:0.0"], ["d:0.0"]]
    assert len(rec.calls) == 1 and sorted(rec.calls[0][0]) == list("abcd")


def test_different_settings_seeded_sampling_and_processors_decode_apart():
    rec = Recorder()
    jobs = [
        ("a", {"temperature": 0.0}),
        ("b", {"temperature": 0.7}),
        ("c", {"temperature": 0.7, "seed": 1}),  # seeded sampling keeps its own rows
        ("d", {"temperature": 0.7, "seed": 1}),
        ("e", {"temperature": 0.0, "logits_processors": [object()]}),
    ]
    out = _together(MicroBatcher(rec, window_s=0.1), jobs)
    assert [o[0][0] for o in out] == list("abcde")
    assert sorted(len(p) for p, _ in rec.calls) == [1, 1, 1, 1, 1]


def test_window_zero_turns_it_off_and_the_environment_sets_the_default(monkeypatch):
    rec = Recorder()
    _together(MicroBatcher(rec, window_s=0.0), [(p, {}) for p in "abc"])
    assert len(rec.calls) == 3
    monkeypatch.setenv("STEERGRAPH_MICROBATCH_MS", "0")
    assert window_seconds() == 0.0
    monkeypatch.setenv("STEERGRAPH_MICROBATCH_MS", "20")
    assert window_seconds() == 0.02 and window_seconds(2) == 0.002


def test_batches_are_bounded_and_errors_reach_every_caller():
    rec = Recorder()
    _together(MicroBatcher(rec, window_s=0.1, max_prompts=2), [(p, {}) for p in "abcde"])
    assert all(len(p) <= 2 for p, _ in rec.calls) and len(rec.calls) >= 3
    broken = MicroBatcher(Recorder(fail=True), window_s=0.1)
    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(broken.generate, [p]) for p in "abc"]
        for future in futures:
            with pytest.raises(RuntimeError, match="engine broke"):
                future.result()


def test_chat_model_batch_decodes_different_prompts_together(tiny_llm):
    prompts = ["hello", "a longer prompt about the sea", "count: 1 2 3", "why?"]
    alone = tiny_llm.model_copy(update={"microbatch_ms": 0, "max_new_tokens": 8})
    together = tiny_llm.model_copy(update={"microbatch_ms": 200, "max_new_tokens": 8})
    solo = [alone.invoke(p).content for p in prompts]
    batcher = batcher_for(tiny_llm.engine)
    before = batcher.batches
    replies = together.batch(prompts, config={"max_concurrency": 4})
    assert batcher.batches - before == 1
    assert [r.content for r in replies] == solo
    assert all(r.usage_metadata["output_tokens"] > 0 for r in replies)


class FanState(TypedDict, total=False):
    questions: list[str]
    answers: Annotated[list[str], operator.add]


def test_parallel_graph_branches_share_one_generate(tiny_llm):
    llm = tiny_llm.model_copy(update={"microbatch_ms": 200, "max_new_tokens": 4})

    def answer(item: dict) -> dict:
        return {"answers": [llm.invoke(item["q"]).content]}

    graph = StateGraph(FanState)
    graph.add_node("answer", answer)
    fan_out = lambda s: [Send("answer", {"q": q}) for q in s["questions"]]  # noqa: E731
    graph.add_conditional_edges(START, fan_out, ["answer"])
    graph.add_edge("answer", END)
    batcher = batcher_for(tiny_llm.engine)
    before = batcher.batches
    out = graph.compile().invoke({"questions": ["one", "two", "three"]})
    assert len(out["answers"]) == 3
    assert batcher.batches - before == 1
