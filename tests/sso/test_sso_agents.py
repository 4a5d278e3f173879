"""SSO's roles: principle library, feature selection, principle writing, sampling, checks."""

from __future__ import annotations

import json

import pytest

from steergraph.agents.sso import (
    CHECKS,
    INSTRUCTIONS,
    Feature,
    PrincipleLibrary,
    SteeredPrompt,
    adherence,
    sample_triplets,
    select_features,
    steer_queries,
    steering_system,
    write_principles,
)
from steergraph.errors import InputError, InputFileError
from steergraph.testing import ScriptedChatModel, tiny_chat_model


def test_builtin_library_has_open_and_checkable_features():
    lib = PrincipleLibrary.builtin()
    assert {"safety", "logicality", "helpfulness", "concision"} <= set(lib.names())
    checkable = {f.name for f in lib.checkable()}
    assert checkable == set(CHECKS) == set(INSTRUCTIONS)
    for feature in lib:
        assert feature.good != feature.bad


def test_library_rejects_duplicates_and_unknown_names():
    lib = PrincipleLibrary.builtin()
    with pytest.raises(InputError, match="already in the library"):
        lib.add(lib["brevity"])
    with pytest.raises(InputError, match=r"unknown feature.*nope"):
        lib.select(["brevity", "nope"])
    with pytest.raises(ValueError):
        Feature(name="x", adjectives=("a", "b"), good="  ", bad="bad")


