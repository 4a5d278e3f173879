"""Seg2Act benchmark: rules vs the untrained model vs the trained model, with and without
the global context, on held-out installed manuals.

One run: a train/test split by document (:func:`~steergraph.data.seg2act.corpus_split`);
the rule baseline (:func:`~steergraph.agents.seg2act.rules.rule_actions`); the base model
through the Seg2Act graph, untrained; the base model trained with TRL's SFT on the
training documents' windows (:func:`~steergraph.training.seg2act.train_seg2act`), served
through llama.cpp after a GGUF export, with the global context; the same trained without
the global context (the paper's ablation: trained and run without it). Each system is
scored per test document (:mod:`steergraph.bench.seg2act_eval`) and averaged; the model
systems also report segments per second and repairs (lines that were no action, levels
that skipped one).

Example (the rule baseline alone, no model):
    >>> from steergraph.data.seg2act import corpus_split
    >>> docs = corpus_split(train=0, test=2, max_segments=40, seed=1)["test"]
    >>> figures = run_system("rules", docs, None, Seg2ActBenchConfig.quick())
    >>> 0.0 < figures["scores"]["heading_f1"] <= 1.0, figures["documents"]
    (True, 2)
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from steergraph.errors import InputError

__all__ = ["SYSTEMS", "Seg2ActBenchConfig", "run_seg2act_bench", "run_system", "structure"]

#: the systems compared, in report order
SYSTEMS = ("rules", "untrained", "trained", "trained_no_context")


@dataclass
class Seg2ActBenchConfig:
    """Sizes of one run; :meth:`quick` is the <= 15 minute one."""

    model: str = "local"
    train_docs: int = 64
    test_docs: int = 16
    max_segments: int = 100
    window: int = 3
    stride: int = 1
    max_steps: int = 300
    learning_rate: float = 1e-4
    batch_size: int = 4
    max_length: int = 512
    seed: int = 0
    kinds: tuple[str, ...] = ("man", "info")  # document sources (data.seg2act.find_sources)
    out: Path = field(default_factory=lambda: Path("seg2act-bench"))

    @classmethod
    def quick(cls, **overrides: Any) -> Seg2ActBenchConfig:
        """A run within 15 minutes on 2 CPU cores with the embedded model."""
        small = {"train_docs": 24, "test_docs": 5, "max_segments": 50, "max_steps": 20}
        return cls(**{**small, **overrides})

    def check(self) -> None:
        """Refuse sizes that cannot run."""
        if self.train_docs < 1 or self.test_docs < 1:
            raise InputError(
                f"train_docs={self.train_docs}, test_docs={self.test_docs}",
                fix="use at least one document in each split",
            )
        if self.max_steps < 1 or self.learning_rate <= 0:
            raise InputError(
                f"max_steps={self.max_steps}, learning_rate={self.learning_rate}",
                fix="use max_steps >= 1 and a positive learning rate",
            )
        if not self.kinds or set(self.kinds) - {"man", "info", "readme"}:
            raise InputError(f"document sources {self.kinds}", fix="name some of man, info, readme")


def structure(doc: Any, model: Any, cfg: Seg2ActBenchConfig, *, context: bool) -> dict[str, Any]:
    """Run the Seg2Act graph on one document's segments with ``model``."""
    from steergraph.graphs.seg2act import Seg2ActContext, build_seg2act_graph

    ctx = Seg2ActContext(model=model, window=cfg.window, stride=cfg.stride, context=context)
    limit = 10 + len(doc.segments) // max(1, ctx.windows_per_step * cfg.stride)
    return build_seg2act_graph().invoke(
        {"segments": doc.segments}, context=ctx, config={"recursion_limit": limit}
    )


def run_system(
    name: str, docs: list[Any], model: Any, cfg: Seg2ActBenchConfig, *, context: bool = True
) -> dict[str, Any]:
    """Mean scores of one system over ``docs`` (``model`` None for the rules)."""
    from tqdm.auto import tqdm

    from steergraph.agents.seg2act import DocTree
    from steergraph.agents.seg2act.rules import rule_actions
    from steergraph.bench.seg2act_eval import mean_scores, score_tree

    scores, repairs, segments = [], 0, 0
    started = time.perf_counter()
    for doc in tqdm(docs, desc=f"seg2act {name}", leave=False):
        if model is None:
            root = DocTree.build(rule_actions(doc.segments), doc.segments).root
        else:
            out = structure(doc, model, cfg, context=context)
            root = DocTree.build(out["actions"], out["segments"]).root
            repairs += len(out["repairs"])
        scores.append(score_tree(root, doc.tree))
        segments += len(doc.segments)
    seconds = time.perf_counter() - started
    return {
        "scores": mean_scores(scores),
        "documents": len(docs),
        "segments": segments,
        "repairs": repairs,
        "seconds": round(seconds, 2),
        "segments_per_s": round(segments / seconds, 2) if seconds else None,
    }


def _train(cfg: Seg2ActBenchConfig, docs: list[Any], context: bool) -> tuple[Any, dict]:
    from steergraph.training.recipes import policy_from
    from steergraph.training.seg2act import train_seg2act

    folder = cfg.out / ("trained" if context else "trained_no_context")
    result = train_seg2act(
        cfg.model, docs, output_dir=folder, window=cfg.window, stride=cfg.stride,
        context=context, max_steps=cfg.max_steps, learning_rate=cfg.learning_rate,
        per_device_train_batch_size=cfg.batch_size, max_length=cfg.max_length,
        seed=cfg.seed, lr_scheduler_type="constant",
    )  # fmt: skip
    losses = result.losses
    record = {
        "steps": result.steps,
        "train_seconds": round(result.train_seconds, 1),
        "loss_first": losses[0] if losses else None,
        "loss_last": losses[-1] if losses else None,
        "folder": str(folder),
    }
    return policy_from(folder, max_new_tokens=32), record


def run_seg2act_bench(cfg: Seg2ActBenchConfig) -> dict[str, Any]:
    """Every system of :data:`SYSTEMS` on the test split; see the module docstring."""
    from steergraph.data.seg2act import corpus_split
    from steergraph.llm.loading import load_chat_model

    cfg.check()
    started = time.perf_counter()
    split = corpus_split(train=cfg.train_docs, test=cfg.test_docs, seed=cfg.seed,
                         max_segments=cfg.max_segments, kinds=cfg.kinds)  # fmt: skip
    test = split["test"]
    systems: dict[str, Any] = {"rules": run_system("rules", test, None, cfg)}
    systems["untrained"] = run_system("untrained", test, load_chat_model(cfg.model), cfg)
    training: dict[str, Any] = {}
    for name, context in (("trained", True), ("trained_no_context", False)):
        policy, training[name] = _train(cfg, split["train"], context)
        systems[name] = run_system(name, test, policy, cfg, context=context)
    return {
        "config": {**asdict(replace(cfg, out=Path(cfg.out))), "out": str(cfg.out)},
        "test_documents": [d.name for d in test],
        "train_documents": len(split["train"]),
        "systems": systems,
        "training": training,
        "seconds": round(time.perf_counter() - started, 1),
    }
