"""The 2-D convolution layer, NCHW: a cross-correlation of zero-padded images with F filters.

    out[n, f, i, j] = b[f] + sum over c, kh, kw of
                      w[f, c, kh, kw] * x_padded[n, c, i * stride + kh, j * stride + kw]

with ``pad`` zeros on each side of H and W, and ``H_out = (H + 2 * pad - KH) // stride + 1``
(windows that do not fit are dropped), likewise for W. The kernel is *not* flipped: deep-learning
"convolution" is cross-correlation. torch twin: ``torch.nn.functional.conv2d(x, w, b, stride, pad)``.

Two versions compute the same thing and share one cache ``(x, w, b, stride, pad)``:
``conv_forward_naive`` / ``conv_backward_naive`` loop over every output value (read them first),
``conv_forward_fast`` / ``conv_backward_fast`` turn the convolution into matrix products through
``im2col`` (see ``im2col.py``). ``conv_forward`` / ``conv_backward`` use the fast one.
"""
import numpy as np

from ..arithmetic import conv_output_size
from .im2col import batch_chunks, col2im_add, im2col_chunks, weights_from_matrix, weights_matrix
from .validation import as_array, integer_argument


def conv_output_hw(x_shape, w_shape, stride, pad):
    """``(H_out, W_out)`` of a convolution of ``x_shape`` (N, C, H, W) with ``w_shape`` (F, C, KH, KW)."""
    return (conv_output_size(x_shape[2], w_shape[2], stride, pad),
            conv_output_size(x_shape[3], w_shape[3], stride, pad))


def checked_conv_inputs(x, w, b, stride, pad, layer):
    """Validated ``x, w, b, stride, pad`` and the output size ``(H_out, W_out)``; one ValueError
    sentence naming ``layer`` if something does not fit."""
    x = as_array(x, "x", layer, ndim=4)
    w = as_array(w, "w", layer, ndim=4)
    b = as_array(b, "b", layer, ndim=1)
    stride = integer_argument(stride, "stride", layer, minimum=1)
    pad = integer_argument(pad, "pad", layer, minimum=0)
    _, channels, height, width = x.shape
    filters, kernel_channels, kernel_height, kernel_width = w.shape
    if channels != kernel_channels:
        raise ValueError(
            f"{layer}: x has {channels} channels (shape {x.shape}) but w expects {kernel_channels} "
            f"(w has shape {w.shape}, ordered (F, C, KH, KW))."
        )
    if b.shape != (filters,):
        raise ValueError(f"{layer}: b must have shape ({filters},), one bias per filter, got {b.shape}.")
    if kernel_height < 1 or kernel_width < 1:
        raise ValueError(f"{layer}: the kernel must be at least 1x1, got w of shape {w.shape}.")
    if kernel_height > height + 2 * pad or kernel_width > width + 2 * pad:
        raise ValueError(
            f"{layer}: the {kernel_height}x{kernel_width} kernel does not fit in the padded input of "
            f"{height + 2 * pad}x{width + 2 * pad} (x is {height}x{width} with pad={pad} on each side)."
        )
    return x, w, b, stride, pad, conv_output_hw(x.shape, w.shape, stride, pad)


def checked_upstream(dout, expected_shape, layer):
    """``dout`` as a C-contiguous float array of ``expected_shape``, or a one-sentence ValueError."""
    dout = as_array(dout, "dout", layer, ndim=len(expected_shape))
    if dout.shape != tuple(expected_shape):
        raise ValueError(
            f"{layer}: dout has shape {dout.shape} but the layer's output had shape {tuple(expected_shape)}."
        )
    return np.ascontiguousarray(dout)


# ---------------------------------------------------------------- the loops, for reading


