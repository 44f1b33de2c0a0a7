"""Resource limits for one submission, and the watchdog that enforces them from outside."""
import dataclasses
import os
import signal
import threading
import time


@dataclasses.dataclass(frozen=True)
class Limits:
    """Defaults suit deep-learning labs: a cell may train a small network for minutes."""

    cell_timeout: float = 300.0  # seconds per cell (plain nbgrader: 30)
    notebook_timeout: float = 1800.0  # seconds for the whole notebook
    memory_mb: int = 4096  # resident memory of the kernel and its children
    network: bool = False  # student code may not open network connections
    tmp_mb: int = 1024  # the kernel's private /tmp holds at most this (counted in the memory limit too)

    def describe(self):
        return (f"{self.cell_timeout:g} s per cell, {self.notebook_timeout:g} s per notebook, "
                f"{self.memory_mb} MB of memory, network {'on' if self.network else 'off'}")


def process_tree(pid):
    """``{process id: its /proc status lines}`` for ``pid`` and all its descendants (Linux)."""
    found, pending = {}, [pid]
    while pending:
        current = pending.pop()
        if current in found:
            continue
        try:
            with open(f"/proc/{current}/status") as status:
                found[current] = status.read().splitlines()
            with open(f"/proc/{current}/task/{current}/children") as children:
                pending.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return found


def _field(lines, name):
    return next((line.split()[1:] for line in lines if line.startswith(name + ":")), [])


def resident_memory_mb(pid):
    """Resident memory of ``pid`` and all its descendants, in MB."""
    return sum(int((_field(lines, "VmRSS") or ["0"])[0]) for lines in process_tree(pid).values()) / 1024


def private_files_mb(pid):
    """What the kernel ``pid`` keeps in its memory-backed ``/tmp`` and ``/dev/shm`` (files there
    are memory no process's resident size shows), when they are its own and not this machine's."""
    total, seen = 0, {os.stat(p).st_dev for p in ("/tmp", "/dev/shm") if os.path.exists(p)}
    for place in ("tmp", "tmp/.kernel", "dev/shm"):
        try:
            theirs = f"/proc/{pid}/root/{place}"
            device = os.stat(theirs).st_dev
            if device in seen:
                continue
            seen.add(device)
            usage = os.statvfs(theirs)
            total += (usage.f_blocks - usage.f_bfree) * usage.f_frsize
        except OSError:
            continue
    return total / (1024 * 1024)


def pid_in_namespace(root, inner_pid):
    """This machine's id of the descendant of ``root`` that its own PID namespace numbers
    ``inner_pid`` (the NSpid line lists a process's id in each namespace it is in)."""
    for pid, lines in process_tree(root).items():
        ids = [int(x) for x in _field(lines, "NSpid")]
        if len(ids) >= 2 and ids[1] == inner_pid or len(ids) == 1 and ids[0] == inner_pid:
            return pid
    return None


class Watchdog:
    """Kills the kernel process ``pid`` when it uses too much memory or runs too long in total.

    ``reason`` then says why, in a sentence for the student's feedback.
    """

    def __init__(self, pid, limits, interval=0.05):
        self.pid, self.limits, self.interval = pid, limits, interval
        self.reason = None
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"watchdog-{pid}", daemon=True)

    def __enter__(self):
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()

    def _kill(self, reason):
        """The kernel's own namespace ends with it, and with it everything the code started."""
        self.reason = reason
        try:
            os.kill(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def _watch(self):
        while not self._stop.wait(self.interval):
            used = resident_memory_mb(self.pid) + private_files_mb(self.pid)
            self.peak_mb = max(self.peak_mb, used)
            if used > self.limits.memory_mb:
                self._kill(f"it used more than the memory limit of {self.limits.memory_mb} MB")
                return
            if time.monotonic() - self._started > self.limits.notebook_timeout:
                self._kill(f"the notebook ran longer than the limit of {self.limits.notebook_timeout:g} s in total")
                return
