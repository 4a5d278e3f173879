"""``steergraph difflm ...``: fit DiffLM on a table, sample synthetic rows, benchmark.

Example:
    $ steergraph difflm fit wage --out runs/difflm-wage          # or any CSV file
    $ steergraph difflm sample runs/difflm-wage -n 200 --out wage-synthetic.csv
    $ steergraph difflm bench --quick
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from steergraph.errors import InputError

__all__ = ["difflm_app"]

difflm_app = typer.Typer(
    help="DiffLM: a VAE whose latent steers a frozen LLM through soft prompts, a latent "
    "diffusion prior, and rows decoded under the table's grammar.",
    no_args_is_help=True,
)
console = Console(stderr=True)


@difflm_app.command("fit")
def fit(
    table: Annotated[str, typer.Argument(help="a CSV file or a named table (wage, credit, ...)")],
    out: Annotated[Path, typer.Option(help="folder for the model (must be new)")] = Path(
        "difflm-model"
    ),
    decoder: Annotated[str, typer.Option("--decoder", "-m", help="frozen decoder (local spec)")] = (
        "local"
    ),
    steps: Annotated[int, typer.Option(help="VAE optimizer steps")] = 400,
    prior_steps: Annotated[int, typer.Option(help="latent-diffusion steps")] = 2000,
    seed: Annotated[int, typer.Option(help="initialisation seed")] = 0,
) -> None:
    """Fit the VAE and the latent prior on every complete row of TABLE."""
    from steergraph.data.difflm import load_table
    from steergraph.training.difflm import DiffLMConfig, fit_difflm
    from steergraph.training.recipes import trainable_name

    trainable_name(decoder)  # an API model cannot be a frozen decoder with soft prompts
    config = DiffLMConfig(decoder=decoder, steps=steps, prior_steps=prior_steps, seed=seed,
                          progress=True)  # fmt: skip
    model = fit_difflm(load_table(table), config, output_dir=out)
    last = model.meta["history"][-1]
    console.print(f"{model.meta['rows']} rows ({model.meta['dropped_incomplete_rows']} "
                  f"incomplete dropped); last step: reconstruction {last['reconstruction']}, "
                  f"KL {last['kl']}, beta {last['beta']:.2g}", highlight=False)  # fmt: skip
    console.print(f"model: {out}", highlight=False)


@difflm_app.command("sample")
def sample(
    model: Annotated[Path, typer.Argument(help="a folder written by difflm fit")],
    n: Annotated[int, typer.Option("-n", help="rows to decode")] = 100,
    out: Annotated[Path, typer.Option(help="output .csv or .jsonl")] = Path("synthetic.csv"),
    prior: Annotated[str, typer.Option(help="diffusion, or gaussian (the VAE's N(0, I))")] = (
        "diffusion"
    ),
    seed: Annotated[int, typer.Option(help="sampling seed")] = 0,
    temperature: Annotated[float, typer.Option(help="decoding temperature (0: greedy)")] = 1.0,
) -> None:
    """Decode rows; the kept ones go to OUT, the counts to stdout as JSON."""
    import pandas as pd

    from steergraph.training.difflm import DiffLM

    if out.suffix not in (".csv", ".jsonl"):
        raise InputError(f"--out {out}", fix="name a .csv or .jsonl file")
    if n < 1:
        raise InputError(f"-n {n}", fix="ask for 1 or more rows")
    fitted = DiffLM.load(model)
    rows, report = fitted.sample(n, prior=prior, seed=seed, temperature=temperature,
                                 progress=True)  # fmt: skip
    frame = pd.DataFrame(rows, columns=[c.name for c in fitted.schema.columns])
    if out.suffix == ".csv":
        frame.to_csv(out, index=False)
    else:
        frame.to_json(out, orient="records", lines=True)
    print(json.dumps({**report, "out": str(out)}))


@difflm_app.command("bench")
def bench(
    quick: Annotated[bool, typer.Option(help="every step at a small size (<= 15 min)")] = False,
    decoder: Annotated[str, typer.Option("--decoder", "-m", help="frozen decoder (local spec)")] = (
        "local"
    ),
    out: Annotated[Path, typer.Option(help="folder for report.json, plot, models")] = Path(
        "difflm-bench"
    ),
    great: Annotated[bool, typer.Option(help="also fit GReaT on the same decoder")] = True,
    n: Annotated[int | None, typer.Option(help="rows per prior (default 500; quick: 100)")] = None,
    steps: Annotated[int | None, typer.Option(help="VAE steps (default 600; --quick: 80)")] = None,
    table: Annotated[
        list[str] | None,
        typer.Option(
            help="tables to run (wage, carseats, catp-plans, humaneval-code, ...); repeatable"
        ),
    ] = None,
    temperature: Annotated[float, typer.Option(help="decoding temperature (0: greedy)")] = 1.0,
) -> None:
    """DiffLM (diffusion prior vs N(0, I)) vs real rows, GReaT (and SDV when installed)."""
    from steergraph.bench.difflm import DiffLMBenchConfig, run_difflm_bench
    from steergraph.bench.difflm_report import final_line, plot_tables, table_lines
    from steergraph.bench.difflm_tools import TOOL_TABLE
    from steergraph.cli.common import report_bench
    from steergraph.data.difflm import CODE_TABLE, TABLES

    known = [*TABLES, TOOL_TABLE, CODE_TABLE]
    unknown = [t for t in table or [] if t not in known and not Path(t).is_file()]
    if unknown:
        raise InputError(f"--table {unknown[0]}", fix=f"name one of {', '.join(known)}")
    make = DiffLMBenchConfig.quick if quick else DiffLMBenchConfig
    sizes = {k: v for k, v in (("n", n), ("steps", steps)) if v is not None}
    if any(v < 1 for v in sizes.values()):
        raise InputError(f"--n/--steps {sizes}", fix="use positive sizes")
    if not temperature >= 0:
        raise InputError(f"--temperature {temperature}", fix="use 0 (greedy) or more")
    cfg = make(decoder=decoder, out=out, temperature=temperature, **sizes,
               **({"tables": tuple(table)} if table else {}))  # fmt: skip
    run = run_difflm_bench(cfg if great else replace(cfg, great=None))
    report_bench(
        run, out, "difflm_bench.png", table_lines=table_lines, plot=plot_tables,
        final_line=final_line,
    )  # fmt: skip


@difflm_app.command("tool-table")
def tool_table(
    out: Annotated[Path, typer.Argument(help="CSV file to write")],
    level: Annotated[
        list[int] | None, typer.Option(help="CATP input-size levels 1-4; repeatable")
    ] = None,
) -> None:
    """Write DiffLM's tool data, CATP's enumerated plans, as a CSV (target: family)."""
    from steergraph.bench.difflm_tools import write_tool_plan_table

    if out.suffix != ".csv":
        raise InputError(f"{out}", fix="name a .csv file")
    bad = [lv for lv in level or [] if lv not in (1, 2, 3, 4)]
    if bad:
        raise InputError(f"--level {bad[0]}", fix="use levels 1-4")
    path = write_tool_plan_table(out, levels=tuple(level or (1, 2)))
    console.print(f"{path}: fit it with `steergraph difflm fit {path}`", highlight=False)
