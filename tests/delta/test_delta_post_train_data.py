"""Instruction rows for making the post-trained model, and the recipe's cache key."""

from __future__ import annotations

import pytest

from steergraph.data.delta.post_train import post_train_rows
from steergraph.errors import InputError
from steergraph.training.delta import (
    QUICK_RECIPE,
    PostTrainRecipe,
    calibration_rows,
    post_trained,
)


def test_splits_are_disjoint_stable_and_mixed():
    train, calib = post_train_rows("train"), post_train_rows("calibration")
    assert len(train) + len(calib) == len(post_train_rows("all")) == 300 + 164
    assert not {r["id"] for r in train} & {r["id"] for r in calib}
    first = post_train_rows("calibration", n=4)
    assert [r["id"] for r in first] == [r["id"] for r in calib[:4]]
    assert {r["id"].split("/")[0] for r in first} == {"packages", "HumanEval"}
    row = next(r for r in train if r["id"] == "packages/apt")
    assert "commandline package manager" in row["completion"][0]["content"]
    code = next(r for r in train + calib if r["id"] == "HumanEval/0")
    assert "return False" in code["completion"][0]["content"]


def test_bad_requests_are_refused():
    with pytest.raises(InputError, match="unknown post-training data kind"):
        post_train_rows(kinds=("wikipedia",))
    with pytest.raises(InputError, match="unknown split"):
        post_train_rows("test")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="selects no rows"):
        post_train_rows(n=0)
    with pytest.raises(InputError, match="unknown base model"):
        post_trained(PostTrainRecipe(base="llama-70b"))
    with pytest.raises(InputError, match="steps"):
        post_trained(PostTrainRecipe(steps=0))


def test_recipes_key_their_cache_folder_and_plain_rows_without_template():
    assert PostTrainRecipe().key() == PostTrainRecipe().key() != QUICK_RECIPE.key()
    assert PostTrainRecipe(seed=1).folder_name() != PostTrainRecipe().folder_name()

    class NoTemplate:
        chat_template = None

    rows = calibration_rows(NoTemplate(), n=2)
    assert rows[0]["prompt"].startswith("Question: ") and isinstance(rows[0]["completion"], str)
