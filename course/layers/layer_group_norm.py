"""Layer and group normalization: statistics per example, so they work for any batch size and
compute the same thing in training and at test time (no running statistics).

    LayerNorm:  standardize each example over its last axis (its D features)
    GroupNorm:  split the C channels of each example into ``groups`` groups and standardize each
                group over its channels and pixels; groups=1 is LayerNorm over (C, H, W),
                groups=C is InstanceNorm
Then ``out = gamma * x_hat + beta`` with one gamma and one beta per feature (LayerNorm) or per
channel (GroupNorm).
"""
import numpy as np

from .normalization import standardize, standardize_backward
from .validation import as_array, epsilon


def _check_scale_and_shift(gamma, beta, size, what, layer):
    gamma = as_array(gamma, "gamma", layer)
    beta = as_array(beta, "beta", layer)
    if gamma.shape != (size,) or beta.shape != (size,):
        raise ValueError(
            f"{layer}: gamma and beta must have shape ({size},), one value per {what}, "
            f"got {gamma.shape} and {beta.shape}."
        )
    return gamma, beta


def _check_dout(dout, shape, layer):
    dout = as_array(dout, "dout", layer)
    if dout.shape != shape:
        raise ValueError(f"{layer}: dout has shape {dout.shape} but the layer's output had shape {shape}.")
    return dout


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """LayerNorm of ``x`` (..., D) over its last axis, with ``gamma`` and ``beta`` of shape (D,).

    ``out = gamma * (x - mean) / sqrt(var + eps) + beta``, mean and biased var of each row.
    torch twin: ``torch.nn.LayerNorm(D, eps=eps)``. Returns ``(out, cache)``.
    """
    layer = "layernorm_forward"
    x = as_array(x, "x", layer, min_ndim=1)
    gamma, beta = _check_scale_and_shift(gamma, beta, x.shape[-1], "feature (the last axis of x)", layer)
    eps = epsilon(eps, layer)
    x_hat, inv_std = standardize(x, axis=-1, eps=eps)
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


def layernorm_backward(dout, cache):
    """Gradients ``(dx, dgamma, dbeta)``; gamma and beta are shared by all rows, so their
    gradients sum over every axis but the last."""
    x_hat, inv_std, gamma = cache
    dout = _check_dout(dout, x_hat.shape, "layernorm_backward")
    all_but_last = tuple(range(x_hat.ndim - 1))
    dgamma = np.sum(dout * x_hat, axis=all_but_last)
    dbeta = np.sum(dout, axis=all_but_last)
    dx = standardize_backward(dout * gamma, x_hat, inv_std, axis=-1)
    return dx, dgamma, dbeta


def _grouped(x, groups):
    """(N, C, ...) -> (N, groups, values per group); sizes spelled out, so that N = 0 works too."""
    n, channels = x.shape[:2]
    return x.reshape(n, groups, channels // groups * int(np.prod(x.shape[2:])))


def groupnorm_forward(x, gamma, beta, groups, eps=1e-5):
    """GroupNorm of ``x`` (N, C, H, W) (any number of trailing axes, or none) with ``groups``
    groups of C // groups channels; ``gamma`` and ``beta`` have shape (C,).

    torch twin: ``torch.nn.GroupNorm(groups, C, eps=eps)``. Returns ``(out, cache)``.
    """
    layer = "groupnorm_forward"
    x = as_array(x, "x", layer, min_ndim=2)
    n, channels = x.shape[:2]
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1 or channels % groups:
        raise ValueError(
            f"{layer}: groups must be a positive integer that divides the {channels} channels of x, got {groups!r}."
        )
    gamma, beta = _check_scale_and_shift(gamma, beta, channels, "channel", layer)
    eps = epsilon(eps, layer)
    x_hat_groups, inv_std = standardize(_grouped(x, groups), axis=-1, eps=eps)
    x_hat = x_hat_groups.reshape(x.shape)
    per_channel = (1, channels) + (1,) * (x.ndim - 2)
    out = gamma.reshape(per_channel) * x_hat + beta.reshape(per_channel)
    return out, (x_hat, inv_std, gamma, groups)


def groupnorm_backward(dout, cache):
    """Gradients ``(dx, dgamma, dbeta)`` of :func:`groupnorm_forward`; dgamma and dbeta sum over
    every axis but the channel axis."""
    x_hat, inv_std, gamma, groups = cache
    dout = _check_dout(dout, x_hat.shape, "groupnorm_backward")
    channels = x_hat.shape[1]
    all_but_channels = (0,) + tuple(range(2, x_hat.ndim))
    dgamma = np.sum(dout * x_hat, axis=all_but_channels)
    dbeta = np.sum(dout, axis=all_but_channels)
    dx_hat = dout * gamma.reshape((1, channels) + (1,) * (x_hat.ndim - 2))
    dx = standardize_backward(_grouped(dx_hat, groups), _grouped(x_hat, groups), inv_std, axis=-1)
    return dx.reshape(x_hat.shape), dgamma, dbeta
