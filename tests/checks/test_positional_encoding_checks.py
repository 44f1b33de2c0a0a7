"""The positional-encoding check passes the formula and names the typical mistakes."""
import numpy as np
import pytest

from course.checks.positional_encoding import check_positional_encoding
from tests.checks.failing import fails_with


def encoding(length, d_model, swap=False, exponent=lambda j: 2 * (j // 2), start=0, halves=False):
    positions = np.arange(start, start + length)[:, None]
    columns = np.arange(d_model)
    angles = positions / 10000.0 ** (exponent(columns) / d_model)
    if halves:
        angles = positions / 10000.0 ** (2 * np.arange(d_model // 2) / d_model)
        return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)
    first, second = (np.cos, np.sin) if swap else (np.sin, np.cos)
    return np.where(columns % 2 == 0, first(angles), second(angles))


@pytest.mark.parametrize("length, d_model", [(10, 16), (3, 4), (50, 64), (1, 2)])
def test_positional_encoding_check_passes_the_formula(length, d_model):
    check_positional_encoding(encoding, length=length, d_model=d_model)


@pytest.mark.parametrize("wrong, message", [
    (lambda n, d: encoding(n, d, swap=True), r"sin and cos are swapped"),
    (lambda n, d: encoding(n, d, exponent=lambda j: j), r"uses the column index j instead of 2i"),
    (lambda n, d: encoding(n, d, halves=True), r"all the sines come first"),
    (lambda n, d: encoding(n, d, start=1), r"the positions start at 1"),
    (lambda n, d: encoding(n, d).T, r"it is transposed"),
    (lambda n, d: encoding(n, d, exponent=lambda j: -2 * (j // 2)), r"multiplied by 10000"),
])
def test_positional_encoding_check_names_the_mistake(wrong, message):
    fails_with(message, check_positional_encoding, wrong)


def test_positional_encoding_check_refuses_an_odd_width():
    with pytest.raises(ValueError, match="even"):
        check_positional_encoding(encoding, d_model=5)
