"""The SSO trainer: TRL's ``DPOTrainer`` with Self-Steering Optimization's loss.

Paper: Xiang et al., "Aligning Large Language Models via Self-Steering Optimization"
(arXiv 2410.17131). Each row of the dataset holds one steered query and three
on-policy replies (:func:`sso_dataset`, TRL's conversational format):

==================  =======================================================
column              content
==================  =======================================================
``prompt``          the plain prompt (the query alone)
``good_prompt``     the query under the good principles (system message)
``bad_prompt``      the query under the bad principles
``chosen``          ``y+``, sampled under the good principles
``rejected``        ``y-``, sampled under the bad principles
``neutral``         ``y0``, sampled under the plain prompt
==================  =======================================================

Each row becomes up to three preference pairs, tokenized by DPOTrainer's own
preparation (one pass per view) and stacked in one forward per batch:
``plain: y+ > y-``, ``good: y+ > y-``, ``bad: y0 > y+``. The loss (:class:`SSOConfig`):

* ``sso_variant="sso"``: ``L = L(plain) + W * G * (L(good) + L(bad))`` with
  ``W = sigmoid(-(a * m(y+) + (1 - a) * m(y-)))``, ``m`` the policy's mean token
  log-prob under the plain prompt: pairs the policy already finds unlikely weigh more;
* ``sso_variant="generator"``: ``L = L(good) + L(bad) - c * (m(y+|good) + m(y0|bad))``
  trains a data generator that follows principles more sharply (the plain pair is not
  built); the policy is then trained with plain DPO on pairs the generator samples.

``L(.)`` is DPO's sigmoid loss (or IPO) against the reference model (``ref_model``, else
a frozen copy of the policy as given, or the base model under a PEFT adapter). Everything else --
optimizers, PEFT/LoRA, logging, saving, distributed training -- is DPOTrainer's.
Written here because TRL has no multi-prompt preference loss: the reference
repository's trainer is a LLaMA-Factory fork, not a TRL trainer.

Example:
    >>> row = sso_row("Hi?", "Hello.", "Go away.", "Hey.", "Be kind.", "Be rude.")
    >>> [m["role"] for m in row["good_prompt"]], row["neutral"][0]["content"]
    (['system', 'user'], 'Hey.')
    >>> views_for("generator")
    ('good', 'bad')
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from accelerate.utils import is_peft_model
from datasets import Dataset
from trl import DPOTrainer
from trl.trainer.utils import use_adapter

from steergraph.agents.sso.rows import sso_row
from steergraph.errors import InputError
from steergraph.training.sso_config import SSOConfig

__all__ = ["SSO_COLUMNS", "SSOCollator", "SSOTrainer", "sso_dataset", "sso_row", "views_for"]

#: The columns of an SSO dataset.
SSO_COLUMNS = ("prompt", "good_prompt", "bad_prompt", "chosen", "rejected", "neutral")
#: view -> (prompt column, chosen column, rejected column)
_VIEWS: dict[str, tuple[str, str, str]] = {
    "plain": ("prompt", "chosen", "rejected"),
    "good": ("good_prompt", "chosen", "rejected"),
    "bad": ("bad_prompt", "neutral", "chosen"),
}


def views_for(variant: str) -> tuple[str, ...]:
    """The pairs a variant trains on: ``sso`` all three, ``generator`` good and bad."""
    return ("plain", "good", "bad") if variant == "sso" else ("good", "bad")


def sso_dataset(rows: Sequence[Mapping[str, Any]]) -> Dataset:
    """A ``datasets.Dataset`` of SSO rows (see :func:`sso_row`); checks the columns."""
    if not rows:
        raise InputError("the SSO dataset is empty", fix="keep at least one filtered pair")
    missing = [c for c in SSO_COLUMNS if c not in rows[0]]
    if missing:
        raise InputError(
            f"SSO rows need the column(s) {', '.join(missing)}",
            fix="build rows with steergraph.training.sso_trainer.sso_row",
        )
    return Dataset.from_list([{c: row[c] for c in SSO_COLUMNS} for row in rows])


@dataclass
class SSOCollator:
    """Stack each example's views into one preference batch for DPOTrainer's collator.

    The batch is ``[view 1 rows, view 2 rows, ...]`` for chosen, then the same for
    rejected, so the loss splits log-probs by ``chunk(2)`` and then ``chunk(len(views))``.
    """

    base: Callable[[list[dict[str, Any]]], dict[str, Any]]
    views: tuple[str, ...]

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        flat = [
            {
                "prompt_ids": ex[f"{v}_prompt_ids"],
                "chosen_ids": ex[f"{v}_chosen_ids"],
                "rejected_ids": ex[f"{v}_rejected_ids"],
            }
            for v in self.views
            for ex in examples
        ]
        return self.base(flat)


class SSOTrainer(DPOTrainer):
    """``DPOTrainer`` with the SSO loss over three steered pairs per row (module docstring)."""

    _tag_names: ClassVar[list[str]] = ["trl", "dpo", "sso", "steergraph"]
    _name = "SSO"

    def __init__(
        self, model: Any, ref_model: Any = None, args: SSOConfig | None = None, **kwargs: Any
    ):
        if not isinstance(args, SSOConfig):
            raise InputError(
                f"SSOTrainer needs an SSOConfig, got {type(args).__name__}",
                fix="pass args=SSOConfig(output_dir=...)",
            )
        self._views = views_for(args.sso_variant)
        self.sso_dropped_rows: dict[str, int] = {}
        if ref_model is None and kwargs.get("peft_config") is None and not is_peft_model(model):
            # TRL would reload the reference from config._name_or_path, which an in-memory
            # or already trained policy does not match: freeze a copy of it as given
            ref_model = copy.deepcopy(model).eval()
            ref_model.requires_grad_(False)
        super().__init__(model, ref_model=ref_model, args=args, **kwargs)
        self.data_collator = SSOCollator(self.data_collator, self._views)

    # ---------------------------------------------------------------- dataset
    def _prepare_dataset(self, dataset: Any, processing_class: Any, args: Any, dataset_name: str):
        if not isinstance(dataset, Dataset):
            raise InputError(
                f"the SSO {dataset_name} dataset is a {type(dataset).__name__}",
                fix="pass a datasets.Dataset (see sso_dataset)",
            )
        missing = [c for c in SSO_COLUMNS if c not in dataset.column_names]
        if missing:
            raise InputError(
                f"the SSO {dataset_name} dataset lacks the column(s) {', '.join(missing)}",
                fix="build it with steergraph.training.sso_trainer.sso_dataset",
            )
        if len(dataset) == 0:
            raise InputError(f"the SSO {dataset_name} dataset is empty", fix="give it rows")
        tokenized: dict[str, dict[int, dict[str, list[int]]]] = {}
        for view in self._views:
            p, c, r = _VIEWS[view]
            sub = Dataset.from_dict(
                {
                    "prompt": dataset[p],
                    "chosen": dataset[c],
                    "rejected": dataset[r],
                    "_row": list(range(len(dataset))),
                }
            )
            done = super()._prepare_dataset(sub, processing_class, args, f"{dataset_name}/{view}")
            tokenized[view] = {
                row["_row"]: {k: row[k] for k in ("prompt_ids", "chosen_ids", "rejected_ids")}
                for row in done
            }
        rows = sorted(set.intersection(*(set(t) for t in tokenized.values())))
        self.sso_dropped_rows[dataset_name] = len(dataset) - len(rows)
        if not rows:
            raise InputError(
                f"every row of the SSO {dataset_name} dataset has a prompt longer than "
                f"max_length={args.max_length}",
                fix="raise max_length or shorten the principles",
            )
        columns: dict[str, list[list[int]]] = {}
        for view in self._views:
            for key in ("prompt_ids", "chosen_ids", "rejected_ids"):
                columns[f"{view}_{key}"] = [tokenized[view][i][key] for i in rows]
        return Dataset.from_dict(columns)

    def _set_signature_columns_if_needed(self) -> None:
        if self._signature_columns is None:
            self._signature_columns = [
                f"{v}_{k}"
                for v in self._views
                for k in ("prompt_ids", "chosen_ids", "rejected_ids")
            ]

    # ------------------------------------------------------------------- loss
    def _sequence_logps(self, model: Any, inputs: dict[str, Any], ref: bool) -> tuple[Any, Any]:
        """(summed, mean) log-probs of every completion in the batch."""
        mask = inputs["completion_mask"][..., 1:]
        labels = inputs["input_ids"].masked_fill(inputs["completion_mask"] == 0, -100)
        kwargs = {
            "input_ids": inputs["input_ids"],
            "attention_mask": inputs["attention_mask"],
            "use_cache": False,
            "labels": labels,
            "fused_lm_head": True,
        }
        if ref:
            ctx: Any = contextlib.nullcontext()
            target = self.ref_model
            if target is None and is_peft_model(self.model):
                unwrapped = self.accelerator.unwrap_model(self.model)
                name = "ref" if "ref" in unwrapped.peft_config else None
                ctx, target = use_adapter(unwrapped, adapter_name=name), self.model
            with torch.no_grad(), ctx:
                per_token = target(**kwargs).log_probs
        else:
            per_token = model(**kwargs).log_probs
        per_token = per_token[:, -mask.size(1) :] * mask
        sums = per_token.sum(dim=1)
        return sums, sums / mask.sum(dim=1).clamp(min=1)

    def _pair_loss(self, lc: Any, lr: Any, rc: Any, rr: Any, nc: Any, nr: Any) -> Any:
        """Per-pair DPO (sigmoid) or IPO loss; ``n*`` are completion token counts."""
        total = 0.0
        for loss_type, weight in zip(self.loss_types, self.loss_weights, strict=True):
            if loss_type == "sigmoid":
                per = -F.logsigmoid(self.beta * ((lc - rc) - (lr - rr)))
            else:  # ipo, length-normalized as in TRL
                delta = (lc - rc) / nc - (lr - rr) / nr
                per = (delta - 1 / (2 * self.beta)) ** 2
            total = total + weight * per
        return total

    def _compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool):
        mode = "train" if self.model.training else "eval"
        args: SSOConfig = self.args  # type: ignore[assignment]
        sums, means = self._sequence_logps(model, inputs, ref=False)
        ref_sums, _ = self._sequence_logps(model, inputs, ref=True)
        counts = inputs["completion_mask"][..., 1:].sum(dim=1).clamp(min=1).to(sums.dtype)
        n = len(self._views)

        def split(t: Any) -> dict[str, tuple[Any, Any]]:
            chosen, rejected = t.chunk(2, dim=0)
            return {v: (c, r) for v, c, r in zip(self._views, chosen.chunk(n), rejected.chunk(n))}

        pol, ref, avg, cnt = split(sums), split(ref_sums), split(means), split(counts)
        losses = {
            v: self._pair_loss(pol[v][0], pol[v][1], ref[v][0], ref[v][1], cnt[v][0], cnt[v][1])
            for v in self._views
        }
        steered = losses["good"] + losses["bad"]
        metrics: dict[str, Any] = {}
        if args.sso_variant == "sso":
            weight = torch.sigmoid(
                -(args.sso_alpha * avg["plain"][0] + (1 - args.sso_alpha) * avg["plain"][1])
            )
            if args.sso_detach_weight:
                weight = weight.detach()
            if not args.sso_use_weight:
                weight = torch.ones_like(weight)
            per_row = losses["plain"] + weight * args.sso_gamma * steered
            metrics["sso/weight"] = weight.detach().mean()
        else:
            bonus = avg["good"][0] + avg["bad"][0]  # m(y+|good) + m(y0|bad)
            per_row = steered - args.generator_nll_coef * bonus
            metrics["sso/nll_bonus"] = bonus.detach().mean()
        loss = per_row.mean()
        for v in self._views:
            chosen_r = self.beta * (pol[v][0] - ref[v][0]).detach()
            rejected_r = self.beta * (pol[v][1] - ref[v][1]).detach()
            metrics[f"loss/{v}"] = losses[v].detach().mean()
            metrics[f"rewards/{v}_accuracies"] = (chosen_r > rejected_r).float().mean()
            metrics[f"rewards/{v}_margins"] = (chosen_r - rejected_r).mean()
            metrics[f"logps/{v}_chosen"] = avg[v][0].detach().mean()
            metrics[f"logps/{v}_rejected"] = avg[v][1].detach().mean()
        for key, value in metrics.items():
            self._metrics[mode][key].append(
                self.accelerator.gather_for_metrics(value).mean().item()
            )
        if mode == "train":
            tokens = self.accelerator.gather_for_metrics(inputs["attention_mask"].sum()).sum()
            self._total_train_tokens += int(tokens.item())
        self._metrics[mode]["num_tokens"] = [self._total_train_tokens]
        if return_outputs:
            return loss, {"per_row_loss": per_row.detach()}
        return loss
