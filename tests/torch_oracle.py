"""Helpers for comparing a NumPy layer with the same computation in torch (float64)."""
import numpy as np
import torch

from course.gradcheck import numerical_gradient, rel_error


def tensor(array, grad=True):
    return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=grad)


def torch_grads(output, dout, *inputs):
    """Gradients of ``sum(output * dout)`` w.r.t. ``inputs``, as NumPy arrays."""
    grads = torch.autograd.grad(output, inputs, grad_outputs=tensor(dout, grad=False), allow_unused=True)
    return [None if g is None else g.numpy() for g in grads]


def assert_close(ours, theirs, tol=1e-10, what="value"):
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != torch's {theirs.shape}"
    error = rel_error(ours, theirs)
    if error >= tol:  # entries near zero (torch leaves ~1e-16 where the exact value is 0):
        error = np.abs(ours - theirs).max() / max(1.0, np.abs(theirs).max())  # judge at scale >= 1
    assert error < tol, f"{what}: relative error {error:.2e} against torch"


def assert_matches_numeric(analytic, numeric, tol=1e-7, what="gradient"):
    """Analytic against numeric gradient, relative to the largest entry: central differences
    carry ~1e-11 of absolute rounding noise, which an elementwise relative error would magnify
    on entries that are nearly zero."""
    analytic, numeric = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    assert analytic.shape == numeric.shape, f"{what}: shape {analytic.shape} != numeric {numeric.shape}"
    scale = max(1e-8, np.abs(analytic).max() + np.abs(numeric).max())
    error = np.abs(analytic - numeric).max() / scale
    assert error < tol, f"{what}: error {error:.2e} against the numeric gradient"


def assert_gradients_match_numeric(forward, arguments, grads, dout, tol=1e-7, **keywords):
    """Each of ``grads`` against the numeric gradient of ``forward(*arguments, **keywords)[0]``
    with respect to the argument in the same position (elementwise relative error)."""
    for position, grad in enumerate(grads):
        def output(value, position=position):
            changed = list(arguments)
            changed[position] = value
            return forward(*changed, **keywords)[0]

        error = rel_error(grad, numerical_gradient(output, arguments[position], dout))
        assert error < tol, f"gradient of argument {position}: relative error {error:.1e} against numeric"
