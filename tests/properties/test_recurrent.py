"""RNN, LSTM and GRU steps and sequences against torch's cells and layers, with torch's weights
set from the drawn arrays (``weight_ih = Wx.T``, ``weight_hh = Wh.T``); empty batches too."""
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from course import layers
from tests.properties.strategies import BATCH, SIDE, arrays, assert_matches
from tests.torch_oracle import tensor, torch_grads

# kind -> (blocks of H columns, torch cell, torch layer, number of bias arrays in our API)
KINDS = {
    "rnn": (1, torch.nn.RNNCell, torch.nn.RNN, 1),
    "lstm": (4, torch.nn.LSTMCell, torch.nn.LSTM, 1),
    "gru": (3, torch.nn.GRUCell, torch.nn.GRU, 2),
}


@st.composite
def recurrent_problem(draw, kind, sequence):
    """Inputs, weights in our layout and the upstream gradient of one step or of a sequence."""
    blocks, _, _, bias_count = KINDS[kind]
    n, inputs, hidden = draw(BATCH), draw(SIDE), draw(SIDE)
    steps = (draw(st.integers(1, 3)),) if sequence else ()
    x = draw(arrays((n, *steps, inputs)))
    h_prev = draw(arrays((n, hidden)))
    weights = [draw(arrays((inputs, blocks * hidden), 1.0)), draw(arrays((hidden, blocks * hidden), 1.0))]
    biases = [draw(arrays((blocks * hidden,), 1.0)) for _ in range(bias_count)]
    dh = draw(arrays((n, *steps, hidden)))
    return x, h_prev, weights, biases, dh


def with_weights(module, kind, weights, biases):
    """``module`` in float64 with our weights, and its four parameters in torch's order."""
    module = module.double()
    suffix = "_l0" if hasattr(module, "weight_ih_l0") else ""
    bias_hh = biases[1] if kind == "gru" else 0.0 * biases[0]  # RNN and LSTM: b = bias_ih + bias_hh
    values = (weights[0].T, weights[1].T, biases[0], bias_hh)
    parameters = [getattr(module, name + suffix) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    with torch.no_grad():
        for parameter, value in zip(parameters, values):
            parameter.copy_(torch.from_numpy(value.copy()))
    return module, parameters


def assert_grads_match(ours, theirs, kind):
    """Ours ``(dx, dh, dWx, dWh, *dbiases)`` against torch's ``(dx, dh, dW_ih, dW_hh, db_ih, db_hh)``."""
    dx, dh, dWx, dWh, *dbiases = ours
    gx, gh, g_ih, g_hh, g_bih, g_bhh = theirs
    assert_matches(dx, gx, what="dx")
    assert_matches(dh, gh, what="dh_prev / dh0")
    assert_matches(dWx, g_ih.T, what="dWx")
    assert_matches(dWh, g_hh.T, what="dWh")
    assert_matches(dbiases[0], g_bih, what="db / dbx")
    assert_matches(dbiases[-1], g_bhh, what="db / dbh")


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_one_step_matches_torch_cell(kind, data):
    x, h_prev, weights, biases, dh = data.draw(recurrent_problem(kind, sequence=False))
    cell, parameters = with_weights(KINDS[kind][1](x.shape[-1], h_prev.shape[1]), kind, weights, biases)
    tx, th = tensor(x), tensor(h_prev)
    if kind == "lstm":
        c_prev = data.draw(arrays(h_prev.shape), label="c_prev")
        dc = data.draw(arrays(h_prev.shape), label="dc")
        h, c, cache = layers.lstm_step_forward(x, h_prev, c_prev, *weights, *biases)
        tc = tensor(c_prev)
        th_out, tc_out = cell(tx, (th, tc))
        assert_matches(h, th_out, what="h")
        assert_matches(c, tc_out, what="c")
        dx, dh_prev, dc_prev, *weight_grads = layers.lstm_step_backward(dh, dc, cache)
        upstream = torch.autograd.grad((th_out, tc_out), (tx, th, tc, *parameters),
                                       (tensor(dh, grad=False), tensor(dc, grad=False)))
        grads = [g.numpy() for g in upstream]
        assert_matches(dc_prev, grads[2], what="dc_prev")
        assert_grads_match((dx, dh_prev, *weight_grads), grads[:2] + grads[3:], kind)
        return
    h, cache = getattr(layers, f"{kind}_step_forward")(x, h_prev, *weights, *biases)
    th_out = cell(tx, th)
    assert_matches(h, th_out, what="h")
    h *= 2.0  # the caller may change the returned state: the cache must not share it
    backward = getattr(layers, f"{kind}_step_backward")
    assert_grads_match(backward(dh, cache), torch_grads(th_out, dh, tx, th, *parameters), kind)


@pytest.mark.parametrize("kind", KINDS)
@given(data=st.data())
def test_sequence_matches_torch_layer(kind, data):
    x, h0, weights, biases, dh = data.draw(recurrent_problem(kind, sequence=True))
    module, parameters = with_weights(KINDS[kind][2](x.shape[-1], h0.shape[1], batch_first=True), kind, weights, biases)
    tx, th0 = tensor(x), tensor(h0)
    initial = (th0[None], torch.zeros_like(th0)[None]) if kind == "lstm" else th0[None]
    tout = module(tx, initial)[0]
    h, cache = getattr(layers, f"{kind}_forward")(x, h0, *weights, *biases)
    assert_matches(h, tout, what="h")
    backward = getattr(layers, f"{kind}_backward")
    assert_grads_match(backward(dh, cache), torch_grads(tout, dh, tx, th0, *parameters), kind)
