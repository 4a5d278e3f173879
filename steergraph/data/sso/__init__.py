"""Data of the ``sso`` method: the prompt sets SSO steers (built-in train/eval splits from
the committed corpus, or a user's file; :mod:`~steergraph.data.sso.prompts`)."""

from steergraph.data.sso.prompts import load_prompts, sso_prompts

__all__ = ["load_prompts", "sso_prompts"]
