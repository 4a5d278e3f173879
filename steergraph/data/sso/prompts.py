"""Instruction prompts for SSO, about real things named in the committed corpus.

SSO needs queries, not answers: open instructions a policy can answer well or badly
under a principle. They are built from the StructRAG corpus fixture
(:mod:`steergraph.data.structrag.corpus`: real Debian packages with their dpkg
descriptions, Python packages with READMEs, topics of Python's documentation), so they
talk about real software without any download, by a few instruction templates per
kind (explain, advise, compare, list). The split is by a hash of the prompt text,
so train and eval never share a prompt, and every machine builds the same sets.

:func:`load_prompts` reads a user's prompt set: a ``.txt`` file (one prompt per line),
a ``.json`` list (strings, or objects with ``prompt``/``query``) or ``.jsonl``.

Example:
    >>> train, held_out = sso_prompts("train"), sso_prompts("eval")
    >>> len(train) > 100 and len(held_out) > 100 and not set(train) & set(held_out)
    True
    >>> sso_prompts("train", n=2, seed=1) == sso_prompts("train", n=2, seed=1)
    True
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path
from typing import Any, Literal

from steergraph.data.jsonl import read_jsonl
from steergraph.data.structrag.corpus import load_corpus
from steergraph.errors import InputError, InputFileError

__all__ = ["load_prompts", "sso_prompts"]

_PACKAGE = (
    "What is the Debian package {name} used for?",
    "Explain to a new Linux user why a system might need {name}.",
    "Give advice on what to check before removing the package {name}.",
)
_README = (
    "Explain how to get started with the Python package {name}.",
    "What problems does the Python library {name} solve?",
)
_TOPIC = (
    "Explain {topic} in Python to a beginner.",
    "What mistakes do people make with {topic} in Python?",
)
_GENERAL = (
    "How can I keep a small Linux server secure?",
    "What is a good way to learn a new programming language?",
    "Explain what a software package manager does.",
    "How should I write a helpful bug report?",
    "Give tips for reading documentation effectively.",
    "Explain the difference between a library and a framework.",
    "How do I choose between two open-source libraries?",
    "What makes a command-line tool pleasant to use?",
)


def _topic(title: str) -> str:
    """'Python docs: compound (Guards)' -> 'guards'."""
    inner = re.search(r"\((.*)\)", title)
    text = inner.group(1) if inner else title.split(":", 1)[-1]
    return re.sub(r"\s+", " ", text.replace('"', "")).strip().lower()


def _all_prompts() -> list[str]:
    corpus = load_corpus()
    out = list(_GENERAL)
    for pkg in corpus["packages"]:
        out += [t.format(name=pkg["package"]) for t in _PACKAGE]
    for doc in corpus["readmes"]:
        out += [t.format(name=doc["package"]) for t in _README]
    for doc in corpus["procedures"]:
        out += [t.format(topic=_topic(doc["title"])) for t in _TOPIC]
    return sorted(set(out))


def sso_prompts(
    split: Literal["train", "eval", "all"] = "train", *, n: int | None = None, seed: int = 0
) -> list[str]:
    """Prompts of ``split`` (hash split, about 70/30), shuffled by ``seed``, the first ``n``."""
    if split not in ("train", "eval", "all"):
        raise InputError(f"unknown split '{split}'", fix="use train, eval or all")
    if n is not None and n < 1:
        raise InputError(f"n={n}", fix="ask for at least one prompt")
    prompts = _all_prompts()
    if split != "all":
        in_train = [int(hashlib.sha256(p.encode()).hexdigest(), 16) % 10 < 7 for p in prompts]
        prompts = [p for p, t in zip(prompts, in_train) if t == (split == "train")]
    random.Random(f"sso:{seed}").shuffle(prompts)
    return prompts if n is None else prompts[:n]


def _prompt_of(item: Any, where: str) -> str:
    if isinstance(item, dict):
        item = item.get("prompt", item.get("query"))
    if not isinstance(item, str) or not item.strip():
        raise InputFileError(
            f"{where}: not a prompt ({str(item)[:60]!r})",
            fix="give non-empty text, or objects with a 'prompt' (or 'query') field",
        )
    return item.strip()


def load_prompts(path: str | Path) -> list[str]:
    """Prompts from a .txt (one per line), .json (a list) or .jsonl file.

    Raises :class:`InputFileError` naming the file and the line or entry that is wrong;
    an empty set is an error too (SSO needs queries).
    """
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"prompt file '{p}' does not exist", fix="pass a .txt/.json/.jsonl")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputFileError(
            f"prompt file '{p}' is not UTF-8 text", fix="save it as UTF-8"
        ) from err
    prompts: list[str] = []
    if p.suffix == ".json":
        try:
            items = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputFileError(
                f"'{p}' is not valid JSON: {err}", fix="write a JSON list"
            ) from err
        if not isinstance(items, list):
            raise InputFileError(f"'{p}' holds a {type(items).__name__}", fix="write a JSON list")
        prompts = [_prompt_of(x, f"'{p}' entry {i}") for i, x in enumerate(items)]
    elif p.suffix == ".jsonl":
        prompts = [_prompt_of(x, f"'{p}' line {n}") for n, x in read_jsonl(p, what="prompt")]
    else:
        prompts = [line.strip() for line in text.splitlines() if line.strip()]
    if not prompts:
        raise InputFileError(f"prompt file '{p}' holds no prompts", fix="add at least one prompt")
    return prompts
