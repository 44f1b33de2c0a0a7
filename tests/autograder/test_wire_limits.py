"""The judge's reader: a reply is checked on its bytes before it is parsed, every read has a
deadline, and a reply must answer the request it follows."""
import json
import socket
import struct
import subprocess
import threading
import time
import tracemalloc

import numpy as np
import pytest

from autograder import wire
from autograder.judge.remote import KernelGone
from autograder.sandbox.kernels import KernelProcess
from autograder.sandbox.limits import shared_objects_mb, tree_memory_mb


def _frame(payload):
    return struct.pack(">Q", len(payload)) + payload


def _receive_from(payload, deadline=None):
    mine, theirs = socket.socketpair()
    writer = threading.Thread(target=lambda: (theirs.sendall(_frame(payload)), theirs.close()), daemon=True)
    writer.start()
    try:
        return wire.receive(mine, deadline)
    finally:
        writer.join()
        mine.close()


@pytest.mark.parametrize("payload, problem", [
    (b'{"x": [' + b"{}," * 16_000_000 + b"{}]}", "holds more than"),  # 48 MB of valid JSON
    (b'{"x": [' + b'"",' * 16_000_000 + b'""]}', "holds more than"),
    (b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested more than"),
])
def test_a_reply_too_branched_or_too_deep_is_refused_before_parsing(payload, problem):
    tracemalloc.start()
    try:
        with pytest.raises(wire.WireError, match=problem):
            _receive_from(payload)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * len(payload) + (16 << 20)  # parsing the 48 MB would take gigabytes


def test_strings_and_escapes_do_not_count_as_structure():
    text = json.dumps({"a": "[[[{{{,,,\\\"]]", "b": [1, 2, {"c": "\\\\"}], "d": "x\"[,"}).encode()
    assert wire.check_shape(text) == (7, 3)  # 3 brackets and braces, 4 commas; 3 levels


def test_the_largest_honest_replies_fit():
    # A state dict as the PyTorch labs send one (lab 06's classifier is the largest measured,
    # see the limits in autograder/wire.py), and a training history of floats.
    encoder = wire.Encoder()
    state = {f"layer{i}.{part}": np.zeros((512, 512) if part == "weight" else 512, dtype=np.float32)
             for i in range(40) for part in ("weight", "bias", "running_mean", "running_var")}
    for value in (state, [float(i) for i in range(50_000)]):
        payload = json.dumps({"value": encoder.encode(value), "changes": []}).encode()
        assert len(payload) < wire.MAX_MESSAGE_BYTES
        wire.check_shape(payload)


def test_half_a_message_runs_into_the_deadline():
    mine, theirs = socket.socketpair()
    theirs.sendall(struct.pack(">Q", 1000) + b'{"status": ')
    started = time.monotonic()
    with pytest.raises(wire.Deadline) as late:
        wire.receive(mine, time.monotonic() + 0.5)
    assert late.value.partial and time.monotonic() - started < 2
    mine.close()
    theirs.close()


@pytest.fixture
def kernel_pair():
    """A KernelProcess whose "kernel" is a harmless child process and whose replies we write."""
    stand_in = subprocess.Popen(["sleep", "60"])
    mine, theirs = socket.socketpair()
    yield KernelProcess(mine, stand_in.pid, stand_in.pid, isolated=False), theirs, stand_in
    stand_in.kill()
    stand_in.wait()
    theirs.close()


def test_a_reply_sent_before_its_request_is_refused_and_the_kernel_ended(kernel_pair):
    kernel, theirs, stand_in = kernel_pair
    theirs.sendall(_frame(json.dumps({"status": "ok", "changes": [[1, "zeros"]], "id": 1}).encode()))
    with pytest.raises(KernelGone, match="does not answer"):
        kernel.request({"op": "run", "code": "1"}, 5)
    assert stand_in.wait(timeout=5) == -9


def test_a_reply_that_answers_its_request_is_taken(kernel_pair):
    kernel, theirs, _ = kernel_pair

    def answer():
        request = wire.receive(theirs)
        wire.send(theirs, {"status": "ok", "id": request["id"]})

    threading.Thread(target=answer, daemon=True).start()
    assert kernel.request({"op": "run", "code": "1"}, 5)["status"] == "ok"


def test_the_fallback_count_sees_memory_held_in_a_memfd():
    holder = subprocess.Popen(["python3", "-c", "import os, time\nfd = os.memfd_create('held')\n"
                               "os.write(fd, b'1' * (200 << 20))\nprint('ready', flush=True)\ntime.sleep(60)"],
                              stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"ready"
        assert shared_objects_mb([holder.pid]) >= 199
        assert tree_memory_mb(holder.pid) >= 199
    finally:
        holder.kill()
        holder.wait()
