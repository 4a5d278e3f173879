"""Value-network transfer as a LangGraph graph: train -> evaluate (one branch per target,
``Send``) -> collect.

``train`` trains one value network per variant (connection, logit-norm weight) on the
base model's demonstrations (:func:`~steergraph.training.value_transfer_trainer.
train_value_network`), or reuses one already in ``workdir/<variant>`` (a killed run does
not train again). ``evaluate`` measures one target on the held-out rows: the target
alone, the target plus each value network, and, when given, proxy-tuning's logit
arithmetic with a tuned and an untuned small model (through a token alignment when the
target has another vocabulary: residual value networks and the proxy pair; cascade is
null there); each target's result is one row of ``results``. Models are named by what
:func:`~steergraph.training.recipes.trainable_name` accepts (an embedded name,
``local:<name>`` or a folder): logits need transformers weights, so API models are
refused before anything runs.

Example (tiny random models; two steps):
    >>> import tempfile
    >>> from steergraph.testing import tiny_model_pair
    >>> base, tuned = tiny_model_pair(tempfile.mkdtemp())
    >>> rows = [{"prompt": [{"role": "user", "content": "hi"}],
    ...          "completion": [{"role": "assistant", "content": "hello"}]}] * 4
    >>> out = build_value_transfer_graph().invoke(
    ...     {"train_rows": rows, "test_rows": rows[:1], "targets": [str(tuned)]},
    ...     context=ValueTransferContext(base=str(base), workdir=tempfile.mkdtemp(),
    ...                                  train={"max_steps": 2}))
    >>> sorted(out["results"][0]["nll"])
    ['alone', 'residual']
"""

from __future__ import annotations

import contextlib
import io
import json
import operator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, NotRequired

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send
from typing_extensions import TypedDict

from steergraph.errors import InputError

__all__ = [
    "ValueTransferContext",
    "ValueTransferState",
    "build_value_transfer_graph",
    "collect",
    "evaluate",
    "fan_out",
    "train",
]


@dataclass
class ValueTransferContext:
    """The base the value networks learn on, where they are kept, which variants
    (``name -> {"connection": ..., "norm_weight": ...}``), trainer settings, and an
    optional proxy-tuning pair ``(tuned, untuned)``."""

    base: str = "smollm2"
    workdir: str = "value-transfer"
    variants: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"residual": {"connection": "residual"}}
    )
    train: dict[str, Any] = field(default_factory=dict)
    proxy: tuple[str, str] | None = None
    max_length: int = 512
    #: training demonstrations a cross-vocabulary token alignment is learned from
    alignment_rows: int = 300


class ValueTransferState(TypedDict):
    """Inputs: demonstrations to train on, held-out rows, the target models."""

    train_rows: list[dict[str, Any]]
    test_rows: list[dict[str, Any]]
    targets: list[str]
    trained: NotRequired[dict[str, str]]
    results: Annotated[list[dict[str, Any]], operator.add]


def _names(state: ValueTransferState, ctx: ValueTransferContext) -> list[str]:
    from steergraph.training.recipes import trainable_name

    if not state.get("train_rows") or not state.get("test_rows"):
        raise InputError("no demonstrations or no held-out rows", fix="give both, non-empty")
    if not state.get("targets"):
        raise InputError("no target model", fix="name at least one target")
    return [trainable_name(m) for m in (ctx.base, *state["targets"], *(ctx.proxy or ()))]


def train(state: ValueTransferState, runtime: Runtime[ValueTransferContext]) -> dict[str, Any]:
    """One value network per variant, trained once into ``workdir/<variant>``."""
    from steergraph.training.value_transfer_trainer import META_FILE, train_value_network

    ctx = runtime.context or ValueTransferContext()
    base = _names(state, ctx)[0]
    trained = {}
    for name, variant in ctx.variants.items():
        out = Path(ctx.workdir) / name
        if not (out / META_FILE).is_file():
            rows = [{k: r[k] for k in ("prompt", "completion")} for r in state["train_rows"]]
            settings = {"disable_tqdm": True, "max_length": ctx.max_length, **ctx.train}
            with contextlib.redirect_stdout(io.StringIO()):  # TRL's per-step log lines
                train_value_network(base, rows, output_dir=out, base_name=base,
                                    **{**settings, **variant})  # fmt: skip
        trained[name] = str(out)
    return {"trained": trained}


