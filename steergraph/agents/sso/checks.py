"""Programs that check adherence to the checkable principles (evaluation only).

SSO never reads these while it trains (its signal comes from the principles and the
log-prob filters); the evaluation uses them as held-out verifiers: does a reply
sampled from the plain prompt plus one instruction follow it?

Each check takes the reply text and returns True when it adheres. :func:`adherence`
scores many replies at once.

Example:
    >>> CHECKS["brevity"]("Paris is the capital of France.")
    True
    >>> CHECKS["bullets"]("- one\\n- two")
    True
    >>> CHECKS["lowercase"]("Hello")
    False
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from steergraph.errors import InputError

__all__ = ["CHECKS", "INSTRUCTIONS", "adherence", "check"]

_FILLER = re.compile(r"\b(very|really|extremely|totally|basically)\b", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+\S")


def _brevity(text: str) -> bool:
    return 0 < len(text.split()) <= 25


def _bullets(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    bullets = [line for line in lines if _BULLET.match(line)]
    return len(bullets) >= 2 and len(bullets) >= 0.75 * len(lines)


def _no_filler(text: str) -> bool:
    return bool(text.strip()) and not _FILLER.search(text)


def _answer_first(text: str) -> bool:
    return text.lstrip().lower().startswith("answer:")


def _lowercase(text: str) -> bool:
    return any(c.isalpha() for c in text) and not any(c.isupper() for c in text)


#: Check name -> predicate on the reply text.
CHECKS: dict[str, Callable[[str], bool]] = {
    "brevity": _brevity,
    "bullets": _bullets,
    "no_filler": _no_filler,
    "answer_first": _answer_first,
    "lowercase": _lowercase,
}

#: A user-side instruction per check, for evaluation prompts ("<question> <instruction>").
INSTRUCTIONS: dict[str, str] = {
    "brevity": "Reply with 25 words or fewer.",
    "bullets": "Answer as a bulleted list, every line starting with '- '.",
    "no_filler": "Do not use the words very, really, extremely, totally or basically.",
    "answer_first": "Begin your reply with 'Answer:'.",
    "lowercase": "Write your reply in lowercase letters only.",
}


def check(name: str, text: str) -> bool:
    """Run check ``name`` on ``text``; an unknown name raises :class:`InputError`."""
    if name not in CHECKS:
        raise InputError(f"unknown check '{name}'", fix=f"use one of {', '.join(CHECKS)}")
    return CHECKS[name](text)


def adherence(name: str, texts: Sequence[str]) -> float:
    """Share of ``texts`` that pass check ``name`` (0.0 for no texts)."""
    return sum(check(name, t) for t in texts) / len(texts) if texts else 0.0
