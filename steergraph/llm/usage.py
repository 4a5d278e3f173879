"""``UsageTracker``: what a graph run cost -- LLM calls, tokens, tool time, price.

A LangChain callback handler: pass it in ``config={"callbacks": [tracker]}`` and it
counts every chat-model call and tool call made anywhere inside the run (LangGraph
propagates callbacks to nodes and ``ToolNode``).

Example:
    >>> from steergraph.testing import ScriptedChatModel
    >>> tracker = UsageTracker()
    >>> _ = ScriptedChatModel(responses=["ok"]).invoke("hi", config={"callbacks": [tracker]})
    >>> tracker.llm_calls
    1
"""

from __future__ import annotations

import threading
import time
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult

__all__ = ["UsageTracker"]


class UsageTracker(BaseCallbackHandler):
    """Counts LLM calls, tokens, LLM and tool wall time, and price."""

    def __init__(self, price_per_1k_input: float = 0.0, price_per_1k_output: float = 0.0) -> None:
        self.price_per_1k_input = price_per_1k_input
        self.price_per_1k_output = price_per_1k_output
        self.llm_calls = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.llm_seconds = 0.0
        self.tool_calls = 0
        self.tool_errors = 0
        self.tool_seconds = 0.0
        self._starts: dict[UUID, float] = {}
        self._lock = threading.Lock()

    def on_chat_model_start(
        self, serialized: Any, messages: Any, *, run_id: UUID, **kw: Any
    ) -> None:
        self._starts[run_id] = time.perf_counter()

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kw: Any) -> None:
        started = self._starts.pop(run_id, None)
        inp = out = 0
        usage = (response.llm_output or {}).get("token_usage")
        if usage:
            # ours and LangChain's names, or the OpenAI API's (vLLM, llama.cpp's server)
            inp = usage.get("input_tokens", usage.get("prompt_tokens", 0)) or 0
            out = usage.get("output_tokens", usage.get("completion_tokens", 0)) or 0
        else:
            for gens in response.generations:
                for gen in gens:
                    meta = getattr(getattr(gen, "message", None), "usage_metadata", None) or {}
                    inp = max(inp, meta.get("input_tokens", 0))
                    out += meta.get("output_tokens", 0)
        with self._lock:
            self.llm_calls += 1
            self.input_tokens += inp
            self.output_tokens += out
            if started is not None:
                self.llm_seconds += time.perf_counter() - started

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kw: Any) -> None:
        self._starts.pop(run_id, None)

    def on_tool_start(self, serialized: Any, input_str: str, *, run_id: UUID, **kw: Any) -> None:
        self._starts[run_id] = time.perf_counter()

    def _tool_done(self, run_id: UUID, error: bool) -> None:
        started = self._starts.pop(run_id, None)
        with self._lock:
            self.tool_calls += 1
            self.tool_errors += int(error)
            if started is not None:
                self.tool_seconds += time.perf_counter() - started

    def on_tool_end(self, output: Any, *, run_id: UUID, **kw: Any) -> None:
        self._tool_done(run_id, error=False)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kw: Any) -> None:
        self._tool_done(run_id, error=True)

    @property
    def price(self) -> float:
        """Price of the tokens at the configured rates (0 for local models)."""
        return (
            self.input_tokens * self.price_per_1k_input
            + self.output_tokens * self.price_per_1k_output
        ) / 1000

    def summary(self) -> dict[str, Any]:
        """All counters as a plain dict."""
        return {
            "llm_calls": self.llm_calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "llm_seconds": round(self.llm_seconds, 3),
            "tool_calls": self.tool_calls,
            "tool_errors": self.tool_errors,
            "tool_seconds": round(self.tool_seconds, 4),
            "price": round(self.price, 6),
        }
