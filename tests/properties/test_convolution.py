"""Convolution (both versions) and transposed convolution against torch, empty batches too."""
import pytest
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from course.layers import (
    conv_backward,
    conv_backward_naive,
    conv_forward,
    conv_forward_naive,
    conv_transpose_backward,
    conv_transpose_forward,
)
from tests.properties.strategies import BATCH, SIDE, arrays, assert_matches
from tests.torch_oracle import tensor, torch_grads

TOLERANCE = 1e-9  # see tests/layers/test_convolution.py: sums taken in another order


@st.composite
def conv_geometry(draw):
    """(x_shape, w_shape, stride, pad) with the kernel fitting in the padded input."""
    n, channels, filters = draw(BATCH), draw(SIDE), draw(SIDE)
    height, width = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    stride, pad = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    kernel_height = draw(st.integers(1, min(4, height + 2 * pad)))
    kernel_width = draw(st.integers(1, min(4, width + 2 * pad)))
    return (n, channels, height, width), (filters, channels, kernel_height, kernel_width), stride, pad


@st.composite
def conv_transpose_geometry(draw):
    """(x_shape, w_shape, stride, pad, output_padding) with an output of at least 1x1."""
    n, channels_in, channels_out = draw(BATCH), draw(SIDE), draw(SIDE)
    height, width = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    kernel_height, kernel_width = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(st.integers(1, 3))
    output_padding = draw(st.integers(0, stride - 1))
    largest_pad = min((height - 1) * stride + kernel_height + output_padding - 1,
                      (width - 1) * stride + kernel_width + output_padding - 1) // 2
    pad = draw(st.integers(0, min(2, largest_pad)))
    return ((n, channels_in, height, width), (channels_in, channels_out, kernel_height, kernel_width),
            stride, pad, output_padding)


@pytest.mark.parametrize("forward, backward", [(conv_forward, conv_backward), (conv_forward_naive, conv_backward_naive)],
                         ids=["fast", "naive"])
@given(data=st.data())
def test_convolution_matches_torch_conv2d(forward, backward, data):
    x_shape, w_shape, stride, pad = data.draw(conv_geometry(), label="geometry")
    x, w, b = data.draw(arrays(x_shape), label="x"), data.draw(arrays(w_shape), label="w"), data.draw(arrays(w_shape[:1]))
    out, cache = forward(x, w, b, stride, pad)
    tx, tw, tb = tensor(x), tensor(w), tensor(b)
    tout = F.conv2d(tx, tw, tb, stride=stride, padding=pad)
    assert_matches(out, tout, TOLERANCE, what="out")
    dout = data.draw(arrays(out.shape), label="dout")
    for ours, theirs, name in zip(backward(dout, cache), torch_grads(tout, dout, tx, tw, tb), ("dx", "dw", "db")):
        assert_matches(ours, theirs, TOLERANCE, what=name)


@given(data=st.data())
def test_transposed_convolution_matches_torch_conv_transpose2d(data):
    x_shape, w_shape, stride, pad, output_padding = data.draw(conv_transpose_geometry(), label="geometry")
    x, w, b = data.draw(arrays(x_shape), label="x"), data.draw(arrays(w_shape), label="w"), data.draw(arrays(w_shape[1:2]))
    out, cache = conv_transpose_forward(x, w, b, stride, pad, output_padding)
    tx, tw, tb = tensor(x), tensor(w), tensor(b)
    tout = F.conv_transpose2d(tx, tw, tb, stride=stride, padding=pad, output_padding=output_padding)
    assert_matches(out, tout, TOLERANCE, what="out")
    dout = data.draw(arrays(out.shape), label="dout")
    for ours, theirs, name in zip(conv_transpose_backward(dout, cache), torch_grads(tout, dout, tx, tw, tb),
                                  ("dx", "dw", "db")):
        assert_matches(ours, theirs, TOLERANCE, what=name)
