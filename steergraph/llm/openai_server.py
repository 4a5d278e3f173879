"""An OpenAI-compatible server over an embedded GGUF, and the client settings for any such server.

Users put larger models behind vLLM (``vllm serve MODEL``) or llama.cpp's server; every
method then talks to them as ``openai:<served name>`` with a base URL (see
:func:`openai_settings`). For a laptop and for the tests, :func:`serve_openai_compatible`
starts llama-cpp-python's own OpenAI-compatible server (``python -m llama_cpp.server``,
the ``openai-server`` extra) over an embedded model's GGUF on a loopback port, waits until
``/v1/models`` answers, and stops it on exit. Nothing is written by hand here that the
server or ``langchain-openai`` already does: this module only starts, waits and stops.

What an API model cannot do (per-token log-probs of a given text, weights for training)
is refused by the methods that need it with a one-line
:class:`~steergraph.errors.CapabilityError`.

Example:
    >>> openai_settings(base_url="http://127.0.0.1:8000/v1", environ={})
    {'base_url': 'http://127.0.0.1:8000/v1', 'api_key': 'EMPTY'}
    >>> openai_settings(environ={"OPENAI_API_KEY": "sk-x"})
    {}

    $ steergraph models serve smollm2 --port 8000 &
    $ OPENAI_BASE_URL=http://127.0.0.1:8000/v1 steergraph catp plan "..." -m openai:smollm2
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from steergraph.errors import CapabilityError, ModelLoadError

__all__ = [
    "BASE_URL_ENV",
    "OpenAIServer",
    "free_port",
    "openai_settings",
    "serve_openai_compatible",
    "server_command",
]

BASE_URL_ENV = ("STEERGRAPH_OPENAI_BASE_URL", "OPENAI_BASE_URL", "OPENAI_API_BASE")
_SERVER_MODULES = ("fastapi", "uvicorn", "sse_starlette", "starlette_context", "pydantic_settings")
INSTALL_HINT = "pip install -e '.[openai-server]' (llama-cpp-python's server dependencies)"


def openai_settings(
    base_url: str | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Keyword arguments for ``ChatOpenAI`` pointing at an OpenAI-compatible server.

    ``base_url`` wins over the environment (``STEERGRAPH_OPENAI_BASE_URL``, then the
    OpenAI SDK's ``OPENAI_BASE_URL``/``OPENAI_API_BASE``). Local servers need no key; when
    none is set the placeholder ``EMPTY`` (vLLM's convention) is sent.
    """
    env = os.environ if environ is None else environ
    url = base_url or next((env[k] for k in BASE_URL_ENV if env.get(k)), None)
    if not url:
        return {}
    settings = {"base_url": url}
    if not env.get("OPENAI_API_KEY"):
        settings["api_key"] = "EMPTY"
    return settings


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(gguf: Path, alias: str, host: str, port: int, n_ctx: int) -> list[str]:
    """The command line that serves ``gguf`` as ``alias`` (llama-cpp-python's server)."""
    missing = [m for m in _SERVER_MODULES if importlib.util.find_spec(m) is None]
    if importlib.util.find_spec("llama_cpp") is None:
        missing.insert(0, "llama_cpp")
    if missing:
        raise CapabilityError(
            f"the OpenAI-compatible server needs {', '.join(missing)}, not installed",
            fix=INSTALL_HINT,
        )
    return [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(gguf), "--model_alias", alias,
        "--host", host, "--port", str(port), "--n_ctx", str(n_ctx),
    ]  # fmt: skip


@dataclass(frozen=True)
class OpenAIServer:
    """A running server: where to reach it and which model name it serves."""

    base_url: str
    model: str
    pid: int
    log: Path

    @property
    def spec(self) -> str:
        """The ``load_chat_model`` spec for the served model."""
        return f"openai:{self.model}"


def _resolve_gguf(model: str) -> Path:
    if model.endswith(".gguf"):
        path = Path(model).expanduser()
        if not path.is_file():
            raise ModelLoadError(f"no GGUF file at {path}", fix="give an existing .gguf path")
        return path
    from steergraph.llm.embedded import embedded_gguf

    return embedded_gguf(model)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def serve_openai_compatible(
    model: str = "smollm2",
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    n_ctx: int = 4096,
    log: Path | None = None,
    start_timeout: float = 120.0,
) -> Iterator[OpenAIServer]:
    """Serve an embedded model (or a ``.gguf`` path) over the OpenAI API until the block ends.

    The served model name is the embedded name (or the file's stem). Raises
    :class:`~steergraph.errors.ModelLoadError` with the server's last log lines when it
    does not answer within ``start_timeout`` seconds.
    """
    gguf = _resolve_gguf(model)
    alias = gguf.stem if model.endswith(".gguf") else model
    port = port or free_port()
    command = server_command(gguf, alias, host, port, n_ctx)
    log = log or Path(os.environ.get("TMPDIR", "/tmp")) / f"steergraph-openai-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base_url = f"http://{host}:{port}/v1"
    try:
        deadline = time.monotonic() + start_timeout
        while not _answers(base_url + "/models"):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-1500:]
                raise ModelLoadError(
                    f"the OpenAI-compatible server for {alias} did not start:\n{tail}",
                    fix=f"read {log}; check the port {port} is free",
                )
            time.sleep(0.3)
        yield OpenAIServer(base_url=base_url, model=alias, pid=proc.pid, log=log)
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
