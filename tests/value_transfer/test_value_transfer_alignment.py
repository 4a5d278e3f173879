"""Cross-vocabulary value networks: the token alignment, teacher-forced NLL through it, and
decoding another model's vocabulary with it."""

from __future__ import annotations

import pytest
import torch

from steergraph.agents.value_transfer import ValueLogitsProcessor
from steergraph.agents.value_transfer.alignment import TokenAlignment, token_bytes
from steergraph.agents.value_transfer.evaluate import (
    aligned_value_logits,
    alignment_coverage,
    completion_ids,
    completion_nll,
)
from steergraph.errors import CapabilityError, InputError
from steergraph.testing import tiny_causal_lm

ROW = {
    "prompt": [{"role": "user", "content": "add two and three"}],
    "completion": [{"role": "assistant", "content": "the answer is five"}],
}


@pytest.fixture(scope="module")
def models():
    value, source_tok = tiny_causal_lm(seed=1, vocab_size=384)
    target, target_tok = tiny_causal_lm(seed=2, vocab_size=512)
    return value, source_tok, target, target_tok


def test_bytes_and_mapping_of_two_vocabularies(models):
    _, src, _, tgt = models
    assert token_bytes(src)[src.convert_tokens_to_ids("Ġthe")] == b" the"
    al = TokenAlignment.build(src, tgt)
    assert al.source_ids.shape == (len(tgt),) and bool((al.source_ids >= 0).all())
    # the smaller vocabulary's tokens are all in the larger one; the larger's extra
    # merges map to their first piece, not exactly
    assert TokenAlignment.build(tgt, src).coverage() == 1.0
    assert 0.5 < al.coverage() < 1.0
    extra = int(torch.nonzero(~al.exact)[0])
    piece = src.convert_ids_to_tokens(int(al.source_ids[extra]))
    assert tgt.convert_ids_to_tokens(extra).startswith(piece)


def test_project_and_translate(models):
    _, src, _, tgt = models
    al = TokenAlignment.build(src, tgt)
    logits = torch.arange(len(src), dtype=torch.float).unsqueeze(0)
    projected = al.project(logits)
    assert projected.shape == (1, len(tgt))
    assert torch.equal(projected[0], al.source_ids.float())  # logit i sits on source token i
    ids = tgt("hello world, the cat sat")["input_ids"]
    assert src.decode(al.translate(ids)) == "hello world, the cat sat"


def test_identity_alignment_reproduces_the_one_vocabulary_logits(models):
    value, src, _, _ = models
    same = TokenAlignment.build(src, src)
    ids, start = completion_ids(src, ROW)
    aligned = aligned_value_logits(value, same, ROW, ids, start)
    full = value(input_ids=torch.tensor([ids])).logits[0, start - 1 : -1]
    reply = len(src(ROW["completion"][0]["content"], add_special_tokens=False)["input_ids"])
    assert aligned.shape == full.shape
    assert torch.allclose(aligned[:reply], full[:reply], atol=1e-5)


def test_cross_vocabulary_nll_and_coverage(models):
    value, src, target, tgt = models
    al = TokenAlignment.build(src, tgt)
    alone = completion_nll(target, tgt, [ROW])
    crossed = completion_nll(target, tgt, [ROW], value=value, alignment=al)
    assert crossed != alone and crossed == crossed  # the value network moved it, no NaN
    assert 0.0 < alignment_coverage(al, [ROW], 512) <= 1.0


def test_decoding_another_vocabulary(models):
    value, src, _, tgt = models
    proc = ValueLogitsProcessor(value, alignment=TokenAlignment.build(src, tgt))
    seqs = [tgt("hello world")["input_ids"], tgt("the cat")["input_ids"]]
    out = proc.rows_call(seqs, torch.zeros(2, len(tgt)))
    assert out.shape == (2, len(tgt)) and bool(out.abs().sum() > 0)
    expected = value(input_ids=torch.tensor([src("the cat")["input_ids"]])).logits[0, -1]
    assert torch.allclose(out[1], TokenAlignment.build(src, tgt).project(expected), atol=1e-5)


def test_bad_input_across_vocabularies(models):
    value, src, _, tgt = models
    with pytest.raises(CapabilityError, match="cascade"):
        ValueLogitsProcessor(value, connection="cascade", alignment=TokenAlignment.build(src, tgt))
    with pytest.raises(InputError, match="another vocabulary"):  # no alignment given
        ValueLogitsProcessor(value).rows_call([[5, 6]], torch.zeros(1, len(tgt) + 100))
