"""HumanEval as Problems: loading, visible tests from docstrings, split, code extraction."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from steergraph.agents.verify.base import Problem
from steergraph.data.verify.humaneval import (
    FIXTURE_PATH,
    chat_prompt,
    docstring_tests,
    extract_code,
    humaneval_data_path,
    humaneval_split,
    load_humaneval,
    program_with_counted_tests,
    program_with_tests,
)
from steergraph.errors import InputError

# measured when the fixture was built: 157 of 164 problems, 449 visible tests
MIN_WITH_VISIBLE = 157
MIN_VISIBLE_TESTS = 449


@pytest.fixture(scope="module")
def problems() -> list[Problem]:
    return load_humaneval()


@pytest.fixture(scope="module")
def by_id(problems) -> dict[str, Problem]:
    return {p.id: p for p in problems}


def run(code: str) -> subprocess.CompletedProcess[str]:
    """Run a program from a file (as a sandbox would), so tracebacks show source lines."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "program.py"
        path.write_text(code, encoding="utf-8")
        return subprocess.run(
            [sys.executable, "-I", str(path)], capture_output=True, text=True, timeout=30
        )


def test_all_problems_load_with_hidden_tests(problems):
    assert len(problems) == 164
    assert len({p.id for p in problems}) == 164
    for p in problems:
        assert p.entry_point and f"def {p.entry_point}" in p.prompt
        assert len(p.hidden_tests) == 1
        hidden = p.hidden_tests[0]
        assert "def check(candidate)" in hidden
        assert hidden.endswith(f"check({p.entry_point})\n")
        assert hidden not in p.prompt
        assert "def check(" not in p.prompt
        assert p.metadata["n_visible"] == len(p.tests)
        assert p.metadata["canonical_solution"].strip()
        assert all("\n" not in t and t.startswith("assert ") for t in p.tests)


def test_visible_test_counts(problems):
    assert sum(1 for p in problems if p.tests) >= MIN_WITH_VISIBLE
    assert sum(len(p.tests) for p in problems) >= MIN_VISIBLE_TESTS
    without = {p.id for p in problems if not p.tests}
    assert "HumanEval/38" in without  # decode_cyclic: its docstring has no example


def test_known_visible_tests(by_id):
    assert by_id["HumanEval/0"].tests == [
        "assert has_close_elements([1.0, 2.0, 3.0], 0.5) == False",
        "assert has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3) == True",
    ]
    assert by_id["HumanEval/2"].tests == ["assert abs(truncate_number(3.5) - 0.5) < 1e-6"]
    # ``f(x) ➞ y``, ``For num = .. the output should be ..``, ``Input: .. Output: ..``
    assert by_id["HumanEval/72"].tests[0] == "assert will_it_fly([1, 2], 5) == False"
    assert by_id["HumanEval/78"].tests[0] == "assert hex_key(num='AB') == 1"
    assert by_id["HumanEval/68"].tests[-1] == "assert pluck([5, 0, 3, 0, 4, 2]) == [0, 1]"
    assert by_id["HumanEval/115"].tests[0] == (
        "assert max_fill([[0, 0, 1, 0], [0, 1, 0, 0], [1, 1, 1, 1]], 1) == 6"
    )
    assert "assert is_happy('abcd') == True" in by_id["HumanEval/80"].tests
    # the docstring example of HumanEval/47 is wrong (15.0): the canonical solution fails it
    assert by_id["HumanEval/47"].tests == ["assert median([3, 1, 2, 4, 5]) == 3"]


def test_docstring_styles():
    prompt = (
        "def inc(x):\n"
        '    """Add one.\n'
        "    >>> inc(2)\n"
        "    3\n"
        "    inc(1) ==> 2\n"
        "    >>> inc(3)\n"
        "    4\n"
        "    Prose right after a doctest output.\n"
        "    * inc(0) -> 1\n"
        "    For example: inc(5) = 6\n"
        "    For x = 7 the output should be 8.\n"
        "    Example 1:\n"
        "        Input: x = 9\n"
        "        Output: 10\n"
        "    inc(1.5) == 2.5\n"
        '    """\n'
    )
    assert docstring_tests(prompt, "inc") == [
        "assert inc(2) == 3",
        "assert inc(3) == 4",
        "assert inc(1) == 2",
        "assert inc(0) == 1",
        "assert inc(5) == 6",
        "assert inc(x=7) == 8",
        "assert abs(inc(1.5) - 2.5) < 1e-6",
        "assert inc(x=9) == 10",
    ]
    assert docstring_tests("def f(x):\n    return x\n", "f") == []
    assert docstring_tests("not python (", "f") == []


def test_fixture_matches_the_parser_and_the_data(problems):
    """Cheap up-to-date check: the parse is redone; only the subprocess runs are cached."""
    fixture = json.loads(FIXTURE_PATH.read_text(encoding="utf-8"))
    data = gzip.decompress(humaneval_data_path().read_bytes())
    assert fixture["data_sha256"] == hashlib.sha256(data).hexdigest()
    assert set(fixture["problems"]) == {p.id for p in problems}
    for p in problems:
        entry = fixture["problems"][p.id]
        candidates = docstring_tests(p.prompt, p.entry_point)
        assert sorted(entry["visible"] + entry["rejected"]) == sorted(candidates), p.id
        assert [t for t in candidates if t in entry["visible"]] == p.tests, p.id


