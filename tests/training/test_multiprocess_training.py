"""One TRL recipe in two processes (``accelerate launch``, gloo on CPU) and in one.

Two processes with batch 2 each take the same optimizer steps as one process with batch 4
(DDP averages the gradients), so their losses and weights must agree; rank 0 alone
writes the files, in the same format as the one-process run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from steergraph.llm.openai_server import free_port
from steergraph.testing import tiny_causal_lm
from steergraph.training.launch import main

ROWS = [
    {
        "prompt": [{"role": "user", "content": f"add {i} and 1"}],
        "completion": [{"role": "assistant", "content": str(i + 1)}],
    }
    for i in range(16)
]


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    root = tmp_path_factory.mktemp("multiprocess")
    model, tok = tiny_causal_lm(seed=0)
    model.save_pretrained(root / "model")
    tok.save_pretrained(root / "model")
    (root / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return root


def _args(root: Path, out: str, batch: int) -> list[str]:
    return ["sft", "--model", str(root / "model"), "--data", str(root / "rows.jsonl"),
            "--out", str(root / out), "--max-steps", "4", "--batch-size", str(batch)]  # fmt: skip


def test_two_processes_train_like_one_with_the_same_global_batch(job):
    main(_args(job, "one", 4))
    accelerate = Path(sys.executable).with_name("accelerate")
    launch = [str(accelerate), "launch", "--multi_gpu", "--num_processes", "2",
              "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
              "--main_process_port", str(free_port()),
              "-m", "steergraph.training.launch"]  # fmt: skip
    done = subprocess.run(
        [*launch, *_args(job, "two", 2)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    one = json.loads((job / "one" / "result.json").read_text())
    two = json.loads((job / "two" / "result.json").read_text())
    assert (one["world_size"], two["world_size"], two["backend"]) == (1, 2, "gloo")
    assert set(one) == set(two) and one["steps"] == two["steps"] == 4
    assert two["losses"] == pytest.approx(one["losses"], abs=1e-4)
    from safetensors.torch import load_file

    a = load_file(job / "one" / "model.safetensors")
    b = load_file(job / "two" / "model.safetensors")
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-4
    assert (job / "two" / "tokenizer_config.json").is_file()


def test_an_empty_dataset_is_one_line(job, capsys):
    (job / "empty.jsonl").write_text("\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["sft", "--model", str(job / "model"), "--data", str(job / "empty.jsonl"),
              "--out", str(job / "never")])  # fmt: skip
    assert exit_info.value.code == 2
    assert "holds no rows" in capsys.readouterr().err
