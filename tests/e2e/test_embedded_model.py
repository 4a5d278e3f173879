"""End-to-end tests on the embedded SmolLM2-135M-Instruct (and Gemma 3 270M)."""

from typing import Literal

import pytest
from langchain_core.messages import AIMessage
from pydantic import BaseModel, Field

from steergraph.llm import FaissVectorStore, MiniLMEmbeddings, load_chat_model
from steergraph.tools import BASIC_TOOLS

pytestmark = pytest.mark.e2e


class Sentiment(BaseModel):
    label: Literal["positive", "negative", "neutral"]
    score: int = Field(ge=1, le=5)
    reason: str = Field(max_length=80)


REVIEWS = [
    "I loved this phone, the battery lasts for days.",
    "Terrible service, I waited two hours.",
    "The package arrived on Tuesday.",
    "Best pizza in town!",
    "The screen cracked after a week.",
    "It is a chair.",
    "Wonderful staff and a clean room.",
    "The app crashes every time I open it.",
    "Delivery was fast and the price was fair.",
    "Meh. Nothing special.",
]


def test_ten_structured_calls_all_validate(smollm):
    structured = smollm.with_structured_output(Sentiment)
    results = [structured.invoke(f"Classify the sentiment of this review: {r}") for r in REVIEWS]
    assert len(results) == 10
    for res in results:
        assert isinstance(res, Sentiment)
        Sentiment.model_validate(res.model_dump())


def test_tool_calling_prompt_yields_a_tool_call(smollm):
    msg = smollm.bind_tools(BASIC_TOOLS, tool_choice="any").invoke("What is 37 * 89?")
    assert isinstance(msg, AIMessage) and len(msg.tool_calls) == 1
    call = msg.tool_calls[0]
    assert call["name"] in {"calculator", "word_count"}
    # the call is executable: its arguments fit the tool's schema
    tool = {t.name: t for t in BASIC_TOOLS}[call["name"]]
    tool.args_schema.model_validate(call["args"])


def test_four_samples_at_temperature_one(smollm):
    samples = smollm.sample(
        "Write one sentence about the sea.", n=4, temperature=1.0, max_new_tokens=30
    )
    assert len(samples) == 4
    assert all(isinstance(s.content, str) and s.content.strip() for s in samples)
    assert len({s.content for s in samples}) >= 2


def test_scoring_prefers_the_models_own_greedy_answer(smollm):
    question = "What is the capital of France?"
    greedy = smollm.invoke(question, max_new_tokens=20).content
    own, other = smollm.score(question, [greedy, "Bananas are purple on Tuesdays."])
    assert own.mean > other.mean


def test_demo_graph_runs_on_the_embedded_model():
    from steergraph.graphs.demo import run_demo

    rows = run_demo(["What is 12 * 12?"], model="local")
    row = rows[0]
    assert row["llm_calls"] >= 2 and row["output_tokens"] > 0
    assert isinstance(row["answer"], str) and row["answer"].strip()
    if row["tool"] == "calculator":
        assert row["calls"] and row["results"]


def test_real_embeddings_with_faiss(tmp_path):
    store = FaissVectorStore(MiniLMEmbeddings())
    store.add_texts(
        [
            "Paris is the capital of France.",
            "Python is a programming language.",
            "Cats are mammals.",
        ],
        ids=["fr", "py", "cat"],
    )
    assert store.similarity_search("Which city is France's capital?", k=1)[0].id == "fr"
    store.save(tmp_path / "vs")
    loaded = FaissVectorStore.load(tmp_path / "vs", MiniLMEmbeddings())
    assert loaded.similarity_search("a language for coding", k=1)[0].id == "py"


def test_gemma3_converts_loads_and_generates():
    gemma = load_chat_model("local:gemma3", max_new_tokens=8)
    assert gemma.tokenizer.vocab_size > 200_000  # a different vocabulary from SmolLM2
    out = gemma.invoke("The capital of France is")
    assert isinstance(out.content, str) and out.usage_metadata["output_tokens"] > 0
