"""Measuring synthetic code: fidelity, novelty, privacy and whether it runs.

The tabular measures of :mod:`.evaluate` do not apply to a column of source text, so a
code table gets these, each comparing synthetic functions with real held-out ones:

* :func:`code_fidelity` -- ``ast_shapes``: sdmetrics' TV complement between the frequency
  of each syntax-node type (``For``, ``Compare``, ``ListComp``, ...) in the synthetic and
  in the real functions; ``length_shapes``: sdmetrics' KS complement of their line
  counts; both in [0, 1], 1 when the distributions match;
* :func:`novelty` -- ``distinct_rate`` (unique functions / functions) and ``copy_rate``
  (functions equal to a training function once blank space is ignored);
* :func:`code_dcr_ratio` -- the distance to the closest training function
  (1 - difflib's similarity ratio of the sources' token sequences; sdmetrics' DCR is for
  tabular rows)
  as a median over the synthetic functions, divided by the same median over the real
  held-out ones (>= 1: no closer to the training data than unseen real code);
* :func:`doctest_pass_rate` -- of the functions whose docstring shows examples
  (``>>> f(2)`` then ``4``, read as HumanEval's visible tests are), the share whose
  examples all pass when the function runs in the :class:`~steergraph.tools.Sandbox`:
  code that does what it says it does.

Example:
    >>> real = ["def f(x):\\n    return x + 1", "def g(xs):\\n    return [x for x in xs]"]
    >>> code_fidelity(real, real)
    {'ast_shapes': 1.0, 'length_shapes': 1.0}
    >>> novelty(["def f(x):\\n    return x+1", "def h():\\n    pass"], train=real)
    {'distinct_rate': 1.0, 'copy_rate': 0.5}
"""

from __future__ import annotations

import ast
import difflib
import re
import statistics
from collections.abc import Sequence
from typing import Any

from steergraph.agents.difflm.code_schema import function_names
from steergraph.errors import InputError

__all__ = ["code_dcr_ratio", "code_fidelity", "code_figures", "doctest_pass_rate", "novelty"]

#: names HumanEval's functions use without importing them in the row itself
_PRELUDE = "from typing import *\nimport math\n\n"


def _nonempty(texts: Sequence[str], what: str) -> list[str]:
    out = [str(t) for t in texts]
    if not out:
        raise InputError(f"no {what} functions to evaluate", fix="sample more rows")
    return out


def _node_types(text: str) -> list[str]:
    try:
        return [type(n).__name__ for n in ast.walk(ast.parse(text))]
    except (SyntaxError, ValueError):
        return []


def code_fidelity(real: Sequence[str], synthetic: Sequence[str]) -> dict[str, float]:
    """Syntax-node and length distributions of ``synthetic`` against ``real``."""
    import pandas as pd
    from sdmetrics.single_column import KSComplement, TVComplement

    real, synthetic = _nonempty(real, "real"), _nonempty(synthetic, "synthetic")
    nodes = [pd.Series([t for s in group for t in _node_types(s)]) for group in (real, synthetic)]
    lines = [pd.Series([s.count("\n") + 1 for s in group]) for group in (real, synthetic)]
    return {
        "ast_shapes": round(float(TVComplement.compute(nodes[0], nodes[1])), 4),
        "length_shapes": round(float(KSComplement.compute(lines[0], lines[1])), 4),
    }


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def novelty(synthetic: Sequence[str], *, train: Sequence[str]) -> dict[str, float]:
    """Share of distinct synthetic functions, and of copies of a training function."""
    synthetic = _nonempty(synthetic, "synthetic")
    seen = {_norm(t) for t in train}
    return {
        "distinct_rate": round(len({_norm(s) for s in synthetic}) / len(synthetic), 4),
        "copy_rate": round(sum(_norm(s) in seen for s in synthetic) / len(synthetic), 4),
    }


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", text)


def _closest(text: str, train: Sequence[list[str]]) -> float:
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(_tokens(text))
    best = 0.0
    for other in train:
        matcher.set_seq1(other)
        if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
            best = max(best, matcher.ratio())
    return 1.0 - best


def code_dcr_ratio(synthetic: Sequence[str], train: Sequence[str],
                   holdout: Sequence[str]) -> float:  # fmt: skip
    """Median distance to the closest training function, synthetic over real held-out."""
    train = [_tokens(t) for t in _nonempty(train, "training")]
    synth = statistics.median(_closest(s, train) for s in _nonempty(synthetic, "synthetic"))
    real = statistics.median(_closest(s, train) for s in _nonempty(holdout, "held-out"))
    return round(synth / real, 4) if real > 0 else float("inf")


def _entry_point(text: str) -> str | None:
    """The last top-level function, as HumanEval's entry point is (None: none parses)."""
    try:
        return function_names(text)[-1]
    except ValueError:
        return None


def doctest_pass_rate(texts: Sequence[str], *, sandbox: Any = None) -> dict[str, Any]:
    """``pass_rate`` over the functions with docstring examples (None when none has any),
    and ``with_examples``: their share of all functions."""
    from steergraph.asyncio_utils import run_sync
    from steergraph.data.verify.humaneval import docstring_tests, program_with_tests
    from steergraph.tools.sandbox import Sandbox

    texts = _nonempty(texts, "")
    programs = []
    for text in texts:
        name = _entry_point(text)
        tests = docstring_tests(text, name) if name else []
        if tests:
            programs.append(program_with_tests(_PRELUDE + text, tests))
    results = run_sync((sandbox or Sandbox()).arun_many(programs)) if programs else []
    return {
        "pass_rate": round(sum(r.ok for r in results) / len(results), 4) if results else None,
        "with_examples": round(len(programs) / len(texts), 4),
    }


def code_figures(synthetic: Sequence[str], train: Sequence[str], holdout: Sequence[str],
                 *, sandbox: Any = None) -> dict[str, Any]:  # fmt: skip
    """Every measure above for one set of synthetic functions (fidelity against the
    training functions, as the tables' column shapes are)."""
    return {
        **code_fidelity(train, synthetic),
        **novelty(synthetic, train=train),
        "dcr_ratio_vs_holdout": code_dcr_ratio(synthetic, train, holdout),
        "doctests": doctest_pass_rate(synthetic, sandbox=sandbox),
    }
