"""``steergraph value ...``: train a value network on a base model, measure it on targets,
chat with a target decoded through it.

Example:
    $ steergraph value train --base local --out runs/value --steps 200
    $ steergraph value evaluate runs/value --target local:qwen-coder-0.5b --rows 40
    $ steergraph value chat runs/value "What is 17 + 25?" --target local
    $ steergraph value bench --quick                 # --family qwen: 0.5B -> 1.5B
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from steergraph.errors import InputError

__all__ = ["value_app"]

value_app = typer.Typer(
    help="Value-network transfer (inverse value learning): a small network trained on one "
    "base's logits, added to other models' logits when they decode.",
    no_args_is_help=True,
)
console = Console(stderr=True)
FolderArg = Annotated[Path, typer.Argument(help="a folder written by `steergraph value train`")]


@value_app.command("train")
def train(
    out: Annotated[Path, typer.Option(help="folder for the value network")] = Path("value-net"),
    base: Annotated[str, typer.Option(help="the base (local spec or folder)")] = "local",
    rows: Annotated[int, typer.Option(help="demonstrations used")] = 400,
    steps: Annotated[int, typer.Option(help="optimizer steps")] = 200,
    connection: Annotated[str, typer.Option(help="residual or cascade")] = "residual",
    norm_weight: Annotated[float, typer.Option(help="logit-norm penalty weight")] = 0.0,
    layers: Annotated[int, typer.Option(help="layers of the value network")] = 2,
    learning_rate: Annotated[float, typer.Option(help="AdamW learning rate")] = 1e-4,
) -> None:
    """Train a value network on the built-in demonstrations (train split)."""
    from steergraph.data.value_transfer import demonstrations
    from steergraph.training.recipes import trainable_name
    from steergraph.training.value_transfer_config import ValueTransferConfig
    from steergraph.training.value_transfer_trainer import train_value_network

    name = trainable_name(base)  # an API model is refused before anything is read
    ValueTransferConfig(output_dir=str(out), connection=connection, norm_weight=norm_weight,
                        value_layers=layers, use_cpu=True)  # fmt: skip
    data = [{k: r[k] for k in ("prompt", "completion")} for r in demonstrations("train", n=rows)]
    result = train_value_network(
        name, data, output_dir=out, base_name=name, connection=connection,
        norm_weight=norm_weight, value_layers=layers, max_steps=steps,
        learning_rate=learning_rate,
    )  # fmt: skip
    console.print(f"{result.summary()}; value network: {out}", highlight=False)


@value_app.command("evaluate")
def evaluate(
    folder: FolderArg,
    target: Annotated[list[str], typer.Option(help="target model(s) (repeatable)")],
    rows: Annotated[int, typer.Option(help="held-out rows scored")] = 40,
) -> None:
    """Held-out completion NLL of each target alone and with the value network."""
    from steergraph.agents.value_transfer.chat import value_alignment
    from steergraph.agents.value_transfer.evaluate import completion_nll
    from steergraph.data.value_transfer import demonstrations
    from steergraph.llm.engines.hf_weights import load_hf_model
    from steergraph.training.recipes import trainable_name
    from steergraph.training.value_transfer_trainer import load_value_network

    if rows < 1:
        raise InputError(f"--rows {rows}", fix="use 1 or more")
    value, meta = load_value_network(folder)
    names = [trainable_name(t) for t in target]
    test = demonstrations("test", n=rows)
    for spec, name in zip(target, names):
        model, tok, _ = load_hf_model(name)
        model = model.float().eval()
        alone = completion_nll(model, tok, test)
        joined = completion_nll(model, tok, test, value=value.float(),
                                connection=meta["connection"],
                                alignment=value_alignment(folder, meta, tok))  # fmt: skip
        print(json.dumps({"target": spec, "nll_alone": round(alone, 4),
                          "nll_with_value": round(joined, 4)}))  # fmt: skip


@value_app.command("chat")
def chat(
    folder: FolderArg,
    prompt: Annotated[str, typer.Argument(help="the user message")],
    target: Annotated[str, typer.Option(help="the decoding model (local spec)")] = "local",
    weight: Annotated[float, typer.Option(help="scale of the value logits")] = 1.0,
    max_new_tokens: Annotated[int, typer.Option(help="reply budget")] = 128,
) -> None:
    """Reply with ``target`` decoding through the value network."""
    from steergraph.agents.value_transfer import with_value_network
    from steergraph.llm.loading import load_chat_model
    from steergraph.training.recipes import trainable_name

    if not prompt.strip():
        raise InputError("the prompt is empty", fix="give a message")
    trainable_name(target)  # logits are needed: an API model is refused here
    llm = with_value_network(load_chat_model(target), folder, weight=weight)
    reply = llm.invoke(prompt, max_new_tokens=max_new_tokens)
    print(reply.content)


@value_app.command("bench")
def bench(
    quick: Annotated[bool, typer.Option(help="every step at a small size (<= 15 min)")] = False,
    family: Annotated[str, typer.Option(help="smollm2 (base = target) or qwen (0.5B -> "
                                             "0.5B, 1.5B)")] = "smollm2",
    out: Annotated[Path, typer.Option(help="folder for report.json, plot, models")] = Path(
        "value-transfer-bench"
    ),
) -> None:  # fmt: skip
    """Target alone vs + value networks vs proxy-tuning vs fine-tuned, held-out rows."""
    from steergraph.bench.value_transfer import ValueBenchConfig, run_value_bench
    from steergraph.bench.value_transfer_report import final_line, plot_nll, table_lines
    from steergraph.cli.common import report_bench

    make = ValueBenchConfig.quick if quick else ValueBenchConfig
    run = run_value_bench(make(family=family, out=out))
    report_bench(
        run,
        out,
        "value_transfer_bench.png",
        table_lines=table_lines,
        plot=plot_nll,
        final_line=final_line,
    )
