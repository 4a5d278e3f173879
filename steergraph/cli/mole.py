"""``steergraph mole ...``: MOLE's counterfactuals, evaluator training, scoring, benchmark.

Example:
    $ steergraph mole counterfactuals --articles 5 --out mole-data       # LLM + checks
    $ steergraph mole train --data mole-data --out mole-evaluator
    $ steergraph mole score mole-evaluator --source article.txt --text summary.txt
    $ steergraph mole bench --quick
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from steergraph.errors import InputError

__all__ = ["mole_app"]

mole_app = typer.Typer(
    help="MOLE: counterfactuals worse in one quality facet, and a multi-facet evaluator "
    "trained on them and on human ratings.",
    no_args_is_help=True,
)
console = Console()
ModelOpt = Annotated[str, typer.Option("--model", "-m", help="rewriting model spec")]
FacetOpt = Annotated[
    list[str] | None, typer.Option("--facet", "-f", help="facet(s) (default: all four)")
]


def _train_rows(articles: int | None, seed: int) -> list:
    from steergraph.data.mole import load_summeval, split_by_article

    if articles is not None and articles < 1:  # before reading any data
        raise InputError(f"--articles {articles}", fix="use 1 or more")
    train = split_by_article(load_summeval(), seed=seed)["train"]
    if articles is not None:
        keep = sorted({r.doc_id for r in train})[:articles]
        train = [r for r in train if r.doc_id in keep]
    return train


@mole_app.command("counterfactuals")
def counterfactuals(
    out: Annotated[Path, typer.Option(help="folder for counterfactuals.jsonl")] = Path("mole-data"),
    articles: Annotated[int | None, typer.Option(help="training articles used")] = None,
    originals: Annotated[int, typer.Option(help="best-rated summaries per article")] = 2,
    model: ModelOpt = "local",
    facet: FacetOpt = None,
    perturb_only: Annotated[bool, typer.Option(help="no LLM: perturbations only")] = False,
    seed: Annotated[int, typer.Option(help="split and perturbation seed")] = 0,
) -> None:
    """Counterfactuals of SummEval training summaries, checked per facet (and cached)."""
    from steergraph.data.mole import best_rated, check_facet

    for name in facet or []:
        check_facet(name)
    from steergraph.graphs.mole import DATASET_FILE, MoleContext, build_mole_graph

    rows = best_rated(_train_rows(articles, seed), originals)
    items = [{"id": f"{r.doc_id}/{r.system}", "source": r.source, "text": r.text} for r in rows]
    state = {"items": items, "out_dir": str(out), **({"facets": facet} if facet else {})}
    ctx = MoleContext(model=None if perturb_only else model, seed=seed)
    result = build_mole_graph().invoke(state, context=ctx)
    console.print_json(json.dumps(result["report"]))
    console.print(f"dataset: {out / DATASET_FILE}", highlight=False)


@mole_app.command("train")
def train(
    data: Annotated[Path | None, typer.Option(help="a counterfactuals folder or .jsonl")] = None,
    out: Annotated[Path, typer.Option(help="folder for the evaluator")] = Path("mole-evaluator"),
    articles: Annotated[int | None, typer.Option(help="training articles used")] = None,
    epochs: Annotated[int, typer.Option(help="passes over the rated summaries")] = 8,
    contrastive_weight: Annotated[float, typer.Option(help="0: supervised only")] = 0.1,
    margin: Annotated[float, typer.Option(help="contrastive margin on the 0-1 scale")] = 0.1,
    single_score: Annotated[bool, typer.Option(help="one head on the mean rating")] = False,
    seed: Annotated[int, typer.Option(help="split and initialisation seed")] = 0,
) -> None:
    """Train the evaluator on SummEval's training articles (+ counterfactual pairs)."""
    from steergraph.data.jsonl import read_jsonl
    from steergraph.graphs.mole import DATASET_FILE
    from steergraph.training.mole import MoleConfig, train_mole

    pairs: list[dict] = []
    if data is not None:
        path = data / DATASET_FILE if data.is_dir() else data
        pairs = [row for _, row in read_jsonl(path, what="counterfactual")][1:]
    config = MoleConfig(
        epochs=epochs, contrastive_weight=contrastive_weight, margin=margin,
        single_score=single_score,
        seed=seed, progress=True,
    )  # fmt: skip
    model, history = train_mole(_train_rows(articles, seed), pairs, config)
    model.save(out)
    for h in history:
        console.print(f"epoch {h['epoch']}: supervised {h['supervised']:.4f}, "
                      f"contrastive {h['contrastive']:.4f}", highlight=False)  # fmt: skip
    console.print(f"evaluator: {out}", highlight=False)


@mole_app.command("score")
def score(
    evaluator: Annotated[Path, typer.Argument(help="a folder written by mole train")],
    source: Annotated[Path, typer.Option(help="the source document (UTF-8 text file)")],
    text: Annotated[list[Path], typer.Option(help="text file(s) to score (repeatable)")],
) -> None:
    """Per-facet scores (1-5) of texts written from a source."""
    from steergraph.cli.common import read_text_file
    from steergraph.training.mole import MoleEvaluator

    model = MoleEvaluator.load(evaluator)
    src = read_text_file(source)
    texts = [read_text_file(t) for t in text]
    for path, scores in zip(text, model.score([src] * len(texts), texts)):
        print(json.dumps({"text": str(path), **{k: round(v, 3) for k, v in scores.items()}}))


@mole_app.command("bench")
def bench(
    quick: Annotated[bool, typer.Option(help="every step at a small size (<= 15 min)")] = False,
    model: ModelOpt = "local",
    judge: Annotated[str, typer.Option(help="LLM judge model spec ('none' to skip)")] = "local",
    seeds: Annotated[
        str | None,
        typer.Option(help="more training seeds, e.g. 1,2 (default: 1,2; --quick: none)"),
    ] = None,
    out: Annotated[Path, typer.Option(help="folder for report.json and the plot")] = Path(
        "mole-bench"
    ),
) -> None:
    """MOLE vs supervised-only, single-score, ROUGE-L and an LLM judge on held-out articles."""
    from steergraph.bench.mole import MoleBenchConfig, run_mole_bench
    from steergraph.bench.mole_report import final_line, plot_facets, table_lines
    from steergraph.cli.common import report_bench

    make = MoleBenchConfig.quick if quick else MoleBenchConfig
    extra: dict[str, Any] = {}
    if seeds is not None:
        try:
            extra["extra_seeds"] = tuple(int(x) for x in seeds.split(",") if x.strip())
        except ValueError:
            raise InputError(f"--seeds {seeds!r}", fix="give integers, e.g. --seeds 1,2") from None
    cfg = make(model=model, judge=None if judge == "none" else judge, out=out, **extra)
    run = run_mole_bench(cfg)
    report_bench(
        run, out, "mole_bench.png", table_lines=table_lines, plot=plot_facets, final_line=final_line
    )
