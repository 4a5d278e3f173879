"""``ScriptedChatModel``: a chat model that answers from a script, for fast graph tests.

Supports what graphs use: ``bind_tools`` (script an ``AIMessage`` with
``tool_calls``, or a dict ``{"tool_calls": [...]}``), ``with_structured_output``
(script a dict or a pydantic object), async, streaming (LangChain's defaults) and
a record of every prompt it received. A response may also be a callable taking the
messages, for answers that depend on the prompt.

Example:
    >>> from pydantic import BaseModel
    >>> class Verdict(BaseModel):
    ...     ok: bool
    >>> llm = ScriptedChatModel(responses=[{"ok": True}])
    >>> llm.with_structured_output(Verdict).invoke("check")
    Verdict(ok=True)
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from steergraph.errors import SteergraphError
from steergraph.llm.structured import structured_parser, to_json_schema

__all__ = ["ScriptedChatModel"]


class ScriptedChatModel(BaseChatModel):
    """Answers with ``responses`` in order (see the module docstring)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    responses: list[Any] = Field(default_factory=list)
    cycle: bool = False
    prompts: list[list[BaseMessage]] = Field(default_factory=list, exclude=True)
    bound_tools: list[dict[str, Any]] = Field(default_factory=list, exclude=True)
    _index: int = PrivateAttr(default=0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _next(self, messages: list[BaseMessage]) -> Any:
        with self._lock:
            if self._index >= len(self.responses):
                if not self.cycle or not self.responses:
                    raise SteergraphError(
                        f"ScriptedChatModel ran out of responses after {self._index} calls",
                        fix="script more responses or set cycle=True",
                    )
                self._index = 0
            item = self.responses[self._index]
            self._index += 1
            self.prompts.append(list(messages))
        return item(messages) if callable(item) else item

    @staticmethod
    def _to_message(item: Any) -> AIMessage:
        if isinstance(item, AIMessage):
            return item
        if isinstance(item, BaseModel):
            return AIMessage(content=item.model_dump_json())
        if isinstance(item, dict) and "tool_calls" in item:
            calls = [
                {
                    "name": c["name"],
                    "args": c.get("args", {}),
                    "id": c.get("id") or f"call_{uuid.uuid4().hex[:8]}",
                    "type": "tool_call",
                }
                for c in item["tool_calls"]
            ]
            return AIMessage(content=item.get("content", ""), tool_calls=calls)
        if isinstance(item, (dict, list)):
            return AIMessage(content=json.dumps(item))
        return AIMessage(content=str(item))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        n = int(kwargs.get("n", 1))
        gens = []
        for _ in range(n):
            msg = self._to_message(self._next(messages))
            words = sum(len(str(m.content).split()) for m in messages)
            out_words = len(str(msg.content).split())
            msg.usage_metadata = {
                "input_tokens": words,
                "output_tokens": out_words,
                "total_tokens": words + out_words,
            }
            gens.append(ChatGeneration(message=msg))
        return ChatResult(generations=gens)

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Record the tools (as OpenAI schemas) and bind them like a real model."""
        formatted = [convert_to_openai_tool(t) for t in tools]
        self.bound_tools = formatted
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def with_structured_output(
        self, schema: dict[str, Any] | type, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[LanguageModelInput, Any]:
        """Parse scripted answers into ``schema`` exactly as real models' answers are."""
        bound = self.bind(response_format={"schema": to_json_schema(schema)})
        return structured_parser(bound, schema, include_raw=include_raw)
