"""The Babel Tower graph: each node alone, a whole run at a tiny size, a rerun that reads
finished stages back, a checkpointed run resumed on its thread, bad input refused."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from steergraph.agents.babel.experiment import figures, initial_plan, middle_share
from steergraph.errors import InputError
from steergraph.graphs.babel import BabelContext, build_babel_graph

CTX = BabelContext(primary_steps=4, continued_steps=4, mixture_steps=2, eval_every=2,
                   vocab_size=300, seq_len=32, batch_size=2, hidden_size=32, num_layers=2,
                   intermediate_size=64, probe_texts=2, min_chars=50, pass_problems=2)  # fmt: skip


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, list[str]]:
    root = tmp_path_factory.mktemp("src")
    for lang, ext, line in (("py", ".py", "def f(x):\n    return x + {i}\n"),
                            ("go", ".go", "func f(x int) int {{ return x + {i} }}\n"),
                            ("js", ".js", "function f(x) {{ return x + {i}; }}\n")):  # fmt: skip
        (root / lang).mkdir()
        for i in range(6):
            (root / lang / f"f{i}{ext}").write_text(line.format(i=i) * 40)
    return {"python": [str(root / "py")], "go": [str(root / "go")],
            "javascript": [str(root / "js")]}  # fmt: skip


def _run(graph, state, **kw):
    with contextlib.redirect_stdout(io.StringIO()):
        return graph.invoke(state, context=CTX, **kw)


def test_a_whole_run_trains_probes_and_reports(sources, tmp_path: Path) -> None:
    state = {"out_dir": str(tmp_path / "run"), "languages": ["python", "go", "javascript"],
             "sources": sources}  # fmt: skip
    out = _run(build_babel_graph(), state)
    names = [s["name"] for s in out["stages"]]
    assert names == ["python", "python>go", "python>javascript", "go-scratch",
                     "mix-optimised", "mix-uniform", "mix-original"]  # fmt: skip
    cont = out["stages"][1]
    assert cont["curve"][0]["tokens"] == out["stages"][0]["tokens_after"]  # tokens run on
    assert len([p for p in out["probes"] if p["stage"] == "python>go"]) == len(cont["curve"])
    report = out["report"]
    for key in ("l2_loss_after_python", "l2_loss_from_scratch", "working_language_shift",
                "l2_neurons_start", "l2_neurons_end", "mixture_loss_optimised",
                "mixture_loss_uniform"):  # fmt: skip
        assert report[key] is not None, key
    assert sum(report["mixture_uniform"].values()) == pytest.approx(1.0, abs=1e-3)
    # pass@1 of every model trained on Python, on real HumanEval problems in the sandbox
    assert set(report["python_pass1"]) == {"python", "mix-optimised", "mix-uniform",
                                           "mix-original"}  # fmt: skip
    assert all(0.0 <= v <= 1.0 for v in report["python_pass1"].values())
    saved = json.loads((tmp_path / "run" / "report.json").read_text())
    assert saved["l2"] == "go" and len(saved["probes"]) == len(out["probes"])
    from steergraph.viz.babel import plot_babel

    png = plot_babel(out["stages"], out["probes"], state["languages"], tmp_path / "b.png")
    assert png.stat().st_size > 10_000
    # a rerun reads every finished stage back instead of training it again
    final = Path(out["stages"][0]["final_dir"]) / "model.safetensors"
    stamp = final.stat().st_mtime_ns
    again = _run(build_babel_graph(), state)
    assert final.stat().st_mtime_ns == stamp
    assert again["report"]["l2_loss_after_python"] == report["l2_loss_after_python"]


@pytest.mark.parametrize("saver", ["memory", "postgresql"])
def test_a_checkpointed_run_resumes_on_its_thread(sources, tmp_path: Path, saver, request) -> None:
    from langgraph.checkpoint.memory import InMemorySaver

    from steergraph.graphs.persistence import persistence

    db = request.getfixturevalue("postgres_url") if saver == "postgresql" else None
    config = {"configurable": {"thread_id": f"t-{saver}"}}
    state = {"out_dir": str(tmp_path / "run"), "languages": ["python", "go"],
             "sources": {k: sources[k] for k in ("python", "go")}}  # fmt: skip
    memory = InMemorySaver()
    with persistence(db) as (checkpointer, _):
        graph = build_babel_graph(checkpointer=checkpointer or memory)
        _run(graph, state, config=config, interrupt_before=["probe"])
        assert graph.get_state(config).next == ("probe",)
    with persistence(db) as (checkpointer, _):  # a new connection, as another process has
        graph = build_babel_graph(checkpointer=checkpointer or memory)
        out = _run(graph, None, config=config)
    assert [s["name"] for s in out["stages"]][:3] == ["python", "python>go", "go-scratch"]
    assert out["report"]["l2"] == "go"


@pytest.mark.parametrize(
    ("state", "message"),
    [({"languages": ["python"]}, "two or more distinct languages"),
     ({"languages": ["python", "python"]}, "two or more distinct languages"),
     ({"languages": ["python", "cobol"], "sources": None}, "unknown language 'cobol'")],
)  # fmt: skip
def test_bad_input_is_refused_before_training(sources, tmp_path, state, message) -> None:
    full = {"out_dir": str(tmp_path / "run"), "languages": ["python", "go"], "sources": sources,
            **state}  # fmt: skip
    if full["sources"] is None:
        del full["sources"]
    with pytest.raises(InputError, match=message):
        _run(build_babel_graph(), full)
    assert not (tmp_path / "run" / "stages").exists()


def test_figures_and_middle_layers() -> None:
    assert middle_share([0.0, 0.1, 0.5, 0.9, 1.0]) == 0.5  # 3 inner layers: the middle one
    assert middle_share([0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0]) == 0.5  # 5 inner: layers 2-3
    plan = initial_plan(["python", "go"], primary_steps=2, continued_steps=2)
    curve = [{"tokens": t, "loss": {"python": 5.0, "go": g}} for t, g in ((0, 6.0), (8, 4.0))]
    stages = {s["name"]: {**s, "curve": curve} for s in plan}
    probes = [{"stage": "python>go", "tokens": t, "middle": {"python": p, "go": 1 - p},
               "neurons": {"python": 3, "go": n}, "transferring": {"go": 2}}
              for t, p, n in ((0, 0.8, 1), (8, 0.3, 4))]  # fmt: skip
    out = figures(stages, probes, ["python", "go"])
    assert out["working_language_shift"] == 0.5
    assert (out["l2_neurons_start"], out["l2_neurons_end"]) == (1, 4)
    assert out["stages_l2"] == ["translation", "stabilisation"]
    assert out["mixture_loss_optimised"] is None
