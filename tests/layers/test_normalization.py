import numpy as np
import pytest
import torch

from course.gradcheck import numerical_gradient, rel_error
from course.layers.batchnorm import (
    batchnorm_backward,
    batchnorm_backward_alt,
    batchnorm_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)
from course.layers.layer_group_norm import groupnorm_backward, groupnorm_forward, layernorm_backward, layernorm_forward
from tests.torch_oracle import assert_close, tensor, torch_grads


# The gradient checks' threshold. Central differences carry an absolute error near 1e-10, and a
# normalization's dx has entries near zero (each column of BatchNorm's dx sums to zero), so the
# elementwise relative error of a correct dx reaches about 1e-6 for rare inputs.
NUMERIC_TOLERANCE = 1e-6


def torch_norm_module(module, gamma, beta):
    """``module`` in float64 with its affine parameters set to ``gamma`` and ``beta``."""
    module = module.to(torch.float64)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(gamma))
        module.bias.copy_(torch.from_numpy(beta))
    return module


def assert_matches_torch(module, x, dout, out, grads):
    """Forward value and (dx, dgamma, dbeta) against ``module`` run by torch.autograd."""
    tx = tensor(x)
    tout = module(tx)
    assert_close(out, tout, what="out")
    for ours, theirs, name in zip(grads, torch_grads(tout, dout, tx, module.weight, module.bias), ("dx", "dgamma", "dbeta")):
        # 1e-8, not 1e-10: dx has entries near zero, where two exact formulas differ by rounding alone
        assert_close(ours, theirs, tol=1e-8, what=name)


def random_affine(rng, features):
    return rng.normal(size=features), rng.normal(size=features)


# ---------------------------------------------------------------- BatchNorm (N, D)

@pytest.mark.parametrize("trial", range(4))
def test_batchnorm_train_and_test_match_torch_batchnorm1d_over_several_steps(rng, trial):
    n, features = int(rng.integers(2, 8)), int(rng.integers(1, 7))
    momentum, eps = [(0.1, 1e-5), (0.3, 1e-3), (1.0, 1e-5), (0.0, 1e-2)][trial]
    gamma, beta = random_affine(rng, features)
    module = torch_norm_module(torch.nn.BatchNorm1d(features, eps=eps, momentum=momentum), gamma, beta)
    bn_param = {"mode": "train", "eps": eps, "momentum": momentum}
    for _ in range(3):  # the running statistics must follow torch's step after step
        x = 3.0 * rng.normal(size=(n, features)) + rng.normal(size=features)
        dout = rng.normal(size=(n, features))
        out, cache = batchnorm_forward(x, gamma, beta, bn_param)
        module.train()
        assert_matches_torch(module, x, dout, out, batchnorm_backward(dout, cache))
        assert_close(batchnorm_backward_alt(dout, cache)[0], batchnorm_backward(dout, cache)[0], tol=1e-9, what="alt dx")
        assert_close(bn_param["running_mean"], module.running_mean, what="running_mean")
        assert_close(bn_param["running_var"], module.running_var, what="running_var")

    bn_param["mode"] = "test"
    module.eval()
    x = rng.normal(size=(n, features))
    dout = rng.normal(size=(n, features))
    out, cache = batchnorm_forward(x, gamma, beta, bn_param)
    assert_matches_torch(module, x, dout, out, batchnorm_backward(dout, cache))
    assert_matches_torch(module, x, dout, out, batchnorm_backward_alt(dout, cache))


def test_batchnorm_backward_matches_numeric_gradient_with_a_non_uniform_dout():
    rng = np.random.default_rng(7)  # fixed: central differences are judged elementwise, see NUMERIC_TOLERANCE
    x = 2.0 * rng.normal(size=(5, 4)) + 1.0
    gamma, beta = random_affine(rng, 4)
    dout = rng.normal(size=(5, 4))  # a uniform dout would make the true dx vanish and hide bugs

    def forward(x, gamma, beta):
        return batchnorm_forward(x, gamma, beta, {"mode": "train"})[0]

    _, cache = batchnorm_forward(x, gamma, beta, {"mode": "train"})
    numeric = (
        numerical_gradient(lambda v: forward(v, gamma, beta), x, dout),
        numerical_gradient(lambda v: forward(x, v, beta), gamma, dout),
        numerical_gradient(lambda v: forward(x, gamma, v), beta, dout),
    )
    for backward in (batchnorm_backward, batchnorm_backward_alt):
        for ours, expected, name in zip(backward(dout, cache), numeric, ("dx", "dgamma", "dbeta")):
            assert rel_error(ours, expected) < NUMERIC_TOLERANCE, f"{backward.__name__} {name}"


