"""A token alignment learned from a corpus: the same texts read by both tokenizers, the
two token sequences aligned by minimum edit distance, aligned pairs counted, and each
target token mapped to the source token it was aligned with most often.

The byte rule of :mod:`.alignment` maps a target token with a byte-identical source token
exactly; for the others it takes the first piece of the source tokenizer's reading. A
corpus says more for those: a Gemma token ``"▁function"`` that SmolLM2 never writes as one
piece is aligned, text after text, with SmolLM2's ``"Ġfunction"`` or ``"Ġfunc"``, and the
counts pick the partner the two tokenizers actually share in running text (the token
alignment of cross-tokenizer distillation and FuseLLM, applied to value logits).

The dynamic programme is written here because no dependency of ours aligns two sequences
under a custom substitution cost (difflib matches equal items only). Substituting token
``a`` for ``b`` costs their normalised byte edit distance (0 for equal bytes), a gap costs
1, and only cells whose byte offsets lie within ``band`` bytes of each other are filled:
both sequences spell the same text, so the path stays near the diagonal of byte offsets.
Between equal costs the pair of tokens that start at the same byte wins (the value of a
target token is the source's opinion of the piece starting there).

Example (two tokenizations of one text):
    >>> pairs = align_tokens([b"the", b" cat", b"s"], [b"the", b" ca", b"ts"])
    >>> pairs
    [(0, 0), (1, 1), (2, 2)]
    >>> round(edit_cost(b" cat", b" ca"), 2), edit_cost(b"x", b"x")
    (0.25, 0.0)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from itertools import accumulate
from typing import Any

__all__ = ["align_tokens", "cooccurrence_counts", "edit_cost"]

GAP = 1.0
TIE = 0.01  # added when the two tokens of a substitution start at different bytes


def edit_cost(a: bytes, b: bytes) -> float:
    """Levenshtein distance of two byte strings over the longer one's length (0..1)."""
    if a == b:
        return 0.0
    if not a or not b:
        return 1.0
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1] / max(len(a), len(b))


def _starts(tokens: Sequence[bytes]) -> list[int]:
    return [0, *accumulate(len(t) for t in tokens)][:-1]


def _enter(
    cost: dict[tuple[int, int], float], i: int, j: int, substitute: Callable[[], float]
) -> tuple[float, tuple[int, int]] | None:
    """(cost, previous cell) of the cheapest way into cell (i, j); None when no neighbour is
    filled. On equal costs the substitution wins."""
    ways = []
    if (i - 1, j - 1) in cost:
        ways.append((cost[i - 1, j - 1] + substitute(), (i - 1, j - 1)))
    for previous in ((i - 1, j), (i, j - 1)):
        if previous in cost:
            ways.append((cost[previous] + GAP, previous))
    return min(ways, default=None)


def align_tokens(
    source: Sequence[bytes], target: Sequence[bytes], *, band: int | None = None
) -> list[tuple[int, int]]:
    """The (source index, target index) pairs a minimum-cost alignment substitutes (gaps
    left out), in order. ``band``: the largest byte-offset difference of a filled cell
    (default: 24 bytes or twice the longest token, so one long token cannot cut the path)."""
    n, m = len(source), len(target)
    if not n or not m:
        return []
    band = band if band is not None else max(24, 2 * max(len(t) for t in (*source, *target)))
    s_at, t_at = _starts([*source, b""]), _starts([*target, b""])  # offsets after i tokens
    cost: dict[tuple[int, int], float] = {(0, 0): 0.0}
    back: dict[tuple[int, int], tuple[int, int]] = {}
    lo = 0
    for i in range(n + 1):
        while lo < m and t_at[lo] < s_at[i] - band:
            lo += 1
        for j in range(max(lo - 1, 0), m + 1):
            if t_at[j] > s_at[i] + band:
                break

            def substitute(i: int = i, j: int = j) -> float:
                tie = TIE * (s_at[i - 1] != t_at[j - 1])  # ties: the pair starting together
                return edit_cost(source[i - 1], target[j - 1]) + tie

            if (i, j) != (0, 0) and (way := _enter(cost, i, j, substitute)) is not None:
                cost[i, j], back[i, j] = way
    if (n, m) not in cost:  # the texts differ too much for the band: align nothing
        return []
    pairs, cell = [], (n, m)
    while cell != (0, 0):
        previous = back[cell]
        if previous == (cell[0] - 1, cell[1] - 1):
            pairs.append(previous)
        cell = previous
    return pairs[::-1]


def cooccurrence_counts(
    source_tok: Any,
    target_tok: Any,
    texts: Iterable[str],
    source_bytes: Sequence[bytes | None],
    target_bytes: Sequence[bytes | None],
) -> dict[int, Counter[int]]:
    """For each target token id, how often each source token id was aligned with it over
    ``texts`` (each text read by both tokenizers, no special tokens)."""
    texts = [t for t in texts if t.strip()]
    counts: dict[int, Counter[int]] = defaultdict(Counter)
    if not texts:
        return counts
    src_ids = source_tok(texts, add_special_tokens=False)["input_ids"]
    tgt_ids = target_tok(texts, add_special_tokens=False)["input_ids"]
    for s_ids, t_ids in zip(src_ids, tgt_ids):
        s_b = [source_bytes[i] or b"" for i in s_ids]
        t_b = [target_bytes[i] or b"" for i in t_ids]
        for si, ti in align_tokens(s_b, t_b):
            counts[t_ids[ti]][s_ids[si]] += 1
    return counts
