"""Checks for lab 05's arithmetic: the receptive-field calculator, the conv output size, the conv
parameter count and a network's table of output shapes and parameters (LeNet-5, AlexNet).

The answers are whole numbers, so they are compared exactly; a wrong answer is matched against
the results of typical wrong formulas to say which one the student wrote.
"""
import numpy as np

from ..arithmetic.architectures import ALEXNET, LENET5
from ..arithmetic.counts import conv_params as reference_conv_params
from ..arithmetic.receptive_field import receptive_field as reference_receptive_field
from ..arithmetic.sizes import conv_output_size as reference_conv_output_size
from ..arithmetic.specs import AvgPool, Conv, Flatten, Linear, MaxPool, layer_shapes
from ..arithmetic.table import architecture_table
from .judging import CheckFailed, Mistake, call_student, quiet
from .judging import random_generator

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
    rng = random_generator(seed)
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
        + " Hint: r = 1, jump = 1; for each layer r += (k - 1) * d * jump, then jump *= s.",
        mistake=Mistake.named(exercise, "", diagnosis)
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
    rng = random_generator(seed)
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
            + " Hint: (n + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1.",
            mistake=Mistake.named(exercise, "", diagnosis)
        )
    if require_error:
        _expect_value_error(exercise, "for n=3, kernel=5 the kernel does not fit", conv_output_size, 3, 5)


