"""The arithmetic checks pass the reference and name the mistake of typical wrong solutions."""
import math

import pytest

from course.arithmetic.receptive_field import receptive_field
from course.arithmetic.sizes import conv_output_size
from course.checks.arithmetic import check_conv_output_size, check_conv_params, check_network_table, check_receptive_field
from course.checks.judging import CheckFailed
from tests.checks.failing import fails_with


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_reference_passes(seed):
    check_receptive_field(receptive_field, seed=seed)
    check_receptive_field(receptive_field, seed=seed, dilation=False)
    check_conv_output_size(conv_output_size, seed=seed)
    check_conv_output_size(conv_output_size, seed=seed, dilation=False)


def student_receptive_field(mistake):
    def receptive_field(layers):
        fields, field, jump = [], 1, 1
        for layer in layers:
            kernel, stride, dilation = (tuple(layer) + (1,))[:3]
            if mistake == "no stride product":
                field += (kernel - 1) * dilation
            elif mistake == "own stride":
                jump *= stride
                field += (kernel - 1) * dilation * jump
                fields.append(field)
                continue
            elif mistake == "no dilation":
                field += (kernel - 1) * jump
            elif mistake == "k instead of k - 1":
                field += kernel * dilation * jump
            elif mistake == "start at 0":
                field += (kernel - 1) * dilation * jump - (1 if not fields else 0)
            else:
                field += (kernel - 1) * dilation * jump
            jump *= stride
            fields.append(field)
        return fields[-1] if mistake == "only the last" else fields
    return receptive_field


@pytest.mark.parametrize("mistake, message", [
    ("no stride product", r"for layers \[\(3, 1\), \(2, 2\), \(1, 1\), \(4, 2\)\] it returned \[3, 4, 4, 7\], expected \[3, 4, 4, 10\]; the stride product is missing"),
    ("own stride", "it multiplies by the layer's own stride too"),
    ("no dilation", "the dilation is ignored"),
    ("k instead of k - 1", "each layer adds k where it should add k - 1"),
    ("start at 0", "it is one too small: start from r = 1"),
    ("only the last", "it returns a single number; return a list with the receptive field after each layer"),
])
def test_receptive_field_check_names_the_mistake(mistake, message):
    with pytest.raises(CheckFailed, match=message):
        check_receptive_field(student_receptive_field(mistake))
    check_receptive_field(student_receptive_field(None))


def test_receptive_field_check_reports_a_crash_in_one_line():
    def crashes(layers):
        return [k for k, s in layers]  # unpacks pairs only: triples with a dilation fail
    with pytest.raises(CheckFailed, match="receptive_field: crashes raised ValueError: too many values to unpack"):
        check_receptive_field(crashes)


def student_conv_output_size(mistake):
    def conv_output_size(n, kernel, stride=1, padding=0, dilation=1):
        span = dilation * (kernel - 1) + 1
        if mistake == "padding once":
            return (n + padding - span) // stride + 1
        if mistake == "ceil":
            return math.ceil((n + 2 * padding - span) / stride) + 1
        if mistake == "no + 1":
            return (n + 2 * padding - span) // stride
        if mistake == "no dilation":
            return (n + 2 * padding - kernel) // stride + 1
        if mistake == "true division":
            return (n + 2 * padding - span) / stride + 1
        size = (n + 2 * padding - span) // stride + 1
        if mistake == "no error" or size >= 1:
            return size
        raise ValueError("the kernel does not fit")
    return conv_output_size


@pytest.mark.parametrize("mistake, message", [
    ("padding once", "the padding is counted once; it is added on both sides"),
    ("ceil", "it rounds up; a window that does not fit is dropped"),
    ("no + 1", r"the \+ 1 is missing"),
    ("no dilation", "the dilation is ignored"),
    ("true division", "it returned a fraction: use integer division"),
    ("no error", r"for n=3, kernel=5 the kernel does not fit, so it should raise ValueError; it returned -1"),
])
def test_conv_output_size_check_names_the_mistake(mistake, message):
    with pytest.raises(CheckFailed, match=message):
        check_conv_output_size(student_conv_output_size(mistake))
    check_conv_output_size(student_conv_output_size(None))


