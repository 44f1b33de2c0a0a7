"""The bubblewrap command line that holds a worker's grading kernels.

The sandbox sees a read-only system and Python environment, the course package as the lab's
policies allow (see ``view``), an empty ``/tmp`` and home, and nothing else: not the course
folder, the solutions, the gradebook, the reports, other submissions, or the lecturer's home.
It has no network, its own PID namespace, and it dies with the worker that started it. On a
machine with an NVIDIA GPU the GPU's device nodes are passed through.
"""
import functools
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

SYSTEM_DIRECTORIES = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt/conda")
# What programs need from /etc, and nothing else (no passwords, keys or lecturer configuration).
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "fonts", "localtime", "timezone", "alternatives",
             "mime.types", "nsswitch.conf", "passwd", "group", "hosts", "os-release", "matplotlibrc")
GPU_DEVICES = ("/dev/nvidia*", "/dev/nvidia-caps", "/dev/dri")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot make a sandbox on this machine."""


@functools.lru_cache(maxsize=None)
def available():
    """True when bubblewrap is installed and can make a sandbox on this machine."""
    if shutil.which("bwrap") is None:
        return False
    try:
        probe = subprocess.run(["bwrap", "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"],
                               capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def _python_directories():
    """Where this Python and its installed packages live (never the working directory or other
    folders on ``sys.path``, such as a test runner's checkout)."""
    places = {Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).resolve().parent.parent}
    for entry in sys.path:
        if entry and Path(entry).is_dir() and Path(entry).name in ("site-packages", "dist-packages"):
            places.add(Path(entry))
    return sorted({p.resolve() for p in places}, key=lambda p: len(p.parts))


KERNEL_SCRATCH = "/tmp/.kernel"


def scratch_folder(package_binds):
    """Where each kernel's private, memory-backed folder goes (see ``isolation.scratch_folder``)."""
    inside = [Path(p) for p in _python_directories()] + [Path(d) for _, d in package_binds]
    return KERNEL_SCRATCH if any(Path("/tmp") in p.parents for p in inside) else "/tmp"


def command(package_binds, tmp_mb=64, network=False, gpu=True):
    """``bwrap`` arguments that run ``python -m autograder.sandbox.zygote`` in the sandbox.

    ``package_binds``: ``(source, destination)`` pairs laid over the environment, read-only:
    the course package's view and the autograder's kernel side.
    """
    arguments = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-add", "ALL"]
    if network:
        arguments.append("--share-net")
    for directory in SYSTEM_DIRECTORIES:
        if os.path.isdir(directory) and not os.path.islink(directory):
            arguments += ["--ro-bind", directory, directory]
        elif os.path.islink(directory):
            arguments += ["--symlink", os.readlink(directory), directory]
    for name in ETC_FILES:
        if os.path.exists(f"/etc/{name}"):
            arguments += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    # /tmp first: the environment may itself live below /tmp (a CI checkout), and a later tmpfs
    # would hide it
    arguments += ["--proc", "/proc", "--dev", "/dev", "--size", str(tmp_mb * 1024 * 1024), "--tmpfs", "/tmp"]
    for place in _python_directories():
        arguments += ["--ro-bind", str(place), str(place)]
    for source, destination in package_binds:
        arguments += ["--ro-bind", str(source), str(destination)]
    scratch = scratch_folder(package_binds)
    if scratch != "/tmp":  # /tmp holds the environment: read-only, with a writable folder for the zygote
        arguments += ["--size", str(tmp_mb * 1024 * 1024), "--tmpfs", scratch, "--remount-ro", "/tmp"]
    if gpu:
        for pattern in GPU_DEVICES:
            for device in glob.glob(pattern):
                arguments += ["--dev-bind", device, device]
        if glob.glob("/dev/nvidia*"):
            arguments += ["--ro-bind-try", "/sys", "/sys", "--ro-bind-try", "/proc/driver/nvidia", "/proc/driver/nvidia"]
    arguments += ["--setenv", "HOME", scratch, "--setenv", "TMPDIR", scratch, "--chdir", scratch]
    return arguments + ["--", sys.executable, "-m", "autograder.sandbox.zygote"]
