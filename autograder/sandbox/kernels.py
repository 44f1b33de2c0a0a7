"""Starting sandboxed kernels, one per submission, one started ahead while another grades.

Kernels are forked from a factory process that has already imported everything (see
``zygote``); if the factory cannot start, each kernel is a new Python process instead.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from jupyter_client import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
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

KERNEL_ENVIRONMENT = {
    "PYTHONWARNINGS": "ignore",
    "MPLBACKEND": "Agg",
    # one core per worker: BLAS threads would only fight the other workers for it
    "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "COURSE_GRADER_PRELOAD": PRELOAD,
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}


class KernelFactory:
    """The zygote process, and a way to ask it for a kernel."""

    def __init__(self):
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder.sandbox.zygote"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, env=dict(os.environ, **KERNEL_ENVIRONMENT), start_new_session=True,
        )
        if json.loads(self.process.stdout.readline() or "{}").get("ready") is not True:
            self.close()
            raise RuntimeError("the kernel factory did not start")

    def fork(self, connection_file, env, cwd, isolate_network):
        request = {"connection_file": connection_file, "env": env, "cwd": cwd, "isolate_network": isolate_network}
        with self._lock:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError("the kernel factory stopped")
        return json.loads(answer)["pid"]

    def close(self):
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


class ForkedProcess:
    """What jupyter_client needs of a ``Popen`` for a kernel the factory forked (not our child:
    the factory reaps it, so it is alive exactly as long as its process id exists)."""

    stdin = stdout = stderr = None
    returncode = None

    def __init__(self, pid):
        self.pid = pid

    def poll(self):
        try:
            os.kill(self.pid, 0)
            return None
        except ProcessLookupError:
            self.returncode = -signal.SIGKILL
            return self.returncode

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("kernel", timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum):
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


class ForkProvisioner(LocalProvisioner):
    """Launches the kernel by asking the factory to fork one."""

    factory = None

    async def launch_kernel(self, cmd, **kwargs):
        environment = {key: value for key, value in kwargs.get("env", {}).items() if key.startswith(("COURSE_", "JPY_"))}
        pid = self.factory.fork(self.parent.connection_file, environment, str(kwargs.get("cwd")),
                                not self.parent.limits.network)
        self.process = ForkedProcess(pid)
        self.pid = self.pgid = pid
        self.cwd = kwargs.get("cwd")
        return self.connection_info


class SandboxKernelManager(AsyncKernelManager):
    """A kernel started through ``autograder.sandbox.kernel``, in a network namespace of its
    own where the machine allows it, talking to the grader over Unix sockets. (Asynchronous,
    because nbclient's timeouts only work with an asynchronous client.)"""

    def __init__(self, plan_path, limits, factory=None, **kwargs):
        super().__init__(transport="ipc", **kwargs)
        self.factory = factory
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
            os.environ, **KERNEL_ENVIRONMENT,
            COURSE_GRADER_PLAN=self._plan_path,
            COURSE_GRADER_RECORD=self.record_path,
            COURSE_GRADER_NETWORK="1" if self.limits.network else "0",
        )
        if self.factory is not None:
            self.kernel_id = str(uuid.uuid4())
            self.provisioner = ForkProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
            self.provisioner.factory = self.factory
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
        try:
            self.factory = KernelFactory()
        except (OSError, RuntimeError):
            self.factory = None  # each kernel is then a fresh Python process
        self._next = None
        self._thread = None
        self._prepare()

    def _prepare(self):
        def start():
            manager = SandboxKernelManager(self.plan_path, self.limits, self.factory)
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
        if self.factory is not None:
            self.factory.close()
