"""A worker's sandbox and the kernels it forks: start, talk to with time limits, end.

``Sandbox`` starts the zygote inside bubblewrap (or, with ``--no-sandbox``, as a plain child
process) and asks it for one ``KernelProcess`` per submission. A kernel's replies are read with
a deadline: past it, the kernel is interrupted, and if it does not answer soon after, killed.
"""
import json
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .. import wire
from ..judge.remote import KernelGone
from . import bubblewrap
from .limits import ControlGroup, only_child, pid_in_namespace, process_tree, tree_memory_mb

GRACE_AFTER_INTERRUPT = 5.0
SEND_TIMEOUT = 60.0  # seconds a kernel may take to read a request


class KernelProcess:
    """One forked kernel: a socket to its responder, its process (on this machine: ``pid`` is
    process 1 of the kernel's own PID namespace, ``parent`` the process that forked it), and
    the memory control group its processes run in (None where the machine has none for us).

    Every read has a deadline; past it, the kernel is interrupted, and if no whole reply follows
    soon after, everything it started is killed. Every reply must answer the request it follows
    (the request's number, unknown to the kernel before it arrives)."""

    def __init__(self, sock, pid, parent, group=None, isolated=True):
        self.sock, self.pid, self.parent, self.group, self.isolated = sock, pid, parent, group, isolated
        self.gone_reason = None  # set by the watchdog when it kills the kernel
        self._handles = {number: _pidfd(number) for number in (pid, parent)}  # signals never reach a reused id

    def request(self, message, timeout):
        """Send one request and wait for its reply; interrupt the code past ``timeout`` seconds."""
        number = secrets.randbits(62)
        try:
            self.sock.settimeout(max(timeout, SEND_TIMEOUT))
            wire.send(self.sock, dict(message, id=number))
            self.sock.settimeout(None)
        except OSError:  # socket.timeout included: it stopped reading
            self.kill()
            raise KernelGone(self.gone_reason or "the kernel stopped taking requests") from None
        try:
            reply = self._receive(time.monotonic() + timeout)
        except wire.Deadline as late:
            if late.partial:
                self.kill()
                raise KernelGone(f"the kernel began a reply and did not finish it within the limit of {timeout:g} s") from None
            self.signal(signal.SIGINT)
            try:
                self._receive(time.monotonic() + GRACE_AFTER_INTERRUPT)
            except wire.Deadline:
                self.kill()
                raise KernelGone(f"a cell ran longer than the limit of {timeout:g} s and did not stop when interrupted") from None
            return {"status": "error", "ename": "TimeoutError",
                    "evalue": f"it ran longer than the limit of {timeout:g} s and was interrupted",
                    "error": {"type": "KeyboardInterrupt",
                              "message": f"it ran longer than the limit of {timeout:g} s and was interrupted"}}
        if reply.get("id") != number:
            self.kill()
            raise KernelGone("the kernel sent a reply that does not answer the grader's request")
        return reply

    def _receive(self, deadline):
        try:
            return wire.receive(self.sock, deadline)
        except (EOFError, OSError):
            self.kill()
            raise KernelGone(self.gone_reason or "the kernel stopped (the code called os._exit, crashed Python, "
                                                 "or was killed)") from None
        except wire.WireError as error:
            self.kill()
            raise KernelGone(f"the kernel sent a malformed reply ({error})") from None

    def signal(self, signum, pid=None):
        pid = self.pid if pid is None else pid
        handle = self._handles.get(pid)
        try:
            if handle is not None:
                signal.pidfd_send_signal(handle, signum)
            elif pid > 1:
                os.kill(pid, signum)
        except OSError:  # gone already
            pass

    def held_mb(self):
        """Everything the kernel's processes hold in memory, in MB."""
        return self.group.held_mb() if self.group else tree_memory_mb(self.parent, self.pid)

    def out_of_memory(self):
        return bool(self.group and self.group.out_of_memory())

    def kill(self):
        """End every process the kernel started, whatever they did to their signals, sessions or
        parents: the processes of its control group, its PID namespace (killing process 1 of a
        namespace kills all of it), and, where it has neither, every descendant of its parent
        (orphans stay below it: the parent is their subreaper)."""
        if self.group:
            self.group.kill()
        if self.isolated:
            self.signal(signal.SIGKILL)
        else:
            for _ in range(50):
                below = [pid for pid in process_tree(self.parent) if pid != self.parent]
                if not below:
                    break
                for pid in below:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.01)
        self.signal(signal.SIGKILL, self.parent)

    def close(self):
        self.kill()
        if self.group:
            self.group.close()
        for handle in self._handles.values():
            if handle is not None:
                os.close(handle)
        self._handles = {}
        try:
            self.sock.close()
        except OSError:
            pass


