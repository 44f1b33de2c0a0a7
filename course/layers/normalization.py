"""Standardization, the step every normalization layer shares.

BatchNorm, LayerNorm and GroupNorm differ only in *which* values they pool to compute a mean and
a variance: BatchNorm pools over the batch (axis 0), LayerNorm over the features of one example
(the last axis), GroupNorm over a group of channels of one example. The layers themselves live in
``batchnorm.py`` and ``layer_group_norm.py``; both use the two functions below.

    x_hat = (x - mean) / sqrt(var + eps)      mean and the *biased* var taken along ``axis``
"""
import numpy as np


def standardize(x, axis, eps):
    """Return ``(x_hat, inv_std)``: ``x`` shifted to mean 0 and scaled to variance ~1 along ``axis``.

    ``inv_std = 1 / sqrt(var + eps)`` keeps the reduced axis (size 1) so it broadcasts against x.
    The variance divides by the number of values (biased), as every torch normalization layer does
    when it normalizes. Empty inputs give empty results (an empty batch, as in torch).
    """
    count = max(x.shape[axis], 1)  # an empty axis: sums of nothing are 0, and no 0 / 0
    mean = x.sum(axis=axis, keepdims=True) / count
    centered = x - mean
    variance = np.sum(centered * centered, axis=axis, keepdims=True) / count
    inv_std = 1.0 / np.sqrt(variance + eps)
    return centered * inv_std, inv_std


def standardize_backward(dx_hat, x_hat, inv_std, axis):
    """Gradient through :func:`standardize`, in closed form.

    With ``m`` values pooled along ``axis``:
    ``dx = inv_std / m * (m * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat))``.
    The two sums are the paths through the mean and through the variance: every value of x moved
    the mean and the variance that all the others were normalized with.
    """
    count = max(x_hat.shape[axis], 1)
    sum_dx_hat = dx_hat.sum(axis=axis, keepdims=True)
    sum_dx_hat_x_hat = np.sum(dx_hat * x_hat, axis=axis, keepdims=True)
    return inv_std / count * (count * dx_hat - sum_dx_hat - x_hat * sum_dx_hat_x_hat)
