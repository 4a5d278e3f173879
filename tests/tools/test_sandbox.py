"""The code sandbox: happy path, limits, a battery of hostile programs, concurrency."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time

import pytest

from steergraph.errors import InputError, SandboxError
from steergraph.tools import sandbox as sandbox_module
from steergraph.tools.sandbox import Sandbox, SandboxLimits
from steergraph.tools.sandbox_hostile import (
    HOSTILE_NEEDS,
    HOSTILE_PROGRAMS,
    HostileProbe,
    marker_processes,
    violations,
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

FAST = SandboxLimits(wall_s=10.0, cpu_s=3, memory_mb=256)
HOSTILE = SandboxLimits(
    wall_s=3.0,
    cpu_s=1,
    memory_mb=256,
    max_output_bytes=20_000,
    max_file_mb=4,
    max_processes=16,
    max_open_files=32,
)


@pytest.fixture
def made_dirs(monkeypatch):
    """The temp dirs the sandbox creates while the test runs."""
    made: list[str] = []
    real = tempfile.mkdtemp

    def spy(*args, **kwargs):
        path = real(*args, **kwargs)
        if "steergraph-sbx-" in os.path.basename(path):
            made.append(path)
        return path

    monkeypatch.setattr(sandbox_module.tempfile, "mkdtemp", spy)
    return made


@pytest.fixture(scope="module")
def sandbox():
    return Sandbox(FAST, policy=False)


def _child_then_sleep(marker: str) -> str:
    """A program that starts a shell carrying ``marker`` in its command line, then sleeps."""
    return (
        "import os, time\n"
        "if os.fork() == 0:\n"
        f"    os.execv('/bin/sh', ['/bin/sh', '-c', 'sleep 60; :', '{marker}'])\n"
        "time.sleep(60)\n"
    )


# --- the happy path -------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_prints_and_reports_its_isolation(sandbox):
    result = sandbox.run("print('hello', 6 * 7)")
    assert result.ok, result.reason
    assert (result.stdout, result.stderr, result.exit_code) == ("hello 42\n", "", 0)
    assert not result.timed_out and result.killed_reason is None and result.reason == ""
    assert result.isolation == Sandbox.isolation_available()
    assert "rlimits" in result.isolation and "no-new-privs" in result.isolation
    assert 0 < result.wall_s < FAST.wall_s


@pytest.mark.timeout(30)
def test_stdin_reaches_the_program(sandbox):
    result = sandbox.run("import sys\nprint(sys.stdin.read().upper(), end='')", stdin="abc\ndéf\n")
    assert result.ok, result.reason
    assert result.stdout == "ABC\nDÉF\n"


@pytest.mark.timeout(30)
def test_files_lie_next_to_main_and_import(sandbox):
    files = {"helper.py": "VALUE = 41\n", "data/in.txt": "x y z"}
    code = "import helper\nprint(helper.VALUE + 1, open('data/in.txt').read().split())"
    result = sandbox.run(code, files=files)
    assert result.ok, result.reason
    assert result.stdout == "42 ['x', 'y', 'z']\n"


@pytest.mark.timeout(30)
def test_exit_code_of_sys_exit(sandbox):
    result = sandbox.run("print('bye')\nimport sys\nsys.exit(3)")
    assert not result.ok
    assert result.exit_code == 3 and result.stdout == "bye\n"
    assert result.killed_reason is None and not result.timed_out
    assert result.reason.startswith("exit code 3")
    message = sandbox.run("import sys\nsys.exit('no luck')")
    assert message.exit_code == 1 and "no luck" in message.stderr


@pytest.mark.timeout(30)
def test_exception_gives_a_traceback_and_a_one_line_reason(sandbox):
    result = sandbox.run("def f():\n    return 1 / 0\n\nf()\n")
    assert not result.ok and result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert 'File "main.py", line 2, in f' in result.stderr
    assert "runpy" not in result.stderr  # the bootstrap's frames are hidden
    assert result.reason == "exit code 1: ZeroDivisionError: division by zero"


@pytest.mark.timeout(30)
def test_stdlib_works_and_a_fake_pass_is_just_output(sandbox):
    code = (
        "import json, math, collections, re, itertools, dataclasses, fractions\n"
        "print(json.dumps(collections.Counter('aab')), math.isqrt(17))\n"
        "print('PASSED')\nimport sys\nsys.exit(0)\n"
    )
    result = sandbox.run(code)
    assert result.ok, result.reason
    assert result.stdout == '{"a": 2, "b": 1} 4\nPASSED\n'


@pytest.mark.timeout(30)
def test_exit_waits_for_threads_and_runs_atexit_hooks(sandbox):
    code = (
        "import atexit, threading, time\n"
        "atexit.register(lambda: print('atexit ran'))\n"
        "threading.Thread(target=lambda: (time.sleep(0.2), print('late'))).start()\n"
        "print('main done')\n"
    )
    result = sandbox.run(code)
    assert result.ok, result.reason
    assert result.stdout == "main done\nlate\natexit ran\n"


@pytest.mark.timeout(30)
def test_the_program_owns_its_temp_dir_which_is_removed_afterwards(sandbox, made_dirs):
    code = (
        "import os, shutil, subprocess\n"
        "os.makedirs('a/b')\n"
        "open('a/b/out.txt', 'w').write('x\\n')\n"
        "os.rename('a/b/out.txt', 'moved.txt')\n"
        "os.symlink('moved.txt', 'link.txt')\n"
        "os.chmod('moved.txt', 0o600)\n"
        "subprocess.run(['/bin/sh', '-c', 'echo y >> moved.txt'], check=True)\n"
        "shutil.rmtree('a')\n"
        "print(sorted(os.listdir('.')), open('link.txt').read().split(), os.getcwd())\n"
    )
    result = sandbox.run(code)
    assert result.ok, result.reason
    listing, where = result.stdout.rsplit(" ", 1)
    assert listing == "['link.txt', 'main.py', 'moved.txt'] ['x', 'y']"
    assert made_dirs == [where.strip()]
    assert not os.path.exists(made_dirs[0])


@pytest.mark.timeout(30)
def test_program_runs_as_nobody_when_we_are_root(sandbox):
    if "uid-nobody" not in Sandbox.isolation_available():
        pytest.skip("this machine does not drop the program to uid nobody")
    result = sandbox.run("import os\nprint(os.getuid(), os.getgid(), os.getgroups())")
    assert result.stdout == "65534 65534 []\n"


@pytest.mark.timeout(30)
def test_site_packages_can_be_left_out():
    code = "import pluggy\nprint('imported')"
    assert Sandbox(FAST, policy=False).run(code).stdout == "imported\n"
    result = Sandbox(FAST, allow_site_packages=False, policy=False).run(code)
    assert not result.ok and "ModuleNotFoundError" in result.stderr


@pytest.mark.timeout(30)
def test_output_is_capped_at_the_limit():
    sandbox = Sandbox(SandboxLimits(wall_s=10.0, max_output_bytes=1000), policy=False)
    exact = sandbox.run("import sys\nsys.stdout.write('x' * 1000)")
    assert exact.ok and len(exact.stdout) == 1000
    over = sandbox.run("import sys\nsys.stdout.write('x' * 1001)")
    assert not over.ok and over.killed_reason == "output limit"
    assert len(over.stdout) == 1000
    assert over.reason.startswith("killed: output limit")


@pytest.mark.timeout(30)
async def test_run_works_inside_a_running_event_loop(sandbox):
    assert sandbox.run("print(5)").stdout == "5\n"


# --- hostile programs -----------------------------------------------------------------


def test_the_battery_is_complete():
    names = [name for name, _ in HOSTILE_PROGRAMS]
    assert len(names) >= 15 and len(set(names)) == len(names)
    for must in ("infinite-loop", "sleep-forever", "fork-bomb", "memory-bomb", "read-secret",
                 "write-outside", "tcp-connect", "udp-send", "subprocess-shell", "kill-outer",
                 "stdout-flood", "huge-file", "setsid-escape", "double-fork-daemon",
                 "too-many-files", "segfault", "delete-outside", "env-secrets"):  # fmt: skip
        assert must in names


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", [name for name, _ in HOSTILE_PROGRAMS])
def test_hostile_program_is_contained(name, made_dirs):
    needs = HOSTILE_NEEDS.get(name, ())
    if needs and not set(needs) & set(Sandbox.isolation_available()):
        pytest.skip(f"needs one of {needs}; this machine gives {Sandbox.isolation_available()}")
    sandbox = Sandbox(HOSTILE, policy=False)
    with HostileProbe(name) as probe:
        result = sandbox.run(probe.code)
        problems = violations(result, probe)
    assert problems == [], f"{name}: {problems}\nstdout={result.stdout[:500]!r}"
    assert "\n" not in result.reason and (result.ok or result.reason)
    assert result.wall_s < HOSTILE.wall_s + 2.0
    if name.endswith("-flood"):
        assert result.wall_s < HOSTILE.wall_s / 2  # killed at the cap, not at the deadline
    assert made_dirs and not any(os.path.exists(path) for path in made_dirs)


@pytest.mark.timeout(30)
async def test_cancelling_a_run_kills_its_processes_and_removes_its_dir(made_dirs):
    marker = f"sgcancel{os.getpid()}x{time.monotonic_ns()}"
    code = _child_then_sleep(marker)
    task = asyncio.ensure_future(Sandbox(FAST, policy=False).arun(code))
    deadline = time.monotonic() + 5
    while not marker_processes(marker) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert marker_processes(marker), "the program did not start its child"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    deadline = time.monotonic() + 2
    while marker_processes(marker) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert marker_processes(marker) == []
    assert made_dirs and not any(os.path.exists(path) for path in made_dirs)


@pytest.mark.timeout(30)
def test_killing_the_outer_process_kills_the_sandbox(tmp_path):
    marker = f"sgorphan{os.getpid()}x{time.monotonic_ns()}"
    base = tmp_path / "tmp"  # a SIGKILLed outer cannot remove its temp dir: keep it here
    base.mkdir()
    script = tmp_path / "outer.py"
    script.write_text(
        f"import tempfile\ntempfile.tempdir = {str(base)!r}\n"
        "from steergraph.tools.sandbox import Sandbox\n"
        f"Sandbox(policy=False).run({_child_then_sleep(marker)!r})\n"
    )
    outer = subprocess.Popen([sys.executable, str(script)])
    try:
        deadline = time.monotonic() + 15
        while not marker_processes(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker_processes(marker), "the sandboxed program did not start"
    finally:
        outer.kill()
        outer.wait()
    deadline = time.monotonic() + 3
    while marker_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker_processes(marker) == []
    assert [p.name[:15] for p in base.iterdir()] == ["steergraph-sbx-"]  # the known leak


# --- concurrency ----------------------------------------------------------------------


@pytest.mark.timeout(60)
async def test_arun_many_runs_concurrently_and_keeps_order():
    sandbox = Sandbox(FAST, concurrency=8, policy=False)
    codes = [f"import time\ntime.sleep(0.5)\nprint({i})" for i in range(8)]
    start = time.monotonic()
    results = await sandbox.arun_many(codes)
    elapsed = time.monotonic() - start
    assert [r.stdout for r in results] == [f"{i}\n" for i in range(8)]
    assert all(r.ok for r in results)
    assert elapsed < 3.0  # one after another would take more than 4 s


@pytest.mark.timeout(60)
async def test_concurrency_bounds_the_number_of_runs():
    sandbox = Sandbox(FAST, concurrency=1, policy=False)
    start = time.monotonic()
    results = await sandbox.arun_many(["import time\ntime.sleep(0.3)"] * 3)
    assert all(r.ok for r in results)
    assert time.monotonic() - start >= 0.9


@pytest.mark.timeout(60)
async def test_a_fork_bomb_does_not_starve_a_concurrent_run():
    if "user-namespace" not in Sandbox.isolation_available():
        pytest.skip("without a user namespace the process limit is shared by every run")
    sandbox = Sandbox(
        SandboxLimits(wall_s=2.0, cpu_s=2, max_processes=16), concurrency=8, policy=False
    )
    bomb = (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    )
    benign = (
        "import subprocess\n"
        "print(subprocess.run(['/bin/echo', 'hi'], capture_output=True, text=True).stdout)"
    )

    async def benign_later():
        await asyncio.sleep(0.7)  # while the bomb holds its 16 processes
        return await sandbox.arun_many([benign] * 4)

    bombed, others = await asyncio.gather(sandbox.arun(bomb), benign_later())
    assert not bombed.ok
    assert [r.stdout for r in others] == ["hi\n\n"] * 4, [r.reason for r in others]


# --- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("wall_s", 0), ("wall_s", -1.0), ("wall_s", float("nan")), ("cpu_s", 0), ("cpu_s", 1.5),
     ("memory_mb", -512), ("max_output_bytes", 0), ("max_file_mb", -1), ("max_processes", 0),
     ("max_open_files", True)],
)  # fmt: skip
def test_bad_limits_raise_input_error(field, value):
    with pytest.raises(InputError) as err:
        SandboxLimits(**{field: value})
    assert field in str(err.value) and err.value.fix


def test_bad_sandbox_arguments_raise_input_error(sandbox):
    with pytest.raises(InputError, match="concurrency"):
        Sandbox(concurrency=0)
    with pytest.raises(InputError, match="SandboxLimits"):
        Sandbox(limits={"wall_s": 1})  # type: ignore[arg-type]
    for files in ({"../up.txt": "x"}, {"/etc/x": "x"}, {"main.py": "x"}, {"a.txt": 3}):
        with pytest.raises(InputError):
            sandbox.run("pass", files=files)


@pytest.mark.timeout(30)
def test_a_sandbox_that_cannot_start_raises_sandbox_error(made_dirs):
    with pytest.raises(SandboxError):
        Sandbox(python="/nonexistent/python3").run("print(1)")
    with pytest.raises(SandboxError, match="did not start"):
        Sandbox(python="/bin/false").run("print(1)")
    assert made_dirs and not any(os.path.exists(path) for path in made_dirs)
