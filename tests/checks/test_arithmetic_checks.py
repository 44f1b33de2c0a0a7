"""The arithmetic checks pass the reference and name the mistake of typical wrong solutions."""
import math

import pytest

from course.arithmetic.receptive_field import receptive_field
from course.arithmetic.sizes import conv_output_size
from course.checks.arithmetic import check_conv_output_size, check_receptive_field
from course.checks.judging import CheckFailed


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
