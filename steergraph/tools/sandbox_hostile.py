"""Hostile programs for checking (and benchmarking) ``steergraph.tools.sandbox``.

``HOSTILE_PROGRAMS`` is a list of ``(name, code)``. The code is a ``string.Template``:
``HostileProbe`` fills in ``$marker``, ``$secret_path``, ... and builds the outside world
the program attacks (a world-writable directory with a secret and a victim file, a TCP and a
UDP listener, a secret environment variable, a SIGTERM trap). ``violations(result, probe)``
lists what got out; ``contained(result, probe)`` is ``not violations(...)``. Call both inside
the ``with`` block. ``HOSTILE_NEEDS`` names the isolation layers (any one of them) without
which a program is expected to get out.

The probe points ``tempfile.tempdir`` at its own directory while it is open (so a program that
deletes the parent of its temp dir attacks only the probe), so use one probe at a time.

Example:
    >>> from steergraph.tools.sandbox import Sandbox, SandboxLimits
    >>> sandbox = Sandbox(SandboxLimits(wall_s=3, cpu_s=1, memory_mb=256))
    >>> with HostileProbe("read-passwd") as probe:  # doctest: +SKIP
    ...     contained(sandbox.run(probe.code), probe)
    True
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from string import Template
from typing import Any

from steergraph.errors import InputError

__all__ = ["HOSTILE_NEEDS", "HOSTILE_PROGRAMS", "HostileProbe", "contained", "violations"]
from steergraph.tools.sandbox_hostile_programs import (
    ENV_NAME,
    FILE_ATTACKS,
    HOSTILE_NEEDS,
    HOSTILE_PROGRAMS,
)

_Check = Callable[[Any], "str | None"]


def _not_ok(result: Any) -> str | None:
    return "the run reported ok" if result.ok else None


def _reason(*reasons: str) -> _Check:
    def check(result: Any) -> str | None:
        if result.ok or result.killed_reason not in reasons:
            return f"expected a failed run with killed_reason in {reasons}, got {result!r}"[:600]
        return None

    return check


def _printed(token: str, forbidden: str = "DID ") -> _Check:
    def check(result: Any) -> str | None:
        if token not in result.stdout:
            return f"the program did not get to print {token!r}: {result.reason}"
        if forbidden and forbidden in result.stdout:
            return f"a forbidden action succeeded: {result.stdout[:300]!r}"
        return None

    return check


EXPECTED: dict[str, _Check] = {
    "infinite-loop": _reason("cpu time", "timeout"),
    "sleep-forever": lambda r: None if r.timed_out else f"expected a timeout, got {r!r}"[:600],
    "fork-bomb": _not_ok,
    "memory-bomb": _reason("memory"),
    "memory-creep": _reason("memory", "signal SIGKILL"),
    "stdout-flood": _reason("output limit"),
    "stderr-flood": _reason("output limit"),
    "huge-file": _reason("file size"),
    "too-many-files": _reason("open files"),
    "segfault": lambda r: None if r.exit_code == -signal.SIGSEGV else f"no SIGSEGV: {r!r}"[:600],
    "deep-recursion": _not_ok,
    "setsid-escape": _printed("DAEMON STARTED"),
    "double-fork-daemon": _printed("DAEMON STARTED"),
    "subprocess-shell": _printed("SHELL RC"),
    # the sandbox's own pid 1 ignores the signal; without a pid namespace the run just ends
    "kill-parent": lambda r: (
        None
        if "STILL HERE" in r.stdout or r.exit_code == -signal.SIGKILL
        else f"the program did not run: {r.reason}"
    ),
    **{n: _printed("BLOCKED") for n in (*FILE_ATTACKS, "tcp-connect", "udp-send", "kill-outer")},
    "env-secrets": _printed("BLOCKED outer-environ", forbidden="DID outer"),
    "kill-everyone": _printed(" kill", forbidden=""),  # signalling its own processes is fine
}


def _snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """path -> (mode, mtime, content) of everything under root (directories: mode only, as
    the sandbox's own temp dir comes and goes in ``tmp``)."""
    snap = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        if stat.S_ISDIR(st.st_mode):
            snap[str(path.relative_to(root))] = (st.st_mode, 0, b"")
            continue
        data = path.read_bytes() if stat.S_ISREG(st.st_mode) else b""
        snap[str(path.relative_to(root))] = (st.st_mode, st.st_mtime_ns, data)
    return snap


def marker_processes(marker: str) -> list[int]:
    """Pids of live processes whose command line contains ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                cmdline = Path("/proc", entry, "cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                found.append(int(entry))
    return found


class HostileProbe:
    """The outside world one hostile program attacks; a context manager."""

    def __init__(self, name: str) -> None:
        programs = dict(HOSTILE_PROGRAMS)
        if name not in programs:
            raise InputError(f"unknown hostile program {name!r}", fix=f"use one of {programs}")
        self.name, self.template = name, programs[name]
        self.code = ""
        self.sigterms = 0

    def __enter__(self) -> HostileProbe:
        self.root = Path(tempfile.mkdtemp(prefix="steergraph-hostile-"))
        self.marker, self.secret = f"sgmark{uuid.uuid4().hex}", f"sgsecret{uuid.uuid4().hex}"
        for sub in ("", "victim", "tmp"):  # world-writable: only the sandbox keeps it out
            (self.root / sub).mkdir(exist_ok=True)
            os.chmod(self.root / sub, 0o777)
        paths = {
            "secret_path": self.root / "secret.txt",
            "victim_dir": self.root / "victim",
            "victim_file": self.root / "victim" / "keep.txt",
            "sentinel": self.root / "tmp" / "sentinel.txt",
        }
        for key in ("secret_path", "victim_file", "sentinel"):
            paths[key].write_text(self.secret if key == "secret_path" else "keep me\n")
            os.chmod(paths[key], 0o666)
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        for sock in (self.tcp, self.udp):
            sock.setblocking(False)
        self.code = Template(self.template).substitute(
            marker=self.marker,
            outside=self.root,
            outer_pid=os.getpid(),
            tcp_port=self.tcp.getsockname()[1],
            udp_port=self.udp.getsockname()[1],
            **{k: str(v) for k, v in paths.items()},
        )
        self._old_env = os.environ.get(ENV_NAME)
        os.environ[ENV_NAME] = self.secret
        self._old_tempdir, tempfile.tempdir = tempfile.tempdir, str(self.root / "tmp")
        self._old_handler = None
        if threading.current_thread() is threading.main_thread():
            self._old_handler = signal.signal(signal.SIGTERM, self._on_sigterm)
        self.before = _snapshot(self.root)
        return self

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self.sigterms += 1

    def __exit__(self, *exc: object) -> None:
        if self._old_handler is not None:
            signal.signal(signal.SIGTERM, self._old_handler)
        tempfile.tempdir = self._old_tempdir
        if self._old_env is None:
            os.environ.pop(ENV_NAME, None)
        else:
            os.environ[ENV_NAME] = self._old_env
        for pid in marker_processes(self.marker):  # tidy up after a sandbox that leaked
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.tcp.close()
        self.udp.close()
        for stray in ("/tmp", "/dev/shm"):
            Path(stray, f"steergraph-pwned-{self.marker}").unlink(missing_ok=True)
        shutil.rmtree(self.root, ignore_errors=True)


def _leaks(result: Any, probe: HostileProbe) -> list[str]:
    seen = result.stdout + result.stderr
    found = []
    if probe.secret in seen:
        found.append("the secret (file or environment) reached the program's output")
    if "root:x:0:0" in seen:
        found.append("/etc/passwd reached the program's output")
    return found


def _writes(probe: HostileProbe) -> list[str]:
    after = _snapshot(probe.root)
    found = [
        f"outside file changed: {path}"
        for path in sorted(set(probe.before) | set(after))
        if probe.before.get(path) != after.get(path)
    ]
    for stray in ("/tmp", "/dev/shm"):
        if Path(stray, f"steergraph-pwned-{probe.marker}").exists():
            found.append(f"wrote a file in {stray}")
    return found


def _received(receive: Callable[[], Any]) -> bool:
    try:
        receive()
    except BlockingIOError:
        return False
    return True


def _network(probe: HostileProbe) -> list[str]:
    found = []
    if _received(lambda: probe.tcp.accept()[0].close()):
        found.append("a TCP connection reached the listener")
    if _received(lambda: probe.udp.recvfrom(64)):
        found.append("a UDP datagram reached the listener")
    return found


def _processes(probe: HostileProbe) -> list[str]:
    deadline = time.monotonic() + 1.0  # the kernel tears a pid namespace down asynchronously
    while (left := marker_processes(probe.marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    found = [f"processes outlived the run: {left}"] if left else []
    if probe.sigterms:
        found.append("the outer process received SIGTERM")
    return found


def violations(result: Any, probe: HostileProbe, *, expect: bool = True) -> list[str]:
    """What the program managed to do outside the sandbox, or expected but missing failures.

    ``expect=False`` checks only the outside world (not how the run itself ended)."""
    found = [*_leaks(result, probe), *_writes(probe), *_network(probe), *_processes(probe)]
    check = EXPECTED.get(probe.name) if expect else None
    problem = check(result) if check else None
    if problem:
        found.append(problem)
    return found


def contained(result: Any, probe: HostileProbe) -> bool:
    """True when the program had no effect outside its sandbox and failed where it should."""
    return not violations(result, probe)
