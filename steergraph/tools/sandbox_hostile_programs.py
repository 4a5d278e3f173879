"""The hostile programs of :mod:`steergraph.tools.sandbox_hostile` (templates) and what
isolation each one needs.

Each entry of ``HOSTILE_PROGRAMS`` is ``(name, code)``; the code is a ``string.Template``
that :class:`~steergraph.tools.sandbox_hostile.HostileProbe` fills in (``$marker``,
``$secret_path``, ``$outside``, ``$tcp_port``, ...).

Example:
    >>> len(HOSTILE_PROGRAMS) >= 15
    True
"""

from __future__ import annotations

__all__ = ["ENV_NAME", "FILE_ATTACKS", "HOSTILE_NEEDS", "HOSTILE_PROGRAMS"]

ENV_NAME = "STEERGRAPH_PROBE_SECRET"

_ATTEMPT = """
def attempt(label, fn):
    try:
        fn()
        print("DID", label)
    except OSError as exc:
        print("BLOCKED", label, type(exc).__name__)
"""
_DAEMON = '["/bin/sh", "-c", "echo up > started.txt; sleep 60; :", "$marker"]'
_WAIT_STARTED = """
for _ in range(150):
    if os.path.exists("started.txt"):
        print("DAEMON STARTED")
        break
    time.sleep(0.02)
"""

HOSTILE_PROGRAMS: list[tuple[str, str]] = [
    ("infinite-loop", "while True:\n    pass\n"),
    ("sleep-forever", "import time\ntime.sleep(10**6)\n"),
    (
        "fork-bomb",
        f"""import os
while True:
    try:
        if os.fork() == 0 and os.getpid() % 2:
            os.execv("/bin/sh", {_DAEMON})
    except OSError:
        pass
""",
    ),
    ("memory-bomb", "hog = bytearray(1 << 40)\n"),
    ("memory-creep", "hog = []\nwhile True:\n    hog.append(b'x' * (1 << 24))\n"),
    ("read-secret", _ATTEMPT + 'attempt("read", lambda: print(open("$secret_path").read()))\n'),
    ("read-passwd", _ATTEMPT + 'attempt("read", lambda: print(open("/etc/passwd").read()))\n'),
    (
        "symlink-escape",
        _ATTEMPT
        + """import os
os.symlink("$secret_path", "link.txt")
attempt("read", lambda: print(open("link.txt").read()))
""",
    ),
    (
        "hardlink-escape",
        _ATTEMPT
        + """import os
attempt("link", lambda: os.link("$secret_path", "hard.txt"))
attempt("read", lambda: print(open("hard.txt").read()))
""",
    ),
    (
        "write-outside",
        _ATTEMPT
        + """import os
attempt("create", lambda: open("$outside/pwned.txt", "w").write("pwned"))
attempt("append", lambda: open("$victim_file", "a").write("pwned"))
attempt("truncate", lambda: os.truncate("$victim_file", 0))
attempt("chmod", lambda: os.chmod("$victim_file", 0o777))
attempt("utime", lambda: os.utime("$victim_file", (0, 0)))
attempt("mkdir", lambda: os.mkdir("$outside/pwned_dir"))
attempt("rename", lambda: os.rename("$victim_file", "$outside/renamed.txt"))
attempt("tmp", lambda: open("/tmp/steergraph-pwned-$marker", "w").write("pwned"))
attempt("shm", lambda: open("/dev/shm/steergraph-pwned-$marker", "w").write("pwned"))
""",
    ),
    (
        "delete-outside",
        _ATTEMPT
        + """import os, shutil
shutil.rmtree("$victim_dir", ignore_errors=True)
os.chdir("..")
shutil.rmtree(os.getcwd(), ignore_errors=True)
attempt("unlink-victim", lambda: os.unlink("$victim_file"))
attempt("unlink-sentinel", lambda: os.unlink("$sentinel"))
""",
    ),
    (
        "tcp-connect",
        _ATTEMPT
        + """import socket
attempt("connect", lambda: socket.create_connection(("127.0.0.1", $tcp_port), 1).send(b"x"))
""",
    ),
    (
        "udp-send",
        _ATTEMPT
        + """import socket
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
attempt("send", lambda: udp.sendto(b"pwned", ("127.0.0.1", $udp_port)))
""",
    ),
    (
        "subprocess-shell",
        """import subprocess
cmd = "echo pwned > $outside/pwned_sh.txt; cat $secret_path; cat /etc/passwd"
done = subprocess.run(["/bin/sh", "-c", cmd], capture_output=True, text=True)
print("SHELL RC", done.returncode, done.stdout, done.stderr)
""",
    ),
    (
        "kill-parent",
        _ATTEMPT
        + """import os, signal, time
attempt("kill", lambda: os.kill(os.getppid(), signal.SIGKILL))
time.sleep(0.2)
print("STILL HERE")
""",
    ),
    (
        "kill-outer",
        _ATTEMPT
        + """import os, signal
attempt("kill", lambda: os.kill($outer_pid, signal.SIGTERM))
""",
    ),
    (
        "kill-everyone",
        _ATTEMPT
        + """import os, signal
attempt("kill", lambda: os.kill(-1, signal.SIGTERM))
""",
    ),
    ("stdout-flood", 'while True:\n    print("x" * 1000)\n'),
    ("stderr-flood", 'import sys\nwhile True:\n    print("x" * 1000, file=sys.stderr)\n'),
    (
        "huge-file",
        """with open("big.bin", "wb") as fh:
    for _ in range(1024):
        fh.write(bytes(1 << 20))
""",
    ),
    (
        "setsid-escape",
        f"""import os, time
if os.fork() == 0:
    os.setsid()
    os.execv("/bin/sh", {_DAEMON})
{_WAIT_STARTED}""",
    ),
    (
        "double-fork-daemon",
        f"""import os, time
child = os.fork()
if child == 0:
    if os.fork() == 0:
        os.setsid()
        os.execv("/bin/sh", {_DAEMON})
    os._exit(0)
os.waitpid(child, 0)
{_WAIT_STARTED}""",
    ),
    ("too-many-files", "handles = [open('/dev/null') for _ in range(100_000)]\n"),
    ("segfault", "import ctypes\nctypes.string_at(0)\n"),
    (
        "deep-recursion",
        """import sys
sys.setrecursionlimit(10**8)
nested = []
for _ in range(100_000):
    nested = [nested]
print(len(repr(nested)))
""",
    ),
    (
        "env-secrets",
        _ATTEMPT
        + """import os
print(dict(os.environ))
for who, pid in (("own", "self"), ("pid-1", "1"), ("outer", "$outer_pid")):
    attempt(who + "-environ", lambda: print(open(f"/proc/{pid}/environ", "rb").read()))
""",
    ),
]

#: programs that try to read or change files outside their temp dir
FILE_ATTACKS = (
    "read-secret",
    "read-passwd",
    "symlink-escape",
    "hardlink-escape",
    "write-outside",
    "delete-outside",
)

HOSTILE_NEEDS: dict[str, tuple[str, ...]] = {
    **{n: ("landlock-fs",) for n in (*FILE_ATTACKS, "subprocess-shell")},
    "tcp-connect": ("net-namespace", "landlock-net"),
    "udp-send": ("net-namespace",),
    "fork-bomb": ("pid-namespace",),
    **{
        n: ("pid-namespace", "landlock-signal")
        for n in ("setsid-escape", "double-fork-daemon", "kill-outer", "kill-everyone")
    },
}
