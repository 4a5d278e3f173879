"""Execute every notebook in examples/ on the embedded model, at a small size.

A notebook's cell tagged ``parameters`` (papermill's convention) holds its sizes; the
test inserts a cell after it with smaller values from :data:`SMALL`, runs the notebook
with nbclient and checks what it printed against :data:`CHECKS`: patterns that must
appear, some with a condition on the numbers they capture.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = [pytest.mark.e2e, pytest.mark.notebook]

NOTEBOOKS = sorted((Path(__file__).parents[2] / "examples").glob("*.ipynb"))

#: parameter values injected after each notebook's ``parameters`` cell
SMALL: dict[str, dict[str, object]] = {
    "babel.ipynb": {
        "PRIMARY_STEPS": 30,
        "CONTINUED_STEPS": 20,
        "MIXTURE_STEPS": 10,
        "EVAL_EVERY": 10,
        "MAX_FILES": 60,
        "BATCH": 8,
    },
    "sso.ipynb": {
        "N_QUERIES": 3,
        "MAX_NEW_TOKENS": 32,
        "TRAIN_STEPS": 1,
        "LOOP_QUERIES": 2,
        "LOOP_NEW_TOKENS": 24,
        "LOOP_STEPS": 1,
        "EVAL_QUERIES": 1,
        "LOOP_EXPORT": False,  # the GGUF export is tested in tests/sso
    },
    "verify.ipynb": {
        "HE_PROBLEMS": 1,
        "HE_N": 2,
        "HE_TOKENS": 160,
        "SC_N": 4,
        "ARITH_TOKENS": 96,
        "LOOP_PROBLEMS": 4,
        "LOOP_ROUNDS": 1,
        "COMPARE_PROBLEMS": 1,
    },
    "delta.ipynb": {"N_EDITS": 1, "N_CALIB": 1, "MAX_LENGTH": 96},
    "caorl.ipynb": {
        "FAMILIES": ("word-count",),
        "ORACLE_SIZE": 2,
        "STEPS": 2,
        "PER_BUCKET": 1,
    },
    "difflm.ipynb": {"STEPS": 4, "PRIOR_STEPS": 200, "N": 2},
    "mole.ipynb": {
        "N_ARTICLES": 3,
        "LLM_ORIGINALS": 1,
        "EPOCHS": 2,
        "MAX_NEW_TOKENS": 64,
        "TEST_ARTICLES": 4,
    },
    "seg2act.ipynb": {"MAX_SEGMENTS": 14, "TRAIN_DOCS": 2, "TRAIN_STEPS": 3, "TEST_DOCS": 1},
    "value_transfer.ipynb": {"TRAIN_ROWS": 8, "STEPS": 3, "TEST_ROWS": 2, "ARITH": 1},
    "structrag.ipynb": {
        "COMPARE_FAMILIES": ["largest_package"],
        # one family: table beats chunk on it, so there is a pair to train on (two
        # families: benchmarks/structrag_bench.py)
        "ROUTER_FAMILIES": ["largest_package"],
        "ROUTER_STEPS": 1,
    },
}

Check = tuple[str, Callable[[re.Match], bool] | None]


def _num(m: re.Match, i: int) -> float:
    return float(m.group(i))


#: (pattern, condition on its match or None) that each notebook's printed text must hold
CHECKS: dict[str, list[Check]] = {
    "quickstart.ipynb": [
        (r"engine of 'local': (gguf|hf)", None),
        # the true sentence is more likely than the absurd one under the real model
        (r"mean log-prob: (-?\d+\.\d+) vs (-?\d+\.\d+)", lambda m: _num(m, 1) > _num(m, 2)),
    ],
    "catp.ipynb": [
        (r"makespan: concurrent ([\d.]+) ms; sequential ([\d.]+) ms", None),
        (r"summarize_lead", None),  # the plan error names the step whose type is wrong
    ],
    "delta.ipynb": [
        (r"SFT: \d+ steps, loss ([\d.]+) -> ([\d.]+)", lambda m: _num(m, 2) < _num(m, 1)),
        (r"([\d.]+)x smaller", lambda m: _num(m, 1) > 4),  # 1-bit signs + a scale per matrix
    ],
    "mole.ipynb": [
        (r"train: (\d+) summaries of 3 articles", lambda m: int(m.group(1)) == 48),
        (
            r"(\d+) counterfactuals, (\d+) passed",
            lambda m: int(m.group(2)) >= 0.8 * int(m.group(1)),
        ),
        (r"contrastive loss: ([\d.]+) -> ([\d.]+)", lambda m: _num(m, 2) <= _num(m, 1)),
        (r"rouge_l +\{", None),
    ],
    "sso.ipynb": [
        # the policy chose features for every query (constrained to the library's names)
        (r"(?m)^\{'[^\n]*\}$", lambda m: sum(map(int, re.findall(r": (\d+)", m.group(0)))) == 3),
        (r"(\d+) replies in [\d.]+ s", lambda m: int(m.group(1)) == 3 * 3),
        # mean token log-probs of real replies are finite and negative
        (
            r"under the plain prompt: (-?[\d.]+) to (-?[\d.]+)",
            lambda m: -30 < _num(m, 1) <= _num(m, 2) < 0,
        ),
        (r"every kept y\+ is likeliest under its own principle: True", None),
        (r"kept (\d+) of (\d+) \| trained", lambda m: int(m.group(1)) <= int(m.group(2))),
        (r"'instructed'", None),
    ],
    "verify.ipynb": [
        (r"fine +ok=True +45", None),
        (r"infinite loop +ok=False", None),
        (r"memory bomb +ok=False", None),
        (r"network +ok=False", None),
        (r"canonical +passed=True", None),
        (r"wrong +passed=False", None),
        (r"not code +passed=False", None),
        (r"self-consistency votes:", None),
    ],
    "seg2act.ipynb": [
        (r"mv.1: 14 segments, (\d+) headings", lambda m: int(m.group(1)) >= 2),
        # man-page headings are capitals: the rules find most of them
        (r"rules: heading F1 ([\d.]+)", lambda m: _num(m, 1) >= 0.5),
        # the grammar: one action per segment, every reply parsed
        (r"untrained: (\d+) actions for (\d+) segments", lambda m: m.group(1) == m.group(2)),
        (r"SFT: 3 steps, loss ([\d.]+) -> ([\d.]+)", None),
        (r"trained +heading F1 ([\d.]+) .* \(1 documents\)", None),
    ],
    "babel.ipynb": [
        (
            r"stages: \['python', 'python>javascript', 'javascript-scratch', 'mix-optimised', "
            r"'mix-uniform', 'mix-original'\]",
            None,
        ),
        # both models learned some JavaScript (2,048 tokens: an untrained model is at 7.6)
        (
            r"javascript held-out loss: ([\d.]+) after Python vs ([\d.]+) from scratch",
            lambda m: max(_num(m, 1), _num(m, 2)) < 7.5,
        ),
        (r"stage of each checkpoint: \['(translation|transition|stabilisation)'", None),
        (r"mixture optimised \{.*\}: mean held-out loss ([\d.]+)", None),
        # the real model has language neurons LAPE can find
        (
            r"SmolLM2 LAPE neurons: python (\d+), javascript (\d+)",
            lambda m: _num(m, 1) + _num(m, 2) > 0,
        ),
    ],
    "difflm.ipynb": [
        (r"a row as the decoder writes it: year is \d+, age is \d+, maritl is", None),
        (r"VAE: 4 steps, reconstruction ([\d.]+) -> ([\d.]+)", None),
        # the grammar: every decoded row parses, through either prior
        (r"diffusion: (\d+)/(\d+) parsed", lambda m: m.group(1) == m.group(2)),
        (r"gaussian: (\d+)/(\d+) parsed", lambda m: m.group(1) == m.group(2)),
        (r"real rows: AUC \{'xgboost': ([\d.]+)", lambda m: _num(m, 1) > 0.6),
    ],
    "value_transfer.ipynb": [
        (r"value network: 3 steps, loss ([\d.]+) -> ([\d.]+)", None),
        (r"'connection': 'residual'", None),
        (r"held-out NLL: alone ([\d.]+), with the value network ([\d.]+)", None),
        (r"with value: \S", None),  # decoding through it produced text
    ],
    "caorl.ipynb": [
        (r"pool: (\d+) plans of (\d+) tasks", lambda m: _num(m, 1) > _num(m, 2) > 0),
        (r"trained: 2 steps", None),
        # the type mask: every plan the trained planner writes is valid and runs
        (r"valid plans: (\d+)/(\d+)", lambda m: m.group(1) == m.group(2) != "0"),
    ],
    "structrag.ipynb": [
        # the table parsed from the records computes the gold answer exactly
        (r"largest by pandas: (\S+) \| gold: (\S+)", lambda m: m.group(1) == m.group(2)),
        (r"document issues: .*empty\.txt.*image\.png|document issues: .*image\.png.*empty", None),
        # the router graph end to end: pairs judged, DPO steps, accuracy before and after
        # on a held-out task, the trained router exported for llama.cpp
        (r"'pairs': (\d+)", lambda m: int(m.group(1)) >= 1),
        (r"trained: \{'router': '[^']+', 'steps': 1,.* losses: \[[^,\]]+\]", None),
        (
            r"held-out tasks: \{'before': ([\d.]+), 'after': ([\d.]+)\}",
            lambda m: 0 <= _num(m, 1) <= 1 and 0 <= _num(m, 2) <= 1,
        ),
        (r"router for llama.cpp: \['model.gguf'\]", None),
    ],
}


def _inject(nb: nbformat.NotebookNode, values: dict[str, object]) -> None:
    index = next(
        i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])
    )
    known = set(re.findall(r"^([A-Z_][A-Z0-9_]*) =", nb.cells[index].source, flags=re.M))
    assert set(values) <= known, f"not parameters of this notebook: {set(values) - known}"
    cell = nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in values.items()))
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(index + 1, cell)


def _printed(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.output_type == "stream":
                parts.append(out.text)
            elif out.output_type in ("execute_result", "display_data"):
                parts.append(out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def test_every_notebook_has_checks():
    assert {p.name for p in NOTEBOOKS} == set(CHECKS)
    assert set(SMALL) <= set(CHECKS)


#: notebooks that need what a test group builds once (see that group's tests)
GROUPS = {"delta.ipynb": "smollm2-post-trained"}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(p, marks=pytest.mark.xdist_group(GROUPS[p.name])) if p.name in GROUPS else p
        for p in NOTEBOOKS
    ],
    ids=[p.name for p in NOTEBOOKS],
)
def test_notebook_executes(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    if path.name in SMALL:
        _inject(nb, SMALL[path.name])
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert not errors
    text = _printed(nb)
    for pattern, condition in CHECKS[path.name]:
        match = re.search(pattern, text)
        assert match, f"{path.name} did not print {pattern!r}"
        if condition is not None:
            assert condition(match), f"{path.name}: {match.group(0)!r} fails its check"
