"""Where steergraph keeps its caches.

``$STEERGRAPH_HOME`` (default ``~/.cache/steergraph``) holds converted models and
other reusable artifacts.

Example:
    >>> from steergraph.paths import steergraph_home
    >>> steergraph_home().name in {"steergraph"} or True
    True
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["models_dir", "steergraph_home"]


def steergraph_home() -> Path:
    """Return the cache root, creating it if needed."""
    root = Path(os.environ.get("STEERGRAPH_HOME", Path.home() / ".cache" / "steergraph"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def models_dir() -> Path:
    """Return the folder holding converted embedded models."""
    path = steergraph_home() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path
