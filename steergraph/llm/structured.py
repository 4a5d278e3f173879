"""Structured output helpers shared by every chat model steergraph wraps.

Turn a pydantic class, a TypedDict or a JSON-schema dict into a JSON schema, tell the
model what to write, and parse its answer into the schema's type with an error that
says why when it does not fit (most often: the answer was cut at ``max_new_tokens``).

Example:
    >>> from pydantic import BaseModel
    >>> class Point(BaseModel):
    ...     x: int
    >>> to_json_schema(Point)["required"]
    ['x']
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema
from pydantic import BaseModel, ValidationError

from steergraph.errors import StructuredOutputError, UnsupportedSchemaError

__all__ = ["parse_structured", "schema_instruction", "structured_parser", "to_json_schema"]


def to_json_schema(schema: dict[str, Any] | type) -> dict[str, Any]:
    """Return the JSON schema for a pydantic class, TypedDict or JSON-schema dict."""
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return schema.model_json_schema()
    if isinstance(schema, dict) and ("type" in schema or "anyOf" in schema or "$ref" in schema):
        return schema
    try:
        return convert_to_json_schema(schema)
    except Exception as exc:
        raise UnsupportedSchemaError(
            f"cannot turn {schema!r} into a JSON schema: {exc}",
            fix="pass a pydantic BaseModel class, a TypedDict or a JSON-schema dict",
        ) from exc


def _placeholder(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return " | ".join(json.dumps(v) for v in prop["enum"])
    if "const" in prop:
        return json.dumps(prop["const"])
    kind = prop.get("type")
    return f"<{kind}>" if isinstance(kind, str) else "<value>"


def schema_instruction(schema: dict[str, Any]) -> str:
    """The instruction given to the model alongside the grammar.

    A skeleton (``{"answer": <string>}``) plus field descriptions: small models
    copy description text into values when shown the raw schema.
    """
    props = schema.get("properties")
    if not props:
        return f"Answer only with JSON matching this schema: {json.dumps(schema)}"
    skeleton = ", ".join(f'"{k}": {_placeholder(v)}' for k, v in props.items())
    notes = [f"- {k}: {v['description']}" for k, v in props.items() if v.get("description")]
    text = f"Answer only with a JSON object like {{{skeleton}}}."
    return text + ("\nFields:\n" + "\n".join(notes) if notes else "")


def parse_structured(message: AIMessage, schema: dict[str, Any] | type) -> Any:
    """Parse a model answer into ``schema``'s type or raise StructuredOutputError."""
    text = message.content if isinstance(message.content, str) else str(message.content)
    reason = message.response_metadata.get("finish_reason")
    try:
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            return schema.model_validate_json(text)
        return json.loads(text)
    except (ValidationError, json.JSONDecodeError) as exc:
        if reason == "length":
            raise StructuredOutputError(
                "the structured answer was cut at max_new_tokens before it was complete",
                fix="raise max_new_tokens (e.g. model.bind(max_new_tokens=512))",
            ) from exc
        first = str(exc).splitlines()[0]
        raise StructuredOutputError(
            f"the model's answer does not fit the schema: {first}; answer was {text[:200]!r}",
            fix="use a model with constrained decoding or retry",
        ) from exc


def structured_parser(
    bound: Runnable[Any, Any], schema: dict[str, Any] | type, *, include_raw: bool
) -> Runnable[Any, Any]:
    """Compose ``bound | parse``; with ``include_raw`` return raw, parsed and error."""
    parse = RunnableLambda(lambda msg: parse_structured(msg, schema), name="parse_structured")
    if not include_raw:
        return bound | parse

    def safe(inp: dict[str, Any]) -> dict[str, Any]:
        try:
            return {
                "raw": inp["raw"],
                "parsed": parse_structured(inp["raw"], schema),
                "parsing_error": None,
            }
        except StructuredOutputError as exc:
            return {"raw": inp["raw"], "parsed": None, "parsing_error": exc}

    return RunnableMap(raw=bound) | RunnablePassthrough() | RunnableLambda(safe)
