"""Bootstrap of ``steergraph.tools.sandbox``: locks a process tree down, then runs ``main.py``.

Started as ``python -I -B [-S] sandbox_boot.py '<json config>'`` by the outer process, with
the working directory set to the run's fresh temp dir. Stdlib only (it runs in isolated
mode, and is loaded by path, not as part of the package). Three processes:

* P (this process, single-threaded): leaves the outer user, mount, pid and network
  namespaces (``unshare``; as root a short-lived helper left outside writes the id maps),
  forks C, tells the outer C's pid on the control pipe, waits for C, exits with its status.
* C (pid 1 of the new pid namespace): makes its mounts private and read-only but for the temp
  dir, makes the interpreter reachable for uid nobody (as root), hands the temp dir to nobody
  and drops to it (or drops every capability), sets rlimits and ``no_new_privs``, enters a
  Landlock domain, reports the layers, forks G, reaps orphans and reports G's status. When C
  dies the kernel kills every process in the namespace.
* G: closes every inherited descriptor above 2 and runs ``main.py`` in-process (no second
  interpreter start-up).

The control pipe carries JSON lines; G never holds it, so the untrusted code cannot write
to it. Every layer is best effort: one the machine refuses is left out of the report (and
listed with a leading "!" in the control message).
"""

import atexit
import ctypes
import json
import os
import runpy
import signal
import stat
import sys
import traceback

