"""The delta-editing graph on the tiny pair: checks first, one branch per editor, estimate."""

from __future__ import annotations

import pytest
from safetensors.torch import load_file

from steergraph.errors import EditingError, InputError
from steergraph.graphs.delta import DeltaContext, build_delta_graph, check, fan_out
from steergraph.testing import TINY_ROWS

EDITORS = [{"method": "dare", "p": 0.5}, {"method": "bitdelta", "bits": 1}]


def _run(state, **ctx):
    return build_delta_graph().invoke(state, context=DeltaContext(**ctx))


def test_every_editor_writes_its_folder_and_gets_an_estimate(tiny_pair, tmp_path):
    base, post = tiny_pair
    out = _run(
        {
            "base": str(base),
            "post": str(post),
            "editors": EDITORS,
            "out_dir": str(tmp_path),
            "calibration": TINY_ROWS,
        },
        steps=2,
    )
    assert sorted(e["folder"] for e in out["edits"]) == ["01-dare", "02-bitdelta"]
    post_w = load_file(post / "model.safetensors")
    for record in out["edits"]:
        assert record["edited"] > 0 and record["edited"] <= record["tensors"]
        edited = load_file(tmp_path / record["folder"] / "model.safetensors")
        assert set(edited) == set(post_w)
        changed = [n for n in post_w if not (edited[n] == post_w[n]).all()]
        assert changed, f"{record['folder']} is the post model unchanged"
    estimates = out["report"]["estimates"]
    assert [e["editor"]["method"] for e in estimates] == ["dare", "bitdelta"]
    for e in estimates:
        assert e["predicted"] == e["predicted"] and e["measured"] == e["measured"]  # not NaN


def test_without_an_out_dir_nothing_is_written_and_without_rows_no_estimate(tiny_pair):
    base, post = tiny_pair
    state = {"base": str(base), "post": str(post), "editors": EDITORS}
    assert fan_out(state) == "estimate"
    out = _run(state)
    assert out["edits"] == [] and "report" not in out
    assert out["targeted"] > 0


def test_bad_editors_fail_in_check_before_anything_is_written(tiny_pair, tmp_path):
    base, post = tiny_pair
    state = {"base": str(base), "post": str(post), "out_dir": str(tmp_path / "x")}
    with pytest.raises(EditingError, match="unknown editing method 'drop'"):
        _run({**state, "editors": [{"method": "dare", "p": 0.5}, {"method": "drop"}]})
    with pytest.raises(EditingError, match=r"p"):
        _run({**state, "editors": [{"method": "dare", "p": 1.5}]})
    with pytest.raises(InputError, match="no editors"):
        check({**state, "editors": []})
    assert not (tmp_path / "x").exists()


def test_a_pair_of_two_different_models_is_refused(tiny_pair, tmp_path):
    from steergraph.testing import tiny_causal_lm

    base, _ = tiny_pair
    other, _ = tiny_causal_lm(seed=0, hidden=48)
    other.save_pretrained(tmp_path / "other")
    with pytest.raises(EditingError, match="shape"):
        _run(
            {
                "base": str(base),
                "post": str(tmp_path / "other"),
                "editors": EDITORS,
                "out_dir": str(tmp_path / "out"),
            }
        )
    assert not (tmp_path / "out").exists()


def test_estimate_alone_skips_without_calibration_and_reports_each_editor(tiny_pair):
    from types import SimpleNamespace

    from steergraph.graphs.delta import estimate

    base, post = tiny_pair
    runtime = SimpleNamespace(context=DeltaContext(steps=2))
    state = {"base": str(base), "post": str(post), "editors": EDITORS[:1]}
    assert estimate(state, runtime) == {}
    report = estimate({**state, "calibration": TINY_ROWS}, runtime)["report"]
    assert [e["editor"]["method"] for e in report["estimates"]] == ["dare"]
