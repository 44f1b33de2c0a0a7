"""A worker's sandbox and the kernels it forks: start, talk to with time limits, end.

``Sandbox`` starts the zygote inside bubblewrap (or, with ``--no-sandbox``, as a plain child
process) and asks it for one ``KernelProcess`` per submission. A kernel's replies are read with
a deadline: past it, the kernel is interrupted, and if it does not answer soon after, killed.
"""
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from .. import wire
from ..judge.remote import KernelGone
from . import bubblewrap
from .limits import pid_in_namespace

GRACE_AFTER_INTERRUPT = 5.0


class KernelProcess:
    """One forked kernel: a socket to its responder and its process id on this machine."""

    def __init__(self, sock, pid):
        self.sock, self.pid = sock, pid
        self.gone_reason = None  # set by the watchdog when it kills the kernel

    def request(self, message, timeout):
        """Send one request and wait for its reply; interrupt the code past ``timeout`` seconds."""
        try:
            wire.send(self.sock, message)
        except OSError:
            raise KernelGone(self.gone_reason or "the kernel stopped") from None
        if not self._wait(timeout):
            self.signal(signal.SIGINT)
            if not self._wait(GRACE_AFTER_INTERRUPT):
                self.kill()
                raise KernelGone(f"a cell ran longer than the limit of {timeout:g} s and did not stop when interrupted")
            self._receive()
            return {"status": "error", "ename": "TimeoutError",
                    "evalue": f"it ran longer than the limit of {timeout:g} s and was interrupted",
                    "error": {"type": "KeyboardInterrupt",
                              "message": f"it ran longer than the limit of {timeout:g} s and was interrupted"}}
        return self._receive()

    def _wait(self, timeout):
        try:
            readable, _, _ = select.select([self.sock], [], [], timeout)
        except (OSError, ValueError):
            return True  # closed: _receive says so
        return bool(readable)

    def _receive(self):
        try:
            return wire.receive(self.sock)
        except (EOFError, OSError):
            raise KernelGone(self.gone_reason or "the kernel stopped (the code called os._exit, crashed Python, "
                                                 "or was killed)") from None
        except wire.WireError as error:
            self.kill()
            raise KernelGone(f"the kernel sent a malformed reply ({error})") from None

    def signal(self, signum):
        try:
            os.kill(self.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def kill(self):
        self.signal(signal.SIGKILL)

    def close(self):
        self.kill()
        try:
            self.sock.close()
        except OSError:
            pass


class Sandbox:
    """One zygote, in bubblewrap unless ``sandboxed`` is false, for one view of the package."""

    def __init__(self, binds, preload, limits, sandboxed=True, pythonpath=None):
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
            if binds:  # the package where the judge found it and the view lies (an editable install may point elsewhere)
                environment["PYTHONPATH"] = os.path.dirname(str(binds[0][1]))
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
        self.control = control
        self._lines = control.makefile("rb")
        ready = self._read_line(timeout=120)
        if not ready.get("ready"):
            self.close()
            raise RuntimeError("the grading sandbox did not start (is bubblewrap working? try `bwrap --ro-bind / / true`)")

    def _read_line(self, timeout):
        readable, _, _ = select.select([self.control], [], [], timeout)
        line = self._lines.readline() if readable else b""
        try:
            return json.loads(line or b"{}")
        except json.JSONDecodeError:
            return {}

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
        if "pid" not in answer:
            raise RuntimeError("the grading sandbox did not start a kernel")
        pid = None
        for _ in range(200):  # the kernel's id on this machine, once its process is visible
            pid = pid_in_namespace(self.process.pid, answer["pid"])
            if pid:
                break
            time.sleep(0.005)
        kernel = KernelProcess(mine, pid or -1)
        if files:
            import base64

            kernel.request({"op": "files", "files": {k: base64.b64encode(v).decode() for k, v in files.items()}}, 60)
        return kernel

    def close(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            self.process.kill()
        self.process.wait()
        self.control.close()
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
