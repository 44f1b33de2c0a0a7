"""Lab 05's size edges, named: an output size rounded half to even, ``pad:-pad`` with pad = 0, loops
over the input's size instead of the output's; every conv and pool check tries them itself."""
import math

import numpy as np

from course.checks.convolution import check_conv_backward, check_conv_forward, check_max_pool_backward
from course.layers.convolution import conv_backward, conv_forward
from course.layers.pooling import max_pool_backward, max_pool_forward
from tests.checks.failing import fails_with


def loop_conv_forward(size=lambda n, k, s, p: (n + 2 * p - k) // s + 1, crop_pad=False, over_input=False):
    """A student's loop convolution; ``size`` computes the output length, ``crop_pad`` pads by writing
    x into ``x_padded[:, :, pad:-pad, pad:-pad]``, ``over_input`` loops over H and W."""
    def forward(x, w, b, stride=1, pad=0):
        N, C, H, W = x.shape
        F, _, KH, KW = w.shape
        H_out, W_out = size(H, KH, stride, pad), size(W, KW, stride, pad)
        if crop_pad:
            x_padded = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
            x_padded[:, :, pad:-pad, pad:-pad] = x
        else:
            x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        out = np.zeros((N, F, H_out, W_out))
        for n in range(N):
            for f in range(F):
                for i in range(H if over_input else H_out):
                    for j in range(W if over_input else W_out):
                        window = x_padded[n, :, i * stride:i * stride + KH, j * stride:j * stride + KW]
                        out[n, f, i, j] = np.sum(window * w[f]) + b[f]
        return out, (x, w, b, stride, pad)
    return forward


def loop_conv_backward(crop_pad=False, over_input=False):
    def backward(dout, cache):
        x, w, b, stride, pad = cache
        N, C, H, W = x.shape
        F, _, KH, KW = w.shape
        H_out, W_out = dout.shape[2:]
        x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        dx_padded, dw = np.zeros_like(x_padded), np.zeros_like(w)
        for n in range(N):
            for f in range(F):
                for i in range(H if over_input else H_out):
                    for j in range(W if over_input else W_out):
                        rows, cols = slice(i * stride, i * stride + KH), slice(j * stride, j * stride + KW)
                        dw[f] += dout[n, f, i, j] * x_padded[n, :, rows, cols]
                        dx_padded[n, :, rows, cols] += dout[n, f, i, j] * w[f]
        dx = dx_padded[:, :, pad:-pad, pad:-pad] if crop_pad else dx_padded[:, :, pad:pad + H, pad:pad + W]
        return dx, dw, dout.sum(axis=(0, 2, 3))
    return backward


def loop_max_pool_forward(size=lambda n, k, s: (n - k) // s + 1, over_input=False):
    def forward(x, kernel=2, stride=2):
        N, C, H, W = x.shape
        H_out, W_out = size(H, kernel, stride), size(W, kernel, stride)
        out = np.zeros((N, C, H_out, W_out))
        for n, c in np.ndindex(N, C):
            for i in range(H if over_input else H_out):
                for j in range(W if over_input else W_out):
                    out[n, c, i, j] = x[n, c, i * stride:i * stride + kernel, j * stride:j * stride + kernel].max()
        return out, (x, kernel, stride)
    return forward


def loop_max_pool_backward(dout, cache):
    x, kernel, stride = cache
    dx = np.zeros_like(x)
    for n, c, i, j in np.ndindex(dout.shape):
        window = x[n, c, i * stride:i * stride + kernel, j * stride:j * stride + kernel]
        row, col = np.unravel_index(np.argmax(window), window.shape)
        dx[n, c, i * stride + row, j * stride + col] += dout[n, c, i, j]
    return dx


def test_the_correct_loops_pass_every_size_case():
    check_conv_forward(loop_conv_forward())
    check_conv_forward(loop_conv_forward(), seed=1, N=1, C=1, H=5, W=5, F=2, KH=3, KW=3, stride=1, pad=0)
    check_conv_backward(conv_forward, loop_conv_backward())
    check_conv_backward(conv_forward, loop_conv_backward(), seed=1, N=1, C=2, H=5, W=5, F=2, KH=3, KW=3, stride=1, pad=0)
    check_max_pool_backward(loop_max_pool_forward(), loop_max_pool_backward)


def test_an_output_size_rounded_half_to_even_is_named():
    rounded = loop_conv_forward(size=lambda n, k, s, p: int(round((n + 2 * p - k) / s)) + 1)
    # sizes with no .5 of their own (6 - 2 = 4, 4 / 2 = 2): the check's own .5 case catches the rounding
    message = fails_with(r"conv_forward: out \(H = 7, KH = 2, stride 2, pad 1: \(H \+ 2 \* pad - KH\) / stride = 3.5\) has shape .*the output size is "
                         r"rounded: .* round\(\) .*half to even.*rounds down", check_conv_forward, rounded,
                         seed=3, N=1, C=1, H=6, W=6, F=1, KH=2, KW=2, stride=2, pad=0)
    assert "Hint:" in message
    numpy_rounded = loop_conv_forward(size=lambda n, k, s, p: int(np.round((n + 2 * p - k) / s)) + 1)
    # with the default sizes the loop itself runs a window off the input first: both causes are named
    fails_with(r"A window runs off the padded input: a loop probably runs over the input's size .*; or the output "
               r"size is not rounded down \(\(W \+ 2 \* pad - KW\) / stride = 3.5 here, and round\(\) or a ceiling",
               check_conv_forward, numpy_rounded)

    def ceiling(x, w, b, stride=1, pad=0):  # a vectorized student: the size is all that is wrong
        out, cache = conv_forward(x, w, b, stride, pad)
        size = [math.ceil((n + 2 * pad - k) / stride) + 1 for n, k in zip(x.shape[2:], w.shape[2:])]
        return np.pad(out, ((0, 0), (0, 0), (0, size[0] - out.shape[2]), (0, size[1] - out.shape[3]))), cache
    fails_with(r"rounded up \(a ceiling\)", check_conv_forward, ceiling)
    truncated = loop_conv_forward(size=lambda n, k, s, p: int((n + 2 * p - k) / s) + 1)  # int() floors positives
    check_conv_forward(truncated)


def test_a_pool_size_rounded_half_to_even_is_named():
    rounded = loop_max_pool_forward(size=lambda n, k, s: int(round((n - k) / s)) + 1)
    fails_with(r"max_pool_backward: the output of max_pool_forward \(H = 5, kernel 2, stride 2: \(H - kernel\) / "
               r"stride = 1.5\) has shape \(2, 3, 3, 3\) .*the output size is rounded", check_max_pool_backward,
               rounded, loop_max_pool_backward)


def test_pad_colon_minus_pad_with_pad_zero_is_named():
    message = fails_with(r"conv_forward: .*raised ValueError: could not broadcast .* With pad = 0, the slice pad:-pad "
                         r"is 0:0 \(-0 is 0\), which is empty", check_conv_forward, loop_conv_forward(crop_pad=True))
    assert "loop" not in message
    fails_with(r"conv_backward: dx \(stride 1, pad = 0\) has shape \(2, 3, 7, 8\)|conv_backward: dx .*pad = 0.* empty",
               check_conv_backward, conv_forward, loop_conv_backward(crop_pad=True))


def test_loops_over_the_input_size_are_named():
    fails_with(r"conv_forward: .*raised (ValueError|IndexError).* A window runs off the padded input: a loop probably "
               r"runs over the input's size \(H = 7, W = 8\) instead of the output's \(H_out = 4, W_out = 4\)", check_conv_forward,
               loop_conv_forward(over_input=True))
    fails_with(r"conv_backward: .*raised (ValueError|IndexError).* a loop probably runs over the input's size",
               check_conv_backward, conv_forward, loop_conv_backward(over_input=True))
    fails_with(r"max_pool_backward: .*raised (ValueError|IndexError).* a loop probably runs over the input's size",
               check_max_pool_backward, loop_max_pool_forward(over_input=True), loop_max_pool_backward)


def test_the_backward_check_does_not_depend_on_the_students_forward():
    def broken_forward(x, w, b, stride=1, pad=0):
        raise NotImplementedError
    check_conv_backward(broken_forward, conv_backward)
    check_max_pool_backward(max_pool_forward, max_pool_backward)
