"""Checks for lab 05's arithmetic: the receptive-field calculator and the conv output size.

Both answers are whole numbers, so they are compared exactly; a wrong answer is matched against
the results of typical wrong formulas to say which one the student wrote.
"""
import numpy as np

from ..arithmetic.receptive_field import receptive_field as reference_receptive_field
from ..arithmetic.sizes import conv_output_size as reference_conv_output_size
from .judging import CheckFailed, call_student, quiet

# The worked examples of the lecture notes (corrected): three 3x3 convolutions; conv 3/1, max-pool
# 2/2, conv 1/1, max-pool 4/2; LeNet's C1, S2, C3, S4, C5.
WORKED_RECEPTIVE_FIELDS = (
    [(3, 1), (3, 1), (3, 1)],
    [(3, 1), (2, 2), (1, 1), (4, 2)],
    [(5, 1), (2, 2), (5, 1), (2, 2), (5, 1)],
)


def _walk(layers, step):
    fields, field, jump = [], 1, 1
    for kernel, stride, dilation in layers:
        field, jump = step(field, jump, kernel, stride, dilation)
        fields.append(field)
    return fields


def _wrong_receptive_fields(layers):
    """Each typical wrong formula's answer for ``layers`` (kernel, stride, dilation), with its meaning."""
    right = _walk(layers, lambda r, j, k, s, d: (r + (k - 1) * d * j, j * s))
    return [
        (_walk(layers, lambda r, j, k, s, d: (r + (k - 1) * d, j)),
         "the stride product is missing: each layer adds (k - 1) * d times the product of the strides of all earlier layers"),
        (_walk(layers, lambda r, j, k, s, d: (r + (k - 1) * d * j * s, j * s)),
         "it multiplies by the layer's own stride too: only the strides of the earlier layers count"),
        (_walk(layers, lambda r, j, k, s, d: (r + (k - 1) * j, j * s)),
         "the dilation is ignored: a dilated kernel spans (k - 1) * d + 1 pixels"),
        (_walk(layers, lambda r, j, k, s, d: (r + k * d * j, j * s)),
         "each layer adds k where it should add k - 1 (a 1x1 convolution does not widen the field)"),
        ([r - 1 for r in right],
         "it is one too small: start from r = 1 (one pixel sees itself), so that the first layer gives r = k"),
    ]


def _consistent_diagnosis(answers, mistakes_of):
    """The meaning of the first typical mistake that reproduces *every* answer, or None.

    ``answers``: (case, got) pairs; ``mistakes_of(case)``: list of (wrong answer, meaning).
    Requiring all cases avoids naming a formula that only coincides on one of them.
    """
    candidates = None
    for case, got in answers:
        matching = {meaning for wrong, meaning in mistakes_of(case) if wrong == got}
        candidates = matching if candidates is None else candidates & matching
    for _wrong, meaning in mistakes_of(answers[0][0]):
        if candidates and meaning in candidates:
            return meaning
    return None


def _as_int_list(value):
    try:
        values = list(value)
        as_ints = [int(v) for v in values]
    except (TypeError, ValueError):
        return None
    return as_ints if all(float(v) == i for v, i in zip(values, as_ints)) else None


def _random_layers(rng):
    """2 to 5 layers with strides above 1 early on, so that every mistake shows, and some dilations."""
    layers = []
    for index in range(int(rng.integers(2, 6))):
        kernel = int(rng.integers(2, 6))
        stride = int(rng.integers(2, 4)) if index < 2 else int(rng.integers(1, 3))
        dilation = int(rng.integers(1, 3)) if rng.random() < 0.5 else 1
        layers.append((kernel, stride, dilation))
    return layers


