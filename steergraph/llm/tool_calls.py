"""Tool calling for models without native support: prompt, grammar and parser.

Tools are described to the model in the system prompt (OpenAI function schemas) and
calls are written Hermes-style: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``.
With ``tool_choice`` ``"any"``/``"required"`` or a tool name the call is forced by a
grammar (every call parses and its arguments match the tool's schema); with
``"auto"`` the model writes freely and calls are parsed leniently afterwards, as
OpenAI-compatible servers do.

Example:
    >>> from steergraph.llm.tool_calls import parse_tool_calls
    >>> text = '<tool_call>{"name": "add", "arguments": {"a": 1}}</tool_call>'
    >>> calls, rest = parse_tool_calls(text, {"add"})
    >>> calls[0]["name"], calls[0]["args"], rest
    ('add', {'a': 1}, '')
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from steergraph.errors import InputError

__all__ = [
    "TOOL_CALL_CLOSE",
    "TOOL_CALL_OPEN",
    "forced_call_grammar",
    "forced_tool_schema",
    "parse_tool_calls",
    "render_tool_call",
    "select_tools",
    "tools_system_prompt",
]

TOOL_CALL_OPEN = "<tool_call>"
TOOL_CALL_CLOSE = "</tool_call>"
_BLOCK = re.compile(
    re.escape(TOOL_CALL_OPEN) + r"\s*(.*?)\s*(?:" + re.escape(TOOL_CALL_CLOSE) + r"|$)", re.S
)


def _marker(tokenizer: Any, text: str) -> str:
    """A Lark item for ``text``: the literal, or also its single token where the vocabulary
    has one (Qwen2.5's ``<tool_call>`` is an added, non-special token: llguidance offers it
    for the literal but then refuses it as text, so the grammar names it by id too)."""
    ids = tokenizer.convert_tokens_to_ids([text]) if tokenizer is not None else [None]
    unk = getattr(tokenizer, "unk_token_id", None)
    if ids and isinstance(ids[0], int) and ids[0] != unk:
        return f'("{text}" | <[{ids[0]}]>)'
    return f'"{text}"'


def forced_call_grammar(tokenizer: Any, call_schema: str) -> str:
    """The Lark grammar of one forced call: ``<tool_call>`` JSON ``</tool_call>``.

    Example:
        >>> forced_call_grammar(None, '{"type": "object"}').splitlines()[0]
        'start: "<tool_call>" call "</tool_call>"'
    """
    open_, close = _marker(tokenizer, TOOL_CALL_OPEN), _marker(tokenizer, TOOL_CALL_CLOSE)
    return f"start: {open_} call {close}\ncall: %json {call_schema}"


def tools_system_prompt(tools: list[dict[str, Any]], required: bool) -> str:
    """Describe ``tools`` (OpenAI tool dicts) and the call format to the model."""
    lines = [
        "You can call these tools. To call one, answer with exactly",
        f'{TOOL_CALL_OPEN}{{"name": <tool name>, "arguments": {{...}}}}{TOOL_CALL_CLOSE}',
        "and nothing else." if required else "or answer directly if no tool is needed.",
        "Tools:",
    ]
    for tool in tools:
        fn = tool["function"]
        params = json.dumps(fn.get("parameters", {}).get("properties", {}))
        lines.append(f"- {fn['name']}: {fn.get('description', '').strip()} Arguments: {params}")
    return "\n".join(lines)


def select_tools(
    tools: list[dict[str, Any]], tool_choice: Any
) -> tuple[list[dict[str, Any]], bool]:
    """Return (tools the model may call, whether a call is forced) for ``tool_choice``."""
    if tool_choice in (None, "auto", False, "none"):
        return (tools if tool_choice not in ("none", False) else []), False
    if tool_choice in ("any", "required", True):
        return tools, True
    name = tool_choice
    if isinstance(tool_choice, dict):
        name = tool_choice.get("function", {}).get("name") or tool_choice.get("name")
    chosen = [t for t in tools if t["function"]["name"] == name]
    if not chosen:
        known = ", ".join(t["function"]["name"] for t in tools)
        raise InputError(
            f"tool_choice names '{name}', which is not among the bound tools ({known})",
            fix="pass one of the bound tool names, 'auto' or 'any'",
        )
    return chosen, True


def forced_tool_schema(tools: list[dict[str, Any]]) -> dict[str, Any]:
    """JSON schema of one call to any of ``tools`` (name const + argument schema)."""
    options = []
    for tool in tools:
        fn = tool["function"]
        params = fn.get("parameters") or {"type": "object", "properties": {}}
        options.append(
            {
                "type": "object",
                "properties": {"name": {"const": fn["name"]}, "arguments": params},
                "required": ["name", "arguments"],
                "additionalProperties": False,
            }
        )
    return options[0] if len(options) == 1 else {"anyOf": options}


def render_tool_call(name: str, args: dict[str, Any]) -> str:
    """Write a call in the format the model is taught (for chat history)."""
    return f"{TOOL_CALL_OPEN}{json.dumps({'name': name, 'arguments': args})}{TOOL_CALL_CLOSE}"


def _as_call(obj: Any, names: set[str]) -> dict[str, Any] | None:
    if not isinstance(obj, dict):
        return None
    name = obj.get("name")
    args = obj.get("arguments", obj.get("parameters", obj.get("args", {})))
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except json.JSONDecodeError:
            return None
    if name not in names or not isinstance(args, dict):
        return None
    return {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}


def parse_tool_calls(text: str, names: set[str]) -> tuple[list[dict[str, Any]], str]:
    """Extract tool calls from model text; return (calls, remaining text).

    Accepts ``<tool_call>`` blocks (closed or cut at the end) and, failing those, a
    whole answer that is one JSON call object. Unknown tool names are left as text.
    """
    calls: list[dict[str, Any]] = []
    decoder = json.JSONDecoder()
    for match in _BLOCK.finditer(text):
        body = match.group(1).strip()
        try:
            obj, _ = decoder.raw_decode(body)
        except json.JSONDecodeError:
            continue
        call = _as_call(obj, names)
        if call is not None:
            calls.append(call)
    if calls:
        return calls, _BLOCK.sub("", text).strip()
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            obj, end = decoder.raw_decode(stripped)
        except json.JSONDecodeError:
            return [], text
        call = _as_call(obj, names)
        if call is not None:
            return [call], stripped[end:].strip()
    return [], text
