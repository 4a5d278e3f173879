"""Benchmark results kept as files, and the results page made from them.

Every script in ``benchmarks/`` ends with one JSON line. :func:`run_recorded` runs a
benchmark command, passes its output through unchanged, and when the last line of stdout
is a JSON object writes it to a results folder (``benchmarks/results/`` for the scripts)
as one file, together with what produced it: the benchmark, the model, the command-line
arguments, ``quick`` or ``full``, the date, the machine and the git commit (``dirty``
when the working tree had changes). :func:`results_page` turns a folder of such files
into Markdown: one section per benchmark, one table per setting, the latest run of each
model side by side, figures exactly as recorded (nothing on the page is typed by hand;
``python benchmarks/results_page.py`` regenerates ``benchmarks/RESULTS.md``).

Written by hand: this is bookkeeping between our own scripts; no library does it.

Example:
    >>> record = {"bench": "demo", "model": "smollm2", "kind": "quick", "args": ["--quick"],
    ...           "date": "2026-12-07T10:00:00+00:00", "commit": "abc1234", "dirty": False,
    ...           "figures": {"score": 0.5, "per": {"a": 1}}}
    >>> print(results_page([record]).splitlines()[6])
    | figure | smollm2 |
"""

from __future__ import annotations

import io
import json
import platform
import subprocess
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "flatten_figures",
    "load_results",
    "model_of",
    "record_result",
    "results_folder",
    "results_page",
    "run_recorded",
    "source_state",
]

# the options a benchmark names its model with, in the order they are looked for
MODEL_OPTIONS = ("--model", "-m", "--models", "--base", "--decoder", "--family")
#: options that say where a run writes, not what it measures: left out of a section's name
OUTPUT_OPTIONS = ("--out", "-o", "--record")
#: models that accompany the run's model (MOLE's LLM judge): part of its column, left out
#: of a section's name (each run's full command is listed under its table)
COMPANION_OPTIONS = ("--judge",)
MAX_ROWS = 40  # figures per table; nested reports beyond that stay in the JSON files


def model_of(args: list[str], default: str | None = None) -> str:
    """The model a benchmark command runs on, as the results page names it.

    >>> model_of(["--quick", "--model", "local:qwen-coder-0.5b"])
    'qwen-coder-0.5b'
    >>> model_of(["--quick"]), model_of(["--model=openai:gpt-x"]), model_of([], "none")
    ('smollm2', 'openai:gpt-x', 'none')
    """
    from steergraph.llm.loading import parse_spec

    for option in MODEL_OPTIONS:
        for i, arg in enumerate(args):
            value = None
            if arg == option and i + 1 < len(args):
                value = args[i + 1]
            elif arg.startswith(option + "="):
                value = arg.split("=", 1)[1]
            if value:
                try:
                    kind, name = parse_spec(value)
                except Exception:  # not a model spec we know: keep it as written
                    return value
                return name if kind.startswith("local") else value
    return default or parse_spec("local")[1]


def results_folder(script: str) -> Path | None:
    """Where a ``benchmarks/`` script records its result: ``results/`` beside it, or
    ``$STEERGRAPH_RESULTS_DIR`` (``off`` records nothing)."""
    import os

    chosen = os.environ.get("STEERGRAPH_RESULTS_DIR")
    if chosen is None:
        return Path(script).resolve().parent / "results"
    return None if chosen.strip().lower() in ("", "off", "0", "no") else Path(chosen)


def source_state() -> tuple[str | None, bool]:
    """(short commit, whether tracked files differ from it) of this checkout, recorded
    when a run starts; the results folder itself does not count as a change."""
    here = Path(__file__).resolve().parent
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, text=True,
                             capture_output=True, check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ":(top)",
             ":(top,exclude)benchmarks/results"],
            cwd=here, text=True, capture_output=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None, False
    return sha, bool(dirty)


