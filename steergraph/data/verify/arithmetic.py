"""Seeded arithmetic and word problems with exact integer answers, and answer extraction.

Each :class:`Problem` has ``answer`` (the exact integer, as text) and ``metadata`` with
the template, the arithmetic ``expression`` the answer is the value of, and the number
of operations. Templates mix plain expressions (``What is 37 + 58?``) and word
problems (apples bought and eaten, price x quantity, change, distance, sharing equally
with exact division, multi-step savings). ``"easy"`` problems take 1-2 operations on
small numbers, ``"hard"`` ones 3-4 operations on larger numbers. The same ``seed``
gives the same problems; prompts within a set are distinct.

Example:
    >>> problems = arithmetic_problems(3, seed=1)
    >>> [p.metadata["n_ops"] <= 2 for p in problems]
    [True, True, True]
    >>> p = arithmetic_problems(1, seed=0, difficulty="hard")[0]
    >>> str(evaluate(p.metadata["expression"])) == p.answer
    True
    >>> extract_number("5 + 37 = 42, so the answer is 42 apples.")
    '42'
    >>> extract_number("It costs $1,234.00 in total.")
    '1234'
"""

from __future__ import annotations

import ast
import operator
import random
import re
from collections.abc import Callable

from steergraph.agents.verify.base import Problem
from steergraph.errors import InputError

__all__ = ["DIFFICULTIES", "arithmetic_problems", "evaluate", "extract_number"]

DIFFICULTIES = ("easy", "hard")

_NAMES = ("Sam", "Mia", "Ali", "Lena", "Ravi", "Tom", "Yuki", "Ana", "Omar", "Zoe")
_ITEMS = (("pen", "pens"), ("notebook", "notebooks"), ("ticket", "tickets"), ("book", "books"))
_OPS: dict[type[ast.operator], Callable[[int, int], int]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
}


def evaluate(expression: str) -> int:
    """The exact value of an integer expression using ``+ - * //`` and parentheses.

    >>> evaluate("(3 + 4) * 5 - 6 // 2")
    32
    """

    def ev(node: ast.AST) -> int:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            a, b = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.FloorDiv) and (b == 0 or a % b):
                raise InputError(f"inexact division {a} // {b} in {expression!r}")
            return _OPS[type(node.op)](a, b)
        raise InputError(f"not an integer expression: {expression!r}", fix="use + - * // ( )")

    try:
        return ev(ast.parse(expression, mode="eval").body)
    except SyntaxError as exc:
        raise InputError(f"not an expression: {expression!r}", fix="use + - * // ( )") from exc


def _n_ops(expression: str) -> int:
    return sum(isinstance(n, ast.BinOp) for n in ast.walk(ast.parse(expression, mode="eval")))


# A template draws numbers with ``rng`` and returns (template name, prompt, expression).
_Template = Callable[[random.Random, bool], tuple[str, str, str]]


def _plain(rng: random.Random, hard: bool) -> tuple[str, str, str]:
    if not hard:
        a, b, c = rng.randint(2, 99), rng.randint(2, 99), rng.randint(2, 12)
        form = rng.choice(["add", "sub", "mul", "paren", "mul_sub", "add_sub"])
        a, b = (max(a, b), min(a, b)) if form in ("sub", "add_sub") else (a, b)
        expr = {
            "add": f"{a} + {b}",
            "sub": f"{a} - {b}",
            "mul": f"{rng.randint(2, 20)} * {c}",
            "paren": f"({a} + {b}) * {c}",
            "mul_sub": f"{c} * {b} - {rng.randint(1, 2 * b)}",
            "add_sub": f"{a} - {b} + {c}",
        }[form]
    else:  # 3-4 operations: grow an expression, one random operation at a time
        expr = str(rng.randint(10, 999))
        for _ in range(rng.randint(3, 4)):
            op = rng.choice("+-*")
            b = rng.randint(2, 25) if op == "*" else rng.randint(10, 999)
            wrapped = f"({expr})" if op == "*" or (op == "-" and rng.random() < 0.5) else expr
            expr = f"{wrapped} {op} {b}" if rng.random() < 0.6 else f"{b} {op} ({expr})"
        expr = ast.unparse(ast.parse(expr, mode="eval"))  # drop needless parentheses
    question = rng.choice(["What is {}?", "Compute {}.", "Calculate {}.", "Evaluate {}."])
    return "plain", question.format(expr), expr


