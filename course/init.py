"""Weight initialization: Xavier/Glorot and He/Kaiming, uniform and normal, as new NumPy arrays.

torch twins: ``torch.nn.init.xavier_uniform_``, ``xavier_normal_``, ``kaiming_uniform_``,
``kaiming_normal_`` and ``calculate_gain``; the same formulas, but a fresh array is returned
(torch fills a tensor in place) and the random numbers come from ``np.random.default_rng(seed)``.

The idea: a unit summing ``fan_in`` inputs of variance ``Var(x)`` with weights of variance
``Var(w)`` has output variance ``fan_in * Var(w) * Var(x)``. Choosing ``Var(w) = 1 / fan_in``
keeps the signal's scale from layer to layer; Glorot averages the forward and backward
conditions, ``Var(w) = 2 / (fan_in + fan_out)``; He doubles ``1 / fan_in`` because ReLU zeroes
half of its inputs. A uniform distribution on ``[-b, b]`` has standard deviation ``b / sqrt(3)``,
hence the bounds ``sqrt(6 / (fan_in + fan_out))`` and ``sqrt(6 / fan_in)``.

Layouts (where fan-in and fan-out are read from the shape), argument ``layout``:
    'affine'  (D_in, M_out): our affine weight, ``x @ w``; fan_in = D_in, fan_out = M_out.
              This is the TRANSPOSE of torch's ``nn.Linear.weight`` (out, in).
    'conv'    (F, C, KH, KW, ...): our conv weights, laid out as torch's;
              fan_in = C * KH * KW, fan_out = F * KH * KW.
    'torch'   torch's rule for any tensor: dim 0 is out, dim 1 is in, the rest is the receptive field.
    None      (default) 'affine' for 2-D shapes, 'conv' for more dimensions.

Errata: the notes call ``U(+-sqrt(6 / n_in))`` "Xavier"; that bound is He's uniform for ReLU.
Glorot's is ``sqrt(6 / (n_in + n_out))``. He's normal ``N(0, sqrt(2 / n_in))`` names the
standard deviation, the variance is ``2 / n_in``. And He initialization exists to preserve the
variance of the signal, not to "prevent dead ReLUs".
"""
import math

import numpy as np

LAYOUTS = ("affine", "conv", "torch")
UNIFORM_BOUND_PER_STD = math.sqrt(3.0)  # U(-b, b) has standard deviation b / sqrt(3)
_LINEAR_NAMES = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """The factor by which to scale the standard deviation for a nonlinearity, as torch's
    ``calculate_gain``: 1 for linear/conv/sigmoid, 5/3 for tanh, sqrt(2) for relu,
    ``sqrt(2 / (1 + slope**2))`` for leaky_relu (slope ``param``, default 0.01), 3/4 for selu."""
    if nonlinearity in _LINEAR_NAMES:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number.")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; use one of "
        f"{', '.join(_LINEAR_NAMES)}, tanh, relu, leaky_relu, selu."
    )


def fan_in_and_fan_out(shape, layout=None):
    """``(fan_in, fan_out)`` of a weight of ``shape`` in ``layout`` (see the module docstring)."""
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2:
        raise ValueError(
            f"fan_in_and_fan_out: fan-in and fan-out cannot be computed for a shape with fewer than "
            f"2 dimensions, got {shape}."
        )
    if layout is None:
        layout = "affine" if len(shape) == 2 else "conv"
    if layout not in LAYOUTS:
        raise ValueError(f"fan_in_and_fan_out: layout must be one of {LAYOUTS} or None, got {layout!r}.")
    if layout == "affine":
        if len(shape) != 2:
            raise ValueError(f"fan_in_and_fan_out: an affine weight is 2-D (D_in, M_out), got shape {shape}.")
        return shape[0], shape[1]
    if layout == "conv" and len(shape) < 3:
        raise ValueError(f"fan_in_and_fan_out: a conv weight is (F, C, KH, KW), got shape {shape}.")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def xavier_std(shape, gain=1.0, layout=None):
    """``gain * sqrt(2 / (fan_in + fan_out))``: the standard deviation of both Xavier variants."""
    fan_in, fan_out = fan_in_and_fan_out(shape, layout)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def kaiming_std(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", layout=None):
    """``gain / sqrt(fan)`` with ``fan`` the fan-in (mode 'fan_in', keeps the forward signal's
    scale) or fan-out ('fan_out', keeps the gradients' scale) and ``gain = calculate_gain(
    nonlinearity, a)``; the defaults (leaky_relu with slope a = 0) give ReLU's gain sqrt(2)."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming: mode must be 'fan_in' or 'fan_out', got {mode!r}.")
    fan_in, fan_out = fan_in_and_fan_out(shape, layout)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _uniform(shape, std, seed):
    bound = UNIFORM_BOUND_PER_STD * std
    return np.random.default_rng(seed).uniform(-bound, bound, size=tuple(shape))


def _normal(shape, std, seed):
    return np.random.default_rng(seed).normal(0.0, std, size=tuple(shape))


def xavier_uniform(shape, gain=1.0, layout=None, seed=None):
    """``U(-b, b)`` with ``b = gain * sqrt(6 / (fan_in + fan_out))``. torch twin: ``xavier_uniform_``."""
    return _uniform(shape, xavier_std(shape, gain, layout), seed)


def xavier_normal(shape, gain=1.0, layout=None, seed=None):
    """``N(0, std**2)`` with ``std = gain * sqrt(2 / (fan_in + fan_out))``. torch twin: ``xavier_normal_``."""
    return _normal(shape, xavier_std(shape, gain, layout), seed)


def kaiming_uniform(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", layout=None, seed=None):
    """``U(-b, b)`` with ``b = gain * sqrt(3 / fan)``, i.e. ``sqrt(6 / fan_in)`` for ReLU.
    torch twin: ``kaiming_uniform_``."""
    return _uniform(shape, kaiming_std(shape, a, mode, nonlinearity, layout), seed)


def kaiming_normal(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", layout=None, seed=None):
    """``N(0, std**2)`` with ``std = gain / sqrt(fan)``, i.e. ``sqrt(2 / fan_in)`` for ReLU.
    torch twin: ``kaiming_normal_``."""
    return _normal(shape, kaiming_std(shape, a, mode, nonlinearity, layout), seed)


INITIALIZERS = {
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "kaiming_uniform": kaiming_uniform,
    "kaiming_normal": kaiming_normal,
}
