"""Inverted dropout, with ``p`` the probability of DROPPING a unit (torch's convention).

    train:  mask_i ~ Bernoulli(1 - p) independently,   out = x * mask / (1 - p)
    test:   out = x

Dividing the kept units by the keep probability 1 - p at training time keeps every unit's
expected value equal to x, so nothing has to be rescaled at test time.

Erratum: the lecture notes describe the older, non-inverted scheme and scale at test time,
once "by p" and once "by 1 - p" with p the drop probability. For a drop probability the
test-time factor of that scheme would be 1 - p (the "p" rule comes from the dropout paper, where
p is the *keep* probability). We, like ``torch.nn.Dropout``, scale at training time instead.
Also, dropout does not remove *exactly* a fraction p of the units: each one is dropped
independently, so p is the dropped fraction only on average.
"""
import numbers

import numpy as np

from .validation import as_array

_MODES = ("train", "test")


def dropout_forward(x, p, mode, seed=None):
    """Drop each entry of ``x`` with probability ``p`` in ``mode`` 'train' and scale the kept ones
    by ``1 / (1 - p)``; return ``x`` unchanged in mode 'test'. ``seed`` makes the mask reproducible.

    p = 0 keeps everything; p = 1 drops everything (all zeros, no division by zero).
    torch twin: ``torch.nn.functional.dropout(x, p, training=(mode == 'train'))``.
    Returns ``(out, cache)``.
    """
    layer = "dropout_forward"
    x = as_array(x, "x", layer)
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{layer}: p is the probability of dropping a unit and must be a number in [0, 1], got {p!r}.")
    if mode not in _MODES:
        raise ValueError(f"{layer}: mode must be 'train' or 'test', got {mode!r}.")
    seed_is_integer = isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)) and seed >= 0
    if not (seed is None or seed_is_integer or isinstance(seed, np.random.Generator)):
        raise ValueError(
            f"{layer}: seed must be None (a fresh mask each call), a non-negative integer or a "
            f"np.random.Generator, got {seed!r}."
        )
    if mode == "test":
        return x.copy(), {"mode": mode, "scaled_mask": None}
    keep = np.random.default_rng(seed).random(x.shape) >= p  # True with probability 1 - p
    scaled_mask = keep / (1.0 - p) if p < 1.0 else np.zeros(x.shape)
    return x * scaled_mask, {"mode": mode, "scaled_mask": scaled_mask}


def dropout_backward(dout, cache):
    """``dx = dout * mask / (1 - p)`` with the mask of the forward pass; ``dx = dout`` in test mode."""
    dout = as_array(dout, "dout", "dropout_backward")
    scaled_mask = cache["scaled_mask"]
    if scaled_mask is None:
        return dout.copy()
    if dout.shape != scaled_mask.shape:
        raise ValueError(
            f"dropout_backward: dout has shape {dout.shape} but the layer's output had shape {scaled_mask.shape}."
        )
    return dout * scaled_mask
