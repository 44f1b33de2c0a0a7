"""Batch normalization: each feature standardized with statistics of the mini-batch.

    train:  x_hat = (x - mean_batch) / sqrt(var_batch + eps),   out = gamma * x_hat + beta
    test:   x_hat = (x - running_mean) / sqrt(running_var + eps)

The normalization uses the *biased* batch variance (divide by N); the running variance is fed
the *unbiased* one (divide by N - 1), and both running statistics move by
``running = (1 - momentum) * running + momentum * batch_statistic``. This is exactly what
``torch.nn.BatchNorm1d`` does, and its defaults (eps=1e-5, momentum=0.1) are ours. Note that
torch's momentum is the weight of the *new* batch, the opposite of the "beta = 0.9" of an
exponential moving average written the other way round.
"""
import numbers

import numpy as np

from .normalization import standardize, standardize_backward
from .validation import as_array, epsilon

_MODES = ("train", "test")


def _running_statistic(bn_param, key, features, initial, layer):
    """``bn_param[key]`` as a float array of shape (features,), created as torch does if absent."""
    value = bn_param.get(key)
    if value is None:
        value = np.full(features, initial, dtype=np.float64)
        bn_param[key] = value
    elif not (isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating)):
        value = as_array(value, key, layer).astype(np.float64)  # cannot update a list in place
        bn_param[key] = value
    if value.shape != (features,):
        raise ValueError(f"{layer}: bn_param[{key!r}] must have shape ({features},), got {value.shape}.")
    return value


def _settings(bn_param, features, layer):
    if not isinstance(bn_param, dict):
        raise ValueError(f"{layer}: bn_param must be a dict such as {{'mode': 'train'}}, got {type(bn_param).__name__}.")
    mode = bn_param.get("mode", "train")
    if mode not in _MODES:
        raise ValueError(f"{layer}: bn_param['mode'] must be 'train' or 'test', got {mode!r}.")
    eps = epsilon(bn_param.get("eps", 1e-5), layer, name="bn_param['eps']")
    momentum = bn_param.get("momentum", 0.1)
    if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not 0.0 <= momentum <= 1.0:
        raise ValueError(
            f"{layer}: bn_param['momentum'] must be a number in [0, 1] (torch's cumulative momentum=None is not "
            f"supported), got {momentum!r}."
        )
    running_mean = _running_statistic(bn_param, "running_mean", features, 0.0, layer)
    running_var = _running_statistic(bn_param, "running_var", features, 1.0, layer)
    return mode, eps, momentum, running_mean, running_var


def batchnorm_forward(x, gamma, beta, bn_param):
    """BatchNorm of ``x`` (N, D) with scale ``gamma`` (D,) and shift ``beta`` (D,).

    ``bn_param`` is a dict: ``mode`` 'train' (default) or 'test', ``eps`` (1e-5), ``momentum``
    (0.1), ``running_mean`` and ``running_var`` (created as zeros and ones if absent; in train
    mode updated *in place*). torch twin: ``torch.nn.BatchNorm1d(D)`` in ``train()`` / ``eval()``.
    An empty batch (N = 0) gives an empty output and leaves the running statistics as they
    were, as in torch. Returns ``(out, cache)``.
    """
    return _batchnorm_rows(x, gamma, beta, bn_param, "batchnorm_forward")


def _batchnorm_rows(x, gamma, beta, bn_param, layer):
    x = as_array(x, "x", layer, ndim=2)
    n, features = x.shape
    gamma = as_array(gamma, "gamma", layer, ndim=1)
    beta = as_array(beta, "beta", layer, ndim=1)
    if gamma.shape != (features,) or beta.shape != (features,):
        raise ValueError(
            f"{layer}: gamma and beta must have shape ({features},) to match x of shape {x.shape}, "
            f"got {gamma.shape} and {beta.shape}."
        )
    mode, eps, momentum, running_mean, running_var = _settings(bn_param, features, layer)
    if mode == "train" and n == 1:
        raise ValueError(
            f"{layer}: training mode needs more than one value per feature to estimate a variance, "
            f"got a batch of {n} (torch refuses too); use a larger batch or mode 'test'."
        )
    if mode == "train" and n > 1:
        x_hat, inv_std = standardize(x, axis=0, eps=eps)
        batch_mean = x.mean(axis=0)
        unbiased_var = x.var(axis=0, ddof=1)
        running_mean *= 1.0 - momentum  # in place: the caller's arrays see the update
        running_mean += momentum * batch_mean
        running_var *= 1.0 - momentum
        running_var += momentum * unbiased_var
    elif mode == "train":  # an empty batch: nothing to normalize and nothing learned, as torch
        x_hat, inv_std = x.copy(), np.ones(features)
    else:
        inv_std = 1.0 / np.sqrt(running_var + eps)
        x_hat = (x - running_mean) * inv_std
    out = gamma * x_hat + beta
    return out, {"mode": mode, "x_hat": x_hat, "inv_std": inv_std, "gamma": gamma}


