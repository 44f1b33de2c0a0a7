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
    memory_mb: int = 4096  # everything the kernel and its processes hold (see ControlGroup, tree_memory_mb)
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


def only_child(pid):
    """The one child process of ``pid``, or None (none yet, or several)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            found = [int(child) for child in children.read().split()]
    except (OSError, ValueError):
        return None
    return found[0] if len(found) == 1 else None


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


SHARED_MEMORY = ("/memfd:", "/SYSV", "/dev/zero")  # memory that is no file's and no process's own


def shared_objects_mb(pids):
    """Memory held in ``memfd_create`` files and shared-memory segments by any of ``pids``,
    held open (``/proc/<pid>/fd``) or mapped (``/proc/<pid>/map_files``), each object once."""
    sizes = {}
    for pid in pids:
        for folder in (f"/proc/{pid}/fd", f"/proc/{pid}/map_files"):
            try:
                entries = os.listdir(folder)
            except OSError:
                continue
            for entry in entries:
                try:
                    if not os.readlink(f"{folder}/{entry}").startswith(SHARED_MEMORY):
                        continue
                    info = os.stat(f"{folder}/{entry}")
                except OSError:
                    continue
                sizes[(info.st_dev, info.st_ino)] = max(info.st_blocks * 512, 0)
    return sum(sizes.values()) / (1024 * 1024)


def tree_memory_mb(pid, kernel=None):
    """The fallback count (no cgroup): resident memory of ``pid`` and its descendants, their
    memfd and shared-memory objects, and the memory-backed folders private to ``kernel`` (default
    ``pid``). Shared pages that are mapped may count twice: the count errs on the side of the limit."""
    tree = process_tree(pid)
    resident = sum(int((_field(lines, "VmRSS") or ["0"])[0]) for lines in tree.values()) / 1024
    return resident + shared_objects_mb(tree) + private_files_mb(kernel or pid)


# -- control groups ------------------------------------------------------------------------
def _own_cgroup_folders():
    """``[(version, folder)]``: this process's memory control group, v2 first then v1."""
    mounts = []
    try:
        with open("/proc/self/mountinfo") as info:
            for line in info:
                fields = line.split()
                dash = fields.index("-")
                mounts.append((fields[dash + 1], fields[3], fields[4], fields[-1]))
        with open("/proc/self/cgroup") as own:
            memberships = [line.rstrip("\n").split(":", 2) for line in own]
    except (OSError, ValueError):
        return []
    found = []
    for fstype, root, point, options in mounts:
        for hierarchy, controllers, path in memberships:
            if fstype == "cgroup2" and hierarchy == "0":
                version = 2
            elif fstype == "cgroup" and "memory" in controllers.split(",") and "memory" in options.split(","):
                version = 1
            else:
                continue
            if root != "/" and (path == root or path.startswith(root + "/")):
                path = path[len(root):]
            found.append((version, os.path.join(point, path.lstrip("/"))))
    return sorted(found, key=lambda item: -item[0])


