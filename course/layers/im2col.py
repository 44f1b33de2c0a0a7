"""im2col and col2im: turn a convolution into one matrix product, and back.

A convolution applies the same weights to every window of the (padded) input. ``im2col`` copies
each window into a column of a matrix, so that one matrix product computes every output at once.
Here the rows are ordered by kernel offset first, ``(kh, kw, c)``, and the columns by image and
output position, ``(n, i, j)``::

    cols[kh, kw, c, n, i, j] = x_padded[n, c, i * stride + kh, j * stride + kw]
    out[n] = weights_matrix(w) @ cols[:, n]        (F, H_out * W_out), already in NCHW order

Why offsets first: for one offset (kh, kw), the entries that all windows take form a single
strided slice of the padded input, ``x_padded[:, :, kh::stride, kw::stride]`` (cut to the
output size). So ``im2col`` is KH * KW slice copies, and ``col2im``, its adjoint, is KH * KW
slice additions: it adds every column back onto the window it came from, which is how the
gradient with respect to the input is collected (overlapping windows add up).

Both work on images stored channels first, (C, N, H, W) instead of (N, C, H, W): then the block
``cols[kh, kw]`` (C, N, H_out, W_out) and the slice it is copied from (or added to) have their
axes in the same order, which makes the copies and, above all, the additions faster.

For speed the fast convolution works on a few images at a time (``batch_chunks``) and reuses its
buffers: writing a fresh 40 MB ``cols`` array costs more than recomputing it in chunks that stay
in the CPU cache.
"""
import numpy as np

from ..arithmetic import conv_output_size

CHUNK_BYTES = 4 * 2**20  # about the size of a cache-friendly cols buffer


def offset_slices(kernel_height, kernel_width, stride, out_size):
    """Yield ``(kh, kw, rows, columns)``: for each offset in the window, the slices of the padded
    input that it takes from all ``out_size = (H_out, W_out)`` windows."""
    h_out, w_out = out_size
    for kh in range(kernel_height):
        for kw in range(kernel_width):
            rows = slice(kh, kh + stride * (h_out - 1) + 1, stride)
            columns = slice(kw, kw + stride * (w_out - 1) + 1, stride)
            yield kh, kw, rows, columns


def weights_matrix(w):
    """Filters ``w`` (F, C, KH, KW) as a matrix (F, KH * KW * C) whose columns match the rows of ``cols``."""
    filters, channels, kernel_height, kernel_width = w.shape
    return np.ascontiguousarray(w.transpose(0, 2, 3, 1)).reshape(filters, kernel_height * kernel_width * channels)


def weights_from_matrix(matrix, w_shape):
    """The inverse of ``weights_matrix``: back to (F, C, KH, KW)."""
    filters, channels, kernel_height, kernel_width = w_shape
    return np.ascontiguousarray(matrix.reshape(filters, kernel_height, kernel_width, channels).transpose(0, 3, 1, 2))


def im2col(x_padded, kernel_height, kernel_width, stride, out=None):
    """Columns (KH * KW * C, N, H_out * W_out) of padded images stored channels first,
    ``x_padded`` (C, N, Hp, Wp); ``out``, if given, is filled instead of a new array."""
    channels, n, padded_height, padded_width = x_padded.shape
    out_size = (conv_output_size(padded_height, kernel_height, stride),
                conv_output_size(padded_width, kernel_width, stride))
    shape = (kernel_height, kernel_width, channels, n) + out_size
    cols = np.empty(shape, dtype=x_padded.dtype) if out is None else out.reshape(shape)
    for kh, kw, rows, columns in offset_slices(kernel_height, kernel_width, stride, out_size):
        cols[kh, kw] = x_padded[:, :, rows, columns]
    return cols.reshape(kernel_height * kernel_width * channels, n, out_size[0] * out_size[1])


def col2im_add(cols, x_padded_grad, kernel_height, kernel_width, stride):
    """Add each column of ``cols`` (KH * KW * C, N, H_out * W_out) back onto its window in
    ``x_padded_grad`` (C, N, Hp, Wp), channels first, in place: the adjoint of ``im2col``."""
    channels, n, padded_height, padded_width = x_padded_grad.shape
    out_size = (conv_output_size(padded_height, kernel_height, stride),
                conv_output_size(padded_width, kernel_width, stride))
    blocks = cols.reshape((kernel_height, kernel_width, channels, n) + out_size)
    for kh, kw, rows, columns in offset_slices(kernel_height, kernel_width, stride, out_size):
        x_padded_grad[:, :, rows, columns] += blocks[kh, kw]
    return x_padded_grad


def batch_chunks(batch_size, bytes_per_example, budget=None):
    """Slices of the batch axis, each holding about ``budget`` bytes of work (at least one
    example); ``budget=None`` means ``CHUNK_BYTES``."""
    budget = CHUNK_BYTES if budget is None else budget
    step = max(1, min(batch_size, int(budget // max(1, bytes_per_example))))
    return [slice(start, min(start + step, batch_size)) for start in range(0, batch_size, step)]


def im2col_chunks(x, kernel_height, kernel_width, stride, pad, dtype=None):
    """Yield ``(batch_slice, cols)`` for a few images of ``x`` (N, C, H, W) at a time, where
    ``cols`` is ``im2col`` of those images padded with ``pad`` zeros on each side.

    The padded images and the columns live in two buffers reused from chunk to chunk (the zero
    border is written once), so a caller must use ``cols`` before asking for the next chunk.
    """
    n, channels, height, width = x.shape
    dtype = x.dtype if dtype is None else dtype
    positions = (conv_output_size(height, kernel_height, stride, pad)
                 * conv_output_size(width, kernel_width, stride, pad))
    rows = kernel_height * kernel_width * channels
    chunks = batch_chunks(n, rows * positions * np.dtype(dtype).itemsize)
    step = chunks[0].stop - chunks[0].start if chunks else 0
    padded_buffer = np.zeros((channels, step, height + 2 * pad, width + 2 * pad), dtype=dtype)  # channels first
    cols_buffer = np.empty(rows * step * positions, dtype=dtype)
    for chunk in chunks:
        size = chunk.stop - chunk.start
        padded = padded_buffer[:, :size]
        padded[:, :, pad:pad + height, pad:pad + width] = x[chunk].transpose(1, 0, 2, 3)
        yield chunk, im2col(padded, kernel_height, kernel_width, stride, out=cols_buffer[:rows * size * positions])