def check_receptive_field(receptive_field, seed=0, trials=10, dilation=True):
    """``receptive_field(layers) -> list`` (one value per layer) on the notes' worked examples and on
    ``trials`` random stacks; ``layers`` holds (kernel, stride) pairs, and (kernel, stride, dilation)
    triples unless ``dilation=False``."""
    exercise = "receptive_field"
    rng = np.random.default_rng(seed)
    cases = [[layer + (1,) for layer in case] for case in WORKED_RECEPTIVE_FIELDS]
    cases += [_random_layers(rng) for _ in range(trials)]
    if not dilation:
        cases = [[(k, s, 1) for k, s, _ in layers] for layers in cases]
    answers, first_wrong = [], None
    for layers in cases:
        given = [(k, s) if d == 1 else (k, s, d) for k, s, d in layers]
        expected = reference_receptive_field(given)
        got = call_student(receptive_field, exercise, [tuple(layer) for layer in given])
        values = _as_int_list(got)
        if values is None:
            detail = ("it returns a single number; return a list with the receptive field after each layer"
                      if got is not None and np.ndim(got) == 0 else f"it returned {got!r}")
            raise CheckFailed(f"{exercise}: for layers {given} expected the list {expected}; {detail}.")
        if len(values) != len(expected):
            raise CheckFailed(f"{exercise}: for layers {given} it returned {len(values)} values, expected one per layer: {expected}.")
        answers.append((layers, values))
        if values != expected and first_wrong is None:
            first_wrong = (given, values, expected)
    if first_wrong is None:
        return
    given, values, expected = first_wrong
    diagnosis = _consistent_diagnosis(answers, _wrong_receptive_fields)
    raise CheckFailed(
        f"{exercise}: for layers {given} it returned {values}, expected {expected}"
        + (f"; {diagnosis}." if diagnosis else ".")
        + " Hint: r = 1, jump = 1; for each layer r += (k - 1) * d * jump, then jump *= s."
    )


def _wrong_output_sizes(settings):
    n, kernel, stride, padding, dilation = settings
    span = dilation * (kernel - 1) + 1
    return [
        ((n + padding - span) // stride + 1, "the padding is counted once; it is added on both sides: n + 2 * padding"),
        (-(-(n + 2 * padding - span) // stride) + 1, "it rounds up; a window that does not fit is dropped: round down with //"),
        ((n + 2 * padding - span) // stride, "the + 1 is missing: the first window sits at position 0"),
        ((n + 2 * padding - kernel) // stride + 1, "the dilation is ignored: the kernel spans dilation * (kernel - 1) + 1 pixels"),
        (n + 2 * padding - span + 1, "the stride is ignored: divide by the stride"),
        ((n + 2 * padding - span) / stride + 1, "it returned a fraction: use integer division // (the floor)"),
    ]


def check_conv_output_size(conv_output_size, seed=0, trials=30, dilation=True, require_error=True):
    """``conv_output_size(n, kernel, stride=1, padding=0, dilation=1)`` against torch's formula on
    ``trials`` random settings (the floor matters in most); with ``require_error``, a kernel larger
    than the padded input must raise ValueError."""
    exercise = "conv_output_size"
    rng = np.random.default_rng(seed)
    answers, first_wrong = [], None
    for _ in range(trials):
        kernel, stride, padding = int(rng.integers(2, 6)), int(rng.integers(2, 5)), int(rng.integers(1, 3))
        d = int(rng.integers(2, 4)) if dilation else 1
        n = int(rng.integers(d * (kernel - 1) + 1, 30))
        extra = {"dilation": d} if dilation else {}
        got = call_student(conv_output_size, exercise, n, kernel, stride=stride, padding=padding, **extra)
        described = f"n={n}, kernel={kernel}, stride={stride}, padding={padding}" + (f", dilation={d}" if dilation else "")
        expected = reference_conv_output_size(n, kernel, stride, padding, d)
        try:
            value = float(got)
        except (TypeError, ValueError):
            raise CheckFailed(f"{exercise}: for {described} it returned {got!r}, expected the number {expected}.") from None
        answers.append(((n, kernel, stride, padding, d), value))
        if value != expected and first_wrong is None:
            first_wrong = (described, got, expected)
    if first_wrong is not None:
        described, got, expected = first_wrong
        diagnosis = _consistent_diagnosis(answers, _wrong_output_sizes)
        raise CheckFailed(
            f"{exercise}: for {described} it returned {got}, expected {expected}" + (f"; {diagnosis}." if diagnosis else ".")
            + " Hint: (n + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1."
        )
    if require_error:
        try:
            with quiet():
                got = conv_output_size(3, 5)
        except ValueError:
            return
        except Exception as error:
            raise CheckFailed(
                f"{exercise}: for n=3, kernel=5 the kernel does not fit; it should raise ValueError, "
                f"but it raised {type(error).__name__}: {error}"
            ) from None
        raise CheckFailed(
            f"{exercise}: for n=3, kernel=5 the kernel does not fit, so it should raise ValueError; it returned {got!r}."
        )
