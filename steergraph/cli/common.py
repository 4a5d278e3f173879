"""What every CLI command shares: reading a user's text file, running a graph with
optional checkpoints in SQLite or PostgreSQL (resumable by thread).

Example:
    >>> read_text_file(Path("/no/such/file.txt"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    steergraph.errors.InputFileError: file not found: /no/such/file.txt -- fix: check the path
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from steergraph.errors import InputFileError

__all__ = ["invoke_checkpointed", "read_text_file", "report_bench"]


def invoke_checkpointed(
    build: Callable[..., Any],
    inputs: dict[str, Any],
    context: Any,
    *,
    db: str | Path | None = None,
    thread: str | None = None,
    callbacks: list[Any] | None = None,
    recursion_limit: int | None = None,
) -> dict[str, Any]:
    """Invoke ``build(checkpointer=...)`` on ``inputs``.

    With ``db`` (a SQLite file or a ``postgresql://`` URL) every step is checkpointed;
    a ``thread`` whose run stopped before the end (killed, failed) resumes where it
    stopped instead of starting again.
    """
    config: dict[str, Any] = {"configurable": {"thread_id": thread or uuid.uuid4().hex}}
    if callbacks:
        config["callbacks"] = callbacks
    if recursion_limit is not None:  # a graph that loops once per chunk of a long input
        config["recursion_limit"] = recursion_limit
    if db is None:
        return build().invoke(inputs, config, context=context)
    from steergraph.graphs.persistence import persistence

    with persistence(db) as (saver, _):
        graph = build(checkpointer=saver)
        resume = thread is not None and bool(graph.get_state(config).next)
        return graph.invoke(None if resume else inputs, config, context=context)


def report_bench(
    run: dict[str, Any], out: Path, picture: str, *, table_lines: Callable[..., list[str]],
    plot: Callable[..., Path], final_line: Callable[..., dict[str, Any]],
) -> None:  # fmt: skip
    """A benchmark's end: its table on stderr, ``report.json`` and the plot ``picture``
    under ``out``, then the final JSON line as the last line of stdout."""
    import json

    from rich.console import Console

    from steergraph.bench.reporting import write_report

    console = Console(stderr=True)
    for line in table_lines(run):
        console.print(line, highlight=False)
    paths = write_report(run, out, picture, plot)
    console.print(f"report: {paths['report']}  plot: {paths['plot']}", highlight=False)
    print(json.dumps(final_line(run)))


def read_text_file(path: Path) -> str:
    """Read a UTF-8 text file or raise InputFileError naming the problem."""
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputFileError(f"file not found: {path}", fix="check the path") from None
    except IsADirectoryError:
        raise InputFileError(f"{path} is a folder, not a file", fix="pass a text file") from None
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{path} is not UTF-8 text (bad byte at offset {exc.start})",
            fix=f"convert it, e.g. `iconv -f latin1 -t utf-8 {path} > fixed.txt`",
        ) from None