# ---------------------------------------------------------------- conv_params

def student_conv_params(mistake=None):
    def conv_params(c_in, c_out, kernel, bias=True, groups=1):
        kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
        if mistake == "kh twice":
            kw = kh
        if mistake == "not squared" and not isinstance(kernel, tuple):
            kh, kw = kernel, 1
        if groups < 1 or c_in % groups or c_out % groups:
            if mistake != "no error":
                raise ValueError("groups must divide c_in and c_out")
        channels = c_in if mistake == "groups ignored" else c_in // groups
        weights = c_out * channels * kh * kw
        if mistake == "groups twice":
            weights //= groups
        if mistake == "bias per pair":
            return c_in * c_out * (kh * kw + 1) if bias else weights
        if mistake == "no bias":
            return weights
        if mistake == "bias always":
            return weights + c_out
        if mistake == "one bias":
            return weights + (1 if bias else 0)
        if mistake == "float":
            return float(weights + (c_out if bias else 0)) + 0.5
        return weights + (c_out if bias else 0)
    return conv_params


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_conv_params_check_passes_the_reference_and_a_student(seed):
    from course.arithmetic.counts import conv_params
    check_conv_params(conv_params, seed=seed)
    check_conv_params(student_conv_params(), seed=seed)
    check_conv_params(conv_params, seed=seed, groups=False, pairs=False)


@pytest.mark.parametrize("mistake, message", [
    ("bias per pair", r"for c_in=3, c_out=6, kernel=5, bias=True it returned 468, expected 456; it counts one bias "
                      r"per \(input channel, filter\) pair"),
    ("no bias", "the biases are missing: with bias=True each filter adds one"),
    ("bias always", "it adds the biases also when bias=False"),
    ("one bias", "it counts one bias for the whole layer"),
    ("groups ignored", "groups is ignored: each filter sees only c_in / groups input channels"),
    ("groups twice", "it divides by groups twice"),
    ("not squared", "the kernel is not squared"),
    ("float", "expected the whole number 456"),
    ("no error", r"groups=2 does not divide c_in=3, so it should raise ValueError; it returned 40"),
])
def test_conv_params_check_names_the_mistake(mistake, message):
    fails_with(message, check_conv_params, student_conv_params(mistake))


def test_conv_params_check_names_a_rectangular_kernel_read_as_square():
    fails_with(r"kernel=\(\d, \d\).*it uses kh twice", check_conv_params, student_conv_params("kh twice"))


# ---------------------------------------------------------------- network_table

def student_network_table(mistake=None):
    """A student's table built on the student's own conv_output_size and conv_params."""
    size = student_conv_output_size(None)
    params = student_conv_params()

    def network_table(layers, input_shape):
        shape, rows = tuple(input_shape), []
        for layer in layers:
            if layer[0] == "conv":
                _, filters, kernel, stride, padding = layer
                if mistake == "padding ignored":
                    padding = 0
                count = params(shape[0], filters, kernel)
                if mistake == "bias per pair":
                    count = shape[0] * filters * (kernel * kernel + 1)
                shape = (filters, size(shape[1], kernel, stride, padding), size(shape[2], kernel, stride, padding))
            elif layer[0] == "pool":
                _, kernel, stride = layer
                count = 2 * shape[0] if mistake == "trainable pooling" else 0
                shape = (shape[0], size(shape[1], kernel, stride), size(shape[2], kernel, stride))
            else:
                inputs = shape[0] if mistake == "not flattened" and len(shape) == 3 else math.prod(shape)
                count = inputs * layer[1] + (1 if mistake == "one bias per layer" else layer[1])
                shape = (layer[1],)
            rows.append((shape, count))
        return rows[:-1] if mistake == "one row short" else rows
    return network_table


def test_network_table_check_passes_a_student_built_on_their_own_functions():
    check_network_table(student_network_table())
    check_network_table(student_network_table(), seed=5, trials=6)


