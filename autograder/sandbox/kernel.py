"""The grading kernel: ``python -m autograder.sandbox.kernel -f CONNECTION_FILE``.

An ordinary IPython kernel, started the way the grader wants it: network calls refused,
matplotlib drawing off-screen, the course's modules imported ahead (so the guard can keep a
pristine copy of them, and a pre-started kernel is ready at once), and the guard installed
before the first student cell. Settings come from environment variables set by the grader.
"""
import os
import socket
import sys


def refuse_network():
    """Refuse every internet socket this process opens (ZeroMQ, used by the kernel, is not Python
    ``socket`` and talks over Unix sockets here)."""

    def audit(event, args):
        if event in ("socket.connect", "socket.bind", "socket.sendto", "socket.getaddrinfo"):
            if event == "socket.getaddrinfo" or args[0].family in (socket.AF_INET, socket.AF_INET6):
                raise PermissionError("network access is disabled while grading")

    sys.addaudithook(audit)


def skip_figure_rendering(shell):
    """``%matplotlib inline`` figures are shown without a PNG: nobody looks at them while grading,
    and drawing them is a good part of a lab's run time."""
    try:
        from matplotlib_inline.config import InlineBackend
    except ImportError:
        return
    InlineBackend.instance(parent=shell).figure_formats = set()


def preload():
    """Import what every lab needs, once: the kernel then starts in a fraction of the time."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ["COURSE_GRADING"] = "1"
    for module in filter(None, os.environ.get("COURSE_GRADER_PRELOAD", "").split(",")):
        __import__(module)
    # what IPKernelApp would otherwise import while starting (its debugger support alone is 0.4 s)
    for module in ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger",
                   "IPython.core.completer", "matplotlib_inline.backend_inline"):
        try:
            __import__(module)
        except ImportError:
            pass


def run_kernel(arguments):
    """Start the IPython kernel with the guard installed; the settings come from the environment."""
    if os.environ.get("COURSE_GRADER_NETWORK", "0") != "1":
        refuse_network()
    from ipykernel.kernelapp import IPKernelApp

    from .guard import install

    app = IPKernelApp.instance()
    app.initialize(arguments)
    skip_figure_rendering(app.shell)
    install(app.shell, os.environ["COURSE_GRADER_PLAN"], os.environ["COURSE_GRADER_RECORD"])
    app.start()


def main():
    preload()
    run_kernel(sys.argv[1:])


if __name__ == "__main__":
    main()
