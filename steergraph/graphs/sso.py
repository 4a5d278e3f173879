"""The SSO graph: rounds of principles -> sample -> filter -> train, on-policy every round.

Self-Steering Optimization (Xiang et al. 2024, arXiv 2410.17131) as a LangGraph loop:

* ``steer`` -- the current policy picks features for each query of the round (or
  writes query-specific principles, or uses fixed features);
* ``sample`` -- ``y+``/``y-``/``y0`` from the current policy, batched;
* ``filter`` -- duplicates, then the log-prob order, on-policy and consistent-gap
  filters with the current policy's scores (``filters="duplicates"``/``"none"`` for
  baselines); every drop counted;
* ``train`` -- the SSO trainer (or the generator variant, or plain DPO), see
  :mod:`steergraph.graphs.sso_train`; the trained policy (exported for llama.cpp)
  samples the next round.

Each node is a LangGraph step, so with a checkpointer (``SqliteSaver``) a killed run
resumes where it stopped; every round writes ``workdir/round-<k>/``: ``prompts.jsonl``,
``triplets.jsonl`` (all samples), ``filter.json`` (the statistics), ``scored.jsonl``
(the policy's log-probs of every deduplicated triplet), ``sso.jsonl`` and
``preference.jsonl`` (kept pairs in TRL's formats) and ``policy/``. Rounds are bounded
by ``rounds`` and counted in state.

Example:
    >>> from steergraph.testing import ScriptedChatModel
    >>> llm = ScriptedChatModel(responses=["a reply"], cycle=True)
    >>> ctx = SSOContext(model=llm, steer="fixed", features=["brevity"], filters="duplicates",
    ...                  train_policy=False)
    >>> out = build_sso_graph().invoke({"queries": ["Hi?", "Bye?"]}, context=ctx)
    >>> out["history"][0]["filter"]["stages"][0]["dropped"], out["status"]
    ({'y+ == y-': 2}, 'done')
"""

from __future__ import annotations

import json
import operator
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from langchain_core.language_models import BaseChatModel
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from typing_extensions import TypedDict

from steergraph.agents.sso.filters import FilterReport, filter_triplets, require_logprobs
from steergraph.agents.sso.principles import PrincipleLibrary
from steergraph.agents.sso.sampling import SteeredPrompt, Triplet, sample_triplets, steer_queries
from steergraph.errors import InputError
from steergraph.graphs.policies import require_trainable, round_policy
from steergraph.graphs.sso_train import train_round, write_datasets, write_jsonl

__all__ = [
    "SSOContext",
    "SSOState",
    "build_sso_graph",
    "filter_",
    "next_round",
    "sample",
    "steer",
    "train",
]

Variant = Literal["sso", "generator", "dpo"]
Filters = Literal["sso", "duplicates", "none"]


class SSOState(TypedDict, total=False):
    """Serializable state: the queries, the round counter, the current policy folder.

    ``prompts``/``triplets``/``kept`` hold the current round's steered prompts, samples
    and filtered triplets; ``history`` one summary per finished round.
    """

    queries: list[str]
    round: int
    policy: str | None
    prompts: list[dict[str, Any]]
    triplets: list[dict[str, Any]]
    kept: list[dict[str, Any]]
    filter: dict[str, Any]
    steering: dict[str, int]
    history: Annotated[list[dict[str, Any]], operator.add]
    status: str


