"""LLM roles used as graph nodes (prompt + parser + call; no LangGraph inside), one
package per method:

* :mod:`.catp` -- the cost-aware tool planner and the planners it is compared with;
* :mod:`.verify` -- verifiers (rules, code in the sandbox, reward model, LLM judge,
  composites) and search strategies (best-of-N, refinement, beam search, MCTS);
* :mod:`.structrag` -- router, structurizers (table, graph, algorithm, catalogue,
  chunks), utilizer, and the chunk-RAG / long-context baselines;
* :mod:`.sso` -- principles, steering, on-policy sampling, the four filters, evaluation;
* :mod:`.calls` -- batched and concurrent model calls every role shares.

Example:
    >>> from steergraph.agents.verify import ExactMatch, Problem
    >>> ExactMatch().verify(Problem(prompt="2+2?", answer="4"), "4").passed
    True
"""

__all__ = ["calls", "catp", "sso", "structrag", "verify"]
