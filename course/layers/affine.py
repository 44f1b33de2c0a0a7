"""The affine (fully connected) layer, row-vector convention: ``out = x @ w + b``.

torch twin: ``torch.nn.functional.linear(x.flatten(1), w.T, b)`` (torch stores ``w.T``).
"""
import numpy as np

from .validation import as_array


def affine_forward(x, w, b):
    """``x`` (N, d1, ..., dk) is flattened to (N, D); ``w`` is (D, M), ``b`` is (M,).

    Returns ``(out, cache)`` with ``out`` of shape (N, M).
    """
    x = as_array(x, "x", "affine_forward", min_ndim=1)
    w = as_array(w, "w", "affine_forward", ndim=2)
    b = as_array(b, "b", "affine_forward", ndim=1)
    features = int(np.prod(x.shape[1:]))
    if features != w.shape[0]:
        raise ValueError(
            f"affine_forward: each example of x has {features} values after flattening "
            f"(x has shape {x.shape}) but w has shape {w.shape}, which expects {w.shape[0]}."
        )
    if b.shape != (w.shape[1],):
        raise ValueError(f"affine_forward: b must have shape ({w.shape[1]},), got {b.shape}.")
    out = x.reshape(x.shape[0], features) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    """Gradients of the affine layer: ``dx = dout @ w.T`` (reshaped like x), ``dw = x.T @ dout``,
    ``db = dout summed over the batch``. Returns ``(dx, dw, db)``."""
    x, w, b = cache
    dout = as_array(dout, "dout", "affine_backward", ndim=2)
    if dout.shape != (x.shape[0], w.shape[1]):
        raise ValueError(
            f"affine_backward: dout has shape {dout.shape} but the layer's output had shape "
            f"{(x.shape[0], w.shape[1])}."
        )
    x_flat = x.reshape(x.shape[0], w.shape[0])  # sizes spelled out: an empty batch (N = 0) works too
    dx = (dout @ w.T).reshape(x.shape)
    dw = x_flat.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db
