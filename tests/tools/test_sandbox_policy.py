"""The sandbox's audit-hook policy: forbidden attempts end the run, normal code is untouched."""

from __future__ import annotations

import pytest

from steergraph.tools.sandbox import Sandbox, SandboxLimits
from steergraph.tools.sandbox_policy import POLICY_EXIT

LIMITS = SandboxLimits(wall_s=5.0, cpu_s=3, memory_mb=256)


@pytest.fixture(scope="module")
def sandbox():
    return Sandbox(LIMITS)


ALLOWED = {
    "stdlib": "import json, math, re, itertools, heapq, fractions, decimal, datetime, typing\n"
    "print(json.dumps(sorted(set('abca'))))",
    "files in the temp dir": "import os\nos.makedirs('d/e')\nopen('d/e/f.txt', 'w').write('x')\n"
    "os.rename('d/e/f.txt', 'g.txt')\nos.remove('g.txt')\nprint(os.listdir('.'))",
    "tempfile": "import tempfile\nwith tempfile.TemporaryDirectory() as d:\n    print('ok')",
    "threads": "import threading\nt = threading.Thread(target=print, args=('t',))\nt.start()\n"
    "t.join()",
    "site packages": "import numpy\nprint(int(numpy.arange(4).sum()))",
    "random": "import random, os\nrandom.seed(0)\nprint(len(os.urandom(4)))",
}


@pytest.mark.parametrize("name", list(ALLOWED))
def test_ordinary_code_runs(sandbox, name):
    result = sandbox.run(ALLOWED[name])
    assert result.ok, result.reason


CAUGHT = {
    "socket.connect": "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)",
    "socket.bind": "import socket\ns = socket.socket()\ns.bind(('127.0.0.1', 0))",
    "os.fork": "import os\nos.fork()",
    "subprocess.Popen": "import subprocess\nsubprocess.run(['true'])",
    "os.system": "import os\nos.system('true')",
    "os.kill": "import os\nos.kill(1, 0)",
    "ctypes": "import ctypes\nctypes.CDLL(None)",
    "resource.setrlimit": "import resource\nresource.setrlimit(resource.RLIMIT_CPU, (1000, 1000))",
    "read outside": "open('/etc/hostname').read()",
    "write outside": "open('/tmp/sg-policy-probe.txt', 'w')",
    "os.remove outside": "import os\nos.remove('/tmp/sg-policy-nothing')",
    "symlink out": "import os\nos.symlink('/etc/passwd', 'p')",
}


@pytest.mark.parametrize("name", list(CAUGHT))
def test_forbidden_attempts_end_the_run_even_when_caught(sandbox, name):
    code = f"try:\n{_indent(CAUGHT[name])}\nexcept BaseException:\n    pass\nprint('carried on')"
    result = sandbox.run(code)
    assert not result.ok
    assert result.exit_code == POLICY_EXIT and result.killed_reason.startswith("policy: ")
    assert "carried on" not in result.stdout
    assert "\n" not in result.reason


def test_policy_can_be_turned_off():
    result = Sandbox(LIMITS, policy=False).run(
        "import subprocess\nprint(subprocess.run(['true']).returncode)"
    )
    assert result.ok and result.stdout == "0\n"


def _indent(code: str) -> str:
    return "\n".join("    " + line for line in code.splitlines())
