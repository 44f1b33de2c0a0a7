"""Each learning-rate schedule next to torch.optim.lr_scheduler for 30 epochs."""
import math
import warnings

import numpy as np
import pytest
import torch

from course.optim import SGD
from course.optim import lr_scheduler as ours

EPOCHS = 30
BASE_LR = 0.1


def torch_optimizer():
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LR)


def our_optimizer():
    return SGD([np.zeros(1)], lr=BASE_LR)


def assert_same_schedule(ours_scheduler, theirs_scheduler, our_opt, their_opt):
    for epoch in range(EPOCHS + 1):
        expected = theirs_scheduler.get_last_lr()[0]
        assert math.isclose(our_opt.lr, their_opt.param_groups[0]["lr"], rel_tol=1e-12, abs_tol=1e-15), epoch
        assert math.isclose(ours_scheduler.get_last_lr()[0], expected, rel_tol=1e-12, abs_tol=1e-15), epoch
        assert ours_scheduler.last_epoch == theirs_scheduler.last_epoch == epoch
        our_opt.step([np.ones(1)])
        their_opt.step()
        ours_scheduler.step()
        theirs_scheduler.step()


CASES = [
    ("StepLR", dict(step_size=7)),
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("PolynomialLR", dict()),
    ("PolynomialLR", dict(total_iters=20, power=2.0)),
    ("CosineAnnealingLR", dict(T_max=30)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.01)),  # past T_max it rises again, as in torch
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.1, total_iters=10)),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.2, total_iters=25)),
    ("LambdaLR", dict(lr_lambda=lambda epoch: (0.5 * epoch + 1) ** -0.75)),  # the notes' "polynomial" decay
]


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_schedule_matches_torch_for_30_epochs(name, kwargs):
    our_opt, their_opt = our_optimizer(), torch_optimizer()
    ours_scheduler = getattr(ours, name)(our_opt, **kwargs)
    theirs_scheduler = getattr(torch.optim.lr_scheduler, name)(their_opt, **kwargs)
    assert_same_schedule(ours_scheduler, theirs_scheduler, our_opt, their_opt)


def test_warm_up_then_cosine_matches_torchs_sequential_lr():
    our_opt, their_opt = our_optimizer(), torch_optimizer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about the epoch argument it passes internally
        theirs = torch.optim.lr_scheduler.SequentialLR(their_opt, [
            torch.optim.lr_scheduler.LinearLR(their_opt, start_factor=0.1, total_iters=5),
            torch.optim.lr_scheduler.CosineAnnealingLR(their_opt, T_max=25)], milestones=[5])
        mine = ours.SequentialLR(our_opt, [ours.LinearLR(our_opt, start_factor=0.1, total_iters=5),
                                           ours.CosineAnnealingLR(our_opt, T_max=25)], milestones=[5])
        assert_same_schedule(mine, theirs, our_opt, their_opt)


def test_closed_forms_at_landmarks():
    assert ours.step_lr(6, 1.0, step_size=3, gamma=0.5) == 0.25
    assert ours.exponential_lr(2, 1.0, gamma=0.5) == 0.25
    assert ours.polynomial_lr(10, 1.0, total_iters=5) == 0.0
    assert math.isclose(ours.cosine_annealing_lr(5, 1.0, T_max=10, eta_min=0.2), 0.6)
    assert math.isclose(ours.cosine_annealing_lr(10, 1.0, T_max=10, eta_min=0.2), 0.2)
    assert math.isclose(ours.linear_lr(0, 1.0, start_factor=0.25, total_iters=4), 0.25)
    assert ours.linear_lr(99, 1.0, start_factor=0.25, total_iters=4) == 1.0


def test_the_notes_exponential_decay_is_exponential_lr():
    optimizer = our_optimizer()
    scheduler = ours.ExponentialLR(optimizer, gamma=math.exp(-0.2))
    for epoch in range(1, 6):
        scheduler.step()
        assert math.isclose(optimizer.lr, BASE_LR * math.exp(-0.2 * epoch), rel_tol=1e-12)


def test_the_optimizer_uses_the_scheduled_rate():
    param = np.zeros(1)
    optimizer = SGD([param], lr=1.0)
    scheduler = ours.StepLR(optimizer, step_size=2, gamma=0.1)
    for _ in range(4):
        optimizer.step([np.ones(1)])
        scheduler.step()
    np.testing.assert_allclose(param, -(1.0 + 1.0 + 0.1 + 0.1))


def test_invalid_settings_are_refused_in_one_sentence():
    with pytest.raises(ValueError, match="StepLR: step_size must be a positive integer, got 0"):
        ours.StepLR(our_optimizer(), step_size=0)
    with pytest.raises(ValueError, match=r"LinearLR: start_factor must be in \(0, 1\], got 0"):
        ours.LinearLR(our_optimizer(), start_factor=0)
    with pytest.raises(ValueError, match="CosineAnnealingLR: T_max must be a positive integer"):
        ours.CosineAnnealingLR(our_optimizer(), T_max=2.5)
    with pytest.raises(ValueError, match="needs one milestone fewer than schedulers"):
        optimizer = our_optimizer()
        ours.SequentialLR(optimizer, [ours.ExponentialLR(optimizer, 0.9)], milestones=[3])
    with pytest.raises(ValueError, match="has no attribute lr"):
        ours.ExponentialLR(object(), gamma=0.9)