def record_result(
    folder: Path, bench: str, args: list[str], figures: dict[str, Any], *, seconds: float,
    source: tuple[str | None, bool] | None = None, default_model: str | None = None,
) -> Path:  # fmt: skip
    """Write one run's figures and provenance as a JSON file under ``folder``
    (``source``: the commit and dirtiness when the run started; default: now)."""
    now = datetime.now(UTC).replace(microsecond=0)
    commit, dirty = source or source_state()
    model = model_of(args, default_model)
    kind = "quick" if "--quick" in args else "full"
    record = {
        "bench": bench, "model": model, "kind": kind, "args": args,
        "date": now.isoformat(), "commit": commit, "dirty": dirty,
        "machine": f"{platform.machine()}, {platform.system()}", "seconds": round(seconds, 1),
        "figures": figures,
    }  # fmt: skip
    slug = "".join(c if c.isalnum() or c in ".-" else "-" for c in model)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{bench}-{slug}-{kind}-{now:%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    return path


class _Tee(io.TextIOBase):
    """Writes through to ``stream`` and keeps the last complete non-empty line."""

    def __init__(self, stream: Any) -> None:
        self.stream, self.last, self._part = stream, "", ""

    def write(self, text: str) -> int:
        self.stream.write(text)
        lines = (self._part + text).split("\n")
        self._part = lines.pop()
        for line in lines:
            if line.strip():
                self.last = line
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", "utf-8")

    def final(self) -> str:
        return self._part if self._part.strip() else self.last


def run_recorded(
    bench: str, main: Callable[[], Any], args: list[str], folder: Path | None,
    *, default_model: str | None = None,
) -> None:  # fmt: skip
    """Run ``main`` (a benchmark's entry point, reading ``sys.argv``); when it ends with a
    JSON object on stdout, record it under ``folder`` (None: nothing) and say where on
    stderr. A failed run records nothing and ends as it would have. ``default_model``
    names the model when the arguments do not (``none`` for a benchmark without one)."""
    import time

    if folder is None:
        main()
        return
    tee, started = _Tee(sys.stdout), time.perf_counter()
    source = source_state()  # what the run ran, not what the checkout is when it ends
    sys.stdout = tee
    try:
        main()
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise
    finally:
        sys.stdout = tee.stream
    try:
        figures = json.loads(tee.final())
    except json.JSONDecodeError:
        return
    if isinstance(figures, dict):
        seconds = time.perf_counter() - started
        try:
            path = record_result(folder, bench, args, figures, seconds=seconds, source=source,
                                 default_model=default_model)  # fmt: skip
        except OSError as exc:  # the run's figures are on stdout already: do not lose the run
            print(f"result not recorded ({exc})", file=sys.stderr)
            return
        print(f"result recorded: {path}", file=sys.stderr)


def load_results(folder: Path) -> list[dict[str, Any]]:
    """Every result file under ``folder``, oldest first (unreadable files are named and
    skipped)."""
    records = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            record = json.loads(path.read_text())
            record["bench"], record["figures"]
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
            print(f"skipped {path}: {exc}", file=sys.stderr)
            continue
        records.append(record)
    return sorted(records, key=lambda r: r.get("date", ""))


def flatten_figures(figures: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested figures as ``a.b`` keys; lists are left out (they stay in the files).

    >>> flatten_figures({"x": 1, "per": {"a": 0.5, "b": None}, "rows": [1, 2]})
    {'x': 1, 'per.a': 0.5, 'per.b': None}
    """
    flat: dict[str, Any] = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            flat.update(flatten_figures(value, f"{prefix}{key}."))
        elif not isinstance(value, list):
            flat[f"{prefix}{key}"] = value
    return flat


def own_figures(figures: dict[str, Any], model: str) -> dict[str, Any]:
    """Figures with those nested under the run's own model name lifted to the top, so
    benchmarks that key by model (``{"smollm2": {...}}``) line up side by side.

    >>> own_figures({"n": 8, "smollm2": {"pass1": 0.1}}, "smollm2")
    {'n': 8, 'pass1': 0.1}
    """
    mine = figures.get(model)
    if not isinstance(mine, dict):
        return figures
    return {**{k: v for k, v in figures.items() if k != model}, **mine}


def _cell(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|")


def _table(runs: list[dict[str, Any]]) -> list[str]:
    """The latest run of each model, side by side."""
    latest: dict[str, dict[str, Any]] = {}
    for run in runs:
        latest[run["model"]] = run
    models = sorted(latest, key=lambda m: (m != "smollm2", m))
    flat = {m: flatten_figures(own_figures(latest[m]["figures"], m)) for m in models}
    keys: list[str] = []
    for m in models:
        keys += [k for k in flat[m] if k not in keys]
    lines = ["| figure | " + " | ".join(models) + " |", "|---" * (len(models) + 1) + "|"]
    for key in keys[:MAX_ROWS]:
        lines.append(f"| {key} | " + " | ".join(_cell(flat[m].get(key, "")) for m in models) + " |")
    if len(keys) > MAX_ROWS:
        lines.append(f"\n{len(keys) - MAX_ROWS} more figures are in the result files.")
    lines.append("")
    for m in models:
        run = latest[m]
        commit = (run.get("commit") or "unknown") + (" (dirty)" if run.get("dirty") else "")
        args = " ".join(run.get("args", []))
        lines.append(f"- {m}: {run.get('date', '?')[:10]}, commit {commit}, `{args}`, "
                     f"{run.get('seconds', '?')} s")  # fmt: skip
    return lines


def results_page(records: Iterable[dict[str, Any]]) -> str:
    """Markdown: per benchmark, per kind (quick/full) and arguments other than the model,
    a table of the latest run of each model."""
    by_bench: dict[str, dict[tuple[str, str], list[dict[str, Any]]]] = {}
    for record in records:
        others = [a for a in _args_without_model(record.get("args", [])) if a != "--quick"]
        key = (record.get("kind", "full"), " ".join(others))
        by_bench.setdefault(record["bench"], {}).setdefault(key, []).append(record)
    lines = ["# Benchmark results", "",
             "Generated by `python benchmarks/results_page.py` from `benchmarks/results/*.json`; "
             "do not edit by hand.", ""]  # fmt: skip
    for bench in sorted(by_bench):
        for (kind, others), runs in sorted(by_bench[bench].items()):
            lines += [f"## {bench} ({kind}{', ' + others if others else ''})", ""]
            lines += [*_table(runs), ""]
    return "\n".join(lines)


def _args_without_model(args: list[str]) -> list[str]:
    out, skip, dropped = [], False, MODEL_OPTIONS + OUTPUT_OPTIONS + COMPANION_OPTIONS
    for arg in args:
        if skip:
            skip = False
        elif arg in dropped:
            skip = True
        elif not any(arg.startswith(o + "=") for o in dropped):
            out.append(arg)
    return out
