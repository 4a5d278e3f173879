"""Landlock for ``steergraph.tools.sandbox``: the filesystem, TCP and signal walls.

Loaded by path by ``sandbox_boot.py`` (stdlib only, runs in the sandbox bootstrap before
the untrusted program). :func:`restrict` handles every access right the kernel's Landlock
ABI knows, allows reading (and executing) beneath ``read_paths`` and a few devices,
everything beneath the temp dir, no TCP bind/connect (ABI >= 4), and scopes signals and
abstract unix sockets to the sandbox (ABI >= 6). Constants and struct layouts follow
``include/uapi/linux/landlock.h``.

Example:
    >>> isinstance(abi(), int)
    True
"""

import ctypes
import os
import stat

__all__ = ["abi", "restrict"]

# Landlock (include/uapi/linux/landlock.h); the syscall numbers are the same on all arches.
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15  # ABI 2, 3, 5
FS_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6
READ_RIGHTS = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
DEVICES = (
    ("/dev/null", FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE),
    ("/dev/zero", FS_READ_FILE),
    ("/dev/urandom", FS_READ_FILE),
    ("/dev/random", FS_READ_FILE),
)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # __attribute__((packed)): 12 bytes
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


def _check(ret, what):
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return ret


def abi():
    """The kernel's Landlock ABI version (< 1: unavailable)."""
    return _libc.syscall(
        SYS_LANDLOCK_CREATE_RULESET,
        None,
        ctypes.c_size_t(0),
        ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION),
    )


def restrict(tmp, read_paths):
    """Enter a Landlock domain: read ``read_paths``, everything in ``tmp``; return layers."""
    abi = _libc.syscall(
        SYS_LANDLOCK_CREATE_RULESET,
        None,
        ctypes.c_size_t(0),
        ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION),
    )
    if abi < 1:
        return []
    handled = (1 << 13) - 1  # ABI 1: EXECUTE .. MAKE_SYM
    handled |= (FS_REFER if abi >= 2 else 0) | (FS_TRUNCATE if abi >= 3 else 0)
    handled |= FS_IOCTL_DEV if abi >= 5 else 0
    attr, size, layers = _RulesetAttr(handled, 0, 0), 8, ["landlock-fs"]
    if abi >= 4:
        attr.handled_access_net, size = NET_BIND_TCP | NET_CONNECT_TCP, 16  # no rule: all denied
        layers.append("landlock-net")
    if abi >= 6:
        attr.scoped, size = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL, 24
        layers += ["landlock-signal", "landlock-abstract-unix"]
    ruleset = _check(
        _libc.syscall(
            SYS_LANDLOCK_CREATE_RULESET,
            ctypes.byref(attr),
            ctypes.c_size_t(size),
            ctypes.c_uint32(0),
        ),
        "landlock ruleset",
    )
    try:
        rules = [(p, READ_RIGHTS) for p in read_paths] + list(DEVICES) + [(tmp, handled)]
        for path, rights in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    rights &= FS_FILE_RIGHTS
                rule = _PathBeneathAttr(rights & handled, fd)
                # a rule the kernel refuses only leaves that path out (denied), so go on
                _libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH,
                              ctypes.byref(rule), ctypes.c_uint32(0))  # fmt: skip
            finally:
                os.close(fd)
        _check(
            _libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)),
            "landlock restrict_self",
        )
    finally:
        os.close(ruleset)
    return layers
