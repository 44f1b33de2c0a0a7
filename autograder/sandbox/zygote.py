"""A kernel factory: one process imports everything a grading kernel needs, then forks a fresh
kernel for each submission. A fork starts in a tenth of the time of a new Python process, and
every kernel still begins from the same clean state.

The factory reads one JSON request per line on stdin (connection file, environment, folder) and
answers with the new kernel's process id. Each kernel gets its own session and, where the
machine allows it, its own empty network namespace (``unshare(CLONE_NEWNET)``).
"""
import ctypes
import json
import os
import signal
import sys

CLONE_NEWNET = 0x40000000


def _own_network_namespace():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.unshare(CLONE_NEWNET) == 0
    except (OSError, AttributeError):
        return False


def _become_kernel(request):
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    if request.get("isolate_network"):
        _own_network_namespace()  # without it, the kernel's audit hook still refuses sockets
    devnull = os.open(os.devnull, os.O_RDWR)
    for descriptor in (0, 1, 2):
        os.dup2(devnull, descriptor)
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    from .kernel import run_kernel

    run_kernel(["-f", request["connection_file"]])


def serve():
    from .kernel import preload

    preload()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped automatically
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                _become_kernel(request)
            finally:
                os._exit(1)
        print(json.dumps({"pid": pid}), flush=True)


if __name__ == "__main__":
    serve()
