"""Babel Tower's probes: language-specific tokens, the logit lens, LAPE neurons, stages."""

from __future__ import annotations

import pytest
import torch

from steergraph.agents.babel.lens import lens_parts, token_languages, working_language
from steergraph.agents.babel.neurons import activation_probabilities, lape_neurons, mlp_activations
from steergraph.agents.babel.stages import (
    optimised_mixture,
    original_mixture,
    stabilisation_tokens,
    stage_labels,
    uniform_mixture,
)
from steergraph.errors import CapabilityError, InputError
from steergraph.testing import tiny_causal_lm

TEXTS = {
    "en": ["the quick brown fox jumps over the lazy dog"] * 6,
    "code": ["def add(a, b):\n    return a + b\n"] * 6,
}


@pytest.fixture(scope="module")
def tiny() -> tuple:
    return tiny_causal_lm(seed=0)


def test_tokens_specific_to_one_language_are_owned_by_it(tiny: tuple) -> None:
    _, tok = tiny
    owner = token_languages(tok, TEXTS, min_count=3)
    ids = {k: set(tok(v[0], add_special_tokens=False)["input_ids"]) for k, v in TEXTS.items()}
    assert ids["en"] - ids["code"] and ids["code"] - ids["en"]
    assert all(owner[t] == "en" for t in ids["en"] - ids["code"])
    assert all(owner[t] == "code" for t in ids["code"] - ids["en"])
    both = {"en": ["alpha beta"] * 3, "code": ["alpha gamma"] * 3}
    alpha = tok("alpha", add_special_tokens=False)["input_ids"]
    assert not any(t in token_languages(tok, both, min_count=1) for t in alpha)  # shared
    with pytest.raises(InputError, match="at least two languages"):
        token_languages(tok, {"en": TEXTS["en"]})
    with pytest.raises(InputError, match="no text for language 'code'"):
        token_languages(tok, {"en": TEXTS["en"], "code": [""]})


def test_working_language_shares_add_up_per_layer(tiny: tuple) -> None:
    model, tok = tiny
    owner = token_languages(tok, TEXTS, min_count=3)
    shares = working_language(model, tok, TEXTS["code"][:2], owner, languages=["en", "code"])
    layers = model.config.num_hidden_layers + 1
    for layer in range(layers):
        assert sum(shares[k][layer] for k in ("en", "code", "shared")) == pytest.approx(
            1.0, abs=1e-3
        )


def test_the_logit_lens_reads_the_final_layer_as_the_model_does(tiny: tuple) -> None:
    model, tok = tiny
    ids = tok("def add", return_tensors="pt")["input_ids"]
    top = model(input_ids=ids).logits[0, -1].argmax().item()
    owner = {top: "code"}
    shares = working_language(
        model, tok, ["def add"], owner, languages=["en", "code"], top_k=1, max_tokens=ids.shape[1]
    )
    assert (
        shares["code"][-1] * ids.shape[1] >= 0.999
    )  # the last position's argmax is the owned token


def test_a_model_without_an_lm_head_is_refused(tiny: tuple) -> None:
    model, _ = tiny
    with pytest.raises(CapabilityError, match="has no LM head for the logit lens"):
        lens_parts(model.model)
    with pytest.raises(CapabilityError, match="no MLP activation modules"):
        mlp_activations(torch.nn.Linear(2, 2))


def test_activation_probabilities_are_probabilities(tiny: tuple) -> None:
    model, tok = tiny
    probs = activation_probabilities(model, tok, TEXTS)
    assert probs.shape == (2, model.config.num_hidden_layers, model.config.intermediate_size)
    assert float(probs.min()) >= 0.0 and float(probs.max()) <= 1.0
    with pytest.raises(InputError, match="LAPE compares languages"):
        activation_probabilities(model, tok, {"en": TEXTS["en"]})


def test_lape_finds_planted_specific_and_transferring_neurons() -> None:
    gen = torch.Generator().manual_seed(0)
    probs = 0.1 + 0.05 * torch.rand(3, 2, 100, generator=gen)  # 3 languages, 2 layers
    probs[:, 1, 7] = torch.tensor([0.0, 0.99, 0.0])  # fires for go only, layer 1
    probs[:, 0, 3] = torch.tensor([0.98, 0.0, 0.98])  # python and js: transferring (js)
    probs[:, 0, 4] = torch.tensor([0.97, 0.0, 0.0])  # python only
    found = lape_neurons(
        probs, ["python", "go", "js"], top_rate=0.015, filter_rate=0.98, activation_bar_ratio=0.6
    )
    assert found.assigned[(1, 7)] == ["go"]
    assert found.assigned[(0, 3)] == ["python", "js"]
    assert found.counts["go"] == [0, 1] and found.counts["python"] == [1, 0]
    assert found.transferring["js"] == [1, 0] and found.total_transferring("go") == 0
    with pytest.raises(InputError, match="probability rows"):
        lape_neurons(probs, ["python", "go"])


def test_stages_and_mixtures() -> None:
    curve = [
        {"tokens": 1000 + t, "loss": {"go": v}}
        for t, v in [(0, 8.0), (100, 5.0), (200, 4.6), (300, 4.1), (400, 4.0)]
    ]
    assert stabilisation_tokens(curve, "go") == 300  # counted from the stage's start
    assert stabilisation_tokens(curve, "go", stable_fraction=0.5) == 100
    labels = stage_labels([0.9, 0.6, 0.3, 0.2, 0.2], [0.1, 0.2, 0.5, 0.6, 0.7], curve, "go")
    assert labels == ["translation", "translation", "transition", "stabilisation", "stabilisation"]
    assert optimised_mixture({"python": 900, "go": 100, "js": 0}) == {
        "python": 0.8571,
        "go": 0.0952,
        "js": 0.0477,
    }  # the floor keeps js in
    assert uniform_mixture(["a", "b"]) == {"a": 0.5, "b": 0.5}
    assert original_mixture({"a": 3, "b": 1}) == {"a": 0.75, "b": 0.25}
    with pytest.raises(InputError, match="two or more languages"):
        optimised_mixture({"python": 1})
    with pytest.raises(InputError, match="at least two points"):
        stabilisation_tokens(curve[:1], "go")


def test_python_pass1_runs_completions_against_the_hidden_tests() -> None:
    import torch

    from steergraph.agents.babel.passk import cut_function, python_pass1
    from steergraph.data.verify.humaneval import load_humaneval

    problems = load_humaneval()[:2]
    _, tok = tiny_causal_lm(seed=0)

    class Canonical:  # a "model" that writes the reference body, then more code
        def eval(self) -> None: ...

        def generate(self, ids, **kwargs):  # type: ignore[no-untyped-def]
            prompt = tok.decode(ids[0])
            problem = next(p for p in problems if p.prompt == prompt)
            body = problem.metadata["canonical_solution"] + "\nprint('trailing code')\n"
            extra = tok(body, add_special_tokens=False, return_tensors="pt")["input_ids"]
            return torch.cat([ids, extra], dim=1)

    assert python_pass1(Canonical(), tok, problems) == {"problems": 2, "passed": 2, "pass1": 1.0}
    assert cut_function("    x = 1\n\n    return x\nprint(1)\n") == "    x = 1\n\n    return x\n"
    model, _ = tiny_causal_lm(seed=0)  # random weights: nothing passes
    assert python_pass1(model, tok, problems, max_new_tokens=8)["pass1"] == 0.0
