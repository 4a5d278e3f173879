"""Code-execution verifier: run a candidate program against tests in the sandbox.

The candidate (a chat reply or bare code) becomes a program defining the problem's
``entry_point`` (:func:`steergraph.data.verify.humaneval.extract_code`); it is compiled here
first (a reply that is not Python fails at once, no process spent), then run with the
tests in a :class:`~steergraph.tools.sandbox.Sandbox` subprocess (time, memory, output
and process limits, no network, a temporary directory, the whole process tree killed).
The verdict's score is the share of tests passed; its feedback names the first failing
test and the error, which is what a refinement step shows the model.

``tests="visible"`` (default) uses ``Problem.tests`` -- for HumanEval, the examples in
the prompt, so selection never peeks at the hidden tests; ``tests="hidden"`` runs
``Problem.hidden_tests`` to score a final answer.

Example:
    >>> from steergraph.agents.verify import CodeTestVerifier, Problem
    >>> p = Problem(prompt="def add(a, b):", entry_point="add", tests=["assert add(2, 3) == 5"])
    >>> CodeTestVerifier().verify(p, "def add(a, b):\\n    return a + b\\n").passed
    True
"""

from __future__ import annotations

import json
import secrets
from typing import Literal

from steergraph.agents.verify.base import Problem, Verdict, Verifier, failed_verdict
from steergraph.data.verify.humaneval import extract_code, program_with_counted_tests
from steergraph.tools.sandbox import Sandbox, SandboxLimits

__all__ = ["CodeTestVerifier"]

# The harness prefixes its summary line with a token sent on stdin and read before the
# candidate's code runs (kept in a closure), so a program that prints a fake summary
# line is not believed. Deliberate introspection could still find it: this stops
# accidental and naive forgery, the sandbox stops the rest.
_MARK_PRELUDE = '_sg_mark = (lambda _t: (lambda: _t))(__import__("sys").stdin.readline().strip())\n'


class CodeTestVerifier(Verifier):
    """Pass = every test passes in the sandbox; score = share of tests passed."""

    name = "code-tests"

    def __init__(
        self,
        *,
        tests: Literal["visible", "hidden"] = "visible",
        sandbox: Sandbox | None = None,
        limits: SandboxLimits | None = None,
    ) -> None:
        self.which = tests
        self.sandbox = sandbox or Sandbox(limits or SandboxLimits(wall_s=10.0, cpu_s=5))
        self.concurrency = self.sandbox.concurrency

    def _tests(self, problem: Problem) -> list[str]:
        return list(problem.tests if self.which == "visible" else problem.hidden_tests)

    async def _check(self, problem: Problem, candidate: str) -> Verdict:
        tests = self._tests(problem)
        if not tests:
            return failed_verdict(self.name, f"problem {problem.id!r} has no {self.which} tests")
        program = extract_code(candidate, problem)
        try:
            compile(_MARK_PRELUDE + program, "candidate.py", "exec")
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            where = f" (line {line})" if line else ""
            msg = exc.msg if isinstance(exc, SyntaxError) else str(exc)
            return failed_verdict(self.name, f"not valid Python{where}: {msg}")
        if problem.entry_point and f"def {problem.entry_point}" not in program:
            return failed_verdict(self.name, f"the code does not define {problem.entry_point}()")
        token = secrets.token_hex(8)
        result = await self.sandbox.arun(
            _MARK_PRELUDE + program_with_counted_tests(program, tests), stdin=token + "\n"
        )
        summary = _summary(result.stdout, token)
        details = {
            "exit_code": result.exit_code,
            "wall_s": round(result.wall_s, 4),
            "killed_reason": result.killed_reason,
            "stdout": result.stdout[-2000:],
            "stderr": result.stderr[-2000:],
            "tests": self.which,
        }
        if summary is None:  # the program died before the tests reported
            reason = result.reason or "the program stopped before its tests ran"
            tail = (result.stderr.strip().splitlines()[-1:] or [""])[0]
            if tail and tail not in reason:
                reason = f"{reason}: {tail}"
            return failed_verdict(self.name, reason, **details)
        passed, total = int(summary["passed"]), int(summary["total"])
        failures = summary.get("failures") or []
        feedback = ""
        if failures:
            first = failures[0]
            feedback = f"failed test: {first.get('test', '')} -> {first.get('error', '')}"
        details.update({"tests_passed": passed, "tests_total": total, "failures": failures})
        ok = result.ok and passed == total == len(tests)
        if not result.ok and passed == total:
            feedback = result.reason or "the program did not exit cleanly"
        return Verdict(
            verifier=self.name,
            passed=ok,
            score=passed / total if total else 0.0,
            feedback=feedback,
            details=details,
        )


def _summary(stdout: str, token: str) -> dict[str, object] | None:
    """The JSON summary line the counted-tests harness printed after ``token``, if any."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith(token + "{"):
            try:
                data = json.loads(line[len(token) :])
            except ValueError:
                continue
            if isinstance(data, dict) and "passed" in data and "total" in data:
                return data
    return None
