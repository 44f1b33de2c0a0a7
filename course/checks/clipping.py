"""Check for lab 08: gradient clipping by the global norm, as ``torch.nn.utils.clip_grad_norm_``.

The student's ``clip_grad_norm(grads, max_norm) -> total_norm`` gets a list of gradient arrays,
scales them **in place** so that their joint L2 norm is at most ``max_norm``, and returns the norm
measured before clipping. The check tries gradients whose norm is above the threshold, below it,
and all zero, and names the usual mistakes: each array clipped on its own, values clipped one by
one, scaling when nothing needs it, a new list returned instead of scaling in place.
"""
import numpy as np

from ..layers.clipping import TORCH_EPSILON
from .judging import CheckFailed, call_student_in_place, compare
from .judging import random_generator

# torch adds 1e-6 to the norm before dividing; the notes' formula does not. Both pass.
THRESHOLD = 1e-5
HINT = ("measure all arrays together as one long vector (the square root of the sum of the squares of every entry), "
        "scale every array by one factor, never above 1, that brings this norm down to max_norm, and return the norm "
        "measured before (section 4's equation).")


def _gradients(rng, shapes, norm):
    """Random arrays of ``shapes`` whose joint L2 norm is ``norm``, with unequal sizes per array."""
    arrays = [rng.normal(scale=rng.uniform(0.2, 3.0), size=shape) for shape in shapes]
    total = np.sqrt(sum(np.sum(a * a) for a in arrays))
    return [a * (norm / total) for a in arrays]


def _flat(arrays):
    return np.concatenate([np.ravel(a) for a in arrays])


def _scaled(arrays, scale):
    return _flat([a * scale for a in arrays])


def _wrong_versions(before, max_norm):
    """Flattened results of the typical mistakes on ``before`` (a list of arrays)."""
    total = np.linalg.norm(_flat(before))
    if total == 0:  # every mistake leaves zeros zero (NaN is caught before)
        return []
    per_array = [a * min(1.0, max_norm / (np.linalg.norm(a) + TORCH_EPSILON)) for a in before]
    sum_of_norms = sum(np.linalg.norm(a) for a in before)
    mistakes = [
        (_flat(per_array), "it clips each gradient separately; clipping by the global norm measures all arrays "
                           "together as one long vector and scales every array by the same factor"),
        (_flat([np.clip(a, -max_norm, max_norm) for a in before]),
         "it clips each value to [-max_norm, max_norm] (clipping by value); clip the norm of all gradients together"),
        (_scaled(before, max_norm / total), "it scales when the norm is below the threshold; leave the gradients "
                                            "as they are when their norm is at most max_norm (scale = min(1, ...))"),
        (_scaled(before, 1 / total), "it scales the gradients to norm 1; scale them to norm max_norm"),
        (_scaled(before, min(1.0, max_norm / total ** 2)), "it measures the squared norm; take the square root"),
        (_scaled(before, min(1.0, max_norm / sum_of_norms)),
         "it adds up the norms of the arrays; the global norm is the square root of the sum of squares of all entries"),
        (_scaled(before, total / max_norm), "the ratio is upside down: scale by max_norm / norm"),
    ]
    mistakes.append((_scaled(before, min(1.0, max_norm / total) ** 2), "it scales twice"))
    return mistakes


def _clip_once(clip_grad_norm, exercise, before, max_norm, case):
    """Call the student on copies of ``before``; return (the arrays afterwards, the returned value)."""
    grads = [a.copy() for a in before]
    arrays = list(grads)  # the very arrays handed over: in place means these change
    returned = call_student_in_place(clip_grad_norm, exercise, grads, max_norm)
    total = float(np.linalg.norm(_flat(before)))
    expected = _scaled(before, min(1.0, max_norm / (total + TORCH_EPSILON)))
    got = _flat(arrays)
    if total == 0 and not np.all(np.isfinite(got)):
        raise CheckFailed(f"{exercise}: all-zero gradients became NaN or inf; it divides by a norm of 0. "
                          "Hint: guard the division as torch does (a small epsilon added to the norm), or scale only when the norm "
                          "exceeds max_norm.")
    if not np.allclose(got, expected, rtol=THRESHOLD, atol=1e-12):
        listed = returned if isinstance(returned, (list, tuple)) else grads
        candidates = [a for a in listed if isinstance(a, np.ndarray)]
        if len(candidates) == len(before) and all(c.shape == a.shape for c, a in zip(candidates, before)) \
                and np.allclose(_flat(candidates), expected, rtol=THRESHOLD, atol=1e-12) \
                and np.array_equal(got, _flat(before)) and total > max_norm:
            raise CheckFailed(
                f"{exercise}: the gradient arrays are unchanged ({case}); it makes new arrays instead of scaling "
                "the given ones in place. Hint: scale each given array itself, as torch's clip_grad_norm_ changes the "
                ".grad tensors themselves; a new array or list leaves the caller's gradients as they were.")
    compare(exercise, f"the gradients after clipping ({case}, all arrays flattened and joined)", got, expected,
            THRESHOLD, hint=HINT, mistakes=_wrong_versions(before, max_norm))
    return returned, total


def check_clip_grad_norm(clip_grad_norm, seed=0, shapes=((4, 3), (3,), (2, 2, 2)), max_norm=2.5):
    """``clip_grad_norm(grads, max_norm) -> total_norm``: ``grads`` a list of float arrays scaled
    in place to a joint L2 norm of at most ``max_norm``; returns the norm before clipping.
    torch twin: ``torch.nn.utils.clip_grad_norm_(parameters, max_norm)``."""
    exercise = "clip_grad_norm"
    rng = random_generator(seed)
    shapes = [tuple(s) if isinstance(s, (tuple, list)) else (s,) for s in shapes]
    cases = [(_gradients(rng, shapes, max_norm * rng.uniform(3.0, 20.0)), "norm above max_norm"),
             (_gradients(rng, shapes, max_norm * rng.uniform(0.2, 0.8)), "norm below max_norm"),
             ([np.zeros(shape) for shape in shapes], "all gradients zero")]
    for before, case in cases:
        returned, total = _clip_once(clip_grad_norm, exercise, before, max_norm, case)
        if returned is None:
            raise CheckFailed(f"{exercise}: it returns None; return the total norm measured before clipping, "
                              "as torch's clip_grad_norm_ does (useful to log and plot).")
        try:
            value = float(np.asarray(returned, dtype=np.float64))
        except (TypeError, ValueError):
            raise CheckFailed(f"{exercise}: it returns a {type(returned).__name__}; return the total norm "
                              "(one number) measured before clipping.") from None
        after = min(total, max_norm)
        diagnosis = ""
        if total > max_norm and abs(value - after) <= THRESHOLD * max(after, 1.0):
            diagnosis = "; that is the norm after clipping, return the one measured before"
        elif total > 0 and abs(value - total ** 2) <= THRESHOLD * total ** 2:
            diagnosis = "; that is the squared norm"
        if abs(value - total) > THRESHOLD * max(total, 1e-8):
            raise CheckFailed(f"{exercise}: the returned norm is wrong ({case}): expected {total:.6g}, got "
                              f"{value:.6g}{diagnosis}. Hint: return the global norm measured before clipping.")