def _expect_value_error(exercise, situation, function, *args, **kwargs):
    """Fail unless ``function(*args, **kwargs)`` raises ValueError. While grading, the kernel's
    ValueError arrives as a stand-in class of the same name, so the name is what counts."""
    try:
        with quiet():
            got = function(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - any other exception is the student's, reported as such
        if isinstance(error, ValueError) or type(error).__name__ == "ValueError":
            return
        raise CheckFailed(f"{exercise}: {situation}, so it should raise ValueError, but it raised "
                          f"{type(error).__name__}: {error}") from None
    raise CheckFailed(f"{exercise}: {situation}, so it should raise ValueError; it returned {got!r}.")


def _kernel_pair(kernel):
    return tuple(kernel) if isinstance(kernel, (tuple, list)) else (kernel, kernel)


def _wrong_conv_params(settings):
    """Each typical wrong count for ``settings`` (c_in, c_out, kernel, bias, groups), with its meaning."""
    c_in, c_out, kernel, bias, groups = settings
    kh, kw = _kernel_pair(kernel)
    biases = c_out if bias else 0
    per_filter = (c_in // groups) * kh * kw
    mistakes = [
        (c_in * c_out * (kh * kw + 1) if bias else c_out * per_filter,
         "it counts one bias per (input channel, filter) pair, c_in * c_out * (kh * kw + 1), as one set of lecture "
         "notes writes; each filter has one bias: c_out * (c_in * kh * kw + 1)"),
        (c_out * per_filter, "the biases are missing: with bias=True each filter adds one"),
        (c_out * per_filter + c_out, "it adds the biases also when bias=False"),
        (c_out * per_filter + (1 if bias else 0), "it counts one bias for the whole layer; each filter has its own"),
        (c_out * c_in * kh * kw + biases, "groups is ignored: each filter sees only c_in / groups input channels"),
        (c_out * (c_in // groups) * kh * kw // groups + biases,
         "it divides by groups twice: c_out filters, each of c_in / groups channels"),
        (c_out * (kh * kw) + biases, "the input channels are missing: each filter covers all c_in / groups input channels"),
    ]
    square = not isinstance(kernel, (tuple, list))  # each slip below leaves the other kind of kernel right
    mistakes.append((c_out * (c_in // groups) * (kernel if square else kh * kw) + biases,
                     "the kernel is not squared: a k x k filter has k * k weights per input channel"))
    mistakes.append((c_out * (c_in // groups) * kh * kh + biases,
                     "a (kh, kw) kernel has kh * kw weights per channel; it uses kh twice"))
    return mistakes


def _as_whole(value):
    """``value`` as an int when it is a whole number (an int or an integral float), else None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def check_conv_params(conv_params, seed=0, trials=30, groups=True, pairs=True, require_error=True):
    """``conv_params(c_in, c_out, kernel, bias=True, groups=1)`` against the parameter count of
    ``torch.nn.Conv2d`` on the worked examples of the lab and ``trials`` random layers (square and,
    with ``pairs``, (kh, kw) kernels; with ``groups``, grouped ones); with ``require_error``,
    groups that do not divide the channels must raise ValueError."""
    exercise = "conv_params"
    rng = random_generator(seed)
    cases = [(3, 6, 5, True, 1), (3, 10, 5, True, 1), (10, 5, 1, True, 1), (3, 96, 11, True, 1), (256, 384, 3, False, 1)]
    for _ in range(trials):
        g = int(rng.choice([1, 2, 4])) if groups and rng.random() < 0.5 else 1
        c_in, c_out = g * int(rng.integers(1, 9)), g * int(rng.integers(1, 9))
        kernel = int(rng.integers(1, 8))
        if pairs and rng.random() < 0.3:
            kernel = (kernel, int(rng.integers(1, 8)))
        cases.append((c_in, c_out, kernel, bool(rng.random() < 0.75), g))
    answers, first_wrong = [], None
    for c_in, c_out, kernel, bias, g in cases:
        extra = {"groups": g} if g != 1 else {}
        got = call_student(conv_params, exercise, c_in, c_out, kernel, bias=bias, **extra)
        described = f"c_in={c_in}, c_out={c_out}, kernel={kernel}, bias={bias}" + (f", groups={g}" if g != 1 else "")
        expected = reference_conv_params(c_in, c_out, kernel, bias, g)
        value = _as_whole(got)
        if value is None:
            raise CheckFailed(f"{exercise}: for {described} it returned {got!r}, expected the whole number {expected}.")
        answers.append(((c_in, c_out, kernel, bias, g), value))
        if value != expected and first_wrong is None:
            first_wrong = (described, got, expected)
    if first_wrong is not None:
        described, got, expected = first_wrong
        diagnosis = _consistent_diagnosis(answers, _wrong_conv_params)
        raise CheckFailed(
            f"{exercise}: for {described} it returned {got}, expected {expected}" + (f"; {diagnosis}." if diagnosis else ".")
            + " Hint: count the weights of one filter (it covers c_in / groups channels, kh x kw each), multiply by "
              "the number of filters, then add the biases.",
            mistake=Mistake.named(exercise, "", diagnosis)
        )
    if require_error:
        _expect_value_error(exercise, "groups=2 does not divide c_in=3", conv_params, 3, 4, 3, groups=2)


# ---------------------------------------------------------------- a network's table, layer by layer

def _as_layer_tuples(specs):
    """The lab's plain layer tuples for library specs: ("conv", filters, kernel, stride, padding),
    ("pool", kernel, stride), ("linear", features); activations, dropout and Flatten change neither
    shapes nor parameter counts and are left out (a linear layer flattens its input itself)."""
    layers, kept = [], []
    for index, spec in enumerate(specs):
        if isinstance(spec, Conv):
            layers.append(("conv", spec.out_channels, spec.kernel, spec.stride, spec.padding))
        elif isinstance(spec, (MaxPool, AvgPool)):
            layers.append(("pool", spec.kernel, spec.kernel if spec.stride is None else spec.stride))
        elif isinstance(spec, Linear):
            layers.append(("linear", spec.out_features))
        else:
            continue
        kept.append(index)
    return layers, kept


def _describe_layer(layer):
    if layer[0] == "conv":
        return f"conv {layer[2]}x{layer[2]}, {layer[1]} filters, stride {layer[3]}, padding {layer[4]}"
    if layer[0] == "pool":
        return f"pool {layer[1]}x{layer[1]}, stride {layer[2]}"
    return f"linear -> {layer[1]}"


def _wrong_rows(layer, input_shape):
    """Typical wrong (output shape, parameters) of one layer on its right input, with meanings."""
    kind = layer[0]
    if kind == "conv":
        _, filters, kernel, stride, padding = layer
        c_in, h, w = input_shape
        size = lambda n, s=stride, p=padding: (n + 2 * p - kernel) // s + 1  # noqa: E731
        shape = (filters, size(h), size(w))
        right = reference_conv_params(c_in, filters, kernel)
        return [
            ((filters, size(h, p=0), size(w, p=0)), right, "the padding is left out of the output size"),
            ((filters, size(h, s=1), size(w, s=1)), right, "the stride is left out of the output size"),
            ((c_in, size(h), size(w)), right, f"the output keeps the {c_in} input channels; it has one per filter"),
            (shape, c_in * filters * (kernel * kernel + 1),
             "it counts a bias per (input channel, filter) pair, as one set of lecture notes does; one bias per filter"),
            (shape, right - filters, "the biases of the filters are missing"),
        ]
    if kind == "pool":
        _, kernel, stride = layer
        c, h, w = input_shape
        shape = (c, (h - kernel) // stride + 1, (w - kernel) // stride + 1)
        return [
            (shape, 2 * c, "pooling has no parameters here (the original LeNet's trainable subsampling had 2 per "
                           "channel; this table, like torch's pooling layers, has none)"),
            ((c, h - kernel + 1, w - kernel + 1), 0, "the pooling stride is left out of the output size"),
            ((c, h // kernel, w // kernel), 0, "output size is (n - kernel) // stride + 1, not n // kernel") if stride != kernel
            else ((c, -(-(h - kernel) // stride) + 1, -(-(w - kernel) // stride) + 1), 0,
                  "it rounds up; a window that does not fit is dropped (the floor)"),
        ]
    features = int(np.prod(input_shape))
    out = layer[1]
    mistakes = [
        ((out,), features * out + 1,
         "it counts one bias for the whole layer, as the lecture notes' AlexNet table does; each output unit has "
         "its own: (inputs + 1) * outputs"),
        ((out,), features * out, "the biases are missing: one per output unit"),
    ]
    if len(input_shape) == 3:
        mistakes.append(((out,), (input_shape[0] + 1) * out,
                         f"the input was not flattened: after an image of shape {tuple(input_shape)} a linear layer "
                         f"sees C * H * W = {features} inputs"))
    return mistakes


def _student_rows(got, exercise, name, expected_count):
    """The student's table as a list of (shape tuple, int), or a CheckFailed saying what is wrong."""
    try:
        rows = list(got)
    except TypeError:
        raise CheckFailed(f"{exercise}: for {name} it returned {type(got).__name__}; return a list with one "
                          "(output_shape, parameters) pair per layer.") from None
    if len(rows) != expected_count:
        raise CheckFailed(f"{exercise}: for {name} it returned {len(rows)} rows, expected one per layer ({expected_count}).")
    table = []
    for index, row in enumerate(rows):
        try:
            shape, parameters = row
            shape = tuple(_as_whole(n) for n in shape)
        except (TypeError, ValueError):
            raise CheckFailed(f"{exercise}: for {name}, row {index} is {row!r}; each row should be a pair "
                              "(output_shape, parameters), e.g. ((6, 28, 28), 156).") from None
        table.append((shape, _as_whole(parameters)))
    return table


def _random_network(rng):
    """A small conv net (2 or 3 conv/pool layers, then 1 or 2 linear ones) that fits its input."""
    while True:
        channels, size = int(rng.integers(1, 4)), int(rng.integers(12, 33))
        specs = []
        for _ in range(int(rng.integers(2, 4))):
            if rng.random() < 0.35 and specs:
                specs.append(MaxPool(int(rng.integers(2, 4)), stride=int(rng.integers(1, 3))))
            else:
                specs.append(Conv(int(rng.integers(2, 9)), int(rng.integers(1, 6)), stride=int(rng.integers(1, 3)),
                                  padding=int(rng.integers(0, 3))))
        specs += [Flatten()] + [Linear(int(rng.integers(3, 20))) for _ in range(int(rng.integers(1, 3)))]
        try:
            layer_shapes(specs, (channels, size, size))
        except ValueError:
            continue
        return f"a random network on input {(channels, size, size)}", (channels, size, size), specs


def check_network_table(network_table, seed=0, trials=3, conv_output_size=None, conv_params=None):
    """``network_table(layers, input_shape) -> [(output_shape, parameters), ...]`` on LeNet-5 and
    AlexNet (as ``course.arithmetic`` describes them) and ``trials`` random small networks, against
    the rows of ``course.arithmetic.architecture_table``. ``layers`` holds ("conv", filters, kernel,
    stride, padding), ("pool", kernel, stride) and ("linear", features) tuples.

    The lab's table calls the student's ``conv_output_size`` and ``conv_params``; pass them and a
    failure that one of them explains says so ("fails because your conv_params is wrong: fix that
    first"), with that function's own diagnosis."""
    try:
        _judge_network_table(network_table, seed, trials)
    except CheckFailed as failure:
        from .exactness import because_of
        for name, function, check in (("conv_output_size", conv_output_size, check_conv_output_size),
                                      ("conv_params", conv_params, check_conv_params)):
            if function is None:
                continue
            try:
                check(function)
            except CheckFailed as earlier:
                raise because_of(failure, "network_table", name, earlier) from None
        raise


def _judge_network_table(network_table, seed, trials):
    exercise = "network_table"
    rng = random_generator(seed)
    networks = [(LENET5.name, LENET5.input_shape, LENET5.specs), (ALEXNET.name, ALEXNET.input_shape, ALEXNET.specs)]
    networks += [_random_network(rng) for _ in range(trials)]
    for name, input_shape, specs in networks:
        layers, kept = _as_layer_tuples(specs)
        library = architecture_table(specs, input_shape)
        expected = [(tuple(library[i].output_shape), library[i].parameters) for i in kept]
        got = call_student(network_table, exercise, [tuple(layer) for layer in layers], tuple(input_shape))
        table = _student_rows(got, exercise, name, len(expected))
        for row, (layer, right, mine) in enumerate(zip(layers, expected, table)):
            if mine == right:
                continue
            layer_input = expected[row - 1][0] if row else tuple(input_shape)  # the previous row's output
            diagnosis = next((meaning for shape, parameters, meaning in _wrong_rows(layer, layer_input)
                              if mine == (tuple(shape), parameters)), None)
            raise CheckFailed(
                f"{exercise}: for {name}, layer {row} ({_describe_layer(layer)}) on input {tuple(layer_input)} should "
                f"give output {right[0]} and {right[1]:,} parameters, got {mine[0]} and "
                + (f"{mine[1]:,}" if mine[1] is not None else "no whole number") + " parameters"
                + (f"; {diagnosis}." if diagnosis else ".")
                + " Hint: each row starts from the previous row's output shape; conv_output_size gives the sizes, "
                  "conv_params the conv parameters, a linear layer has (inputs + 1) * outputs."
            )
