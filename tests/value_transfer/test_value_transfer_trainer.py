"""Inverse value learning: the value-network trainer on tiny models, and decoding with it
on both local engines."""

from __future__ import annotations

import pytest
import torch

from steergraph.errors import CapabilityError, InputError
from steergraph.testing import tiny_causal_lm

# one worker runs the module: the trained fixture is built once, not once per worker
pytestmark = pytest.mark.xdist_group("value-transfer-trainer")

REPLY = "the answer is seven"


def _rows(n: int = 8) -> list[dict]:
    return [
        {
            "prompt": [{"role": "user", "content": f"question {i}"}],
            "completion": [{"role": "assistant", "content": REPLY}],
        }
        for i in range(n)
    ]


def _completion_nll(base, tok, value=None, connection="residual") -> float:
    from steergraph.training.value_transfer_trainer import combined_logits

    row = _rows(1)[0]
    encode = lambda text: tok(text, add_special_tokens=False)["input_ids"]  # noqa: E731
    prompt = encode(tok.apply_chat_template(row["prompt"], add_generation_prompt=True,
                                            tokenize=False))  # fmt: skip
    full = encode(tok.apply_chat_template(row["prompt"] + row["completion"], tokenize=False))
    ids = torch.tensor([list(full)])
    if value is None:
        with torch.no_grad():
            logits = base(input_ids=ids).logits.float()
    else:
        logits, _ = combined_logits(base, value, ids, connection=connection)
    logp = torch.log_softmax(logits[0, :-1], -1)
    targets = ids[0, 1:]
    positions = range(len(prompt) - 1, len(full) - 1)
    return float(-sum(logp[t, targets[t]] for t in positions) / len(positions))


@pytest.fixture(scope="module")
def trained(module_tmp):
    """(base, tokenizer, {connection/norm: (folder, result)}) after a few real steps."""
    from steergraph.training.value_transfer_trainer import train_value_network

    base, tok = tiny_causal_lm(seed=0)
    before = {k: v.clone() for k, v in base.state_dict().items()}
    runs = {}
    for name, cfg in {
        "residual": {"connection": "residual"},
        "cascade": {"connection": "cascade"},
        "penalised": {"connection": "residual", "norm_weight": 0.5},
    }.items():
        out = module_tmp(name)
        runs[name] = (
            out,
            train_value_network(
                (base, tok),
                _rows(),
                output_dir=out,
                max_steps=30,
                learning_rate=1e-2,
                per_device_train_batch_size=4,
                seed=0,
                disable_tqdm=True,
                **cfg,
            ),
        )
    assert all(torch.equal(before[k], v) for k, v in base.state_dict().items())  # base frozen
    return base, tok, runs


def test_a_zero_head_value_network_starts_as_the_base_itself():
    from steergraph.training.value_transfer_trainer import combined_logits, value_network_from

    base, _ = tiny_causal_lm(seed=0)
    value = value_network_from(base, layers=1)
    assert value.config.num_hidden_layers == 1
    assert value.get_output_embeddings().weight.data_ptr() != (
        value.get_input_embeddings().weight.data_ptr()
    )  # untied: zeroing the head kept the embeddings
    ids = torch.tensor([[3, 4, 5, 6]])
    combined, v = combined_logits(base, value, ids)
    assert float(v.abs().max()) == 0.0
    assert torch.allclose(combined, base(input_ids=ids).logits.float())


@pytest.mark.parametrize("name", ["residual", "cascade"])
def test_training_lowers_the_completion_nll_of_base_plus_value(trained, name):
    from steergraph.training.value_transfer_trainer import load_value_network

    base, tok, runs = trained
    folder, result = runs[name]
    value, meta = load_value_network(folder)
    assert meta["connection"] == name and result.steps == 30
    alone = _completion_nll(base, tok)
    assert _completion_nll(base, tok, value, name) < 0.5 * alone


