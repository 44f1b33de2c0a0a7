"""Check for lab 03: a student's weight initializer, judged statistically on a large draw.

The student's function is called like the reference in ``course.init``:
``init_fn(shape, seed=seed, **kwargs)``, returning a new array of ``shape``. The check asks for
reproducibility under a seed, a mean of 0, the right family (uniform or normal, told apart by
the kurtosis) and a standard deviation within a few percent of torch's formula, and names
typical confusions: fan-in and fan-out swapped (our affine weight is the transpose of torch's
Linear weight), variance used as standard deviation, bound used as standard deviation or back,
a missing gain, Xavier and He mixed up.
"""
import math

import numpy as np

from .. import init as reference
from .judging import CheckFailed, call_student

STD_TOLERANCE = 0.03  # relative; the standard error of the estimate on 131072 values is about 0.2%
UNIFORM_KURTOSIS, NORMAL_KURTOSIS = -1.2, 0.0  # excess kurtosis of each family


def _excess_kurtosis(values):
    centred = values - values.mean()
    return float(np.mean(centred**4) / np.mean(centred**2) ** 2 - 3.0)


def _std_mistakes(kind, shape, kwargs):
    """``(wrong standard deviation, explanation)`` pairs typical of ``kind``."""
    layout = kwargs.get("layout")
    fan_in, fan_out = reference.fan_in_and_fan_out(shape, layout)
    uniform = kind.endswith("uniform")
    if kind.startswith("xavier"):
        gain = kwargs.get("gain", 1.0)
        std = reference.xavier_std(shape, gain, layout)
        mistakes = [
            (gain * math.sqrt(2.0 / fan_in), "it uses only fan_in, 2 / fan_in (that is He's scale: the notes' "
                                             "'Xavier' bound sqrt(6 / n_in) is really He-uniform); Xavier uses "
                                             "2 / (fan_in + fan_out)"),
            (gain * math.sqrt(1.0 / fan_in), "it uses 1 / fan_in; Xavier/Glorot averages the two fans: "
                                             "2 / (fan_in + fan_out)"),
            (gain * math.sqrt(1.0 / (fan_in + fan_out)), "the factor 2 in 2 / (fan_in + fan_out) is missing"),
            (gain * 2.0 / (fan_in + fan_out), "the variance 2 / (fan_in + fan_out) is used as the standard "
                                              "deviation: take its square root"),
        ]
        if gain != 1.0:
            mistakes.append((std / gain, f"the gain {gain:.4g} is missing"))
    else:
        a, mode = kwargs.get("a", 0.0), kwargs.get("mode", "fan_in")
        nonlinearity = kwargs.get("nonlinearity", "leaky_relu")
        gain = reference.calculate_gain(nonlinearity, a)
        std = reference.kaiming_std(shape, a, mode, nonlinearity, layout)
        fan, other = (fan_in, fan_out) if mode == "fan_in" else (fan_out, fan_in)
        other_name = "fan_out" if mode == "fan_in" else "fan_in"
        mistakes = [
            (gain / math.sqrt(other), f"it divides by {other_name} = {other} instead of {mode} = {fan}; this "
                                      "course's affine weight has shape (fan_in, fan_out), the transpose of "
                                      "torch's nn.Linear weight (out, in)"),
            (std / gain, f"the gain {gain:.4g} (sqrt(2) for ReLU) is missing"),
            (gain**2 / fan, f"the variance {gain**2:.3g} / {mode} is used as the standard deviation: take its "
                            "square root"),
            (reference.xavier_std(shape, gain, layout), "that is Xavier's scale, with fan_in + fan_out; He "
                                                        f"uses only {mode}"),
        ]
    if len(shape) > 2:
        kernel = ("it leaves out the kernel size: a conv weight (F, C, KH, KW) has fan_in = C * KH * KW and "
                  "fan_out = F * KH * KW")
        receptive_field = math.prod(shape[2:])
        mistakes += [(std * math.sqrt(receptive_field), kernel)]
        if kind.startswith("kaiming"):
            mistakes += [(gain / math.sqrt(shape[0]), kernel), (gain / math.sqrt(shape[1]), kernel)]
    if uniform:
        mistakes.append((std / math.sqrt(3.0), "the standard deviation is used as the bound; a uniform on "
                                               "[-b, b] has standard deviation b / sqrt(3), so b = sqrt(3) * std"))
    else:
        mistakes.append((std * math.sqrt(3.0), "the uniform bound (sqrt(3) * std) is used as the standard "
                                               "deviation of the normal"))
    return std, mistakes


