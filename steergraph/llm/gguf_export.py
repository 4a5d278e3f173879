"""Export a transformers causal LM (e.g. a policy trained by TRL) to GGUF for llama.cpp.

:func:`export_gguf` writes ``model.gguf`` (plus the tokenizer and config files) into a
folder, so ``local:<folder>`` serves it with the llama.cpp engine while the folder
stays a transformers model for training. Tensors are converted one at a time with
the ``gguf`` package's writer, tensor-name map and quantizers; what it does not do
(and llama.cpp's converter script, which is not part of any installable package,
does) is written here: the per-architecture hyper-parameters, Llama's Q/K row
permutation (transformers' rotate-half layout back to llama.cpp's interleaved one),
Gemma's ``1 + w`` norm weights, and the tokenizer metadata.

Supported: ``LlamaForCausalLM`` (SmolLM2 and other Llama-family models),
``Gemma3ForCausalLM`` and ``Qwen2ForCausalLM`` (the Qwen2.5-Coder tier: NeoX rope, so no
row permutation; q/k/v biases). The tokenizer metadata is copied from an embedded model's GGUF
when the vocabularies are identical (the case for models fine-tuned from them), and
otherwise built from a byte-level BPE ``tokenizer.json``.

Example:
    >>> from steergraph.llm.gguf_export import EXPORT_DTYPES
    >>> EXPORT_DTYPES
    ('f32', 'f16', 'q8_0')
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from steergraph.errors import CapabilityError, InputError
from steergraph.llm.engines.select import EXPORTED_GGUF

__all__ = ["EXPORT_DTYPES", "SUPPORTED_ARCHITECTURES", "export_gguf"]

EXPORT_DTYPES = ("f32", "f16", "q8_0")
SUPPORTED_ARCHITECTURES = {
    "LlamaForCausalLM": "llama",
    "Gemma3ForCausalLM": "gemma3",
    "Qwen2ForCausalLM": "qwen2",
}


def _architecture(model: Any) -> str:
    archs = list(getattr(model.config, "architectures", None) or [type(model).__name__])
    for name in archs:
        if name in SUPPORTED_ARCHITECTURES:
            return SUPPORTED_ARCHITECTURES[name]
    raise CapabilityError(
        f"GGUF export does not support the architecture {', '.join(archs)}",
        fix=f"export one of {', '.join(SUPPORTED_ARCHITECTURES)} or serve it with 'local+hf:'",
    )


def _hyperparameters(writer: Any, arch: str, config: Any) -> None:
    cfg = getattr(config, "text_config", config)
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    writer.add_context_length(int(cfg.max_position_embeddings))
    writer.add_embedding_length(int(cfg.hidden_size))
    writer.add_block_count(int(cfg.num_hidden_layers))
    writer.add_feed_forward_length(int(cfg.intermediate_size))
    writer.add_head_count(int(cfg.num_attention_heads))
    writer.add_head_count_kv(int(cfg.num_key_value_heads))
    writer.add_layer_norm_rms_eps(float(cfg.rms_norm_eps))
    rope = getattr(cfg, "rope_parameters", None) or {}
    if arch == "gemma3":
        rope = rope.get("full_attention", rope)
    theta = rope.get("rope_theta", getattr(cfg, "rope_theta", 10000.0))
    writer.add_rope_freq_base(float(theta))
    scaling = rope.get("rope_type", "default")
    if scaling == "linear":
        import gguf

        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(float(rope["factor"]))
    elif scaling not in ("default", None):
        raise CapabilityError(
            f"GGUF export does not handle rope scaling {scaling!r}",
            fix="export a model with default or linear rope scaling",
        )
    if arch == "llama":
        writer.add_rope_dimension_count(int(head_dim))
        writer.add_vocab_size(int(cfg.vocab_size))
    elif arch == "gemma3":
        writer.add_key_length(int(head_dim))
        writer.add_value_length(int(head_dim))
        if getattr(cfg, "sliding_window", None):
            writer.add_sliding_window(int(cfg.sliding_window))


def _permute_rows(weight: np.ndarray, n_head: int) -> np.ndarray:
    """transformers' rotate-half Q/K layout -> llama.cpp's interleaved rope layout."""
    rows, cols = weight.shape
    return weight.reshape(n_head, 2, rows // n_head // 2, cols).swapaxes(1, 2).reshape(rows, cols)


def _tensors(model: Any, arch: str) -> Iterator[tuple[str, np.ndarray]]:
    """(GGUF name, float32 array) for every weight, converted one tensor at a time."""
    import gguf

    cfg = getattr(model.config, "text_config", model.config)
    arch_enum = {
        "llama": gguf.MODEL_ARCH.LLAMA,
        "gemma3": gguf.MODEL_ARCH.GEMMA3,
        "qwen2": gguf.MODEL_ARCH.QWEN2,
    }[arch]
    names = gguf.get_tensor_name_map(arch_enum, int(cfg.num_hidden_layers))
    tied = bool(getattr(cfg, "tie_word_embeddings", False))
    for hf_name, tensor in model.state_dict().items():
        if hf_name.endswith("rotary_emb.inv_freq") or (tied and hf_name == "lm_head.weight"):
            continue
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:
            raise CapabilityError(
                f"GGUF export does not know where the tensor '{hf_name}' goes",
                fix="this checkpoint has layers the llama.cpp architecture lacks",
            )
        data = tensor.detach().float().cpu().numpy()
        if arch == "llama" and name.endswith("attn_q.weight"):
            data = _permute_rows(data, int(cfg.num_attention_heads))
        elif arch == "llama" and name.endswith("attn_k.weight"):
            data = _permute_rows(data, int(cfg.num_key_value_heads))
        if arch == "gemma3" and name.endswith("norm.weight"):
            data = data + 1.0  # Gemma's RMSNorm scales by (1 + w)
        yield name, data


def _add_tensor(writer: Any, name: str, data: np.ndarray, dtype: str) -> None:
    import gguf

    if data.ndim == 1 or dtype == "f32":
        writer.add_tensor(name, data.astype(np.float32))
    elif dtype == "f16" or data.shape[-1] % 32:
        writer.add_tensor(name, data.astype(np.float16))
    else:
        qtype = gguf.GGMLQuantizationType.Q8_0
        writer.add_tensor(name, gguf.quants.quantize(data, qtype), raw_dtype=qtype)


def _template_tokenizer(tokenizer: Any) -> dict[str, Any] | None:
    """Tokenizer metadata of an embedded model's GGUF whose vocabulary equals ``tokenizer``'s."""
    import gguf

    from steergraph.llm.embedded import EMBEDDED_MODELS, embedded_gguf
    from steergraph.llm.gguf_meta import gguf_summary

    def norm(token: str) -> str:  # GGUF files spell SentencePiece's "▁" as a space
        return token.replace("\u2581", " ")

    vocab = [norm(t) for t in tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))]
    for name, spec in EMBEDDED_MODELS.items():
        if not spec.package_installed():
            continue
        path = embedded_gguf(name)
        if gguf_summary(path).get("tokenizer.ggml.tokens") != len(vocab):
            continue  # a different vocabulary, seen without parsing 150k+ token strings
        reader = gguf.GGUFReader(str(path))
        tokens = reader.fields.get("tokenizer.ggml.tokens")
        if tokens is None or len(tokens.data) != len(vocab):
            continue
        if [norm(str(t)) for t in tokens.contents()] != vocab:
            continue
        return {
            key: (field.contents(), field.types)
            for key, field in reader.fields.items()
            if key.startswith("tokenizer.")
        }
    return None


def _write_template_tokenizer(writer: Any, fields: dict[str, Any], tokenizer: Any) -> None:
    import gguf

    for key, (value, types) in fields.items():
        if key == "tokenizer.chat_template":
            continue
        if types[0] == gguf.GGUFValueType.ARRAY:
            writer.add_array(key, value)
        else:
            writer.add_key_value(key, value, types[0])
    template = getattr(tokenizer, "chat_template", None)
    if template:
        writer.add_chat_template(template)


def _write_bpe_tokenizer(writer: Any, tokenizer: Any, folder: Path) -> None:
    import gguf

    spec = json.loads((folder / "tokenizer.json").read_text())
    model = spec.get("model", {})
    if model.get("type") != "BPE" or model.get("byte_fallback"):
        raise CapabilityError(
            "GGUF export builds tokenizer metadata only for byte-level BPE tokenizers; "
            f"this one is {model.get('type')} (byte_fallback={model.get('byte_fallback')})",
            fix="fine-tune from an embedded model (its GGUF tokenizer is reused) or use "
            "'local+hf:'",
        )
    n_vocab = len(tokenizer)
    special = set(tokenizer.all_special_ids)
    added = {t.content for t in tokenizer.added_tokens_decoder.values()}
    tokens = tokenizer.convert_ids_to_tokens(list(range(n_vocab)))
    types = [
        gguf.TokenType.CONTROL
        if i in special
        else gguf.TokenType.USER_DEFINED
        if tok in added
        else gguf.TokenType.NORMAL
        for i, tok in enumerate(tokens)
    ]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    gguf.SpecialVocab(folder, load_merges=True, n_vocab=n_vocab).add_to_gguf(writer)


def export_gguf(
    model: Any | str | Path,
    out_dir: str | Path | None = None,
    *,
    tokenizer: Any = None,
    dtype: str = "f16",
) -> Path:
    """Write ``model.gguf`` (and tokenizer/config files) into ``out_dir``; return its path.

    ``model`` is a folder or a loaded transformers model (then pass ``tokenizer``).
    ``out_dir`` defaults to the model folder itself, which makes that folder servable
    by both engines. The file is written under a temporary name and renamed, so an
    interrupted export leaves no half file.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if dtype not in EXPORT_DTYPES:
        raise InputError(f"unknown GGUF dtype {dtype!r}", fix=f"use one of {EXPORT_DTYPES}")
    if isinstance(model, (str, Path)):
        source = Path(model)
        if not (source / "config.json").is_file():
            raise InputError(
                f"'{source}' is not a transformers model folder (no config.json)",
                fix="pass the folder written by save_pretrained or a TRL trainer",
            )
        tokenizer = tokenizer or AutoTokenizer.from_pretrained(source, local_files_only=True)
        from steergraph.llm.engines.hf_weights import quiet_weights

        with quiet_weights():
            model = AutoModelForCausalLM.from_pretrained(source, local_files_only=True)
        out_dir = out_dir or source
    elif tokenizer is None or out_dir is None:
        raise InputError(
            "exporting a loaded model needs its tokenizer and an out_dir",
            fix="call export_gguf(model, out_dir, tokenizer=tokenizer)",
        )
    arch = _architecture(model)
    out = Path(out_dir)  # type: ignore[arg-type]
    out.mkdir(parents=True, exist_ok=True)
    if not (out / "config.json").is_file():
        model.save_pretrained(out)
    if not (out / "tokenizer_config.json").is_file():
        tokenizer.save_pretrained(out)
    return _write_gguf(model, tokenizer, arch, out, dtype)


