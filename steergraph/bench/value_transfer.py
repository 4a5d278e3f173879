"""Value-network transfer benchmark: what a value network trained on one base gives other
models, against the target alone, proxy-tuning and the target fine-tuned (the upper bound).

One run, in one process:

1. value networks trained on the base with the built-in demonstrations
   (:mod:`steergraph.data.value_transfer`): residual, cascade, residual with the
   logit-norm penalty (the graph, :mod:`steergraph.graphs.value_transfer`);
2. each target fine-tuned with TRL's SFT on the same demonstrations (same steps);
3. per target, on held-out rows: completion NLL alone, + each value network,
   proxy-tuning (the base fine-tuned minus the base), fine-tuned; arithmetic exact match
   by greedy decoding alone, + the residual value network, fine-tuned; greedy decode
   speed with and without the value network.

The families: ``smollm2`` (base and target SmolLM2-135M: transfer to itself, the sanity
check, and Gemma 3 270M: another vocabulary, through the token alignment of
:mod:`steergraph.agents.value_transfer.alignment`), ``qwen`` (base Qwen2.5-Coder-0.5B,
targets the 0.5B and the 1.5B: the same family at another size). Across vocabularies only
the residual connection applies (cascade reads the base's distribution) and proxy-tuning
is not run (its two models share the base's vocabulary).

Example:
    >>> cfg = ValueBenchConfig.quick()
    >>> cfg.base, cfg.targets, cfg.steps
    ('smollm2', ('smollm2', 'gemma3'), 24)
    >>> ValueBenchConfig.quick(family="qwen").targets
    ('qwen-coder-0.5b', 'qwen-coder-1.5b')
"""

from __future__ import annotations

import contextlib
import io
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from steergraph.errors import InputError

__all__ = ["FAMILIES", "ValueBenchConfig", "arithmetic_accuracy", "run_value_bench"]

#: family -> (base the value networks learn on, targets they are attached to)
FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "smollm2": ("smollm2", ("smollm2", "gemma3")),
    "qwen": ("qwen-coder-0.5b", ("qwen-coder-0.5b", "qwen-coder-1.5b")),
}
VARIANTS = {
    "residual": {"connection": "residual"},
    "cascade": {"connection": "cascade"},
    "residual_norm": {"connection": "residual", "norm_weight": 0.05},
}


@dataclass
class ValueBenchConfig:
    """Sizes of one run; :meth:`quick` is the <= 15 minute one."""

    family: str = "smollm2"
    train_rows: int = 400
    test_rows: int = 60
    arithmetic: int = 30
    steps: int = 200
    batch_size: int = 4
    learning_rate: float = 1e-4  # the targets' fine-tuning (the upper bound)
    #: the value networks' (their output layer starts at zero: a larger step than SFT's)
    value_learning_rate: float = 1e-3
    max_length: int = 384
    out: Path = field(default_factory=lambda: Path("value-transfer-bench"))
    models: tuple[str, tuple[str, ...]] | None = None  # (base, targets) instead of a family

    @classmethod
    def quick(cls, **overrides: Any) -> ValueBenchConfig:
        """A run within 15 minutes on 2 CPU cores (SmolLM2)."""
        small = {"train_rows": 64, "test_rows": 16, "arithmetic": 8, "steps": 24,
                 "batch_size": 2, "max_length": 256}  # fmt: skip
        return cls(**{**small, **overrides})

    @property
    def base(self) -> str:
        """The model the value networks are trained on."""
        return (self.models or FAMILIES[self.family])[0]

    @property
    def targets(self) -> tuple[str, ...]:
        """The models the value networks are attached to."""
        return tuple((self.models or FAMILIES[self.family])[1])

    def check(self) -> None:
        """Refuse what cannot run."""
        if self.models is None and self.family not in FAMILIES:
            raise InputError(f"unknown family {self.family!r}",
                             fix=f"use one of {', '.join(FAMILIES)}")  # fmt: skip
        if min(self.train_rows, self.test_rows, self.arithmetic, self.steps) < 1:
            raise InputError("a size below 1", fix="use train/test rows, arithmetic, steps >= 1")