def test_library_from_file(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(
        json.dumps(
            [
                {
                    "name": "polite",
                    "adjectives": ["polite", "rude"],
                    "good": "Thank the user.",
                    "bad": "Insult the user.",
                }
            ]
        )
    )
    lib = PrincipleLibrary.from_file(path)
    assert lib["polite"].bad == "Insult the user." and "brevity" in lib
    assert PrincipleLibrary.from_file(path, with_builtin=False).names() == ["polite"]
    path.write_text(
        json.dumps([{"name": "Bad Name", "adjectives": ["a", "b"], "good": "g", "bad": "b"}])
    )
    with pytest.raises(InputFileError, match="entry 0: name"):
        PrincipleLibrary.from_file(path)
    path.write_text("{not json")
    with pytest.raises(InputFileError, match="not JSON"):
        PrincipleLibrary.from_file(path)
    with pytest.raises(InputFileError, match="does not exist"):
        PrincipleLibrary.from_file(tmp_path / "missing.json")


def test_steering_system_contrasts_good_and_bad():
    lib = PrincipleLibrary.builtin()
    feats = lib.select(["brevity", "bullets"])
    good, bad = steering_system(feats, good=True), steering_system(feats, good=False)
    assert good.startswith("Your response should be brief and structured as a list.")
    assert "at most 25 words" in good and "at least 150 words" in bad
    assert "Do not tell" in good and "Do not tell" in bad
    with pytest.raises(InputError):
        steering_system([], good=True)


def test_select_features_uses_the_model_and_tops_up():
    lib = PrincipleLibrary.builtin()
    pick = select_features(ScriptedChatModel(responses=[{"features": ["safety"]}]), "q", lib, k=2)
    assert pick.names[0] == "safety" and len(set(pick.names)) == 2
    assert pick.source == "model+random"
    failed = select_features(ScriptedChatModel(responses=["not json"]), "q", lib, k=2)
    assert failed.source == "random" and failed.reason and len(failed.names) == 2
    with pytest.raises(InputError):
        select_features(ScriptedChatModel(), "q", lib, k=99)
    with pytest.raises(InputError, match="empty query"):
        select_features(ScriptedChatModel(), "  ", lib, k=1)


def test_select_features_constrained_on_a_local_model():
    pick = select_features(tiny_chat_model(), "How do I boil an egg?", PrincipleLibrary.builtin())
    assert pick.source in {"model", "model+random"}
    assert all(name in PrincipleLibrary.builtin() for name in pick.names)


def test_write_principles_and_its_fallbacks():
    lib = PrincipleLibrary.builtin()
    llm = ScriptedChatModel(responses=[{"good": "Name one fruit.", "bad": "Name no fruit."}])
    feature, reason = write_principles(llm, "Name a fruit", lib["helpfulness"])
    assert reason is None and feature.good == "Name one fruit." and feature.name == "helpfulness"
    same = ScriptedChatModel(responses=[{"good": "x", "bad": "X"}])
    kept, reason = write_principles(same, "q", lib["helpfulness"])
    assert kept == lib["helpfulness"] and "same" in reason


def test_steer_queries_modes_and_bad_prompt_sets():
    lib = PrincipleLibrary.builtin()
    prompts, counts = steer_queries(None, ["a?", "b?"], lib, mode="fixed", features=["brevity"])
    assert counts == {"fixed": 2} and prompts[1].features == ["brevity"]
    llm = ScriptedChatModel(
        responses=[
            {"features": ["safety", "accuracy"]},
            {"good": "g1", "bad": "b1"},
            {"good": "g2", "bad": "b2"},
        ]
    )
    written, counts = steer_queries(llm, ["q?"], lib, mode="write", k=2)
    assert counts == {"model": 1, "written": 2}
    assert "g1" in written[0].good_system and "b2" in written[0].bad_system
    with pytest.raises(InputError, match="empty"):
        steer_queries(None, [], lib, mode="fixed", features=["brevity"])
    with pytest.raises(InputError, match="query 1"):
        steer_queries(None, ["ok", ""], lib, mode="fixed", features=["brevity"])
    with pytest.raises(InputError, match="needs feature names"):
        steer_queries(None, ["ok"], lib, mode="fixed")
    with pytest.raises(InputError, match="unknown steering mode"):
        steer_queries(None, ["ok"], lib, mode="guess")


def test_sample_triplets_batched_on_a_local_model():
    lib = PrincipleLibrary.builtin()
    prompts = [SteeredPrompt.build(q, lib.select(["brevity"])) for q in ("Hi?", "Bye?", "Yo?")]
    llm = tiny_chat_model()
    triplets = sample_triplets(llm, prompts, max_new_tokens=6, batch_size=4, seed=1)
    assert [t.query for t in triplets] == ["Hi?", "Bye?", "Yo?"]
    again = sample_triplets(llm, prompts, max_new_tokens=6, batch_size=4, seed=1)
    assert [t.y_plus for t in again] == [t.y_plus for t in triplets]  # seeded
    # each reply was decoded under its own prompt: greedy replies equal single calls
    greedy = sample_triplets(llm, prompts[:1], max_new_tokens=6, temperature=0.0)[0]
    single = llm.model_copy(update={"max_new_tokens": 6}).invoke(prompts[0].bad()).content
    assert greedy.y_minus.strip() == single.strip()


def steered_reply(good: str, bad: str, plain: str):
    """A scripted reply by prompt (batch calls run concurrently: order is not fixed)."""
    lib = PrincipleLibrary.builtin()

    def reply(messages):
        system = messages[0].content if messages[0].type == "system" else ""
        if any(f.good in system for f in lib):
            return good
        return bad if any(f.bad in system for f in lib) else plain

    return reply


def test_sample_triplets_with_any_chat_model():
    lib = PrincipleLibrary.builtin()
    prompts = [SteeredPrompt.build("Hi?", lib.select(["brevity"]))] * 3
    llm = ScriptedChatModel(
        responses=[steered_reply("good one", "bad one", "plain one")], cycle=True
    )
    for t in sample_triplets(llm, prompts):
        assert (t.y_plus, t.y_minus, t.y0) == ("good one", "bad one", "plain one")


@pytest.mark.parametrize(
    ("name", "yes", "no"),
    [
        ("brevity", "Paris.", "word " * 26),
        ("bullets", "- a\n- b\n- c", "One paragraph."),
        ("no_filler", "It is fine.", "It is really fine."),
        ("answer_first", "  Answer: 4", "The answer is 4"),
        ("lowercase", "all lower", "Some Upper"),
    ],
)
def test_checks(name, yes, no):
    assert CHECKS[name](yes) and not CHECKS[name](no)
    assert adherence(name, [yes, no]) == 0.5
    assert not CHECKS[name]("")


def test_verified_pairs_keep_only_what_a_program_confirms():
    from steergraph.agents.sso.evaluate import pair_accuracy, verified_pairs

    llm = ScriptedChatModel(
        responses=[steered_reply("- a\n- b", "word " * 30, "plain")], cycle=True
    )
    pairs = verified_pairs(llm, ["Name two fruits."])
    assert sorted(p["check"] for p in pairs) == ["brevity", "bullets"]
    assert all(p["chosen"][0]["content"] == "- a\n- b" for p in pairs)
    assert pair_accuracy(lambda prompt, texts: [-len(t) for t in texts], pairs) == 1.0
