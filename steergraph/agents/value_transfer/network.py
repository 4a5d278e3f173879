"""Reading a trained value network's folder (written by
:func:`steergraph.training.value_transfer_trainer.train_value_network`): the weights, a
causal LM transformers loads, and :data:`META_FILE`, the record of how it was trained.

Example:
    >>> import tempfile
    >>> try:
    ...     load_value_network(tempfile.mkdtemp())
    ... except Exception as exc:
    ...     print(type(exc).__name__, "no value_transfer.json" in str(exc))
    InputError True
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from steergraph.errors import InputError

__all__ = ["META_FILE", "load_value_network"]

#: what a trained value network's folder records besides the weights
META_FILE = "value_transfer.json"


def load_value_network(folder: str | Path) -> tuple[Any, dict[str, Any]]:
    """(value network, its record) from a folder written by ``train_value_network``."""
    from transformers import AutoModelForCausalLM

    path = Path(folder)
    if not (path / META_FILE).is_file():
        raise InputError(
            f"'{path}' holds no value network (no {META_FILE})",
            fix="pass the output_dir of train_value_network / `steergraph value train`",
        )
    meta = json.loads((path / META_FILE).read_text())
    model = AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True)
    return model.eval(), meta
