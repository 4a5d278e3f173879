"""pass@1 of a code model on executable Python problems (the issue's "and pass@1 on a few
executable Python problems if the model gets any right"): each HumanEval prompt (signature
and docstring) is completed greedily as plain text, the completion is cut where the
function ends (the first line that starts at column 0), and the program runs against the
problem's hidden tests in the sandbox (:class:`~steergraph.agents.verify.code.
CodeTestVerifier`). A tiny model trained for minutes is expected to pass none; the figure
is there to show when one does.

Example (a cut completion keeps only the function's body):
    >>> cut_function("    return a + b\\n\\nprint(add(1, 2))\\n")
    '    return a + b\\n'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["cut_function", "python_pass1"]


def cut_function(completion: str) -> str:
    """The completion up to the first non-blank line that starts at column 0."""
    kept = []
    for line in completion.splitlines(keepends=True):
        if line.strip() and not line[0].isspace():
            break
        kept.append(line)
    return "".join(kept).rstrip() + "\n"


def python_pass1(
    model: Any, tok: Any, problems: Sequence[Any], *, max_new_tokens: int = 128
) -> dict[str, Any]:
    """Greedy pass@1 of a transformers causal LM over ``problems`` (HumanEval ``Problem``s):
    ``{"problems": n, "passed": k, "pass1": k / n}``."""
    import torch

    from steergraph.agents.verify.code import CodeTestVerifier

    verifier = CodeTestVerifier(tests="hidden")
    passed = 0
    model.eval()
    for problem in problems:
        ids = tok(problem.prompt, return_tensors="pt", add_special_tokens=False)["input_ids"]
        pad = tok.pad_token_id or tok.eos_token_id or 0
        with torch.inference_mode():
            out = model.generate(ids, max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=pad)  # fmt: skip
        completion = tok.decode(out[0, ids.shape[1] :], skip_special_tokens=True)
        program = problem.prompt + cut_function(completion)
        passed += bool(verifier.verify(problem, program).passed)
    n = len(problems)
    return {"problems": n, "passed": passed, "pass1": round(passed / n, 4) if n else None}
