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


def test_proxy_tuning_across_vocabularies(models):
    from steergraph.agents.value_transfer import ProxyTuningProcessor

    value, src, target, tgt = models
    untuned, _ = tiny_causal_lm(seed=4, vocab_size=384)
    al = TokenAlignment.build(src, tgt)
    proc = ProxyTuningProcessor(value, untuned, alignment=al)
    seq = tgt("the cat")["input_ids"]
    out = proc.rows_call([seq], torch.zeros(1, len(tgt)))
    read = torch.tensor([src("the cat")["input_ids"]])
    delta = value(input_ids=read).logits[0, -1] - untuned(input_ids=read).logits[0, -1]
    assert torch.allclose(out[0], al.project(delta), atol=1e-5)
    alone = completion_nll(target, tgt, [ROW])
    crossed = completion_nll(target, tgt, [ROW], proxy=(value, untuned), alignment=al)
    assert crossed == crossed and crossed != alone


def test_bad_input_across_vocabularies(models):
    value, src, _, tgt = models
    with pytest.raises(CapabilityError, match="cascade"):
        ValueLogitsProcessor(value, connection="cascade", alignment=TokenAlignment.build(src, tgt))
    with pytest.raises(InputError, match="another vocabulary"):  # no alignment given
        ValueLogitsProcessor(value).rows_call([[5, 6]], torch.zeros(1, len(tgt) + 100))


TEXTS = ["hello world, the cat sat on the mat", "the answer is five and the cat is here",
         "def add(a, b):\n    return a + b", "the cats sat there, then the hat"]  # fmt: skip


def test_edit_distance_alignment_of_two_readings_of_one_text():
    from steergraph.agents.value_transfer.corpus_alignment import align_tokens, edit_cost

    assert edit_cost(b"abc", b"abc") == 0.0 and edit_cost(b"", b"ab") == 1.0
    assert edit_cost(b"kitten", b"sitting") == pytest.approx(3 / 7)
    same = [b"the", b" cat"]
    assert align_tokens(same, same) == [(0, 0), (1, 1)]
    # a piece split in two: the whole is aligned with the part starting where it starts
    assert align_tokens([b"def", b" foo", b"(x"], [b"def", b" f", b"oo", b"(", b"x"]) == [
        (0, 0), (1, 1), (2, 3)]  # fmt: skip
    assert align_tokens([], [b"a"]) == []
    # one token longer than the default band does not cut the path
    long = [b" " * 40, b"x"]
    assert align_tokens(long, [b" " * 20, b" " * 20, b"x"])[-1] == (1, 2)


def test_a_corpus_maps_the_tokens_the_byte_rule_could_not(models):
    _, src, _, tgt = models
    rule = TokenAlignment.build(src, tgt)
    corpus = TokenAlignment.from_corpus(src, tgt, TEXTS)
    learned = torch.nonzero(corpus.how == 2).flatten().tolist()
    assert learned, "no target token was mapped from the corpus"
    for t in learned:
        assert not bool(corpus.exact[t])  # exact twins keep their twin
        whole, part = token_bytes(tgt)[t], token_bytes(src)[int(corpus.source_ids[t])]
        assert part and (whole.startswith(part) or part.startswith(whole[:1]))
    assert torch.equal(corpus.source_ids[corpus.exact], rule.source_ids[rule.exact])
    seen = [i for text in TEXTS for i in tgt(text, add_special_tokens=False)["input_ids"]]
    assert corpus.coverage(seen, corpus=True) > corpus.coverage(seen) == rule.coverage(seen)
    assert corpus.coverage(seen, corpus=True) == 1.0  # every token of the corpus is mapped


def test_an_alignment_is_saved_once_and_refused_for_other_tokenizers(models, tmp_path):
    from steergraph.agents.value_transfer.alignment import alignment_for

    _, src, _, tgt = models
    src.save_pretrained(tmp_path)  # a value network's folder holds its tokenizer
    first = alignment_for(tmp_path, tgt, TEXTS)
    (saved,) = (tmp_path / "alignments").glob("*.safetensors")
    stamp = saved.stat().st_mtime_ns
    again = alignment_for(tmp_path, tgt, TEXTS)  # read back, not built again
    assert saved.stat().st_mtime_ns == stamp
    assert torch.equal(first.source_ids, again.source_ids) and torch.equal(first.how, again.how)
    alignment_for(tmp_path, tgt, TEXTS[:1])  # other texts: another alignment, another file
    assert len(list((tmp_path / "alignments").glob("*.safetensors"))) == 2
    assert not list((tmp_path / "alignments").glob("*.partial"))
    assert alignment_for(tmp_path, src) is None  # one vocabulary: nothing to align
    with pytest.raises(InputError, match="built for other tokenizers"):
        TokenAlignment.load(saved, tgt, src)
