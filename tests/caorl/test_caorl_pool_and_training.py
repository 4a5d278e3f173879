"""The plan pool as CAORL data, the balanced episodes, the trainer and loading a trained
planner, on tiny models (fast)."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from datasets import Dataset

from steergraph.data.caorl import load_pool
from steergraph.errors import InputError
from steergraph.testing import tiny_causal_lm
from steergraph.tools.registry import default_registry
from steergraph.training.caorl_config import CAORLConfig
from steergraph.training.caorl_trainer import (
    META_FILE,
    caorl_rows,
    episodes,
    load_planner,
    read_meta,
    train_caorl,
)

WORDS = "Count the words of the document."
MEAN = "Mean installed size of the packages (exact, clean rows)."


@pytest.fixture(scope="module")
def reg():
    r = default_registry()
    r.profile(progress=False)
    return r


def _row(plan, score, *, task="word-count-L1", desc=WORDS, valid=True, planner="enumeration"):
    return {"task_id": task, "split": "train", "planner": planner, "plan": plan,
            "valid": valid, "score": score, "measured": False, "description": desc}  # fmt: skip


PLANS = [
    ("n = count_words(doc)\nreturn n", 1.0),
    ("n = estimate_words(doc)\nreturn n", 0.9),
    ("t = clean_text(doc)\nn = count_words(t)\nreturn n", 0.98),
    ("t = clean_text(doc)\nn = estimate_words(t)\nreturn n", 0.6),
    ("t = summarize_lead(doc)\nn = count_words(t)\nreturn n", 0.05),
    ("t = summarize_rank(doc)\nn = count_words(t)\nreturn n", 0.04),
    ("t = dedupe_sentences(doc)\nn = count_words(t)\nreturn n", 0.95),
]


@pytest.fixture(scope="module")
def pool(reg):
    rows = [_row(p, s) for p, s in PLANS]
    rows.append(_row("t = lookup_docs(doc)\nreturn t", -2.0, valid=False, planner="cost_aware"))
    rows.append(_row("", -2.0, valid=False, planner="cost_unaware"))  # no plan: skipped
    rows.append(_row(PLANS[0][0], 1.0, planner="cost_aware"))  # a duplicate: kept once
    return load_pool(Dataset.from_list(rows), reg)


def _cfg(tmp_path, **kw):
    return CAORLConfig(output_dir=str(tmp_path), use_cpu=True, **kw)


def test_pool_groups_distinct_parsed_plans_by_task(pool):
    entry = pool["word-count-L1"]
    assert len(entry.plans) == len(PLANS) + 1
    assert entry.task.size > 1000 and entry.task.inputs == {"doc": "text"}
    assert [p.valid for p in entry.plans].count(False) == 1


def test_episodes_are_balanced_over_buckets(pool, reg, tmp_path):
    eps = episodes(pool, reg, _cfg(tmp_path, plans_per_bucket=2))
    buckets = [e.bucket for e in eps]
    assert buckets.count("good") == 2 and buckets.count("cheap") == 2
    assert buckets.count("bad") >= 1 and buckets.count("invalid") == 1
    good = [e for e in eps if e.bucket == "good"]
    assert all(g.ret >= e.ret for g in good for e in eps if e.bucket != "good")
    assert min(e.ret for e in eps) == pytest.approx(-2.0)  # the invalid plan


def _tok():
    from steergraph.testing import tiny_tokenizer

    return tiny_tokenizer()


def _trained_text(row, tok):
    return tok.decode([i for i, m in zip(row["input_ids"], row["completion_mask"]) if m])


def test_sft_best_keeps_only_the_best_plans(pool, reg, tmp_path):
    tok = _tok()
    rows, meta = caorl_rows(pool, reg, _cfg(tmp_path, variant="sft_best"), tok)
    assert meta["buckets"] == {"good": meta["episodes"]} and meta["episodes"] <= 4
    texts = [tok.decode(r["input_ids"]) for r in rows]
    assert all("Return to go" not in t for t in texts)
    trained = [_trained_text(r, tok) for r in rows]
    assert "s1 = count_words(doc)return s1" in trained  # exact and cheapest: the best QoP
    assert not any("summarize" in t or "estimate" in t for t in trained)


def test_one_row_per_episode_with_the_loss_on_plan_lines_only(pool, reg, tmp_path):
    tok = _tok()
    rows, meta = caorl_rows(pool, reg, _cfg(tmp_path), tok)
    assert meta["rows"] == meta["episodes"] == len(rows) and meta["longest_row_tokens"] > 100
    assert meta["return_range"][0] == pytest.approx(-2.0)
    for row in rows:
        text = tok.decode(row["input_ids"])
        assert text.count("Return to go: ") == _trained_text(row, tok).count("(") + 1 >= 2
        assert "must cost at most" not in text  # no budget
        assert "Return to go" not in _trained_text(row, tok)
    no_cost, _ = caorl_rows(pool, reg, _cfg(tmp_path, variant="no_cost"), tok)
    assert all("Score to go: " in tok.decode(r["input_ids"]) for r in no_cost)


def test_the_planner_prompt_is_a_prefix_of_the_training_text(pool, reg, tmp_path):
    from steergraph.agents.caorl import CAORLPlanner
    from steergraph.llm.prompting import render_prompt, to_chat_dicts
    from steergraph.training.caorl_trainer import episode_text

    tok = _tok()
    ep = episodes(pool, reg, _cfg(tmp_path))[0]
    planner = CAORLPlanner(None, reg, target_return=ep.ret, check_model=False)
    text, _ = episode_text(tok, planner, ep)
    for t in range(len(ep.lines)):
        shown = planner.line_messages(planner.messages(ep.task), ep.lines[:t], ep.task)
        prompt = render_prompt(tok, to_chat_dicts(shown))
        assert text.startswith(prompt) and text[len(prompt) :].startswith(ep.lines[t])


def _pool_ds(rows):
    return Dataset.from_list(rows)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "empty"),
        ([{"task_id": "x", "plan": "p"}], "not a CATP plan pool"),
        ([_row(PLANS[0][0], 1.0, task="word-count-L9")], "another task suite"),
        ([_row(PLANS[0][0], 1.0, desc="Count sheep.")], "another task suite"),
        ([_row(PLANS[0][0], 1.0, task="bogus")], "another task suite"),
        ([_row("n = count_sheep(doc)\nreturn n", 1.0)], "not in the registry"),
        ([_row(PLANS[0][0], 1.0, task="keywords-L1", desc="x")], "another task suite"),
    ],
)
def test_bad_pools_are_refused_in_one_line(rows, message, reg):
    data = _pool_ds(rows) if rows else Dataset.from_dict({c: [] for c in _row("", 0)})
    with pytest.raises(InputError, match=message) as err:
        load_pool(data, reg)
    assert "\n" not in str(err.value)


def test_a_missing_or_foreign_folder_is_refused(tmp_path, reg):
    with pytest.raises(InputError, match="no plan pool at"):
        load_pool(tmp_path / "nope", reg)
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(InputError, match="not a saved datasets dataset"):
        load_pool(tmp_path, reg)
    with pytest.raises(InputError, match="no parseable plan of a test task"):
        load_pool(_pool_ds([_row(PLANS[0][0], 1.0)]), reg, splits=("test",))


@pytest.fixture(scope="module")
def trained(pool, reg, module_tmp):
    out = module_tmp("caorl")
    with contextlib.redirect_stdout(io.StringIO()):
        result = train_caorl(tiny_causal_lm(seed=0), pool, reg, output_dir=out, max_steps=3,
                             max_length=4096, plans_per_bucket=1, disable_tqdm=True)  # fmt: skip
    return out, result


def test_training_writes_the_model_and_what_planning_needs(trained):
    out, result = trained
    meta = read_meta(out)
    assert result.steps == 3 and meta["steps"] == 3 and len(meta["loss_first_last"]) == 2
    assert meta["variant"] == "caorl" and meta["best_return"] == meta["return_range"][1]
    assert (out / "config.json").is_file() and len(meta["tokenizer"]) == 16


def test_a_trained_planner_plans_with_the_best_seen_return(trained, reg):
    out, _ = trained
    planner = load_planner(out, reg, engine="hf")
    assert planner.target_return == read_meta(out)["best_return"]
    from steergraph.agents.catp.planner import PlanTask

    result = planner.plan(PlanTask(WORDS, {"doc": "text"}, ["number"], 2000))
    assert result.plan is not None and not result.errors
    with pytest.warns(UserWarning):
        clipped = load_planner(out, reg, engine="hf", target_return=50.0)
    assert clipped.target_return == read_meta(out)["return_range"][1]


def test_a_checkpoint_of_another_tokenizer_is_refused(trained, reg, tmp_path):
    out, _ = trained
    meta = json.loads((out / META_FILE).read_text())
    (tmp_path / META_FILE).write_text(json.dumps(meta))
    from steergraph.llm.local import LocalChatModel

    model, other = tiny_causal_lm(seed=1, vocab_size=300)
    llm = LocalChatModel.from_model(model, other)
    with pytest.raises(InputError, match="trained with another tokenizer"):
        load_planner(tmp_path, reg, llm=llm)
    with pytest.raises(InputError, match="no trained CAORL planner"):
        read_meta(tmp_path / "nothing")


def test_bad_trainer_settings_are_refused(tmp_path):
    with pytest.raises(InputError, match="plans_per_bucket"):
        _cfg(tmp_path, plans_per_bucket=0)
    with pytest.raises(InputError, match="outside"):
        _cfg(tmp_path, qop_a=2.0)


def test_the_catp_benchmark_takes_a_trained_planner_as_an_extra_row(trained, reg, tmp_path):
    from steergraph.bench.catp import BenchConfig, run_catp_bench
    from steergraph.testing import ScriptedChatModel

    out, _ = trained
    llm = ScriptedChatModel(responses=["n = count_words(doc)\nreturn n"], cycle=True)
    cfg = BenchConfig(levels=(1,), families=("word-count",), oracle_size=2, workers=1,
                      faults=False, out=tmp_path)  # fmt: skip
    extra = {"trained": load_planner(out, reg, engine="hf")}
    report = run_catp_bench(cfg, model=llm, log=lambda _: None, extra_planners=extra)
    assert list(report["planners"]) == ["random", "cost_unaware", "cost_aware", "trained",
                                        "oracle"]  # fmt: skip
    assert report["planners"]["trained"]["tasks"] == 1
    trained_runs = [json.loads(x) for x in open(report["files"]["outcomes"])]
    plans = [o["plan"] for o in trained_runs if o["planner"] == "trained"]
    # the mask makes every plan type-check; a random tiny model's plan may still fail to run
    assert len(plans) == 1 and plans[0].splitlines()[-1].startswith("return ")


def test_only_the_top_layers_train():
    import torch

    from steergraph.training.caorl_trainer import train_top_layers

    model, _ = tiny_causal_lm(seed=0)
    assert train_top_layers(model, 1) == 1
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith("model.layers.1.") for n in trainable)
    with pytest.raises(InputError, match="no decoder layer list"):
        train_top_layers(torch.nn.Linear(2, 2), 1)
