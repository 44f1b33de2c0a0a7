"""The recurrent checks pass the reference and name the typical mistakes of a student.

Each "student" below is a complete, self-contained implementation with one deliberate mistake.
"""
import numpy as np
import pytest

from course.checks.judging import CheckFailed, take_notes
from tests.checks.failing import fails_with
from course.checks.recurrent import (
    GATES,
    check_lstm_backward,
    check_lstm_step_backward,
    check_lstm_step_forward,
    check_rnn_backward,
    check_rnn_step_backward,
    other_gate_orders,
)
from course.layers.lstm import lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from course.layers.recurrent import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


# ------------------------------------------------------------------ RNN students

def rnn_student(mistake=None):
    def step_forward(x, h_prev, Wx, Wh, b):
        a = x @ Wx + h_prev @ Wh + (0 if mistake == "no bias" else b)
        h = sigmoid(a) if mistake == "sigmoid" else np.tanh(a)
        return h, (x, h_prev, Wx, Wh, a, h)

    def step_backward(dh, cache):
        x, h_prev, Wx, Wh, a, h = cache
        local = {"derivative from a": 1 - a**2, "no derivative": 1.0}.get(mistake, 1 - h**2)
        da = dh * local
        dWh = (h if mistake == "dWh from h" else h_prev).T @ da
        grads = (da @ Wx.T, da @ Wh.T, x.T @ da, dWh, da.sum(axis=0))
        return grads[:4] if mistake == "four values" else grads

    def forward(x, h0, Wx, Wh, b):
        h, caches, h_prev = [], [], h0
        for t in range(x.shape[1]):
            h_t, cache = step_forward(x[:, t], h0 if mistake == "always h0" else h_prev, Wx, Wh, b)
            h.append(h_t)
            caches.append(cache)
            h_prev = h_t
        return np.stack(h, axis=1), caches

    def backward(dh, caches):
        x, h_prev, Wx, Wh, _, _ = caches[0]
        dx = np.zeros((dh.shape[0], dh.shape[1], x.shape[1]))
        dWx, dWh, db, carried = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[1]), np.zeros_like(h_prev)
        for t in reversed(range(dh.shape[1])):
            upstream = dh[:, t] if mistake != "last dh only" or t == dh.shape[1] - 1 else 0.0
            total = upstream + (0.0 if mistake == "no carry" else carried)
            dx[:, t], carried, dWx_t, dWh_t, db_t = step_backward(total, caches[t])
            if mistake == "overwrite":
                dWx, dWh, db = dWx_t, dWh_t, db_t
            else:
                dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
        return dx, carried, dWx, dWh, db

    return step_forward, step_backward, forward, backward


def test_rnn_step_check_passes_the_reference_and_a_correct_student():
    for seed in range(3):
        check_rnn_step_backward(rnn_step_forward, rnn_step_backward, seed=seed)
        check_rnn_step_backward(*rnn_student()[:2], seed=seed, N=2, D=3, H=6)


@pytest.mark.parametrize("mistake, message", [
    ("derivative from a", r"dx is wrong .*tanh's derivative is taken from its input a; use 1 - h\*\*2"),
    ("no derivative", r"dx is wrong .*the tanh derivative \(1 - h\*\*2\) is missing"),
    ("dWh from h", r"dWh is wrong .*dWh uses the new state h where it needs h_prev"),
    ("no bias", r"h is wrong .*the bias b is missing"),
    ("sigmoid", r"h is wrong .*it uses sigmoid where the RNN uses tanh"),
    ("four values", r"rnn_step_backward should return 5 values \(dx, dh_prev, dWx, dWh, db\), got 4 values"),
])
def test_rnn_step_check_names_the_mistake(mistake, message):
    with pytest.raises(CheckFailed, match=message):
        check_rnn_step_backward(*rnn_student(mistake)[:2])


def test_rnn_step_check_reports_an_exception_in_one_line():
    def broken(dh, cache):
        raise IndexError("tuple index out of range")
    with pytest.raises(CheckFailed, match=r"^rnn_step_backward: broken raised IndexError: tuple index out of range$"):
        check_rnn_step_backward(rnn_step_forward, broken)


def test_rnn_sequence_check_passes_the_reference_and_a_correct_student():
    for seed in range(3):
        check_rnn_backward(rnn_forward, rnn_backward, seed=seed)
        check_rnn_backward(*rnn_student()[2:], seed=seed, N=3, T=2, D=2, H=3)


