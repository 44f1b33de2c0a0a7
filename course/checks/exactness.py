"""What the checks of labs 01-05 share beyond ``judging``: a backward pass judged for exactness
(backprop, not a numeric gradient), reductions that kept their axis, and a failure caused by an
earlier function of the student's, named as such.

Why exactness tells backprop from a numeric gradient, from returned data alone: an analytic
gradient in float64 agrees with the reference to about 1e-15 (loops or vectorized, any order of
the sums), while central differences of a forward pass lose about ``eps * |f| / h`` to rounding and
``h**2 * |f'''|`` to truncation, which no step ``h`` brings below about 1e-11 on the inputs the
checks use (values far from 0, many entries summed, dynamic range). The threshold lies between.
"""
import re

import numpy as np

from .judging import CheckFailed, Mistake, compare as _compare, relative_error

EXACT_THRESHOLD = 1e-13  # honest float64 code: below 5e-16 in the tests; finite differences: 1e-12 and above

NUMERIC_GRADIENT_MEANING = "it looks like a numeric gradient, not backpropagation"


def compare(exercise, output, got, expected, threshold, hint="", batch_size=None, mistakes=()):
    """``judging.compare``, first naming a reduction that kept its axis: a ``db`` or ``dgamma`` of
    shape (1, D) where (D,) is expected did sum over the batch (``keepdims=True`` kept the axis)."""
    try:
        shape = np.shape(got) if got is not None else None
    except ValueError:
        shape = None
    expected_shape = np.shape(expected)
    if shape is not None and len(shape) == len(expected_shape) + 1 and shape == (1,) + tuple(expected_shape):
        meaning = "it kept the summed axis (keepdims=True), which leaves a leading axis of length 1"
        raise CheckFailed(f"{exercise}: {output} has shape {shape} but should have shape {tuple(expected_shape)}; "
                          f"{meaning}: the sum over the batch is right, drop the kept axis.",
                          mistake=Mistake.named(exercise, output, meaning))
    return _compare(exercise, output, got, expected, threshold, hint=hint, batch_size=batch_size, mistakes=mistakes)


def exact(exercise, output, got, expected, threshold=EXACT_THRESHOLD, idea="the chain rule, one local derivative "
          "at a time"):
    """After ``compare`` passed at the loose gradient threshold: fail unless ``got`` agrees with the
    exact (analytic, float64) ``expected`` to ``threshold``. A gradient that is right to 1e-8 but not
    to 1e-12 is what finite differences of a forward pass give; backprop in float64 gives 1e-15."""
    values = np.asarray(got)
    error = relative_error(np.asarray(values, dtype=np.float64), np.asarray(expected, dtype=np.float64))
    if error <= threshold:
        return error
    if values.dtype.kind == "f" and values.dtype.itemsize < 8:
        raise CheckFailed(f"{exercise}: {output} is computed in {values.dtype} (relative error {error:.1e}); "
                          "the checks of this lab work in float64: keep the arrays you are given in their dtype.",
                          mistake=Mistake.named(exercise, output, "it is computed in lower precision"))
    raise CheckFailed(
        f"{exercise}: {output} agrees with the exact gradient only to a relative error of {error:.1e}, where "
        f"backpropagation in float64 agrees to about 1e-15; your backward looks like a numeric gradient "
        f"(finite differences of a forward pass), which is for checking a gradient, not for computing it. "
        f"Hint: derive it with {idea}.",
        mistake=Mistake.named(exercise, output, NUMERIC_GRADIENT_MEANING))


def because_of(failure, exercise, earlier_name, earlier_failure):
    """A CheckFailed for ``exercise`` that says its failure comes (at least in part) from the
    student's ``earlier_name``, which fails its own check with ``earlier_failure`` (a CheckFailed)."""
    earlier = re.sub(r"^[A-Za-z_]\w*: ", "", str(earlier_failure), count=1)  # the earlier check's own exercise name
    own = str(failure)
    if own.startswith(f"{exercise}: "):
        own = own[len(exercise) + 2:]
    message = (f"{exercise}: fails because your {earlier_name} is wrong: fix that first ({earlier.rstrip('.')}). "
               f"What this check saw: {own}")
    return CheckFailed(message, mistake=Mistake.named(exercise, earlier_name, "it fails because an earlier "
                                                      "function of the student's is wrong"))


def wide_range(rng, values, low=-2, high=4):
    """``values`` (kept away from 0 by the caller) scaled entry by entry by 10**U(low, high), signs
    kept: no single step h suits them all (a large one crosses the kink of the small values, a small
    one drowns the large ones in rounding), while backprop stays exact."""
    return values * 10.0 ** rng.uniform(low, high, size=np.shape(values))


LARGE_OFFSET = 1e6  # added to a bias (or to a max-pool input): the gradients stay, |f| grows
