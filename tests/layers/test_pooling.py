import numpy as np
import pytest
import torch

from course.gradcheck import numerical_gradient, rel_error
from course.layers.pooling import avg_pool_backward, avg_pool_forward, max_pool_backward, max_pool_forward
from tests.torch_oracle import assert_close, tensor, torch_grads

TOLERANCE = 1e-9  # see tests/layers/test_convolution.py

POOLS = {
    "max": (max_pool_forward, max_pool_backward, torch.nn.functional.max_pool2d),
    "avg": (avg_pool_forward, avg_pool_backward, torch.nn.functional.avg_pool2d),
}


def distinct_values(rng, shape, gap=0.05):
    """Random values, no two closer than ``gap``: no ties, and a numeric step of 1e-3 crosses no
    switch of the arg-max."""
    return gap * rng.permutation(int(np.prod(shape))).reshape(shape) - gap * np.prod(shape) / 2


def random_geometry(rng):
    """Random small shapes: odd sizes, batch of one at times, overlapping windows (stride < kernel)."""
    while True:
        n, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
        height, width = (int(v) for v in rng.integers(1, 10, size=2))
        kernel, stride = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        if kernel <= min(height, width):
            return (n, c, height, width), kernel, stride


@pytest.mark.parametrize("pool", POOLS)
@pytest.mark.parametrize("trial", range(8))
def test_pooling_matches_torch_on_random_shapes(rng, pool, trial):
    forward, backward, torch_pool = POOLS[pool]
    shape, kernel, stride = random_geometry(rng)
    x = distinct_values(rng, shape)
    out, cache = forward(x, kernel, stride)
    tx = tensor(x)
    tout = torch_pool(tx, kernel, stride)
    assert_close(out, tout, TOLERANCE, what="out")
    dout = rng.normal(size=out.shape)
    assert_close(backward(dout, cache), torch_grads(tout, dout, tx)[0], TOLERANCE, what="dx")


@pytest.mark.parametrize("pool", POOLS)
@pytest.mark.parametrize("shape, kernel, stride", [((1, 2, 7, 5), 3, 2), ((2, 1, 6, 6), 2, 2), ((1, 1, 5, 8), 2, 3)])
def test_pooling_matches_numeric_gradient(rng, pool, shape, kernel, stride):
    forward, backward, _ = POOLS[pool]
    x = distinct_values(rng, shape)
    out, cache = forward(x, kernel, stride)
    dout = rng.normal(size=out.shape)
    expected = numerical_gradient(lambda v: forward(v, kernel, stride)[0], x, dout, h=1e-3)
    assert rel_error(backward(dout, cache), expected) < 1e-8


def test_stride_none_means_stride_equals_kernel_as_torch(rng):
    x = distinct_values(rng, (2, 2, 9, 7))
    for forward, _, torch_pool in POOLS.values():
        assert_close(forward(x, 3, None)[0], torch_pool(tensor(x), 3), TOLERANCE)


def test_max_pool_gradient_reaches_a_quarter_of_the_entries(rng):
    """Lecture example: 2x2 windows, stride 2, unique maxima: one entry in four gets the
    gradient, with local derivative 1."""
    x = distinct_values(rng, (2, 3, 8, 6))
    out, cache = max_pool_forward(x, 2, 2)
    dx = max_pool_backward(np.ones_like(out), cache)
    assert np.count_nonzero(dx) == x.size // 4
    assert set(np.unique(dx)) == {0.0, 1.0}
    assert np.isclose(np.sum(dx * x), np.sum(out))  # each window's maximum picked exactly once


def test_max_pool_sends_a_tie_to_the_first_maximum_like_torch():
    x = np.array([[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 1.0, 3.0]]]])  # both windows hold two 3s
    out, cache = max_pool_forward(x, 2, 2)
    dout = np.array([[[[1.0, 2.0]]]])
    tx = tensor(x)
    tout = torch.nn.functional.max_pool2d(tx, 2, 2)
    assert_close(out, tout)
    assert_close(max_pool_backward(dout, cache), torch_grads(tout, dout, tx)[0])
    assert np.array_equal(max_pool_backward(dout, cache), [[[[0.0, 1.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]])


def test_avg_pool_is_linear(rng):
    x, y = rng.normal(size=(2, 2, 6, 5)), rng.normal(size=(2, 2, 6, 5))
    combined = avg_pool_forward(2.0 * x - 3.0 * y, 3, 1)[0]
    assert rel_error(combined, 2.0 * avg_pool_forward(x, 3, 1)[0] - 3.0 * avg_pool_forward(y, 3, 1)[0]) < 1e-12


@pytest.mark.parametrize("pool", POOLS)
def test_pooling_rejects_bad_input_in_one_sentence(pool):
    forward, backward, _ = POOLS[pool]
    name = f"{pool}_pool"
    with pytest.raises(ValueError, match=rf"{name}_forward: the 3x3 window does not fit in the 2x5 input \(pooling adds no padding\)"):
        forward(np.zeros((1, 1, 2, 5)), 3, 1)
    with pytest.raises(ValueError, match=rf"{name}_forward: kernel must be a positive integer, got 0"):
        forward(np.zeros((1, 1, 4, 4)), 0)
    with pytest.raises(ValueError, match=rf"{name}_forward: stride must be a positive integer, got 1\.5"):
        forward(np.zeros((1, 1, 4, 4)), 2, 1.5)
    with pytest.raises(ValueError, match=rf"{name}_forward: x must have 4 dimensions, got shape \(4, 4\)"):
        forward(np.zeros((4, 4)))
    _, cache = forward(np.zeros((1, 2, 4, 4)))
    with pytest.raises(ValueError, match=rf"{name}_backward: dout has shape \(1, 2, 4, 4\) but the layer's output had shape \(1, 2, 2, 2\)"):
        backward(np.zeros((1, 2, 4, 4)), cache)
