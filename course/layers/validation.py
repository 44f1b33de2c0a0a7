"""Input checks shared by the layers: one clear sentence instead of a deep traceback."""
import numbers

import numpy as np


def as_array(value, name, layer, ndim=None, min_ndim=None):
    """``value`` as a floating-point array; a ValueError naming ``layer`` if it does not fit."""
    try:
        array = np.asarray(value)
    except Exception as error:  # ragged lists and the like
        raise ValueError(f"{layer}: {name} is not an array ({error}).") from None
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"{layer}: {name} must hold numbers, got dtype {array.dtype}.")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{layer}: {name} must have {ndim} dimensions, got shape {array.shape}.")
    if min_ndim is not None and array.ndim < min_ndim:
        raise ValueError(
            f"{layer}: {name} must have at least {min_ndim} dimensions, got shape {array.shape}."
        )
    if np.issubdtype(array.dtype, np.integer):
        array = array.astype(np.float64)
    return array


def same_shape(a, b, name_a, name_b, layer):
    if np.shape(a) != np.shape(b):
        raise ValueError(
            f"{layer}: {name_a} has shape {np.shape(a)} but {name_b} has shape {np.shape(b)}; "
            "they must match."
        )


def real_number(value, name, layer, minimum=None, maximum=None, hint="", finite=True):
    """``value`` as a float: a real number (not a bool, never NaN, finite unless ``finite=False``)
    in [minimum, maximum] where given.

    Otherwise one ValueError sentence naming ``layer``; ``hint`` is added to it (say what to pass).
    """
    is_number = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    in_range = (is_number and not np.isnan(value) and (np.isfinite(value) or not finite)
                and (minimum is None or value >= minimum) and (maximum is None or value <= maximum))
    if not in_range:
        if minimum is not None and maximum is not None:
            wanted = f"a number in [{minimum}, {maximum}]"
        elif minimum is not None:
            wanted = "a non-negative number" if minimum == 0 else f"a number >= {minimum}"
        else:
            wanted = "a finite number"
        raise ValueError(f"{layer}: {name} must be {wanted}, got {value!r}{hint}.")
    return float(value)


def epsilon(value, layer, name="eps"):
    """The small constant added to a variance: a finite number >= 0 (a negative one gives NaN)."""
    return real_number(value, name, layer, minimum=0, hint=" (a small positive constant such as 1e-5)")


def axis_argument(axis, ndim, layer):
    """``axis`` as a non-negative int that indexes an array of ``ndim`` dimensions (negative counts
    from the end, as in NumPy and torch); one ValueError sentence otherwise."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"{layer}: axis must be an integer such as -1 (the last axis), got {axis!r}.")
    if ndim == 0:
        raise ValueError(f"{layer}: x is a single number (0 dimensions); pass an array with at least one axis.")
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{layer}: axis {axis} does not exist in an array of {ndim} dimensions; "
            f"use an axis from {-ndim} to {ndim - 1}."
        )
    return int(axis) % ndim


def integer_argument(value, name, layer, minimum, integral_floats=False):
    """``value`` as an int of at least ``minimum``; a one-sentence ValueError naming ``layer`` otherwise.

    ``integral_floats=True`` also accepts a float with a whole value, such as 4.0.
    """
    whole_float = integral_floats and isinstance(value, (float, np.floating)) and float(value).is_integer()
    is_integer = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not (is_integer or whole_float) or value < minimum:
        kind = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer >= {minimum}")
        raise ValueError(f"{layer}: {name} must be {kind}, got {value!r}.")
    return int(value)
