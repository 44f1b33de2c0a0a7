import numpy as np
import pytest
import torch

from course.gradcheck import numerical_gradient, rel_error
from tests.torch_oracle import assert_matches_numeric


def test_numerical_gradient_matches_torch_on_a_nonlinear_function(rng):
    x = rng.normal(size=(3, 4))
    dout = rng.normal(size=(4, 4))
    f = lambda v: np.sin(v).T @ v  # noqa: E731
    tx = torch.tensor(x, requires_grad=True)
    (torch.sin(tx).T @ tx).backward(torch.tensor(dout))
    assert rel_error(numerical_gradient(f, x, dout), tx.grad.numpy()) < 1e-8


def test_scalar_function_and_x_left_unchanged(rng):
    x = rng.normal(size=5)
    before = x.copy()
    grad = numerical_gradient(lambda v: np.sum(v**3), x)
    assert np.array_equal(x, before)
    assert_matches_numeric(3 * x**2, grad)


def test_uses_the_output_of_an_out_cache_pair_and_copes_with_views(rng):
    x = rng.normal(size=(2, 3))
    dout = rng.normal(size=(2, 3))
    assert rel_error(numerical_gradient(lambda v: (v, "cache"), x, dout), dout) < 1e-8
    assert rel_error(numerical_gradient(lambda v: v, x, dout), dout) < 1e-8  # f returns x itself


def test_clear_errors():
    with pytest.raises(TypeError, match="floating-point NumPy array"):
        numerical_gradient(lambda v: v.sum(), np.arange(3))
    with pytest.raises(ValueError, match="pass dout"):
        numerical_gradient(lambda v: v, np.zeros(3))
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.zeros(2), np.zeros(3))


def test_rel_error_definition():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    assert rel_error(np.array([0.0]), np.array([1e-12])) == pytest.approx(1e-4)  # floor of 1e-8
