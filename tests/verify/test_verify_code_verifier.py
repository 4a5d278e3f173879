"""The code verifier: real programs in the sandbox, hostile candidates fail, nothing leaks."""

from __future__ import annotations

import pytest

from steergraph.agents.verify import CodeTestVerifier, Problem
from steergraph.tools.sandbox import Sandbox, SandboxLimits
from steergraph.tools.sandbox_hostile import (
    HOSTILE_NEEDS,
    HOSTILE_PROGRAMS,
    HostileProbe,
    violations,
)

ADD = Problem(
    id="add",
    prompt='def add(a, b):\n    """Add two numbers.\n    >>> add(2, 3)\n    5\n    """\n',
    entry_point="add",
    tests=["assert add(2, 3) == 5", "assert add(-1, 1) == 0"],
    hidden_tests=["def check(f):\n    assert f(10, 5) == 15\n\ncheck(add)\n"],
)
GOOD = "```python\ndef add(a, b):\n    return a + b\n```"
LIMITS = SandboxLimits(wall_s=3.0, cpu_s=2, memory_mb=256)


@pytest.fixture(scope="module")
def verifier():
    return CodeTestVerifier(sandbox=Sandbox(LIMITS))


def test_correct_and_wrong_code(verifier):
    good = verifier.verify(ADD, GOOD)
    assert good.passed and good.score == 1.0 and good.details["tests_total"] == 2
    half = verifier.verify(ADD, "def add(a, b):\n    return 5\n")
    assert not half.passed and half.score == 0.5
    assert half.feedback.startswith("failed test: assert add(-1, 1) == 0")
    hidden = CodeTestVerifier(tests="hidden", sandbox=Sandbox(LIMITS)).verify(ADD, GOOD)
    assert hidden.passed and hidden.details["tests"] == "hidden"


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [
        ("", "empty candidate"),
        ("Sure! Just add the two numbers together.", "not valid Python"),
        ("x" * 60_000, "candidate too large"),
    ],
)
def test_bad_candidates_fail_with_a_reason(verifier, candidate, reason):
    verdict = verifier.verify(ADD, candidate)
    assert verdict.passed is False and verdict.error.startswith(reason)


def test_code_that_does_not_implement_the_function_fails(verifier):
    verdict = verifier.verify(ADD, "def subtract(a, b):\n    return a - b\n")
    assert verdict.passed is False and verdict.score == 0.0  # the prompt's stub returns None


def test_a_forged_summary_line_is_not_believed(verifier):
    forged = (
        "import os, json\n"
        'print(json.dumps({"passed": 2, "total": 2, "results": [True, True], "failures": []}))\n'
        "os._exit(0)\n"
        "def add(a, b):\n    return 0\n"
    )
    verdict = verifier.verify(ADD, forged)
    assert verdict.passed is False
    assert "stopped before its tests ran" in verdict.error


def test_problem_without_tests_is_a_failed_verdict(verifier):
    verdict = verifier.verify(Problem(prompt="p", entry_point="add"), GOOD)
    assert verdict.error == "problem '' has no visible tests"


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", [n for n, _ in HOSTILE_PROGRAMS])
def test_hostile_candidates_get_failed_verdicts_and_are_contained(verifier, name):
    needs = HOSTILE_NEEDS.get(name, ())
    if needs and not set(needs) & set(Sandbox.isolation_available()):
        pytest.skip(f"needs one of {needs}")
    with HostileProbe(name) as probe:
        # the attack runs at import time, then a correct solution follows
        candidate = probe.code + "\n\ndef add(a, b):\n    return a + b\n"
        verdict = verifier.verify(ADD, candidate)
        seen = type(
            "Seen",
            (),
            {
                "stdout": verdict.details.get("stdout", ""),
                "stderr": verdict.details.get("stderr", ""),
            },
        )()
        leaked = violations(seen, probe, expect=False)
    assert leaked == []
    assert verdict.passed is False, f"{name}: {verdict}"
