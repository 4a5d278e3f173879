"""Our streamed DARE against mergekit's DARE: wall time and peak RSS, same pair, same run.

Both run as fresh processes on the same (base, post) folders with the same drop rate,
each writing a complete model folder (weights, config, tokenizer) in the model's dtype:
ours is ``python -m steergraph edit dare BASE POST --out OUT --p P``, mergekit's is
``mergekit-yaml`` on a ``dare_linear`` config (base model, one model with weight 1 and
density ``1 - p``, rescaled). Before each run its old output is deleted and pending
writes are flushed (``os.sync``), outside the timed process.

Peak memory is the process's ``ru_maxrss`` from ``os.wait4``. Linux carries a forked
child's high-water mark across ``exec`` (the forking parent's resident set is counted as
the child's), so neither tool is started from this (large) process: a bare ``python -S``
launcher of a few MB forks it and reports its usage. The order alternates between
repeats; each tool's fastest run is kept (its time and its peak RSS). mergekit missing
means a recorded skip.

Example:
    >>> cfg = mergekit_config("/m/base", "/m/post", p=0.9)
    >>> cfg["merge_method"], cfg["models"][0]["parameters"]["density"]
    ('dare_linear', 0.1)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["mergekit_command", "mergekit_config", "run_dare_comparison", "timed_process"]


def mergekit_command() -> str | None:
    """The ``mergekit-yaml`` executable beside this Python, or on PATH."""
    here = Path(sys.executable).parent / "mergekit-yaml"
    return str(here) if here.is_file() else shutil.which("mergekit-yaml")


def _model_dtype(folder: str | Path) -> str:
    """The dtype a model folder's config names (``float32`` if none)."""
    config = json.loads((Path(folder) / "config.json").read_text())
    return str(config.get("dtype") or config.get("torch_dtype") or "float32")


def mergekit_config(
    base: str | Path, post: str | Path, *, p: float, dtype: str = "float32"
) -> dict[str, Any]:
    """mergekit's DARE of one post-trained model onto its base, written in ``dtype``."""
    return {
        "merge_method": "dare_linear",
        "base_model": str(base),
        "models": [{"model": str(post), "parameters": {"weight": 1.0, "density": round(1 - p, 6)}}],
        "parameters": {"normalize": False, "rescale": True},
        "dtype": dtype,
    }


_LAUNCHER = (
    "import json, os, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "code = os.waitstatus_to_exitcode(status)\n"
    "json.dump({'maxrss_kb': usage.ru_maxrss, 'seconds': time.perf_counter() - t,"
    " 'returncode': code}, open(sys.argv[1], 'w'))\n"
    "sys.exit(code)\n"
)


def timed_process(cmd: list[str], log_file: Path) -> dict[str, Any]:
    """Run ``cmd`` under a small launcher; return its wall seconds, peak RSS (MB), exit code."""
    usage_file = log_file.with_suffix(".usage.json")
    usage_file.unlink(missing_ok=True)
    with log_file.open("w") as log:
        subprocess.run(
            [sys.executable, "-S", "-c", _LAUNCHER, str(usage_file), *cmd],
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if not usage_file.is_file():
        return {"seconds": 0.0, "peak_rss_mb": 0.0, "returncode": -1, "log": str(log_file)}
    usage = json.loads(usage_file.read_text())
    return {
        "seconds": usage["seconds"],
        "peak_rss_mb": usage["maxrss_kb"] / 1024,  # KiB on Linux
        "returncode": usage["returncode"],
        "log": str(log_file),
    }


def run_dare_comparison(
    base: str | Path,
    post: str | Path,
    workdir: Path,
    *,
    p: float = 0.9,
    seed: int = 0,
    repeats: int = 2,
    log: Any = print,
) -> dict[str, Any]:
    """Time both DAREs ``repeats`` times (alternating); keep each one's best run."""
    workdir.mkdir(parents=True, exist_ok=True)
    ours_out, theirs_out = workdir / "dare-steergraph", workdir / "dare-mergekit"
    ours_cmd = [
        sys.executable,
        "-m",
        "steergraph",
        "edit",
        "dare",
        str(base),
        str(post),
        "--out",
        str(ours_out),
        "--p",
        str(p),
        "--seed",
        str(seed),
    ]
    commands: dict[str, tuple[list[str], Path]] = {"ours": (ours_cmd, ours_out)}
    mk = mergekit_command()
    result: dict[str, Any] = {"p": p, "repeats": repeats, "ours": [], "mergekit": []}
    if mk is None:
        result["skipped"] = "mergekit is not installed (pip install mergekit)"
    else:
        config = workdir / "mergekit-dare.yml"
        spec = mergekit_config(base, post, p=p, dtype=_model_dtype(post))
        config.write_text(json.dumps(spec, indent=2))  # JSON is YAML
        theirs_cmd = [mk, str(config), str(theirs_out), "--random-seed", str(seed), "--quiet"]
        commands["mergekit"] = (theirs_cmd, theirs_out)
    names = {"ours": "steergraph", "mergekit": "mergekit"}
    for k in range(repeats):
        order = list(commands) if k % 2 == 0 else list(reversed(commands))
        for key in order:
            cmd, out = commands[key]
            shutil.rmtree(out, ignore_errors=True)  # neither run pays for deleting old output
            os.sync()  # nor for the other's pending writes
            run = timed_process(cmd, workdir / f"{key}-{k}.log")
            log(
                f"  {names[key]} DARE run {k + 1}: {run['seconds']:.1f} s, "
                f"peak RSS {run['peak_rss_mb']:.0f} MB"
            )
            result[key].append(run)
    for key in ("ours", "mergekit"):
        ok = [r for r in result[key] if r["returncode"] == 0]
        failed = [r for r in result[key] if r["returncode"] != 0]
        if failed:
            result[f"{key}_failed"] = failed[0]
        if ok:  # the fastest run, both of its figures
            best = min(ok, key=lambda r: r["seconds"])
            result[f"{key}_best"] = {"seconds": best["seconds"], "peak_rss_mb": best["peak_rss_mb"]}
    if "ours_best" in result and "mergekit_best" in result:
        result["time_ratio"] = result["ours_best"]["seconds"] / result["mergekit_best"]["seconds"]
        result["peak_rss_ratio"] = (
            result["ours_best"]["peak_rss_mb"] / result["mergekit_best"]["peak_rss_mb"]
        )
    result["outputs"] = {"ours": str(ours_out), "mergekit": str(theirs_out)}
    return result