@pytest.mark.parametrize("mistake, message", [
    ("no carry", r"dx is wrong .*dh_prev is not carried back"),
    ("last dh only", r"dx is wrong .*only dh\[:, -1\] is used"),
    ("overwrite", r"dWx is wrong .*only the first time step's contribution: add up \(\+=\)"),
    ("always h0", r"h is wrong .*every step starts from h0 instead of the previous step's hidden state"),
    ("derivative from a", r"dx is wrong .*tanh's derivative is taken from its input a"),
])
def test_rnn_sequence_check_names_the_mistake(mistake, message):
    with pytest.raises(CheckFailed, match=message):
        check_rnn_backward(*rnn_student(mistake)[2:])


# ------------------------------------------------------------------ LSTM students

def lstm_student(mistake=None):
    def step_forward(x, h_prev, c_prev, Wx, Wh, b):
        a = x @ Wx + h_prev @ Wh + b
        H = h_prev.shape[1]
        if mistake == "forward order ifog":  # the lecture notes' stacking
            i, f, o, g = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
        else:
            i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
        c = f * c_prev + (g if mistake == "no input gate" else i * g)
        h = o * np.tanh(c)
        return h, c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c)

    def step_backward(dh, dc, cache):
        x, h_prev, c_prev, Wx, Wh, i, f, g, o, c = cache
        local = 1.0 if mistake == "no tanh derivative" else 1 - np.tanh(c) ** 2
        dc_total = (0.0 if mistake == "ignore dc" else dc) + dh * o * local
        di, df, dg, do = dc_total * g, dc_total * c_prev, dc_total * i, dh * np.tanh(c)
        blocks = [di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)]
        if mistake in ("backward order ifog", "forward order ifog"):
            blocks = [blocks[0], blocks[1], blocks[3], blocks[2]]
        da = np.concatenate(blocks, axis=1)
        dc_prev = dc_total if mistake == "dc_prev without f" else dc_total * f
        return da @ Wx.T, da @ Wh.T, dc_prev, x.T @ da, h_prev.T @ da, da.sum(axis=0)

    def forward(x, h0, Wx, Wh, b):
        h, caches, h_prev, c_prev = [], [], h0, np.zeros_like(h0)
        for t in range(x.shape[1]):
            h_prev, c_prev, cache = step_forward(x[:, t], h_prev, c_prev, Wx, Wh, b)
            h.append(h_prev)
            caches.append(cache)
        return np.stack(h, axis=1), caches

    def backward(dh, caches):
        x, h_prev, _, Wx, Wh = caches[0][:5]
        dx = np.zeros((dh.shape[0], dh.shape[1], x.shape[1]))
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[1])
        dh_next, dc_next = np.zeros_like(h_prev), np.zeros_like(h_prev)
        for t in reversed(range(dh.shape[1])):
            dc_in = np.zeros_like(dc_next) if mistake == "no cell carry" else dc_next
            dh_in = dh[:, t] + (0.0 if mistake == "no hidden carry" else dh_next)
            dx[:, t], dh_next, dc_next, dWx_t, dWh_t, db_t = step_backward(dh_in, dc_in, caches[t])
            dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
        return dx, dh_next, dWx, dWh, db

    return step_forward, step_backward, forward, backward


def test_lstm_step_check_passes_the_reference_and_a_correct_student():
    for seed in range(3):
        check_lstm_step_backward(lstm_step_forward, lstm_step_backward, seed=seed)
        check_lstm_step_backward(*lstm_student()[:2], seed=seed, N=2, D=2, H=3)


@pytest.mark.parametrize("mistake, message", [
    ("forward order ifog", r"c is wrong .*the gates are read in the order i, f, o, g .*this course use i, f, g, o"),
    ("no input gate", r"c is wrong .*the input gate is missing: the candidate enters the cell scaled by i"),
    ("ignore dc", r"dx is wrong .*the upstream dc is ignored"),
    ("no tanh derivative", r"dx is wrong .*the derivative of tanh\(c\), 1 - tanh\(c\)\*\*2, is missing"),
    ("backward order ifog", r"dx is wrong .*the gate gradients are stacked i, f, o, g"),
    ("dc_prev without f", r"dc_prev is wrong .*dc_prev must be multiplied by the forget gate f"),
])
def test_lstm_step_check_names_the_mistake(mistake, message):
    with pytest.raises(CheckFailed, match=message):
        check_lstm_step_backward(*lstm_student(mistake)[:2])


def reads_gates_in(order):
    """An LSTM step (and sequence) forward that takes column block k as gate ``order[k]``."""
    def step_forward(x, h_prev, c_prev, Wx, Wh, b):
        blocks = dict(zip(order, np.split(x @ Wx + h_prev @ Wh + b, 4, axis=1)))
        i, f, o, g = sigmoid(blocks["i"]), sigmoid(blocks["f"]), sigmoid(blocks["o"]), np.tanh(blocks["g"])
        c = f * c_prev + i * g
        return o * np.tanh(c), c, None

    def forward(x, h0, Wx, Wh, b):
        h, h_prev, c_prev = [], h0, np.zeros_like(h0)
        for t in range(x.shape[1]):
            h_prev, c_prev, _ = step_forward(x[:, t], h_prev, c_prev, Wx, Wh, b)
            h.append(h_prev)
        return np.stack(h, axis=1), None

    return step_forward, forward


