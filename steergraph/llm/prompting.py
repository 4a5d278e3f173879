"""Turn LangChain messages into the prompt text a local model was trained on.

Uses the tokenizer's chat template when it has one; base models (no template) get
a plain ``System:/User:/Assistant:`` transcript. Templates that reject a role (tool
results, system prompts) are retried with those folded into user turns.

Example:
    >>> from langchain_core.messages import HumanMessage
    >>> to_chat_dicts([HumanMessage("hi")])
    [{'role': 'user', 'content': 'hi'}]
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from steergraph.errors import EmptyPromptError, InputError
from steergraph.llm.tool_calls import render_tool_call

__all__ = ["render_prompt", "to_chat_dicts"]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and block.get("type") == "text":
                parts.append(str(block.get("text", "")))
            else:
                kind = block.get("type") if isinstance(block, dict) else type(block).__name__
                raise InputError(
                    f"message content block of type '{kind}' is not supported by local text models",
                    fix="send text content only",
                )
        return "".join(parts)
    return str(content)


def to_chat_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """Convert LangChain messages to ``{"role", "content"}`` dicts."""
    out: list[dict[str, str]] = []
    for msg in messages:
        if isinstance(msg, SystemMessage):
            out.append({"role": "system", "content": _text(msg.content)})
        elif isinstance(msg, HumanMessage):
            out.append({"role": "user", "content": _text(msg.content)})
        elif isinstance(msg, AIMessage):
            text = _text(msg.content)
            calls = "".join(render_tool_call(c["name"], c["args"]) for c in msg.tool_calls)
            out.append({"role": "assistant", "content": text + calls})
        elif isinstance(msg, ToolMessage):
            out.append({"role": "tool", "content": _text(msg.content)})
        elif isinstance(msg, ChatMessage):
            out.append({"role": msg.role, "content": _text(msg.content)})
        else:
            raise InputError(
                f"unsupported message type {type(msg).__name__}",
                fix="use System/Human/AI/Tool messages",
            )
    if not any(m["content"].strip() for m in out if m["role"] != "system"):
        raise EmptyPromptError(
            "the prompt is empty: no user, assistant or tool message has any text",
            fix="pass at least one non-empty message",
        )
    return out


def _fold_roles(chat: list[dict[str, str]]) -> list[dict[str, str]]:
    """Fold system and tool turns into user turns and merge consecutive same roles."""
    system = "\n\n".join(m["content"] for m in chat if m["role"] == "system")
    folded: list[dict[str, str]] = []
    for msg in chat:
        if msg["role"] == "system":
            continue
        role = "assistant" if msg["role"] == "assistant" else "user"
        content = f"Tool result: {msg['content']}" if msg["role"] == "tool" else msg["content"]
        if folded and folded[-1]["role"] == role:
            folded[-1]["content"] += "\n\n" + content
        else:
            folded.append({"role": role, "content": content})
    if system:
        if folded and folded[0]["role"] == "user":
            folded[0]["content"] = system + "\n\n" + folded[0]["content"]
        else:
            folded.insert(0, {"role": "user", "content": system})
    return folded


def _plain_transcript(chat: list[dict[str, str]]) -> str:
    names = {"system": "System", "user": "User", "assistant": "Assistant", "tool": "Tool"}
    if chat[-1]["role"] == "assistant":  # prefill: continue the assistant's answer
        *head, last = chat
        return _plain_transcript(head)[: -len("Assistant:")] + f"Assistant: {last['content']}"
    lines = [f"{names.get(m['role'], m['role'].title())}: {m['content']}" for m in chat]
    return "\n\n".join(lines) + "\n\nAssistant:"


def render_prompt(tokenizer: Any, chat: list[dict[str, str]]) -> str:
    """Render chat dicts as prompt text ending where the assistant's answer starts.

    A trailing assistant message is a prefill: the prompt ends inside that message, so
    the model continues it (how step-level search extends a partial solution).
    """
    if not getattr(tokenizer, "chat_template", None):
        return _plain_transcript(chat)
    prefill = chat[-1]["role"] == "assistant"
    opts = {"add_generation_prompt": not prefill, "continue_final_message": prefill}
    try:
        text = tokenizer.apply_chat_template(chat, tokenize=False, **opts)
    except Exception:  # jinja TemplateError: the template rejects a role or an order
        text = tokenizer.apply_chat_template(_fold_roles(chat), tokenize=False, **opts)
    if prefill:  # templates that trim content drop the prefill's trailing newline
        content = chat[-1]["content"]
        kept = content.rstrip()
        if not text.endswith(content) and text.endswith(kept):
            text += content[len(kept) :]
    return text
