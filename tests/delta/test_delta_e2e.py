"""Delta editing on the embedded SmolLM2 and its post-trained version (TRL SFT, cached)."""

from __future__ import annotations

import pytest

# one worker builds the post-trained pair (about 95 s on a fresh machine) and runs every
# test that needs it, instead of a second worker waiting on the cache's lock
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("smollm2-post-trained")]


@pytest.fixture(scope="module")
def pair():
    from steergraph.llm.embedded import ensure_converted
    from steergraph.training.delta import QUICK_RECIPE, post_trained

    return ensure_converted("smollm2"), post_trained(QUICK_RECIPE, progress=False)


def test_post_training_helped_and_the_estimate_predicts_the_measured_sign(pair):
    from steergraph.editing import BitDelta, Dare, Extrapolate, evaluate_edits
    from steergraph.training.delta import calibration_rows

    editors = [Dare(p=0.99), BitDelta(bits=1), Extrapolate(alpha=0.0)]
    report = evaluate_edits(*pair, editors, calibration_rows(n=4), max_length=128, progress=False)
    # the SFT lowered the loss on held-out rows it never trained on
    assert report.loss_base > report.loss_post
    back_to_base = report.estimates[2]
    assert back_to_base.measured == pytest.approx(report.loss_base - report.loss_post, abs=1e-4)
    assert back_to_base.predicted_class == "decreased"
    assert len(report.outside_band) >= 2 and report.sign_agreement == 1.0
    for est in report.estimates:
        assert len(est.terms) == 5 and est.direction_norm > 0


def test_bitdelta_file_is_small_and_applies_to_a_working_model(pair, tmp_path):
    from steergraph.editing import BitDelta, Checkpoint, apply_delta, edit_checkpoint, write_delta
    from steergraph.llm import load_chat_model

    base, post = pair
    info = write_delta(base, post, BitDelta(bits=1), tmp_path / "bd1.safetensors", progress=False)
    # 1 bit per matrix entry; the 30 layers' norm vectors are kept exactly
    assert info.compression > 25 and info.kinds["signs"] == 30 * 7 + 1
    out = apply_delta(base, info.path, tmp_path / "bd1", files_from=post, progress=False)
    direct = edit_checkpoint(base, post, BitDelta(bits=1), tmp_path / "direct", progress=False)
    a, d = Checkpoint(out), Checkpoint(direct.out)
    name = "model.layers.3.mlp.down_proj.weight"
    assert (a.get(name) == d.get(name)).all()
    llm = load_chat_model(f"local+hf:{out}", max_new_tokens=12)
    assert llm.invoke("What is the Debian package apt used for?").content.strip()


def test_models_of_two_families_are_refused_before_anything_is_written(tmp_path, monkeypatch):
    from steergraph.editing import Dare, edit_checkpoint
    from steergraph.errors import EditingError
    from steergraph.llm import embedded

    def no_conversion(name):  # the families differ: refused before Gemma is converted
        raise AssertionError(f"{name} was converted before the refusal")

    monkeypatch.setattr(embedded, "ensure_converted", no_conversion)
    with pytest.raises(EditingError, match=r"differ in architecture: base llama .* post gemma3"):
        edit_checkpoint("smollm2", "gemma3", Dare(p=0.5), tmp_path / "out", progress=False)
    assert list(tmp_path.iterdir()) == []
