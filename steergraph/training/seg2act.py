"""Seg2Act's training data and SFT through TRL.

Every window position of a gold document is one conversational prompt/completion row:
the prompt is exactly what the generation loop shows the model at that point
(:func:`~steergraph.agents.seg2act.structurer.window_messages`: the rightmost path of the
gold tree built so far, when ``context``, and the window's segments), the completion is
the window's gold actions, one per line. Training is TRL's SFT
(:func:`~steergraph.training.recipes.train_sft`; completion-only loss, full or LoRA
through ``peft_config``), on any local causal LM (SmolLM2, Qwen2.5-Coder-0.5B).

Example:
    >>> from steergraph.data.seg2act import parse_man
    >>> doc = parse_man(".SH NAME\\nx \\\\- does x\\n.SH NOTES\\nnone\\n", "x.1")
    >>> rows = sft_rows([doc], window=2)
    >>> len(rows), rows[0]["completion"][0]["content"]
    (4, '+\\n*')
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from steergraph.errors import InputError

__all__ = ["sft_rows", "train_seg2act"]


def _message(m: Any) -> dict[str, str]:
    role = {"system": "system", "human": "user", "ai": "assistant"}[m.type]
    return {"role": role, "content": str(m.content)}


def sft_rows(
    documents: Sequence[Any],
    *,
    window: int = 3,
    stride: int = 1,
    context: bool = True,
    max_rows: int | None = None,
) -> list[dict[str, Any]]:
    """Prompt/completion rows (TRL's conversational format) from gold documents."""
    from steergraph.agents.seg2act.actions import DocTree, parse_action
    from steergraph.agents.seg2act.structurer import window_messages

    rows: list[dict[str, Any]] = []
    for doc in documents:
        tree = DocTree()
        for start in range(0, len(doc.segments), stride):
            chunk = doc.segments[start : start + window]
            prompt = window_messages(tree.render_path(), chunk, context=context)
            completion = "\n".join(doc.actions[start : start + len(chunk)])
            rows.append({
                "prompt": [_message(m) for m in prompt],
                "completion": [{"role": "assistant", "content": completion}],
            })  # fmt: skip
            for k in range(min(stride, len(chunk))):
                tree.apply(parse_action(doc.actions[start + k]), chunk[k])
            if max_rows is not None and len(rows) >= max_rows:
                return rows
    return rows


def train_seg2act(
    model_or_chat: Any,
    documents: Sequence[Any],
    *,
    output_dir: str | Path,
    window: int = 3,
    stride: int = 1,
    context: bool = True,
    max_rows: int | None = None,
    **config: Any,
) -> Any:
    """SFT a model on the documents' action windows; return TRL's result record."""
    from steergraph.training.recipes import train_sft

    rows = sft_rows(documents, window=window, stride=stride, context=context, max_rows=max_rows)
    if not rows:
        raise InputError("the documents give no training rows", fix="pass non-empty documents")
    return train_sft(model_or_chat, rows, output_dir=output_dir, **config)