def _pidfd(pid):
    """A descriptor that names process ``pid`` for good (Linux 5.3), or None."""
    try:
        return os.pidfd_open(pid) if pid > 1 else None
    except (AttributeError, OSError):
        return None


def namespace_init(pid):
    """True when ``pid`` is process 1 of a PID namespace of its own (the last id in NSpid)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            ids = next((line.split()[1:] for line in status if line.startswith("NSpid:")), [])
    except OSError:
        return False
    return len(ids) >= 2 and ids[-1] == "1"


class Sandbox:
    """One zygote, in bubblewrap unless ``sandboxed`` is false, for one view of the package."""

    def __init__(self, binds, preload, limits, sandboxed=True, pythonpath=None):
        # the machine's own ceiling, a little above the limit the watchdog enforces: what a fast
        # allocation can reach between two of its looks
        self.memory_ceiling_mb = limits.memory_mb + max(256, limits.memory_mb // 8)
        control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.scratch = None
        environment = {key: value for key, value in os.environ.items()
                       if key in ("PATH", "LANG", "LC_ALL", "TERM", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES")}
        environment.update({
            "COURSE_ZYGOTE_FD": str(theirs.fileno()), "COURSE_GRADER_PRELOAD": ",".join(preload),
            "COURSE_GRADER_NETWORK": "1" if limits.network else "0", "COURSE_GRADING": "1",
            "COURSE_GRADER_TMP_MB": str(limits.tmp_mb), "PYTHONWARNINGS": "ignore", "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1", "HOME": "/tmp",
        })
        if sandboxed:
            command = bubblewrap.command(binds, network=limits.network)
            environment["COURSE_GRADER_SCRATCH"] = bubblewrap.scratch_folder(binds)
            # the kernel's side of the wire is this checkout's (bound read-only at the same place),
            # whatever an editable install of the package points to
            environment["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
        else:
            command = [sys.executable, "-m", "autograder.sandbox.zygote"]
            if pythonpath:
                environment["PYTHONPATH"] = str(pythonpath)
            # a folder of its own for each kernel's scratch space (a tmpfs over /tmp itself could
            # hide the Python environment when that lives below /tmp)
            self.scratch = tempfile.mkdtemp(prefix="course-kernel-scratch-")
            environment["COURSE_GRADER_SCRATCH"] = self.scratch
        self.process = subprocess.Popen(command, pass_fds=[theirs.fileno()], env=environment, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        theirs.close()
        self.control, self._pending = control, b""
        ready = self._read_line(timeout=120)
        if not ready.get("ready"):
            self.close()
            raise RuntimeError("the grading sandbox did not start (is bubblewrap working? try `bwrap --ro-bind / / true`)")

    def _read_line(self, timeout):
        """One line of the zygote's, or {} when none comes within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._pending and len(self._pending) < 4096:
            left = deadline - time.monotonic()
            try:
                readable = left > 0 and select.select([self.control], [], [], left)[0]
                chunk = self.control.recv(4096) if readable else b""
            except OSError:
                chunk = b""
            if not chunk:
                return {}
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        try:
            answer = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {}
        return answer if isinstance(answer, dict) else {}

    def spawn(self, files=None):
        """A new kernel, with ``files`` (relative path -> bytes) written into its working folder."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            socket.send_fds(self.control, [b"spawn"], [theirs.fileno()])
        except OSError as error:
            raise RuntimeError(f"the grading sandbox stopped ({error})") from None
        finally:
            theirs.close()
        answer = self._read_line(timeout=60)
        if not isinstance(answer.get("pid"), int):
            mine.close()
            raise RuntimeError("the grading sandbox did not start a kernel")
        parent = kernel = None
        for _ in range(1000):  # the ids on this machine of the forked process and of the kernel it forks
            parent = parent or pid_in_namespace(self.process.pid, answer["pid"])
            kernel = parent and only_child(parent)
            if kernel:
                break
            time.sleep(0.005)
        if not (parent and kernel and parent > 1 and kernel > 1):
            if parent and parent > 1:
                os.kill(parent, signal.SIGKILL)
            mine.close()
            raise RuntimeError("the grading sandbox started a kernel that could not be found")
        group = ControlGroup.create(self.memory_ceiling_mb)
        process = KernelProcess(mine, kernel, parent, group, isolated=namespace_init(kernel))
        if group:
            try:
                group.add(parent)
                group.add(kernel)
            except OSError:
                group.close()
                process.group = None
        if files:
            import base64

            process.request({"op": "files", "files": {k: base64.b64encode(v).decode() for k, v in files.items()}}, 60)
        return process

    def close(self):
        """bubblewrap's end ends its PID namespace, and with it every kernel of this sandbox."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            self.process.kill()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        self.control.close()
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
