"""Disk hygiene for the whole test run (tests/ and the doctests under steergraph/).

Every test, doctest and notebook gets a scratch folder as its temporary directory
(``tempfile.tempdir`` and ``TMPDIR``, which subprocesses such as notebook kernels
inherit); it is removed when the test ends. Models saved by ``tempfile.mkdtemp()`` in
examples would otherwise stay in /tmp after every run (about 6 GB per ``make test``).
Module-scoped fixtures that save real models use :func:`module_tmp`, which removes its
folders when the module's tests are done.
"""

from __future__ import annotations

import getpass
import multiprocessing.util
import os
import shutil
import tempfile

import pytest

# process-wide caches that remember the temporary directory on first use stay in the
# real one: torch inductor's compiled kernels and multiprocessing's helper folder
os.environ.setdefault(
    "TORCHINDUCTOR_CACHE_DIR",
    os.path.join(tempfile.gettempdir(), f"torchinductor_{getpass.getuser()}"),
)
multiprocessing.util.get_temp_dir()


@pytest.fixture(autouse=True)
def _scratch_tempdir(tmp_path_factory, monkeypatch):
    path = tmp_path_factory.mktemp("scratch")
    monkeypatch.setattr(tempfile, "tempdir", str(path))
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
