"""Run untrusted Python (say, code a model wrote) in a throwaway, locked-down process tree.

Why by hand: the PyPI options did not fit. RestrictedPython-style projects filter the
language, which is no boundary against hostile code; nsjail, bubblewrap and firejail are
separate binaries; the young Landlock-based packages (sandlock: a Rust core behind ctypes;
sandboxkit: namespaces + rlimits + landlockpy) are new dependencies to vet for a job the
kernel already does. Namespaces, Landlock, rlimits and ``prctl`` are all reachable from
ctypes; ``sandbox_boot.py`` (stdlib only) wires them up.

Layers (each applied when the machine allows it; ``SandboxResult.isolation`` names them):

* Namespaces: ``user-namespace`` (a per-sandbox RLIMIT_NPROC count; as root, uids 0 and
  nobody map to themselves), ``pid-namespace`` (its own pid 1: when that dies the kernel kills
  every process in it, setsid and double-fork daemons included), ``net-namespace`` (a down
  loopback only: no TCP, UDP, ...), ``ipc-namespace``, ``uts-namespace``, ``mount-namespace``
  (as root, ancestors nobody cannot search, say ``/root``, are covered by a tmpfs holding only
  the interpreter's tree) and ``read-only-mounts`` (all but the temp dir: this stops the
  chmod, chown and utime that Landlock cannot).
* ``uid-nobody`` (when root; else ``caps-dropped`` if nobody cannot reach the interpreter).
* ``rlimits``: CPU time, address space, file size, open files, processes, no core dumps.
* ``no-new-privs`` and Landlock: ``landlock-fs`` (read+execute of the interpreter and system
  libraries, everything inside the run's temp dir, nothing else), ``landlock-net`` (all TCP
  bind/connect denied), ``landlock-signal`` and ``landlock-abstract-unix`` (no signals to, or
  abstract sockets of, processes outside the sandbox).
* The outer process: a wall-clock limit, capped stdout/stderr, ``SIGKILL`` to the process
  group and to the namespace's pid 1, and removal of the temp dir, also on cancellation.

Not covered: disk space inside the temp dir beyond the per-file limit, pathname Unix sockets
whose permissions let the program's uid connect, and the kernel's syscall surface (there is
no seccomp filter).

Example:
    >>> Sandbox().run("print(1+1)").stdout
    '2\\n'
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import weakref
from asyncio.subprocess import DEVNULL, PIPE
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, fields
from pathlib import Path, PurePosixPath
from typing import Any

from steergraph.asyncio_utils import run_sync
from steergraph.errors import InputError, SandboxError
from steergraph.tools.sandbox_policy import POLICY_EXIT

__all__ = ["Sandbox", "SandboxLimits", "SandboxResult"]

BOOT_SCRIPT = str(Path(__file__).with_name("sandbox_boot.py"))
_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0"}  # fmt: skip
_FIX_START = "check that python= names a Python >= 3.9 and that this is Linux"
_GRACE_S = 5.0  # after a kill, how long to wait for the pipes to close
_available: tuple[str, ...] | None = None
_available_lock = threading.Lock()


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one run (all must be > 0)."""

    wall_s: float = 10.0
    cpu_s: int = 5
    memory_mb: int = 512
    max_output_bytes: int = 64_000
    max_file_mb: int = 16
    max_processes: int = 32
    max_open_files: int = 64

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            kind = float if f.name == "wall_s" else int
            good = isinstance(value, kind | int) and not isinstance(value, bool)
            if not (good and math.isfinite(value) and value > 0):
                raise InputError(
                    f"SandboxLimits.{f.name} must be a positive {kind.__name__}, got {value!r}",
                    fix=f"pass {f.name}=<a number > 0> or leave it out (default {f.default})",
                )


@dataclass
class SandboxResult:
    """What one run did. ``ok``: exit code 0, no timeout, no limit hit."""

    ok: bool
    exit_code: int | None
    stdout: str
    stderr: str
    timed_out: bool
    killed_reason: str | None
    wall_s: float
    isolation: tuple[str, ...]

    @property
    def reason(self) -> str:
        """One line saying why the run failed; "" when it did not."""
        if self.ok:
            return ""
        if self.timed_out:
            return f"timed out: killed after {self.wall_s:.1f} s (wall-clock limit)"
        if self.killed_reason == "output limit":
            return "killed: output limit (too much output on stdout or stderr)"
        lines = [ln.strip() for ln in self.stderr.splitlines() if ln.strip()]
        last = f": {lines[-1][:200]}" if lines else ""
        why = f" ({self.killed_reason})" if self.killed_reason else ""
        if self.exit_code is not None and self.exit_code < 0:
            name = _signame(-self.exit_code)
            return f"killed by signal {name}" + ("" if name in why else why)
        return f"exit code {self.exit_code}{why}{last}"


