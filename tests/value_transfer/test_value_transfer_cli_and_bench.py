"""Value transfer's command line (bad input) and benchmark plumbing on tiny models."""

from __future__ import annotations

import pytest

from steergraph.errors import InputError


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--base", "openai:gpt-x"], "cannot train the API model"),
        (["train", "--connection", "sum"], "unknown connection"),
        (["evaluate", "/no/such/folder", "--target", "local"], "holds no value network"),
        (["chat", "/no/such/folder", "  "], "the prompt is empty"),
        (["chat", "/no/such/folder", "hi", "--target", "openai:gpt-x"], "cannot train the API"),
        (["bench", "--family", "llama"], "unknown family"),
    ],
)
def test_bad_input_is_one_line(cli, args, message):
    r = cli("value", *args)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_bench_plumbing_on_tiny_models_prints_every_key(tiny_pair, tmp_path):
    from steergraph.bench.value_transfer import ValueBenchConfig, run_value_bench
    from steergraph.bench.value_transfer_report import final_line, plot_nll, table_lines

    base, post = tiny_pair
    cfg = ValueBenchConfig(
        models=(str(base), (str(base), str(post))), train_rows=8, test_rows=3, arithmetic=2,
        steps=2, batch_size=2, max_length=256, out=tmp_path,
    )  # fmt: skip
    run = run_value_bench(cfg)
    assert set(run["results"]) == {str(base), str(post)}
    nll = run["results"][str(post)]["nll"]
    assert set(nll) == {"alone", "residual", "cascade", "residual_norm", "proxy_tuning",
                        "fine_tuned"}  # fmt: skip
    line = final_line(run)
    for key in (
        "gain_recovered_same_family_nll",
        "gain_recovered_same_family_task",
        "gain_recovered_cross_vocab_nll",
        "value_decode_slowdown",
        "alignment_coverage",
    ):
        assert key in line  # fmt: skip
    assert line["same_family_target"] == str(post)
    assert len(table_lines(run)) == 4
    assert plot_nll(run, tmp_path / "p.png").stat().st_size > 1000
    with pytest.raises(InputError, match="size below 1"):
        run_value_bench(ValueBenchConfig(steps=0))
