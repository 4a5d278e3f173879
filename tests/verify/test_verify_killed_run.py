"""A verify run killed with SIGKILL mid-round resumes on the same thread: search never re-runs.

The job (a real process) checkpoints into SQLite or a real PostgreSQL; its evaluation
verifier sleeps on the first run, which is killed there. The second run resumes the
thread: the search node's work (logged per verifier call) is not repeated, the verify
node runs again from its start and finishes, and the round's summary is complete.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from steergraph.agents.verify.base import Verdict, Verifier
    from steergraph.agents.verify.search import BestOfN
    from steergraph.graphs.persistence import persistence
    from steergraph.graphs.verify import VerifyContext, build_verify_graph
    from steergraph.testing import ScriptedChatModel

    def log(word):
        with open(sys.argv[2], "a") as f:
            f.write(word + "\\n")

    class Logged(Verifier):
        name = "logged"
        async def _check(self, problem, candidate):
            log("search")
            return Verdict(verifier=self.name, passed=candidate.strip() == problem.answer)

    class SlowEval(Verifier):
        name = "slow-eval"
        async def _check(self, problem, candidate):
            log("eval-start")
            if os.environ.get("FIRST") == "1":
                time.sleep(120)  # killed here
            log("eval-done")
            return Verdict(verifier=self.name, passed=candidate.strip() == problem.answer)

    ctx = VerifyContext(
        model=ScriptedChatModel(responses=["4", "5"], cycle=True),
        strategy=BestOfN(n=2), verifier=Logged(), eval_verifier=SlowEval(),
        feedback="none", concurrency=1,
    )
    problems = [{"id": "p1", "prompt": "2+2?", "answer": "4"}]
    first = os.environ.get("FIRST") == "1"
    config = {"configurable": {"thread_id": "verify-job"}}
    with persistence(sys.argv[1]) as (saver, _):
        graph = build_verify_graph(checkpointer=saver)
        out = graph.invoke({"problems": problems} if first else None, config, context=ctx)
    print(out["status"], out["history"][-1]["eval_pass_rate"])
    """
)


def killed_verify_run_resumes(db: str, tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    log = tmp_path / "calls.log"
    env = {**os.environ, "FIRST": "1", "PYTHONPATH": str(Path.cwd())}
    proc = subprocess.Popen([sys.executable, str(script), db, str(log)], env=env)
    deadline = time.time() + 120
    while time.time() < deadline and not (log.exists() and "eval-start" in log.read_text()):
        assert proc.poll() is None, "the job ended before it reached evaluation"
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    searched = log.read_text().split().count("search")
    assert searched == 2  # both candidates verified before the kill
    env["FIRST"] = "0"
    done = subprocess.run(
        [sys.executable, str(script), db, str(log)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["done", "1.0"]
    calls = log.read_text().split()
    assert calls.count("search") == searched  # the finished search step did not run again
    assert calls.count("eval-start") == 2 and calls.count("eval-done") == 1


def test_a_killed_verify_run_resumes_from_sqlite(tmp_path):
    killed_verify_run_resumes(str(tmp_path / "verify.sqlite"), tmp_path)


@pytest.mark.slow
def test_a_killed_verify_run_resumes_from_postgresql(tmp_path, postgres_url):
    killed_verify_run_resumes(postgres_url, tmp_path)