@pytest.mark.parametrize("task", ["HumanEval/0", "HumanEval/2", "HumanEval/68", "HumanEval/78"])
def test_visible_and_hidden_tests_pass_canonical_and_fail_wrong(by_id, task):
    p = by_id[task]
    right = p.prompt + p.metadata["canonical_solution"]
    wrong = p.prompt + "    return None\n"
    assert run(program_with_tests(right, p.tests)).returncode == 0
    assert run(program_with_tests(right, p.hidden_tests)).returncode == 0
    failed = run(program_with_tests(wrong, p.tests))
    assert failed.returncode != 0 and p.tests[0] in failed.stderr  # the failing assert
    assert run(program_with_tests(wrong, p.hidden_tests)).returncode != 0

    ok = run(program_with_counted_tests(right, p.tests))
    report = json.loads(ok.stdout.strip().splitlines()[-1])
    assert ok.returncode == 0 and report["passed"] == report["total"] == len(p.tests)
    bad = run(program_with_counted_tests(wrong, p.tests))
    report = json.loads(bad.stdout.strip().splitlines()[-1])
    assert bad.returncode == 1 and report["passed"] == 0 and report["total"] == len(p.tests)
    assert 1 <= len(report["failures"]) <= 3
    assert report["failures"][0]["test"] == p.tests[0]


def test_counted_tests_report_what_was_got(by_id):
    p = by_id["HumanEval/0"]
    program = p.prompt + "    return 'nope'\n"
    out = run(program_with_counted_tests(program, [*p.tests, "raise ValueError('boom')"]))
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert out.returncode == 1 and report["total"] == 3 and report["results"] == [False] * 3
    assert "got 'nope'" in report["failures"][0]["error"]
    assert report["failures"][2]["error"] == "ValueError: boom"
    assert run(program_with_counted_tests("x = 1", [])).returncode == 0


def test_split_is_deterministic_disjoint_and_covering(problems):
    train, test = humaneval_split(problems)
    train2, test2 = humaneval_split(problems)
    assert [p.id for p in train] == [p.id for p in train2]
    assert [p.id for p in test] == [p.id for p in test2]
    assert not {p.id for p in train} & {p.id for p in test}
    assert {p.id for p in train} | {p.id for p in test} == {p.id for p in problems}
    assert 50 <= len(test) <= 114
    other = humaneval_split(problems, seed=1)[1]
    assert {p.id for p in other} != {p.id for p in test}
    assert len(humaneval_split(problems, test_fraction=0.2)[1]) < len(test)
    assert humaneval_split(problems, test_fraction=0.0)[1] == []
    with pytest.raises(InputError, match="fix"):
        humaneval_split(problems, test_fraction=1.5)


SOLUTION = """def has_close_elements(numbers: List[float], threshold: float) -> bool:
    return any(
        abs(a - b) < threshold
        for i, a in enumerate(numbers)
        for b in numbers[i + 1 :]
    )
"""


def passes_visible(program: str, p: Problem) -> bool:
    return run(program_with_tests(program, p.tests)).returncode == 0


def test_extract_code_from_a_fenced_reply(by_id):
    p = by_id["HumanEval/0"]
    reply = f"Sure!\n```text\nnot code\n```\nHere:\n```python\n{SOLUTION}```\nDone."
    program = extract_code(reply, p)
    assert program.startswith("from typing import List")
    assert SOLUTION in program and "not code" not in program
    assert passes_visible(program, p)
    assert extract_code(f"```\n{SOLUTION}```", p) == program  # unlabelled fence
    assert extract_code(f"```python\n{SOLUTION}", p).strip() == program.strip()  # unterminated


def test_extract_code_from_a_bare_function_and_a_body(by_id):
    p = by_id["HumanEval/0"]
    assert passes_visible(extract_code(SOLUTION, p), p)
    body = SOLUTION.split("\n", 1)[1]
    program = extract_code(body, p)
    assert program.startswith(p.prompt.rstrip("\n")) and passes_visible(program, p)
    two_spaces = (
        "  return any(abs(a - b) < threshold for a in numbers for b in numbers if a is not b)"
    )
    assert passes_visible(extract_code(two_spaces, p), p)
    dedented = "return any(abs(a - b) < threshold for a in numbers for b in numbers if a is not b)"
    assert passes_visible(extract_code(f"```python\n{dedented}\n```", p), p)


def test_extract_code_keeps_helpers_of_the_prompt(by_id):
    p = by_id["HumanEval/38"]
    reply = "```python\ndef decode_cyclic(s: str):\n    return encode_cyclic(encode_cyclic(s))\n```"
    program = extract_code(reply, p)
    assert "def encode_cyclic" in program
    assert run(program_with_tests(program, p.hidden_tests)).returncode == 0


@pytest.mark.parametrize("garbage", ["", "I cannot help with that 🤷", "```python\n", None, 42])
def test_extract_code_never_raises(by_id, garbage):
    p = by_id["HumanEval/0"]
    program = extract_code(garbage, p)
    assert isinstance(program, str)
    assert not passes_visible(program, p)


def test_chat_prompt(by_id):
    p = by_id["HumanEval/0"]
    text = chat_prompt(p)
    assert p.prompt.strip() in text and "```python" in text and "has_close_elements" in text
    assert "def check" not in text


def test_missing_fixture_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="build_visible_tests_fixture"):
        load_humaneval(tmp_path / "missing.json")
