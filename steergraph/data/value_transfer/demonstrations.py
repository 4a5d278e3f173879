"""Demonstrations for the value network, and held-out rows to measure it on.

Three kinds, all built on this machine, no download, in TRL's conversational
prompt/completion format with an ``id`` and a ``kind``:

* ``packages`` and ``humaneval`` -- the delta method's post-training rows
  (:func:`~steergraph.data.delta.post_train.post_train_rows`: Debian package
  descriptions, HumanEval reference bodies), whose ``train``/``calibration`` split
  (SHA-256 of the id) becomes ``train``/``test`` here;
* ``arithmetic`` -- seeded word problems (:mod:`steergraph.data.verify.arithmetic`) with a
  worked answer (``37 + 58 = 95. The answer is 95.``), split by the same kind of hash of
  the prompt; these rows also carry ``answer`` for exact-match accuracy.

Example:
    >>> train = demonstrations("train", n=6)
    >>> arith = train[2]
    >>> sorted({r["kind"] for r in train}), arith["kind"], arith["completion"][0]["content"]
    (['arithmetic', 'humaneval', 'packages'], 'arithmetic', '30 * 9 = 270. The answer is 270.')
    >>> test_ids = {r["id"] for r in demonstrations("test", n=30)}
    >>> bool(test_ids) and not test_ids & {r["id"] for r in demonstrations("train", n=200)}
    True
"""

from __future__ import annotations

import hashlib
from itertools import zip_longest
from typing import Any, Literal

from steergraph.errors import InputError

__all__ = ["KINDS", "alignment_texts", "arithmetic_rows", "demonstrations"]

KINDS = ("packages", "humaneval", "arithmetic")
Split = Literal["train", "test"]
_TEST_FRACTION = 0.2


def _in_test(key: str) -> bool:
    digest = hashlib.sha256(f"value-transfer:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < _TEST_FRACTION


def arithmetic_rows(split: Split, n: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` arithmetic demonstrations of ``split`` with worked answers."""
    from steergraph.data.verify.arithmetic import arithmetic_problems

    share = _TEST_FRACTION if split == "test" else 1 - _TEST_FRACTION
    pool = arithmetic_problems(int(2 * n / share) + 20, seed=seed)  # enough for the split
    rows = []
    for p in pool:
        if _in_test(p.prompt) != (split == "test"):
            continue
        worked = f"{p.metadata['expression']} = {p.answer}. The answer is {p.answer}."
        rows.append({
            "id": f"arithmetic:{p.prompt}",
            "kind": "arithmetic",
            "answer": p.answer,
            "prompt": [{"role": "user", "content": p.prompt}],
            "completion": [{"role": "assistant", "content": worked}],
        })  # fmt: skip
    return rows[:n]


def demonstrations(
    split: Split = "train", *, n: int | None = None, kinds: tuple[str, ...] = KINDS, seed: int = 0
) -> list[dict[str, Any]]:
    """Rows of ``split`` from ``kinds``, interleaved; the first ``n`` when given."""
    from steergraph.data.delta.post_train import post_train_rows

    if split not in ("train", "test"):
        raise InputError(f"unknown split {split!r}", fix="use train or test")
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown or not kinds:
        raise InputError(f"unknown demonstration kind(s) {unknown or list(kinds)}",
                         fix=f"use some of {', '.join(KINDS)}")  # fmt: skip
    if n is not None and n < 1:
        raise InputError(f"n={n} selects no rows", fix="use n >= 1 or leave it out")
    groups = []
    for kind in kinds:
        if kind == "arithmetic":
            groups.append(arithmetic_rows(split, n or 200, seed=seed))
        else:
            source = post_train_rows("train" if split == "train" else "calibration", kinds=(kind,))
            groups.append([{**r, "kind": kind} for r in source])
    rows = [r for group in zip_longest(*groups) for r in group if r is not None]
    return rows[:n] if n is not None else rows


def alignment_texts(n: int | None = 300) -> list[str]:
    """The texts a cross-vocabulary token alignment is learned from: the training
    demonstrations' prompts and completions (test rows never), the first ``n`` rows.

    >>> texts = alignment_texts(3)
    >>> len(texts), texts[2].endswith("The answer is 270.")
    (3, True)
    """
    rows = demonstrations("train", n=n)
    return ["\n".join(m["content"] for m in (*r["prompt"], *r["completion"])) for r in rows]
