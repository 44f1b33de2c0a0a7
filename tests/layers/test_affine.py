import numpy as np
import pytest
import torch

from course.gradcheck import numerical_gradient
from course.layers import affine_backward, affine_forward
from tests.torch_oracle import assert_close, assert_matches_numeric, tensor, torch_grads


@pytest.mark.parametrize("trial", range(5))
def test_affine_matches_torch(rng, trial):
    n = int(rng.integers(1, 6))
    input_shape = tuple(int(s) for s in rng.integers(1, 5, size=int(rng.integers(1, 4))))
    m = int(rng.integers(1, 7))
    x = rng.normal(size=(n, *input_shape))
    w = rng.normal(size=(int(np.prod(input_shape)), m))
    b = rng.normal(size=m)
    dout = rng.normal(size=(n, m))

    out, cache = affine_forward(x, w, b)
    dx, dw, db = affine_backward(dout, cache)

    tx, tw, tb = tensor(x), tensor(w), tensor(b)
    tout = torch.nn.functional.linear(tx.flatten(1), tw.T, tb)
    assert_close(out, tout, what="out")
    for ours, theirs, name in zip((dx, dw, db), torch_grads(tout, dout, tx, tw, tb), "x w b".split()):
        assert_close(ours, theirs, what=f"d{name}")


def test_affine_matches_numeric_gradient(rng):
    x, w, b = rng.normal(size=(3, 2, 4)), rng.normal(size=(8, 5)), rng.normal(size=5)
    dout = rng.normal(size=(3, 5))
    dx, dw, db = affine_backward(dout, affine_forward(x, w, b)[1])
    assert_matches_numeric(dx, numerical_gradient(lambda v: affine_forward(v, w, b)[0], x, dout))
    assert_matches_numeric(dw, numerical_gradient(lambda v: affine_forward(x, v, b)[0], w, dout))
    assert_matches_numeric(db, numerical_gradient(lambda v: affine_forward(x, w, v)[0], b, dout))


def test_affine_rejects_mismatched_shapes_in_one_sentence():
    with pytest.raises(ValueError, match=r"each example of x has 6 values .* w has shape \(5, 2\)"):
        affine_forward(np.zeros((4, 2, 3)), np.zeros((5, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=r"b must have shape \(2,\)"):
        affine_forward(np.zeros((4, 5)), np.zeros((5, 2)), np.zeros(3))


def test_affine_of_an_empty_batch_works_like_torch(rng):
    x, w, b = np.zeros((0, 2, 3)), rng.normal(size=(6, 4)), rng.normal(size=4)
    out, cache = affine_forward(x, w, b)
    tx, tw, tb = tensor(x), tensor(w), tensor(b)
    tout = torch.nn.functional.linear(tx.reshape(0, 6), tw.T, tb)
    dx, dw, db = affine_backward(np.zeros((0, 4)), cache)  # used to crash: reshape(0, -1)
    gx, gw, gb = torch_grads(tout, np.zeros((0, 4)), tx, tw, tb)
    assert out.shape == (0, 4) and dx.shape == x.shape
    assert_close(dw, gw, what="dw")
    assert_close(db, gb, what="db")