def _write_gguf(model: Any, tokenizer: Any, arch: str, out: Path, dtype: str) -> Path:
    import gguf
    from tqdm.auto import tqdm

    target = out / EXPORTED_GGUF
    with tempfile.NamedTemporaryFile(dir=out, suffix=".gguf.part", delete=False) as tmp:
        tmp_path = Path(tmp.name)
    try:
        writer = gguf.GGUFWriter(str(tmp_path), arch)
        writer.add_name(str(getattr(model.config, "_name_or_path", "") or out.name))
        writer.add_file_type(
            {"f32": gguf.LlamaFileType.ALL_F32, "f16": gguf.LlamaFileType.MOSTLY_F16}.get(
                dtype, gguf.LlamaFileType.MOSTLY_Q8_0
            )
        )
        _hyperparameters(writer, arch, model.config)
        template = _template_tokenizer(tokenizer)
        if template is not None:
            _write_template_tokenizer(writer, template, tokenizer)
        elif arch in ("gemma3", "qwen2"):
            raise CapabilityError(
                f"a {arch} model is exported only with its embedded model's vocabulary",
                fix="fine-tune from the embedded model (gemma3, qwen-coder-0.5b), or serve it "
                "with 'local+hf:'",
            )
        else:
            _write_bpe_tokenizer(writer, tokenizer, out)
        count = len(model.state_dict())
        for name, data in tqdm(_tensors(model, arch), total=count, desc="gguf export"):
            _add_tensor(writer, name, data, dtype)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        shutil.move(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)
    return target
