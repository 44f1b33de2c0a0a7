"""Activations and softmax against torch on random shapes (empty ones too) and values."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from course import layers
from tests.properties.strategies import array_and_upstream, assert_matches, floats, shapes
from tests.torch_oracle import tensor, torch_grads

SLOPES = st.floats(-2.0, 2.0, allow_nan=False)
ELEMENTWISE = {  # name -> (strategy for the keyword arguments, torch twin given them)
    "relu": (st.just({}), lambda t: torch.relu(t)),
    "leaky_relu": (st.fixed_dictionaries({"alpha": SLOPES}), lambda t, alpha=0.01: F.leaky_relu(t, alpha)),
    "elu": (st.fixed_dictionaries({}, optional={"alpha": SLOPES}), lambda t, alpha=1.0: F.elu(t, alpha)),
    "sigmoid": (st.just({}), lambda t: torch.sigmoid(t)),
    "tanh": (st.just({}), lambda t: torch.tanh(t)),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
@given(data=st.data())
def test_activation_matches_torch_and_ignores_later_changes_to_x_and_out(name, data):
    keywords_strategy, twin = ELEMENTWISE[name]
    keywords = data.draw(keywords_strategy, label="keywords")
    x, dout = data.draw(array_and_upstream(data.draw(shapes(), label="shape"), bound=40.0), label="x, dout")
    tx = tensor(x)
    tout = twin(tx, **keywords)
    expected_dx = torch_grads(tout, dout, tx)[0]

    out, cache = getattr(layers, f"{name}_forward")(x, **keywords)
    assert_matches(out, tout, what=f"{name} forward")
    out *= 2.0  # the caller may reuse both arrays: the cache must not be either of them
    x += 1.0
    assert_matches(getattr(layers, f"{name}_backward")(dout, cache), expected_dx, what=f"{name} backward")


@given(data=st.data())
def test_sigmoid_tanh_and_elu_never_overflow(data):
    x, dout = data.draw(array_and_upstream(data.draw(shapes(min_dims=1)), elements=floats(1e4)))
    tx = tensor(x)
    for name, twin in (("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("elu", F.elu)):
        tout = twin(tx)
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            out, cache = getattr(layers, f"{name}_forward")(x)
            dx = getattr(layers, f"{name}_backward")(dout, cache)
        assert_matches(out, tout, what=f"{name} forward")
        assert_matches(dx, torch_grads(tout, dout, tx)[0], what=f"{name} backward")


# Rows may hold -inf (a ruled-out entry); a row of nothing but -inf gives NaN in both.
SCORES = st.one_of(floats(50.0), st.just(-np.inf))


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # a row of -inf: NaN, as torch
@given(data=st.data())
def test_softmax_and_log_softmax_match_torch_on_any_axis(data):
    x = data.draw(array_and_upstream(data.draw(shapes(min_dims=1)), elements=SCORES))[0]
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1), label="axis")
    assert_matches(layers.softmax(x, axis=axis), torch.softmax(tensor(x), dim=axis), what="softmax")
    assert_matches(layers.log_softmax(x, axis=axis), torch.log_softmax(tensor(x), dim=axis), what="log_softmax")


@given(shape=shapes(min_dims=1), offset=st.integers(0, 5), negative=st.booleans())
def test_softmax_refuses_an_axis_that_does_not_exist_in_one_sentence(shape, offset, negative):
    axis = -len(shape) - 1 - offset if negative else len(shape) + offset
    for function in (layers.softmax, layers.log_softmax):
        with pytest.raises(ValueError, match=rf"^{function.__name__}: axis {axis} does not exist in an array of "):
            function(np.zeros(shape), axis=axis)
