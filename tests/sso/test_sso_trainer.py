"""The SSO trainer on TRL's DPOTrainer: the loss formula, both variants, LoRA, bad input."""

from __future__ import annotations

import math

import pytest
import torch

from steergraph.errors import InputError
from steergraph.testing import tiny_causal_lm
from steergraph.training.recipes import cpu_safe_args
from steergraph.training.sso import preference_rows, train_sso, train_sso_reward_model
from steergraph.training.sso_config import SSOConfig
from steergraph.training.sso_trainer import SSOTrainer, sso_dataset, sso_row

QUIET = {"disable_tqdm": True}
ROWS = [
    sso_row("Name a fruit.", "Apple.", "I will not.", "A pear, maybe.", "Be brief.", "Be long."),
    sso_row("Say hi.", "Hi!", "No.", "Hello there.", "Be kind.", "Be rude."),
]


def seq_logp(model, tok, prompt, completion):
    """(sum, mean) log p(completion | prompt) computed independently of TRL."""
    p_ids = tok.apply_chat_template(
        prompt, add_generation_prompt=True, tokenize=True, return_dict=True
    )["input_ids"]
    full = tok.apply_chat_template(prompt + completion, tokenize=True, return_dict=True)[
        "input_ids"
    ]
    start = next((i for i, (a, b) in enumerate(zip(p_ids, full)) if a != b), len(p_ids))
    with torch.no_grad():
        logits = model(torch.tensor([full])).logits[0].float()
    logps = torch.log_softmax(logits[:-1], dim=-1)
    values = [logps[i - 1, full[i]].item() for i in range(start, len(full))]
    return sum(values), sum(values) / len(values)


def trainer_for(model, tok, ref, **config):
    args = cpu_safe_args(
        SSOConfig, "/tmp/sso-test", per_device_train_batch_size=2, **QUIET, **config
    )
    return SSOTrainer(
        model, ref_model=ref, args=args, train_dataset=sso_dataset(ROWS), processing_class=tok
    )


def expected_loss(model, ref, tok, variant, beta=0.2, alpha=0.66, gamma=0.1, nll=0.1):
    def pair(prompt, chosen, rejected):
        pc, _ = seq_logp(model, tok, prompt, chosen)
        pr, _ = seq_logp(model, tok, prompt, rejected)
        rc, _ = seq_logp(ref, tok, prompt, chosen)
        rr, _ = seq_logp(ref, tok, prompt, rejected)
        return -math.log(1 / (1 + math.exp(-beta * ((pc - rc) - (pr - rr)))))

    total = 0.0
    for row in ROWS:
        good = pair(row["good_prompt"], row["chosen"], row["rejected"])
        bad = pair(row["bad_prompt"], row["neutral"], row["chosen"])
        if variant == "sso":
            plain = pair(row["prompt"], row["chosen"], row["rejected"])
            m_plus = seq_logp(model, tok, row["prompt"], row["chosen"])[1]
            m_minus = seq_logp(model, tok, row["prompt"], row["rejected"])[1]
            weight = 1 / (1 + math.exp(alpha * m_plus + (1 - alpha) * m_minus))
            total += plain + weight * gamma * (good + bad)
        else:
            bonus = (
                seq_logp(model, tok, row["good_prompt"], row["chosen"])[1]
                + seq_logp(model, tok, row["bad_prompt"], row["neutral"])[1]
            )
            total += good + bad - nll * bonus
    return total / len(ROWS)


@pytest.mark.parametrize("variant", ["sso", "generator"])
def test_loss_matches_the_formula(variant):
    model, tok = tiny_causal_lm(seed=0)
    ref, _ = tiny_causal_lm(seed=1)  # a different reference: the log-ratios are not zero
    trainer = trainer_for(model, tok, ref, sso_variant=variant)
    batch = next(iter(trainer.get_train_dataloader()))
    views = 3 if variant == "sso" else 2
    assert batch["input_ids"].shape[0] == 2 * views * len(ROWS)
    model.eval()
    with torch.no_grad():
        loss = trainer.compute_loss(model, batch).item()
    assert loss == pytest.approx(expected_loss(model, ref, tok, variant), rel=1e-4, abs=1e-5)