def conv_forward_naive(x, w, b, stride=1, pad=0):
    """Convolution with one loop step per output value. Returns ``(out, cache)``."""
    x, w, b, stride, pad, (h_out, w_out) = checked_conv_inputs(x, w, b, stride, pad, "conv_forward_naive")
    n, _, _, _ = x.shape
    filters, _, kernel_height, kernel_width = w.shape
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n, filters, h_out, w_out), dtype=np.result_type(x, w, b))
    for image in range(n):
        for f in range(filters):
            for i in range(h_out):
                for j in range(w_out):
                    top, left = i * stride, j * stride
                    window = x_padded[image, :, top:top + kernel_height, left:left + kernel_width]
                    out[image, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, stride, pad)


def conv_backward_naive(dout, cache):
    """Each output value sent its gradient back to the window and the filter it was made from.

    Returns ``(dx, dw, db)``: ``dw[f]`` adds ``dout * window`` over every position and image,
    the padded ``dx`` adds ``dout * w[f]`` onto each window (windows overlap, so ``+=``) and is
    then cropped, and ``db[f]`` sums ``dout[:, f]`` over the batch and the positions.
    """
    x, w, b, stride, pad = cache
    n, _, height, width = x.shape
    filters, _, kernel_height, kernel_width = w.shape
    h_out, w_out = conv_output_hw(x.shape, w.shape, stride, pad)
    dout = checked_upstream(dout, (n, filters, h_out, w_out), "conv_backward_naive")
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_padded = np.zeros_like(x_padded)
    dw = np.zeros_like(w)
    for image in range(n):
        for f in range(filters):
            for i in range(h_out):
                for j in range(w_out):
                    rows = slice(i * stride, i * stride + kernel_height)
                    columns = slice(j * stride, j * stride + kernel_width)
                    dw[f] += dout[image, f, i, j] * x_padded[image, :, rows, columns]
                    dx_padded[image, :, rows, columns] += dout[image, f, i, j] * w[f]
    dx = dx_padded[:, :, pad:pad + height, pad:pad + width]
    db = dout.sum(axis=(0, 2, 3))
    return dx, dw, db


# ---------------------------------------------------------------- im2col and matrix products


def conv_forward_fast(x, w, b, stride=1, pad=0):
    """Convolution as ``weights_matrix(w) @ im2col(x_padded)``, a few images at a time.

    Returns ``(out, cache)`` exactly like ``conv_forward_naive``.
    """
    x, w, b, stride, pad, (h_out, w_out) = checked_conv_inputs(x, w, b, stride, pad, "conv_forward")
    filters, _, kernel_height, kernel_width = w.shape
    dtype = np.result_type(x, w, b)
    out = np.empty((x.shape[0], filters, h_out * w_out), dtype=dtype)
    weights = weights_matrix(w).astype(dtype, copy=False)  # (F, KH * KW * C)
    for chunk, cols in im2col_chunks(x, kernel_height, kernel_width, stride, pad, dtype):
        for image in range(cols.shape[1]):  # (F, K) @ (K, P), written straight into out
            np.matmul(weights, cols[:, image], out=out[chunk.start + image])
    out = out.reshape(x.shape[0], filters, h_out, w_out)
    out += b.reshape(filters, 1, 1)
    return out, (x, w, b, stride, pad)


def conv_backward_fast(dout, cache):
    """``dx`` by col2im of ``weights_matrix(w).T @ dout``, ``dw`` as ``dout @ cols.T`` summed over
    the batch, ``db`` as the sum of ``dout`` over batch and positions. Returns ``(dx, dw, db)``."""
    x, w, b, stride, pad = cache
    filters, _, kernel_height, kernel_width = w.shape
    h_out, w_out = conv_output_hw(x.shape, w.shape, stride, pad)
    dout = checked_upstream(dout, (x.shape[0], filters, h_out, w_out), "conv_backward")
    dx = conv_input_gradient(dout, w, x.shape, stride, pad)
    dw = conv_weight_gradient(dout, x, (kernel_height, kernel_width), stride, pad)
    db = dout.sum(axis=(0, 2, 3))
    return dx, dw, db


