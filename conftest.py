"""Disk hygiene for the whole test run (tests/ and the doctests under steergraph/).

Temporary files do not outlive the run. In the test processes, ``tempfile`` writes to a
folder of the session, removed when the session ends (per session, not per test:
libraries such as torch's inductor remember the temporary directory on first use).
Subprocesses (notebook kernels, CLI calls) get ``TMPDIR`` set to a folder of their test,
removed when the test ends: models saved by ``tempfile.mkdtemp()`` in the examples would
otherwise stay in /tmp after every run (about 6 GB per ``make test``). Module-scoped
fixtures that save real models use :func:`module_tmp`, which removes its folders when the
module's tests are done.
"""

from __future__ import annotations

import getpass
import os
import shutil
import tempfile

import pytest

# torch inductor's compiled kernels stay where they are reused from run to run
os.environ.setdefault(
    "TORCHINDUCTOR_CACHE_DIR",
    os.path.join(tempfile.gettempdir(), f"torchinductor_{getpass.getuser()}"),
)


@pytest.fixture(scope="session", autouse=True)
def _session_tempdir(tmp_path_factory):
    path = tmp_path_factory.mktemp("tmp")
    saved, tempfile.tempdir = tempfile.tempdir, str(path)
    yield path
    tempfile.tempdir = saved
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(autouse=True)
def _subprocess_tempdir(tmp_path_factory, monkeypatch):
    path = tmp_path_factory.mktemp("scratch")
    monkeypatch.setenv("TMPDIR", str(path))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory):
    """``mktemp(name)`` for a module-scoped fixture; its folders go with the module."""
    made = []

    def mktemp(name: str):
        made.append(tmp_path_factory.mktemp(name))
        return made[-1]

    yield mktemp
    for path in made:
        shutil.rmtree(path, ignore_errors=True)
