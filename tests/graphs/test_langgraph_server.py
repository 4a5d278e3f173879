"""The real LangGraph Agent Server (``langgraph dev``) serves every registered graph.

Started on a free loopback port from the repository's ``langgraph.json`` and stopped at
the end; driven with ``langgraph_sdk``. Marked ``server`` (skipped with the reason when
``langgraph-cli[inmem]`` is absent: its API server is Elastic-2.0, so it is the optional
``server`` extra) and ``e2e`` (the CATP run plans with the embedded model).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from steergraph.llm.openai_server import free_port
from steergraph.methods import graph_factories

pytestmark = [pytest.mark.server, pytest.mark.e2e]
ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "langgraph-dev.log"
    cli = Path(sys.executable).with_name("langgraph")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(cli),
                "dev",
                "--no-browser",
                "--no-reload",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "LANGSMITH_TRACING": "false", "LANGGRAPH_CLI_NO_ANALYTICS": "1"},
            start_new_session=True,
        )
    from langgraph_sdk import get_sync_client

    client = get_sync_client(url=f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 90
    while True:
        try:
            client.assistants.search(limit=1)
            break
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                pytest.fail(f"langgraph dev did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
    yield client
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def test_every_registered_graph_is_an_assistant(server):
    graphs = {a["graph_id"] for a in server.assistants.search(limit=50)}
    assert graphs == set(graph_factories())
    catp = next(a for a in server.assistants.search(graph_id="catp", limit=1))
    assert {"plan", "execute"} <= {
        n["id"] for n in server.assistants.get_graph(catp["assistant_id"])["nodes"]
    }


CATP_INPUT = {
    "task": {
        "description": "Count the words of the document",
        "inputs": {"doc": "text"},
        "outputs": ["number"],
    },
    "inputs": {"doc": "one two three four five six seven"},
}


def test_a_catp_run_on_the_embedded_model_returns_its_output(server):
    thread = server.threads.create()
    out = server.runs.wait(thread["thread_id"], "catp", input=CATP_INPUT)
    assert out["status"] == "done", out
    assert out["plan"] and "return" in out["plan"]
    assert 7 in [v for v in out["outputs"].values()] or "7" in str(out["outputs"])


def test_a_run_streams_each_node_as_it_finishes(server):
    thread = server.threads.create()
    nodes = []
    for part in server.runs.stream(
        thread["thread_id"], "catp", input=CATP_INPUT, stream_mode="updates"
    ):
        if part.event == "updates" and isinstance(part.data, dict):
            nodes += list(part.data)
    assert nodes[0] == "plan" and "execute" in nodes
    assert nodes.index("plan") < nodes.index("execute")


def _interrupted(client, thread_id: str, run_input, **kwargs) -> dict:
    """Run (or resume) until the next interrupt; return the thread's pending interrupt value."""
    client.runs.wait(thread_id, "catp", input=run_input, **kwargs)
    state = client.threads.get_state(thread_id)
    pending = [i for task in state["tasks"] for i in task.get("interrupts", [])]
    return pending[0]["value"] if pending else {}


def test_the_approval_interrupt_is_driven_through_the_api(server):
    context = {"require_approval": True}
    rejected = server.threads.create()["thread_id"]
    asked = _interrupted(server, rejected, CATP_INPUT, context=context)
    assert asked["plan"] and "approve" in asked["ask"]
    out = server.runs.wait(rejected, "catp", command={"resume": False}, context=context)
    assert out["status"] == "rejected" and not out.get("records")

    edited = "n = count_words(doc)\nreturn n"
    accepted = server.threads.create()["thread_id"]
    _interrupted(server, accepted, CATP_INPUT, context=context)
    again = _interrupted(
        server, accepted, None, command={"resume": {"plan": edited}}, context=context
    )
    assert again["plan"].strip() == edited  # the edited plan is validated and shown again
    out = server.runs.wait(accepted, "catp", command={"resume": True}, context=context)
    assert out["status"] == "done" and out["plan"].strip() == edited
    assert 7 in out["outputs"].values()
