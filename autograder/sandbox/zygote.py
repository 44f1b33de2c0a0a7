"""The kernel factory, run inside the sandbox: ``python -m autograder.sandbox.zygote``.

It imports what the lab needs once (NumPy, matplotlib, IPython, the course package as the
sandbox shows it), then forks one isolated kernel per submission: a fork starts in milliseconds
where a new Python process takes most of a second, and every kernel still begins from the same
untouched state. Requests come over the Unix socket whose descriptor is in
``COURSE_ZYGOTE_FD``; each "spawn" request carries the kernel's own socket (SCM_RIGHTS) and is
answered with the kernel's process id as the sandbox numbers it.
"""
import json
import os
import signal
import socket
import sys


def preload(modules):
    os.environ["MPLBACKEND"] = "Agg"
    os.environ["COURSE_GRADING"] = "1"
    for module in modules:
        try:
            __import__(module)
        except Exception:  # noqa: BLE001 - a module that does not import is the submission's problem
            pass
    from ..kernel.shell import make_shell

    return make_shell()


def refuse_network():
    """A second line behind the sandbox's empty network namespace (and the only one with
    ``--no-sandbox``): internet sockets are refused from Python."""

    def audit(event, args):
        if event in ("socket.connect", "socket.bind", "socket.sendto", "socket.getaddrinfo"):
            if event == "socket.getaddrinfo" or args[0].family in (socket.AF_INET, socket.AF_INET6):
                raise PermissionError("network access is disabled while grading")

    sys.addaudithook(audit)


def _kernel_main(shell, kernel_socket):
    from ..kernel.responder import Responder

    if os.environ.get("COURSE_GRADER_NETWORK") != "1":
        refuse_network()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    Responder(kernel_socket, shell).serve()


def serve(control):
    from .isolation import start_isolated

    modules = [m for m in os.environ.get("COURSE_GRADER_PRELOAD", "").split(",") if m]
    shell = preload(modules)
    tmp_mb = int(os.environ.get("COURSE_GRADER_TMP_MB", "1024"))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped automatically
    control.sendall(json.dumps({"ready": True, "pid": os.getpid()}).encode() + b"\n")
    while True:
        try:
            message, fds, _flags, _address = socket.recv_fds(control, 4096, 1)
        except OSError:
            return
        if not message:
            return
        if not fds:
            continue
        pid = os.fork()
        if pid == 0:
            try:
                control.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                kernel_socket = socket.socket(fileno=fds[0])
                start_isolated(lambda: _kernel_main(shell, kernel_socket), tmp_mb)
            finally:
                os._exit(1)
        os.close(fds[0])
        control.sendall(json.dumps({"pid": pid}).encode() + b"\n")


def main():
    control = socket.socket(fileno=int(os.environ["COURSE_ZYGOTE_FD"]))
    from .isolation import die_with_parent

    die_with_parent()
    serve(control)


if __name__ == "__main__":
    main()
