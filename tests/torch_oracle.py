"""Helpers for comparing a NumPy layer with the same computation in torch (float64)."""
import numpy as np
import torch

from course.gradcheck import rel_error


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
    assert error < tol, f"{what}: relative error {error:.2e} against torch"
