"""Seeded arithmetic / word problems with exact answers, and answer extraction."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from steergraph.data.verify.arithmetic import arithmetic_problems, evaluate, extract_number
from steergraph.errors import InputError


def independent_value(expression: str) -> Fraction:
    """Recompute an expression without steergraph: exact fractions, so // must divide."""
    assert re.fullmatch(r"[\d\s+\-*/()]+", expression), expression
    exact = re.sub(r"(\d+)", r"Fraction(\1)", expression.replace("//", "/"))
    return eval(exact, {"__builtins__": {}, "Fraction": Fraction})


@pytest.mark.parametrize("difficulty", ["easy", "hard"])
def test_deterministic_distinct_and_correct(difficulty):
    problems = arithmetic_problems(300, seed=7, difficulty=difficulty)
    again = arithmetic_problems(300, seed=7, difficulty=difficulty)
    assert [p.model_dump() for p in problems] == [p.model_dump() for p in again]
    other = arithmetic_problems(300, seed=8, difficulty=difficulty)
    assert [p.prompt for p in problems] != [p.prompt for p in other]
    assert len({p.prompt for p in problems}) == 300
    assert len({p.id for p in problems}) == 300
    for p in problems:
        expr = p.metadata["expression"]
        value = independent_value(expr)
        assert value.denominator == 1, expr  # exact division only
        assert p.answer == str(value.numerator)
        n_ops = len(re.findall(r"//|[+*]|(?<=\s)-(?=\s)", expr))
        assert p.metadata["n_ops"] == n_ops
        assert (1 <= n_ops <= 2) if difficulty == "easy" else (3 <= n_ops <= 4), expr
        assert p.metadata["difficulty"] == difficulty
        for number in re.findall(r"\d+", expr):  # every number of the answer is in the prompt
            assert re.search(rf"(?<!\d){number}(?!\d)", p.prompt), (number, p.prompt)
        if p.metadata["template"] != "plain":
            assert int(p.answer) >= 0, p.prompt  # word problems have sensible answers


def test_templates_are_mixed():
    for difficulty in ("easy", "hard"):
        problems = arithmetic_problems(200, seed=0, difficulty=difficulty)
        templates = {p.metadata["template"] for p in problems}
        assert {"plain", "apples", "change", "distance", "sharing"} <= templates
    easy = arithmetic_problems(200, seed=0)
    hard = arithmetic_problems(200, seed=0, difficulty="hard")
    mean = lambda ps: sum(abs(int(p.answer)) for p in ps) / len(ps)  # noqa: E731
    assert mean(hard) > 3 * mean(easy)


def test_a_prefix_of_a_set_is_the_smaller_set():
    assert arithmetic_problems(5, seed=2) == arithmetic_problems(20, seed=2)[:5]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The answer is 42.", "42"),
        ("Let me think... 6 * 7 = 42\n#### 42", "42"),
        ("x = 3 + 4 = 7", "7"),
        ("42", "42"),
        ("It is -17 degrees.", "-17"),
        ("Total: $1,234 dollars", "1234"),
        ("12,345,678 stars", "12345678"),
        ("So she has 15 apples left.", "15"),
        ("It takes 2.5 hours", "2.5"),
        ("It costs 30.00 dollars.", "30"),
        ("The answer is 8. Check: 3 + 5 = 8, and 2 * 4 = 8 too, not 9.", "8"),
        ("The final answer: **56**", "56"),
        ("\\boxed{-3}", "-3"),
        ("10-3 is 7", "7"),
        ("the values are 3,4", "4"),
        ("0042", "42"),
        ("-0", "0"),
        ("no number here", None),
        ("", None),
    ],
)
def test_extract_number(text, expected):
    assert extract_number(text) == expected


def test_extract_number_round_trips_every_answer():
    for p in arithmetic_problems(100, seed=1, difficulty="hard"):
        reply = f"First {p.metadata['expression']}. So the answer is {int(p.answer):,}."
        assert extract_number(reply) == p.answer
    assert extract_number(None) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [0, -3, 1.5, True, "10"])
def test_bad_n_is_an_input_error(n):
    with pytest.raises(InputError) as err:
        arithmetic_problems(n)
    assert err.value.fix


def test_unknown_difficulty_is_an_input_error():
    with pytest.raises(InputError) as err:
        arithmetic_problems(3, difficulty="medium")
    assert "easy" in err.value.fix


def test_evaluate_rejects_what_is_not_exact_integer_arithmetic():
    assert evaluate("(2 + 3) * 4 - 10 // 5") == 18
    for bad in ["7 // 2", "1 / 2", "2 ** 3", "__import__('os')", "1 +", "3.5 + 1"]:
        with pytest.raises(InputError):
            evaluate(bad)
