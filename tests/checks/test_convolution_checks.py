"""The lab 05 checks pass the reference and name typical mistakes of wrong implementations."""
import numpy as np
import pytest

from course.checks.convolution import check_conv_backward, check_conv_forward, check_max_pool_backward
from course.checks.judging import CheckFailed
from course.layers.convolution import (
    conv_backward,
    conv_backward_naive,
    conv_forward,
    conv_forward_naive,
    conv_input_gradient,
)
from course.layers.pooling import max_pool_backward, max_pool_forward

# ---------------------------------------------------------------- conv forward


def test_conv_forward_check_passes_both_references():
    check_conv_forward(conv_forward)
    check_conv_forward(conv_forward_naive)
    check_conv_forward(conv_forward, seed=3, N=1, C=2, H=6, W=5, F=3, KH=2, KW=3, stride=1, pad=2)


def flipped_kernel(x, w, b, stride, pad):
    return conv_forward(x, w[:, :, ::-1, ::-1], b, stride, pad)


def without_bias(x, w, b, stride, pad):
    return conv_forward(x, w, np.zeros_like(b), stride, pad)


def stride_ignored_in_the_loop(x, w, b, stride, pad):
    """Right output size, but windows that start at (i, j) instead of (i * stride, j * stride)."""
    h_out = (x.shape[2] + 2 * pad - w.shape[2]) // stride + 1
    w_out = (x.shape[3] + 2 * pad - w.shape[3]) // stride + 1
    out, cache = conv_forward(x, w, b, 1, pad)
    return out[:, :, :h_out, :w_out], cache


def stride_ignored_everywhere(x, w, b, stride, pad):
    return conv_forward(x, w, b, 1, pad)


def padding_ignored(x, w, b, stride, pad):
    return conv_forward(x, w, b, stride, 0)


def padding_on_one_side(x, w, b, stride, pad):
    x_padded = np.pad(x, ((0, 0), (0, 0), (2 * pad, 0), (2 * pad, 0)))
    return conv_forward(x_padded, w, b, stride, 0)


def output_size_without_plus_one(x, w, b, stride, pad):
    out, cache = conv_forward(x, w, b, stride, pad)
    return out[:, :, :-1, :-1], cache


def padding_doubled(x, w, b, stride, pad):
    return conv_forward(x, w, b, stride, 2 * pad)


def pads_in_place(x, w, b, stride, pad):
    out, cache = conv_forward(x.copy(), w, b, stride, pad)
    x *= 0.0  # a student reusing the input's memory after the work is done
    return out, cache


def test_conv_forward_that_changes_its_input_in_place_passes_with_a_note():
    from course.checks.judging import take_notes
    take_notes()
    check_conv_forward(pads_in_place)
    assert any("pads_in_place changes its input x in place" in note.sentence for note in take_notes())


def forgets_the_cache(x, w, b, stride, pad):
    return conv_forward(x, w, b, stride, pad)[0]