_POLICY = None  # steergraph/tools/sandbox_policy.py, loaded in main()
_LANDLOCK = None  # steergraph/tools/sandbox_landlock.py, loaded in main()

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWIPC, CLONE_NEWUTS = 0x08000000, 0x04000000
PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18
SYS_MOUNT_SETATTR, AT_FDCWD, AT_RECURSIVE = 442, -100, 0x8000
MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID = 0x1, 0x2
NOBODY = 65534
SYSTEM_READ_PATHS = (
    "/usr",
    "/lib",
    "/lib64",
    "/lib32",
    "/bin",
    "/etc/ld.so.cache",
    "/etc/localtime",
)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _MountAttr(ctypes.Structure):
    _fields_ = (("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64))  # fmt: skip


def _check(ret, what):
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return ret


def _send(fd, **msg):
    try:
        os.write(fd, (json.dumps(msg) + "\n").encode())
    except OSError:
        pass


def _status_code(status):
    """(exit code for our own exit, message for the control pipe) of a wait status."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status), os.WTERMSIG(status)
    return os.waitstatus_to_exitcode(status), None


def _read_paths(site):
    paths = [
        sys.base_prefix,
        sys.base_exec_prefix,
        os.path.dirname(os.path.realpath(sys.executable)),
    ]
    if site:
        paths += [sys.prefix, sys.exec_prefix]
    return sorted(
        {os.path.realpath(p) for p in paths + list(SYSTEM_READ_PATHS) if os.path.exists(p)}
    )


def _blocked_dirs(paths):
    """{ancestor dir that 'other' cannot search: names beneath it on the way to a path}."""
    blocked = {}
    for path in paths:
        cur = "/"
        for name in [p for p in os.path.realpath(path).split("/") if p]:
            if not os.stat(cur).st_mode & stat.S_IXOTH:
                blocked.setdefault(cur, set()).add(name)
            cur = os.path.join(cur, name)
    return blocked


def _mount(src, dst, fstype, flags, data=None):
    enc = [None if s is None else s.encode() for s in (src, dst, fstype, data)]
    _check(_libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]), f"mount {dst}")


def _mount_setattr(path, flags, set_=0, clear=0):
    attr = _MountAttr(set_, clear, 0, 0)
    _check(_libc.syscall(SYS_MOUNT_SETATTR, ctypes.c_int(AT_FDCWD), path.encode(),
                         ctypes.c_uint(flags), ctypes.byref(attr), ctypes.c_size_t(32)),
           f"mount_setattr {path}")  # fmt: skip


def _read_only_mounts(tmp):
    """Every mount read-only and nosuid except the temp dir: Landlock cannot stop chmod,
    chown or utime on files the program's uid owns, a read-only mount can."""
    _mount(tmp, tmp, None, MS_BIND | MS_REC)
    _mount_setattr("/", AT_RECURSIVE, set_=MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID)
    _mount_setattr(tmp, 0, clear=MOUNT_ATTR_RDONLY)
    os.chdir(tmp)  # the old working directory still lies on the read-only mount


def _expose(paths):
    """Cover each ancestor that 'other' cannot search with an empty tmpfs that holds bind
    mounts of only the entries on the way to ``paths`` (which also hides the rest)."""
    blocked = _blocked_dirs(paths)
    for top in sorted(blocked, key=len):  # a parent before what lies beneath it
        fds = {n: os.open(os.path.join(top, n), os.O_PATH | os.O_CLOEXEC) for n in blocked[top]}
        _mount("tmpfs", top, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=64k")
        for name, fd in fds.items():
            dst = os.path.join(top, name)
            if stat.S_ISDIR(os.fstat(fd).st_mode):
                os.mkdir(dst)
            else:
                os.close(os.open(dst, os.O_CREAT | os.O_WRONLY, 0o644))
            _mount(f"/proc/self/fd/{fd}", dst, None, MS_BIND | MS_REC)
            os.close(fd)


def _become_nobody(tmp):
    for root, dirs, names in os.walk(tmp):  # hand the program its directory first
        for entry in [root] + [os.path.join(root, n) for n in dirs + names]:
            os.chown(entry, NOBODY, NOBODY, follow_symlinks=False)
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)


def _drop_capabilities():
    for cap in range(64):
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # EINVAL past the last capability
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    _check(_libc.capset(header, (ctypes.c_uint32 * 6)()), "capset")


def _set_rlimits(lim, nproc):
    import resource

    mem = lim["memory_mb"] << 20
    limits = {
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_CPU: (lim["cpu_s"], lim["cpu_s"] + 1),  # SIGXCPU, then SIGKILL
        resource.RLIMIT_AS: (mem, mem),
        resource.RLIMIT_DATA: (mem, mem),
        resource.RLIMIT_FSIZE: (lim["max_file_mb"] << 20,) * 2,
        resource.RLIMIT_NOFILE: (lim["max_open_files"],) * 2,
    }
    if nproc:  # the kernel does not apply it to uid 0
        limits[resource.RLIMIT_NPROC] = (lim["max_processes"],) * 2
    for res, pair in limits.items():
        resource.setrlimit(res, pair)


def _try(layers, name, fn, *args):
    try:
        out = fn(*args)
    except (OSError, ValueError) as exc:
        layers.append(f"!{name or fn.__name__}: {exc}")  # reported to the outer as a failure
        return False
    if name:
        layers.append(name)
    return out if out is not None else True


def _load_sibling(name):
    """A stdlib-only module next to this file, loaded by path while it is still readable."""
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(f"_sg_{name}", f"{here}/{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_user_code(tmp, policy_roots=None):
    """G: run main.py as ``python main.py`` would; never returns."""
    os.closerange(3, 1 << 16)
    sys.argv = ["main.py"]
    sys.path.insert(0, tmp)
    code = 0
    if policy_roots is not None:
        _POLICY.install(tmp, policy_roots)
    try:
        runpy.run_path("main.py", run_name="__main__")
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException as exc:  # report anything the program raised
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != "main.py":
            tb = tb.tb_next  # hide the runpy frames
        traceback.print_exception(type(exc), exc, tb)
        code = 1
    try:  # what a normal interpreter exit does: join non-daemon threads, run atexit hooks
        if "threading" in sys.modules:
            sys.modules["threading"]._shutdown()
        atexit._run_exitfuncs()
    except BaseException:  # the exit status is already decided
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # a closed or broken stream
            pass
    os._exit(code & 0xFF)


def _die_with_parent(alive_fd):
    """Arm PR_SET_PDEATHSIG (a change of uid disarms it), then make sure P still lives: in
    a pid namespace getppid() says 0 either way, so P holds the other end of alive_fd."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    try:
        if os.read(alive_fd, 1) == b"":
            os._exit(125)  # P died before PR_SET_PDEATHSIG was armed
    except BlockingIOError:
        pass


def _init(cfg, layers, alive_fd):
    """C: lock down, fork G, reap, report G's status."""
    ctrl, tmp = cfg["ctrl"], cfg["tmp"]
    os.set_blocking(alive_fd, False)
    _die_with_parent(alive_fd)
    read_paths = _read_paths(cfg["site"])
    if "mount-namespace" in layers and _try(layers, "", _mount, "none", "/", None,
                                            MS_REC | MS_PRIVATE):  # fmt: skip
        if os.geteuid() == 0 and _blocked_dirs([*read_paths, tmp]):
            _try(layers, "", _expose, [*read_paths, tmp])
        _try(layers, "read-only-mounts", _read_only_mounts, tmp)
    if os.geteuid() == 0:
        if not _blocked_dirs([*read_paths, tmp]):  # else nobody could not import the stdlib
            _try(layers, "uid-nobody", _become_nobody, tmp)
        if os.geteuid() == 0:
            _try(layers, "caps-dropped", _drop_capabilities)
    _try(layers, "rlimits", _set_rlimits, cfg["limits"], os.getuid() != 0)
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0:
        layers.append("no-new-privs")
        layers.extend(_try(layers, "", _LANDLOCK.restrict, tmp, read_paths) or [])
    _die_with_parent(alive_fd)
    os.close(alive_fd)
    _send(ctrl, layers=layers)
    worker = os.fork()
    if worker == 0:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _run_user_code(tmp, read_paths if cfg.get("policy", True) else None)
    while True:  # as pid 1 we also reap the orphans the program leaves
        pid, status = os.wait()
        if pid == worker:
            break
    if "pid-namespace" not in layers and "landlock-signal" in layers:
        try:  # no namespace to tear down: Landlock limits kill(-1) to this sandbox's processes
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
    code, sig = _status_code(status)
    _send(ctrl, **({"signal": sig} if sig else {"exit": code}))
    os._exit(code)


def _unshare_with_maps(flags, maps):
    """unshare(flags) with CLONE_NEWUSER; the id maps are written by a helper left in the
    parent user namespace (a map naming ids other than our own needs CAP_SETUID there)."""
    go_r, go_w = os.pipe()
    helper = os.fork()
    if helper == 0:
        os.close(go_w)
        code = 2
        if os.read(go_r, 1) == b"x":
            try:
                for name, text in maps.items():
                    with open(f"/proc/{os.getppid()}/{name}", "w") as fh:
                        fh.write(text)
                code = 0
            except OSError:
                code = 1
        os._exit(code)
    os.close(go_r)
    done = _libc.unshare(flags) == 0
    os.write(go_w, b"x" if done else b"-")
    os.close(go_w)
    _, status = os.waitpid(helper, 0)
    if done and os.waitstatus_to_exitcode(status) != 0:
        _write_maps({"setgroups": "deny", "uid_map": "0 0 1", "gid_map": "0 0 1"})  # root only
    return done


def _write_maps(maps):
    for name, text in maps.items():
        with open(f"/proc/self/{name}", "w") as fh:
            fh.write(text)


def _unshare(layers):
    """Leave the outer namespaces. Root takes a user namespace too (mapping root and nobody
    to themselves): RLIMIT_NPROC then counts this sandbox's processes, not every nobody's."""
    uid, gid = os.getuid(), os.getgid()
    names = ["user-namespace", "mount-namespace", "pid-namespace", "net-namespace",
             "ipc-namespace", "uts-namespace"]  # fmt: skip
    everything = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET
    everything |= CLONE_NEWIPC | CLONE_NEWUTS  # System V IPC and the hostname
    if uid == 0:
        both = f"0 0 1\n{NOBODY} {NOBODY} 1"
        if _unshare_with_maps(everything, {"uid_map": both, "gid_map": both}):
            layers.extend(names)
            return
        attempts = [
            (everything & ~CLONE_NEWUSER, names[1:]),
            (everything & ~(CLONE_NEWUSER | CLONE_NEWNS), names[2:]),
        ]
    else:
        attempts = [(everything, names)]
    for flags, got in attempts:
        if _libc.unshare(flags) != 0:
            continue
        if flags & CLONE_NEWUSER:
            _write_maps({"setgroups": "deny", "uid_map": f"{uid} {uid} 1",
                         "gid_map": f"{gid} {gid} 1"})  # fmt: skip
        layers.extend(got)
        return


def main():
    global _POLICY, _LANDLOCK
    _POLICY, _LANDLOCK = _load_sibling("sandbox_policy"), _load_sibling("sandbox_landlock")
    cfg = json.loads(sys.argv[1])
    ctrl = cfg["ctrl"]
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != cfg["parent"]:
        os._exit(125)  # the outer died before PR_SET_PDEATHSIG was armed
    layers = []
    try:
        _unshare(layers)
    except OSError as exc:  # inside a user namespace without id maps: nothing works
        print(f"sandbox: cannot set up the user namespace: {exc}", file=sys.stderr)
        os._exit(125)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # in case new credentials reset it
    if os.getppid() != cfg["parent"]:
        os._exit(125)
    alive_r, alive_w = os.pipe()  # C sees EOF here once P is gone
    child = os.fork()
    if child == 0:
        os.close(alive_w)
        try:
            _init(cfg, layers, alive_r)
        except BaseException as exc:
            _send(ctrl, error=f"{type(exc).__name__}: {exc}")
        finally:
            os._exit(126)
    os.close(alive_r)
    _send(ctrl, pid=child, ns_layers=[name for name in layers if not name.startswith("!")])
    _, status = os.waitpid(child, 0)
    code, sig = _status_code(status)
    if sig:
        _send(ctrl, init_signal=sig)
    os._exit(code)


if __name__ == "__main__":
    main()
