import numpy as np
import pytest
import torch

from course.gradcheck import numerical_gradient, rel_error
from course.layers import im2col as im2col_module
from course.layers.im2col import col2im_add, im2col
from course.layers.convolution import (
    conv_backward,
    conv_backward_fast,
    conv_backward_naive,
    conv_forward,
    conv_forward_fast,
    conv_forward_naive,
)
from tests.torch_oracle import assert_close, tensor, torch_grads

# Two float64 results summed in different orders differ by about 1e-15 in absolute terms; a
# relative tolerance of 1e-9 stays clear of that even on entries that happen to be near zero.
TOLERANCE = 1e-9

VERSIONS = {
    "naive": (conv_forward_naive, conv_backward_naive),
    "fast": (conv_forward_fast, conv_backward_fast),
    "default": (conv_forward, conv_backward),
}


def random_geometry(rng):
    """Random small shapes: odd sizes, non-square kernels, stride and padding, the kernel fitting."""
    while True:
        n, c, f = (int(v) for v in rng.integers(1, 4, size=3))
        height, width = (int(v) for v in rng.integers(1, 10, size=2))
        kernel_height, kernel_width = (int(v) for v in rng.integers(1, 5, size=2))
        stride, pad = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        if kernel_height <= height + 2 * pad and kernel_width <= width + 2 * pad:
            return (n, c, height, width), (f, c, kernel_height, kernel_width), stride, pad


def assert_conv_matches_torch(forward, backward, rng, x_shape, w_shape, stride, pad):
    x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0])
    out, cache = forward(x, w, b, stride, pad)
    tx, tw, tb = tensor(x), tensor(w), tensor(b)
    tout = torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=pad)
    assert_close(out, tout, TOLERANCE, what="out")
    dout = rng.normal(size=out.shape)
    for ours, theirs, name in zip(backward(dout, cache), torch_grads(tout, dout, tx, tw, tb), ("dx", "dw", "db")):
        assert_close(ours, theirs, TOLERANCE, what=name)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("trial", range(8))
def test_conv_matches_torch_on_random_shapes(rng, version, trial):
    assert_conv_matches_torch(*VERSIONS[version], rng, *random_geometry(rng))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "x_shape, w_shape, stride, pad",
    [
        ((1, 3, 7, 7), (2, 3, 3, 3), 3, 0),  # batch of one; (7 - 3) / 3 is not whole: floor to 2
        ((2, 2, 9, 6), (3, 2, 2, 5), 2, 2),  # non-square kernel, stride and padding
        ((2, 3, 5, 5), (4, 3, 1, 1), 1, 0),  # 1x1 convolution
        ((1, 1, 2, 3), (1, 1, 4, 5), 1, 1),  # kernel larger than x, but not than padded x
    ],
)
def test_conv_matches_torch_on_chosen_shapes(rng, version, x_shape, w_shape, stride, pad):
    assert_conv_matches_torch(*VERSIONS[version], rng, x_shape, w_shape, stride, pad)


def test_im2col_puts_each_window_in_a_column(rng):
    x_padded = rng.normal(size=(2, 3, 7, 6))  # (N, C, Hp, Wp)
    kernel_height, kernel_width, stride = 3, 2, 2
    cols = im2col(x_padded.transpose(1, 0, 2, 3), kernel_height, kernel_width, stride)  # channels first in
    h_out, w_out = 3, 3
    assert cols.shape == (kernel_height * kernel_width * 3, 2, h_out * w_out)
    blocks = cols.reshape(kernel_height, kernel_width, 3, 2, h_out, w_out)
    for kh, kw, c, n, i, j in np.ndindex(blocks.shape):
        assert blocks[kh, kw, c, n, i, j] == x_padded[n, c, i * stride + kh, j * stride + kw]


def test_col2im_is_the_adjoint_of_im2col(rng):
    """<im2col(x), y> = <x, col2im(y)> for all x, y: col2im is exactly the transpose of im2col."""
    x_padded = rng.normal(size=(3, 2, 8, 7))  # channels first: (C, N, Hp, Wp)
    cols = im2col(x_padded, 2, 3, 2)
    y = rng.normal(size=cols.shape)
    back = col2im_add(y, np.zeros_like(x_padded), 2, 3, 2)
    assert np.isclose(np.sum(cols * y), np.sum(x_padded * back), rtol=1e-12)


