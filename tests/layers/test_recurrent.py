import numpy as np
import pytest
import torch

from course.layers.recurrent import (
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
    rnn_weights_from_torch,
)
from tests.torch_oracle import assert_close, assert_gradients_match_numeric, tensor, torch_grads


def random_sizes(rng):
    return (int(s) for s in rng.integers(1, 6, size=3))


@pytest.mark.parametrize("trial", range(4))
def test_rnn_step_matches_torch_rnncell(rng, trial):
    n, d, h = random_sizes(rng)
    torch.manual_seed(trial)
    cell = torch.nn.RNNCell(d, h, nonlinearity="tanh").double()
    Wx, Wh, b = rnn_weights_from_torch(cell)
    x, h_prev, dh = rng.normal(size=(n, d)), rng.normal(size=(n, h)), rng.normal(size=(n, h))

    out, cache = rnn_step_forward(x, h_prev, Wx, Wh, b)
    dx, dh_prev, dWx, dWh, db = rnn_step_backward(dh, cache)

    tx, th = tensor(x), tensor(h_prev)
    tout = cell(tx, th)
    assert_close(out, tout, what="h")
    parameters = (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    gx, gh, g_wih, g_whh, g_bih, g_bhh = torch_grads(tout, dh, tx, th, *parameters)
    assert_close(dx, gx, what="dx")
    assert_close(dh_prev, gh, what="dh_prev")
    assert_close(dWx, g_wih.T, what="dWx")
    assert_close(dWh, g_whh.T, what="dWh")
    assert_close(db, g_bih, what="db (against bias_ih)")
    assert_close(db, g_bhh, what="db (against bias_hh)")


@pytest.mark.parametrize("trial", range(3))
def test_rnn_sequence_matches_torch_rnn(rng, trial):
    n, d, h = random_sizes(rng)
    steps = int(rng.integers(1, 6))
    torch.manual_seed(trial)
    rnn = torch.nn.RNN(d, h, batch_first=True).double()
    Wx, Wh, b = rnn_weights_from_torch(rnn)
    x, h0, dh = rng.normal(size=(n, steps, d)), rng.normal(size=(n, h)), rng.normal(size=(n, steps, h))

    out, cache = rnn_forward(x, h0, Wx, Wh, b)
    dx, dh0, dWx, dWh, db = rnn_backward(dh, cache)

    tx, th0 = tensor(x), tensor(h0)
    tout, _ = rnn(tx, th0[None])
    assert_close(out, tout, what="h")
    gx, gh0, g_wih, g_whh, g_bih = torch_grads(tout, dh, tx, th0, rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0)
    assert_close(dx, gx, what="dx")
    assert_close(dh0, gh0, what="dh0")
    assert_close(dWx, g_wih.T, what="dWx")
    assert_close(dWh, g_whh.T, what="dWh")
    assert_close(db, g_bih, what="db")


def test_rnn_step_matches_numeric_gradient():
    rng = np.random.default_rng(1)  # fixed: numeric gradients are judged elementwise
    x, h_prev = rng.normal(size=(3, 4)), rng.normal(size=(3, 5))
    Wx, Wh, b = rng.normal(size=(4, 5)), rng.normal(size=(5, 5)), rng.normal(size=5)
    dh = rng.normal(size=(3, 5))
    grads = rnn_step_backward(dh, rnn_step_forward(x, h_prev, Wx, Wh, b)[1])
    assert_gradients_match_numeric(rnn_step_forward, [x, h_prev, Wx, Wh, b], grads, dh)


def test_rnn_sequence_matches_numeric_gradient():
    rng = np.random.default_rng(2)  # fixed: numeric gradients are judged elementwise
    x, h0 = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 3))
    Wx, Wh, b = rng.normal(size=(3, 3)), 0.5 * rng.normal(size=(3, 3)), rng.normal(size=3)
    dh = rng.normal(size=(2, 4, 3))
    grads = rnn_backward(dh, rnn_forward(x, h0, Wx, Wh, b)[1])
    assert_gradients_match_numeric(rnn_forward, [x, h0, Wx, Wh, b], grads, dh)


def test_rnn_forward_starts_from_h0_and_keeps_every_step():
    x = np.zeros((1, 3, 2))
    Wx, Wh, b = np.zeros((2, 1)), np.full((1, 1), 2.0), np.zeros(1)
    h, _ = rnn_forward(x, np.full((1, 1), 0.5), Wx, Wh, b)
    assert np.allclose(h[0, :, 0], [np.tanh(1.0), np.tanh(2 * np.tanh(1.0)), np.tanh(2 * np.tanh(2 * np.tanh(1.0)))])


def test_rnn_rejects_wrong_shapes_in_one_sentence():
    with pytest.raises(ValueError, match=r"Wx must have shape \(4, 5\)"):
        rnn_step_forward(np.zeros((3, 4)), np.zeros((3, 5)), np.zeros((5, 4)), np.zeros((5, 5)), np.zeros(5))
    with pytest.raises(ValueError, match=r"x has 3 examples but h_prev has 2"):
        rnn_step_forward(np.zeros((3, 4)), np.zeros((2, 5)), np.zeros((4, 5)), np.zeros((5, 5)), np.zeros(5))
    with pytest.raises(ValueError, match=r"x must have 3 dimensions"):
        rnn_forward(np.zeros((3, 4)), np.zeros((3, 5)), np.zeros((4, 5)), np.zeros((5, 5)), np.zeros(5))
    _, cache = rnn_forward(np.zeros((2, 3, 4)), np.zeros((2, 5)), np.zeros((4, 5)), np.zeros((5, 5)), np.zeros(5))
    with pytest.raises(ValueError, match=r"dh has shape \(2, 3, 4\) but the hidden states had shape \(2, 3, 5\)"):
        rnn_backward(np.zeros((2, 3, 4)), cache)


def test_rnn_weights_from_torch_refuses_what_it_cannot_represent():
    with pytest.raises(ValueError, match="uses ReLU"):
        rnn_weights_from_torch(torch.nn.RNNCell(3, 4, nonlinearity="relu"))
    with pytest.raises(ValueError, match="single-layer, unidirectional"):
        rnn_weights_from_torch(torch.nn.RNN(3, 4, num_layers=2))
    Wx, Wh, b = rnn_weights_from_torch(torch.nn.RNNCell(3, 4, bias=False))
    assert Wx.shape == (3, 4) and Wh.shape == (4, 4) and not b.any()


def test_changing_the_returned_hidden_state_leaves_the_step_cache_intact(rng):
    x, h_prev = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    Wx, Wh, b, dh = rng.normal(size=(3, 4)), rng.normal(size=(4, 4)), rng.normal(size=4), rng.normal(size=(2, 4))
    expected = rnn_step_backward(dh, rnn_step_forward(x, h_prev, Wx, Wh, b)[1])
    h, cache = rnn_step_forward(x, h_prev, Wx, Wh, b)
    h *= 0.0  # h used to be the cache's own array, so the backward pass read zeros
    for ours, theirs in zip(rnn_step_backward(dh, cache), expected):
        np.testing.assert_array_equal(ours, theirs)
