import numpy as np
import pytest
import torch

from course.gradcheck import numerical_gradient, rel_error
from course.layers.conv_transpose import conv_transpose_backward, conv_transpose_forward
from course.layers.convolution import conv_backward, conv_forward
from tests.torch_oracle import assert_close, tensor, torch_grads

TOLERANCE = 1e-9  # see tests/layers/test_convolution.py


def random_geometry(rng):
    """Random small shapes with stride, padding and output_padding that torch accepts."""
    while True:
        n, c_in, c_out = (int(v) for v in rng.integers(1, 4, size=3))
        height, width = (int(v) for v in rng.integers(1, 7, size=2))
        kernel_height, kernel_width = (int(v) for v in rng.integers(1, 5, size=2))
        stride = int(rng.integers(1, 4))
        pad, output_padding = int(rng.integers(0, 3)), int(rng.integers(0, stride))
        h_out = (height - 1) * stride - 2 * pad + kernel_height + output_padding
        w_out = (width - 1) * stride - 2 * pad + kernel_width + output_padding
        if h_out >= 1 and w_out >= 1:
            return (n, c_in, height, width), (c_in, c_out, kernel_height, kernel_width), stride, pad, output_padding


def assert_matches_torch(rng, x_shape, w_shape, stride, pad, output_padding):
    x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[1])
    out, cache = conv_transpose_forward(x, w, b, stride, pad, output_padding)
    tx, tw, tb = tensor(x), tensor(w), tensor(b)
    tout = torch.nn.functional.conv_transpose2d(tx, tw, tb, stride=stride, padding=pad, output_padding=output_padding)
    assert_close(out, tout, TOLERANCE, what="out")
    dout = rng.normal(size=out.shape)
    for ours, theirs, name in zip(conv_transpose_backward(dout, cache), torch_grads(tout, dout, tx, tw, tb), ("dx", "dw", "db")):
        assert_close(ours, theirs, TOLERANCE, what=name)


@pytest.mark.parametrize("trial", range(10))
def test_conv_transpose_matches_torch_on_random_shapes(rng, trial):
    assert_matches_torch(rng, *random_geometry(rng))


@pytest.mark.parametrize(
    "x_shape, w_shape, stride, pad, output_padding",
    [
        ((1, 2, 4, 4), (2, 3, 4, 4), 2, 1, 0),  # batch of one, the usual 2x upsampling (4x4 -> 8x8)
        ((2, 3, 3, 5), (3, 2, 3, 2), 3, 2, 2),  # non-square kernel, output_padding = stride - 1
        ((2, 2, 5, 5), (2, 4, 1, 1), 1, 0, 0),  # 1x1: a per-pixel linear map
    ],
)
def test_conv_transpose_matches_torch_on_chosen_shapes(rng, x_shape, w_shape, stride, pad, output_padding):
    assert_matches_torch(rng, x_shape, w_shape, stride, pad, output_padding)


def test_conv_transpose_matches_numeric_gradient(rng):
    x, w, b = rng.normal(size=(2, 2, 3, 4)), rng.normal(size=(2, 3, 3, 2)), rng.normal(size=3)
    args = (2, 1, 1)
    out, cache = conv_transpose_forward(x, w, b, *args)
    dout = rng.normal(size=out.shape)
    dx, dw, db = conv_transpose_backward(dout, cache)
    h = 1e-2  # linear in each argument: exact up to rounding for any step
    assert rel_error(dx, numerical_gradient(lambda v: conv_transpose_forward(v, w, b, *args)[0], x, dout, h)) < 1e-8
    assert rel_error(dw, numerical_gradient(lambda v: conv_transpose_forward(x, v, b, *args)[0], w, dout, h)) < 1e-8
    assert rel_error(db, numerical_gradient(lambda v: conv_transpose_forward(x, w, v, *args)[0], b, dout, h)) < 1e-8


def test_conv_transpose_is_the_input_gradient_of_conv(rng):
    """Transposed convolution of g equals the dx that conv_backward computes from dout = g."""
    x, w = rng.normal(size=(2, 3, 8, 7)), rng.normal(size=(4, 3, 3, 3))
    out, cache = conv_forward(x, w, np.zeros(4), 2, 1)
    g = rng.normal(size=out.shape)
    dx, _, _ = conv_backward(g, cache)
    # conv maps 8x7 to 4x4; going back, 4 -> 7 needs output_padding 1 to reach 8, 4 -> 7 needs 0.
    # torch takes one output_padding for both axes, so compare the 8-row result on its first 7 columns.
    transposed, _ = conv_transpose_forward(g, w, np.zeros(3), 2, 1, 1)
    assert transposed.shape == (2, 3, 8, 8)
    assert rel_error(transposed[..., :7], dx) < TOLERANCE


def test_conv_transpose_rejects_bad_input_in_one_sentence():
    x, w, b = np.zeros((2, 3, 4, 4)), np.zeros((3, 2, 3, 3)), np.zeros(2)
    with pytest.raises(ValueError, match=r"x has 3 channels .* but w expects 2 .*\(C_in, C_out, KH, KW\)"):
        conv_transpose_forward(x, np.zeros((2, 3, 3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"b must have shape \(2,\)"):
        conv_transpose_forward(x, w, np.zeros(3))
    with pytest.raises(ValueError, match=r"output_padding must be smaller than stride, got output_padding=2 with stride=2"):
        conv_transpose_forward(x, w, b, 2, 0, 2)
    with pytest.raises(ValueError, match=r"pad=3 crops away the whole output; use a smaller pad"):
        conv_transpose_forward(x, w, b, 1, 3)
    with pytest.raises(ValueError, match=r"stride must be a positive integer, got 2\.0"):
        conv_transpose_forward(x, w, b, 2.0)
    _, cache = conv_transpose_forward(x, w, b, 2, 1, 1)
    with pytest.raises(ValueError, match=r"dout has shape \(2, 2, 7, 7\) but the layer's output had shape \(2, 2, 8, 8\)"):
        conv_transpose_backward(np.zeros((2, 2, 7, 7)), cache)


def test_conv_transpose_of_an_empty_batch_works_like_torch(rng):
    assert_matches_torch(rng, (0, 3, 4, 4), (3, 2, 3, 3), 2, 1, 1)  # the backward pass used to crash
