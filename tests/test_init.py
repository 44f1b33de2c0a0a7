"""Initializers: fans and gains as torch computes them, the same distributions as torch.nn.init
(checked draw for draw through a shared torch Generator), and the statistics of our own draws."""
import math

import numpy as np
import pytest
import torch

from course import init

SHAPES = [  # (our shape, layout, the same weight in torch's layout)
    ((7, 5), "affine", (5, 7)),            # x @ w with w (D_in, M_out); torch's Linear.weight is (out, in)
    ((6, 3, 5, 5), "conv", (6, 3, 5, 5)),  # conv weights share torch's layout
    ((6, 3, 5, 5), None, (6, 3, 5, 5)),
    ((4, 9), "torch", (4, 9)),
    ((8, 2, 3), "torch", (8, 2, 3)),
]


@pytest.mark.parametrize("shape, layout, torch_shape", SHAPES)
def test_fans_are_torchs_for_the_same_weight(shape, layout, torch_shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(torch_shape))
    assert init.fan_in_and_fan_out(shape, layout) == expected


def test_affine_layout_is_the_transpose_of_torchs_linear_weight():
    assert init.fan_in_and_fan_out((300, 100)) == (300, 100)          # ours: (fan_in, fan_out)
    linear = torch.nn.Linear(300, 100)
    assert torch.nn.init._calculate_fan_in_and_fan_out(linear.weight) == (300, 100)
    assert tuple(linear.weight.shape) == (100, 300)


@pytest.mark.parametrize("nonlinearity, param", [("linear", None), ("conv2d", None), ("sigmoid", None),
                                                 ("tanh", None), ("relu", None), ("leaky_relu", None),
                                                 ("leaky_relu", 0.2), ("leaky_relu", 1), ("selu", None)])
def test_gain_is_torchs(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity, param)


def torch_draw(name, torch_shape, **kwargs):
    return getattr(torch.nn.init, name + "_")(
        torch.empty(torch_shape, dtype=torch.float64), generator=torch.Generator().manual_seed(3), **kwargs)


@pytest.mark.parametrize("shape, layout, torch_shape", SHAPES)
@pytest.mark.parametrize("kind, kwargs", [
    ("xavier_uniform", {}), ("xavier_uniform", {"gain": 5 / 3}), ("xavier_normal", {"gain": math.sqrt(2)}),
    ("kaiming_uniform", {}), ("kaiming_uniform", {"a": math.sqrt(5)}),
    ("kaiming_normal", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal", {"a": 0.2, "nonlinearity": "leaky_relu"}),
])
def test_same_distribution_as_torch(shape, layout, torch_shape, kind, kwargs):
    """torch draws U(-b, b) or N(0, std**2) from the generator; ours give the same b or std."""
    std = (init.xavier_std(shape, layout=layout, **kwargs) if kind.startswith("xavier")
           else init.kaiming_std(shape, layout=layout, **kwargs))
    generator = torch.Generator().manual_seed(3)
    like_torch = torch.empty(torch_shape, dtype=torch.float64)
    if kind.endswith("uniform"):
        bound = init.UNIFORM_BOUND_PER_STD * std
        like_torch.uniform_(-bound, bound, generator=generator)
    else:
        like_torch.normal_(0.0, std, generator=generator)
    torch.testing.assert_close(like_torch, torch_draw(kind, torch_shape, **kwargs), rtol=1e-13, atol=0.0)


@pytest.mark.parametrize("kind", sorted(init.INITIALIZERS))
@pytest.mark.parametrize("shape", [(600, 200), (64, 32, 3, 3)])
def test_our_draws_have_the_stated_standard_deviation(kind, shape):
    weights = init.INITIALIZERS[kind](shape, seed=1)
    std = init.xavier_std(shape) if kind.startswith("xavier") else init.kaiming_std(shape)
    assert weights.shape == shape
    assert abs(weights.mean()) < 5 * std / math.sqrt(weights.size)
    assert abs(weights.std() / std - 1) < 0.02
    if kind.endswith("uniform"):
        bound = math.sqrt(3) * std
        assert np.abs(weights).max() <= bound and np.abs(weights).max() > 0.999 * bound


def test_the_notes_xavier_bound_is_really_he_uniform():
    """Erratum: U(+-sqrt(6 / n_in)) is the He bound for ReLU; Glorot's is sqrt(6 / (n_in + n_out))."""
    shape = (400, 100)
    assert math.isclose(math.sqrt(3) * init.kaiming_std(shape, nonlinearity="relu"), math.sqrt(6 / 400))
    assert math.isclose(math.sqrt(3) * init.xavier_std(shape), math.sqrt(6 / 500))
    assert math.isclose(init.kaiming_std(shape, nonlinearity="relu") ** 2, 2 / 400)  # N(0, 2/n): 2/n is the variance


def test_seed_makes_draws_reproducible_and_accepts_a_generator():
    np.testing.assert_array_equal(init.kaiming_normal((5, 4), seed=7), init.kaiming_normal((5, 4), seed=7))
    assert not np.array_equal(init.kaiming_normal((5, 4), seed=7), init.kaiming_normal((5, 4), seed=8))
    rng = np.random.default_rng(0)
    first, second = init.xavier_uniform((3, 3), seed=rng), init.xavier_uniform((3, 3), seed=rng)
    assert not np.array_equal(first, second)


def test_invalid_input_is_refused_in_one_sentence():
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions, got \(5,\)"):
        init.xavier_uniform((5,))
    with pytest.raises(ValueError, match=r"an affine weight is 2-D \(D_in, M_out\)"):
        init.fan_in_and_fan_out((2, 3, 4), layout="affine")
    with pytest.raises(ValueError, match=r"a conv weight is \(F, C, KH, KW\)"):
        init.fan_in_and_fan_out((2, 3), layout="conv")
    with pytest.raises(ValueError, match="layout must be one of"):
        init.fan_in_and_fan_out((2, 3), layout="linear")
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_normal((2, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity 'gelu'"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope 'big' is not a valid number"):
        init.calculate_gain("leaky_relu", "big")
