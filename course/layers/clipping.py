"""Gradient clipping by the global norm, the usual cure for exploding gradients in an RNN.

All gradients are treated as one long vector ``g``. If its norm exceeds ``max_norm`` every
gradient is scaled by the same factor, so the direction of ``g`` is kept:

    g <- g * min(1, max_norm / (||g|| + 1e-6))

torch twin: ``torch.nn.utils.clip_grad_norm_`` (same formula, same 1e-6). The lecture notes'
"if ||g|| > v: g <- g v / ||g||" is the same rule without the small constant.
"""
import numbers

import numpy as np

from .validation import real_number

TORCH_EPSILON = 1e-6


def _named_gradients(grads):
    if isinstance(grads, np.ndarray):
        return [("grads", grads)]
    if isinstance(grads, dict):
        return [(f"grads[{key!r}]", value) for key, value in grads.items()]
    if isinstance(grads, (list, tuple)):
        return [(f"grads[{index}]", value) for index, value in enumerate(grads)]
    raise ValueError(f"clip_grad_norm: grads must be a list, tuple or dict of NumPy arrays, got {type(grads).__name__}.")


def clip_grad_norm(grads, max_norm, norm_type=2.0):
    """Scale the arrays in ``grads`` (a list, tuple or dict of arrays, or one array) **in place**
    so that their joint ``norm_type``-norm is at most ``max_norm``; returns the norm measured
    *before* clipping, as a float. ``norm_type`` may be any p >= 1 or ``np.inf`` (largest |g|).
    """
    named = _named_gradients(grads)
    for name, value in named:
        if not isinstance(value, np.ndarray) or not np.issubdtype(value.dtype, np.floating):
            raise ValueError(
                f"clip_grad_norm: {name} must be a floating-point NumPy array (it is scaled in place), "
                f"got {type(value).__name__}" + (f" of dtype {value.dtype}" if isinstance(value, np.ndarray) else "") + "."
            )
    max_norm = real_number(max_norm, "max_norm", "clip_grad_norm", minimum=0,
                           hint=" (the largest norm the gradients may keep, such as 1.0)", finite=False)
    is_norm_type = isinstance(norm_type, numbers.Real) and not isinstance(norm_type, (bool, np.bool_))
    if not is_norm_type or not norm_type >= 1:  # `not >=` also refuses NaN
        raise ValueError(f"clip_grad_norm: norm_type must be a number p >= 1 or np.inf, got {norm_type!r}.")
    norm_type = float(norm_type)
    if not named:
        return 0.0
    flat = np.concatenate([value.ravel().astype(np.float64) for _, value in named])
    total_norm = float(np.max(np.abs(flat), initial=0.0) if norm_type == np.inf else np.linalg.norm(flat, ord=norm_type))
    scale = min(1.0, max_norm / (total_norm + TORCH_EPSILON))
    for _, value in named:
        value *= scale
    return total_norm