@pytest.mark.parametrize("wrong, message", [
    (flipped_kernel, r"out is wrong .*the kernel is flipped \(a true convolution\)"),
    (without_bias, r"out is wrong .*the bias b is missing"),
    (stride_ignored_in_the_loop, r"out is wrong .*the windows start at i and j instead of i \* stride"),
    (stride_ignored_everywhere, r"out has shape \(2, 4, 7, 8\) but should have shape \(2, 4, 4, 4\); "
                                r"it has the size of a stride-1 convolution"),
    (padding_ignored, r"out has shape \(2, 4, 3, 3\) .*; it has the size of a convolution without padding"),
    (padding_on_one_side, r"out is wrong .*all the padding sits on the top and left"),
    # at this size a missing + 1 and missing padding give the same shape: both are named
    (output_size_without_plus_one, r"out has shape \(2, 4, 3, 3\) .*without padding.*; or else it is one row "
                                   r"and one column too small: mind the \+ 1"),
    (padding_doubled, r"out has shape \(2, 4, 5, 5\) .*2 \* pad zeros on each side instead of pad"),
    (forgets_the_cache, r"should return 2 values \(out, cache\), got a ndarray"),
])
def test_conv_forward_check_names_the_mistake(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check_conv_forward(wrong)


# ---------------------------------------------------------------- conv backward


def test_conv_backward_check_passes_both_references():
    check_conv_backward(conv_forward, conv_backward)
    check_conv_backward(conv_forward_naive, conv_backward_naive)
    check_conv_backward(conv_forward, conv_backward, seed=4, N=1, C=2, H=5, W=6, F=3, KH=2, KW=4, stride=3, pad=2)


def loop_backward(assign_dx=False, assign_dw=False, keep_padding=False, slip=None):
    """A loop-based backward like a student writes it, with optional typical slips."""
    def backward(dout, cache):
        x, w, b, stride, pad = cache
        _, _, height, width = x.shape
        kernel_height, kernel_width = w.shape[2:]
        x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        dx_padded, dw = np.zeros_like(x_padded), np.zeros_like(w)
        for n, f, i, j in np.ndindex(dout.shape):
            window = (n, slice(None), slice(i * stride, i * stride + kernel_height),
                      slice(j * stride, j * stride + kernel_width))
            kernel = {"transposed kernel": w[f].transpose(0, 2, 1),
                      "filter summed over channels": np.broadcast_to(w[f].sum(axis=0), w[f].shape)}.get(slip, w[f])
            upstream = 1.0 if slip == "dx without dout" else dout[n, f, i, j]
            if assign_dx:
                dx_padded[window] = upstream * kernel
            else:
                dx_padded[window] += upstream * kernel
            patch = x_padded[window].transpose(0, 2, 1) if slip == "transposed dw" else x_padded[window]
            weight = 1.0 if slip == "dw without dout" else dout[n, f, i, j]
            if assign_dw:
                dw[f] = weight * patch
            else:
                dw[f] += weight * patch
        dx = dx_padded if keep_padding else dx_padded[:, :, pad:pad + height, pad:pad + width]
        db = dout.sum(axis=0).mean(axis=(1, 2)) if slip == "db averaged over positions" else dout.sum(axis=(0, 2, 3))
        return dx, dw, db
    return backward


def replacing(name, make):
    """The reference backward with one gradient replaced by ``make(dout, x, w, stride, pad)``."""
    def backward(dout, cache):
        grads = dict(zip(("dx", "dw", "db"), conv_backward(dout, cache)))
        x, w, _, stride, pad = cache
        grads[name] = make(dout, x, w, stride, pad)
        return grads["dx"], grads["dw"], grads["db"]
    return backward


def dw_per_image(dout, x, w, stride, pad):
    return np.stack([conv_backward(dout[n:n + 1], conv_forward(x[n:n + 1], w, np.zeros(len(w)), stride, pad)[1])[1]
                     for n in range(len(x))])


def dx_cropped_from_the_corner(dout, x, w, stride, pad):
    padded_shape = x.shape[:2] + (x.shape[2] + 2 * pad, x.shape[3] + 2 * pad)
    return conv_input_gradient(dout, w, padded_shape, stride, 0)[:, :, :x.shape[2], :x.shape[3]]


@pytest.mark.parametrize("wrong, message", [
    (loop_backward(), None),  # the correct loop version passes
    (loop_backward(assign_dx=True), r"dx is wrong .*overwrite each other's gradient: use \+= instead of ="),
    (loop_backward(keep_padding=True), r"dx has shape \(2, 3, 9, 10\) .*it still includes the padding"),
    (loop_backward(assign_dw=True), r"dw is wrong .*only the last window counts: use \+= instead of ="),
    (loop_backward(slip="transposed kernel"), r"dx is wrong .*the kernel is transposed \(its rows and columns swapped\); "
                                              r"a transpose is not the flip"),
    (loop_backward(slip="filter summed over channels"), r"dx is wrong .*gets the filter summed over its channels"),
    (loop_backward(slip="dx without dout"), r"dx is wrong .*without multiplying by dout\[n, f, i, j\]"),
    (loop_backward(slip="transposed dw"), r"dw is wrong .*it is transposed \(the KH and KW axes swapped\)"),
    (loop_backward(slip="dw without dout"), r"dw is wrong .*without weighting each by dout\[n, f, i, j\]"),
    (loop_backward(slip="db averaged over positions"), r"db is wrong .*it averages dout over the positions"),
    (replacing("dx", lambda d, x, w, s, p: conv_input_gradient(d, w[:, :, ::-1, ::-1], x.shape, s, p)),
     r"dx is wrong .*the kernel is flipped"),
    (replacing("dx", dx_cropped_from_the_corner), r"dx is wrong .*it is cropped at the wrong place"),
    (replacing("dw", lambda d, x, w, s, p: dw_per_image(d, x, w, s, p)),
     r"dw has shape \(2, 4, 3, 3, 3\) .*it still has the batch axis"),
    (replacing("dw", lambda d, x, w, s, p: dw_per_image(d, x, w, s, p)[0]),
     r"dw is wrong .*it uses only the first example"),
    (replacing("dw", lambda d, x, w, s, p: dw_per_image(d, x, w, s, p).sum(axis=0)[:, :, ::-1, ::-1]),
     r"dw is wrong .*it is flipped"),
    (replacing("dw", lambda d, x, w, s, p: dw_per_image(d, x, w, s, p).mean(axis=0)),
     r"dw is wrong .*it is 2 times too small"),
    (replacing("db", lambda d, x, w, s, p: d.sum(axis=(2, 3))), r"db has shape \(2, 4\) .*it still has the batch axis"),
    (replacing("db", lambda d, x, w, s, p: d.sum(axis=0)), r"db has shape .*sum dout over the positions"),
    (replacing("db", lambda d, x, w, s, p: d.mean(axis=(0, 2, 3))), r"db is wrong .*it averages dout instead of summing"),
])
def test_conv_backward_check_names_the_mistake(wrong, message):
    """(A transposed kernel reads like a flip to many students: on a square kernel it is named apart.)"""
    if message is None:
        check_conv_backward(conv_forward, wrong)
        return
    with pytest.raises(CheckFailed, match=message):
        check_conv_backward(conv_forward, wrong)


# ---------------------------------------------------------------- max-pool backward


def test_max_pool_check_passes_the_reference():
    check_max_pool_backward(max_pool_forward, max_pool_backward)
    check_max_pool_backward(max_pool_forward, max_pool_backward, seed=2, N=1, C=2, H=9, W=8, kernel=3, stride=2)


def loop_max_pool_forward(x, kernel, stride):
    n, c, height, width = x.shape
    out = np.zeros((n, c, (height - kernel) // stride + 1, (width - kernel) // stride + 1))
    for index in np.ndindex(out.shape):
        i, j = index[2] * stride, index[3] * stride
        out[index] = x[index[0], index[1], i:i + kernel, j:j + kernel].max()
    return out, (x, kernel, stride)


def loop_max_pool_backward(mistake=None):
    """A loop-based max-pool backward like a student writes it, with one optional slip."""
    def backward(dout, cache):
        x, kernel, stride = cache
        step = 1 if mistake == "stride ignored" else stride
        dx = np.zeros_like(x)
        for n, c, i, j in np.ndindex(dout.shape):
            rows, columns = slice(i * step, i * step + kernel), slice(j * step, j * step + kernel)
            if mistake == "whole window":
                dx[n, c, rows, columns] += dout[n, c, i, j]
                continue
            row, column = divmod(int(np.argmax(x[n, c, rows, columns])), kernel)
            if mistake == "swapped":
                row, column = column, row
            where = (n, c, i * step + row, j * step + column)
            value = 1.0 if mistake == "no dout" else dout[n, c, i, j]
            if mistake == "assigned":
                dx[where] = value
            else:
                dx[where] += value
        return dx
    return backward


def average_pool_forward(x, kernel, stride):
    out, cache = loop_max_pool_forward(x, kernel, stride)
    windows = np.lib.stride_tricks.sliding_window_view(x, (kernel, kernel), axis=(2, 3))[:, :, ::stride, ::stride]
    return windows.mean(axis=(-2, -1)), cache


def pool_with_kernel_as_size(x, kernel, stride):
    return loop_max_pool_forward(x, kernel, 1)


OVERLAPPING = {"kernel": 3, "stride": 2, "H": 9, "W": 8}


@pytest.mark.parametrize("forward, backward, options, message", [
    (loop_max_pool_forward, loop_max_pool_backward(), {}, None),  # the correct loop version passes
    (loop_max_pool_forward, loop_max_pool_backward(), OVERLAPPING, None),
    (loop_max_pool_forward, loop_max_pool_backward("whole window"), {},
     r"dx is wrong .*every entry of the window gets the gradient; only the arg-max"),
    (loop_max_pool_forward, loop_max_pool_backward("no dout"), {}, r"dx is wrong .*without multiplying by dout"),
    (loop_max_pool_forward, loop_max_pool_backward("stride ignored"), {}, r"dx is wrong .*the stride is ignored"),
    (loop_max_pool_forward, loop_max_pool_backward("assigned"), OVERLAPPING,
     r"dx is wrong .*maximum of two overlapping windows must collect both: use \+= instead of ="),
    (loop_max_pool_forward, loop_max_pool_backward("swapped"), {}, r"dx is wrong .*row and column of the arg-max are swapped"),
    (average_pool_forward, loop_max_pool_backward(), {}, r"output of max_pool_forward is wrong .*it averages the window"),
    (pool_with_kernel_as_size, loop_max_pool_backward(), {},
     r"output of max_pool_forward has shape \(2, 3, 5, 6\) .*the stride is ignored"),
])
def test_max_pool_check_names_the_mistake(forward, backward, options, message):
    if message is None:
        check_max_pool_backward(forward, backward, **options)
        return
    with pytest.raises(CheckFailed, match=message):
        check_max_pool_backward(forward, backward, **options)
