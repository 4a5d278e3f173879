"""Tiny random causal LMs with a real tokenizer, built offline in well under a second.

The tokenizer is a byte-level BPE trained (with the ``tokenizers`` library) on a
small built-in corpus, so it encodes any text, has ChatML special tokens and a chat
template, and works with llguidance. The model is a Llama with a few layers. Use
them to test TRL trainers and :class:`LocalChatModel` without loading weights.

Example:
    >>> model, tok = tiny_causal_lm(seed=0)
    >>> model.config.num_hidden_layers, len(tok) < 1000
    (2, True)
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["tiny_causal_lm", "tiny_chat_model", "tiny_tokenizer"]

_CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "A plan has tools, branches and joins; each tool has a cost.",
    '{"name": "add", "arguments": {"a": 1, "b": 2}} true false null',
    "What is 2 + 3? The answer is 5. 0123456789 []{}:,\"'",
    "def add(a, b):\n    return a + b\n",
    "<tool_call> </tool_call> The capital of France is Paris.",
]
_CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


@functools.lru_cache(maxsize=4)
def _trained_tokenizer_json(vocab_size: int) -> str:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_CORPUS * 4, trainer=trainer)
    return tok.to_str()


def tiny_tokenizer(vocab_size: int = 384) -> Any:
    """A ChatML byte-level BPE ``PreTrainedTokenizerFast`` built offline."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(_trained_tokenizer_json(vocab_size)),
        eos_token="<|im_end|>",
        bos_token="<|im_start|>",
        pad_token="<pad>",
        unk_token="<|endoftext|>",
    )
    tok.chat_template = _CHATML
    return tok


def tiny_causal_lm(
    *, seed: int = 0, layers: int = 2, hidden: int = 64, vocab_size: int = 384
) -> tuple[Any, Any]:
    """Return (random LlamaForCausalLM, tokenizer) small enough for second-long tests."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = tiny_tokenizer(vocab_size)
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    model.eval()
    return model, tok


def tiny_chat_model(seed: int = 0, **kwargs: Any) -> Any:
    """A :class:`~steergraph.llm.local.LocalChatModel` over :func:`tiny_causal_lm`."""
    from steergraph.llm.local import LocalChatModel

    model, tok = tiny_causal_lm(seed=seed)
    return LocalChatModel.from_model(model, tok, model_name="tiny", **kwargs)
