"""GReaT as a DiffLM baseline: the same small LLM fine-tuned on rows written as text.

GReaT (Borisov et al., ICLR 2023) writes each training row as ``"col is value, ..."`` in a
random column order, fine-tunes the whole decoder on these sentences, and samples rows by
starting from one column's value, dropping text that does not parse. DiffLM keeps its
decoder frozen and injects a latent instead; running GReaT on the *same* decoder (the
embedded model's transformers folder, or Qwen2.5-Coder's with ``--decoder``) separates
what the latent-diffusion design buys from what the model knows.

The ``be-great`` package (MIT) does the fitting and sampling; this module is only the glue:
the decoder's folder, CPU settings, a seed, and the same reading and check DiffLM's rows
get (a category never seen in training, a number of the wrong form, or one outside the
training range is counted as unseen and rejected by the schema's ``Column.read`` and
``Column.check``), so both are measured on the rows a user would keep. GReaT's own parse
failures are not counted by the package; only the rows it returns are.

On 2 CPU cores one epoch over ISLP Wage's 2,400 training rows is about 300 optimizer
steps of the 135M decoder (minutes, not the paper's GPU-hours), so the defaults train one
epoch and ``quick`` one epoch over 256 rows: GReaT here is under-trained relative to the
paper, and the report says how many rows and epochs it had.

Example:
    >>> GreatSettings().epochs, GreatSettings.quick().max_rows
    (1, 256)
    >>> import pandas as pd
    >>> from steergraph.agents.difflm.schema import TableSchema
    >>> train = pd.DataFrame({"k": ["a", "b"] * 10, "x": [i / 2 for i in range(20)]})
    >>> rows = pd.DataFrame({"k": ["a", "zzz", "b"], "x": ["1.5", "1.0", "12"]})
    >>> kept, rejected = keep_seen(rows, TableSchema.infer(train))
    >>> kept.to_dict("records"), rejected
    ([{'k': 'a', 'x': 1.5}], 2)
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["GreatSettings", "great_available", "great_rows", "keep_seen"]


@dataclass(frozen=True)
class GreatSettings:
    """How GReaT is fitted and sampled (see the module docstring for the sizes)."""

    epochs: int = 1
    max_rows: int | None = None  # training rows used (None: all)
    batch_size: int = 8
    learning_rate: float = 5e-5  # transformers' default, which GReaT keeps
    temperature: float = 0.7
    max_length: int = 160  # tokens per sampled row, prompt included
    sample_batch: int = 32

    @classmethod
    def quick(cls) -> GreatSettings:
        """One epoch over 256 training rows."""
        return cls(epochs=1, max_rows=256)


def great_available() -> bool:
    """Whether the optional ``be-great`` package is installed."""
    return importlib.util.find_spec("be_great") is not None


def _decoder_folder(decoder: str) -> str:
    from steergraph.llm.embedded import model_folder
    from steergraph.training.recipes import trainable_name

    return str(model_folder(trainable_name(decoder)))


def _cell(value: Any, col: Any) -> Any:
    """One sampled cell read and checked as DiffLM's rows are (:meth:`Column.read`,
    :meth:`Column.check`), or None when it is unseen or unreadable. GReaT hands numeric
    columns back as floats, so a whole ``2006.0`` is read as ``2006``."""
    text = str(value).strip()
    if col.kind == "integer" or col.integer_levels:
        try:
            number = float(text)
        except ValueError:
            return None
        text = str(int(number)) if number.is_integer() else text
    try:
        typed = col.read(text)
    except ValueError:
        return None
    return None if col.check(typed) else typed


def keep_seen(rows: Any, schema: Any, reasons: dict[str, int] | None = None) -> tuple[Any, int]:
    """The sampled rows whose every cell is a training category or an in-range number,
    typed by the schema, and how many rows were rejected; ``reasons`` (when given) counts
    each rejected row under its first failing column."""
    import pandas as pd

    kept = []
    for record in rows.to_dict("records"):
        cells = {c.name: _cell(record.get(c.name), c) for c in schema.columns}
        bad = next((name for name, v in cells.items() if v is None), None)
        if bad is None:
            kept.append(cells)
        elif reasons is not None:
            reasons[bad] = reasons.get(bad, 0) + 1
    frame = pd.DataFrame(kept, columns=[c.name for c in schema.columns])
    return frame, len(rows) - len(kept)


def great_rows(
    train: Any,
    schema: Any,
    *,
    decoder: str,
    n: int,
    settings: GreatSettings,
    workdir: Path,
    seed: int = 0,
) -> tuple[Any, dict[str, Any]] | None:
    """Fit GReaT on ``train`` with ``decoder``'s weights, sample ``n`` rows, keep the seen
    ones; None when be-great is not installed."""
    if not great_available():
        return None
    from be_great import GReaT
    from transformers import set_seed

    started = time.perf_counter()
    data = train[[c.name for c in schema.columns]]
    if settings.max_rows is not None and len(data) > settings.max_rows:
        data = data.sample(settings.max_rows, random_state=seed)
    set_seed(seed)
    model = GReaT(
        _decoder_folder(decoder), experiment_dir=str(workdir), epochs=settings.epochs,
        batch_size=settings.batch_size, learning_rate=settings.learning_rate, use_cpu=True,
        save_strategy="no", seed=seed, logging_steps=10,
    )  # fmt: skip
    model.model = model.model.float()
    model.fit(data)
    fitted = time.perf_counter() - started
    set_seed(seed)
    sampled = model.sample(n, k=min(n, settings.sample_batch), max_length=settings.max_length,
                           temperature=settings.temperature, device="cpu")  # fmt: skip
    Path(workdir).mkdir(parents=True, exist_ok=True)
    sampled.to_csv(Path(workdir) / "sampled.csv", index=False)  # as GReaT returned them
    reasons: dict[str, int] = {}
    kept, rejected = keep_seen(sampled, schema, reasons)
    return kept, {
        "requested": n, "returned": len(sampled), "kept": len(kept),
        "rejected_unseen": rejected, "rejected_by_column": reasons,
        "train_rows": len(data), "epochs": settings.epochs,
        "fit_seconds": round(fitted, 1),
        "sample_seconds": round(time.perf_counter() - started - fitted, 1),
    }  # fmt: skip
