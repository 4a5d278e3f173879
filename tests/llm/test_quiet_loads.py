"""Loading a cached model prints no per-load progress bar; the setting is restored."""

from __future__ import annotations

from transformers.utils import logging as hf_logging

from steergraph.llm.engines.hf_weights import load_hf_model, quiet_weights
from steergraph.testing import tiny_causal_lm


def test_loading_a_model_folder_prints_nothing(tmp_path, capfd):
    for part in tiny_causal_lm(seed=0):
        part.save_pretrained(tmp_path)
    capfd.readouterr()
    assert hf_logging.is_progress_bar_enabled()
    model, tok, _ = load_hf_model(str(tmp_path))
    assert model is not None and tok is not None
    assert capfd.readouterr().err == ""
    assert hf_logging.is_progress_bar_enabled()  # bars stay on for training, conversions


def test_quiet_weights_restores_a_disabled_setting():
    hf_logging.disable_progress_bar()
    try:
        with quiet_weights():
            assert not hf_logging.is_progress_bar_enabled()
        assert not hf_logging.is_progress_bar_enabled()
    finally:
        hf_logging.enable_progress_bar()
