import numpy as np
import pytest
import torch

from course.gradcheck import numerical_gradient, rel_error
from course.layers.lstm import (
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    lstm_weights_from_torch,
)
from tests.torch_oracle import assert_close, assert_gradients_match_numeric, tensor, torch_grads


def random_sizes(rng):
    return (int(s) for s in rng.integers(1, 6, size=3))


@pytest.mark.parametrize("trial", range(4))
def test_lstm_step_matches_torch_lstmcell(rng, trial):
    n, d, h = random_sizes(rng)
    torch.manual_seed(trial)
    cell = torch.nn.LSTMCell(d, h).double()
    Wx, Wh, b = lstm_weights_from_torch(cell)
    x, h_prev, c_prev = rng.normal(size=(n, d)), rng.normal(size=(n, h)), rng.normal(size=(n, h))
    dh, dc = rng.normal(size=(n, h)), rng.normal(size=(n, h))

    h_next, c_next, cache = lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    dx, dh_prev, dc_prev, dWx, dWh, db = lstm_step_backward(dh, dc, cache)

    tx, th, tc = tensor(x), tensor(h_prev), tensor(c_prev)
    th_next, tc_next = cell(tx, (th, tc))
    assert_close(h_next, th_next, what="h")
    assert_close(c_next, tc_next, what="c")
    # the gradient of sum(h * dh) + sum(c * dc): torch gets both upstream gradients at once
    inputs = (tx, th, tc, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    grads = torch.autograd.grad((th_next, tc_next), inputs, grad_outputs=(tensor(dh, False), tensor(dc, False)))
    gx, gh, gc, g_wih, g_whh, g_bih, g_bhh = (g.numpy() for g in grads)
    assert_close(dx, gx, what="dx")
    assert_close(dh_prev, gh, what="dh_prev")
    assert_close(dc_prev, gc, what="dc_prev")
    assert_close(dWx, g_wih.T, what="dWx")
    assert_close(dWh, g_whh.T, what="dWh")
    assert_close(db, g_bih, what="db (against bias_ih)")
    assert_close(db, g_bhh, what="db (against bias_hh)")


@pytest.mark.parametrize("trial", range(3))
def test_lstm_sequence_matches_torch_lstm(rng, trial):
    n, d, h = random_sizes(rng)
    steps = int(rng.integers(1, 6))
    torch.manual_seed(trial)
    lstm = torch.nn.LSTM(d, h, batch_first=True).double()
    Wx, Wh, b = lstm_weights_from_torch(lstm)
    x, h0, dh = rng.normal(size=(n, steps, d)), rng.normal(size=(n, h)), rng.normal(size=(n, steps, h))

    out, cache = lstm_forward(x, h0, Wx, Wh, b)
    dx, dh0, dWx, dWh, db = lstm_backward(dh, cache)

    tx, th0 = tensor(x), tensor(h0)
    tout, _ = lstm(tx, (th0[None], torch.zeros(1, n, h, dtype=torch.float64)))
    assert_close(out, tout, what="h")
    gx, gh0, g_wih, g_whh, g_bhh = torch_grads(tout, dh, tx, th0, lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_hh_l0)
    assert_close(dx, gx, what="dx")
    assert_close(dh0, gh0, what="dh0")
    assert_close(dWx, g_wih.T, what="dWx")
    assert_close(dWh, g_whh.T, what="dWh")
    assert_close(db, g_bhh, what="db")


def test_lstm_step_matches_numeric_gradient():
    rng = np.random.default_rng(1)  # fixed: numeric gradients are judged elementwise
    n, d, h = 2, 3, 4
    arguments = [rng.normal(size=(n, d)), rng.normal(size=(n, h)), rng.normal(size=(n, h)),
                 rng.normal(size=(d, 4 * h)), rng.normal(size=(h, 4 * h)), rng.normal(size=4 * h)]
    dh, dc = rng.normal(size=(n, h)), rng.normal(size=(n, h))
    grads = lstm_step_backward(dh, dc, lstm_step_forward(*arguments)[2])
    for position, grad in enumerate(grads):
        def f(value, position=position):
            changed = list(arguments)
            changed[position] = value
            h_next, c_next, _ = lstm_step_forward(*changed)
            return np.concatenate([h_next, c_next], axis=1)
        expected = numerical_gradient(f, arguments[position], np.concatenate([dh, dc], axis=1))
        assert rel_error(grad, expected) < 1e-7


def test_lstm_sequence_matches_numeric_gradient():
    rng = np.random.default_rng(2)  # fixed: numeric gradients are judged elementwise
    n, t, d, h = 2, 3, 3, 2
    arguments = [rng.normal(size=(n, t, d)), rng.normal(size=(n, h)),
                 rng.normal(size=(d, 4 * h)), rng.normal(size=(h, 4 * h)), rng.normal(size=4 * h)]
    dh = rng.normal(size=(n, t, h))
    grads = lstm_backward(dh, lstm_forward(*arguments)[1])
    assert_gradients_match_numeric(lstm_forward, arguments, grads, dh)


def test_lstm_gate_blocks_are_stacked_i_f_g_o():
    # Only biases: a wide-open forget gate (block 2) and a shut input gate (block 1) keep the cell.
    h = 3
    big = 50.0
    b = np.concatenate([np.full(h, -big), np.full(h, big), np.full(h, 1.0), np.full(h, big)])
    c_prev = np.array([[0.3, -0.2, 0.7]])
    x, h_prev, Wx, Wh = np.zeros((1, 2)), np.zeros((1, h)), np.zeros((2, 4 * h)), np.zeros((h, 4 * h))
    h_next, c_next, _ = lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    assert np.allclose(c_next, c_prev)
    assert np.allclose(h_next, np.tanh(c_prev))  # output gate (block 4) open
    # and the input gate really multiplies the candidate (the erratum drops it): open it, shut f
    b = np.concatenate([np.full(h, big), np.full(h, -big), np.full(h, 1.0), np.full(h, big)])
    _, c_next, _ = lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    assert np.allclose(c_next, np.tanh(1.0))


def test_lstm_rejects_wrong_shapes_in_one_sentence():
    x, h_prev = np.zeros((2, 3)), np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"Wx must have shape \(3, 16\) \(D = 3 rows, 4 blocks of H = 4 columns\)"):
        lstm_step_forward(x, h_prev, h_prev, np.zeros((3, 4)), np.zeros((4, 16)), np.zeros(16))
    with pytest.raises(ValueError, match=r"c_prev has shape \(2, 5\) but h_prev has shape \(2, 4\)"):
        lstm_step_forward(x, h_prev, np.zeros((2, 5)), np.zeros((3, 16)), np.zeros((4, 16)), np.zeros(16))
    with pytest.raises(ValueError, match=r"b must have shape \(16,\)"):
        lstm_step_forward(x, h_prev, h_prev, np.zeros((3, 16)), np.zeros((4, 16)), np.zeros(4))


def test_lstm_weights_from_torch_refuses_what_it_cannot_represent():
    with pytest.raises(ValueError, match="proj_size"):
        lstm_weights_from_torch(torch.nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(ValueError, match="single-layer, unidirectional"):
        lstm_weights_from_torch(torch.nn.LSTM(3, 4, bidirectional=True))
