"""The vanilla (Elman) recurrent layer with tanh, one step and a whole sequence.

One step: ``h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b)``, the same ``Wx, Wh, b`` at every step.
The backward pass of a sequence is backpropagation through time (BPTT): walk the steps in
reverse, carry the gradient of each hidden state back to the step before, and add up the
weight gradients of all steps.

torch twins: ``torch.nn.RNNCell(D, H, nonlinearity="tanh")`` and
``torch.nn.RNN(D, H, batch_first=True)``. torch stores ``weight_ih = Wx.T``,
``weight_hh = Wh.T`` and two biases whose sum is ``b``; ``rnn_weights_from_torch`` converts.
"""
import numpy as np

from .validation import as_array


def check_recurrent_shapes(layer, x, h_prev, Wx, Wh, biases, gates):
    """Shared by the RNN, LSTM and GRU: ``x`` (N, D), ``h_prev`` (N, H), ``Wx`` (D, gates*H),
    ``Wh`` (H, gates*H), each bias (gates*H,). Raises one clear ValueError otherwise."""
    n, d = x.shape
    h = h_prev.shape[1]
    width = gates * h
    stacked = f"{gates} blocks of H = {h} columns" if gates > 1 else f"H = {h} columns"
    if h_prev.shape[0] != n:
        raise ValueError(f"{layer}: x has {n} examples but h_prev has {h_prev.shape[0]} (shape {h_prev.shape}).")
    if Wx.shape != (d, width):
        raise ValueError(f"{layer}: Wx must have shape ({d}, {width}) (D = {d} rows, {stacked}), got {Wx.shape}.")
    if Wh.shape != (h, width):
        raise ValueError(f"{layer}: Wh must have shape ({h}, {width}) (H = {h} rows, {stacked}), got {Wh.shape}.")
    for name, bias in biases.items():
        if bias.shape != (width,):
            raise ValueError(f"{layer}: {name} must have shape ({width},), got {bias.shape}.")


def sequence_arrays(layer, x, h0):
    """``x`` (N, T, D) and ``h0`` (N, H) as float arrays, with one clear error on a wrong shape."""
    x = as_array(x, "x", layer, ndim=3)
    h0 = as_array(h0, "h0", layer, ndim=2)
    return x, h0


def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """One step ``h = tanh(x @ Wx + h_prev @ Wh + b)``.

    ``x`` (N, D), ``h_prev`` (N, H), ``Wx`` (D, H), ``Wh`` (H, H), ``b`` (H,). Returns
    ``(h, cache)`` with ``h`` (N, H). torch twin: ``torch.nn.RNNCell(D, H)``.
    """
    layer = "rnn_step_forward"
    x = as_array(x, "x", layer, ndim=2)
    h_prev = as_array(h_prev, "h_prev", layer, ndim=2)
    Wx = as_array(Wx, "Wx", layer, ndim=2)
    Wh = as_array(Wh, "Wh", layer, ndim=2)
    b = as_array(b, "b", layer, ndim=1)
    check_recurrent_shapes(layer, x, h_prev, Wx, Wh, {"b": b}, gates=1)
    h = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h, (x, h_prev, Wx, Wh, h.copy())  # a copy: changing the returned h leaves the cache intact


def rnn_step_backward(dh, cache):
    """Gradients of one step. With ``da = dh * (1 - h**2)`` (tanh' from the *output* h):
    ``dx = da @ Wx.T``, ``dh_prev = da @ Wh.T``, ``dWx = x.T @ da``, ``dWh = h_prev.T @ da``,
    ``db = da`` summed over the batch. Returns ``(dx, dh_prev, dWx, dWh, db)``."""
    x, h_prev, Wx, Wh, h = cache
    dh = as_array(dh, "dh", "rnn_step_backward", ndim=2)
    if dh.shape != h.shape:
        raise ValueError(f"rnn_step_backward: dh has shape {dh.shape} but the step's output h had shape {h.shape}.")
    da = dh * (1.0 - h * h)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    """Run the RNN over a sequence: ``x`` (N, T, D), ``h0`` (N, H) -> ``h`` (N, T, H), the
    hidden state after every step (``h0`` itself is not included). Returns ``(h, cache)``.
    torch twin: ``torch.nn.RNN(D, H, batch_first=True)(x, h0[None])[0]``."""
    x, h0 = sequence_arrays("rnn_forward", x, h0)
    n, steps, _ = x.shape
    h = np.zeros((n, steps, h0.shape[1]))
    step_caches = []
    h_prev = h0
    for t in range(steps):
        h_prev, step_cache = rnn_step_forward(x[:, t], h_prev, Wx, Wh, b)
        h[:, t] = h_prev
        step_caches.append(step_cache)
    return h, (step_caches, x.shape, h0.shape, np.shape(Wx), np.shape(Wh))


