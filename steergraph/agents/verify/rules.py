"""Rule verifiers: exact match, numeric tolerance, regular expression, JSON schema.

The cheapest verifiers in the survey's taxonomy: deterministic, no model. Each compares
a candidate with the :class:`~steergraph.agents.verify.base.Problem`'s reference
(``answer``, ``schema``) or with its own pattern, and gives a binary verdict with a
score and a feedback sentence a model can act on during refinement.

Example:
    >>> from steergraph.agents.verify import NumericTolerance, Problem, RegexMatch
    >>> p = Problem(prompt="What is 1/3 to 2 places?", answer="0.33")
    >>> NumericTolerance(abs_tol=0.01).verify(p, "It is about 0.333.").passed
    True
    >>> print(RegexMatch(r"^def \\w+\\(").verify(p, "print(1)").feedback)
    the answer does not match the required pattern /^def \\w+\\(/
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from steergraph.agents.verify.base import Problem, Verdict, Verifier, failed_verdict
from steergraph.errors import InputError

__all__ = ["ExactMatch", "JsonSchemaVerifier", "NumericTolerance", "RegexMatch", "last_number"]

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?|-?\.\d+")


def last_number(text: str) -> float | None:
    """The last number written in ``text`` (commas as thousands separators), or None.

    >>> last_number("3 apples cost 1,250.5 cents")
    1250.5
    """
    found = _NUMBER.findall(text)
    if not found:
        return None
    try:
        return float(found[-1].replace(",", ""))
    except ValueError:
        return None


def _need_answer(problem: Problem, who: str) -> str:
    if problem.answer is None:
        raise InputError(
            f"{who} needs a reference answer but problem {problem.id or problem.prompt[:40]!r}"
            " has none",
            fix="set Problem(answer=...)",
        )
    return problem.answer


class ExactMatch(Verifier):
    """Passes when the normalized candidate equals the reference answer.

    ``normalize`` defaults to stripping whitespace and a trailing period, lower-cased;
    ``extract`` (e.g. :func:`steergraph.data.verify.arithmetic.extract_number`) pulls the final
    answer out of a longer reply first.
    """

    name = "exact"

    def __init__(
        self,
        *,
        extract: Callable[[str], str | None] | None = None,
        case_sensitive: bool = False,
    ) -> None:
        self.extract = extract
        self.case_sensitive = case_sensitive

    def _norm(self, text: str) -> str:
        text = " ".join(text.strip().rstrip(".").split())
        return text if self.case_sensitive else text.lower()

    async def _check(self, problem: Problem, candidate: str) -> Verdict:
        answer = _need_answer(problem, "ExactMatch")
        got = self.extract(candidate) if self.extract else candidate
        if got is None:
            return failed_verdict(self.name, "no final answer found in the reply")
        passed = self._norm(got) == self._norm(answer)
        feedback = "" if passed else f"the final answer {got.strip()[:80]!r} is not correct"
        return Verdict(
            verifier=self.name,
            passed=passed,
            score=float(passed),
            feedback=feedback,
            details={"extracted": got},
        )


class NumericTolerance(Verifier):
    """Passes when the last number in the candidate is within tolerance of the answer."""

    name = "numeric"

    def __init__(self, *, abs_tol: float = 1e-6, rel_tol: float = 1e-6) -> None:
        if abs_tol < 0 or rel_tol < 0:
            raise InputError("tolerances must be >= 0", fix="pass abs_tol/rel_tol >= 0")
        self.abs_tol = abs_tol
        self.rel_tol = rel_tol

    async def _check(self, problem: Problem, candidate: str) -> Verdict:
        answer = _need_answer(problem, "NumericTolerance")
        want = last_number(answer)
        if want is None:
            raise InputError(f"reference answer {answer!r} holds no number", fix="fix the data")
        got = last_number(candidate)
        if got is None:
            return failed_verdict(self.name, "the reply contains no number")
        passed = math.isclose(got, want, rel_tol=self.rel_tol, abs_tol=self.abs_tol)
        error = abs(got - want)
        return Verdict(
            verifier=self.name,
            passed=passed,
            score=float(passed),
            feedback="" if passed else f"{got:g} is not the right value",
            details={"extracted": got, "expected": want, "abs_error": error},
        )


class RegexMatch(Verifier):
    """Passes when ``pattern`` is found in the candidate (``fullmatch=True``: the whole)."""

    name = "regex"

    def __init__(self, pattern: str, *, fullmatch: bool = False, flags: int = re.MULTILINE):
        try:
            self.pattern = re.compile(pattern, flags)
        except re.error as exc:
            raise InputError(
                f"invalid regular expression {pattern!r}: {exc}",
                fix="check the pattern (Python re syntax)",
            ) from exc
        self.fullmatch = fullmatch

    async def _check(self, problem: Problem, candidate: str) -> Verdict:
        text = candidate.strip()
        hit = self.pattern.fullmatch(text) if self.fullmatch else self.pattern.search(text)
        feedback = (
            ""
            if hit
            else f"the answer does not match the required pattern /{self.pattern.pattern}/"
        )
        return Verdict(
            verifier=self.name, passed=bool(hit), score=float(bool(hit)), feedback=feedback
        )


class JsonSchemaVerifier(Verifier):
    """Passes when the candidate (or its first JSON object) validates against a schema.

    The schema is the one given here or the problem's ``schema``. The score is 1 for a
    valid object, 0.5 for JSON that parses but breaks the schema, 0 for no JSON.
    """

    name = "json-schema"

    def __init__(self, schema: dict[str, Any] | None = None) -> None:
        import jsonschema

        if schema is not None:
            try:
                jsonschema.Draft202012Validator.check_schema(schema)
            except jsonschema.SchemaError as exc:
                raise InputError(
                    f"invalid JSON schema: {exc.message}", fix="pass a Draft 2020-12 schema"
                ) from exc
        self.schema = schema

    async def _check(self, problem: Problem, candidate: str) -> Verdict:
        import jsonschema

        schema = self.schema or problem.schema_
        if schema is None:
            raise InputError(
                "JsonSchemaVerifier has no schema", fix="pass one or set Problem.schema"
            )
        data = _first_json(candidate)
        if data is _NO_JSON:
            return failed_verdict(self.name, "the reply holds no JSON value")
        errors = sorted(
            jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path)
        )
        if not errors:
            return Verdict(verifier=self.name, passed=True, score=1.0, details={"value": data})
        where = "/".join(str(p) for p in errors[0].path) or "(root)"
        return Verdict(
            verifier=self.name,
            passed=False,
            score=0.5,
            feedback=f"JSON does not match the schema at {where}: {errors[0].message}",
            details={"errors": [e.message for e in errors[:5]]},
        )


_NO_JSON = object()


def _first_json(text: str) -> Any:
    """The whole text as JSON, else the first decodable JSON object or array in it."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch in "{[":
            try:
                return decoder.raw_decode(text, i)[0]
            except ValueError:
                continue
    return _NO_JSON