def test_training_moves_every_pair_the_right_way(tmp_path):
    model, tok = tiny_causal_lm(seed=0)

    def margins():
        out = []
        for row in ROWS:
            out.append(
                seq_logp(model, tok, row["prompt"], row["chosen"])[0]
                - seq_logp(model, tok, row["prompt"], row["rejected"])[0]
            )
            out.append(
                seq_logp(model, tok, row["bad_prompt"], row["neutral"])[0]
                - seq_logp(model, tok, row["bad_prompt"], row["chosen"])[0]
            )
        return out

    before = margins()
    result = train_sso(
        (model, tok),
        ROWS,
        output_dir=tmp_path / "out",
        max_steps=6,
        learning_rate=5e-3,
        per_device_train_batch_size=2,
        **QUIET,
    )
    after = margins()
    assert result.steps == 6 and (tmp_path / "out" / "config.json").is_file()
    assert all(a > b for a, b in zip(after, before)), (before, after)
    logged = result.log_history[0]
    assert 0 < logged["sso/weight"] < 1 and {"loss/plain", "loss/good", "loss/bad"} <= set(logged)


def test_lora_trains_and_saves_the_merged_model(tmp_path):
    from peft import LoraConfig

    model, tok = tiny_causal_lm(seed=0)
    weight = model.model.layers[0].self_attn.q_proj.weight.detach().clone()
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], lora_dropout=0.0)
    result = train_sso(
        (model, tok),
        ROWS,
        output_dir=tmp_path / "lora",
        peft_config=lora,
        max_steps=3,
        learning_rate=1e-2,
        per_device_train_batch_size=2,
        **QUIET,
    )
    assert (tmp_path / "lora" / "adapter" / "adapter_config.json").is_file()
    from transformers import AutoModelForCausalLM

    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "lora")
    assert not any("lora" in name for name, _ in merged.named_parameters())
    changed = merged.model.layers[0].self_attn.q_proj.weight
    assert not torch.allclose(changed, weight)
    assert torch.allclose(model.model.layers[0].self_attn.q_proj.weight, changed)  # in place
    assert result.losses[0] == pytest.approx(
        math.log(2) * (1 + 2 * 0.1 * result.log_history[0]["sso/weight"]), rel=1e-3
    )


def test_reward_model_on_sso_pairs(tmp_path):
    result = train_sso_reward_model(
        tiny_causal_lm(),
        ROWS,
        output_dir=tmp_path / "rm",
        max_steps=2,
        per_device_train_batch_size=2,
        **QUIET,
    )
    assert result.steps == 2 and (tmp_path / "rm" / "config.json").is_file()
    assert preference_rows(ROWS)[1]["rejected"][0]["content"] == "No."


def test_bad_input():
    model, tok = tiny_causal_lm()
    with pytest.raises(InputError, match="empty"):
        sso_dataset([])
    with pytest.raises(InputError, match="neutral"):
        sso_dataset([{k: v for k, v in ROWS[0].items() if k != "neutral"}])
    with pytest.raises(InputError, match="SSOConfig"):
        from trl import DPOConfig

        SSOTrainer(
            model,
            args=cpu_safe_args(DPOConfig, "/tmp/x"),
            train_dataset=sso_dataset(ROWS),
            processing_class=tok,
        )
    with pytest.raises(InputError, match="sso_variant"):
        cpu_safe_args(SSOConfig, "/tmp/x", sso_variant="both")
    with pytest.raises(InputError, match=r"outside \[0, 1\]"):
        cpu_safe_args(SSOConfig, "/tmp/x", sso_alpha=2.0)
    with pytest.raises(InputError, match="not implemented"):
        cpu_safe_args(SSOConfig, "/tmp/x", loss_type="hinge")
    with pytest.raises(InputError, match="max_length"):
        train_sso((model, tok), ROWS, output_dir="/tmp/x", max_length=4, **QUIET)
    with pytest.raises(InputError, match="no SSO rows"):
        preference_rows([])
