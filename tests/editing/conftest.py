"""A tiny (base, post-trained) pair on disk, shared by the editing tests."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_pair(tmp_path_factory):
    from steergraph.testing import tiny_model_pair

    return tiny_model_pair(tmp_path_factory.mktemp("pair"))
