"""Our streamed DARE against mergekit's DARE: wall time and peak RSS, same pair, same run.

Both run as fresh processes on the same (base, post) folders with the same drop rate,
each writing a complete model folder (weights, config, tokenizer): ours is
``python -m steergraph edit dare BASE POST --out OUT --p P``, mergekit's is
``mergekit-yaml`` on a ``dare_linear`` config (base model, one model with weight 1 and
density ``1 - p``, rescaled, float32). Peak memory is the process's ``ru_maxrss`` from
``os.wait4``. Linux carries a forked child's high-water mark across ``exec`` (the
forking parent's resident set is counted as the child's), so neither tool is started
from this (large) process: a bare ``python -S`` launcher of a few MB forks it and
reports its usage. Runs alternate and the best of ``repeats`` is kept for each tool.
mergekit missing means a recorded skip.

Example:
    >>> cfg = mergekit_config("/m/base", "/m/post", p=0.9)
    >>> cfg["merge_method"], cfg["models"][0]["parameters"]["density"]
    ('dare_linear', 0.1)
"""

from __future__ import annotations

import json
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


def mergekit_config(base: str | Path, post: str | Path, *, p: float) -> dict[str, Any]:
    """mergekit's DARE of one post-trained model onto its base."""
    return {
        "merge_method": "dare_linear",
        "base_model": str(base),
        "models": [{"model": str(post), "parameters": {"weight": 1.0, "density": round(1 - p, 6)}}],
        "parameters": {"normalize": False, "rescale": True},
        "dtype": "float32",
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
        "--overwrite",
    ]
    mk = mergekit_command()
    result: dict[str, Any] = {"p": p, "repeats": repeats, "ours": [], "mergekit": []}
    if mk is None:
        result["skipped"] = "mergekit is not installed (pip install mergekit)"
    else:
        config = workdir / "mergekit-dare.yml"
        config.write_text(json.dumps(mergekit_config(base, post, p=p), indent=2))  # JSON is YAML
        theirs_cmd = [mk, str(config), str(theirs_out), "--random-seed", str(seed), "--quiet"]
    for k in range(repeats):
        run = timed_process(ours_cmd, workdir / f"ours-{k}.log")
        log(
            f"  steergraph DARE run {k + 1}: {run['seconds']:.1f} s, "
            f"peak RSS {run['peak_rss_mb']:.0f} MB"
        )
        result["ours"].append(run)
        if mk is not None:
            shutil.rmtree(theirs_out, ignore_errors=True)
            run = timed_process(theirs_cmd, workdir / f"mergekit-{k}.log")
            log(
                f"  mergekit DARE run {k + 1}: {run['seconds']:.1f} s, "
                f"peak RSS {run['peak_rss_mb']:.0f} MB"
            )
            result["mergekit"].append(run)
    for key in ("ours", "mergekit"):
        ok = [r for r in result[key] if r["returncode"] == 0]
        failed = [r for r in result[key] if r["returncode"] != 0]
        if failed:
            result[f"{key}_failed"] = failed[0]
        if ok:
            result[f"{key}_best"] = {
                "seconds": min(r["seconds"] for r in ok),
                "peak_rss_mb": min(r["peak_rss_mb"] for r in ok),
            }
    if "ours_best" in result and "mergekit_best" in result:
        result["time_ratio"] = result["ours_best"]["seconds"] / result["mergekit_best"]["seconds"]
        result["peak_rss_ratio"] = (
            result["ours_best"]["peak_rss_mb"] / result["mergekit_best"]["peak_rss_mb"]
        )
    result["outputs"] = {"ours": str(ours_out), "mergekit": str(theirs_out)}
    return result