def _signame(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return str(sig)


def _reason_from_exit(code: int | None, stderr: str, wall_s: float, cpu_s: int) -> str | None:
    """Map how the program died to a killed_reason (None for a plain exit)."""
    if code is None or code == 0:
        return None
    if code < 0:
        sig = -code
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and wall_s >= cpu_s):
            return "cpu time"
        return "file size" if sig == signal.SIGXFSZ else f"signal {_signame(sig)}"
    lines = [ln for ln in stderr[-4000:].splitlines() if ln.strip()]
    last = lines[-1] if lines else ""
    if code == POLICY_EXIT and last.startswith("sandbox policy: "):
        return "policy: " + last[len("sandbox policy: ") :]
    if last.startswith("MemoryError"):
        return "memory"
    if "[Errno 27]" in last:  # EFBIG: Python ignores SIGXFSZ, so the write fails instead
        return "file size"
    if "[Errno 24]" in last:  # EMFILE
        return "open files"
    return None


class Sandbox:
    """Runs Python source in a fresh sandbox per call; see the module docstring."""

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        *,
        python: str | None = None,
        concurrency: int | None = None,
        allow_site_packages: bool = True,
        policy: bool = True,
    ) -> None:
        if limits is not None and not isinstance(limits, SandboxLimits):
            raise InputError(
                f"limits must be a SandboxLimits, got {type(limits).__name__}",
                fix="pass limits=SandboxLimits(...)",
            )
        conc = (os.cpu_count() or 1) * 2 if concurrency is None else concurrency
        if isinstance(conc, bool) or not isinstance(conc, int) or conc < 1:
            raise InputError(
                f"Sandbox concurrency must be a positive int, got {conc!r}",
                fix="pass concurrency=<an int >= 1> or leave it out",
            )
        self.limits = limits or SandboxLimits()
        self.python = python or sys.executable
        self.concurrency = conc
        self.allow_site_packages = bool(allow_site_packages)
        self.policy = bool(policy)
        self._semaphores: weakref.WeakKeyDictionary[Any, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def run(self, code: str, **kw: Any) -> SandboxResult:
        """Synchronous ``arun`` (works where an event loop already runs, too)."""
        return run_sync(self.arun(code, **kw))

    async def arun_many(self, codes: Sequence[str]) -> list[SandboxResult]:
        """Run each program in its own sandbox, at most ``concurrency`` at a time, in order."""
        return list(await asyncio.gather(*(self.arun(c) for c in codes)))

    async def arun(
        self, code: str, *, stdin: str = "", files: dict[str, str] | None = None
    ) -> SandboxResult:
        """Run ``code`` as ``main.py`` (next to ``files``) with ``stdin`` on its stdin."""
        if not isinstance(code, str) or not isinstance(stdin, str):
            raise InputError("code and stdin must be str", fix="pass the program source as a str")
        checked = _check_files(files or {})
        loop = asyncio.get_running_loop()
        sem = self._semaphores.get(loop)
        if sem is None:
            sem = self._semaphores[loop] = asyncio.Semaphore(self.concurrency)
        async with sem:
            return await self._run_one(code, stdin, checked)

    @staticmethod
    def isolation_available() -> tuple[str, ...]:
        """The layers this machine gives a run (found once by running ``pass``, then cached)."""
        global _available
        with _available_lock:
            if _available is None:
                try:
                    _available = Sandbox(SandboxLimits(wall_s=30.0)).run("pass").isolation
                except SandboxError:
                    _available = ()
            return _available

    async def _run_one(self, code: str, stdin: str, files: dict[str, str]) -> SandboxResult:
        start = time.monotonic()
        tmp = tempfile.mkdtemp(prefix="steergraph-sbx-")
        run = _Run()
        try:
            _write_files(tmp, {**files, "main.py": code})
            rfd, wfd = os.pipe()
            run.ctrl_file = os.fdopen(rfd, "rb", buffering=0)
            try:
                run.proc = await asyncio.create_subprocess_exec(
                    *self._argv(tmp, wfd), stdin=PIPE if stdin else DEVNULL, stdout=PIPE,
                    stderr=PIPE, start_new_session=True, cwd=tmp, pass_fds=(wfd,),
                    env={**_ENV, "HOME": tmp, "TMPDIR": tmp})  # fmt: skip
            except OSError as exc:
                raise SandboxError(
                    f"cannot start the sandbox interpreter {self.python!r}: {exc}",
                    fix="pass python=<path of a python3 executable>",
                ) from exc
            finally:
                os.close(wfd)
            await self._supervise(run, stdin.encode())
        finally:
            run.kill()
            await run.reap()
            shutil.rmtree(tmp, ignore_errors=True)
        return self._result(run, time.monotonic() - start)

    def _argv(self, tmp: str, ctrl_fd: int) -> list[str]:
        lim = self.limits
        config = {"ctrl": ctrl_fd, "tmp": tmp, "parent": os.getpid(),
                  "site": self.allow_site_packages, "policy": self.policy,
                  "limits": {f.name: getattr(lim, f.name) for f in fields(lim)}}  # fmt: skip
        flags = ["-I", "-B"] + ([] if self.allow_site_packages else ["-S"])
        return [self.python, *flags, BOOT_SCRIPT, json.dumps(config)]

    async def _supervise(self, run: _Run, stdin: bytes) -> None:
        lim, proc = self.limits, run.proc
        assert proc is not None and proc.stdout is not None and proc.stderr is not None
        loop = asyncio.get_running_loop()
        ctrl = asyncio.StreamReader()
        run.ctrl_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(ctrl), run.ctrl_file
        )
        if stdin and proc.stdin is not None:
            run.tasks.append(asyncio.ensure_future(_feed(proc.stdin, stdin)))
        cap = lim.max_output_bytes
        jobs = (run.pump(proc.stdout, run.out, cap), run.pump(proc.stderr, run.err, cap))
        waits = [asyncio.ensure_future(c) for c in (*jobs, run.read_control(ctrl), proc.wait())]
        run.tasks += waits
        _, pending = await asyncio.wait(waits, timeout=lim.wall_s)
        if pending:
            run.timed_out = run.reason is None
            run.kill("timeout")
            _, pending = await asyncio.wait(pending, timeout=_GRACE_S)

    def _result(self, run: _Run, wall_s: float) -> SandboxResult:
        info, proc = run.info, run.proc
        stderr = run.err.decode("utf-8", errors="replace")
        if "signal" in info:
            code: int | None = -int(info["signal"])
        elif "exit" in info:
            code = int(info["exit"])
        elif "init_signal" in info:
            code = -int(info["init_signal"])
        else:
            code = proc.returncode if proc is not None else None
        if "error" in info:  # the bootstrap failed before the program ran
            raise SandboxError(f"the sandbox did not start: {info['error']}", fix=_FIX_START)
        if "pid" not in info and run.reason is None and code != 0:
            tail = stderr.strip().splitlines()[-1:] or ["(no output)"]
            raise SandboxError(
                f"the sandbox did not start ({self.python!r} exit {code}): {tail[0][:300]}",
                fix=_FIX_START,
            )
        reason = run.reason or _reason_from_exit(code, stderr, wall_s, self.limits.cpu_s)
        layers = info.get("layers", info.get("ns_layers", []))
        return SandboxResult(
            ok=code == 0 and reason is None and not run.timed_out,
            exit_code=code,
            stdout=run.out.decode("utf-8", errors="replace"),
            stderr=stderr,
            timed_out=run.timed_out,
            killed_reason=reason,
            wall_s=round(wall_s, 4),
            isolation=tuple(x for x in layers if not x.startswith("!")),
        )


