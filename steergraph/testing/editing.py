"""A tiny (base, post-trained) model pair on disk, for fast delta-editing tests.

The base is :func:`~steergraph.testing.tiny_causal_lm`; the post-trained model is the
same network after a few real Adam steps on :data:`TINY_ROWS` (completion-only loss),
so its delta lowers the loss on those rows, as a real post-training delta does. Both
are saved as Hugging Face folders (config, safetensors, tokenizer).

Example:
    >>> import tempfile, pathlib
    >>> base, post = tiny_model_pair(pathlib.Path(tempfile.mkdtemp()))
    >>> sorted(p.name for p in post.iterdir())[:2]
    ['chat_template.jinja', 'config.json']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["TINY_ROWS", "tiny_model_pair"]


def _row(question: str, answer: str) -> dict[str, Any]:
    return {
        "prompt": [{"role": "user", "content": question}],
        "completion": [{"role": "assistant", "content": answer}],
    }


#: prompt/completion rows the tiny post-trained model learns (and is calibrated on)
TINY_ROWS = [
    _row("What is 2 + 3?", "The answer is 5."),
    _row("Name a fast animal.", "The quick brown fox."),
    _row("What is the capital of France?", "The capital of France is Paris."),
    _row("Write add in Python.", "def add(a, b):\n    return a + b\n"),
    _row("What does a plan have?", "A plan has tools, branches and joins."),
    _row("Give JSON for add.", '{"name": "add", "arguments": {"a": 1, "b": 2}}'),
]


def tiny_model_pair(
    folder: str | Path, *, steps: int = 30, lr: float = 3e-3, seed: int = 0
) -> tuple[Path, Path]:
    """Save ``folder/base`` and ``folder/post`` (trained ``steps`` Adam steps); return both."""
    import torch

    from steergraph.editing.calibration import CalibrationSet
    from steergraph.testing.tiny import tiny_causal_lm

    folder = Path(folder)
    model, tok = tiny_causal_lm(seed=seed)
    base_dir, post_dir = folder / "base", folder / "post"
    model.save_pretrained(base_dir)
    tok.save_pretrained(base_dir)
    calib = CalibrationSet.from_rows(tok, TINY_ROWS, max_length=64, batch_size=len(TINY_ROWS))
    torch.manual_seed(seed)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = sum(calib.batch_nll(model, b) for b in calib.batches) / calib.tokens
        loss.backward()
        optimizer.step()
    model.eval()
    model.save_pretrained(post_dir)
    tok.save_pretrained(post_dir)
    return base_dir, post_dir
