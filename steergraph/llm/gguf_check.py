"""Check a GGUF export against the transformers model it came from.

For each prompt: greedy continuations on both engines (must be equal), and the
log-probs both engines give the transformers continuation's tokens (the largest
absolute difference is reported and compared with a stated tolerance per dtype).

Example:
    >>> from steergraph.llm.gguf_check import TOLERANCE
    >>> TOLERANCE["f32"] <= TOLERANCE["q8_0"]
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_CHECK_PROMPTS", "TOLERANCE", "ExportCheck", "check_export"]

# max |log p_gguf - log p_hf| per token allowed, by export dtype (measured on SmolLM2 and
# Gemma 3 270M: f32 <= 0.024, f16 <= 0.008 on the default prompts)
TOLERANCE = {"f32": 0.05, "f16": 0.1, "q8_0": 0.5}
DEFAULT_CHECK_PROMPTS = (
    "What is the capital of France?",
    "Write a haiku about rain.",
    "List three colors.",
    "Explain gravity in one sentence.",
    "What is 12 times 7?",
    "Name a famous painter.",
)


@dataclass
class ExportCheck:
    """Per-prompt agreement of the GGUF export with the transformers model."""

    dtype: str
    tolerance: float
    greedy_equal: list[bool] = field(default_factory=list)
    max_abs_logprob_diff: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """All greedy continuations equal and every log-prob within tolerance."""
        return all(self.greedy_equal) and max(self.max_abs_logprob_diff, default=0) <= (
            self.tolerance
        )

    def summary(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        return {
            "dtype": self.dtype,
            "prompts": len(self.greedy_equal),
            "greedy_equal": sum(self.greedy_equal),
            "max_abs_logprob_diff": round(max(self.max_abs_logprob_diff, default=0.0), 5),
            "tolerance": self.tolerance,
            "ok": self.ok,
        }


def check_export(
    model: Any,
    tokenizer: Any,
    gguf_path: str | Path,
    *,
    dtype: str = "f16",
    prompts: tuple[str, ...] | list[str] = DEFAULT_CHECK_PROMPTS,
    max_new_tokens: int = 24,
) -> ExportCheck:
    """Compare greedy text and token log-probs of ``gguf_path`` with ``model``."""
    from steergraph.llm.engines.hf import HFEngine
    from steergraph.llm.engines.llamacpp import LlamaCppEngine
    from steergraph.llm.prompting import render_prompt

    hf = HFEngine(model, tokenizer)
    gguf = LlamaCppEngine(gguf_path, tokenizer, n_ctx=2048, n_seq_max=4)
    report = ExportCheck(dtype=dtype, tolerance=TOLERANCE.get(dtype, 0.5))
    for question in prompts:
        prompt = render_prompt(tokenizer, [{"role": "user", "content": question}])
        ours = hf.generate([prompt], max_new_tokens=max_new_tokens)[0].texts[0]
        theirs = gguf.generate([prompt], max_new_tokens=max_new_tokens)[0].texts[0]
        report.greedy_equal.append(ours == theirs)
        a = hf.score(prompt, [ours])[0].logprobs
        b = gguf.score(prompt, [ours])[0].logprobs
        report.max_abs_logprob_diff.append(max((abs(x - y) for x, y in zip(a, b)), default=0.0))
    gguf.runtime.close()
    return report