@dataclass
class SSOContext:
    """Run-time dependencies and knobs (not checkpointed; pass the same on resume).

    ``variant``: ``sso`` (the SSO trainer), ``generator`` or ``dpo`` (plain DPO on the
    plain pairs). ``filters`` defaults to all four for ``sso``/``generator`` and to none
    for ``dpo`` (the unfiltered baseline); ``order`` is the log-prob order filter's form
    (``strict``: the reference's chain; ``gap``: without the plain prompt in the middle).
    ``steer``: ``select`` (the policy picks
    ``k`` features per query), ``write`` (and writes the principles) or ``fixed``
    (``features`` for every query). ``queries_per_round``: a seeded draw per round
    (None: all). ``train``: trainer fields shared by every variant (``max_steps``,
    ``learning_rate``, ``beta``...); ``sso``: SSOConfig-only fields (``sso_alpha``...);
    ``peft``: a ``peft.LoraConfig`` for LoRA. ``train_policy=False`` stops after the
    data (any chat model then works, also without log-probs when ``filters`` is not
    ``sso``).
    """

    model: str | BaseChatModel = "local"
    workdir: str | None = None
    rounds: int = 2
    variant: Variant = "sso"
    filters: Filters | None = None
    order: Literal["strict", "gap"] = "strict"
    steer: Literal["select", "write", "fixed"] = "select"
    features: list[str] | None = None
    k: int = 2
    library: PrincipleLibrary | None = None
    queries_per_round: int | None = None
    temperature: float = 0.7
    max_new_tokens: int = 128
    batch_size: int = 12
    train: dict[str, Any] = field(default_factory=dict)
    sso: dict[str, Any] = field(default_factory=dict)
    peft: Any = None
    train_policy: bool = True
    export: bool = True
    seed: int = 0
    progress: bool = False

    def filter_mode(self) -> str:
        """The filters in effect (see the class docstring)."""
        return self.filters or ("none" if self.variant == "dpo" else "sso")


def _check(ctx: SSOContext) -> None:
    if ctx.rounds < 1:
        raise InputError(f"rounds={ctx.rounds}", fix="run at least one round")
    if ctx.variant not in ("sso", "generator", "dpo"):
        raise InputError(f"unknown variant '{ctx.variant}'", fix="use sso, generator or dpo")
    if ctx.filter_mode() not in ("sso", "duplicates", "none"):
        raise InputError(f"unknown filters '{ctx.filters}'", fix="use sso, duplicates or none")
    # checked here, before the policy loads, as well as where they are used
    if ctx.steer not in ("select", "write", "fixed"):
        raise InputError(f"unknown steering mode '{ctx.steer}'", fix="use select, write or fixed")
    if ctx.order not in ("strict", "gap"):
        raise InputError(f"unknown log-prob order '{ctx.order}'", fix="use strict or gap")
    if ctx.train_policy and not ctx.workdir:
        raise InputError("training the policy needs a workdir", fix="pass workdir=...")


def _round_queries(state: SSOState, ctx: SSOContext, k: int) -> list[str]:
    queries = list(state.get("queries") or [])
    if not queries:
        raise InputError("the SSO graph got no queries", fix="pass {'queries': [...]}")
    bad = [i for i, q in enumerate(queries) if not isinstance(q, str) or not q.strip()]
    if bad:
        raise InputError(
            f"{len(bad)} prompt(s) are empty or not text (first at index {bad[0]})",
            fix="remove them from the prompt set",
        )
    if ctx.queries_per_round and ctx.queries_per_round < len(queries):
        return random.Random(f"{ctx.seed}:{k}").sample(queries, ctx.queries_per_round)
    return queries


def _folder(ctx: SSOContext, k: int) -> Path | None:
    return Path(ctx.workdir) / f"round-{k}" if ctx.workdir else None


def steer(state: SSOState, runtime: Runtime[SSOContext]) -> dict[str, Any]:
    """Round k's queries, each steered by principles (good and bad system prompts)."""
    ctx = runtime.context or SSOContext()
    _check(ctx)
    k = state.get("round", 0) + 1
    policy = round_policy(state.get("policy"), ctx.model)
    if ctx.train_policy:
        require_trainable(policy)
    if ctx.filter_mode() == "sso":  # said before sampling, not after
        require_logprobs(policy)
    prompts, counts = steer_queries(
        policy,
        _round_queries(state, ctx, k),
        ctx.library or PrincipleLibrary.builtin(),
        mode=ctx.steer,
        k=ctx.k,
        features=ctx.features,
        seed=ctx.seed + k,
        progress=ctx.progress,
    )
    if (folder := _folder(ctx, k)) is not None:
        write_jsonl(folder / "prompts.jsonl", prompts)
    return {"prompts": [p.model_dump() for p in prompts], "steering": counts}