def arithmetic_accuracy(chat: Any, rows: list[dict[str, Any]], processors: list[Any]) -> dict:
    """Greedy exact match on arithmetic rows and decode speed (new tokens per second)."""
    from steergraph.data.verify.arithmetic import extract_number

    right, tokens, started = 0, 0, time.perf_counter()
    for row in rows:
        reply = chat.invoke(row["prompt"][0]["content"], logits_processors=processors or None,
                            max_new_tokens=48)  # fmt: skip
        right += extract_number(str(reply.content)) == row["answer"]
        tokens += (reply.usage_metadata or {}).get("output_tokens", 0)
    seconds = time.perf_counter() - started
    return {"accuracy": round(right / len(rows), 4), "tok_s": round(tokens / seconds, 2)}


def _fine_tune(cfg: ValueBenchConfig, name: str, rows: list[dict[str, Any]]) -> Path:
    from steergraph.training.recipes import train_sft

    out = cfg.out / f"fine-tuned-{name}"
    if not (out / "config.json").is_file():
        with contextlib.redirect_stdout(io.StringIO()):
            train_sft(
                name, rows, output_dir=out, max_steps=cfg.steps, learning_rate=cfg.learning_rate,
                per_device_train_batch_size=cfg.batch_size, max_length=cfg.max_length,
                lr_scheduler_type="constant", disable_tqdm=True,
            )  # fmt: skip
    return out


def run_value_bench(cfg: ValueBenchConfig) -> dict[str, Any]:
    """Every measurement of the module docstring; see :mod:`.value_transfer_report`."""
    from steergraph.agents.value_transfer import ValueLogitsProcessor
    from steergraph.agents.value_transfer.alignment import alignment_for
    from steergraph.agents.value_transfer.evaluate import completion_nll
    from steergraph.data.value_transfer import arithmetic_rows, demonstrations
    from steergraph.graphs.value_transfer import ValueTransferContext, build_value_transfer_graph
    from steergraph.llm.engines.hf_weights import load_hf_model
    from steergraph.llm.local import LocalChatModel
    from steergraph.training.value_transfer_trainer import load_value_network

    cfg.check()
    started = time.perf_counter()
    strip = lambda rows: [{k: r[k] for k in ("prompt", "completion")} for r in rows]  # noqa: E731
    train = strip(demonstrations("train", n=cfg.train_rows))
    test = strip(demonstrations("test", n=cfg.test_rows))
    arith = arithmetic_rows("test", cfg.arithmetic)
    tuned = {name: _fine_tune(cfg, name, train) for name in dict.fromkeys([cfg.base, *cfg.targets])}
    ctx = ValueTransferContext(
        base=cfg.base, workdir=str(cfg.out / "value"), variants=VARIANTS,
        proxy=(str(tuned[cfg.base]), cfg.base), max_length=cfg.max_length,
        train={"max_steps": cfg.steps, "per_device_train_batch_size": cfg.batch_size,
               "learning_rate": cfg.value_learning_rate},
    )  # fmt: skip
    graph_out = build_value_transfer_graph().invoke(
        {"train_rows": train, "test_rows": test, "targets": list(cfg.targets)}, context=ctx
    )
    folder = graph_out["trained"]["residual"]
    value, meta = load_value_network(folder)
    value = value.float()
    results = {}
    for row in graph_out["results"]:
        name = row["target"]
        ft, tok, _ = load_hf_model(str(tuned[name]))
        tuned_nll = completion_nll(ft.float(), tok, test, max_length=cfg.max_length)
        nll = {**row["nll"], "fine_tuned": round(tuned_nll, 4)}
        model, tok, _ = load_hf_model(name)
        chat = LocalChatModel.from_model(model.float().eval(), tok, temperature=0.0)
        alignment = alignment_for(folder, tok)
        proc = ValueLogitsProcessor(value, connection=meta["connection"], alignment=alignment)
        task = {
            "alone": arithmetic_accuracy(chat, arith, []),
            "residual": arithmetic_accuracy(chat, arith, [proc]),
            "fine_tuned": arithmetic_accuracy(
                LocalChatModel.from_model(ft.float().eval(), tok, temperature=0.0), arith, []),
        }  # fmt: skip
        results[name] = {"nll": nll, "arithmetic": task} | {
            k: row[k]
            for k in ("cross_vocabulary", "alignment_coverage", "alignment_exact_coverage")
            if k in row
        }
    return {
        "config": {**asdict(cfg), "out": str(cfg.out)},
        "base": cfg.base,
        "results": results,
        "seconds": round(time.perf_counter() - started, 1),
    }
