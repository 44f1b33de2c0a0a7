"""BatchNorm (1d and 2d, both backward passes, running statistics), LayerNorm and GroupNorm
against torch, empty batches too."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from course.layers import (
    batchnorm_backward,
    batchnorm_backward_alt,
    batchnorm_forward,
    groupnorm_backward,
    groupnorm_forward,
    layernorm_backward,
    layernorm_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)
from tests.properties.strategies import BATCH, SIDE, arrays, assert_matches, shapes
from tests.torch_oracle import tensor, torch_grads

# dx has entries near zero, where two exact formulas differ by rounding alone (as in tests/layers).
TOLERANCE = 1e-8
EPSILON = st.sampled_from([1e-5, 1e-3, 0.1, 1.0])
MOMENTUM = st.one_of(st.sampled_from([0.0, 0.1, 1.0]), st.floats(0.0, 1.0))
# A batch of one cannot be normalized in training mode (torch refuses too); 0 gives an empty output.
TRAINING_BATCH = st.one_of(st.just(0), st.integers(2, 5))


def assert_norm_matches(out, grads, tout, dout, inputs):
    assert_matches(out, tout, TOLERANCE, what="out")
    for ours, theirs, name in zip(grads, torch_grads(tout, dout, *inputs), ("dx", "dgamma", "dbeta")):
        assert_matches(ours, theirs, TOLERANCE, what=name)


@pytest.mark.parametrize("backward", [batchnorm_backward, batchnorm_backward_alt], ids=["graph", "alt"])
@given(data=st.data())
def test_batchnorm_matches_torch_batchnorm1d_step_after_step(backward, data):
    features, eps, momentum = data.draw(SIDE, label="D"), data.draw(EPSILON, label="eps"), data.draw(MOMENTUM)
    gamma, beta = data.draw(arrays((features,)), label="gamma"), data.draw(arrays((features,)), label="beta")
    module = torch.nn.BatchNorm1d(features, eps=eps, momentum=momentum).double()
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(gamma))
        module.bias.copy_(torch.from_numpy(beta))
    bn_param = {"eps": eps, "momentum": momentum}
    for mode in data.draw(st.lists(st.sampled_from(["train", "test"]), min_size=1, max_size=3), label="modes"):
        n = data.draw(TRAINING_BATCH if mode == "train" else BATCH, label="N")
        x = data.draw(arrays((n, features), 5.0), label="x")
        dout = data.draw(arrays((n, features)), label="dout")
        bn_param["mode"] = mode
        out, cache = batchnorm_forward(x, gamma, beta, bn_param)
        module.train(mode == "train")
        tx = tensor(x)
        assert_norm_matches(out, backward(dout, cache), module(tx), dout, (tx, module.weight, module.bias))
        assert_matches(bn_param["running_mean"], module.running_mean, what="running_mean")
        assert_matches(bn_param["running_var"], module.running_var, what="running_var")


@given(data=st.data())
def test_spatial_batchnorm_matches_torch_batchnorm2d(data):
    channels, eps, mode = data.draw(SIDE, label="C"), data.draw(EPSILON, label="eps"), data.draw(st.sampled_from(["train", "test"]))
    n, height, width = data.draw(BATCH, label="N"), data.draw(SIDE, label="H"), data.draw(SIDE, label="W")
    if mode == "train" and n * height * width == 1:
        n = 2  # one value per channel: no variance to estimate
    x, dout = data.draw(arrays((n, channels, height, width), 5.0), label="x"), data.draw(arrays((n, channels, height, width)))
    gamma, beta = data.draw(arrays((channels,)), label="gamma"), data.draw(arrays((channels,)), label="beta")
    running_mean, running_var = data.draw(arrays((channels,))), 0.1 + np.abs(data.draw(arrays((channels,))))
    bn_param = {"mode": mode, "eps": eps, "running_mean": running_mean.copy(), "running_var": running_var.copy()}
    module = torch.nn.BatchNorm2d(channels, eps=eps).double().train(mode == "train")
    with torch.no_grad():
        for name, value in (("weight", gamma), ("bias", beta), ("running_mean", running_mean), ("running_var", running_var)):
            getattr(module, name).copy_(torch.from_numpy(value))
    out, cache = spatial_batchnorm_forward(x, gamma, beta, bn_param)
    tx = tensor(x)
    assert_norm_matches(out, spatial_batchnorm_backward(dout, cache), module(tx), dout, (tx, module.weight, module.bias))
    assert_matches(bn_param["running_mean"], module.running_mean, what="running_mean")
    assert_matches(bn_param["running_var"], module.running_var, what="running_var")


@given(data=st.data())
def test_layernorm_matches_torch_over_the_last_axis(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3), label="shape")
    eps = data.draw(EPSILON, label="eps")
    x, dout = data.draw(arrays(shape, 5.0), label="x"), data.draw(arrays(shape), label="dout")
    gamma, beta = data.draw(arrays(shape[-1:]), label="gamma"), data.draw(arrays(shape[-1:]), label="beta")
    out, cache = layernorm_forward(x, gamma, beta, eps)
    tx, tgamma, tbeta = tensor(x), tensor(gamma), tensor(beta)
    tout = F.layer_norm(tx, shape[-1:], tgamma, tbeta, eps)
    assert_norm_matches(out, layernorm_backward(dout, cache), tout, dout, (tx, tgamma, tbeta))


@given(data=st.data())
def test_groupnorm_matches_torch_for_any_grouping(data):
    groups, per_group = data.draw(SIDE, label="groups"), data.draw(st.integers(1, 3), label="channels per group")
    channels = groups * per_group
    shape = (data.draw(BATCH, label="N"), channels, *data.draw(shapes(min_dims=0, max_dims=2, min_side=1)))
    if shape[0] * per_group * np.prod(shape[2:]) == 1:
        shape = (2,) + shape[1:]  # torch's group_norm refuses one example with one value per group
    eps = data.draw(EPSILON, label="eps")
    x, dout = data.draw(arrays(shape, 5.0), label="x"), data.draw(arrays(shape), label="dout")
    gamma, beta = data.draw(arrays((channels,)), label="gamma"), data.draw(arrays((channels,)), label="beta")
    out, cache = groupnorm_forward(x, gamma, beta, groups, eps)
    tx, tgamma, tbeta = tensor(x), tensor(gamma), tensor(beta)
    tout = F.group_norm(tx, groups, tgamma, tbeta, eps)
    assert_norm_matches(out, groupnorm_backward(dout, cache), tout, dout, (tx, tgamma, tbeta))