def _gamma_and_beta_gradients(dout, cache, layer):
    dout = as_array(dout, "dout", layer, ndim=2)
    if dout.shape != cache["x_hat"].shape:
        raise ValueError(f"{layer}: dout has shape {dout.shape} but the layer's output had shape {cache['x_hat'].shape}.")
    dgamma = np.sum(dout * cache["x_hat"], axis=0)  # gamma scales every example: sum over the batch
    dbeta = np.sum(dout, axis=0)
    return dout, dgamma, dbeta


def batchnorm_backward(dout, cache):
    """Gradients ``(dx, dgamma, dbeta)``, walking back through the graph one node at a time:
    ``x -> centered = x - mean -> variance = mean(centered**2) -> inv_std -> x_hat -> out``.

    In test mode the running statistics are constants, so ``dx = dout * gamma * inv_std``.
    """
    dout, dgamma, dbeta = _gamma_and_beta_gradients(dout, cache, "batchnorm_backward")
    x_hat, inv_std = cache["x_hat"], cache["inv_std"]
    dx_hat = dout * cache["gamma"]
    n = dout.shape[0]
    if cache["mode"] == "test" or n == 0:
        return dx_hat * inv_std, dgamma, dbeta
    centered = x_hat / inv_std
    d_centered = dx_hat * inv_std                                 # x_hat = centered * inv_std
    d_inv_std = np.sum(dx_hat * centered, axis=0)
    d_variance = -0.5 * inv_std**3 * d_inv_std                    # inv_std = (variance + eps) ** -1/2
    d_centered = d_centered + 2.0 * centered * d_variance / n     # variance = mean(centered ** 2)
    dx = d_centered - d_centered.mean(axis=0)                     # centered = x - mean(x)
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """The same gradients as :func:`batchnorm_backward`, simplified on paper to one line:

    ``dx = inv_std / N * (N * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat))`` with
    ``dx_hat = dout * gamma`` and the sums over the batch.
    """
    dout, dgamma, dbeta = _gamma_and_beta_gradients(dout, cache, "batchnorm_backward_alt")
    dx_hat = dout * cache["gamma"]
    if cache["mode"] == "test" or dout.shape[0] == 0:
        return dx_hat * cache["inv_std"], dgamma, dbeta
    return standardize_backward(dx_hat, cache["x_hat"], cache["inv_std"], axis=0), dgamma, dbeta


def _channels_last_rows(x):
    """(N, C, H, W) -> (N*H*W, C): each channel becomes one feature column of BatchNorm1d."""
    n, c, h, w = x.shape
    return x.transpose(0, 2, 3, 1).reshape(n * h * w, c)


def _back_to_channels_first(rows, shape):
    n, c, h, w = shape
    return rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """BatchNorm for images ``x`` (N, C, H, W): statistics per channel over (N, H, W).

    It is :func:`batchnorm_forward` on the (N*H*W, C) matrix of pixels, so the running variance
    uses the N*H*W - 1 correction, as ``torch.nn.BatchNorm2d(C)``. Returns ``(out, cache)``.
    """
    layer = "spatial_batchnorm_forward"
    x = as_array(x, "x", layer, ndim=4)
    n, c, h, w = x.shape
    if np.shape(gamma) != (c,) or np.shape(beta) != (c,):
        raise ValueError(
            f"{layer}: gamma and beta must have shape ({c},), one value per channel of x {x.shape}, "
            f"got {np.shape(gamma)} and {np.shape(beta)}."
        )
    if isinstance(bn_param, dict) and bn_param.get("mode", "train") == "train" and n * h * w == 1:
        raise ValueError(
            f"{layer}: training mode needs more than one value per channel "
            f"(N*H*W > 1), got x of shape {x.shape}."
        )
    out_rows, cache = _batchnorm_rows(_channels_last_rows(x), gamma, beta, bn_param, layer)
    return _back_to_channels_first(out_rows, x.shape), (cache, x.shape)


def spatial_batchnorm_backward(dout, cache):
    """Gradients ``(dx, dgamma, dbeta)`` of :func:`spatial_batchnorm_forward`."""
    rows_cache, shape = cache
    dout = as_array(dout, "dout", "spatial_batchnorm_backward", ndim=4)
    if dout.shape != shape:
        raise ValueError(f"spatial_batchnorm_backward: dout has shape {dout.shape} but the layer's output had shape {shape}.")
    dx_rows, dgamma, dbeta = batchnorm_backward_alt(_channels_last_rows(dout), rows_cache)
    return _back_to_channels_first(dx_rows, shape), dgamma, dbeta
