"""The lab-08 checks added beside the recurrent ones: gradient clipping by the global norm (torch's
clip_grad_norm_ as the oracle) and the LSTM step forward on its own. Each "student" below is a
complete implementation with one deliberate mistake; the check must name it."""
import numpy as np
import pytest
import torch

from course.checks import check_clip_grad_norm, check_lstm_step_forward
from course.layers.clipping import clip_grad_norm
from course.layers.lstm import lstm_step_forward
from tests.checks.failing import fails_with


def clipping_student(mistake=None):
    def clip(grads, max_norm):
        total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
        if mistake == "sum of norms":
            total = sum(np.linalg.norm(g) for g in grads)
        if mistake == "squared norm":
            total = sum(np.sum(g ** 2) for g in grads)
        if mistake == "per array":
            for g in grads:
                g *= min(1.0, max_norm / (np.linalg.norm(g) + 1e-6))
            return total
        if mistake == "by value":
            for g in grads:
                np.clip(g, -max_norm, max_norm, out=g)
            return total
        scale = min(1.0, max_norm / (total + 1e-6))
        if mistake == "always":
            scale = max_norm / total
        if mistake == "to one":
            scale = min(1.0, 1.0 / total)
        if mistake == "no epsilon":  # the lecture notes' formula, fine
            scale = max_norm / total if total > max_norm else 1.0
        if mistake == "new list":
            return [g * scale for g in grads]
        if mistake == "replace items":
            for index, g in enumerate(grads):
                grads[index] = g * scale
            return total
        for g in grads:
            g *= scale
        if mistake == "norm after":
            return np.sqrt(sum(np.sum(g ** 2) for g in grads))
        if mistake == "no return":
            return None
        return total
    return clip


def unguarded(grads, max_norm):
    """Normalizes first, then stretches to min(total, max_norm): 0 / 0 for zero gradients."""
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    for g in grads:
        g /= total
        g *= min(total, max_norm)
    return total


def test_torch_agrees_with_the_reference_the_check_uses():
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=s) for s in ((3, 4), (5,))]
    tensors = [torch.nn.Parameter(torch.zeros(a.shape, dtype=torch.float64)) for a in arrays]
    for tensor, array in zip(tensors, arrays):
        tensor.grad = torch.tensor(array)
    total = torch.nn.utils.clip_grad_norm_(tensors, 1.5)
    assert clip_grad_norm(arrays, 1.5) == pytest.approx(float(total))
    for tensor, array in zip(tensors, arrays):
        np.testing.assert_allclose(array, tensor.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_clipping_check_passes_the_reference_a_student_and_the_notes_formula(seed):
    check_clip_grad_norm(clip_grad_norm, seed=seed)
    check_clip_grad_norm(clipping_student(), seed=seed, shapes=((2, 5), (7,)), max_norm=0.5)
    check_clip_grad_norm(clipping_student("no epsilon"), seed=seed, shapes=((6,),), max_norm=10.0)


@pytest.mark.parametrize("mistake, message", [
    ("per array", r"gradients after clipping \(norm above max_norm.*it clips each gradient separately"),
    ("by value", r"gradients after clipping \(norm above max_norm.*clips each value to \[-max_norm, max_norm\]"),
    ("always", r"gradients after clipping \(norm below max_norm.*it scales when the norm is below the threshold"),
    ("to one", r"it scales the gradients to norm 1; scale them to norm max_norm"),
    ("squared norm", r"it measures the squared norm"),
    ("sum of norms", r"it adds up the norms of the arrays"),
    ("new list", r"the gradient arrays are unchanged \(norm above max_norm\); it makes new arrays instead of scaling"),
    ("replace items", r"it makes new arrays instead of scaling the given ones in place"),
    ("norm after", r"the returned norm is wrong \(norm above max_norm\).*that is the norm after clipping"),
    ("no return", r"it returns None; return the total norm measured before clipping"),
])
def test_clipping_check_names_the_mistake(mistake, message):
    fails_with(message, check_clip_grad_norm, clipping_student(mistake))


def test_clipping_check_catches_a_division_by_a_zero_norm():
    with np.errstate(all="ignore"):
        fails_with(r"all-zero gradients became NaN or inf; it divides by a norm of 0", check_clip_grad_norm, unguarded)


def test_clipping_check_reports_not_implemented():
    def clip(grads, max_norm):
        raise NotImplementedError()
    fails_with(r"clip_grad_norm: clip is not implemented yet", check_clip_grad_norm, clip)


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def lstm_forward_student(mistake=None):
    def step(x, h_prev, c_prev, Wx, Wh, b):
        a = x @ Wx + h_prev @ Wh + b
        blocks = np.split(a, 4, axis=1)
        if mistake == "ifog":
            a_i, a_f, a_o, a_g = blocks
        elif mistake == "figo":
            a_f, a_i, a_g, a_o = blocks
        else:
            a_i, a_f, a_g, a_o = blocks
        i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
        c = f * c_prev + (g if mistake == "no input gate" else i * g)
        h = o * c if mistake == "no tanh" else o * np.tanh(c)
        return h, c, None
    return step


@pytest.mark.parametrize("seed", range(3))
def test_lstm_forward_check_passes_the_reference_and_a_student(seed):
    check_lstm_step_forward(lstm_step_forward, seed=seed)
    check_lstm_step_forward(lstm_forward_student(), seed=seed, N=1, D=2, H=3)


@pytest.mark.parametrize("mistake, message", [
    ("ifog", r"c is wrong .*the gates are read in the order i, f, o, g \(as in CS231n.s assignment and one set of lecture notes\)"),
    ("figo", r"c is wrong .*the order f, i, g, o"),
    ("no input gate", r"c is wrong .*the input gate is missing"),
    ("no tanh", r"h is wrong .*the tanh of the cell is missing"),
])
def test_lstm_forward_check_names_the_mistake(mistake, message):
    fails_with(r"^lstm_step_forward: " + message, check_lstm_step_forward, lstm_forward_student(mistake))
