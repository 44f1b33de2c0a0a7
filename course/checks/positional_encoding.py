"""Checks for lab 09: the sinusoidal positional encoding of Vaswani et al. (2017).

``PE[pos, 2i] = sin(pos / 10000**(2i / d_model))`` and ``PE[pos, 2i + 1] = cos(same angle)``:
each pair of columns is a sine and a cosine of one frequency, the frequencies falling
geometrically from 1 (columns 0, 1) to nearly 1/10000. The reference is
``course.layers.positional_encoding``.
"""
import numpy as np

from ..layers.attention import positional_encoding as reference_encoding
from .judging import FORWARD_THRESHOLD, CheckFailed, call_student, compare


def _encoding(positions, columns, d_model, exponent, even=np.sin, odd=np.cos):
    angles = positions[:, None] / 10000.0 ** (exponent(columns) / d_model)
    return np.where(columns % 2 == 0, even(angles), odd(angles))


def check_positional_encoding(positional_encoding, length=10, d_model=16):
    """``positional_encoding(length, d_model)`` -> (length, d_model) against the reference
    (``d_model`` even)."""
    exercise = "positional_encoding"
    if d_model % 2:
        raise ValueError("check_positional_encoding: d_model must be even (one sine and one cosine per frequency).")
    got = call_student(positional_encoding, exercise, length, d_model)
    expected = reference_encoding(length, d_model)
    positions, columns = np.arange(length, dtype=np.float64), np.arange(d_model)
    pairs = lambda j: 2 * (j // 2)  # noqa: E731 - the exponent 2i of the pair that column j belongs to
    hint = ("the pair of columns 2i, 2i + 1 shares one angle, the position divided by 10000 to the power 2i / d_model; "
            "the sine goes in the even column and the cosine in the odd one, and positions start at 0 (section 6's "
            "equation).")
    if got is not None and np.shape(got) == (d_model, length) and length != d_model:
        raise CheckFailed(f"{exercise}: the result has shape {np.shape(got)} but should have shape {(length, d_model)}; "
                          f"it is transposed: one row per position, one column per feature. Hint: {hint}")
    half = d_model // 2
    halves_angles = positions[:, None] / 10000.0 ** (2 * np.arange(half) / d_model)
    compare(exercise, f"positional_encoding({length}, {d_model})", got, expected, FORWARD_THRESHOLD, hint=hint,
            mistakes=[
                (_encoding(positions, columns, d_model, pairs, even=np.cos, odd=np.sin),
                 "sin and cos are swapped: the even columns (0, 2, ...) hold the sine"),
                (_encoding(positions, columns, d_model, lambda j: j),
                 "the exponent uses the column index j instead of 2i = 2 * (j // 2): the sine and the cosine of a "
                 "pair must share one frequency"),
                (_encoding(positions, columns, d_model, lambda j: 2 * j),
                 "the exponent is 2j for column j; it should be 2i, with i = j // 2 the pair the column belongs to"),
                (np.concatenate([np.sin(halves_angles), np.cos(halves_angles)], axis=1),
                 "all the sines come first and then all the cosines; they should alternate, sin in the even "
                 "columns and cos in the odd ones"),
                (_encoding(positions + 1, columns, d_model, pairs), "the positions start at 1; the first is 0"),
                (_encoding(positions, columns, d_model, lambda j: -pairs(j)),
                 "the position is multiplied by 10000**(2i/d_model) instead of divided by it"),
            ])