def test_the_logit_norm_penalty_keeps_value_logits_smaller(trained):
    from steergraph.training.value_transfer_trainer import combined_logits, load_value_network

    base, _, runs = trained
    ids = torch.tensor([[3, 4, 5, 6, 7, 8]])
    sizes = {}
    for name in ("residual", "penalised"):
        value, _ = load_value_network(runs[name][0])
        sizes[name] = float(combined_logits(base, value, ids)[1].abs().mean())
    assert sizes["penalised"] < sizes["residual"]


def test_decoding_with_the_value_network_is_the_same_on_both_engines(trained, tiny_gguf):
    from steergraph.agents.value_transfer import ValueLogitsProcessor
    from steergraph.llm.engines.hf import HFEngine
    from steergraph.llm.engines.llamacpp import LlamaCppEngine
    from steergraph.training.value_transfer_trainer import combined_logits, load_value_network

    folder, model, tok = tiny_gguf  # the same tiny weights as the trained runs' base
    value, _ = load_value_network(trained[2]["residual"][0])
    prompts = ["question 1", "a longer question 22"]  # different lengths: padding
    out = {}
    for name, engine in {
        "hf": HFEngine(model, tok),
        "gguf": LlamaCppEngine(folder / "model.gguf", tok, n_ctx=1024, n_seq_max=8),
    }.items():
        proc = ValueLogitsProcessor(value)
        out[name] = [g.texts[0] for g in engine.generate(
            prompts, max_new_tokens=6, logits_processors=[proc])]  # fmt: skip
        streamed = engine.stream(prompts[1], max_new_tokens=6,
                                 logits_processors=[ValueLogitsProcessor(value)])  # fmt: skip
        assert "".join(streamed) == out[name][1], name
    assert out["hf"] == out["gguf"]
    ids = tok(prompts[0], return_tensors="pt", add_special_tokens=False)["input_ids"]
    first = int(combined_logits(model, value, ids)[0][0, -1].argmax())
    plain = HFEngine(model, tok).generate(prompts[:1], max_new_tokens=6)[0].texts[0]
    assert out["hf"][0].startswith(tok.decode([first])) and out["hf"][0] != plain


def test_the_incremental_cache_gives_the_full_forward_logits():
    from steergraph.agents.value_transfer import RowLogits

    model, _ = tiny_causal_lm(seed=2)
    rows = RowLogits(model)
    seq = [5, 9, 11]
    for token in (13, 17, 19):
        seq = [*seq, token]
        full = model(input_ids=torch.tensor([seq])).logits[0, -1].float()
        assert torch.allclose(rows.last(seq), full, atol=1e-4)


def test_a_reread_row_reuses_the_cache_of_its_shared_prefix():
    from steergraph.agents.value_transfer import RowLogits

    model, _ = tiny_causal_lm(seed=2)
    fed: list[int] = []
    model.register_forward_pre_hook(
        lambda _, args, kwargs: fed.append(kwargs["input_ids"].shape[1]), with_kwargs=True
    )
    rows = RowLogits(model)
    rows.last([5, 9, 11, 13, 17])
    # another tokenizer's re-read: the last token split in two
    seq = [5, 9, 11, 13, 21, 23]
    full = model(input_ids=torch.tensor([seq])).logits[0, -1].float()
    fed.clear()
    assert torch.allclose(rows.last(seq), full, atol=1e-4)
    assert fed == [2]  # only the two positions after the shared prefix were computed
    fed.clear()
    rows.last([7, 8])  # nothing shared: the whole row
    assert fed == [2]
    fed.clear()  # the row the prefix was copied from goes on at one token a step
    assert torch.allclose(rows.last([5, 9, 11, 13, 21, 23, 29]),
                          model(input_ids=torch.tensor([[5, 9, 11, 13, 21, 23, 29]])).logits[0, -1],
                          atol=1e-4)  # fmt: skip
    assert fed == [1, 7]  # one token (then the full forward it is compared with)


