"""Numeric gradients by central differences, and the relative error used to judge them.

torch twin: ``torch.autograd.gradcheck`` (which also uses central differences).
"""
import numpy as np


def numerical_gradient(f, x, dout=None, h=1e-5):
    """Gradient of ``sum(f(x) * dout)`` with respect to ``x``, by central differences.

    ``f`` takes ``x`` and returns an array (or ``(out, cache)``, of which ``out`` is used).
    With ``dout=None`` the output of ``f`` must be a scalar. ``x`` is perturbed in place one
    entry at a time and left exactly as it was. Work in float64: in float32 the differences
    drown in rounding error.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"numerical_gradient needs x as a floating-point NumPy array, got {type(x).__name__}"
            + (f" of dtype {x.dtype}" if isinstance(x, np.ndarray) else "")
            + "; convert it with np.asarray(x, dtype=np.float64)."
        )
    if dout is not None:
        dout = np.asarray(dout, dtype=np.float64)

    def weighted_output(value):
        if isinstance(value, tuple):
            value = value[0]
        value = np.array(value, dtype=np.float64)  # a copy: f may return a view of x
        if dout is None:
            if value.size != 1:
                raise ValueError(
                    f"f returned an output of shape {value.shape}; pass dout (the upstream "
                    "gradient, same shape) or make f return a scalar."
                )
            return float(value.reshape(()))
        if value.shape != dout.shape:
            raise ValueError(f"f returned shape {value.shape} but dout has shape {dout.shape}.")
        return float(np.sum(value * dout))

    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        plus = weighted_output(f(x))
        x[index] = original - h
        minus = weighted_output(f(x))
        x[index] = original
        grad[index] = (plus - minus) / (2 * h)
    return grad


def rel_error(a, b):
    """Largest elementwise relative error: ``max |a-b| / max(1e-8, |a|+|b|)``.

    Below about 1e-7 two float64 gradients agree; around 1e-2 and above something is wrong.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs two arrays of the same shape, got {a.shape} and {b.shape}.")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
