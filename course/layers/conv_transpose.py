"""Transposed convolution ("deconvolution", fractionally strided convolution), NCHW.

It is the gradient of a convolution with respect to its input, used as a layer: each input
value scatters a copy of the kernel, scaled by itself, onto the output at ``stride`` steps, and
overlapping copies add up. With ``w`` of shape (C_in, C_out, KH, KW)::

    out_full[n, o, i * stride + kh, j * stride + kw] += x[n, c, i, j] * w[c, o, kh, kw]
    out = out_full cropped by ``pad`` on each side, plus ``b[o]``

    H_out = (H - 1) * stride - 2 * pad + KH + output_padding      (likewise W)

``output_padding`` (smaller than ``stride``) adds rows and columns at the bottom and right that
no kernel copy reaches; it picks one of the input sizes that a stride-``stride`` convolution maps
to the same output size. torch twin:
``torch.nn.functional.conv_transpose2d(x, w, b, stride, pad, output_padding)``.

No new arithmetic here: the forward pass is ``conv_input_gradient``, and the backward pass is a
plain convolution (for ``dx``) and the convolution's weight gradient (for ``dw``).
"""
import numpy as np

from ..arithmetic import conv_transpose_output_size
from .convolution import checked_upstream, conv_forward, conv_input_gradient, conv_weight_gradient
from .validation import as_array, integer_argument

LAYER = "conv_transpose_forward"


def conv_transpose_output_shape(x_shape, w_shape, stride, pad, output_padding):
    """(N, C_out, H_out, W_out) of a transposed convolution of ``x_shape`` with ``w_shape``."""
    sizes = [conv_transpose_output_size(n, kernel, stride, pad, output_padding)
             for n, kernel in zip(x_shape[2:], w_shape[2:])]
    return (x_shape[0], w_shape[1], *sizes)


def conv_transpose_forward(x, w, b, stride=1, pad=0, output_padding=0):
    """Transposed convolution of ``x`` (N, C_in, H, W) with ``w`` (C_in, C_out, KH, KW) plus ``b`` (C_out,).

    Returns ``(out, cache)`` with out (N, C_out, H_out, W_out).
    """
    x = as_array(x, "x", LAYER, ndim=4)
    w = as_array(w, "w", LAYER, ndim=4)
    b = as_array(b, "b", LAYER, ndim=1)
    stride = integer_argument(stride, "stride", LAYER, minimum=1)
    pad = integer_argument(pad, "pad", LAYER, minimum=0)
    output_padding = integer_argument(output_padding, "output_padding", LAYER, minimum=0)
    if x.shape[1] != w.shape[0]:
        raise ValueError(
            f"{LAYER}: x has {x.shape[1]} channels (shape {x.shape}) but w expects {w.shape[0]} "
            f"(w has shape {w.shape}, ordered (C_in, C_out, KH, KW) as torch's conv_transpose2d)."
        )
    if b.shape != (w.shape[1],):
        raise ValueError(f"{LAYER}: b must have shape ({w.shape[1]},), one bias per output channel, got {b.shape}.")
    if w.shape[2] < 1 or w.shape[3] < 1:
        raise ValueError(f"{LAYER}: the kernel must be at least 1x1, got w of shape {w.shape}.")
    if output_padding >= stride:
        raise ValueError(
            f"{LAYER}: output_padding must be smaller than stride, got output_padding={output_padding} "
            f"with stride={stride}."
        )
    try:
        out_shape = conv_transpose_output_shape(x.shape, w.shape, stride, pad, output_padding)
    except ValueError:
        raise ValueError(f"{LAYER}: pad={pad} crops away the whole output; use a smaller pad.") from None
    # The convolution that this layer transposes maps out_shape to x.shape with the same w.
    out = conv_input_gradient(x, w, out_shape, stride, pad)
    out += b.reshape(-1, 1, 1)
    return out, (x, w, b, stride, pad, output_padding)


def conv_transpose_backward(dout, cache):
    """Gradients ``(dx, dw, db)`` of the transposed convolution, given ``dout`` (N, C_out, H_out, W_out).

    ``dx`` is the ordinary convolution of ``dout`` with the same ``w`` (the transpose of a
    transpose), ``dw`` is that convolution's weight gradient with ``x`` as its upstream gradient,
    and ``db`` sums ``dout`` over the batch and the positions.
    """
    x, w, b, stride, pad, output_padding = cache
    out_shape = conv_transpose_output_shape(x.shape, w.shape, stride, pad, output_padding)
    dout = checked_upstream(dout, out_shape, "conv_transpose_backward")
    dx, _ = conv_forward(dout, w, np.zeros(w.shape[0], dtype=dout.dtype), stride, pad)
    dw = conv_weight_gradient(x, dout, w.shape[2:], stride, pad)
    db = dout.sum(axis=(0, 2, 3))
    return dx, dw, db