def test_fast_equals_naive_across_batch_chunks(rng, monkeypatch):
    x, w, b = rng.normal(size=(5, 3, 8, 7)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    naive_out, naive_cache = conv_forward_naive(x, w, b, 2, 1)
    dout = rng.normal(size=naive_out.shape)
    naive_grads = conv_backward_naive(dout, naive_cache)
    per_image = 3 * 3 * 2 * 4 * 4 * 8  # bytes of im2col columns per image
    for budget in (1, 2 * per_image, 10**9):  # one image per chunk, uneven chunks (2, 2, 1), one chunk
        monkeypatch.setattr(im2col_module, "CHUNK_BYTES", budget)
        fast_out, fast_cache = conv_forward_fast(x, w, b, 2, 1)
        assert rel_error(fast_out, naive_out) < TOLERANCE
        for fast, naive in zip(conv_backward_fast(dout, fast_cache), naive_grads):
            assert rel_error(fast, naive) < TOLERANCE


def test_caches_of_both_versions_are_interchangeable(rng):
    x, w, b = rng.normal(size=(2, 2, 5, 6)), rng.normal(size=(3, 2, 2, 3)), rng.normal(size=3)
    out, naive_cache = conv_forward_naive(x, w, b, 1, 1)
    dout = rng.normal(size=out.shape)
    for fast, naive in zip(conv_backward_fast(dout, naive_cache), conv_backward_naive(dout, conv_forward_fast(x, w, b, 1, 1)[1])):
        assert rel_error(fast, naive) < TOLERANCE


@pytest.mark.parametrize("version", ["naive", "fast"])
def test_conv_matches_numeric_gradient(rng, version):
    forward, backward = VERSIONS[version]
    x, w, b = rng.normal(size=(2, 2, 5, 4)), rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3)
    stride, pad = 2, 1
    out, cache = forward(x, w, b, stride, pad)
    dout = rng.normal(size=out.shape)
    dx, dw, db = backward(dout, cache)
    # The layer is linear in each argument, so central differences are exact up to rounding for
    # any step; a large step keeps the rounding far below the tolerance, even on tiny entries.
    h = 1e-2
    assert rel_error(dx, numerical_gradient(lambda v: conv_forward(v, w, b, stride, pad)[0], x, dout, h)) < 1e-8
    assert rel_error(dw, numerical_gradient(lambda v: conv_forward(x, v, b, stride, pad)[0], w, dout, h)) < 1e-8
    assert rel_error(db, numerical_gradient(lambda v: conv_forward(x, w, v, stride, pad)[0], b, dout, h)) < 1e-8


def test_conv_is_cross_correlation_not_flipped():
    """An antisymmetric kernel (Sobel) tells the two apart: the kernel is used as given."""
    sobel = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    ramp = np.tile(np.arange(5.0), (5, 1))  # brightness grows to the right by 1 per pixel
    out, _ = conv_forward(ramp[None, None], sobel[None, None], np.zeros(1))
    assert np.allclose(out, 8.0)  # a true (flipped) convolution would give -8


@pytest.mark.parametrize(
    "size, kernel, stride, pad, expected",
    [(32, 5, 1, 0, 28), (32, 5, 1, 2, 32), (7, 3, 2, 0, 3), (7, 3, 3, 0, 2), (5, 3, 2, 1, 3), (227, 11, 4, 0, 55)],
)
def test_output_size_follows_the_lecture_formula(size, kernel, stride, pad, expected):
    """W2 = floor((W1 - F + 2P) / S) + 1, on the derived test vectors of the lecture notes."""
    out, _ = conv_forward(np.zeros((1, 1, size, size)), np.zeros((1, 1, kernel, kernel)), np.zeros(1), stride, pad)
    assert out.shape == (1, 1, expected, expected)


def test_conv_leaves_its_inputs_alone(rng):
    x, w, b = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(2, 2, 3, 3)), rng.normal(size=2)
    copies = x.copy(), w.copy(), b.copy()
    out, cache = conv_forward(x, w, b, 1, 1)
    dout = rng.normal(size=out.shape)
    dout_copy = dout.copy()
    conv_backward(dout, cache)
    for before, after in zip(copies + (dout_copy,), (x, w, b, dout)):
        assert np.array_equal(before, after)


@pytest.mark.parametrize("forward", [conv_forward_naive, conv_forward])
def test_conv_rejects_bad_input_in_one_sentence(forward):
    x, w, b = np.zeros((2, 3, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros(4)
    with pytest.raises(ValueError, match=r"x has 3 channels .* but w expects 2"):
        forward(x, np.zeros((4, 2, 3, 3)), b)
    with pytest.raises(ValueError, match=r"the 3x8 kernel does not fit in the padded input of 7x7 "
                                         r"\(x is 5x5 with pad=1 on each side\)"):
        forward(x, np.zeros((4, 3, 3, 8)), b, 1, 1)
    with pytest.raises(ValueError, match=r"b must have shape \(4,\)"):
        forward(x, w, np.zeros(3))
    with pytest.raises(ValueError, match=r"stride must be a positive integer, got 1\.5"):
        forward(x, w, b, 1.5)
    with pytest.raises(ValueError, match=r"stride must be a positive integer, got 0"):
        forward(x, w, b, 0)
    with pytest.raises(ValueError, match=r"pad must be a non-negative integer, got -1"):
        forward(x, w, b, 1, -1)
    with pytest.raises(ValueError, match=r"x must have 4 dimensions, got shape \(3, 5, 5\)"):
        forward(x[0], w, b)


def test_conv_backward_rejects_a_wrong_upstream_shape():
    _, cache = conv_forward(np.zeros((2, 3, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros(4))
    with pytest.raises(ValueError, match=r"dout has shape \(2, 4, 5, 5\) but the layer's output had shape \(2, 4, 3, 3\)"):
        conv_backward(np.zeros((2, 4, 5, 5)), cache)


@pytest.mark.parametrize("version", VERSIONS)
def test_conv_of_an_empty_batch_works_like_torch(rng, version):
    # the fast backward pass used to crash here: reshape(0, F, -1) cannot infer its last axis
    assert_conv_matches_torch(*VERSIONS[version], rng, (0, 2, 5, 5), (3, 2, 3, 3), 2, 1)