def test_every_other_gate_order_is_listed_once_the_known_ones_first():
    orders = other_gate_orders()
    assert len(orders) == len(set(orders)) == 23 and GATES not in orders
    assert orders[:4] == [("i", "f", "o", "g"), ("i", "g", "f", "o"), ("i", "o", "f", "g"), ("f", "i", "g", "o")]


@pytest.mark.parametrize("order", other_gate_orders(), ids=lambda order: "".join(order))
def test_lstm_checks_name_the_gate_order_the_student_used(order):
    step_forward, forward = reads_gates_in(order)
    named = rf"the gates are read in the order {', '.join(order)}\b.*this course use i, f, g, o"
    message = fails_with(r"c is wrong .*" + named, check_lstm_step_forward, step_forward)
    assert "Hint: the new cell keeps the old cell scaled by the forget gate" in message
    assert "input gate, the forget gate, the candidate and the output gate" in message
    fails_with(r"h is wrong .*" + named, check_lstm_backward, forward, lstm_backward)


def test_the_known_gate_orders_say_where_they_come_from():
    for order, source in [(("i", "f", "o", "g"), "CS231n"), (("i", "g", "f", "o"), "TensorFlow 1"),
                          (("i", "o", "f", "g"), "ONNX")]:
        fails_with(source, check_lstm_step_forward, reads_gates_in(order)[0])
    message = fails_with("f, i, g, o", check_lstm_step_forward, reads_gates_in(("f", "i", "g", "o"))[0])
    assert "(" not in message.split("order f, i, g, o")[1].split(";")[0]


@pytest.mark.parametrize("order", [("i", "f", "o", "g"), ("o", "g", "f", "i"), ("f", "i", "g", "o")],
                         ids=lambda order: "".join(order))
def test_lstm_step_check_names_the_stacking_of_the_gate_gradients(order):
    def step_backward(dh, dc, cache):  # right dx, dh_prev, dc_prev; weight gradients restacked in ``order``
        dx, dh_prev, dc_prev, *weight_grads = lstm_step_backward(dh, dc, cache)
        blocks = [dict(zip(GATES, np.split(g, 4, axis=-1))) for g in weight_grads]
        return (dx, dh_prev, dc_prev, *(np.concatenate([b[gate] for gate in order], axis=-1) for b in blocks))
    fails_with(rf"dWx is wrong .*the gate gradients are stacked {', '.join(order)}; stack them i, f, g, o",
               check_lstm_step_backward, lstm_step_forward, step_backward)


def test_lstm_sequence_check_passes_the_reference_and_a_correct_student():
    for seed in range(2):
        check_lstm_backward(lstm_forward, lstm_backward, seed=seed)
        check_lstm_backward(*lstm_student()[2:], seed=seed, N=3, T=4, D=2, H=2)


@pytest.mark.parametrize("mistake, message", [
    ("no cell carry", r"dx is wrong .*the cell gradient is not carried back"),
    ("no hidden carry", r"dx is wrong .*dh_prev is not carried back"),
    ("no input gate", r"h is wrong"),
])
def test_lstm_sequence_check_names_the_mistake(mistake, message):
    with pytest.raises(CheckFailed, match=message):
        check_lstm_backward(*lstm_student(mistake)[2:])


def test_an_input_changed_in_place_is_a_note_beside_the_pass():
    def scribbling_forward(x, h_prev, Wx, Wh, b):
        out = rnn_step_forward(x.copy(), h_prev, Wx, Wh, b)  # the cache keeps its own copy of x
        x *= 2
        return out
    take_notes()
    check_rnn_step_backward(scribbling_forward, rnn_step_backward)
    notes = take_notes()
    assert [note.id for note in notes] == ["rnn_step_backward/scribbling-forward/it-changes-its-input-in-place"]
    assert "scribbling_forward changes its input x in place" in notes[0].sentence


def test_a_backward_pass_that_later_changes_an_array_of_its_cache_still_passes():
    kept = {}

    def forward(x, h0, Wx, Wh, b):
        kept["Wx"] = Wx  # the array the student's forward received (a copy of the check's)
        h, cache = lstm_forward(x, h0, Wx, Wh, b)
        return h, {"steps": cache}

    def backward(dh, cache):
        grads = lstm_backward(dh, cache["steps"])
        kept["Wx"] *= 2
        return grads
    check_lstm_backward(forward, backward)
