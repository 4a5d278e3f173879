"""Where steergraph keeps its caches, and the lock that guards building one.

``$STEERGRAPH_HOME`` (default ``~/.cache/steergraph``) holds converted models and
other reusable artifacts. Two processes (two CLI calls, two test workers) may want the
same cache at once: :func:`cache_lock` makes the second wait for the first, which then
finds the cache ready instead of building it again over the first one's files.

Example:
    >>> import os, tempfile
    >>> os.environ["STEERGRAPH_HOME"] = tempfile.mkdtemp()
    >>> models_dir().relative_to(os.environ["STEERGRAPH_HOME"]).as_posix()
    'models'
    >>> with cache_lock("demo"):
    ...     (models_dir() / ".demo.lock").exists()
    True
    >>> built = []
    >>> for _ in range(2):
    ...     build_once("demo", lambda: bool(built), lambda: built.append(1))
    >>> built
    [1]
    >>> del os.environ["STEERGRAPH_HOME"]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["build_once", "cache_lock", "models_dir", "steergraph_home"]


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


@contextmanager
def cache_lock(what: str, *, timeout: float = 3600) -> Iterator[None]:
    """Hold a file lock (``models_dir()/.<what>.lock``) while the cache ``what`` is built;
    the caller re-checks the cache inside, since another process may have built it."""
    from filelock import FileLock

    with FileLock(str(models_dir() / f".{what}.lock"), timeout=timeout):
        yield


def build_once(what: str, ready: Callable[[], bool], build: Callable[[], object]) -> None:
    """Run ``build()`` unless ``ready()``: checked before and again under
    :func:`cache_lock`, so of two processes only the first builds."""
    if ready():
        return
    with cache_lock(what):
        if not ready():
            build()
