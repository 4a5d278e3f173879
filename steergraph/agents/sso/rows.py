"""SSO's training rows in TRL's conversational format, built from sampled triplets.

Kept below the trainers (``training.sso``, ``training.sso_trainer`` re-export them) so
that agents (the verified-pair builder of :mod:`.evaluate`) can build rows without
importing a trainer.

Example:
    >>> row = sso_row("Hi?", "Hello.", "Go away.", "Hey.", "Be kind.", "Be rude.")
    >>> row["chosen"], len(row["good_prompt"])
    ([{'role': 'assistant', 'content': 'Hello.'}], 2)
    >>> preference_rows([row])[0]["rejected"][0]["content"]
    'Go away.'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from steergraph.errors import InputError

__all__ = ["preference_rows", "sso_row", "sso_rows"]


def _turn(role: str, text: str) -> list[dict[str, str]]:
    return [{"role": role, "content": text}]


def sso_row(
    query: str, y_plus: str, y_minus: str, y0: str, good_system: str, bad_system: str
) -> dict[str, Any]:
    """One SSO training row in TRL's conversational format."""
    return {
        "prompt": _turn("user", query),
        "good_prompt": _turn("system", good_system) + _turn("user", query),
        "bad_prompt": _turn("system", bad_system) + _turn("user", query),
        "chosen": _turn("assistant", y_plus),
        "rejected": _turn("assistant", y_minus),
        "neutral": _turn("assistant", y0),
    }


def sso_rows(triplets: Sequence[Any]) -> list[dict[str, Any]]:
    """SSO training rows from triplets (objects with query, y_plus, y_minus, y0 and the
    two system messages, e.g. :class:`~steergraph.agents.sso.sampling.Triplet`)."""
    return [
        sso_row(t.query, t.y_plus, t.y_minus, t.y0, t.good_system, t.bad_system) for t in triplets
    ]


def preference_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The plain pair of each SSO row: ``prompt``/``chosen``/``rejected`` (TRL format)."""
    if not rows:
        raise InputError("no SSO rows to turn into pairs", fix="keep at least one pair")
    return [{"prompt": r["prompt"], "chosen": r["chosen"], "rejected": r["rejected"]} for r in rows]
