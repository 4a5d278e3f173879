"""Shared fixtures: tiny models for fast tests, the embedded model for e2e tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_llm():
    from steergraph.testing import tiny_chat_model

    return tiny_chat_model(seed=0, max_new_tokens=24)


@pytest.fixture(scope="session")
def smollm():
    from steergraph.llm import load_chat_model

    return load_chat_model("local")