def test_batchnorm_test_mode_backward_matches_numeric_gradient():
    rng = np.random.default_rng(7)  # fixed: central differences are judged elementwise, see NUMERIC_TOLERANCE
    x = rng.normal(size=(3, 5))
    gamma, beta = random_affine(rng, 5)
    stats = {"running_mean": rng.normal(size=5), "running_var": rng.uniform(0.5, 2.0, size=5)}
    dout = rng.normal(size=(3, 5))

    def forward(v):
        return batchnorm_forward(v, gamma, beta, dict(stats, mode="test"))[0]

    dx, _, _ = batchnorm_backward(dout, batchnorm_forward(x, gamma, beta, dict(stats, mode="test"))[1])
    assert rel_error(dx, numerical_gradient(forward, x, dout)) < NUMERIC_TOLERANCE


def test_batchnorm_creates_running_statistics_as_torch_and_updates_the_callers_arrays_in_place(rng):
    x = rng.normal(size=(6, 3))
    bn_param = {"mode": "train"}
    batchnorm_forward(x, np.ones(3), np.zeros(3), bn_param)
    # torch starts from running_mean = 0 and running_var = 1, then moves 10 % towards the batch
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(bn_param["running_var"], 0.9 + 0.1 * x.var(axis=0, ddof=1))

    running_mean, running_var = np.zeros(3), np.ones(3)
    bn_param = {"mode": "train", "running_mean": running_mean, "running_var": running_var}
    batchnorm_forward(x, np.ones(3), np.zeros(3), bn_param)
    assert bn_param["running_mean"] is running_mean and bn_param["running_var"] is running_var
    np.testing.assert_allclose(running_mean, 0.1 * x.mean(axis=0))


def test_batchnorm_test_mode_leaves_the_running_statistics_alone(rng):
    bn_param = {"mode": "test", "running_mean": rng.normal(size=4), "running_var": rng.uniform(1, 2, size=4)}
    before = {k: v.copy() for k, v in bn_param.items() if k != "mode"}
    out, _ = batchnorm_forward(rng.normal(size=(1, 4)), np.ones(4), np.zeros(4), bn_param)  # a batch of 1 is fine
    assert out.shape == (1, 4)
    for key, value in before.items():
        np.testing.assert_array_equal(bn_param[key], value)


def test_batchnorm_train_output_has_mean_zero_and_variance_var_over_var_plus_eps(rng):
    """Derived example of the notes (§6): with gamma = 1, beta = 0 each feature of the output has
    mean 0 and (biased) variance var / (var + eps)."""
    x = 0.01 * rng.normal(size=(50, 3))  # small variance, so that eps visibly matters
    out, _ = batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": "train"})
    variance = x.var(axis=0)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), variance / (variance + 1e-5), rtol=1e-10)


def test_batchnorm_rejects_bad_input_in_one_sentence():
    with pytest.raises(ValueError, match="more than one value per feature .* batch of 1"):
        batchnorm_forward(np.zeros((1, 3)), np.ones(3), np.zeros(3), {"mode": "train"})
    with pytest.raises(ValueError, match=r"mode'\] must be 'train' or 'test', got 'eval'"):
        batchnorm_forward(np.zeros((4, 3)), np.ones(3), np.zeros(3), {"mode": "eval"})
    with pytest.raises(ValueError, match=r"gamma and beta must have shape \(3,\)"):
        batchnorm_forward(np.zeros((4, 3)), np.ones(4), np.zeros(3), {"mode": "train"})
    with pytest.raises(ValueError, match=r"running_var'\] must have shape \(3,\)"):
        batchnorm_forward(np.zeros((4, 3)), np.ones(3), np.zeros(3), {"mode": "train", "running_var": np.ones(2)})
    with pytest.raises(ValueError, match="x must have 2 dimensions"):
        batchnorm_forward(np.zeros((4, 3, 2)), np.ones(3), np.zeros(3), {"mode": "train"})


# ---------------------------------------------------------------- spatial BatchNorm (N, C, H, W)

@pytest.mark.parametrize("trial", range(3))
def test_spatial_batchnorm_matches_torch_batchnorm2d(rng, trial):
    n = 1 if trial == 0 else int(rng.integers(2, 4))  # a batch of 1 is allowed: H*W values per channel
    c, h, w = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(2, 6))
    gamma, beta = random_affine(rng, c)
    module = torch_norm_module(torch.nn.BatchNorm2d(c), gamma, beta)
    bn_param = {"mode": "train"}
    for _ in range(2):
        x = 2.0 * rng.normal(size=(n, c, h, w)) - 1.0
        dout = rng.normal(size=x.shape)
        out, cache = spatial_batchnorm_forward(x, gamma, beta, bn_param)
        assert_matches_torch(module, x, dout, out, spatial_batchnorm_backward(dout, cache))
    assert_close(bn_param["running_mean"], module.running_mean, what="running_mean")
    assert_close(bn_param["running_var"], module.running_var, what="running_var")  # unbiased over N*H*W

    bn_param["mode"] = "test"
    module.eval()
    x, dout = rng.normal(size=(n, c, h, w)), rng.normal(size=(n, c, h, w))
    out, cache = spatial_batchnorm_forward(x, gamma, beta, bn_param)
    assert_matches_torch(module, x, dout, out, spatial_batchnorm_backward(dout, cache))


