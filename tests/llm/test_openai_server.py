"""Methods through a real OpenAI-compatible server (llama-cpp-python's, over the embedded GGUF).

The server is started on a free loopback port by the module fixture and stopped at the
end; the commands run in process with ``-m openai:smollm2`` and ``OPENAI_BASE_URL``, as a
user would point them at vLLM. Each works, or says in one line which capability the
API model lacks.
"""

from __future__ import annotations

import json

import pytest
from langchain_openai import ChatOpenAI

from steergraph.agents.calls import structured_model, with_budget
from steergraph.errors import CapabilityError, ModelLoadError
from steergraph.llm import openai_server
from steergraph.llm.loading import load_chat_model


def test_spec_reads_the_base_url_from_the_environment(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    llm = load_chat_model("openai:served")
    assert isinstance(llm, ChatOpenAI)
    assert llm.openai_api_base == "http://127.0.0.1:9/v1"
    assert llm.model_name == "served"
    explicit = load_chat_model("openai:served", base_url="http://127.0.0.1:10/v1")
    assert explicit.openai_api_base == "http://127.0.0.1:10/v1"


def test_budget_reaches_servers_that_read_only_max_tokens():
    api = ChatOpenAI(model="m", base_url="http://127.0.0.1:9/v1", api_key="EMPTY")
    limited = with_budget(api, 7)
    assert limited.max_tokens == 7
    assert limited.extra_body == {"max_tokens": 7}
    assert api.max_tokens is None  # a copy; the caller's model is unchanged
    openai = with_budget(ChatOpenAI(model="m", api_key="sk-x"), 7)
    assert openai.max_tokens == 7 and not openai.extra_body


def test_servers_of_ones_own_get_json_mode_with_the_schema_in_the_prompt():
    from pydantic import BaseModel

    class Pick(BaseModel):
        name: str

    api = ChatOpenAI(model="m", base_url="http://127.0.0.1:9/v1", api_key="EMPTY")
    chain = structured_model(api, Pick)
    first = chain.first.invoke("choose")
    assert '"name": <string>' in first[0].content and first[1].content == "choose"


def test_missing_server_packages_name_the_extra(monkeypatch):
    monkeypatch.setattr(
        openai_server.importlib.util, "find_spec", lambda m: None if m == "fastapi" else object()
    )
    with pytest.raises(CapabilityError, match=r"fastapi.*openai-server"):
        openai_server.server_command(openai_server.Path("m.gguf"), "m", "127.0.0.1", 1, 512)


def test_a_missing_gguf_is_one_clear_error(tmp_path):
    with pytest.raises(ModelLoadError, match="no GGUF file"):
        with openai_server.serve_openai_compatible(str(tmp_path / "absent.gguf")):
            pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    log = tmp_path_factory.mktemp("openai") / "server.log"
    with openai_server.serve_openai_compatible("smollm2", n_ctx=2048, log=log) as server:
        yield server


@pytest.fixture
def api_cli(cli, served, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", served.base_url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return cli


@pytest.mark.e2e
def test_chat_and_structured_output_through_the_server(served, monkeypatch):
    from pydantic import BaseModel

    class Capital(BaseModel):
        city: str

    monkeypatch.setenv("OPENAI_BASE_URL", served.base_url)
    llm = with_budget(load_chat_model(served.spec), 24)
    reply = llm.invoke("Name a colour.")
    assert reply.response_metadata["token_usage"]["completion_tokens"] <= 24
    out = structured_model(llm, Capital).invoke("What is the capital of France?")
    assert isinstance(out, Capital) and out.city.strip()


@pytest.mark.e2e
def test_method_commands_work_or_name_the_missing_capability(api_cli, served, tmp_path):
    spec = served.spec
    doc = tmp_path / "doc.txt"
    doc.write_text("LangGraph builds stateful agents. LangChain released it in 2024.\n")
    plan = api_cli("catp", "plan", "Summarize the document", "-i", f"doc={doc}", "-m", spec)
    # free-text planning without a grammar: a plan, or the one-line planning error
    assert plan.returncode in (0, 2), plan.stderr
    assert "Traceback" not in plan.stdout + plan.stderr
    if plan.returncode:
        assert plan.stderr.count("\n") == 1 and "no valid plan" in plan.stderr

    table = tmp_path / "docs" / "sizes.csv"
    table.parent.mkdir()
    table.write_text("name,size\nalpha,10\nbeta,30\ngamma,20\n")
    ask = api_cli(
        "structrag", "ask", "Which name has the largest size?", "-d", str(table.parent),
        "-s", "table", "-m", spec, "--json",
    )  # fmt: skip
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert answer["metadata"]["structure"] == "table"
    assert answer["usage"]["output_tokens"] > 0  # counted from the server's usage

    run = api_cli(
        "verify", "run", "-p", "arithmetic", "--limit", "2", "-s", "best-of-n", "--n", "2",
        "-m", spec, "--max-new-tokens", "32", "--workdir", str(tmp_path / "verify"),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "verify" / "report.json").read_text())
    assert report["history"][0]["problems"] == 2 and report["history"][0]["engine"] == "api"

    refused = api_cli("sso", "generate", "--builtin", "1", "-m", spec, "--out", str(tmp_path))
    assert refused.returncode == 2
    assert "error (capability)" in refused.stderr and "log-probs" in refused.stderr
    assert not (tmp_path / "round-1" / "triplets.jsonl").exists()  # refused before sampling
    sso = api_cli(
        "sso", "generate", "--builtin", "1", "-m", spec, "--out", str(tmp_path / "sso"),
        "--filters", "duplicates", "--max-new-tokens", "16",
    )  # fmt: skip
    assert sso.returncode == 0, sso.stderr
    rows = (tmp_path / "sso" / "round-1" / "triplets.jsonl").read_text().splitlines()
    assert len(rows) == 1 and json.loads(rows[0])["y_plus"]
