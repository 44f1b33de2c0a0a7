"""The recurrent checks pass the reference and name the typical mistakes of a student.

Each "student" below is a complete, self-contained implementation with one deliberate mistake.
"""
import numpy as np
import pytest

from course.checks.judging import CheckFailed
from course.checks.recurrent import (
    check_lstm_backward,
    check_lstm_step_backward,
    check_rnn_backward,
    check_rnn_step_backward,
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
    ("no input gate", r"c is wrong .*the input gate is missing: c = f \* c_prev \+ i \* g"),
    ("ignore dc", r"dx is wrong .*the upstream dc is ignored"),
    ("no tanh derivative", r"dx is wrong .*the derivative of tanh\(c\), 1 - tanh\(c\)\*\*2, is missing"),
    ("backward order ifog", r"dx is wrong .*the gate gradients are stacked i, f, o, g"),
    ("dc_prev without f", r"dc_prev is wrong .*dc_prev must be multiplied by the forget gate f"),
])
def test_lstm_step_check_names_the_mistake(mistake, message):
    with pytest.raises(CheckFailed, match=message):
        check_lstm_step_backward(*lstm_student(mistake)[:2])


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


def test_a_check_notices_inputs_changed_in_place():
    def scribbling_forward(x, h_prev, Wx, Wh, b):
        out = rnn_step_forward(x, h_prev, Wx, Wh, b)
        x *= 2
        return out
    with pytest.raises(CheckFailed, match="changed its input x in place"):
        check_rnn_step_backward(scribbling_forward, rnn_step_backward)
