"""Elementwise activations and softmax. Each forward sits next to its backward.

At the kink x = 0 the derivatives follow torch: ReLU 0, LeakyReLU alpha, ELU alpha.
A forward pass's cache never shares memory with the caller's ``x`` or with the returned ``out``,
so changing either in place (``out *= 2``) cannot corrupt the backward pass.
"""
import numpy as np

from .validation import as_array, axis_argument, real_number


def relu_forward(x):
    """``max(0, x)``. torch twin: ``torch.relu``."""
    x = as_array(x, "x", "relu_forward")
    return np.maximum(x, 0.0), x.copy()


def relu_backward(dout, cache):
    """``dout`` where x > 0, else 0 (0 at x = 0, as torch)."""
    x = cache
    return np.where(x > 0, dout, 0.0)


def leaky_relu_forward(x, alpha=0.01):
    """``x`` for x > 0, ``alpha * x`` otherwise. torch twin: ``F.leaky_relu(x, alpha)``."""
    x = as_array(x, "x", "leaky_relu_forward")
    alpha = real_number(alpha, "alpha", "leaky_relu_forward", hint=" (the slope for x < 0, such as 0.01)")
    return np.where(x > 0, x, alpha * x), (x.copy(), alpha)


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout)


def elu_forward(x, alpha=1.0):
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise. torch twin: ``F.elu(x, alpha)``."""
    x = as_array(x, "x", "elu_forward")
    alpha = real_number(alpha, "alpha", "elu_forward", hint=" (ELU tends to -alpha for very negative x; the default is 1.0)")
    negative_part = alpha * np.expm1(np.minimum(x, 0.0))  # minimum: no overflow for large x
    return np.where(x > 0, x, negative_part), (x.copy(), alpha)


def elu_backward(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, dout * alpha * np.exp(np.minimum(x, 0.0)))


def sigmoid_forward(x):
    """``1 / (1 + exp(-x))``, computed without overflow. torch twin: ``torch.sigmoid``.

    Only ``exp(-|x|)`` is taken, which lies in (0, 1]: for x >= 0 the result is
    ``1 / (1 + exp(-x))``, for x < 0 the same value written as ``exp(x) / (1 + exp(x))``.
    """
    x = as_array(x, "x", "sigmoid_forward")
    exp_neg_abs = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1.0 / (1.0 + exp_neg_abs), exp_neg_abs / (1.0 + exp_neg_abs))
    return out, out.copy()


def sigmoid_backward(dout, cache):
    """``dout * s * (1 - s)`` with s the forward output."""
    s = cache
    return dout * s * (1.0 - s)


def tanh_forward(x):
    """torch twin: ``torch.tanh``."""
    x = as_array(x, "x", "tanh_forward")
    out = np.tanh(x)
    return out, out.copy()


def tanh_backward(dout, cache):
    """``dout * (1 - tanh(x)**2)``."""
    t = cache
    return dout * (1.0 - t * t)


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``, shifted by the max for stability.

    An axis of length 0 gives an empty result, as in torch. torch twin: ``torch.softmax(x, dim=axis)``.
    """
    x = as_array(x, "x", "softmax")
    axis = axis_argument(axis, x.ndim, "softmax")
    if x.shape[axis] == 0:
        return np.empty(x.shape)
    exps = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return exps / np.sum(exps, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` without taking the log of a tiny number. torch twin: ``torch.log_softmax``."""
    x = as_array(x, "x", "log_softmax")
    axis = axis_argument(axis, x.ndim, "log_softmax")
    if x.shape[axis] == 0:
        return np.empty(x.shape)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