def rnn_backward(dh, cache):
    """Backpropagation through time. ``dh`` (N, T, H) is the upstream gradient of the hidden
    state at every step (for example from a per-step output layer).

    Walking back from the last step, the gradient reaching ``h_t`` is ``dh[:, t]`` plus what
    step t+1 sent back through ``Wh``; the weight gradients are summed over all steps.
    Returns ``(dx, dh0, dWx, dWh, db)``.
    """
    step_caches, x_shape, h0_shape, wx_shape, wh_shape = cache
    dh = as_array(dh, "dh", "rnn_backward", ndim=3)
    n, steps, _ = x_shape
    if dh.shape != (n, steps, h0_shape[1]):
        raise ValueError(
            f"rnn_backward: dh has shape {dh.shape} but the hidden states had shape {(n, steps, h0_shape[1])}."
        )
    dx = np.zeros(x_shape)
    dWx, dWh, db = np.zeros(wx_shape), np.zeros(wh_shape), np.zeros(wh_shape[1])
    dh_next = np.zeros(h0_shape)
    for t in reversed(range(steps)):
        dx[:, t], dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dh_next, step_caches[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh_next, dWx, dWh, db


def torch_parameter(module, *names):
    """The first of ``names`` that ``module`` has, as a float64 NumPy array (None if absent)."""
    for name in names:
        value = getattr(module, name, None)
        if value is not None:
            return value.detach().cpu().numpy().astype(np.float64)
    return None


def single_layer_recurrent_weights(module, function):
    """``(weight_ih, weight_hh, bias_ih, bias_hh)`` of a torch cell, or of a one-layer,
    one-direction torch sequence module; the biases are zeros where the module has none."""
    if getattr(module, "num_layers", 1) != 1 or getattr(module, "bidirectional", False):
        raise ValueError(f"{function}: only a single-layer, unidirectional module can be converted.")
    if getattr(module, "proj_size", 0):
        raise ValueError(f"{function}: an LSTM with proj_size > 0 has no equivalent here.")
    weight_ih = torch_parameter(module, "weight_ih", "weight_ih_l0")
    weight_hh = torch_parameter(module, "weight_hh", "weight_hh_l0")
    if weight_ih is None or weight_hh is None:
        raise ValueError(f"{function}: expected a torch recurrent module, got {type(module).__name__}.")
    zeros = np.zeros(weight_hh.shape[0])
    bias_ih = torch_parameter(module, "bias_ih", "bias_ih_l0")
    bias_hh = torch_parameter(module, "bias_hh", "bias_hh_l0")
    return weight_ih, weight_hh, zeros if bias_ih is None else bias_ih, zeros if bias_hh is None else bias_hh


def rnn_weights_from_torch(module):
    """``(Wx, Wh, b)`` for this module's layout from ``torch.nn.RNNCell`` or a single-layer
    ``torch.nn.RNN`` with tanh: ``Wx = weight_ih.T``, ``Wh = weight_hh.T``, ``b = bias_ih + bias_hh``."""
    if getattr(module, "nonlinearity", "tanh") != "tanh":
        raise ValueError("rnn_weights_from_torch: the module uses ReLU; this layer uses tanh.")
    weight_ih, weight_hh, bias_ih, bias_hh = single_layer_recurrent_weights(module, "rnn_weights_from_torch")
    return weight_ih.T.copy(), weight_hh.T.copy(), bias_ih + bias_hh