def conv_input_gradient(dout, w, input_shape, stride=1, pad=0):
    """The gradient with respect to the input, ``dx`` of ``input_shape`` (N, C, H, W), of a
    convolution with filters ``w`` (F, C, KH, KW), given ``dout`` (N, F, H_out, W_out).

    This map from (N, F, ...) to (N, C, ...) is also the transposed convolution's forward.
    Input rows and columns that no window reaches (the floor dropped them) get zero.
    """
    n, channels, height, width = input_shape
    filters, _, kernel_height, kernel_width = w.shape
    positions = dout.shape[2] * dout.shape[3]
    dtype = np.result_type(dout, w)
    weights_transposed = weights_matrix(w).astype(dtype, copy=False).T  # (KH * KW * C, F)
    rows = weights_transposed.shape[0]
    chunks = batch_chunks(n, rows * positions * np.dtype(dtype).itemsize)
    step = chunks[0].stop - chunks[0].start if chunks else 0
    upstream_buffer = np.empty(filters * step * positions, dtype=dtype)
    dcols_buffer = np.empty(rows * step * positions, dtype=dtype)
    dx_padded_buffer = np.empty((channels, step, height + 2 * pad, width + 2 * pad), dtype=dtype)  # channels first
    dx = np.empty((n, channels, height, width), dtype=dtype)
    for chunk in chunks:
        size = chunk.stop - chunk.start
        upstream = upstream_buffer[:filters * size * positions].reshape(filters, size, positions)
        np.copyto(upstream, dout[chunk].reshape(size, filters, positions).transpose(1, 0, 2))
        dcols = np.matmul(weights_transposed, upstream.reshape(filters, size * positions),
                          out=dcols_buffer[:rows * size * positions].reshape(rows, size * positions))
        dx_padded = dx_padded_buffer[:, :size]
        dx_padded.fill(0)
        col2im_add(dcols, dx_padded, kernel_height, kernel_width, stride)
        dx[chunk] = dx_padded[:, :, pad:pad + height, pad:pad + width].transpose(1, 0, 2, 3)
    return dx


def conv_weight_gradient(dout, x, kernel_size, stride=1, pad=0):
    """The gradient with respect to the filters, ``dw`` (F, C, KH, KW), of a convolution of
    ``x`` (N, C, H, W) given ``dout`` (N, F, H_out, W_out): ``dout @ cols.T`` summed over images."""
    n, filters = dout.shape[:2]
    channels = x.shape[1]
    kernel_height, kernel_width = kernel_size
    dtype = np.result_type(dout, x)
    upstream = np.ascontiguousarray(dout).reshape(n, filters, dout.shape[2] * dout.shape[3])  # N = 0 works too
    dw_matrix = np.zeros((filters, kernel_height * kernel_width * channels), dtype=dtype)
    for chunk, cols in im2col_chunks(x, kernel_height, kernel_width, stride, pad, dtype):
        for image in range(cols.shape[1]):  # (F, P) @ (P, K) per image, accumulated
            dw_matrix += upstream[chunk.start + image] @ cols[:, image].T
    return weights_from_matrix(dw_matrix, (filters, channels, kernel_height, kernel_width))


def conv_forward(x, w, b, stride=1, pad=0):
    """Convolution (cross-correlation) of ``x`` (N, C, H, W) with ``w`` (F, C, KH, KW) plus ``b`` (F,),
    ``pad`` zeros on each side. Returns ``(out, cache)``, out (N, F, H_out, W_out).

    torch twin: ``torch.nn.functional.conv2d(x, w, b, stride=stride, padding=pad)``.
    """
    return conv_forward_fast(x, w, b, stride, pad)


def conv_backward(dout, cache):
    """Gradients ``(dx, dw, db)`` of the convolution, given ``dout`` (N, F, H_out, W_out)."""
    return conv_backward_fast(dout, cache)
