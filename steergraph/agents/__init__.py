"""LLM roles used as graph nodes (prompt + parser + call; no LangGraph inside).

Method issues add one module per role here (planner, router, structurizers, verifiers, ...).
"""
