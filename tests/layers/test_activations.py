import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course import layers
from course.gradcheck import numerical_gradient
from tests.torch_oracle import assert_close, assert_matches_numeric, tensor, torch_grads

ELEMENTWISE = [
    ("relu", {}, lambda t: torch.relu(t)),
    ("leaky_relu", {"alpha": 0.07}, lambda t: F.leaky_relu(t, 0.07)),
    ("leaky_relu", {}, lambda t: F.leaky_relu(t, 0.01)),
    ("elu", {"alpha": 1.3}, lambda t: F.elu(t, 1.3)),
    ("elu", {}, lambda t: F.elu(t)),
    ("sigmoid", {}, torch.sigmoid),
    ("tanh", {}, torch.tanh),
]


def random_shape(rng):
    return tuple(int(s) for s in rng.integers(1, 6, size=int(rng.integers(1, 4))))


@pytest.mark.parametrize("name, kwargs, twin", ELEMENTWISE, ids=lambda v: v if isinstance(v, str) else "")
def test_activation_matches_torch(rng, name, kwargs, twin):
    forward = getattr(layers, f"{name}_forward")
    backward = getattr(layers, f"{name}_backward")
    for _ in range(3):
        x = 3 * rng.normal(size=random_shape(rng))
        dout = rng.normal(size=x.shape)
        out, cache = forward(x, **kwargs)
        tx = tensor(x)
        tout = twin(tx)
        assert_close(out, tout, what=f"{name} forward")
        assert_close(backward(dout, cache), torch_grads(tout, dout, tx)[0], what=f"{name} backward")


@pytest.mark.parametrize("name, kwargs, twin", ELEMENTWISE, ids=lambda v: v if isinstance(v, str) else "")
def test_activation_matches_numeric_gradient(rng, name, kwargs, twin):
    forward = getattr(layers, f"{name}_forward")
    backward = getattr(layers, f"{name}_backward")
    x = rng.normal(size=(4, 5))
    x = np.where(np.abs(x) < 0.05, 0.1, x)  # stay off the kink at 0
    dout = rng.normal(size=x.shape)
    dx = backward(dout, forward(x, **kwargs)[1])
    assert_matches_numeric(dx, numerical_gradient(lambda v: forward(v, **kwargs)[0], x, dout))


def test_derivatives_at_zero_follow_torch():
    zero, one = np.zeros(1), np.ones(1)
    assert layers.relu_backward(one, layers.relu_forward(zero)[1])[0] == 0.0
    assert layers.leaky_relu_backward(one, layers.leaky_relu_forward(zero, 0.2)[1])[0] == pytest.approx(0.2)
    assert layers.elu_backward(one, layers.elu_forward(zero, 0.5)[1])[0] == pytest.approx(0.5)


def test_lecture_values_of_sigmoid_and_tanh():
    x = np.linspace(-3, 3, 13)
    s, cache = layers.sigmoid_forward(np.zeros(1))
    assert s[0] == 0.5 and layers.sigmoid_backward(np.ones(1), cache)[0] == 0.25  # sigma'(0) = 1/4
    assert layers.tanh_backward(np.ones(1), layers.tanh_forward(np.zeros(1))[1])[0] == 1.0  # tanh'(0) = 1
    assert np.allclose(layers.tanh_forward(x)[0], 2 * layers.sigmoid_forward(2 * x)[0] - 1)  # tanh = 2 sigma(2x) - 1


def test_sigmoid_and_elu_do_not_overflow():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = layers.sigmoid_forward(np.array([-1000.0, 1000.0]))[0]
        e = layers.elu_forward(np.array([1000.0, -1000.0]))[0]
    assert s.tolist() == [0.0, 1.0] and e.tolist() == [1000.0, -1.0]


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax_match_torch(rng, axis):
    x = 50 * rng.normal(size=(4, 6))
    assert_close(layers.softmax(x, axis=axis), torch.softmax(tensor(x), dim=axis), what="softmax")
    assert_close(layers.log_softmax(x, axis=axis), torch.log_softmax(tensor(x), dim=axis), what="log_softmax")


def test_softmax_is_shift_invariant_and_stable():
    x = np.array([[1000.0, 1001.0, 1002.0]])
    assert np.allclose(layers.softmax(x), layers.softmax(x - 1000.0))
    assert np.isfinite(layers.softmax(x)).all()


def test_activation_rejects_non_numbers():
    with pytest.raises(ValueError, match="relu_forward: x must hold numbers"):
        layers.relu_forward(np.array(["a", "b"]))


# Regression tests (issue 14, item 8): aliasing caches, edge cases and hyperparameters --------------


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "sigmoid", "tanh"])
def test_changing_x_or_out_in_place_after_the_forward_pass_leaves_the_backward_pass_intact(rng, name):
    forward, backward = getattr(layers, f"{name}_forward"), getattr(layers, f"{name}_backward")
    x, dout = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    expected = backward(dout, forward(x.copy())[1])
    out, cache = forward(x)
    out *= 2.0  # sigmoid and tanh used to return one array as both out and cache
    x += 5.0    # relu, leaky_relu and elu used to keep the caller's x itself as the cache
    np.testing.assert_array_equal(backward(dout, cache), expected)


def test_sigmoid_forward_and_backward_are_exact_at_plus_and_minus_1000_without_overflow():
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    with np.errstate(over="raise"):
        s, cache = layers.sigmoid_forward(x)
        ds = layers.sigmoid_backward(np.ones(5), cache)
    torch_s = torch.sigmoid(tensor(x, grad=False)).numpy()
    np.testing.assert_allclose(s, torch_s, rtol=1e-15, atol=0)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
    np.testing.assert_allclose(ds, torch_s * (1.0 - torch_s), rtol=1e-15, atol=0)


def test_softmax_over_an_axis_of_length_zero_is_empty_as_in_torch():
    x = np.zeros((2, 0, 3))
    for axis in (1, 0, -1):
        assert layers.softmax(x, axis=axis).shape == torch.softmax(tensor(x, grad=False), dim=axis).shape
        assert layers.log_softmax(x, axis=axis).shape == (2, 0, 3)


@pytest.mark.parametrize("axis, message", [
    (2, r"softmax: axis 2 does not exist in an array of 2 dimensions; use an axis from -2 to 1\."),
    (-3, r"softmax: axis -3 does not exist in an array of 2 dimensions"),
    (1.0, r"softmax: axis must be an integer such as -1 \(the last axis\), got 1\.0\."),
    ("last", r"softmax: axis must be an integer such as -1 \(the last axis\), got 'last'\."),
    (None, r"softmax: axis must be an integer"),
])
def test_softmax_explains_a_bad_axis_in_one_sentence(axis, message):
    with pytest.raises(ValueError, match=message):
        layers.softmax(np.zeros((2, 3)), axis=axis)
    with pytest.raises(ValueError, match=message.replace("softmax", "log_softmax", 1)):
        layers.log_softmax(np.zeros((2, 3)), axis=axis)


def test_softmax_of_a_single_number_asks_for_an_array():
    with pytest.raises(ValueError, match=r"softmax: x is a single number \(0 dimensions\)"):
        layers.softmax(np.float64(2.0))


@pytest.mark.parametrize("name", ["leaky_relu", "elu"])
@pytest.mark.parametrize("alpha", ["0.1", None, np.nan, np.inf, True])
def test_activation_slope_must_be_a_finite_number(name, alpha):
    with pytest.raises(ValueError, match=rf"{name}_forward: alpha must be a finite number, got"):
        getattr(layers, f"{name}_forward")(np.zeros(3), alpha=alpha)