class ControlGroup:
    """A memory control group of its own for one kernel: the machine's count of everything its
    processes hold (anonymous memory, tmpfs and memfd files, shared memory, kernel memory),
    a hard ceiling above the limit, and the list of its processes for the kill."""

    _made = 0

    def __init__(self, version, folder, ceiling_mb):
        self.version, self.folder = version, folder
        os.mkdir(folder)
        try:
            usage = "memory.current" if version == 2 else "memory.usage_in_bytes"
            if not os.path.exists(os.path.join(folder, usage)):
                raise OSError("no memory accounting in this control group")
            self._write("memory.max" if version == 2 else "memory.limit_in_bytes", str(int(ceiling_mb) << 20))
        except OSError:
            os.rmdir(folder)
            raise

    @classmethod
    def create(cls, ceiling_mb):
        """A new group below this process's own, or None where the machine does not allow it."""
        for version, own in _own_cgroup_folders():
            if version == 2:
                try:  # children get the memory controller (refused where the group holds processes itself)
                    with open(os.path.join(own, "cgroup.subtree_control"), "w") as control:
                        control.write("+memory")
                except OSError:
                    pass
            cls._made += 1
            try:
                return cls(version, os.path.join(own, f"course-kernel-{os.getpid()}-{cls._made}"), ceiling_mb)
            except OSError:
                continue
        return None

    def _read(self, name):
        with open(os.path.join(self.folder, name)) as handle:
            return handle.read()

    def _write(self, name, value):
        with open(os.path.join(self.folder, name), "w") as handle:
            handle.write(value)

    def add(self, pid):
        self._write("cgroup.procs", str(pid))

    def pids(self):
        try:
            return [int(p) for p in self._read("cgroup.procs").split()]
        except (OSError, ValueError):
            return []

    def held_mb(self):
        """Everything its processes hold, less the file cache (which the machine can take back)."""
        try:
            stat = dict(line.split() for line in self._read("memory.stat").splitlines() if len(line.split()) == 2)
            if self.version == 2:
                used = int(self._read("memory.current"))
                cache = int(stat.get("active_file", 0)) + int(stat.get("inactive_file", 0))
            else:
                used = int(self._read("memory.usage_in_bytes"))
                cache = int(stat.get("total_active_file", 0)) + int(stat.get("total_inactive_file", 0))
        except (OSError, ValueError):
            return 0.0
        return max(used - cache, 0) / (1024 * 1024)

    def out_of_memory(self):
        """True when the machine killed one of its processes at the ceiling."""
        try:
            events = self._read("memory.events" if self.version == 2 else "memory.oom_control")
        except OSError:
            return False
        return any(line.split()[:1] == ["oom_kill"] and int(line.split()[1]) > 0 for line in events.splitlines())

    def kill(self):
        """SIGKILL every process in it until none is left (a fork between two reads is caught by the next)."""
        if self.version == 2 and os.path.exists(os.path.join(self.folder, "cgroup.kill")):
            try:
                self._write("cgroup.kill", "1")
            except OSError:
                pass
        for _ in range(200):
            pids = self.pids()
            if not pids:
                return True
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.01)
        return False

    def close(self):
        self.kill()
        for _ in range(100):
            try:
                os.rmdir(self.folder)
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.02)


def pid_in_namespace(root, inner_pid):
    """This machine's id of the descendant of ``root`` that its own PID namespace numbers
    ``inner_pid`` (the NSpid line lists a process's id in each namespace it is in)."""
    for pid, lines in process_tree(root).items():
        ids = [int(x) for x in _field(lines, "NSpid")]
        if len(ids) >= 2 and ids[1] == inner_pid or len(ids) == 1 and ids[0] == inner_pid:
            return pid
    return None


class Watchdog:
    """Ends the kernel (``kernel.kill()``: its whole process tree) when everything it holds
    (``kernel.held_mb()``) passes the memory limit, or when it runs too long in total.

    ``reason`` then says why, in a sentence for the student's feedback.
    """

    def __init__(self, kernel, limits, interval=0.05):
        self.kernel, self.limits, self.interval = kernel, limits, interval
        self.reason = None
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="watchdog", daemon=True)

    def __enter__(self):
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()
        if self.reason is None and self.kernel.out_of_memory():  # the ceiling struck between two looks
            self.peak_mb = max(self.peak_mb, self.limits.memory_mb + 1.0)
            self._kill(f"it used more than the memory limit of {self.limits.memory_mb} MB")

    def _kill(self, reason):
        self.reason = reason
        self.kernel.kill()

    def _watch(self):
        while not self._stop.wait(self.interval):
            used = self.kernel.held_mb()
            self.peak_mb = max(self.peak_mb, used)
            if used > self.limits.memory_mb or self.kernel.out_of_memory():
                self.peak_mb = max(self.peak_mb, self.limits.memory_mb + 1.0)
                self._kill(f"it used more than the memory limit of {self.limits.memory_mb} MB")
                return
            if time.monotonic() - self._started > self.limits.notebook_timeout:
                self._kill(f"the notebook ran longer than the limit of {self.limits.notebook_timeout:g} s in total")
                return
