"""Input checks shared by the layers: one clear sentence instead of a deep traceback."""
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