def fan_out(state: ValueTransferState) -> list[Send]:
    """One ``evaluate`` branch per target."""
    return [Send("evaluate", {**state, "target": t}) for t in state["targets"]]


def evaluate(state: dict[str, Any], runtime: Runtime[ValueTransferContext]) -> dict[str, Any]:
    """Held-out completion NLL of one target alone, + each value network, + proxy."""
    from steergraph.agents.value_transfer.alignment import alignment_for
    from steergraph.agents.value_transfer.evaluate import alignment_coverage, completion_nll
    from steergraph.data.value_transfer import alignment_texts
    from steergraph.llm.engines.hf_weights import load_hf_model
    from steergraph.training.recipes import trainable_name
    from steergraph.training.value_transfer_trainer import load_value_network

    ctx = runtime.context or ValueTransferContext()
    target, tok, _ = load_hf_model(trainable_name(state["target"]))
    target = target.float().eval()
    rows, cap = state["test_rows"], ctx.max_length
    nll: dict[str, float | None] = {"alone": completion_nll(target, tok, rows, max_length=cap)}
    row: dict[str, Any] = {"target": state["target"]}
    for name, folder in state["trained"].items():
        value, meta = load_value_network(folder)
        alignment = alignment_for(folder, tok, alignment_texts(ctx.alignment_rows))
        if alignment is not None:
            row["alignment_coverage"] = alignment_coverage(alignment, rows, cap)
            row["alignment_exact_coverage"] = alignment_coverage(alignment, rows, cap, corpus=False)
            row["cross_vocabulary"] = True
        if alignment is not None and meta["connection"] != "residual":
            nll[name] = None  # cascade reads the base's distribution: one vocabulary only
            continue
        nll[name] = completion_nll(target, tok, rows, value=value.float(), alignment=alignment,
                                   connection=meta["connection"], max_length=cap)  # fmt: skip
    if ctx.proxy is not None:
        pair = tuple(load_hf_model(trainable_name(m))[0].float().eval() for m in ctx.proxy)
        across = alignment_for(trainable_name(ctx.proxy[0]), tok,  # None: one vocabulary
                               alignment_texts(ctx.alignment_rows))  # fmt: skip
        nll["proxy_tuning"] = completion_nll(target, tok, rows, proxy=pair, alignment=across,
                                             max_length=cap)  # fmt: skip
    row["nll"] = {k: None if v is None else round(v, 4) for k, v in nll.items()}
    return {"results": [row]}


def collect(state: ValueTransferState, runtime: Runtime[ValueTransferContext]) -> dict[str, Any]:
    """Results in target order, written to ``workdir/results.json``."""
    ctx = runtime.context or ValueTransferContext()
    order = {t: i for i, t in enumerate(state["targets"])}
    results = sorted(state["results"], key=lambda r: order.get(r["target"], 0))
    Path(ctx.workdir).mkdir(parents=True, exist_ok=True)
    (Path(ctx.workdir) / "results.json").write_text(json.dumps(results, indent=1))
    return {}


def build_value_transfer_graph(*, checkpointer: Any = None) -> Any:
    """Compile train -> evaluate (per target) -> collect."""
    graph = StateGraph(ValueTransferState, context_schema=ValueTransferContext)
    graph.add_node("train", train)
    graph.add_node("evaluate", evaluate)
    graph.add_node("collect", collect)
    graph.add_edge(START, "train")
    graph.add_conditional_edges("train", fan_out, ["evaluate"])
    graph.add_edge("evaluate", "collect")
    graph.add_edge("collect", END)
    return graph.compile(checkpointer=checkpointer)