@pytest.mark.parametrize("mistake, message", [
    ("one bias per layer", r"for LeNet-5, layer 5 \(linear -> 84\) on input \(120, 1, 1\) should give output "
                           r"\(84,\) and 10,164 parameters, got \(84,\) and 10,081 parameters; it counts "
                           r"one bias for the whole layer, as the lecture notes' AlexNet table does"),
    # LeNet's C5 output is 120x1x1, where C = C * H * W: the mistake shows only on AlexNet
    ("not flattened", r"for AlexNet, layer 8 .*the input was not flattened: .* sees C \* H \* W = 9216 inputs"),
    ("trainable pooling", r"for LeNet-5, layer 1 \(pool 2x2, stride 2\) .*pooling has no parameters here"),
    ("bias per pair", r"for LeNet-5, layer 2 .*a bias per \(input channel, filter\) pair"),
    ("padding ignored", r"for AlexNet, layer 2 \(conv 5x5, 256 filters, stride 1, padding 2\) .*the padding is left out"),
    ("one row short", r"for LeNet-5 it returned 6 rows, expected one per layer \(7\)"),
])
def test_network_table_check_names_the_mistake(mistake, message):
    fails_with(message, check_network_table, student_network_table(mistake))


def test_network_table_check_reads_the_networks_from_the_library():
    """The tables the check expects are the library's: LeNet-5 61,706 and AlexNet 62,378,344 parameters."""
    seen = {}

    def recording(layers, input_shape):
        rows = student_network_table()(layers, input_shape)
        seen[tuple(input_shape)] = sum(count for _, count in rows)
        return rows

    check_network_table(recording, trials=0)
    assert seen == {(1, 32, 32): 61_706, (3, 227, 227): 62_378_344}


def test_a_value_error_that_comes_back_from_the_grading_kernel_counts():
    """While grading, the kernel's ValueError arrives as a stand-in class named ValueError."""
    stand_in = type("ValueError", (Exception,), {"__module__": "student"})

    def size(n, kernel, stride=1, padding=0, dilation=1):
        try:
            return conv_output_size(n, kernel, stride, padding, dilation)
        except ValueError as error:
            raise stand_in(str(error)) from None

    def params(c_in, c_out, kernel, bias=True, groups=1):
        try:
            return student_conv_params()(c_in, c_out, kernel, bias, groups)
        except ValueError as error:
            raise stand_in(str(error)) from None

    check_conv_output_size(size)
    check_conv_params(params)


def test_another_exception_where_a_value_error_belongs_is_named():
    def params(c_in, c_out, kernel, bias=True, groups=1):
        if c_in % groups:
            raise ZeroDivisionError("no")
        return student_conv_params()(c_in, c_out, kernel, bias, groups)

    fails_with(r"groups=2 does not divide c_in=3, so it should raise ValueError, but it raised ZeroDivisionError: no",
               check_conv_params, params)


def test_a_network_table_that_fails_because_of_conv_params_says_so():
    from course.arithmetic import conv_output_size as right_size
    from course.checks import check_network_table
    from tests.checks.failing import fails_with

    def wrong_params(c_in, c_out, kernel, bias=True, groups=1):
        k = kernel if isinstance(kernel, int) else kernel[0]
        return c_out * c_in * k * k  # the bias is forgotten

    def table(layers, input_shape):
        shape, rows = tuple(input_shape), []
        for layer in layers:
            if layer[0] == "conv":
                _, filters, kernel, stride, padding = layer
                rows.append(((filters, right_size(shape[1], kernel, stride, padding),
                              right_size(shape[2], kernel, stride, padding)), wrong_params(shape[0], filters, kernel)))
            elif layer[0] == "pool":
                rows.append(((shape[0], right_size(shape[1], layer[1], layer[2]), right_size(shape[2], layer[1], layer[2])), 0))
            else:
                rows.append(((layer[1],), (math.prod(shape) + 1) * layer[1]))
            shape = rows[-1][0]
        return rows
    fails_with(r"^network_table: fails because your conv_params is wrong: fix that first \(.*\)\. What this check saw: ",
               check_network_table, table, conv_output_size=right_size, conv_params=wrong_params)
    fails_with(r"^network_table: for LeNet-5", check_network_table, table)  # without the parts: the table's own words