def _apples(rng: random.Random, hard: bool) -> tuple[str, str, str]:
    name = rng.choice(_NAMES)
    if not hard:
        a = rng.randint(5, 60)
        b = rng.randint(1, a)
        text = f"{name} buys {a} apples and eats {b} of them. How many apples are left?"
        return "apples", text, f"{a} - {b}"
    a, bags, per = rng.randint(10, 200), rng.randint(3, 30), rng.randint(4, 24)
    d = rng.randint(1, a + bags * per)
    e = rng.randint(0, a + bags * per - d)
    text = (
        f"{name} has {a} apples, buys {bags} bags with {per} apples in each, then eats "
        f"{d} apples and gives {e} apples to a neighbour. How many apples does {name} have now?"
    )
    return "apples", text, f"{a} + {bags} * {per} - {d} - {e}"


def _price(rng: random.Random, hard: bool) -> tuple[str, str, str]:
    name = rng.choice(_NAMES)
    (one, many), q, p = rng.choice(_ITEMS), rng.randint(2, 15), rng.randint(2, 30)
    if not hard:
        if rng.random() < 0.5:
            text = f"One {one} costs {p} dollars. How many dollars do {q} {many} cost?"
            return "price", text, f"{p} * {q}"
        paid = (p * q // 10 + 1 + rng.randint(0, 5)) * 10
        text = (
            f"{name} buys {q} {many} at {p} dollars each and pays with {paid} dollars. "
            f"How many dollars of change does {name} get?"
        )
        return "change", text, f"{paid} - {p} * {q}"
    (_, other), q2, p2 = rng.choice(_ITEMS), rng.randint(2, 40), rng.randint(3, 90)
    other = other if other != many else "bags"
    q, p = rng.randint(5, 60), rng.randint(3, 120)
    paid = ((p * q + p2 * q2) // 100 + 1 + rng.randint(0, 3)) * 100
    text = (
        f"{name} buys {q} {many} at {p} dollars each and {q2} {other} at {p2} dollars each, "
        f"and pays with {paid} dollars. How many dollars of change does {name} get?"
    )
    return "change", text, f"{paid} - ({q} * {p} + {q2} * {p2})"


def _distance(rng: random.Random, hard: bool) -> tuple[str, str, str]:
    if not hard:
        s, h = rng.randint(20, 120), rng.randint(2, 9)
        text = f"A train travels at {s} km per hour for {h} hours. How many km does it travel?"
        return "distance", text, f"{s} * {h}"
    s1, h1, s2, h2 = (
        rng.randint(30, 130),
        rng.randint(2, 12),
        rng.randint(30, 130),
        rng.randint(2, 12),
    )
    back = rng.randint(10, s1 * h1 + s2 * h2)
    text = (
        f"A car drives at {s1} km per hour for {h1} hours, then at {s2} km per hour for "
        f"{h2} hours, then drives {back} km straight back. How many km from the start is it?"
    )
    return "distance", text, f"{s1} * {h1} + {s2} * {h2} - {back}"


def _sharing(rng: random.Random, hard: bool) -> tuple[str, str, str]:
    k, each = rng.randint(2, 12), rng.randint(2, 15)
    if not hard:
        text = f"{k * each} cookies are shared equally among {k} children. How many does each get?"
        return "sharing", text, f"{k * each} // {k}"
    trays, per = rng.randint(3, 25), rng.randint(6, 24)
    kept = (trays * per) % k + k * rng.randint(0, (trays * per) // k // 2)  # rest divides by k
    text = (
        f"A baker makes {trays} trays of {per} muffins, keeps {kept} muffins, and shares the "
        f"rest equally among {k} friends. How many muffins does each friend get?"
    )
    return "sharing", text, f"({trays} * {per} - {kept}) // {k}"


def _savings(rng: random.Random, hard: bool) -> tuple[str, str, str]:
    name = rng.choice(_NAMES)
    if not hard:
        a, b = rng.randint(5, 80), rng.randint(1, 40)
        c = rng.randint(1, a + b)
        text = (
            f"{name} has {a} stickers, gets {b} more, then gives {c} away. "
            f"How many stickers does {name} have now?"
        )
        return "stickers", text, f"{a} + {b} - {c}"
    w, n, start = rng.randint(5, 80), rng.randint(4, 52), rng.randint(0, 500)
    spent = rng.randint(1, start + w * n)
    gift = rng.randint(5, 300)
    text = (
        f"{name} has {start} dollars, saves {w} dollars a week for {n} weeks, spends {spent} "
        f"dollars on a bike, then gets {gift} dollars as a gift. How many dollars does "
        f"{name} have?"
    )
    return "savings", text, f"{start} + {w} * {n} - {spent} + {gift}"


_TEMPLATES: tuple[_Template, ...] = (_plain, _apples, _price, _distance, _sharing, _savings)


def arithmetic_problems(n: int, *, seed: int = 0, difficulty: str = "easy") -> list[Problem]:
    """``n`` distinct problems of ``difficulty`` (``"easy"`` or ``"hard"``), the same for a seed."""
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise InputError(f"n must be a positive integer, got {n!r}", fix="pass n >= 1")
    if difficulty not in DIFFICULTIES:
        raise InputError(
            f"unknown difficulty {difficulty!r}", fix=f"use one of {', '.join(DIFFICULTIES)}"
        )
    rng = random.Random(f"steergraph-arithmetic:{seed}:{difficulty}")
    problems: list[Problem] = []
    seen: set[str] = set()
    attempts = 0
    while len(problems) < n:
        attempts += 1
        if attempts > 50 * n + 1000:
            raise InputError(
                f"could not draw {n} distinct {difficulty} problems",
                fix="ask for fewer problems or use difficulty='hard'",
            )
        template, prompt, expr = rng.choice(_TEMPLATES)(rng, difficulty == "hard")
        if prompt in seen:
            continue
        seen.add(prompt)
        problems.append(
            Problem(
                prompt=prompt,
                id=f"arith-{difficulty}-{seed}-{len(problems)}",
                answer=str(evaluate(expr)),
                metadata={
                    "template": template,
                    "expression": expr,
                    "n_ops": _n_ops(expr),
                    "difficulty": difficulty,
                    "seed": seed,
                },
            )
        )
    return problems


_NUM = r"(?P<sign>[-−]?)\$?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?(?!\d)"
_NUMBER = re.compile(r"(?<![\w.])" + _NUM)
_FINAL = re.compile(
    r"(?:####|\\boxed\{|answer\s*(?:is|:|=)|answer\s+is\s*:)\s*[*_$\s]*" + _NUM, re.I
)


def _normalize(m: re.Match[str]) -> str:
    digits = m.group("int").replace(",", "").lstrip("0") or "0"
    frac = (m.group("frac") or "").rstrip("0")
    value = digits + (frac if frac != "." else "")
    return ("-" if m.group("sign") and value != "0" else "") + value


def extract_number(text: str) -> str | None:
    """The final numeric answer in a model's reply, normalized (``'1,234.0'`` -> ``'1234'``).

    ``#### 42``, ``\\boxed{42}`` and ``the answer is 42`` win (the last such one); else the
    last number in the text. Returns None when there is no number.

    >>> extract_number("The answer is -7 degrees. Check: 3 - 10 = -7")
    '-7'
    >>> extract_number("no digits here") is None
    True
    """
    if not isinstance(text, str):
        return None
    finals = list(_FINAL.finditer(text))
    if finals:
        return _normalize(finals[-1])
    numbers = list(_NUMBER.finditer(text))
    return _normalize(numbers[-1]) if numbers else None
