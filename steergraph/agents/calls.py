"""How agent roles call a chat model: token budgets, context windows, structured replies.

Every role (StructRAG's router, structurizers and utilizer; SSO's feature selector and
principle writer) works with any LangChain chat model; this module holds the little
that differs between the embedded model and an API model:

* :func:`with_budget` -- a copy of the model limited to ``max_new_tokens`` (local models
  take it as a field, OpenAI-style models as ``max_tokens``; others keep their limits).
* :func:`context_tokens` / :func:`count_tokens` / :func:`truncate_tokens` -- the model's
  window and a token count from its own tokenizer (API models: about 4 characters a
  token; LangChain's default counter would download GPT-2's tokenizer).
* :func:`structured_model` -- ``with_structured_output`` that also works on
  OpenAI-compatible servers without ``json_schema`` support (llama.cpp's server): there
  the schema goes into the prompt and the reply is asked for in JSON mode.
* :func:`ask_structured` -- a reply parsed into a pydantic schema, or ``None`` and the
  reason (cut reply, invalid JSON); callers fall back and record the reason. Errors of
  the model itself (network, authentication, rate limits) propagate.
* :func:`ask_text` -- a plain text reply.
* :func:`ask_many` -- one text reply per input; local models decode a batch of inputs
  together (:meth:`~steergraph.llm.local.LocalChatModel.reply_batch`), others go
  through ``batch``.

Example:
    >>> from pydantic import BaseModel
    >>> from steergraph.testing import ScriptedChatModel
    >>> class Pick(BaseModel):
    ...     name: str
    >>> ask_structured(ScriptedChatModel(responses=[{"name": "x"}]), Pick, "pick")
    (Pick(name='x'), None)
    >>> truncate_tokens(ScriptedChatModel(), "abcdefgh" * 10, 5)
    'abcdefghabcdefghabcd'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import HumanMessage
from langchain_core.runnables import Runnable
from pydantic import BaseModel, ValidationError

from steergraph.errors import InputError, StructuredOutputError

__all__ = [
    "API_CONTEXT_TOKENS",
    "ask_many",
    "ask_structured",
    "ask_text",
    "context_tokens",
    "count_tokens",
    "structured_model",
    "truncate_tokens",
    "with_budget",
]

M = TypeVar("M", bound=BaseModel)
#: Window assumed for models that do not say theirs (API models).
API_CONTEXT_TOKENS = 32_768
_CHARS_PER_TOKEN = 4


def with_budget(llm: BaseChatModel, max_new_tokens: int) -> BaseChatModel:
    """``llm`` limited to ``max_new_tokens`` new tokens where it has that knob."""
    fields = type(llm).model_fields
    if "max_new_tokens" in fields:
        return llm.model_copy(update={"max_new_tokens": max_new_tokens})
    if "max_tokens" not in fields:
        return llm
    update: dict[str, Any] = {"max_tokens": max_new_tokens}
    if getattr(llm, "openai_api_base", None) is not None:
        # langchain-openai sends max_completion_tokens, which llama.cpp's server ignores;
        # the older max_tokens in the body is read by it and by vLLM
        update["extra_body"] = {
            **(getattr(llm, "extra_body", None) or {}),
            "max_tokens": max_new_tokens,
        }
    return llm.model_copy(update=update)


def _tokenizer(llm: BaseChatModel) -> Any:
    try:
        return getattr(llm, "tokenizer", None)
    except Exception:
        return None


def context_tokens(llm: BaseChatModel) -> int:
    """The model's context window in tokens (llama.cpp ``n_ctx``, the HF config, or 32k)."""
    engine = getattr(llm, "engine", None)
    runtime = getattr(engine, "runtime", None)
    if runtime is not None and getattr(runtime, "n_ctx", None):
        return int(runtime.n_ctx)
    model = getattr(engine, "_model", None) or getattr(engine, "model", None)
    n = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    return int(n) if n else API_CONTEXT_TOKENS


def count_tokens(llm: BaseChatModel, text: str) -> int:
    """Tokens of ``text`` under the model's tokenizer (about len/4 without one)."""
    tok = _tokenizer(llm)
    if tok is None:
        return (len(text) + _CHARS_PER_TOKEN - 1) // _CHARS_PER_TOKEN
    return len(tok(text, add_special_tokens=False)["input_ids"])


def truncate_tokens(llm: BaseChatModel, text: str, max_tokens: int) -> str:
    """The longest prefix of ``text`` within ``max_tokens`` tokens of the model."""
    if max_tokens <= 0:
        return ""
    tok = _tokenizer(llm)
    if tok is None:
        return text[: max_tokens * _CHARS_PER_TOKEN]
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    if len(enc["input_ids"]) <= max_tokens:
        return text
    return text[: enc["offset_mapping"][max_tokens - 1][1]]