def test_bad_input_is_a_clear_error(tmp_path):
    from steergraph.agents.value_transfer import ValueLogitsProcessor
    from steergraph.training.value_transfer_config import ValueTransferConfig
    from steergraph.training.value_transfer_trainer import (
        load_value_network,
        train_value_network,
        value_network_from,
    )  # fmt: skip

    base, tok = tiny_causal_lm(seed=0)
    with pytest.raises(InputError, match="unknown connection"):
        ValueTransferConfig(output_dir=str(tmp_path), connection="sum")
    with pytest.raises(InputError, match="value_layers=9"):
        value_network_from(base, layers=9)
    with pytest.raises(InputError, match=r"no value_transfer\.json"):
        load_value_network(tmp_path)
    with pytest.raises(InputError, match="empty"):
        train_value_network((base, tok), [], output_dir=tmp_path / "v")
    assert not (tmp_path / "v" / "value_transfer.json").exists()
    proc = ValueLogitsProcessor(value_network_from(base, 1), connection="cascade")
    with pytest.raises(CapabilityError, match="cascade connection needs"):
        proc.rows_call([[1, 2, 3]], torch.zeros(1, base.config.vocab_size))
    narrow = ValueLogitsProcessor(value_network_from(base, 1))
    with pytest.raises(InputError, match="another vocabulary"):
        narrow.rows_call([[1, 2, 3]], torch.zeros(1, base.config.vocab_size + 7))


def test_cascade_decoding_step_by_step_matches_the_full_forward():
    from steergraph.agents.value_transfer import ValueLogitsProcessor, value_logits
    from steergraph.training.value_transfer_trainer import value_network_from

    base, _ = tiny_causal_lm(seed=0)
    value = value_network_from(base, layers=1, zero_head=False)
    proc = ValueLogitsProcessor(value, connection="cascade", base=base)
    seq = [5, 9, 11]
    for token in (13, 17, 19):  # the first step reads the prompt, the next ones one token
        seq = [*seq, token]
        with torch.no_grad():
            base_logits = base(input_ids=torch.tensor([seq])).logits.float()
            want = value_logits(value, torch.tensor([seq]), None, base_logits, "cascade")[0, -1]
        scores = base_logits[0, -1:].clone()
        got = proc.rows_call([seq], scores.clone()) - scores
        assert torch.allclose(got[0], want.float(), atol=1e-4)


def test_a_chat_model_decodes_through_the_value_network_in_every_mode(trained):
    from pydantic import BaseModel

    from steergraph.agents.value_transfer import ValueLogitsProcessor, with_value_network
    from steergraph.llm.local import LocalChatModel
    from steergraph.training.value_transfer_trainer import load_value_network

    base, tok, runs = trained
    plain = LocalChatModel.from_model(base, tok, max_new_tokens=6)
    llm = with_value_network(plain, runs["residual"][0])
    assert plain.logits_processors == [] and len(llm.logits_processors) == 1
    reply = llm.invoke("question 1").content
    by_hand = plain.invoke(
        "question 1",
        logits_processors=[ValueLogitsProcessor(load_value_network(runs["residual"][0])[0])],
    ).content
    assert reply == by_hand != plain.invoke("question 1").content
    assert "".join(c.content for c in llm.stream("question 1")) == reply
    samples = llm.sample("question 1", n=3, temperature=1.0, seed=0)
    assert len(samples) == 3
    assert llm.reply_batch(["question 1", "a longer question 22"])[0].content == reply

    class Answer(BaseModel):
        value: int

    longer = llm.model_copy(update={"max_new_tokens": 48})  # keeps the value network
    assert isinstance(longer.with_structured_output(Answer).invoke("a number"), Answer)
    cascade = with_value_network(plain, runs["cascade"][0])
    assert cascade.invoke("question 1").content  # reads the model's own weights as its base


def test_a_value_network_needs_a_model_with_logits(trained):
    from steergraph.agents.value_transfer import with_value_network
    from steergraph.testing import ScriptedChatModel

    with pytest.raises(CapabilityError, match="no next-token logits"):
        with_value_network(ScriptedChatModel(responses=["x"]), trained[2]["residual"][0])
