"""DiffLM as a LangGraph graph: prepare -> fit -> sample (one branch per prior, ``Send``)
-> evaluate.

``prepare`` reads the table (a name of :data:`~steergraph.data.difflm.TABLES`, the code
data ``humaneval-code``, or a CSV file; one ``code`` column makes it code), drops
incomplete rows (counted) and splits train/test by seed into ``out_dir``;
``fit`` trains the VAE and the latent prior (:func:`~steergraph.training.difflm.fit_difflm`)
unless ``out_dir/model`` already holds one (a rerun or a resumed run does not train
again); ``sample`` decodes ``n`` rows through one prior (``diffusion`` or ``gaussian``,
the VAE's N(0, I)) under the table's grammar and writes them as CSV and JSONL
(``datasets.Dataset.from_csv`` reads either); ``evaluate`` scores every prior's rows
and the real training rows on the held-out real rows
(:mod:`~steergraph.agents.difflm.evaluate`; code:
:mod:`~steergraph.agents.difflm.code_eval` and the real held-out functions' doctest pass
rate) and writes ``report.json``. Dependencies arrive
through :class:`DiffLMContext`; pass ``checkpointer=`` to resume a killed run by thread.

Example (a tiny random decoder, a few steps):
    >>> import tempfile, pandas as pd
    >>> from steergraph.testing import tiny_causal_lm
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     table = pd.DataFrame({"k": ["a", "b"] * 20, "x": [1.5, 2.5] * 20})
    ...     table.to_csv(f"{tmp}/t.csv", index=False)
    ...     out = build_difflm_graph().invoke(
    ...         {"table": f"{tmp}/t.csv", "target": "k", "out_dir": f"{tmp}/run", "n": 4},
    ...         context=DiffLMContext(decoder=tiny_causal_lm(), fit={"steps": 2,
    ...                               "prior_steps": 5}))
    >>> synthetic = out["report"]["synthetic"]
    >>> sorted(synthetic), synthetic["diffusion"]["counts"]["parsed"]  # every row parses
    (['diffusion', 'gaussian'], 4)
"""

from __future__ import annotations

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
    "DiffLMContext",
    "DiffLMState",
    "build_difflm_graph",
    "evaluate",
    "fan_out",
    "fit",
    "prepare",
    "sample",
]

PRIORS = ("diffusion", "gaussian")


@dataclass
class DiffLMContext:
    """The decoder (a local spec, or a loaded ``(model, tokenizer)``), training settings
    (:class:`~steergraph.training.difflm.DiffLMConfig` fields) and the split seed."""

    decoder: Any = "local"
    fit: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    progress: bool = False
    #: decoding temperature of the sampled rows (0: greedy)
    temperature: float = 1.0


class DiffLMState(TypedDict):
    """Inputs: ``table``, ``out_dir``, ``target`` (the column the ML-efficiency test
    predicts; default: the named table's), ``n`` rows per prior, ``priors``,
    ``test_share``; the run adds the split, the model folder, samples and the report."""

    table: str
    out_dir: str
    target: NotRequired[str | None]
    n: NotRequired[int]
    priors: NotRequired[list[str]]
    test_share: NotRequired[float]
    split: NotRequired[dict[str, Any]]
    model_dir: NotRequired[str]
    samples: Annotated[list[dict[str, Any]], operator.add]
    report: NotRequired[dict[str, Any]]


def _ctx(runtime: Runtime[DiffLMContext]) -> DiffLMContext:
    return runtime.context or DiffLMContext()


def _loaded(ctx: DiffLMContext) -> Any:
    """The context's decoder when it is already loaded (None: a spec, loaded by name)."""
    return None if isinstance(ctx.decoder, str) else ctx.decoder


def prepare(state: DiffLMState, runtime: Runtime[DiffLMContext]) -> dict[str, Any]:
    """Read, clean and split the table into ``out_dir`` (train.csv, test.csv)."""
    from steergraph.agents.difflm.code_schema import infer_schema
    from steergraph.data.difflm import TABLES, load_table, split_table

    target = state.get("target") or (TABLES[state["table"]].target
                                     if state["table"] in TABLES else None)  # fmt: skip
    df = load_table(state["table"])
    if target is not None and target not in df.columns:
        raise InputError(f"no column {target!r} in {state['table']}",
                         fix=f"name one of {', '.join(map(str, df.columns))}")  # fmt: skip
    for prior in state.get("priors") or PRIORS:
        if prior not in PRIORS:
            raise InputError(f"unknown prior {prior!r}", fix=f"use {' or '.join(PRIORS)}")
    schema = infer_schema(df)
    rows, dropped = schema.clean(df)
    train, test = split_table(rows, test=state.get("test_share", 0.2), seed=_ctx(runtime).seed)
    out = Path(state["out_dir"])
    out.mkdir(parents=True, exist_ok=True)
    train.to_csv(out / "train.csv", index=False)
    test.to_csv(out / "test.csv", index=False)
    split = {"train": len(train), "test": len(test), "dropped_incomplete_rows": dropped,
             "target": target}  # fmt: skip
    return {"split": split}


