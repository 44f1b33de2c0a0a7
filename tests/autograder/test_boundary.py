"""The grading boundary piece by piece: the wire carries data only, the judge's stand-ins
behave like local calls (in-place updates included), and the kernel's view of the package
hides what a policy forbids."""
import os
import socket
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

from autograder import wire
from autograder.judge.remote import Kernel, KernelObject, StudentError
from autograder.kernel.responder import Responder
from autograder.sandbox.view import write_torch_stub, write_view
from course.checks.judging import CheckFailed, call_student, probe_student
from course import probes
from tests.notebook_tools import ROOT


class SocketChannel:
    def __init__(self, sock):
        self.sock = sock

    def request(self, message, timeout):
        wire.send(self.sock, message)
        return wire.receive(self.sock)


@pytest.fixture(scope="module")
def kernel():
    """A responder in a thread of this process, reached over a real socket pair."""
    mine, theirs = socket.socketpair()
    responder = Responder(theirs)
    thread = threading.Thread(target=responder.serve, daemon=True)
    thread.start()
    channel = SocketChannel(mine)
    channel.request({"op": "run", "code": CODE}, 30)
    yield Kernel(channel, call_timeout=30)
    mine.close()


CODE = '''
import numpy as np
def double(x):
    return 2 * x
def same(x):
    return x
def scale_in_place(arrays, factor):
    for a in arrays:
        a *= factor
def set_key(d):
    d["running_mean"] = d["running_mean"] + 1
class Counter:
    def __init__(self, params):
        self.params, self.lr = params, 0.5
    def step(self):
        for p in self.params:
            p -= self.lr
_kept = []
class keeps:  # a class in name only: what it was given must stay the judge's
    def __new__(cls, x):
        _kept.append(x)
        return (x, _zero_kept)
def _zero_kept():
    for a in _kept:
        a[...] = 0
zero_kept = _zero_kept
def fails(x):
    raise ValueError("the student's own words")
def todo(x):
    raise NotImplementedError
'''


def test_a_call_brings_results_back_as_data(kernel):
    double = kernel.lookup("double", 30)
    assert isinstance(double, KernelObject) and double.__name__ == "double"
    got = double(np.arange(3.0))
    assert isinstance(got, np.ndarray) and got.tolist() == [0.0, 2.0, 4.0]
    assert double((1, 2.5)) == (1, 2.5, 1, 2.5)


def test_an_argument_returned_unchanged_comes_back_as_the_same_object(kernel):
    x = np.ones(4)
    assert kernel.lookup("same", 30)(x) is x


def test_in_place_updates_reach_the_judges_arrays_lists_and_dicts(kernel):
    arrays = [np.ones(3), np.full((2, 2), 2.0)]
    kernel.lookup("scale_in_place", 30)(arrays, 3.0)
    assert arrays[0].tolist() == [3.0] * 3 and arrays[1].tolist() == [[6.0, 6.0], [6.0, 6.0]]
    state = {"running_mean": np.zeros(2)}
    kernel.lookup("set_key", 30)(state)
    assert state["running_mean"].tolist() == [1.0, 1.0]


def test_an_object_keeps_its_arguments_between_calls(kernel):
    params = [np.zeros(2)]
    counter = kernel.lookup("Counter", 30)(params)
    assert counter.lr == 0.5
    counter.lr = 2.0
    call_student(counter.step, "counter")
    assert params[0].tolist() == [-2.0, -2.0]


def test_only_the_request_that_handed_an_array_over_may_change_it(kernel):
    x = np.ones(3)
    same, handed_back = kernel.lookup("keeps", 30)(x)
    assert same is x  # handed over by this request: the judge's own object comes back
    kernel.lookup("zero_kept", 30)()  # a later request, through a name: its reply may not change x
    assert x.tolist() == [1.0, 1.0, 1.0]
    assert handed_back is not kernel.lookup("zero_kept", 30)  # the same kernel object, without the rights


def test_student_exceptions_arrive_as_the_students_and_become_one_line_failures(kernel):
    with pytest.raises(CheckFailed, match=r"fails raised ValueError: the student's own words"):
        call_student(kernel.lookup("fails", 30), "exercise", 1)
    with pytest.raises(CheckFailed, match="not implemented yet"):
        call_student(kernel.lookup("todo", 30), "exercise", 1)
    with pytest.raises(NameError):
        kernel.lookup("never_defined", 30)
    with pytest.raises(StudentError):
        kernel.lookup("fails", 30)(1)