def test_spatial_batchnorm_rejects_bad_input_in_one_sentence():
    with pytest.raises(ValueError, match=r"N\*H\*W > 1"):
        spatial_batchnorm_forward(np.zeros((1, 2, 1, 1)), np.ones(2), np.zeros(2), {"mode": "train"})
    with pytest.raises(ValueError, match=r"one value per channel"):
        spatial_batchnorm_forward(np.zeros((2, 2, 3, 3)), np.ones(3), np.zeros(3), {"mode": "train"})


# ---------------------------------------------------------------- LayerNorm

@pytest.mark.parametrize("shape", [(1, 5), (4, 3), (2, 3, 7), (6,)])
def test_layernorm_matches_torch_layernorm(rng, shape):
    x = 2.0 * rng.normal(size=shape) + 0.5
    gamma, beta = random_affine(rng, shape[-1])
    dout = rng.normal(size=shape)
    out, cache = layernorm_forward(x, gamma, beta)
    module = torch_norm_module(torch.nn.LayerNorm(shape[-1]), gamma, beta)
    assert_matches_torch(module, x, dout, out, layernorm_backward(dout, cache))


def test_layernorm_backward_matches_numeric_gradient():
    rng = np.random.default_rng(7)  # fixed: central differences are judged elementwise, see NUMERIC_TOLERANCE
    x, dout = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    gamma, beta = random_affine(rng, 5)
    dx, dgamma, dbeta = layernorm_backward(dout, layernorm_forward(x, gamma, beta, eps=1e-3)[1])
    assert rel_error(dx, numerical_gradient(lambda v: layernorm_forward(v, gamma, beta, 1e-3), x, dout)) < NUMERIC_TOLERANCE
    assert rel_error(dgamma, numerical_gradient(lambda v: layernorm_forward(x, v, beta, 1e-3), gamma, dout)) < NUMERIC_TOLERANCE
    assert rel_error(dbeta, numerical_gradient(lambda v: layernorm_forward(x, gamma, v, 1e-3), beta, dout)) < NUMERIC_TOLERANCE


def test_layernorm_rejects_mismatched_gamma():
    with pytest.raises(ValueError, match=r"layernorm_forward: gamma and beta must have shape \(4,\)"):
        layernorm_forward(np.zeros((2, 4)), np.ones(3), np.zeros(3))


# ---------------------------------------------------------------- GroupNorm

@pytest.mark.parametrize("shape, groups", [((2, 6, 3, 5), 3), ((1, 4, 2, 3), 1), ((3, 4, 5, 1), 4), ((2, 6), 2), ((2, 4, 7), 2)])
def test_groupnorm_matches_torch_groupnorm(rng, shape, groups):
    x = 2.0 * rng.normal(size=shape) - 0.3
    gamma, beta = random_affine(rng, shape[1])
    dout = rng.normal(size=shape)
    out, cache = groupnorm_forward(x, gamma, beta, groups)
    module = torch_norm_module(torch.nn.GroupNorm(groups, shape[1]), gamma, beta)
    assert_matches_torch(module, x, dout, out, groupnorm_backward(dout, cache))


def test_groupnorm_with_one_group_is_layernorm_over_channels_and_pixels(rng):
    x = rng.normal(size=(2, 3, 4, 4))
    gn_out, _ = groupnorm_forward(x, np.ones(3), np.zeros(3), groups=1)
    ln_out, _ = layernorm_forward(x.reshape(2, -1), np.ones(48), np.zeros(48))
    np.testing.assert_allclose(gn_out, ln_out.reshape(x.shape), rtol=1e-12, atol=1e-12)


def test_groupnorm_backward_matches_numeric_gradient():
    rng = np.random.default_rng(7)  # fixed: central differences are judged elementwise, see NUMERIC_TOLERANCE
    x, dout = rng.normal(size=(2, 4, 2, 3)), rng.normal(size=(2, 4, 2, 3))
    gamma, beta = random_affine(rng, 4)
    dx, dgamma, dbeta = groupnorm_backward(dout, groupnorm_forward(x, gamma, beta, 2)[1])
    assert rel_error(dx, numerical_gradient(lambda v: groupnorm_forward(v, gamma, beta, 2), x, dout)) < NUMERIC_TOLERANCE
    assert rel_error(dgamma, numerical_gradient(lambda v: groupnorm_forward(x, v, beta, 2), gamma, dout)) < NUMERIC_TOLERANCE
    assert rel_error(dbeta, numerical_gradient(lambda v: groupnorm_forward(x, gamma, v, 2), beta, dout)) < NUMERIC_TOLERANCE


