"""Value transfer on the real embedded SmolLM2: train a value network, score with it, and
decode through it on the llama.cpp engine."""

from __future__ import annotations

import pytest

# one worker runs the module: its trained value network is built once, not once per worker
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("value-transfer-e2e")]


@pytest.fixture(scope="module")
def trained(module_tmp):
    from steergraph.data.value_transfer import demonstrations
    from steergraph.training.value_transfer_trainer import train_value_network

    rows = [{k: r[k] for k in ("prompt", "completion")}
            for r in demonstrations("train", n=12, kinds=("arithmetic",))]  # fmt: skip
    out = module_tmp("value")
    result = train_value_network("smollm2", rows, output_dir=out, max_steps=8,
                                 learning_rate=1e-3, disable_tqdm=True)  # fmt: skip
    return out, rows, result


def test_the_value_network_lowers_the_embedded_models_nll(trained):
    from steergraph.agents.value_transfer.evaluate import completion_nll
    from steergraph.llm.engines.hf_weights import load_hf_model
    from steergraph.training.value_transfer_trainer import load_value_network

    folder, rows, result = trained
    assert result.steps == 8
    base, tok, _ = load_hf_model("smollm2")
    value, meta = load_value_network(folder)
    assert meta["connection"] == "residual" and meta["base"] == "smollm2"
    alone = completion_nll(base.float(), tok, rows[:4])
    joined = completion_nll(base.float(), tok, rows[:4], value=value.float())
    assert joined < alone


def test_chat_through_the_value_network_on_llama_cpp(trained, cli):
    folder = trained[0]
    r = cli("value", "chat", str(folder), "What is 12 + 30?", "--max-new-tokens", "24")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip()


def test_smollm2_value_network_decodes_gemma3_through_the_alignment(trained, cli):
    from transformers import AutoTokenizer

    from steergraph.agents.value_transfer.alignment import alignment_for
    from steergraph.agents.value_transfer.evaluate import alignment_coverage
    from steergraph.llm.embedded import ensure_converted

    folder, rows, _ = trained
    gemma = AutoTokenizer.from_pretrained(ensure_converted("gemma3"))  # what local:gemma3 uses
    alignment = alignment_for(folder, gemma)  # built from the default texts; the CLI reads it
    assert alignment is not None  # 49,152 tokens vs 262,144
    assert alignment_for(folder, AutoTokenizer.from_pretrained(folder)) is None
    # arithmetic replies are mostly ASCII words and digits: nearly every Gemma token
    # has a SmolLM2 token with the same bytes
    exact = alignment_coverage(alignment, rows[:4], 256, corpus=False)
    assert exact > 0.8 and alignment_coverage(alignment, rows[:4], 256) >= exact
    assert list((folder / "alignments").glob("*.safetensors"))  # saved for the CLI below
    text = "What is 12 + 30? The answer is 42."
    ids = gemma(text, add_special_tokens=False)["input_ids"]
    assert alignment.source_tok.decode(alignment.translate(ids)) == text
    r = cli("value", "chat", str(folder), "What is 12 + 30?", "--target", "local:gemma3",
            "--max-new-tokens", "16")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip()
