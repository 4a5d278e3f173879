"""SSO's on-policy samples: ``y+`` under the good principles, ``y-`` under the bad ones,
``y0`` under the plain prompt, all from the current policy.

* :class:`SteeredPrompt` -- one query with its features and the two system messages
  (:func:`~steergraph.agents.sso.principles.steering_system`); ``plain()``, ``good()``
  and ``bad()`` give the three prompts in TRL's conversational format.
* :func:`steer_queries` -- features for every query: picked by the policy
  (``mode="select"``), picked and then rewritten for the query (``"write"``), or the same
  named features for all (``"fixed"``). Returns the prompts and how each was steered.
* :func:`sample_triplets` -- the three replies per query, decoded in batches
  (:func:`~steergraph.agents.calls.ask_many`: local models decode a batch of prompts
  together; any chat model works).

Example:
    >>> from steergraph.agents.sso.principles import PrincipleLibrary
    >>> p = SteeredPrompt.build("Name a fruit.", PrincipleLibrary.builtin().select(["brevity"]))
    >>> [m["role"] for m in p.good()], p.plain()[0]["content"]
    (['system', 'user'], 'Name a fruit.')
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from typing import Literal

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel

from steergraph.agents.calls import ask_many
from steergraph.agents.sso.principles import Feature, PrincipleLibrary, steering_system
from steergraph.agents.sso.selection import select_features, write_principles
from steergraph.errors import InputError

__all__ = ["SteerMode", "SteeredPrompt", "Triplet", "sample_triplets", "steer_queries"]

SteerMode = Literal["select", "write", "fixed"]
Chat = list[dict[str, str]]


class SteeredPrompt(BaseModel):
    """One query, the features that steer it and the two system messages."""

    query: str
    features: list[str]
    good_system: str
    bad_system: str
    source: str = "fixed"  # how the features were chosen (see steer_queries)

    @classmethod
    def build(cls, query: str, features: Sequence[Feature], source: str = "fixed") -> SteeredPrompt:
        """Render the good and bad system messages for ``features``."""
        if not query.strip():
            raise InputError("a query is empty", fix="remove empty prompts from the prompt set")
        return cls(
            query=query,
            features=[f.name for f in features],
            good_system=steering_system(features, good=True),
            bad_system=steering_system(features, good=False),
            source=source,
        )

    def plain(self) -> Chat:
        """The query alone (the prompt the policy is trained and used with)."""
        return [{"role": "user", "content": self.query}]

    def good(self) -> Chat:
        """The query under the good principles."""
        return [{"role": "system", "content": self.good_system}, *self.plain()]

    def bad(self) -> Chat:
        """The query under the bad principles."""
        return [{"role": "system", "content": self.bad_system}, *self.plain()]


class Triplet(SteeredPrompt):
    """A steered prompt with its three on-policy replies."""

    y_plus: str  # under the good principles
    y_minus: str  # under the bad principles
    y0: str  # under the plain prompt


def steer_queries(
    llm: BaseChatModel,
    queries: Sequence[str],
    library: PrincipleLibrary,
    *,
    mode: SteerMode = "select",
    k: int = 2,
    features: Sequence[str] | None = None,
    seed: int = 0,
    progress: bool = False,
) -> tuple[list[SteeredPrompt], dict[str, int]]:
    """Steered prompts for ``queries`` and counts of how the features were chosen.

    ``mode="fixed"`` uses ``features`` (names) for every query and calls no model.
    """
    if not queries:
        raise InputError("the prompt set is empty", fix="give at least one query")
    if mode not in ("select", "write", "fixed"):
        raise InputError(f"unknown steering mode '{mode}'", fix="use select, write or fixed")
    if mode == "fixed" and not features:
        raise InputError("mode='fixed' needs feature names", fix="pass features=[...]")
    fixed = library.select(list(features)) if features else []
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    items: Sequence[str] = queries
    if progress and mode != "fixed":
        from tqdm.auto import tqdm

        items = tqdm(queries, desc="steering", unit="query")
    out: list[SteeredPrompt] = []
    for query in items:
        if not isinstance(query, str) or not query.strip():
            raise InputError(
                f"query {len(out)} is {query!r}", fix="every prompt must be non-empty text"
            )
        if mode == "fixed":
            chosen, source = fixed, "fixed"
        else:
            pick = select_features(llm, query, library, k=k, rng=rng)
            chosen, source = pick.features, pick.source
            if mode == "write":
                written = [write_principles(llm, query, f) for f in chosen]
                chosen = [f for f, _ in written]
                counts["written"] += sum(reason is None for _, reason in written)
                counts["write_failed"] += sum(reason is not None for _, reason in written)
        counts[source] += 1
        out.append(SteeredPrompt.build(query, chosen, source))
    return out, {k: v for k, v in counts.items() if v}


def sample_triplets(
    llm: BaseChatModel,
    prompts: Sequence[SteeredPrompt],
    *,
    temperature: float = 0.7,
    max_new_tokens: int = 128,
    seed: int | None = 0,
    batch_size: int = 12,
    progress: bool = False,
) -> list[Triplet]:
    """Sample ``y+``, ``y-`` and ``y0`` for every prompt from ``llm`` (the current policy)."""
    inputs: list[Chat] = []
    for p in prompts:
        inputs += [p.good(), p.bad(), p.plain()]
    texts = ask_many(
        llm,
        inputs,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        seed=seed,
        batch_size=batch_size,
        progress="sampling y+/y-/y0" if progress else None,
    )
    return [
        Triplet(
            **{k: getattr(p, k) for k in SteeredPrompt.model_fields},
            y_plus=texts[3 * i],
            y_minus=texts[3 * i + 1],
            y0=texts[3 * i + 2],
        )
        for i, p in enumerate(prompts)
    ]
