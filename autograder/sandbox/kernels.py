"""Starting sandboxed kernels, one per submission, one started ahead while another grades."""
import os
import shutil
import subprocess
import sys
import tempfile
import threading

from jupyter_client import AsyncKernelManager
from jupyter_core.utils import run_sync

PRELOAD = "numpy,matplotlib,matplotlib.pyplot,course.checks,course.gradcheck,course.layers"


def _network_namespace_available():
    """True when ``unshare -n`` works here (root or user namespaces): then the kernel gets a
    network namespace of its own, with no interface but loopback, down."""
    if shutil.which("unshare") is None:
        return False
    try:
        return subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


NETWORK_NAMESPACES = _network_namespace_available()


class SandboxKernelManager(AsyncKernelManager):
    """A kernel started through ``autograder.sandbox.kernel``, in a network namespace of its
    own where the machine allows it, talking to the grader over Unix sockets. (Asynchronous,
    because nbclient's timeouts only work with an asynchronous client.)"""

    def __init__(self, plan_path, limits, **kwargs):
        super().__init__(transport="ipc", **kwargs)
        self.limits = limits
        self.workdir = tempfile.mkdtemp(prefix="course-kernel-")
        self.record_path = os.path.join(self.workdir, "guard.jsonl")
        self.connection_file = os.path.join(self.workdir, "kernel.json")
        self.ip = os.path.join(self.workdir, "kernel-ipc")
        self._plan_path = plan_path

    def format_kernel_cmd(self, extra_arguments=None):
        command = [sys.executable, "-m", "autograder.sandbox.kernel", "-f", self.connection_file]
        if not self.limits.network and NETWORK_NAMESPACES:
            command = ["unshare", "-n", *command]
        return command + list(extra_arguments or [])

    def start(self):
        environment = dict(
            os.environ,
            COURSE_GRADER_PLAN=self._plan_path,
            COURSE_GRADER_RECORD=self.record_path,
            COURSE_GRADER_PRELOAD=PRELOAD,
            COURSE_GRADER_NETWORK="1" if self.limits.network else "0",
            PYTHONWARNINGS="ignore",
            MPLBACKEND="Agg",
        )
        run_sync(self.start_kernel)(cwd=self.workdir, env=environment,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    @property
    def pid(self):
        return self.provisioner.pid if self.provisioner is not None else None

    def dispose(self):
        try:
            if self.has_kernel:
                run_sync(self.shutdown_kernel)(now=True)
        except Exception:
            pass
        shutil.rmtree(self.workdir, ignore_errors=True)


class KernelSupply:
    """Hands out started kernels and starts the next one in the background meanwhile."""

    def __init__(self, plan_path, limits):
        self.plan_path, self.limits = plan_path, limits
        self._next = None
        self._thread = None
        self._prepare()

    def _prepare(self):
        def start():
            manager = SandboxKernelManager(self.plan_path, self.limits)
            try:
                self._next = manager.start()
            except Exception as error:  # reported when the kernel is taken
                manager.dispose()
                self._next = error

        self._thread = threading.Thread(target=start, daemon=True)
        self._thread.start()

    def take(self):
        self._thread.join()
        kernel = self._next
        self._prepare()
        if isinstance(kernel, Exception):
            raise RuntimeError(f"the grading kernel did not start: {kernel}") from kernel
        return kernel

    def close(self):
        self._thread.join()
        if isinstance(self._next, SandboxKernelManager):
            self._next.dispose()
