"""Learning-rate schedules: a closed-form ``lr(epoch)`` per schedule, and a small class that
writes it into an optimizer's ``lr`` at every ``step()``.

torch twins: ``torch.optim.lr_scheduler.StepLR``, ``ExponentialLR``, ``PolynomialLR``,
``CosineAnnealingLR``, ``LinearLR``, ``LambdaLR`` and ``SequentialLR``, used the usual way:

    scheduler = CosineAnnealingLR(optimizer, T_max=30)
    for epoch in range(30):
        train_one_epoch(...)        # optimizer.step(...) many times
        scheduler.step()            # epoch + 1: optimizer.lr = lr_at(epoch + 1)

As in torch, creating a scheduler already sets ``optimizer.lr`` to the value for epoch 0 (LinearLR
starts at ``start_factor * lr``). torch updates most schedules recursively, multiplying the
previous rate; we evaluate the closed form, which gives the same numbers up to rounding.

The formulas are torch's. The lecture notes that give formulas write exponential decay as
``lr0 * exp(-k * epoch)``, which is ExponentialLR with ``gamma = exp(-k)``, and call
``lr0 * (rate * epoch + 1) ** -power`` "polynomial" decay: that one never reaches 0, unlike torch's
PolynomialLR; build it with ``LambdaLR(optimizer, lambda epoch: (rate * epoch + 1) ** -power)``.
"""
import abc
import bisect
import math

from .base import check_hyperparameter


def step_lr(epoch, base_lr, step_size, gamma=0.1):
    """``base_lr * gamma ** (epoch // step_size)``: multiply by gamma every ``step_size`` epochs."""
    return base_lr * gamma ** (epoch // step_size)


def exponential_lr(epoch, base_lr, gamma):
    """``base_lr * gamma ** epoch``."""
    return base_lr * gamma**epoch


def polynomial_lr(epoch, base_lr, total_iters=5, power=1.0):
    """``base_lr * (1 - min(epoch, total_iters) / total_iters) ** power``: reaches 0 at total_iters."""
    return base_lr * (1.0 - min(total_iters, epoch) / total_iters) ** power


def cosine_annealing_lr(epoch, base_lr, T_max, eta_min=0.0):
    """``eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``: half a cosine from
    base_lr down to eta_min over T_max epochs (and back up after that, as torch does)."""
    return eta_min + (base_lr - eta_min) * (1.0 + math.cos(math.pi * epoch / T_max)) / 2.0


def linear_lr(epoch, base_lr, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
    """``base_lr * factor`` with the factor moving linearly from start_factor to end_factor over
    total_iters epochs, then staying there. With end_factor=1 this is a linear warm-up."""
    progress = min(total_iters, epoch) / total_iters
    return base_lr * (start_factor + (end_factor - start_factor) * progress)


class LRScheduler(abc.ABC):
    """Base class: ``step()`` advances one epoch and sets ``optimizer.lr = lr_at(last_epoch)``.

    ``base_lr`` is the optimizer's rate when the first scheduler was attached (kept, as torch
    keeps ``initial_lr``, in ``optimizer.initial_lr``, so that several schedulers agree on it).
    """

    def __init__(self, optimizer):
        if not hasattr(optimizer, "lr"):
            raise ValueError(f"{type(self).__name__}: the optimizer has no attribute lr to schedule.")
        self.optimizer = optimizer
        if not hasattr(optimizer, "initial_lr"):
            optimizer.initial_lr = optimizer.lr
        self.base_lr = optimizer.initial_lr
        self.last_epoch = 0
        self._set_lr(self.lr_at(0))

    @abc.abstractmethod
    def lr_at(self, epoch):
        """The learning rate for ``epoch`` (0 = before the first ``step()``)."""

    def step(self):
        self.last_epoch += 1
        self._set_lr(self.lr_at(self.last_epoch))

    def get_last_lr(self):
        """The rate set by the last step, as a list with one entry per parameter group (torch's form)."""
        return [self._last_lr]

    def _set_lr(self, lr):
        self.optimizer.lr = lr
        self._last_lr = lr


class StepLR(LRScheduler):
    def __init__(self, optimizer, step_size, gamma=0.1):
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size!r}.")
        self.step_size, self.gamma = step_size, check_hyperparameter("StepLR", "gamma", gamma)
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return step_lr(epoch, self.base_lr, self.step_size, self.gamma)


class ExponentialLR(LRScheduler):
    def __init__(self, optimizer, gamma):
        self.gamma = check_hyperparameter("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return exponential_lr(epoch, self.base_lr, self.gamma)


class PolynomialLR(LRScheduler):
    def __init__(self, optimizer, total_iters=5, power=1.0):
        if isinstance(total_iters, bool) or not isinstance(total_iters, int) or total_iters < 1:
            raise ValueError(f"PolynomialLR: total_iters must be a positive integer, got {total_iters!r}.")
        self.total_iters, self.power = total_iters, check_hyperparameter("PolynomialLR", "power", power)
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return polynomial_lr(epoch, self.base_lr, self.total_iters, self.power)


class CosineAnnealingLR(LRScheduler):
    def __init__(self, optimizer, T_max, eta_min=0.0):
        if isinstance(T_max, bool) or not isinstance(T_max, int) or T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be a positive integer, got {T_max!r}.")
        self.T_max, self.eta_min = T_max, check_hyperparameter("CosineAnnealingLR", "eta_min", eta_min)
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return cosine_annealing_lr(epoch, self.base_lr, self.T_max, self.eta_min)


class LinearLR(LRScheduler):
    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
        if not 0.0 < start_factor <= 1.0:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}.")
        if not 0.0 <= end_factor <= 1.0:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}.")
        if isinstance(total_iters, bool) or not isinstance(total_iters, int) or total_iters < 1:
            raise ValueError(f"LinearLR: total_iters must be a positive integer, got {total_iters!r}.")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return linear_lr(epoch, self.base_lr, self.start_factor, self.end_factor, self.total_iters)


class LambdaLR(LRScheduler):
    """``base_lr * lr_lambda(epoch)`` for any function ``lr_lambda`` of the epoch."""

    def __init__(self, optimizer, lr_lambda):
        if not callable(lr_lambda):
            raise ValueError(f"LambdaLR: lr_lambda must be a function of the epoch, got {lr_lambda!r}.")
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return self.base_lr * self.lr_lambda(epoch)


class SequentialLR(LRScheduler):
    """Run ``schedulers[0]`` until ``milestones[0]``, then ``schedulers[1]`` restarted from its
    epoch 0, and so on: e.g. ``SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5),
    CosineAnnealingLR(opt, T_max=25)], milestones=[5])`` is a warm-up followed by cosine decay."""

    def __init__(self, optimizer, schedulers, milestones):
        schedulers, milestones = list(schedulers), list(milestones)
        if not schedulers or len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"SequentialLR: needs one milestone fewer than schedulers, got {len(schedulers)} schedulers "
                f"and {len(milestones)} milestones."
            )
        if milestones != sorted(milestones) or any(m < 1 for m in milestones):
            raise ValueError(f"SequentialLR: milestones must be positive and increasing, got {milestones}.")
        if any(scheduler.optimizer is not optimizer for scheduler in schedulers):
            raise ValueError("SequentialLR: all schedulers must belong to the same optimizer.")
        self.schedulers, self.milestones = schedulers, milestones
        super().__init__(optimizer)

    def lr_at(self, epoch):
        index = bisect.bisect_right(self.milestones, epoch)
        start = self.milestones[index - 1] if index else 0
        return self.schedulers[index].lr_at(epoch - start)
