"""Shared fixtures: tiny models for fast tests, the embedded model for e2e tests."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # several test processes share the cores: one compute thread each, so torch's and
    # llama.cpp's thread pools do not spin against each other (set before torch loads)
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "STEERGRAPH_LLAMA_THREADS"):
        os.environ.setdefault(_var, "1")


@pytest.fixture(scope="session")
def tiny_llm():
    from steergraph.testing import tiny_chat_model

    return tiny_chat_model(seed=0, max_new_tokens=24)


@pytest.fixture(scope="session", params=["local+gguf", "local+hf"])
def smollm(request):
    """The embedded SmolLM2 on each engine: the tests using it run on both."""
    from steergraph.llm import load_chat_model

    return load_chat_model(request.param)


@pytest.fixture(scope="session")
def smollm_hf():
    from steergraph.llm import load_chat_model

    return load_chat_model("local+hf")


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory):
    """(folder with model.gguf + HF files, tiny model, tokenizer), exported in f32."""
    from steergraph.llm.gguf_export import export_gguf
    from steergraph.testing import tiny_causal_lm

    model, tok = tiny_causal_lm(seed=0)
    folder = tmp_path_factory.mktemp("tiny-gguf")
    export_gguf(model, folder, tokenizer=tok, dtype="f32")
    return folder, model, tok


@pytest.fixture(scope="session")
def tiny_pair(tmp_path_factory):
    """A tiny (base, post-trained) model pair on disk (editing and the delta graph)."""
    from steergraph.testing import tiny_model_pair

    return tiny_model_pair(tmp_path_factory.mktemp("pair"))


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run :func:`steergraph.cli.main` in this process, as the console script does: the
    exit code and what reached stdout/stderr (a subprocess per case costs ~6 s of imports).
    An exception that escapes ``main`` fails the test, as a traceback would."""

    def run(*args: str) -> subprocess.CompletedProcess:
        monkeypatch.setattr(sys, "argv", ["steergraph", *args])
        capsys.readouterr()
        code = 0
        try:
            from steergraph.cli import main

            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        out = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out.out, out.err)

    return run


def _pg_bin(name: str) -> str | None:
    """A PostgreSQL server program: on PATH, or in Debian's versioned folder."""
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A real, throw-away PostgreSQL cluster on a unix socket (no TCP), stopped at the end.

    Its URL is ``postgresql://postgres@/postgres?host=<socket folder>``. PostgreSQL refuses
    to run as root: as root the cluster belongs to the ``postgres`` user Debian's package
    creates. ``make test`` installs the package where it is missing.
    """
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.fail("PostgreSQL's initdb/pg_ctl are missing: apt-get install postgresql")
    root = tmp_path_factory.mktemp("pg")
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
        root.chmod(0o755)
        for parent in root.parents:  # the postgres user must reach the socket folder
            if parent.stat().st_mode & 0o005 != 0o005:
                parent.chmod(parent.stat().st_mode | 0o005)
    run = lambda *cmd: subprocess.run(  # noqa: E731
        [*as_user, *cmd], check=True, capture_output=True, text=True, timeout=120
    )
    run(initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync")
    opts = f"-k {sock} -c listen_addresses='' -c fsync=off"
    run(pg_ctl, "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start")
    try:
        yield f"postgresql://postgres@/postgres?host={sock}"
    finally:
        run(pg_ctl, "-D", str(data), "-m", "immediate", "stop")


def _qwen_missing() -> str | None:
    """Why the Qwen2.5-Coder tier cannot run here, or None when it can."""
    from steergraph.llm.embedded import EMBEDDED_MODELS

    tier = [m for name, m in EMBEDDED_MODELS.items() if name.startswith("qwen")]
    if not tier:
        return "the Qwen2.5-Coder tier is not an embedded model of this version"
    absent = [m.name for m in tier if not m.package_installed()]
    if absent:
        return f"the Qwen2.5-Coder model package is not installed for {', '.join(absent)}"
    return None


def _server_missing() -> str | None:
    """Why the LangGraph Agent Server cannot start here, or None when it can."""
    import importlib.util

    if importlib.util.find_spec("langgraph_api") is None:
        return "langgraph-cli[inmem] is not installed: pip install -e '.[server]'"
    return None


def pytest_collection_modifyitems(config, items):
    """Tests marked ``qwen`` or ``server`` skip with a one-line reason when what they need
    is absent. Notebooks, then the other tests on real models, run first: with two workers
    the long tests start early and the short ones fill the gaps, instead of one long test
    running alone at the end (a stable sort: each file keeps its order)."""
    items.sort(key=lambda it: 0 if it.get_closest_marker("notebook") else
               1 if it.get_closest_marker("e2e") else 2)  # fmt: skip
    for marker, why in (("qwen", _qwen_missing), ("server", _server_missing)):
        marked = [item for item in items if item.get_closest_marker(marker)]
        reason = why() if marked else None
        for item in marked if reason else []:
            item.add_marker(pytest.mark.skip(reason=reason))