def test_groupnorm_rejects_groups_that_do_not_divide_the_channels():
    with pytest.raises(ValueError, match="groups must be a positive integer that divides the 6 channels of x, got 4"):
        groupnorm_forward(np.zeros((2, 6, 3, 3)), np.ones(6), np.zeros(6), groups=4)
    with pytest.raises(ValueError, match=r"one value per channel"):
        groupnorm_forward(np.zeros((2, 6, 3, 3)), np.ones(3), np.zeros(3), groups=3)


# Regression tests (issue 14, item 8): empty batches and bad eps ----------------------------------


def test_groupnorm_and_layernorm_of_an_empty_batch_work_like_torch(rng):
    gamma, beta = random_affine(rng, 4)
    x, dout = np.zeros((0, 4, 3, 3)), np.zeros((0, 4, 3, 3))
    out, cache = groupnorm_forward(x, gamma, beta, groups=2)  # used to crash: reshape(0, 2, -1)
    assert_matches_torch(torch_norm_module(torch.nn.GroupNorm(2, 4), gamma, beta), x, dout, out,
                         groupnorm_backward(dout, cache))
    x, dout = np.zeros((0, 4)), np.zeros((0, 4))
    out, cache = layernorm_forward(x, gamma, beta)
    assert_matches_torch(torch_norm_module(torch.nn.LayerNorm(4), gamma, beta), x, dout, out,
                         layernorm_backward(dout, cache))


@pytest.mark.parametrize("spatial", [False, True])
def test_batchnorm_of_an_empty_batch_in_training_mode_changes_nothing_as_torch(rng, spatial):
    gamma, beta = random_affine(rng, 3)
    shape = (0, 3, 2, 2) if spatial else (0, 3)
    module = torch_norm_module((torch.nn.BatchNorm2d if spatial else torch.nn.BatchNorm1d)(3), gamma, beta).train()
    bn_param = {"mode": "train", "running_mean": rng.normal(size=3), "running_var": rng.uniform(1, 2, size=3)}
    with torch.no_grad():
        module.running_mean.copy_(torch.from_numpy(bn_param["running_mean"]))
        module.running_var.copy_(torch.from_numpy(bn_param["running_var"]))
    forward, backward = ((spatial_batchnorm_forward, spatial_batchnorm_backward) if spatial
                         else (batchnorm_forward, batchnorm_backward))
    x, dout = np.zeros(shape), np.zeros(shape)
    out, cache = forward(x, gamma, beta, bn_param)
    assert_matches_torch(module, x, dout, out, backward(dout, cache))
    assert_close(bn_param["running_mean"], module.running_mean, what="running_mean")
    assert_close(bn_param["running_var"], module.running_var, what="running_var")


BAD_EPSILONS = [("1e-5", "'1e-5'"), (None, "None"), (-1e-5, "-1e-05"), (np.nan, "nan"), (True, "True")]


@pytest.mark.parametrize("eps, shown", BAD_EPSILONS)
def test_layernorm_and_groupnorm_explain_a_bad_eps_in_one_sentence(eps, shown):
    tail = rf"must be a non-negative number, got {shown} \(a small positive constant such as 1e-5\)\.$"
    with pytest.raises(ValueError, match=r"^layernorm_forward: eps " + tail):
        layernorm_forward(np.zeros((2, 4)), np.ones(4), np.zeros(4), eps=eps)
    with pytest.raises(ValueError, match=r"^groupnorm_forward: eps " + tail):
        groupnorm_forward(np.zeros((2, 4, 3)), np.ones(4), np.zeros(4), 2, eps=eps)


@pytest.mark.parametrize("eps, shown", BAD_EPSILONS)
def test_batchnorm_explains_a_bad_eps_in_one_sentence(eps, shown):
    tail = rf"bn_param\['eps'\] must be a non-negative number, got {shown} "
    with pytest.raises(ValueError, match=r"^batchnorm_forward: " + tail):
        batchnorm_forward(np.zeros((2, 4)), np.ones(4), np.zeros(4), {"eps": eps})
    with pytest.raises(ValueError, match=r"^spatial_batchnorm_forward: " + tail):  # named after itself
        spatial_batchnorm_forward(np.zeros((2, 4, 2, 2)), np.ones(4), np.zeros(4), {"eps": eps, "mode": "test"})


def test_an_eps_of_zero_is_allowed_as_in_torch(rng):
    x = rng.normal(size=(3, 5))
    out, _ = layernorm_forward(x, np.ones(5), np.zeros(5), eps=0.0)
    assert_close(out, torch.nn.functional.layer_norm(tensor(x, grad=False), (5,), eps=0.0), what="out")
