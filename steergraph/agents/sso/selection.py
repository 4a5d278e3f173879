"""Per-query principles: the policy picks features, or writes query-specific principles.

SSO lets the policy itself decide how to steer each query (Xiang et al. 2024):

* :func:`select_features` asks the model which ``k`` features of the library matter
  most for the query, under a schema whose items are the library's feature names (a
  constrained decoder can only answer valid names). Names the model repeats or a reply
  that fails are topped up with a seeded random draw, and the result says so
  (``source="model" | "model+random" | "random"`` and the reason).
* :func:`write_principles` asks the model for a good and a bad principle specific to
  the query and one feature (``{"good": ..., "bad": ...}``); a failed reply keeps the
  library's principles and records why.

Both work with any LangChain chat model.

Example:
    >>> from steergraph.testing import ScriptedChatModel
    >>> from steergraph.agents.sso.principles import PrincipleLibrary
    >>> llm = ScriptedChatModel(responses=[{"features": ["brevity", "bullets"]}])
    >>> pick = select_features(llm, "How do I boil an egg?", PrincipleLibrary.builtin(), k=2)
    >>> pick.names, pick.source
    (['brevity', 'bullets'], 'model')
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, create_model

from steergraph.agents.calls import ask_structured
from steergraph.agents.sso.principles import Feature, PrincipleLibrary
from steergraph.errors import InputError

__all__ = ["Selection", "WrittenPrinciples", "select_features", "write_principles"]

SELECT_SYSTEM = (
    "You are an excellent teacher. Pick the features that matter most for a good answer "
    "to the user's query. The features:\n"
)
WRITE_SYSTEM = (
    "You are an excellent teacher. For the user's query and one feature, write two short "
    "principles of the same shape: a good one that makes an answer show the feature, and a "
    "bad one that makes an answer show its opposite. One or two sentences each, no examples."
)


@dataclass
class Selection:
    """Features chosen for one query, and how they were chosen."""

    names: list[str]
    source: str  # "model", "model+random" (topped up) or "random" (the reply failed)
    reason: str | None = None
    features: list[Feature] = field(default_factory=list, repr=False)


class WrittenPrinciples(BaseModel):
    """A query-specific good and bad principle for one feature."""

    good: str = Field(min_length=1, max_length=400)
    bad: str = Field(min_length=1, max_length=400)


def _choice_schema(names: list[str], k: int) -> type[BaseModel]:
    item = Literal[tuple(names)]  # type: ignore[valid-type]
    return create_model(
        "FeatureChoice",
        features=(list[item], Field(min_length=1, max_length=k)),  # type: ignore[valid-type]
    )


def select_features(
    llm: BaseChatModel,
    query: str,
    library: PrincipleLibrary,
    *,
    k: int = 2,
    rng: random.Random | None = None,
    max_new_tokens: int = 64,
) -> Selection:
    """Ask ``llm`` for the ``k`` features of ``library`` that matter most for ``query``."""
    names = library.names()
    if not 1 <= k <= len(names):
        raise InputError(f"k={k} features asked of a library of {len(names)}", fix="lower k")
    if not query.strip():
        raise InputError("cannot select features for an empty query", fix="pass a query")
    listing = "\n".join(f"- {f.name}: {f.meaning or f.adjectives[0]}" for f in library)
    messages = [SystemMessage(SELECT_SYSTEM + listing), HumanMessage(f"Query: {query}")]
    reply, reason = ask_structured(
        llm, _choice_schema(names, k), messages, max_new_tokens=max_new_tokens
    )
    picked: list[str] = []
    for name in getattr(reply, "features", []) if reply is not None else []:
        if name in library and name not in picked:
            picked.append(name)
    source = "model" if len(picked) == k else ("model+random" if picked else "random")
    if len(picked) < k:
        rest = [n for n in names if n not in picked]
        picked += (rng or random.Random(query)).sample(rest, k - len(picked))
    return Selection(picked, source, reason, library.select(picked))


def write_principles(
    llm: BaseChatModel,
    query: str,
    feature: Feature,
    *,
    max_new_tokens: int = 160,
) -> tuple[Feature, str | None]:
    """``feature`` with principles written for ``query`` by ``llm``: ``(feature, None)``;
    on a failed reply the library's ``feature`` unchanged and the reason."""
    messages = [
        SystemMessage(WRITE_SYSTEM),
        HumanMessage(
            f"Query: {query}\nFeature: {feature.name} ({feature.meaning or feature.adjectives[0]})"
        ),
    ]
    reply, reason = ask_structured(llm, WrittenPrinciples, messages, max_new_tokens=max_new_tokens)
    if reply is None:
        return feature, reason
    if reply.good.strip().lower() == reply.bad.strip().lower():
        return feature, "the model wrote the same good and bad principle"
    return feature.model_copy(update={"good": reply.good.strip(), "bad": reply.bad.strip()}), None
