"""The LSTM layer, one step and a whole sequence, with the gate order of torch.

One step, with ``a = x @ Wx + h_prev @ Wh + b`` cut into four blocks of H columns:

    i = sigmoid(a_i)   input gate        f = sigmoid(a_f)   forget gate
    g = tanh(a_g)      candidate cell    o = sigmoid(a_o)   output gate
    c = f * c_prev + i * g               h = o * tanh(c)

The blocks are stacked **i, f, g, o**, as in ``torch.nn.LSTMCell`` / ``torch.nn.LSTM``. Some lecture
notes stack them i, f, o, g instead, and one of them prints the cell update without the input
gate: both are wrong for this course. torch stores ``weight_ih = Wx.T``, ``weight_hh = Wh.T`` and
two biases whose sum is ``b``; ``lstm_weights_from_torch`` converts.
"""
import numpy as np

from .activations import sigmoid_forward
from .recurrent import check_recurrent_shapes, sequence_arrays, single_layer_recurrent_weights
from .validation import as_array


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """One LSTM step. ``x`` (N, D), ``h_prev`` and ``c_prev`` (N, H), ``Wx`` (D, 4H),
    ``Wh`` (H, 4H), ``b`` (4H,). Returns ``(h, c, cache)``. torch twin: ``torch.nn.LSTMCell``."""
    layer = "lstm_step_forward"
    x = as_array(x, "x", layer, ndim=2)
    h_prev = as_array(h_prev, "h_prev", layer, ndim=2)
    c_prev = as_array(c_prev, "c_prev", layer, ndim=2)
    Wx = as_array(Wx, "Wx", layer, ndim=2)
    Wh = as_array(Wh, "Wh", layer, ndim=2)
    b = as_array(b, "b", layer, ndim=1)
    check_recurrent_shapes(layer, x, h_prev, Wx, Wh, {"b": b}, gates=4)
    if c_prev.shape != h_prev.shape:
        raise ValueError(f"{layer}: c_prev has shape {c_prev.shape} but h_prev has shape {h_prev.shape}; they must match.")
    a = x @ Wx + h_prev @ Wh + b
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    i, f, o = sigmoid_forward(a_i)[0], sigmoid_forward(a_f)[0], sigmoid_forward(a_o)[0]
    g = np.tanh(a_g)
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return h, c, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c)


def lstm_step_backward(dh, dc, cache):
    """Gradients of one step; ``dh`` and ``dc`` are the upstream gradients of ``h`` and ``c``.

    The cell receives ``dc + dh * o * (1 - tanh(c)**2)``; from there ``dc_prev`` is that times
    ``f``, and each gate's pre-activation gradient is its share times its local derivative
    (``s * (1 - s)`` for the sigmoids, ``1 - g**2`` for g). Returns
    ``(dx, dh_prev, dc_prev, dWx, dWh, db)``.
    """
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, tanh_c = cache
    dh = as_array(dh, "dh", "lstm_step_backward", ndim=2)
    dc = as_array(dc, "dc", "lstm_step_backward", ndim=2)
    for name, value in (("dh", dh), ("dc", dc)):
        if value.shape != h_prev.shape:
            raise ValueError(
                f"lstm_step_backward: {name} has shape {value.shape} but the step's states had shape {h_prev.shape}."
            )
    dc_total = dc + dh * o * (1.0 - tanh_c * tanh_c)
    da = np.concatenate(
        [
            dc_total * g * i * (1.0 - i),
            dc_total * c_prev * f * (1.0 - f),
            dc_total * i * (1.0 - g * g),
            dh * tanh_c * o * (1.0 - o),
        ],
        axis=1,
    )
    return da @ Wx.T, da @ Wh.T, dc_total * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def lstm_forward(x, h0, Wx, Wh, b):
    """Run the LSTM over ``x`` (N, T, D) from ``h0`` (N, H) and a zero initial cell state.

    Returns ``(h, cache)`` with ``h`` (N, T, H), the hidden state after every step.
    torch twin: ``torch.nn.LSTM(D, H, batch_first=True)(x, (h0[None], zeros))[0]``.
    """
    x, h0 = sequence_arrays("lstm_forward", x, h0)
    n, steps, _ = x.shape
    h = np.zeros((n, steps, h0.shape[1]))
    h_prev, c_prev = h0, np.zeros_like(h0)
    step_caches = []
    for t in range(steps):
        h_prev, c_prev, step_cache = lstm_step_forward(x[:, t], h_prev, c_prev, Wx, Wh, b)
        h[:, t] = h_prev
        step_caches.append(step_cache)
    return h, (step_caches, x.shape, h0.shape, np.shape(Wx), np.shape(Wh))


def lstm_backward(dh, cache):
    """Backpropagation through time for the LSTM. ``dh`` (N, T, H) is the upstream gradient of
    every hidden state; both ``dh_prev`` and ``dc_prev`` are carried back from step to step and
    the weight gradients summed over the steps. Returns ``(dx, dh0, dWx, dWh, db)``."""
    step_caches, x_shape, h0_shape, wx_shape, wh_shape = cache
    dh = as_array(dh, "dh", "lstm_backward", ndim=3)
    n, steps, _ = x_shape
    if dh.shape != (n, steps, h0_shape[1]):
        raise ValueError(
            f"lstm_backward: dh has shape {dh.shape} but the hidden states had shape {(n, steps, h0_shape[1])}."
        )
    dx = np.zeros(x_shape)
    dWx, dWh, db = np.zeros(wx_shape), np.zeros(wh_shape), np.zeros(wh_shape[1])
    dh_next, dc_next = np.zeros(h0_shape), np.zeros(h0_shape)
    for t in reversed(range(steps)):
        dx[:, t], dh_next, dc_next, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dh_next, dc_next, step_caches[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh_next, dWx, dWh, db


def lstm_weights_from_torch(module):
    """``(Wx, Wh, b)`` from ``torch.nn.LSTMCell`` or a single-layer ``torch.nn.LSTM``:
    ``Wx = weight_ih.T`` (D, 4H), ``Wh = weight_hh.T`` (H, 4H), ``b = bias_ih + bias_hh``.
    torch's gate order i, f, g, o is this module's order, so no columns move."""
    weight_ih, weight_hh, bias_ih, bias_hh = single_layer_recurrent_weights(module, "lstm_weights_from_torch")
    return weight_ih.T.copy(), weight_hh.T.copy(), bias_ih + bias_hh
