import subprocess
import sys

import pytest
from typer.testing import CliRunner

from steergraph.cli import app

runner = CliRunner()


def run_cli(*args):
    """Run the real entry point in a subprocess (exit codes and stderr as a user sees them)."""
    return subprocess.run(
        [sys.executable, "-m", "steergraph.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_the_console_script_exits_2_with_one_line():
    """The real entry point in a subprocess, once: the in-process cases below stand for it."""
    proc = run_cli("viz", "nograph")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip() and "Fontconfig" not in line]
    assert len(lines) == 1 and "no graph named 'nograph'" in lines[0] and "fix:" in lines[0]


def test_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for cmd in ("models", "chat", "demo", "viz", "catp", "verify", "structrag", "sso"):
        assert cmd in result.output


def test_viz_writes_files(tmp_path):
    result = runner.invoke(app, ["viz", "demo", "--out", str(tmp_path / "d.mmd")])
    assert result.exit_code == 0 and (tmp_path / "d.mmd").read_text().startswith("---")


def test_models_lists_both():
    result = runner.invoke(app, ["models"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "smollm2" in result.output and "gemma3" in result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["chat", "-m", "nonsense", "hi"], "unknown model spec 'nonsense'"),
        (["chat", "   "], "the prompt is empty"),
        (["viz", "nograph"], "no graph named 'nograph'"),
        (["viz", "demo", "--out", "x.gif"], "cannot write a graph picture"),
        (["models", "prepare", "llama"], "no embedded model named 'llama'"),
        (["catp", "plan", "Summarize"], "the task has no input"),
        (["catp", "plan", "Summarize", "--input", "doc"], "is not NAME=PATH"),
        (["catp", "run", "Sum", "--input", "doc:image=x.png"], "the type text or table"),
        (["catp", "plan", "Summarize", "--input", "doc=/no/such/file.txt"], "file not found"),
        (["catp", "bench", "--family", "poetry"], "unknown task family: poetry"),
        (["catp", "bench", "--level", "7"], "level 7 does not exist"),
        (["catp", "bench", "--oracle-size", "9"], "--oracle-size 9 is out of range"),
        (["verify", "run", "--strategy", "nope"], "unknown strategy 'nope'"),
        (["verify", "run", "--feedback", "ppo"], "unknown feedback 'ppo'"),
        (["verify", "run", "--verifier", "magic"], "unknown verifier 'magic'"),
        (["verify", "run", "--verifier", "regex:("], "invalid regular expression"),
        (["verify", "run", "--limit", "0"], "--limit 0 selects nothing"),
        (["verify", "run", "--split", "dev"], "unknown split 'dev'"),
        (["verify", "run", "--problems", "/no/such.jsonl"], "file not found"),
        (["verify", "bench", "--test-limit", "0"], "--test-limit 0 selects nothing"),
        (["verify", "sandbox", "/no/such.py"], "file not found"),
        (["structrag", "ask", "--docs", "/no/such/dir", "Q?"], "does not exist"),
        (["structrag", "ask", "--docs", ".", "--structure", "list", "Q?"], "unknown structure"),
        (["structrag", "ask", "--docs", ".", "--mode", "magic", "Q?"], "unknown mode 'magic'"),
        (["structrag", "train-router", "--n-per-family", "0"], "selects nothing"),
        (["structrag", "bench", "--n-per-family", "0"], "must be >= 1"),
        (["sso", "generate"], "exactly one of --prompts FILE and --builtin N"),
        (["sso", "generate", "--builtin", "0"], "--builtin 0 selects nothing"),
        (["sso", "generate", "--prompts", "/no/such.txt"], "does not exist"),
        (["sso", "generate", "--builtin", "2", "--features", "brevity,nope"], "unknown feature"),
        (["sso", "generate", "--builtin", "2", "--steer", "guess"], "unknown steering mode"),
        (["sso", "generate", "--builtin", "2", "--order", "loose"], "unknown log-prob order"),
        (["sso", "loop", "--builtin", "2", "--variant", "ppo"], "unknown variant 'ppo'"),
        (["sso", "loop", "--builtin", "2", "--rounds", "0"], "rounds=0"),
        (
            ["sso", "loop", "--builtin", "2", "--db", "postgresql://me@/runs?host=/no/such"],
            "cannot use the PostgreSQL database",
        ),
        (["sso", "train", "--data", "/no/such.jsonl"], "does not exist"),
        (["sso", "train", "--data", "x.jsonl", "--variant", "kto"], "unknown variant"),
        (["sso", "bench", "--eval-prompts", "0"], "must be >= 1"),
        (["sso", "generate", "--builtin", "2", "--principles", "/no/p.json"], "does not exist"),
    ],
)
def test_user_errors_are_one_line_without_traceback(cli, args, needle):
    proc = cli(*args)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip() and "Fontconfig" not in line]
    assert len(lines) == 1, proc.stderr
    assert needle in lines[0] and "fix:" in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"prompt": "2+2?", "answer": "4"}\nnot json\n', "line 2: not a problem"),
        ('{"answer": "4"}\n', "line 1: not a problem"),
        ("\n\n", "holds no problems"),
    ],
)
def test_verify_problem_files_are_checked(cli, tmp_path, content, needle):
    path = tmp_path / "problems.jsonl"
    path.write_text(content)
    proc = cli("verify", "run", "--problems", str(path))
    assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("p.jsonl", '{"prompt": "Hi?"}\nnot json\n', "line 2 is not JSON"),
        ("p.jsonl", '{"text": "Hi?"}\n', "line 1: not a prompt"),
        ("p.json", '{"prompt": "Hi?"}', "holds a dict"),
        ("p.txt", "\n \n", "holds no prompts"),
    ],
)
def test_sso_prompt_files_are_checked(cli, tmp_path, name, content, needle):
    path = tmp_path / name
    path.write_text(content)
    proc = cli("sso", "generate", "--prompts", str(path))
    assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr


def test_sso_train_checks_rows(cli, tmp_path):
    path = tmp_path / "sso.jsonl"
    path.write_text('{"prompt": [], "chosen": []}\n')
    proc = cli("sso", "train", "--data", str(path))
    assert proc.returncode == 2 and "line 1 lacks" in proc.stderr and "neutral" in proc.stderr


def test_non_utf8_file(cli, tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("café".encode("latin-1"))
    proc = cli("chat", "--file", str(bad))
    assert proc.returncode == 2 and "not UTF-8" in proc.stderr and "Traceback" not in proc.stderr


def test_structrag_ask_with_only_unusable_files_names_them(cli, tmp_path):
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01")
    (tmp_path / "empty.txt").write_text("")
    proc = cli("structrag", "ask", "--docs", str(tmp_path), "Anything?")
    assert proc.returncode == 2
    assert "blob.bin" in proc.stderr and "fix:" in proc.stderr