class _Run:
    """Mutable state of one run: the process, its output and how (if) we stopped it."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.ctrl_file: Any = None
        self.ctrl_transport: asyncio.BaseTransport | None = None
        self.pidfd: int | None = None
        self.out, self.err = bytearray(), bytearray()
        self.info: dict[str, Any] = {}
        self.tasks: list[asyncio.Future[Any]] = []
        self.reason: str | None = None
        self.timed_out = False

    def kill(self, reason: str | None = None) -> None:
        """SIGKILL the process group and the namespace's pid 1 (which takes the rest along)."""
        if reason and self.reason is None:
            self.reason = reason
        with suppress(OSError):
            if self.proc is not None:
                os.killpg(self.proc.pid, signal.SIGKILL)
        with suppress(OSError):
            if self.pidfd is not None:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)

    async def pump(self, stream: asyncio.StreamReader, buf: bytearray, cap: int) -> None:
        while chunk := await stream.read(1 << 16):
            room = cap - len(buf)
            buf += chunk[: max(room, 0)]
            if len(chunk) > room:
                self.kill("output limit")
                return

    async def read_control(self, ctrl: asyncio.StreamReader) -> None:
        while line := await ctrl.readline():
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if isinstance(msg, dict):
                self.info.update(msg)
                with suppress(OSError, ValueError):
                    if "pid" in msg and self.pidfd is None:
                        self.pidfd = os.pidfd_open(int(msg["pid"]))

    async def reap(self) -> None:
        """Wait for the process, cancel the helpers, close every descriptor we hold."""
        if self.proc is not None and self.proc.returncode is None:
            with suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self.proc.wait()), _GRACE_S)
        for task in self.tasks:
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        transport = getattr(self.proc, "_transport", None)  # pipes a leaked process holds
        if transport is not None:
            transport.close()
        if self.ctrl_transport is not None:
            self.ctrl_transport.close()
        elif self.ctrl_file is not None:
            self.ctrl_file.close()
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


async def _feed(writer: asyncio.StreamWriter, data: bytes) -> None:
    with suppress(BrokenPipeError, ConnectionResetError):
        writer.write(data)
        await writer.drain()
        writer.close()


def _check_files(files: dict[str, str]) -> dict[str, str]:
    if not isinstance(files, dict):
        raise InputError("files must be a dict {relative path: text}", fix="pass files={...}")
    for name, text in files.items():
        parts = PurePosixPath(name).parts if isinstance(name, str) else ("..",)
        if not parts or parts[0] == "/" or ".." in parts or parts == ("main.py",):
            parts = ("..",)
        if ".." in parts or not isinstance(text, str):
            raise InputError(
                f"bad sandbox file {name!r}: need a relative path (not main.py, "
                "no '..') mapped to text",
                fix="use names like 'data/input.txt'",
            )
    return files


def _write_files(tmp: str, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = Path(tmp, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
