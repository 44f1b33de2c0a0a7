"""Inside the sandbox: give one kernel namespaces of its own, then give up every privilege.

Runs in the zygote's forked child before any student code. The child enters new PID, mount,
network and IPC namespaces, forks the kernel (process 1 of its PID namespace: when it ends,
everything the student started ends with it), mounts a private ``/proc`` and a size-limited
``/tmp``, and drops all capabilities for good. Kernels of different submissions therefore never
see each other's processes or files. Where the machine refuses namespaces (grading with
``--no-sandbox`` as an ordinary user) the kernel is a plain child process instead.
"""
import ctypes
import os
import signal

CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC = 0x00020000, 0x20000000, 0x40000000, 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
SHM_MB = 64
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_SET_SECUREBITS = 1, 24, 38, 28
PR_SET_CHILD_SUBREAPER = 36
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
SECURE_ALL_BITS_LOCKED = 0x3F  # noroot, no-setuid-fixup, keep-caps: all set and locked
LAST_CAPABILITY = 63

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        raise OSError(ctypes.get_errno(), f"{what}: {os.strerror(ctypes.get_errno())}")


def die_with_parent():
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def enter_namespaces():
    """True when the new namespaces were made; the caller must fork for the PID namespace."""
    return _libc.unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC) == 0


def private_filesystem(tmp_mb, scratch):
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    _check(_libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV, None), "mount /proc")
    _check(_libc.mount(b"tmpfs", scratch.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                       f"size={int(tmp_mb)}m,mode=1777".encode()), f"mount {scratch}")
    if os.path.isdir("/dev/shm"):  # the sandbox's /dev is shared by its kernels: none may write there
        _check(_libc.mount(b"tmpfs", b"/dev/shm", b"tmpfs", MS_NOSUID | MS_NODEV, f"size={SHM_MB}m,mode=1777".encode()),
               "mount /dev/shm")
        _check(_libc.mount(None, b"/dev", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID, None),
               "remount /dev read-only")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_privileges():
    """No capabilities now or after any exec, and no way to gain them back."""
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    for capability in range(LAST_CAPABILITY + 1):
        _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    _libc.prctl(PR_SET_SECUREBITS, SECURE_ALL_BITS_LOCKED, 0, 0, 0)
    header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()
    _libc.capset(ctypes.byref(header), data)


def scratch_folder():
    """The kernel's own memory-backed folder: ``/tmp`` itself, or, where the Python environment
    lives below ``/tmp`` (a CI checkout) and the sandbox's ``/tmp`` is therefore read-only, a
    folder in it (``TMPDIR`` points there)."""
    return os.environ.get("COURSE_GRADER_SCRATCH", "/tmp")


def start_isolated(run_kernel, tmp_mb=1024):
    """In the zygote's fresh child: run ``run_kernel()`` as process 1 of its own namespaces and
    exit with it. The judge signals the kernel itself (process 1 of its namespace: killing it
    kills everything in it, whatever those processes did to their signals); this intermediate
    process dies, taking the kernel with it, when the zygote dies."""
    die_with_parent()
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # without namespaces, orphans stay below it, to be found and killed
    isolated = enter_namespaces()
    kernel = os.fork()
    if kernel == 0:
        die_with_parent()
        scratch = scratch_folder()
        if isolated:
            private_filesystem(tmp_mb, scratch)
        for folder in ("home", "work"):
            os.makedirs(os.path.join(scratch, folder), exist_ok=True)
        os.chdir(os.path.join(scratch, "work"))
        os.environ.update(HOME=os.path.join(scratch, "home"), TMPDIR=scratch,
                          MPLCONFIGDIR=os.path.join(scratch, "home", ".matplotlib"))
        drop_privileges()
        try:
            run_kernel()
        finally:
            os._exit(0)
    signal.signal(signal.SIGINT, lambda *_: os.kill(kernel, signal.SIGINT))
    signal.signal(signal.SIGTERM, lambda *_: os.kill(kernel, signal.SIGKILL))
    while True:
        try:
            _, status = os.waitpid(kernel, 0)
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(0)
