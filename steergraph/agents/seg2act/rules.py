"""The rule-based baseline: actions from numbering, capitalisation, length and punctuation.

What a careful programmer would write without a model, per segment:

* a numbered title (``3``, ``3.2``, ``3.2.1`` then text, no final period) is a heading
  whose level is the number's depth;
* a short line in capitals (``DESCRIPTION``) is a level-1 heading;
* another short line without final punctuation, starting with a capital, is a heading one
  level below the deepest numbered or capitalised heading seen (level 1 if none);
* otherwise a segment continues the previous one (``=``) when that one did not end a
  sentence, and starts a paragraph (``*``) when it did.

Example:
    >>> rule_actions(["1 Intro", "Some text that goes on for quite a while and", "ends here.",
    ...               "NOTES", "1.1 Scope", "It is small."])
    ['+', '*', '=', '+', '++', '*']
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from steergraph.agents.seg2act.actions import MAX_LEVEL

__all__ = ["rule_actions"]

_NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+\S")
_END = (".", "!", "?", ":", ";")


def rule_actions(segments: Sequence[str], *, short_words: int = 8) -> list[str]:
    """One action per segment by the rules in the module docstring."""
    actions: list[str] = []
    deepest = 0
    previous_ends = True
    for seg in segments:
        text = " ".join(seg.split())
        words = text.split()
        numbered = _NUMBERED.match(text)
        short = 0 < len(words) <= short_words and not text.endswith(_END)
        if numbered and short:
            level = min(MAX_LEVEL, numbered.group(1).count(".") + 1)
            actions.append("+" * level)
            deepest = level
        elif short and text.isupper() and any(c.isalpha() for c in text):
            actions.append("+")
            deepest = 1
        elif short and text[:1].isupper() and previous_ends:
            actions.append("+" * min(MAX_LEVEL, deepest + 1 if deepest else 1))
        else:
            actions.append("*" if previous_ends or not actions else "=")
        previous_ends = text.endswith(_END) or actions[-1].startswith("+")
    return actions
