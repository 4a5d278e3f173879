"""Datasets as the TRL recipes take them: checked for rows and columns, and conversational
rows rendered as plain text for models without a chat template.

Example:
    >>> as_dataset([{"prompt": "a", "completion": "b"}], [{"prompt", "completion"}], "SFT")[0]
    {'prompt': 'a', 'completion': 'b'}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from steergraph.errors import InputError

if TYPE_CHECKING:
    from datasets import Dataset

__all__ = ["DataLike", "as_dataset", "plain_conversations"]

#: A TRL-format dataset, or its rows.
DataLike: TypeAlias = "Dataset | Sequence[Mapping[str, Any]]"


def as_dataset(data: DataLike, needs: Sequence[set[str]], what: str) -> Dataset:
    """A non-empty ``datasets.Dataset`` with one of the column sets ``needs``."""
    from datasets import Dataset

    if isinstance(data, Sequence) and not isinstance(data, str):
        data = Dataset.from_list([dict(row) for row in data]) if data else None
    if data is None or (isinstance(data, Dataset) and len(data) == 0):
        raise InputError(f"the {what} dataset is empty", fix="give it at least one row")
    if not isinstance(data, Dataset):
        raise InputError(f"the {what} dataset is a {type(data).__name__}", fix="pass a Dataset")
    cols = set(data.column_names)
    if not any(need <= cols for need in needs):
        wanted = " or ".join("+".join(sorted(n)) for n in needs)
        raise InputError(
            f"the {what} dataset needs the column(s) {wanted}; it has {', '.join(sorted(cols))}",
            fix="use the builders in steergraph.training.verify (TRL's dataset formats)",
        )
    return data


def plain_conversations(data: Any, tok: Any) -> Any:
    """Conversational prompt/completion rows as plain text when ``tok`` has no chat
    template (a base model such as Gemma 3 270M): the transcript
    :func:`~steergraph.llm.prompting.render_prompt` writes, then the reply and the end of
    text; other datasets are returned as they are."""
    from steergraph.llm.prompting import render_prompt

    if getattr(tok, "chat_template", None) or "completion" not in data.column_names:
        return data
    if not isinstance(data[0]["prompt"], list):
        return data

    def convert(row: dict[str, Any]) -> dict[str, str]:
        prompt = render_prompt(tok, list(row["prompt"]))
        full = render_prompt(tok, list(row["prompt"]) + list(row["completion"]))
        return {"prompt": prompt, "completion": full[len(prompt) :] + (tok.eos_token or "")}

    return data.map(convert)