def fit(state: DiffLMState, runtime: Runtime[DiffLMContext]) -> dict[str, Any]:
    """Fit DiffLM on the training rows, or reuse the model already in ``out_dir``."""
    import pandas as pd

    from steergraph.training.difflm import META_FILE, DiffLMConfig, fit_difflm

    ctx = _ctx(runtime)
    folder = Path(state["out_dir"]) / "model"
    if not (folder / META_FILE).is_file():
        decoder = _loaded(ctx)
        settings = {} if decoder is not None else {"decoder": ctx.decoder}
        config = DiffLMConfig(**{**settings, "progress": ctx.progress, **ctx.fit})
        train = pd.read_csv(Path(state["out_dir"]) / "train.csv")
        fit_difflm(train, config, output_dir=folder, decoder=decoder)
    return {"model_dir": str(folder)}


def fan_out(state: DiffLMState) -> list[Send]:
    """One ``sample`` branch per prior."""
    return [Send("sample", {**state, "prior": p}) for p in state.get("priors") or PRIORS]


def sample(state: dict[str, Any], runtime: Runtime[DiffLMContext]) -> dict[str, Any]:
    """``n`` rows through one prior, written as CSV and JSONL."""
    import pandas as pd

    from steergraph.training.difflm import DiffLM

    ctx = _ctx(runtime)
    model = DiffLM.load(state["model_dir"], decoder=_loaded(ctx))
    rows, report = model.sample(state.get("n", 200), prior=state["prior"], seed=ctx.seed,
                                temperature=ctx.temperature, progress=ctx.progress)  # fmt: skip
    out = Path(state["out_dir"]) / f"synthetic-{state['prior']}"
    frame = pd.DataFrame(rows, columns=[c.name for c in model.schema.columns])
    frame.to_csv(out.with_suffix(".csv"), index=False)
    frame.to_json(out.with_suffix(".jsonl"), orient="records", lines=True)
    return {"samples": [{"prior": state["prior"], "csv": str(out.with_suffix(".csv")),
                         "report": report}]}  # fmt: skip


def evaluate(state: DiffLMState, runtime: Runtime[DiffLMContext]) -> dict[str, Any]:
    """Fidelity, ML efficiency and DCR of each prior's rows; the real rows' ML efficiency."""
    import pandas as pd

    from steergraph.agents.difflm.code_eval import code_figures, doctest_pass_rate
    from steergraph.agents.difflm.code_schema import CODE_COLUMN, schema_from_dict
    from steergraph.agents.difflm.evaluate import dcr_ratio, fidelity, mle_auc
    from steergraph.training.difflm import META_FILE

    out = Path(state["out_dir"])
    meta = json.loads((Path(state["model_dir"]) / META_FILE).read_text())
    schema = schema_from_dict(meta["schema"])
    train, test = pd.read_csv(out / "train.csv"), pd.read_csv(out / "test.csv")
    target = state["split"]["target"]
    code = schema.kind == "code"  # a column of source text: the measures of code_eval
    report: dict[str, Any] = {"kind": schema.kind, "split": state["split"], "synthetic": {}}
    if code:
        report["real"] = {"doctests": doctest_pass_rate(test[CODE_COLUMN])}
    elif target is not None:
        report["real"] = {"mle_auc": mle_auc(train, test, schema, target)}
    for item in sorted(state["samples"], key=lambda s: s["prior"]):
        synthetic, counts = pd.read_csv(item["csv"]), item["report"]
        entry: dict[str, Any] = {"valid_rate": round(counts["kept"] / counts["requested"], 4),
                                 "counts": counts}  # fmt: skip
        if len(synthetic) and code:
            entry.update(code_figures(synthetic[CODE_COLUMN], train[CODE_COLUMN],
                                      test[CODE_COLUMN]))  # fmt: skip
        elif len(synthetic):
            entry.update(fidelity(train, synthetic, schema))
            entry["dcr_ratio_vs_holdout"] = dcr_ratio(synthetic, train, test, schema)
            if target is not None:
                entry["mle_auc"] = mle_auc(synthetic, test, schema, target, seed=_ctx(runtime).seed)
        report["synthetic"][item["prior"]] = entry
    (out / "report.json").write_text(json.dumps(report, indent=1))
    return {"report": report}


def build_difflm_graph(*, checkpointer: Any = None) -> Any:
    """prepare -> fit -> sample per prior -> evaluate."""
    graph = StateGraph(DiffLMState, context_schema=DiffLMContext)
    graph.add_node("prepare", prepare)
    graph.add_node("fit", fit)
    graph.add_node("sample", sample)
    graph.add_node("evaluate", evaluate)
    graph.add_edge(START, "prepare")
    graph.add_edge("prepare", "fit")
    graph.add_conditional_edges("fit", fan_out, ["sample"])
    graph.add_edge("sample", "evaluate")
    graph.add_edge("evaluate", END)
    return graph.compile(checkpointer=checkpointer)
