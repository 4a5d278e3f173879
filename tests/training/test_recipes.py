"""TRL training recipes on a tiny random Llama: each trains for a few real steps on CPU."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM

from steergraph.agents.verify.base import Problem, Verdict, Verifier
from steergraph.errors import CapabilityError, InputError
from steergraph.llm.local import LocalChatModel
from steergraph.testing import tiny_causal_lm, tiny_chat_model
from steergraph.training.recipes import (
    TrainResult,
    cpu_safe_args,
    policy_from,
    train_dpo,
    train_grpo,
    train_sft,
)
from steergraph.training.reward_model import RewardModelScorer, train_reward_model
from steergraph.training.verify import (
    Scored,
    preference_dataset,
    prompt_dataset,
    reward_function,
    sft_dataset,
)

QUIET = {"disable_tqdm": True}
PROBLEMS = [Problem(id=f"add{i}", prompt=f"What is {i}+2?", answer=str(i + 2)) for i in range(6)]


class ContainsAnswer(Verifier):
    name = "contains"

    async def _check(self, problem: Problem, candidate: str) -> Verdict:
        return Verdict(verifier=self.name, passed=problem.answer in candidate)


def _scored() -> list[Scored]:
    rows = []
    for p in PROBLEMS:
        for text, ok in ((f"The answer is {p.answer}.", True), ("I do not know.", False)):
            rows.append(Scored(problem=p, candidate=text, verdict=Verdict(verifier="v", passed=ok)))
    return rows


def _probe(model) -> torch.Tensor:
    return model.model.layers[0].self_attn.q_proj.weight.detach().float().cpu().clone()


def _check_trained(result: TrainResult, model, before: torch.Tensor, steps: int) -> None:
    assert result.steps == steps
    assert len(result.losses) == steps and all(x == x for x in result.losses)  # no NaN
    assert result.train_seconds > 0 and "train_runtime" in result.metrics
    assert not torch.equal(before, _probe(model)), "weights did not change"
    assert not model.training
    assert (result.output_dir / "model.safetensors").is_file()
    assert (result.output_dir / "tokenizer_config.json").is_file()


def test_cpu_safe_args_defaults_and_overrides(tmp_path):
    from trl import DPOConfig, GRPOConfig, RewardConfig, SFTConfig

    for cls in (SFTConfig, DPOConfig, GRPOConfig, RewardConfig):
        args = cpu_safe_args(cls, tmp_path, learning_rate=3e-4)
        assert args.output_dir == str(tmp_path) and args.report_to == []
        assert args.save_strategy.value == "no" and args.logging_steps == 1
        assert args.learning_rate == 3e-4 and args.per_device_train_batch_size == 4
        if cls is GRPOConfig:
            assert args.num_generations == 4
        if not torch.cuda.is_available():
            assert args.use_cpu and not args.bf16 and not args.gradient_checkpointing
    old_name = cpu_safe_args(SFTConfig, tmp_path, gradient_checkpointing=True)
    assert old_name.gradient_checkpointing and old_name.activation_checkpointing
    with pytest.raises(InputError, match="no field"):
        cpu_safe_args(SFTConfig, tmp_path, not_a_field=1)


def test_bad_datasets_are_input_errors_before_trl(tmp_path):
    pair = tiny_causal_lm()
    with pytest.raises(InputError, match="empty"):
        train_sft(pair, [], output_dir=tmp_path)
    with pytest.raises(InputError, match="empty"):
        train_dpo(pair, Dataset.from_list([]), output_dir=tmp_path)
    with pytest.raises(InputError, match="chosen"):
        train_dpo(pair, [{"prompt": "a", "completion": "b"}], output_dir=tmp_path)
    with pytest.raises(InputError, match="reward function"):
        train_grpo(pair, [{"prompt": "a"}], [], output_dir=tmp_path)
    with pytest.raises(InputError):
        train_sft(object(), [{"text": "a"}], output_dir=tmp_path)
    with pytest.raises(InputError, match="no trained model"):
        policy_from(tmp_path / "nothing")
    served_by_llamacpp = SimpleNamespace(engine=None, hf_model=pair[0], engine_name="gguf")
    with pytest.raises(CapabilityError, match=r"llama\.cpp"):
        train_sft(served_by_llamacpp, [{"text": "a"}], output_dir=tmp_path)


def test_train_sft_updates_the_chat_models_own_weights_and_saves(tmp_path):
    chat = tiny_chat_model(seed=0, max_new_tokens=4)
    model = chat.hf_model
    before = _probe(model)
    question, answer = PROBLEMS[0].prompt, f"The answer is {PROBLEMS[0].answer}."
    (untrained,) = chat.score(question, answer)
    data = sft_dataset(_scored())
    result = train_sft(
        chat, data, output_dir=tmp_path / "sft", max_steps=3, learning_rate=1e-3, **QUIET
    )
    _check_trained(result, model, before, 3)
    assert chat.hf_model is model  # trained in place
    assert result.losses[-1] < result.losses[0]
    (trained,) = chat.score(question, answer)  # the chat model serves the new weights
    assert trained.total > untrained.total
    # reloadable: the saved weights are the trained ones
    saved = AutoModelForCausalLM.from_pretrained(result.output_dir, dtype=torch.float32)
    assert torch.equal(_probe(saved), _probe(model))
    again = policy_from(result.output_dir, export=False, engine="hf", max_new_tokens=4)
    (reloaded,) = again.score(question, answer)
    assert reloaded.logprobs == pytest.approx(trained.logprobs, abs=1e-4)


@pytest.mark.slow
def test_trained_policy_exports_to_gguf_and_serves(tmp_path):
    from steergraph.llm.engines.llamacpp_runtime import llama_cpp_available

    model, tok = tiny_causal_lm(seed=1)
    result = train_sft(
        (model, tok), sft_dataset(_scored()), output_dir=tmp_path / "p", max_steps=1, **QUIET
    )
    policy = policy_from(result.output_dir, dtype="f32", max_new_tokens=4)
    assert (result.output_dir / "model.gguf").is_file()
    assert policy.engine_name == ("gguf" if llama_cpp_available() else "hf")
    # the served policy (f32 GGUF on llama.cpp) gives the trained weights' log-probs
    (served,) = policy.score("What is 1+2?", "The answer is 3.")
    (trained,) = LocalChatModel.from_model(model, tok).score("What is 1+2?", "The answer is 3.")
    assert served.token_ids == trained.token_ids
    assert served.logprobs == pytest.approx(trained.logprobs, abs=1e-3)
    # training again into the same folder drops the now stale GGUF
    train_sft(
        (model, tok), sft_dataset(_scored()), output_dir=result.output_dir, max_steps=1, **QUIET
    )
    assert not (result.output_dir / "model.gguf").exists()


def test_train_dpo_two_steps(tmp_path):
    model, tok = tiny_causal_lm(seed=0)
    before = _probe(model)
    pairs = preference_dataset(_scored())
    result = train_dpo(
        (model, tok), pairs, output_dir=tmp_path / "dpo", max_steps=2, learning_rate=1e-3, **QUIET
    )
    _check_trained(result, model, before, 2)
    margins = [h["rewards/margins"] for h in result.log_history if "rewards/margins" in h]
    assert margins[-1] > 0  # the chosen answers gained on the rejected ones
    saved = AutoModelForCausalLM.from_pretrained(result.output_dir, dtype=torch.float32)
    assert torch.equal(_probe(saved), _probe(model))


@pytest.mark.parametrize("beta", [0.0, 0.04])
def test_train_grpo_two_steps_with_a_verifier_reward(tmp_path, beta):
    model, tok = tiny_causal_lm(seed=0)
    before = _probe(model)
    seen: list[int] = []
    verifier_reward = reward_function(ContainsAnswer(), PROBLEMS)

    def length_reward(prompts, completions, **kwargs):  # gives GRPO a non-zero advantage
        seen.append(len(completions))
        return [len(c[0]["content"]) / 32 for c in completions]

    result = train_grpo(
        (model, tok),
        prompt_dataset(PROBLEMS),
        [verifier_reward, length_reward],
        output_dir=tmp_path / "grpo",
        num_generations=2,
        max_completion_length=8,
        max_steps=2,
        learning_rate=1e-3,
        beta=beta,
        **QUIET,
    )
    _check_trained(result, model, before, 2)
    assert seen == [2, 2]  # one group of num_generations completions per step
    logged = result.log_history[0]
    assert "rewards/verifier_contains/mean" in logged
    assert "verifier_contains/passed" in logged
    assert ("kl" in logged) == (beta > 0)


def _toy_pairs(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    words = ["fox", "dog", "plan", "tool", "cost", "answer", "Paris", "quick", "lazy", "brown"]
    rows = []
    for _ in range(n):
        topic, thing = rng.sample(words, 2)
        rows.append(
            {
                "prompt": [{"role": "user", "content": f"Tell me about the {topic}."}],
                "chosen": [{"role": "assistant", "content": f"The {thing} is good."}],
                "rejected": [{"role": "assistant", "content": f"The {thing} is bad."}],
            }
        )
    return rows


def test_reward_model_trains_and_ranks_held_out_pairs(tmp_path):
    model, tok = tiny_causal_lm(seed=0)
    causal_before = _probe(model)
    result = train_reward_model(
        (model, tok),
        _toy_pairs(32, seed=0),
        output_dir=tmp_path / "rm",
        max_steps=30,
        per_device_train_batch_size=8,
        learning_rate=1e-3,
        **QUIET,
    )
    assert result.steps == 30 and result.losses[-1] < result.losses[0]
    assert torch.equal(causal_before, _probe(model))  # the causal LM is copied, not changed
    scorer = RewardModelScorer.from_pretrained(result.output_dir, batch_size=3)
    held_out = _toy_pairs(40, seed=1)
    wins = 0
    for row in held_out:
        prompt = row["prompt"][0]["content"]
        good, bad = scorer.score(
            prompt, [row["chosen"][0]["content"], row["rejected"][0]["content"]]
        )
        wins += good > bad
    assert wins / len(held_out) >= 0.95  # 1.0 observed for 6 init/data seeds
    # batching does not change scores; chat prompts work too
    texts = [r["chosen"][0]["content"] for r in held_out[:5]]
    one_by_one = [scorer.score("Tell me about the fox.", [t])[0] for t in texts]
    assert scorer.score("Tell me about the fox.", texts) == pytest.approx(one_by_one, abs=1e-4)
    chat = [{"role": "user", "content": "Tell me about the fox."}]
    assert scorer.score(chat, texts[:1]) == pytest.approx(one_by_one[:1], abs=1e-4)


def test_reward_model_from_preference_dataset_ignores_margin_by_default(tmp_path):
    pairs = preference_dataset(_scored())
    result = train_reward_model(
        tiny_causal_lm(seed=2), pairs, output_dir=tmp_path / "rm2", max_steps=2, **QUIET
    )
    assert result.steps == 2 and len(result.losses) == 2
    scores = RewardModelScorer.from_pretrained(result.output_dir).score("What is 1+2?", ["3", "x"])
    assert len(scores) == 2 and all(isinstance(s, float) for s in scores)


def test_sft_on_a_base_model_without_a_chat_template_uses_plain_transcripts(tmp_path):
    from steergraph.training.recipes import plain_conversations

    model, tok = tiny_causal_lm(seed=0)
    tok.chat_template = None  # a base model: Gemma 3 270M ships none
    rows = [
        {"prompt": [{"role": "user", "content": f"add {i} and 1"}],
         "completion": [{"role": "assistant", "content": f"{i + 1}"}]}
        for i in range(4)
    ]  # fmt: skip
    plain = plain_conversations(Dataset.from_list(rows), tok)
    assert plain[0]["prompt"] == "User: add 0 and 1\n\nAssistant:"
    assert plain[0]["completion"] == " 1" + tok.eos_token
    result = train_sft((model, tok), rows, output_dir=tmp_path, max_steps=2,
                       per_device_train_batch_size=2)  # fmt: skip
    assert result.steps == 2
    with_template = tiny_causal_lm(seed=0)[1]
    assert (
        plain_conversations(Dataset.from_list(rows), with_template)[0]["prompt"]
        == rows[0]["prompt"]
    )
