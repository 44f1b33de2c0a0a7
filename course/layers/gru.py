"""The GRU layer, one step and a whole sequence, with the equations of ``torch.nn.GRUCell``.

With ``ax = x @ Wx + bx`` and ``ah = h_prev @ Wh + bh``, each cut into three blocks of H columns
stacked **r, z, n** (torch's order):

    r = sigmoid(ax_r + ah_r)          reset gate
    z = sigmoid(ax_z + ah_z)          update gate
    n = tanh(ax_n + r * ah_n)         candidate; r multiplies ``h_prev @ Wh_n + bh_n``
    h = (1 - z) * n + z * h_prev

Two biases are needed because the reset gate multiplies the hidden part *including its bias*.
Conventions differ between sources: Cho et al. (2014) and Olah write ``h = (1 - z) * h_prev + z * n``
(z swaps roles) and apply r before the matrix product. This course follows torch.
torch stores ``weight_ih = Wx.T``, ``weight_hh = Wh.T``, ``bias_ih = bx``, ``bias_hh = bh``.
"""
import numpy as np

from .activations import sigmoid_forward
from .recurrent import check_recurrent_shapes, sequence_arrays, single_layer_recurrent_weights
from .validation import as_array


def gru_step_forward(x, h_prev, Wx, Wh, bx, bh):
    """One GRU step. ``x`` (N, D), ``h_prev`` (N, H), ``Wx`` (D, 3H), ``Wh`` (H, 3H),
    ``bx`` and ``bh`` (3H,). Returns ``(h, cache)``. torch twin: ``torch.nn.GRUCell``."""
    layer = "gru_step_forward"
    x = as_array(x, "x", layer, ndim=2)
    h_prev = as_array(h_prev, "h_prev", layer, ndim=2)
    Wx = as_array(Wx, "Wx", layer, ndim=2)
    Wh = as_array(Wh, "Wh", layer, ndim=2)
    bx = as_array(bx, "bx", layer, ndim=1)
    bh = as_array(bh, "bh", layer, ndim=1)
    check_recurrent_shapes(layer, x, h_prev, Wx, Wh, {"bx": bx, "bh": bh}, gates=3)
    ax_r, ax_z, ax_n = np.split(x @ Wx + bx, 3, axis=1)
    ah_r, ah_z, ah_n = np.split(h_prev @ Wh + bh, 3, axis=1)
    r = sigmoid_forward(ax_r + ah_r)[0]
    z = sigmoid_forward(ax_z + ah_z)[0]
    n = np.tanh(ax_n + r * ah_n)
    h = (1.0 - z) * n + z * h_prev
    return h, (x, h_prev, Wx, Wh, r, z, n, ah_n)


def gru_step_backward(dh, cache):
    """Gradients of one step: ``dh_prev`` collects ``dh * z`` directly plus what flows back
    through the gates. Returns ``(dx, dh_prev, dWx, dWh, dbx, dbh)``."""
    x, h_prev, Wx, Wh, r, z, n, ah_n = cache
    dh = as_array(dh, "dh", "gru_step_backward", ndim=2)
    if dh.shape != h_prev.shape:
        raise ValueError(f"gru_step_backward: dh has shape {dh.shape} but the step's output h had shape {h_prev.shape}.")
    dn_pre = dh * (1.0 - z) * (1.0 - n * n)  # gradient of the pre-activation of n
    dz_pre = dh * (h_prev - n) * z * (1.0 - z)
    dr_pre = dn_pre * ah_n * r * (1.0 - r)
    dax = np.concatenate([dr_pre, dz_pre, dn_pre], axis=1)
    dah = np.concatenate([dr_pre, dz_pre, dn_pre * r], axis=1)
    dx = dax @ Wx.T
    dh_prev = dh * z + dah @ Wh.T
    return dx, dh_prev, x.T @ dax, h_prev.T @ dah, dax.sum(axis=0), dah.sum(axis=0)


def gru_forward(x, h0, Wx, Wh, bx, bh):
    """Run the GRU over ``x`` (N, T, D) from ``h0`` (N, H). Returns ``(h, cache)`` with ``h``
    (N, T, H). torch twin: ``torch.nn.GRU(D, H, batch_first=True)(x, h0[None])[0]``."""
    x, h0 = sequence_arrays("gru_forward", x, h0)
    n, steps, _ = x.shape
    h = np.zeros((n, steps, h0.shape[1]))
    h_prev = h0
    step_caches = []
    for t in range(steps):
        h_prev, step_cache = gru_step_forward(x[:, t], h_prev, Wx, Wh, bx, bh)
        h[:, t] = h_prev
        step_caches.append(step_cache)
    return h, (step_caches, x.shape, h0.shape, np.shape(Wx), np.shape(Wh))


def gru_backward(dh, cache):
    """Backpropagation through time for the GRU; ``dh`` (N, T, H) is the upstream gradient of
    every hidden state. Returns ``(dx, dh0, dWx, dWh, dbx, dbh)``."""
    step_caches, x_shape, h0_shape, wx_shape, wh_shape = cache
    dh = as_array(dh, "dh", "gru_backward", ndim=3)
    n, steps, _ = x_shape
    if dh.shape != (n, steps, h0_shape[1]):
        raise ValueError(
            f"gru_backward: dh has shape {dh.shape} but the hidden states had shape {(n, steps, h0_shape[1])}."
        )
    dx = np.zeros(x_shape)
    dWx, dWh = np.zeros(wx_shape), np.zeros(wh_shape)
    dbx, dbh = np.zeros(wx_shape[1]), np.zeros(wh_shape[1])
    dh_next = np.zeros(h0_shape)
    for t in reversed(range(steps)):
        dx[:, t], dh_next, dWx_t, dWh_t, dbx_t, dbh_t = gru_step_backward(dh[:, t] + dh_next, step_caches[t])
        dWx += dWx_t
        dWh += dWh_t
        dbx += dbx_t
        dbh += dbh_t
    return dx, dh_next, dWx, dWh, dbx, dbh


def gru_weights_from_torch(module):
    """``(Wx, Wh, bx, bh)`` from ``torch.nn.GRUCell`` or a single-layer ``torch.nn.GRU``:
    ``Wx = weight_ih.T`` (D, 3H), ``Wh = weight_hh.T`` (H, 3H), ``bx = bias_ih``, ``bh = bias_hh``
    (kept apart, unlike the LSTM's, because r multiplies only the hidden part)."""
    weight_ih, weight_hh, bias_ih, bias_hh = single_layer_recurrent_weights(module, "gru_weights_from_torch")
    return weight_ih.T.copy(), weight_hh.T.copy(), bias_ih, bias_hh
