import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e


def test_demo_command_prints_a_report_and_writes_a_picture(tmp_path):
    out = tmp_path / "demo.png"
    proc = subprocess.run(
        [sys.executable, "-m", "steergraph.cli", "demo", "--out", str(out), "-q", "What is 7 * 6?"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        "Q: What is 7 * 6?" in proc.stdout
        and "answer:" in proc.stdout
        and "LLM calls" in proc.stdout
    )
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chat_command_answers(tmp_path):
    prompt = tmp_path / "q.txt"
    prompt.write_text("Say hello.", encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "steergraph.cli",
            "chat",
            "--file",
            str(prompt),
            "--max-new-tokens",
            "12",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
