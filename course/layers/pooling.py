"""Max and average pooling, NCHW, no padding: each channel on its own, ``kernel`` x ``kernel``
windows every ``stride`` pixels, ``H_out = (H - kernel) // stride + 1`` (windows that do not fit
are dropped, as torch's default ``ceil_mode=False``). Pooling has no parameters.

torch twins: ``torch.nn.functional.max_pool2d(x, kernel, stride)`` and
``torch.nn.functional.avg_pool2d(x, kernel, stride)``. ``stride=None`` means ``stride = kernel``,
torch's default; the course default is kernel 2, stride 2.

Forward and backward passes loop over the ``kernel * kernel`` offsets inside a window: for one offset,
the entries it picks from all windows form a strided slice of the input, so each step handles
every window at once, and windows that overlap (stride < kernel) simply add up.
"""
import numpy as np

from ..arithmetic import pool_output_size
from .im2col import offset_slices
from .validation import as_array, integer_argument


def _checked_pool_inputs(x, kernel, stride, layer):
    x = as_array(x, "x", layer, ndim=4)
    kernel = integer_argument(kernel, "kernel", layer, minimum=1)
    stride = kernel if stride is None else integer_argument(stride, "stride", layer, minimum=1)
    height, width = x.shape[2:]
    if kernel > height or kernel > width:
        raise ValueError(
            f"{layer}: the {kernel}x{kernel} window does not fit in the {height}x{width} input "
            "(pooling adds no padding)."
        )
    return x, kernel, stride


def _checked_upstream(dout, x_shape, out_size, layer):
    expected = tuple(x_shape[:2]) + tuple(out_size)
    dout = as_array(dout, "dout", layer, ndim=4)
    if dout.shape != expected:
        raise ValueError(f"{layer}: dout has shape {dout.shape} but the layer's output had shape {expected}.")
    return dout


def _window_entries(x, kernel, stride):
    """The entries of all windows, one strided slice per offset: (kernel * kernel, N, C, H_out, W_out),
    offsets in row-major order (kh * kernel + kw)."""
    out_size = (pool_output_size(x.shape[2], kernel, stride), pool_output_size(x.shape[3], kernel, stride))
    return np.stack([x[:, :, rows, columns] for _, _, rows, columns in offset_slices(kernel, kernel, stride, out_size)])


def max_pool_forward(x, kernel=2, stride=2):
    """The largest entry of each window. Returns ``(out, cache)``, out (N, C, H_out, W_out).

    The cache keeps which entry of each window won (``argmax``, a flat index kh * kernel + kw).
    On a tie the first winner in row-major window order takes it, as torch's CPU kernel does.
    """
    x, kernel, stride = _checked_pool_inputs(x, kernel, stride, "max_pool_forward")
    entries = _window_entries(x, kernel, stride)
    argmax = entries.argmax(axis=0)
    out = np.take_along_axis(entries, argmax[None], axis=0)[0]
    return out, (x.shape, kernel, stride, argmax)


def max_pool_backward(dout, cache):
    """Each window's gradient goes to its arg-max entry only (local derivative 1 there, 0 at
    the other entries); an entry that wins several overlapping windows collects them all.

    On ties only the recorded arg-max gets the gradient (torch does the same), so the result is
    one valid subgradient; numeric gradients are meaningless at a tie. Returns ``dx``.
    """
    x_shape, kernel, stride, argmax = cache
    out_size = argmax.shape[2:]
    dout = _checked_upstream(dout, x_shape, out_size, "max_pool_backward")
    dx = np.zeros(x_shape, dtype=dout.dtype)
    for kh, kw, rows, columns in offset_slices(kernel, kernel, stride, out_size):
        dx[:, :, rows, columns] += np.where(argmax == kh * kernel + kw, dout, 0.0)
    return dx


def avg_pool_forward(x, kernel=2, stride=2):
    """The mean of each window. Returns ``(out, cache)``, out (N, C, H_out, W_out)."""
    x, kernel, stride = _checked_pool_inputs(x, kernel, stride, "avg_pool_forward")
    out = _window_entries(x, kernel, stride).mean(axis=0)
    return out, (x.shape, kernel, stride)


def avg_pool_backward(dout, cache):
    """Every entry of a window gets ``dout / kernel**2`` from it (average pooling is linear).
    Returns ``dx``."""
    x_shape, kernel, stride = cache
    out_size = (pool_output_size(x_shape[2], kernel, stride), pool_output_size(x_shape[3], kernel, stride))
    dout = _checked_upstream(dout, x_shape, out_size, "avg_pool_backward")
    share = dout / (kernel * kernel)
    dx = np.zeros(x_shape, dtype=dout.dtype)
    for _, _, rows, columns in offset_slices(kernel, kernel, stride, out_size):
        dx[:, :, rows, columns] += share
    return dx
