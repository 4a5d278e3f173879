"""Where a graph's checkpoints and store live: a SQLite file or a PostgreSQL database.

Every checkpointed command takes ``--db``: a file path (SQLite, one process) or a
``postgresql://`` URL (LangGraph's ``PostgresSaver`` and ``PostgresStore``, shared by
processes and machines; tables are created on first use). The durability is the same: each
finished step is committed before the next starts, so a killed process resumes on its
thread without re-running finished steps.

Example:
    >>> is_postgres("postgresql://me@db.example/runs"), is_postgres("runs/catp.sqlite")
    (True, False)
    >>> with persistence(None) as (saver, store):
    ...     saver is None and store is None
    True
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from steergraph.errors import InputError

__all__ = ["is_postgres", "persistence"]


def is_postgres(db: str | Path | None) -> bool:
    """True when ``db`` is a PostgreSQL connection URL."""
    return isinstance(db, str) and db.startswith(("postgresql://", "postgres://"))


@contextmanager
def persistence(db: str | Path | None) -> Iterator[tuple[Any, Any]]:
    """``(checkpointer, store)`` for ``db`` (``(None, None)`` without one), closed on exit."""
    if db is None or str(db) == "":
        yield None, None
        return
    if is_postgres(db):
        from langgraph.checkpoint.postgres import PostgresSaver
        from langgraph.store.postgres import PostgresStore
        from psycopg import OperationalError

        with ExitStack() as stack:
            try:
                saver = stack.enter_context(PostgresSaver.from_conn_string(str(db)))
                store = stack.enter_context(PostgresStore.from_conn_string(str(db)))
                saver.setup()
                store.setup()
            except OperationalError as exc:
                raise InputError(
                    f"cannot use the PostgreSQL database {db}: {str(exc).strip().splitlines()[0]}",
                    fix="check that the server runs and the URL's user, host and database exist",
                ) from None
            yield saver, store
        return
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph.store.sqlite import SqliteStore

    path = Path(db)
    if path.is_dir():
        raise InputError(f"--db {path} is a folder", fix="give a file path or a postgresql:// URL")
    path.parent.mkdir(parents=True, exist_ok=True)
    saver_conn = sqlite3.connect(str(path), check_same_thread=False)
    store_conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        yield SqliteSaver(saver_conn), SqliteStore(store_conn)
    finally:
        saver_conn.close()
        store_conn.close()