def test_probes_run_where_the_model_lives(kernel):
    kernel.channel.request({"op": "run", "code": "import torch\nmodel = torch.nn.Linear(3, 2).double()"}, 30)
    model = kernel.lookup("model", 30)
    x = torch.randn(4, 3, dtype=torch.float64)
    out = probe_student(probes.forward, "linear", model, x)
    state = probe_student(probes.state, "linear", model)
    assert torch.allclose(out, x @ state["weight"].T + state["bias"])
    (dx,), grads = probe_student(probes.gradients, "linear", model, [x], torch.ones(4, 2, dtype=torch.float64))
    assert torch.allclose(dx, state["weight"].sum(0).expand(4, 3)) and set(grads) == {"weight", "bias"}


@pytest.mark.parametrize("data, problem", [
    ({"$": "array", "dtype": "object", "shape": [1], "data": ""}, "unknown dtype"),
    ({"$": "array", "dtype": "float64", "shape": [2], "data": "AAAA"}, "bytes"),
    ({"$": "pickle", "data": "gASV"}, "unknown value tag"),
    ({"$": "ref", "ref": 99}, "never sent"),
    ({"$": "scalar", "dtype": "float64", "value": "1"}, "no numeric value"),
])
def test_the_judge_refuses_malformed_data_with_a_sentence(kernel, data, problem):
    with pytest.raises(wire.WireError, match=problem):
        kernel.decoder.decode(data)


def test_the_judge_refuses_data_nested_too_deeply(kernel):
    data = 1
    for _ in range(60):
        data = {"$": "tuple", "items": [data]}
    with pytest.raises(wire.WireError, match="too deeply"):
        kernel.decoder.decode(data)


def _in_view(view, code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(view)), cwd=view)


def test_the_reference_policy_leaves_stubs_and_keeps_helpers_working(tmp_path):
    write_view(ROOT / "course", ("reference",), ("two_layer_net_loss", "Adam"), tmp_path / "course")
    result = _in_view(tmp_path, """
import numpy as np, course
from course.layers import affine_forward
from course.two_layer_net import init_two_layer_net, two_layer_net_loss
from course.optim import Adam, AdamW, SGD
from course.checks import check, check_affine_forward
print(course.__file__)
print(sorted(init_two_layer_net(2, 3, 2)))
for f in (lambda: affine_forward(np.ones((1, 2)), np.ones((2, 1)), np.ones(1)), lambda: two_layer_net_loss({}, None),
          lambda: Adam([np.ones(1)]), lambda: AdamW([np.ones(1)])):
    try:
        f()
    except RuntimeError as error:
        print("refused:", error)
SGD([np.ones(1)], lr=0.1)
check(check_affine_forward, affine_forward)
try:
    import course.checks.judging
except ImportError:
    print("no judging module")
""")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert str(tmp_path) in out.splitlines()[0]
    assert "['W1', 'W2', 'b1', 'b2']" in out
    assert out.count("refused:") == 4 and "course.layers.affine.affine_forward is not available while grading" in out
    assert "⏳ affine_forward: the grader checks this exercise." in out and "no judging module" in out
    assert "dout @ w.T" not in (tmp_path / "course" / "layers" / "affine.py").read_text()


def test_the_torch_policy_makes_torch_fail_to_import_with_a_sentence(tmp_path):
    write_torch_stub(tmp_path)
    result = _in_view(tmp_path, "import torch")
    assert "torch is not available while grading this lab" in result.stderr


def test_shapes_and_dtypes_cross_the_wire_unchanged():
    encoder, decoder = wire.Encoder(), wire.Decoder(None, None)
    for value in (np.array(3.5), np.ones((2, 3)).T, np.arange(4, dtype=np.int32), np.float32(1.5)):
        back = decoder.decode(encoder.encode(value))
        assert back.shape == np.shape(value) and back.dtype == np.asarray(value).dtype
    scalar = decoder.decode(encoder.encode(torch.tensor(2.0, dtype=torch.float64)))
    assert isinstance(scalar, torch.Tensor) and scalar.shape == () and scalar.dtype == torch.float64
