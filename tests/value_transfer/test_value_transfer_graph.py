"""The value-transfer graph and its data: demonstrations split by hash, one result row per
target, a killed run does not train again, bad input refused before any training."""

from __future__ import annotations

import pytest

from steergraph.errors import InputError, ModelLoadError
from steergraph.graphs.value_transfer import ValueTransferContext, build_value_transfer_graph


def test_demonstrations_are_split_by_hash_and_carry_answers():
    from steergraph.data.value_transfer import arithmetic_rows, demonstrations

    train, test = demonstrations("train", n=60), demonstrations("test", n=30)
    assert {r["kind"] for r in train} == {"packages", "humaneval", "arithmetic"}
    assert not {r["id"] for r in train} & {r["id"] for r in test}
    arith = arithmetic_rows("test", 5)
    assert len(arith) == 5
    for row in arith:
        assert row["completion"][0]["content"].endswith(f"The answer is {row['answer']}.")
    with pytest.raises(InputError, match="unknown demonstration kind"):
        demonstrations("train", kinds=("poems",))
    with pytest.raises(InputError, match="unknown split"):
        demonstrations("dev")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def rows():
    from steergraph.data.value_transfer import demonstrations

    return demonstrations("train", n=8, kinds=("arithmetic",)), demonstrations(
        "test", n=3, kinds=("arithmetic",)
    )


def test_one_row_per_target_and_no_second_training(tiny_pair, rows, tmp_path):
    base, post = tiny_pair
    train_rows, test_rows = rows
    ctx = ValueTransferContext(
        base=str(base), workdir=str(tmp_path),
        variants={"residual": {"connection": "residual"},
                  "cascade_norm": {"connection": "cascade", "norm_weight": 0.1}},
        train={"max_steps": 6, "learning_rate": 3e-3}, proxy=(str(post), str(base)),
    )  # fmt: skip
    state = {"train_rows": train_rows, "test_rows": test_rows, "targets": [str(base), str(post)]}
    out = build_value_transfer_graph().invoke(state, context=ctx)
    assert [r["target"] for r in sorted(out["results"], key=lambda r: r["target"])] == sorted(
        state["targets"]
    )
    on_base = next(r for r in out["results"] if r["target"] == str(base))["nll"]
    assert set(on_base) == {"alone", "residual", "cascade_norm", "proxy_tuning"}
    assert on_base["residual"] < on_base["alone"]  # trained on this very base
    stamp = (tmp_path / "residual" / "model.safetensors").stat().st_mtime_ns
    build_value_transfer_graph().invoke({**state, "targets": [str(post)]}, context=ctx)
    assert (tmp_path / "residual" / "model.safetensors").stat().st_mtime_ns == stamp
    assert (tmp_path / "results.json").is_file()


def test_a_target_with_another_vocabulary_goes_through_the_alignment(tiny_pair, rows, tmp_path):
    from steergraph.testing import tiny_causal_lm

    base, post = tiny_pair
    other, tok = tiny_causal_lm(seed=3, vocab_size=512)
    other.save_pretrained(tmp_path / "other")
    tok.save_pretrained(tmp_path / "other")
    ctx = ValueTransferContext(
        base=str(base), workdir=str(tmp_path / "work"),
        variants={"residual": {"connection": "residual"}, "cascade": {"connection": "cascade"}},
        train={"max_steps": 2}, proxy=(str(post), str(base)), alignment_rows=12,
    )  # fmt: skip
    train_rows, test_rows = rows
    state = {"train_rows": train_rows, "test_rows": test_rows, "targets": [str(tmp_path / "other")]}
    (row,) = build_value_transfer_graph().invoke(state, context=ctx)["results"]
    assert row["cross_vocabulary"] and 0 < row["alignment_coverage"] <= 1
    # residual and proxy-tuning go through the alignment; cascade needs one vocabulary
    assert row["nll"]["residual"] != row["nll"]["alone"] and row["nll"]["cascade"] is None
    proxy = row["nll"]["proxy_tuning"]
    assert proxy == proxy and proxy != row["nll"]["alone"]  # not NaN, moved by the pair


def test_a_failed_branch_resumes_from_postgresql_without_redoing_the_others(
    tiny_pair, rows, tmp_path, postgres_url
):
    import shutil
    import time

    from steergraph.graphs.persistence import persistence

    base, _ = tiny_pair
    first, second = tmp_path / "first", tmp_path / "second"  # the targets, copies of the base
    shutil.copytree(base, first)
    ctx = ValueTransferContext(
        base=str(base), workdir=str(tmp_path / "work"),
        variants={"residual": {"connection": "residual"}}, train={"max_steps": 2},
    )  # fmt: skip
    train_rows, test_rows = rows
    state = {"train_rows": train_rows, "test_rows": test_rows,
             "targets": [str(first), str(second)]}  # fmt: skip
    config = {"configurable": {"thread_id": "value-resume"}}
    with persistence(postgres_url) as (saver, _):
        graph = build_value_transfer_graph(checkpointer=saver)
        with pytest.raises(ModelLoadError, match="second"):  # that target is not there yet
            graph.invoke(state, config, context=ctx)
        deadline = time.monotonic() + 120  # the first branch may still be finishing
        pending = graph.get_state(config)
        while not any(t.result for t in pending.tasks):
            assert time.monotonic() < deadline, "the first branch's row was never saved"
            time.sleep(0.2)
            pending = graph.get_state(config)
        assert pending.next == ("evaluate",) and "residual" in pending.values["trained"]
        assert [t.error is not None for t in pending.tasks].count(True) == 1
        # the first branch's row is kept: with its model gone it could not run again
        shutil.move(first, second)
        out = graph.invoke(None, config, context=ctx)
    assert sorted(r["target"] for r in out["results"]) == sorted(state["targets"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"targets": []}, "no target model"),
        ({"test_rows": []}, "no demonstrations or no held-out rows"),
        ({"targets": ["openai:gpt-x"]}, "cannot train the API model"),
    ],
)
def test_bad_input_is_refused_before_training(tiny_pair, rows, tmp_path, change, message):
    base, _ = tiny_pair
    state = {"train_rows": rows[0], "test_rows": rows[1], "targets": [str(base)], **change}
    with pytest.raises(InputError, match=message):
        build_value_transfer_graph().invoke(
            state, context=ValueTransferContext(base=str(base), workdir=str(tmp_path))
        )
    assert not any(tmp_path.iterdir())
