"""The lab 03 checks judge against course.optim, not torch: here course.optim is held to
torch.optim in float64 on the checks' own problems and settings (the least-squares problem with
badly scaled features, lr halved halfway), so that "the reference" means torch's rule."""
import pytest
import torch

from course.checks.optim import STEPS, LeastSquares, _lr_for_step, reference_trajectory
from course.gradcheck import rel_error


def torch_trajectory(name, problem, kwargs, steps=STEPS):
    tensors = [torch.tensor(p.copy(), dtype=torch.float64) for p in problem.start]
    optimizer = getattr(torch.optim, name)(tensors, **kwargs)
    trajectory = []
    for step in range(1, steps + 1):
        optimizer.param_groups[0]["lr"] = _lr_for_step(kwargs["lr"], step, steps)
        for tensor, grad in zip(tensors, problem.gradients([t.numpy() for t in tensors])):
            tensor.grad = torch.from_numpy(grad)
        optimizer.step()
        trajectory.append(torch.cat([t.detach().reshape(-1) for t in tensors]).numpy())
    return trajectory


SETTINGS = [  # every setting lab 03's graded tests use (visible and hidden), and the library's extras
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.5)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.8, nesterov=True)),
    ("SGD", dict(lr=0.01, momentum=0.99)),
    ("SGD", dict(lr=0.1, momentum=0.0)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, eps=1e-10)),
    ("Adagrad", dict(lr=0.5, eps=1e-10)),
    ("Adagrad", dict(lr=0.05, eps=1e-6)),
    ("Adagrad", dict(lr=0.1, eps=1e-10, lr_decay=0.1, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.99, eps=1e-8)),
    ("RMSprop", dict(lr=0.001, alpha=0.9, eps=1e-8)),
    ("RMSprop", dict(lr=0.02, alpha=0.99, eps=1e-6)),
    ("RMSprop", dict(lr=0.01, alpha=0.5, eps=1e-8)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-8, momentum=0.8, centered=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-8)),
    ("Adam", dict(lr=0.001, betas=(0.9, 0.999), eps=1e-6)),
    ("Adam", dict(lr=0.01, betas=(0.0, 0.9), eps=1e-8)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-8, weight_decay=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)),
]


@pytest.mark.parametrize("name, kwargs", SETTINGS, ids=[f"{n}-{k}" for n, k in SETTINGS])
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 42, 43])
def test_the_checks_reference_is_torchs_trajectory(name, kwargs, seed):
    problem = LeastSquares(seed)
    for step, (ours, theirs) in enumerate(zip(reference_trajectory(name, problem, kwargs),
                                              torch_trajectory(name, problem, kwargs)), start=1):
        assert rel_error(ours, theirs) < 1e-11, f"course.optim.{name} differs from torch after step {step}"
