"""Small deterministic tools used by the demo graph and tests.

``calculator`` evaluates arithmetic by walking Python's AST over a whitelist of
nodes (model output is untrusted: never ``eval``); ``word_count`` counts words.

Example:
    >>> calculator.invoke({"expression": "2 * (3 + 4)"})
    '14'
"""

from __future__ import annotations

import ast
import operator

from langchain_core.tools import tool

from steergraph.errors import InputError

__all__ = ["BASIC_TOOLS", "calculator", "safe_arithmetic", "word_count"]

_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}


def safe_arithmetic(expression: str) -> float | int:
    """Evaluate ``+ - * / // % **`` over numbers; anything else raises InputError."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise InputError(
            f"not an arithmetic expression: {expression!r}", fix="use numbers and + - * / ( )"
        ) from exc

    def walk(node: ast.AST) -> float | int:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool)
        ):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > 100:
                raise InputError("exponent too large", fix="keep exponents at most 100")
            return _BINOPS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](walk(node.operand))
        raise InputError(
            f"unsupported element {type(node).__name__} in {expression!r}",
            fix="use numbers and + - * / // % ** ( )",
        )

    try:
        return walk(tree)
    except ZeroDivisionError as exc:
        raise InputError(
            f"division by zero in {expression!r}", fix="avoid dividing by zero"
        ) from exc


@tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression such as '37 * 89' or '(2 + 3) / 4'."""
    value = safe_arithmetic(expression)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


@tool
def word_count(text: str) -> str:
    """Count the words in a text."""
    return str(len(text.split()))


BASIC_TOOLS = [calculator, word_count]