def check_initializer(init_fn, kind, seed=0, shape=(512, 256), **kwargs):
    """Judge ``init_fn(shape, seed=seed, **kwargs)`` against ``course.init.<kind>``.

    ``kind``: 'xavier_uniform', 'xavier_normal', 'kaiming_uniform' or 'kaiming_normal'.
    ``shape``: (fan_in, fan_out) for an affine weight; (F, C, KH, KW) for a conv weight.
    ``kwargs`` (gain; a, mode, nonlinearity; layout) are passed to the student's function as well.
    Use at least about 10^5 values, or the statistics get too noisy for the tolerance.
    """
    if kind not in reference.INITIALIZERS:
        raise ValueError(f"check_initializer: kind must be one of {', '.join(reference.INITIALIZERS)}, got {kind!r}.")
    shape = tuple(shape)
    exercise = kind
    name = getattr(init_fn, "__name__", kind)
    weights = call_student(init_fn, exercise, shape, seed=seed, **kwargs)
    if not isinstance(weights, np.ndarray):
        raise CheckFailed(f"{exercise}: {name} should return a NumPy array, got {type(weights).__name__}.")
    if weights.shape != shape:
        detail = ("; it looks transposed: this course's affine weight is (fan_in, fan_out), the transpose of "
                  "torch's nn.Linear weight" if weights.shape == shape[::-1] else "")
        raise CheckFailed(f"{exercise}: {name} returned shape {weights.shape} but should return shape {shape}{detail}.")
    values = weights.astype(np.float64).ravel()
    if not np.all(np.isfinite(values)):
        raise CheckFailed(f"{exercise}: the weights contain NaN or inf.")
    again = np.asarray(call_student(init_fn, exercise, shape, seed=seed, **kwargs))
    if not np.array_equal(again, weights):
        raise CheckFailed(
            f"{exercise}: two calls with seed={seed} gave different weights; draw from "
            "rng = np.random.default_rng(seed) so that a seed reproduces the same weights."
        )
    other = np.asarray(call_student(init_fn, exercise, shape, seed=seed + 1, **kwargs))
    if np.array_equal(other, weights):
        raise CheckFailed(f"{exercise}: seed={seed} and seed={seed + 1} gave the same weights; the seed is ignored.")
    std, mistakes = _std_mistakes(kind, shape, kwargs)
    hint = (f"{kind} draws from U(-b, b) with b = sqrt(3) * std" if kind.endswith("uniform")
            else f"{kind} draws from N(0, std**2)") + (
        " where std = gain * sqrt(2 / (fan_in + fan_out))." if kind.startswith("xavier")
        else " where std = gain / sqrt(fan_in) and gain = sqrt(2) for ReLU.")
    mean = float(values.mean())
    if abs(mean) > 6 * values.std() / math.sqrt(values.size):
        raise CheckFailed(
            f"{exercise}: the weights are not centred on 0 (mean {mean:.3g} with std {values.std():.3g}); draw "
            f"from [-b, b] or N(0, std**2), not from [0, b]. Hint: {hint}"
        )
    kurtosis = _excess_kurtosis(values)
    if kind.endswith("uniform") and abs(kurtosis - UNIFORM_KURTOSIS) > 0.2:
        raise CheckFailed(
            f"{exercise}: the weights do not look uniformly distributed (excess kurtosis {kurtosis:.2f}; a uniform "
            f"has {UNIFORM_KURTOSIS}, a normal {NORMAL_KURTOSIS}). Hint: {hint}"
        )
    if kind.endswith("normal") and abs(kurtosis - NORMAL_KURTOSIS) > 0.2:
        raise CheckFailed(
            f"{exercise}: the weights do not look normally distributed (excess kurtosis {kurtosis:.2f}; a normal "
            f"has {NORMAL_KURTOSIS}, a uniform {UNIFORM_KURTOSIS}). Hint: {hint}"
        )
    measured = float(values.std())
    error = abs(measured - std) / std
    if error > STD_TOLERANCE:
        diagnosis = next((text for wrong, text in mistakes if abs(measured - wrong) / wrong < STD_TOLERANCE), None)
        raise CheckFailed(
            f"{exercise}: the standard deviation of the weights is {measured:.4g} but should be {std:.4g} "
            f"(relative error {error:.1e}, should be below {STD_TOLERANCE})"
            + (f"; {diagnosis}" if diagnosis else "") + f". Hint: {hint}"
        )


def check_xavier_uniform(xavier_uniform, seed=0, shape=(512, 256)):
    """Lab 03's exercise: ``xavier_uniform(shape, seed=seed)`` for an affine weight (fan_in, fan_out),
    U(-b, b) with b = sqrt(6 / (fan_in + fan_out)), as ``torch.nn.init.xavier_uniform_``."""
    check_initializer(xavier_uniform, "xavier_uniform", seed=seed, shape=shape)


def check_kaiming_normal(kaiming_normal, seed=0, shape=(512, 256)):
    """Lab 03's exercise: ``kaiming_normal(shape, seed=seed)`` for an affine weight (fan_in, fan_out)
    followed by ReLU, N(0, 2 / fan_in), as ``torch.nn.init.kaiming_normal_(w, nonlinearity='relu')``."""
    check_initializer(kaiming_normal, "kaiming_normal", seed=seed, shape=shape)