def structured_model(llm: BaseChatModel, schema: type[M] | dict[str, Any]) -> Runnable:
    """``llm.with_structured_output(schema)``, portable to OpenAI-compatible servers.

    A ``ChatOpenAI`` pointed at a server of one's own (a ``base_url``) is asked in JSON
    mode, the one structured mode vLLM, llama.cpp's server and OpenAI all accept, with the
    schema's skeleton as a leading system message and the JSON schema alongside
    (``response_format.schema``: llama.cpp's server turns it into a grammar, others
    ignore it); every other model keeps its own structured output (grammar-constrained
    for local models).
    """
    if getattr(llm, "openai_api_base", None) is None:
        return llm.with_structured_output(schema)
    from langchain_core.messages import SystemMessage
    from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
    from langchain_core.runnables import RunnableLambda

    from steergraph.llm.structured import schema_instruction, to_json_schema

    json_schema = to_json_schema(schema)
    instruction = SystemMessage(schema_instruction(json_schema))

    def with_instruction(messages: LanguageModelInput) -> list[Any]:
        if isinstance(messages, str):
            messages = [HumanMessage(messages)]
        return [instruction, *messages]

    parser = (
        PydanticOutputParser(pydantic_object=schema)
        if isinstance(schema, type) and issubclass(schema, BaseModel)
        else JsonOutputParser()
    )
    fmt = {"type": "json_object", "schema": json_schema}
    return RunnableLambda(with_instruction) | llm.bind(response_format=fmt) | parser


def ask_structured(
    llm: BaseChatModel,
    schema: type[M],
    messages: LanguageModelInput,
    *,
    max_new_tokens: int = 256,
) -> tuple[M | None, str | None]:
    """Ask for a reply in ``schema``; return ``(parsed, None)`` or ``(None, reason)``.

    Bad input of ours (an :class:`~steergraph.errors.InputError`) and errors of the model
    service still raise; a reply that does not fit the schema is a reason to record.
    """
    try:
        out = structured_model(with_budget(llm, max_new_tokens), schema).invoke(messages)
    except InputError:
        raise
    except (StructuredOutputError, OutputParserException, ValidationError, ValueError) as exc:
        # the model could not produce the schema (cut reply, invalid JSON); connection,
        # authentication and rate-limit errors of API models propagate
        first = str(exc).splitlines()[0] if str(exc) else ""
        return None, f"{type(exc).__name__}: {first}"[:300]
    if isinstance(out, dict):
        try:
            out = schema.model_validate(out)
        except ValueError as exc:
            return None, f"reply does not fit {schema.__name__}: {str(exc).splitlines()[0]}"
    if not isinstance(out, schema):
        return None, f"reply is {type(out).__name__}, not {schema.__name__}"
    return out, None


def ask_text(llm: BaseChatModel, messages: LanguageModelInput, *, max_new_tokens: int = 256) -> str:
    """A plain text reply (stripped)."""
    return _text(with_budget(llm, max_new_tokens).invoke(messages).content)


def _text(content: Any) -> str:
    if isinstance(content, list):
        content = "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in content)
    return str(content).strip()


def ask_many(
    llm: BaseChatModel,
    inputs: Sequence[LanguageModelInput],
    *,
    max_new_tokens: int = 256,
    temperature: float | None = None,
    seed: int | None = None,
    batch_size: int = 8,
    progress: str | None = None,
) -> list[str]:
    """One stripped text reply per input, in order.

    A local model decodes ``batch_size`` inputs per batched ``generate`` with the given
    ``temperature``/``seed``; any other chat model is called through ``batch`` with its
    own sampling settings (``temperature``/``seed`` are local-model knobs). ``progress``:
    a tqdm description, or None for no bar.
    """
    if batch_size < 1:
        raise InputError(f"batch_size={batch_size}", fix="pass batch_size >= 1")
    items = list(inputs)
    starts = range(0, len(items), batch_size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc=progress, unit="batch")
    out: list[str] = []
    for start in starts:
        chunk = items[start : start + batch_size]
        if hasattr(llm, "reply_batch"):
            gen: dict[str, Any] = {"max_new_tokens": max_new_tokens}
            if temperature is not None:
                gen["temperature"] = temperature
            if seed is not None:
                gen["seed"] = seed + start
            replies = llm.reply_batch(chunk, **gen)
        else:
            replies = with_budget(llm, max_new_tokens).batch(chunk)
        out.extend(_text(r.content) for r in replies)
    return out
