"""``LocalChatModel``: a LangChain chat model over any transformers causal LM.

It is what lets every steergraph graph run on the embedded SmolLM2 with no server:
chat templates, sync/async (LangChain runs ``_generate`` in an executor), streaming,
``n`` samples in one batched ``generate``, concurrent calls (``batch``, parallel graph
branches) micro-batched into one ``generate`` (:mod:`~steergraph.llm.engines.microbatch`),
``bind_tools`` with real
``AIMessage.tool_calls``, ``with_structured_output`` by grammar-constrained decoding
(llguidance), and :meth:`LocalChatModel.score`, the per-token log-probs of a given
response that only local models can give. langchain-huggingface's
``ChatHuggingFace`` lacks tool calling and structured output for local pipelines,
hence this class.

Example:
    >>> from steergraph.testing import tiny_chat_model
    >>> llm = tiny_chat_model(max_new_tokens=4)
    >>> isinstance(llm.invoke("hi").content, str)
    True
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field

from steergraph.errors import CapabilityError, InputError, StructuredOutputError
from steergraph.llm.constrained import decoding_schema, json_schema_grammar, lark_grammar
from steergraph.llm.engines.base import TokenLogprobs
from steergraph.llm.engines.hf import HFEngine
from steergraph.llm.engines.microbatch import batcher_for, window_seconds
from steergraph.llm.prompting import render_prompt, to_chat_dicts
from steergraph.llm.structured import schema_instruction, structured_parser, to_json_schema
from steergraph.llm.tool_calls import (
    forced_call_grammar,
    forced_tool_schema,
    parse_tool_calls,
    select_tools,
    tools_system_prompt,
)

__all__ = ["LocalChatModel"]


class LocalChatModel(BaseChatModel):
    """Chat model over a local transformers causal LM (see module docstring)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    engine: Any = Field(exclude=True, repr=False)  # an Engine: HFEngine or LlamaCppEngine
    model_name: str = "local"
    max_new_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    repetition_penalty: float = 1.0
    n: int = 1
    seed: int | None = None
    #: concurrent calls within this many ms decode as one batch (None: the
    #: ``STEERGRAPH_MICROBATCH_MS`` environment variable, else 0: off)
    microbatch_ms: float | None = None
    #: logits processors applied to every generation, before any given per call (e.g. a
    #: value network: :func:`steergraph.agents.value_transfer.chat.with_value_network`)
    logits_processors: list[Any] = Field(default_factory=list, exclude=True, repr=False)

    @classmethod
    def from_pretrained(
        cls, name_or_path: str = "smollm2", *, engine: str = "auto", **kwargs: Any
    ) -> LocalChatModel:
        """Load an embedded model (``smollm2``, ``gemma3``), a model folder or a ``.gguf``.

        ``engine`` is ``auto`` (llama.cpp when installed and a GGUF exists), ``hf`` or
        ``gguf`` (see :mod:`steergraph.llm.engines.select`). Unlike ``load_chat_model`` the
        weights are not shared with other instances.
        """
        from steergraph.llm.engines.select import build_engine

        built, label = build_engine(name_or_path, engine)
        return cls(engine=built, model_name=label, **kwargs)

    @classmethod
    def from_model(cls, model: Any, tokenizer: Any, **kwargs: Any) -> LocalChatModel:
        """Wrap an already loaded transformers model and tokenizer."""
        model.eval()
        return cls(engine=HFEngine(model, tokenizer), **kwargs)

    @property
    def hf_model(self) -> Any:
        """The transformers model (on the llama.cpp engine: its twin, loaded on first use)."""
        return self.engine.model

    @property
    def engine_name(self) -> str:
        """``hf`` (transformers) or ``gguf`` (llama.cpp)."""
        return str(self.engine.name)

    @property
    def tokenizer(self) -> Any:
        """The underlying tokenizer."""
        return self.engine.tokenizer

    @property
    def _llm_type(self) -> str:
        return "steergraph-local"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "engine": self.engine.name,
            "temperature": self.temperature,
            "max_new_tokens": self.max_new_tokens,
        }

    # ------------------------------------------------------------------ prompts
    def _prepare(
        self, messages: list[BaseMessage], kwargs: dict[str, Any]
    ) -> tuple[str, str | None, set[str]]:
        """Return (prompt text, grammar or None, callable tool names).

        A forced tool call is recorded in ``kwargs["_forced"]``.
        """
        extra: list[str] = []
        grammar: str | None = None
        names: set[str] = set()
        tools = kwargs.get("tools")
        if tools:
            allowed, forced = select_tools(tools, kwargs.get("tool_choice"))
            names = {t["function"]["name"] for t in allowed}
            if allowed:
                extra.append(tools_system_prompt(allowed, forced))
            kwargs["_forced"] = forced
            if forced:
                call = json.dumps(decoding_schema(forced_tool_schema(allowed)))
                grammar = lark_grammar(forced_call_grammar(self.tokenizer, call))
        response_format = kwargs.get("response_format")
        if response_format is not None:
            schema = response_format["schema"]
            extra.append(schema_instruction(schema))
            grammar = json_schema_grammar(schema)
        if kwargs.get("grammar"):  # a grammar (e.g. a plan language) bound by with_grammar
            grammar = kwargs["grammar"]
            if isinstance(grammar, str):
                grammar = lark_grammar(grammar)
        if extra:
            messages = [SystemMessage("\n\n".join(extra)), *messages]
        chat = to_chat_dicts(messages)
        return render_prompt(self.tokenizer, _merge_system(chat)), grammar, names

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {
            "n": int(kwargs.get("n", self.n)),
            "max_new_tokens": int(kwargs.get("max_new_tokens", self.max_new_tokens)),
            "temperature": float(kwargs.get("temperature", self.temperature)),
            "top_p": float(kwargs.get("top_p", self.top_p)),
            "repetition_penalty": float(kwargs.get("repetition_penalty", self.repetition_penalty)),
            "stop": stop or kwargs.get("stop"),
            "seed": kwargs.get("seed", self.seed),
            "logits_processors": [*self.logits_processors, *(kwargs.get("logits_processors") or [])]
            or None,
        }

    # --------------------------------------------------------------- generation
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        prompt, grammar, names = self._prepare(messages, kwargs)
        params = self._params(stop, kwargs)
        (gen,) = batcher_for(self.engine).generate(
            [prompt], grammar=grammar, window_s=window_seconds(self.microbatch_ms), **params
        )
        generations = []
        hits = gen.stop_hits or [False] * len(gen.texts)
        for text, count, reason, hit in zip(gen.texts, gen.output_tokens, gen.finish_reasons, hits):
            calls, rest = parse_tool_calls(text, names) if names else ([], text)
            if kwargs.get("_forced") and not calls:
                raise StructuredOutputError(
                    f"the forced tool call was cut at max_new_tokens={params['max_new_tokens']}"
                    " before it was complete",
                    fix="raise max_new_tokens",
                )
            msg = AIMessage(
                content=rest,
                tool_calls=calls,
                usage_metadata={
                    "input_tokens": gen.prompt_tokens,
                    "output_tokens": count,
                    "total_tokens": gen.prompt_tokens + count,
                },
                response_metadata={
                    "finish_reason": reason,
                    "stop_sequence_hit": hit,
                    "model_name": self.model_name,
                    "engine": self.engine.name,
                },
            )
            generations.append(
                ChatGeneration(message=msg, generation_info={"finish_reason": reason})
            )
        usage = {
            "input_tokens": gen.prompt_tokens,
            "output_tokens": sum(gen.output_tokens),
            "total_tokens": gen.prompt_tokens + sum(gen.output_tokens),
        }
        return ChatResult(generations=generations, llm_output={"token_usage": usage})

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        whole = kwargs.get("tools") or kwargs.get("response_format") or kwargs.get("grammar")
        if whole or kwargs.get("n", 1) != 1:
            # Tool calls and structured output are parsed whole: emit one chunk.
            result = self._generate(messages, stop, run_manager, **kwargs)
            msg = result.generations[0].message
            assert isinstance(msg, AIMessage)
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content=msg.content,
                    tool_call_chunks=[
                        {
                            "name": c["name"],
                            "args": json.dumps(c["args"]),
                            "id": c["id"],
                            "index": i,
                        }
                        for i, c in enumerate(msg.tool_calls)
                    ],
                    usage_metadata=msg.usage_metadata,
                )
            )
            return
        prompt, _, _ = self._prepare(messages, kwargs)
        params = self._params(stop, kwargs)
        for piece in self.engine.stream(
            prompt,
            max_new_tokens=params["max_new_tokens"],
            temperature=params["temperature"],
            top_p=params["top_p"],
            repetition_penalty=params["repetition_penalty"],
            stop=params["stop"],
            seed=params["seed"],
            logits_processors=params["logits_processors"],
        ):
            if not piece:
                continue
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk

    def sample(self, messages: LanguageModelInput, n: int, **kwargs: Any) -> list[AIMessage]:
        """Return ``n`` samples for one input, decoded in a single batched ``generate``."""
        msgs = self._convert_input(messages).to_messages()
        result = self.generate([msgs], n=n, **kwargs)
        return [g.message for g in result.generations[0]]  # type: ignore[misc]

    def reply_batch(self, inputs: Sequence[LanguageModelInput], **kwargs: Any) -> list[AIMessage]:
        """One reply per input, all decoded together in one batched ``generate``.

        ``kwargs`` are generation settings (``temperature``, ``max_new_tokens``, ``seed``,
        ``stop``...). Unlike ``batch`` (one call per input, serialized by the engine's
        lock) every row advances in the same forward passes.
        """
        if not inputs:
            return []
        prompts = [
            self._prepare(self._convert_input(x).to_messages(), dict(kwargs))[0] for x in inputs
        ]
        params = {**self._params(kwargs.get("stop"), kwargs), "n": 1}
        gens = self.engine.generate(prompts, **params)
        return [
            AIMessage(
                content=g.texts[0],
                usage_metadata={
                    "input_tokens": g.prompt_tokens,
                    "output_tokens": g.output_tokens[0],
                    "total_tokens": g.prompt_tokens + g.output_tokens[0],
                },
                response_metadata={
                    "finish_reason": g.finish_reasons[0] if g.finish_reasons else None,
                    "model_name": self.model_name,
                    "engine": self.engine.name,
                },
            )
            for g in gens
        ]

    # ------------------------------------------------------------ tools, schema
    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools; ``tool_choice`` ``"any"``/``"required"``/a name forces a valid call."""
        formatted = [convert_to_openai_tool(t) for t in tools]
        select_tools(formatted, tool_choice)  # validate the choice now, not at call time
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def with_grammar(
        self, grammar: str, *, syntax: str = "lark"
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Return a runnable whose replies always match ``grammar``.

        ``syntax="lark"`` (both engines): llguidance's Lark dialect, ``%json {...}``
        allowed. ``syntax="gbnf"`` (llama.cpp engine only): llama.cpp's own grammar
        sampler. The grammar is compiled here, so an invalid one raises
        :class:`UnsupportedSchemaError` at once.

        Example:
            >>> from steergraph.testing import tiny_chat_model
            >>> yes_no = tiny_chat_model().with_grammar('start: "yes" | "no"')
            >>> yes_no.invoke("ok?").content in {"yes", "no"}
            True
        """
        if syntax == "gbnf":
            from steergraph.llm.engines.gbnf import GbnfGrammar, GbnfMatcher

            runtime = getattr(self.engine, "runtime", None)
            if runtime is None:
                raise CapabilityError(
                    "GBNF grammars run on the llama.cpp engine only",
                    fix="use syntax='lark' or a 'local+gguf:' model",
                )
            gbnf = GbnfGrammar(grammar)
            GbnfMatcher(runtime, gbnf)  # compile once now to report errors early
            return self.bind(grammar=gbnf)
        if syntax != "lark":
            raise InputError(f"unknown grammar syntax {syntax!r}", fix="use 'lark' or 'gbnf'")
        self.engine.constraints.matcher(self.tokenizer, lark_grammar(grammar), what="grammar")
        return self.bind(grammar=grammar)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Any]:
        """Return a runnable whose output always parses into ``schema``.

        Decoding is constrained by the schema's grammar (compiled once per model and
        schema); an unsupported schema raises :class:`UnsupportedSchemaError` here.
        """
        json_schema = to_json_schema(schema)
        self.engine.constraints.matcher(self.tokenizer, json_schema_grammar(json_schema))
        bound = self.bind(
            response_format={"schema": json_schema},
            ls_structured_output_format={
                "kwargs": {"method": "json_schema"},
                "schema": json_schema,
            },
        )
        return structured_parser(bound, schema, include_raw=include_raw)

    # ------------------------------------------------------------------ scoring
    def score(
        self, messages: LanguageModelInput, responses: str | Sequence[str]
    ) -> list[TokenLogprobs]:
        """Per-token log-probs of each response as the assistant's answer to ``messages``."""
        msgs = self._convert_input(messages).to_messages()
        prompt = render_prompt(self.tokenizer, _merge_system(to_chat_dicts(msgs)))
        items = [responses] if isinstance(responses, str) else list(responses)
        return self.engine.score(prompt, items)


def _merge_system(chat: list[dict[str, str]]) -> list[dict[str, str]]:
    """Merge several system turns into one leading system turn."""
    systems = [m["content"] for m in chat if m["role"] == "system"]
    if len(systems) <= 1 and (not systems or chat[0]["role"] == "system"):
        return chat
    rest = [m for m in chat if m["role"] != "system"]
    return [{"role": "system", "content": "\n\n".join(systems)}, *rest]
