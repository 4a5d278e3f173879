"""Audit-hook policy of ``steergraph.tools.sandbox``: a forbidden *attempt* ends the run.

The kernel layers (namespaces, Landlock, rlimits) already keep a program in; but a
program that tries to open a socket, read ``/etc/passwd`` or kill its parent, catches
the ``PermissionError`` and carries on would still pass its tests. A code verifier must
fail such a candidate, so the sandboxed interpreter installs a :pep:`578` audit hook
before the program runs: the first forbidden operation writes ``sandbox policy: <what>``
to stderr and exits at once with status :data:`POLICY_EXIT` (``os._exit``: no handler,
``finally`` or ``atexit`` of the program runs). Forbidden: network (connect, bind, send),
child processes (fork, exec, spawn, subprocess), signals to other processes, ``ctypes``,
changing rlimits, reading files outside the temp dir and the interpreter's own trees, and
writing, deleting, renaming, linking or chmod-ing anything outside the temp dir.

Audit hooks cannot be removed from Python code; they are a detector, not the wall (the
kernel layers are the wall). Stdlib only: it runs inside the sandbox bootstrap.

Example:
    >>> from steergraph.tools.sandbox import Sandbox
    >>> r = Sandbox().run("import socket\\ntry:\\n    socket.create_connection(('1.1.1.1', 80))\\n"
    ...                   "except OSError:\\n    pass\\nprint('carried on')")
    >>> r.ok, r.killed_reason, "carried on" in r.stdout
    (False, 'policy: socket.connect', False)
"""

import os
import sys

__all__ = ["POLICY_EXIT", "install"]

POLICY_EXIT = 86
_NETWORK = {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"}
_PROCESSES = {
    "os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.spawn", "os.system",
    "subprocess.Popen", "pty.spawn", "os.startfile",
}  # fmt: skip
_SIGNALS = {"os.kill", "os.killpg", "signal.pthread_kill", "os.pidfd_open"}
_LIMITS = {"resource.setrlimit", "resource.prlimit"}
# events whose first argument(s) are paths that must stay inside the temp dir
_PATH_WRITES = {
    "os.remove": 1, "os.rmdir": 1, "os.mkdir": 1, "os.chmod": 1, "os.chown": 1, "os.utime": 1,
    "os.truncate": 1, "os.chflags": 1, "os.lchflags": 1, "os.setxattr": 1, "os.removexattr": 1,
    "os.rename": 2, "os.link": 2, "os.symlink": 2, "shutil.rmtree": 1, "shutil.move": 2,
    "shutil.copyfile": 2, "shutil.copytree": 2,
}  # fmt: skip
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


#: events refused whatever their arguments, and what the refusal says
_REFUSED = {
    **{event: event for event in _NETWORK | _LIMITS},
    **{event: f"{event} (no child processes)" for event in _PROCESSES},
    **{event: f"{event} (no signals to other processes)" for event in _SIGNALS},
}


# The helpers bind what they call as default arguments, evaluated when this module loads
# (before the program runs): a program that replaces os.path.realpath or os._exit later
# does not change what the hook calls.
def _violate(what, write=os.write, exit_now=os._exit):
    try:
        write(2, f"\nsandbox policy: {what}\n".encode("utf-8", "replace"))
    finally:
        exit_now(POLICY_EXIT)


def _inside(path, roots):
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def _resolve(path, realpath=os.path.realpath, fspath=os.fspath):
    if isinstance(path, int):  # a descriptor: already opened inside the rules
        return None
    try:
        path = fspath(path)
        if isinstance(path, bytes):
            path = path.decode("utf-8", "surrogateescape")
        return realpath(path)
    except (TypeError, ValueError):
        return "<unreadable path>"


def _check_open(args, tmp, readable):
    path = _resolve(args[0])
    if path is None:
        return
    mode, flags = args[1] or "", args[2] if len(args) > 2 else 0
    writing = any(c in str(mode) for c in "wxa+") or bool((flags or 0) & _WRITE_FLAGS)
    if writing and not _inside(path, [tmp, "/dev/null"]):
        _violate(f"write outside the temp dir: {path}")
    if not writing and not _inside(path, readable):
        _violate(f"read outside the sandbox: {path}")


def _check_path_args(event, args, tmp):
    for arg in args[: _PATH_WRITES[event]]:
        path = _resolve(arg)
        if path is not None and not _inside(path, [tmp]):
            _violate(f"{event} outside the temp dir: {path}")


def install(tmp, read_roots):
    """Install the hook: ``tmp`` is writable, ``read_roots`` (and ``tmp``) readable."""
    tmp = os.path.realpath(tmp)
    readable = [tmp, "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random"]
    readable += [os.path.realpath(r) for r in read_roots]

    def hook(event, args):
        if event == "open":
            _check_open(args, tmp, readable)
        elif event in _REFUSED:
            _violate(_REFUSED[event])
        elif event.startswith("ctypes."):
            _violate(event)
        elif event in _PATH_WRITES:
            _check_path_args(event, args, tmp)

    sys.addaudithook(hook)
