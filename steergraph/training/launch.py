"""TRL recipes as a script, for one process or many (``accelerate launch``).

The in-process recipes (:mod:`steergraph.training.recipes`) train the caller's model
object; a multi-process run instead starts N copies of this script, each loading the
model from a folder, and TRL's trainer (through ``accelerate``) wraps it in
DistributedDataParallel: gloo on CPU, NCCL on GPUs. (``accelerate launch --cpu`` starts
a single process, or MPI ranks; its ``--multi_gpu`` launcher, torchrun, is the one that
starts N local processes, and on a machine without GPUs they train on CPU over gloo.)
Rank 0 alone writes the model, the tokenizer and ``result.json`` (the fields of
:class:`~steergraph.training.recipes.TrainResult` plus ``world_size``), so a one-process
and a two-process run leave the same files. The dataset is a JSON-lines file in TRL's
formats (prompt/completion, ``messages`` or ``text``; preference rows for DPO).

Example (one process, then two CPU processes, then a GPU node with DeepSpeed)::

    $ python -m steergraph.training.launch sft --model MODEL_DIR --data rows.jsonl --out OUT
    $ accelerate launch --multi_gpu --num_processes 2 -m steergraph.training.launch sft \\
        --model MODEL_DIR --data rows.jsonl --out OUT --max-steps 8
    $ accelerate launch --num_processes 8 --use_deepspeed --zero_stage 2 \\
        -m steergraph.training.launch sft --model MODEL_DIR --data rows.jsonl --out OUT

    >>> parse_args(["sft", "--model", "m", "--data", "d.jsonl", "--out", "o"]).max_steps
    -1
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from steergraph.errors import InputError, SteergraphError

__all__ = ["RECIPES", "main", "parse_args", "run"]

RECIPES = ("sft", "dpo")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m steergraph.training.launch", description=__doc__.splitlines()[0]
    )
    parser.add_argument("recipe", choices=RECIPES)
    parser.add_argument("--model", required=True, help="a transformers model folder")
    parser.add_argument("--data", required=True, type=Path, help="JSON-lines dataset")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--max-steps", type=int, default=-1, help="optimizer steps (-1: epochs)")
    parser.add_argument("--batch-size", type=int, default=4, help="per process")
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def _rows(path: Path) -> list[dict[str, Any]]:
    from steergraph.data.jsonl import read_jsonl

    rows = [row for _, row in read_jsonl(path, what="training row")]
    if not rows:
        raise InputError(f"{path} holds no rows", fix="give a JSON-lines file with one row a line")
    return rows


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Train as ``args`` say; return the result record (written by rank 0 only)."""
    from steergraph.training.recipes import train_dpo, train_sft

    rows = _rows(args.data)
    config: dict[str, Any] = {
        "max_steps": args.max_steps,
        "per_device_train_batch_size": args.batch_size,
        "seed": args.seed,
        "disable_tqdm": True,
    }
    if args.learning_rate is not None:
        config["learning_rate"] = args.learning_rate
    recipe = {"sft": train_sft, "dpo": train_dpo}[args.recipe]
    result = recipe(args.model, rows, output_dir=args.out, **config)
    import torch.distributed as dist

    distributed = dist.is_available() and dist.is_initialized()
    record = {
        "recipe": args.recipe,
        "world_size": dist.get_world_size() if distributed else 1,
        "backend": str(dist.get_backend()) if distributed else None,
        "steps": result.steps,
        "train_seconds": round(result.train_seconds, 3),
        "losses": result.losses,
        "metrics": result.metrics,
        "output_dir": str(result.output_dir),
    }
    if int(os.environ.get("RANK", "0")) == 0:
        (args.out / "result.json").write_text(json.dumps(record, indent=2, default=str))
    return record


def main(argv: list[str] | None = None) -> None:
    """Entry point: one line and exit status 2 on a user error, as the CLI does."""
    import sys

    try:
        run(parse_args(argv))
    except SteergraphError as exc:
        print(f"error ({exc.code}): {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
