"""Babel Tower's tiny pre-training: tokenizer, streams, stages, curves, checkpoints."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from steergraph.data.babel.corpus import CodeFile, Corpus
from steergraph.errors import InputError
from steergraph.training.babel_config import BabelConfig
from steergraph.training.babel_trainer import (
    encode_corpus,
    heldout_loss,
    new_tiny_llama,
    train_code_tokenizer,
    train_stage,
)

PY = "def area(w, h):\n    return w * h\n\nclass Box:\n    pass\n"
GO = "func Area(w int, h int) int {\n\treturn w * h\n}\n\ntype Box struct{}\n"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    files = [
        CodeFile(lang, f"{lang}{i}", text * (20 + i), split)
        for lang, text in (("python", PY), ("go", GO))
        for i, split in enumerate(("train", "train", "train", "heldout"))
    ]
    return Corpus(["python", "go"], files)


def _cfg(tmp: Path, **kw: object) -> BabelConfig:
    base = dict(
        output_dir=str(tmp),
        seq_len=32,
        eval_blocks=2,
        hidden_size=32,
        num_layers=2,
        num_heads=2,
        intermediate_size=64,
        per_device_train_batch_size=4,
        use_cpu=True,
        disable_tqdm=True,
        learning_rate=5e-3,
        warmup_steps=2,
    )
    base.update(kw)
    return BabelConfig(**base)  # type: ignore[arg-type]


def test_tokenizer_and_streams_cover_every_language(corpus: Corpus) -> None:
    tok = train_code_tokenizer(corpus, vocab_size=320)
    streams = encode_corpus(corpus, tok)
    counts = streams.counts()
    assert set(counts) == {"python", "go"}
    assert all(c["train_tokens"] > c["heldout_tokens"] > 0 for c in counts.values())
    assert tok.decode(tok(GO)["input_ids"]) == GO  # byte-level: lossless


def test_a_python_stage_learns_python_more_than_go(corpus: Corpus, tmp_path: Path) -> None:
    tok = train_code_tokenizer(corpus, vocab_size=320)
    streams = encode_corpus(corpus, tok)
    cfg = _cfg(tmp_path / "py", max_steps=30, eval_every=10, mixture={"python": 1.0})
    with contextlib.redirect_stdout(io.StringIO()):
        stage = train_stage(None, tok, streams, cfg)
    assert [p["step"] for p in stage.curve] == [0, 10, 20, 30]
    assert [p["tokens"] for p in stage.curve] == [0, 1280, 2560, 3840]
    first, last = stage.curve[0]["loss"], stage.final_loss()
    assert last["python"] < first["python"] - 1.0
    assert first["python"] - last["python"] > first["go"] - last["go"]
    assert all(Path(c, "config.json").is_file() for c in stage.checkpoints)
    saved = json.loads((tmp_path / "py" / "curve.json").read_text())
    assert saved == stage.curve
    # continued on go from the python model: tokens run on across stages
    model = new_tiny_llama(tok, cfg)
    model.load_state_dict(
        __import__("transformers")
        .AutoModelForCausalLM.from_pretrained(stage.final_dir)
        .state_dict()
    )
    go_cfg = _cfg(tmp_path / "go", max_steps=10, eval_every=10, mixture={"go": 1.0})
    with contextlib.redirect_stdout(io.StringIO()):
        cont = train_stage(model, tok, streams, go_cfg, tokens_before=stage.tokens_after)
    assert cont.curve[0]["tokens"] == 3840 and cont.curve[0]["loss"] == pytest.approx(
        last, abs=1e-3
    )
    assert cont.final_loss()["go"] < cont.curve[0]["loss"]["go"]


def test_heldout_loss_is_deterministic(corpus: Corpus, tmp_path: Path) -> None:
    tok = train_code_tokenizer(corpus, vocab_size=320)
    streams = encode_corpus(corpus, tok)
    model = new_tiny_llama(tok, _cfg(tmp_path))
    a = heldout_loss(model, streams.heldout, seq_len=32, blocks=2)
    assert a == heldout_loss(model, streams.heldout, seq_len=32, blocks=2)


def test_bad_stage_settings_are_named(corpus: Corpus, tmp_path: Path) -> None:
    tok = train_code_tokenizer(corpus, vocab_size=320)
    streams = encode_corpus(corpus, tok)
    with pytest.raises(InputError, match=r"the mixture names \['rust'\]"):
        train_stage(None, tok, streams, _cfg(tmp_path, max_steps=2, mixture={"rust": 1.0}))
    with pytest.raises(InputError, match="needs max_steps > 0"):
        train_stage(None, tok, streams, _cfg(tmp_path, mixture={"go": 1.0}))
    with pytest.raises(InputError, match="no positive share"):
        _cfg(tmp_path, mixture={"go": 0.0})
    with pytest.raises(InputError, match="fewer training tokens than one block"):
        train_stage(None, tok, streams, _cfg(tmp_path, max_steps=2, seq_len=100_000))


def test_early_evaluations_add_checkpoints_at_the_start(corpus: Corpus, tmp_path: Path) -> None:
    tok = train_code_tokenizer(corpus, vocab_size=320)
    cfg = _cfg(tmp_path, max_steps=6, eval_every=6, early_evals=(1, 3), mixture={"go": 1.0})
    with contextlib.redirect_stdout(io.StringIO()):
        stage = train_stage(None, tok, encode_corpus(corpus, tok), cfg)
    assert [p["step"] for p in stage.curve] == [0, 1, 3, 6]
    assert len(stage.checkpoints) == 4


def test_token_streams_round_trip_through_a_file(corpus: Corpus, tmp_path: Path) -> None:
    from steergraph.training.babel_trainer import TokenStreams

    streams = encode_corpus(corpus, train_code_tokenizer(corpus, vocab_size=320))
    back = TokenStreams.load(streams.save(tmp_path / "tokens.pt"))
    assert back.counts() == streams.counts()
    assert all(bool((back.train[k] == streams.train[k]).all()) for k in streams.languages)


def test_a_stage_stopped_part_way_goes_on_from_its_last_checkpoint(
    corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    import steergraph.training.babel_trainer as bt

    tok = train_code_tokenizer(corpus, vocab_size=320)
    streams = encode_corpus(corpus, tok)
    kw = dict(max_steps=8, eval_every=4, mixture={"python": 1.0, "go": 1.0}, seed=3)
    with contextlib.redirect_stdout(io.StringIO()):
        whole = train_stage(new_tiny_llama(tok, _cfg(tmp_path / "a", **kw), seed=1), tok, streams,
                            _cfg(tmp_path / "a", **kw))  # fmt: skip
    original = bt._EvalAndSnapshot.on_step_end

    def stop_at_6(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
        if state.global_step == 6:
            raise KeyboardInterrupt("stopped")
        return original(self, args, state, control, **kwargs)

    monkeypatch.setattr(bt._EvalAndSnapshot, "on_step_end", stop_at_6)
    cfg = _cfg(tmp_path / "b", **kw)
    with pytest.raises(KeyboardInterrupt), contextlib.redirect_stdout(io.StringIO()):
        train_stage(new_tiny_llama(tok, cfg, seed=1), tok, streams, cfg)
    assert (tmp_path / "b" / "checkpoint-4").is_dir()
    monkeypatch.setattr(bt._EvalAndSnapshot, "on_step_end", original)
    with contextlib.redirect_stdout(io.StringIO()):  # a fresh model: the checkpoint wins
        resumed = train_stage(new_tiny_llama(tok, cfg, seed=9), tok, streams, cfg)
    assert [c["step"] for c in resumed.curve] == [c["step"] for c in whole.curve] == [0, 4, 8]
    assert resumed.curve[1]["loss"] == whole.curve[1]["loss"]  # kept, not measured again
    a = AutoModelForCausalLM.from_pretrained(whole.final_dir).state_dict()
    b = AutoModelForCausalLM.from_pretrained(resumed.final_dir).state_dict()
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a)  # as if never stopped
    assert not list((tmp_path / "b").glob("checkpoint-*"))
    # a stopped stage is not continued with other settings
    cfg_c = _cfg(tmp_path / "c", **kw)
    monkeypatch.setattr(bt._EvalAndSnapshot, "on_step_end", stop_at_6)
    with pytest.raises(KeyboardInterrupt), contextlib.redirect_stdout(io.StringIO()):
        train_stage(new_tiny_llama(tok, cfg_c, seed=1), tok, streams, cfg_c)
    monkeypatch.setattr(bt._EvalAndSnapshot, "on_step_end", original)
    other = _cfg(tmp_path / "c", **{**kw, "max_steps": 12})
    with pytest.raises(InputError, match="other settings"):
        train_stage(new_tiny_llama(tok, other, seed=1), tok, streams, other)