def sample(state: SSOState, runtime: Runtime[SSOContext]) -> dict[str, Any]:
    """One (y+, y-, y0) triplet per steered prompt from the round's policy."""
    ctx = runtime.context or SSOContext()
    k = state.get("round", 0) + 1
    triplets = sample_triplets(
        round_policy(state.get("policy"), ctx.model),
        [SteeredPrompt.model_validate(p) for p in state["prompts"]],
        temperature=ctx.temperature,
        max_new_tokens=ctx.max_new_tokens,
        seed=ctx.seed + 1000 * k,
        batch_size=ctx.batch_size,
        progress=ctx.progress,
    )
    if (folder := _folder(ctx, k)) is not None:
        write_jsonl(folder / "triplets.jsonl", triplets)
    return {"triplets": [t.model_dump() for t in triplets]}


def filter_(state: SSOState, runtime: Runtime[SSOContext]) -> dict[str, Any]:
    """Keep the triplets that pass the chosen filters (SSO's log-prob gaps, duplicates)."""
    ctx = runtime.context or SSOContext()
    k = state.get("round", 0) + 1
    triplets = [Triplet.model_validate(t) for t in state["triplets"]]
    mode = ctx.filter_mode()
    if mode == "none":
        stage = {"stage": "none", "in": len(triplets), "out": len(triplets), "dropped": {}}
        report = FilterReport(len(triplets), list(triplets), [stage])
    else:
        report = filter_triplets(
            round_policy(state.get("policy"), ctx.model),
            triplets,
            logprob=mode == "sso",
            order=ctx.order,
            progress=ctx.progress,
        )
    stats = {"mode": mode, **report.as_dict()}
    if (folder := _folder(ctx, k)) is not None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "filter.json").write_text(json.dumps(stats, indent=2))
        if report.scored:
            write_jsonl(folder / "scored.jsonl", report.scored)
    fields = set(Triplet.model_fields)  # scores stay in scored.jsonl
    return {"kept": [t.model_dump(include=fields) for t in report.kept], "filter": stats}


def train(state: SSOState, runtime: Runtime[SSOContext]) -> dict[str, Any]:
    """Train the policy on the kept triplets (or write the datasets); record the round."""
    ctx = runtime.context or SSOContext()
    k = state.get("round", 0) + 1
    summary: dict[str, Any] = {
        "round": k,
        "policy_in": state.get("policy") or str(getattr(ctx.model, "model_name", ctx.model)),
        "prompts": len(state.get("prompts") or []),
        "steering": state.get("steering", {}),
        "filter": state.get("filter", {}),
    }
    update: dict[str, Any] = {"round": k, "status": "done" if k >= ctx.rounds else "next"}
    if ctx.train_policy:
        kept = [Triplet.model_validate(t) for t in state.get("kept") or []]
        policy = round_policy(state.get("policy"), ctx.model)
        outcome = train_round(policy, kept, ctx, _folder(ctx, k))  # type: ignore[arg-type]
        summary["train"] = outcome.summary
        if outcome.policy is not None:
            update["policy"] = outcome.policy
    elif (folder := _folder(ctx, k)) is not None:
        write_datasets(folder, [Triplet.model_validate(t) for t in state.get("kept") or []])
    update["history"] = [summary]
    return update


def next_round(state: SSOState) -> str:
    """Another round, or the end."""
    return END if state.get("status") == "done" else "steer"


def build_sso_graph(*, checkpointer: Any = None) -> Any:
    """Compile the SSO graph (see the module docstring): only the wiring."""
    graph = StateGraph(SSOState, context_schema=SSOContext)
    graph.add_node("steer", steer)
    graph.add_node("sample", sample)
    graph.add_node("filter", filter_)
    graph.add_node("train", train)
    graph.add_edge(START, "steer")
    graph.add_edge("steer", "sample")
    graph.add_edge("sample", "filter")
    graph.add_edge("filter", "train")
    graph.add_conditional_edges("train", next_round, ["steer", END])
    return graph.compile(checkpointer=checkpointer, name="sso")
