"""What every optimizer shares: a list of NumPy parameters updated in place, a learning rate
``lr`` that a scheduler may change between steps, and per-parameter ``state``.

torch twin: ``torch.optim.Optimizer`` with a single parameter group. Where torch reads the
gradients from ``p.grad``, ``step(grads)`` takes them as a list in the order of the parameters.
"""
import abc
import numbers

import numpy as np


def check_hyperparameter(owner, name, value, low=0.0, high=None, high_inclusive=True):
    """Raise a one-sentence ValueError unless ``low <= value`` (and ``value <= high`` or ``< high``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{owner}: {name} must be a number, got {value!r}.")
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if not value >= low or too_high:  # `not >=` also rejects NaN
        interval = f"[{low}, {high}{']' if high_inclusive else ')'}" if high is not None else f">= {low}"
        where = f"in {interval}" if high is not None else interval
        raise ValueError(f"{owner}: invalid {name} {value!r}; it must be {where}.")
    return float(value)


class Optimizer(abc.ABC):
    """Base class: validates the parameters and the gradients, then calls ``_update`` per parameter.

    ``params``: a list of floating-point NumPy arrays; ``step`` changes them in place, so the
    model that owns them sees the new values without any copying.
    ``state[i]``: a dict with parameter i's buffers, named as in torch (``momentum_buffer``,
    ``sum``, ``square_avg``, ``exp_avg``, ``exp_avg_sq``, ``step`` ...). NumPy arrays cannot be
    dictionary keys, so the state is a list aligned with ``params`` instead of torch's dict.
    """

    def __init__(self, params, lr):
        owner = type(self).__name__
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{owner}: got an empty parameter list; pass the arrays to optimize.")
        for index, param in enumerate(self.params):
            if not isinstance(param, np.ndarray) or not np.issubdtype(param.dtype, np.floating):
                is_array = isinstance(param, np.ndarray)
                kind = f"an array of dtype {param.dtype}" if is_array else f"a {type(param).__name__}"
                raise ValueError(
                    f"{owner}: parameter {index} is {kind}; the optimizer updates floating-point "
                    "NumPy arrays in place, so pass for example np.asarray(p, dtype=np.float64)."
                )
        self.lr = check_hyperparameter(owner, "learning rate", lr)
        self.state = [{} for _ in self.params]

    def step(self, grads):
        """Update every parameter in place from its gradient (a list aligned with ``params``).

        A gradient of None skips its parameter, as torch skips a parameter whose ``.grad`` is None.
        """
        owner = f"{type(self).__name__}.step"
        grads = list(grads)
        if len(grads) != len(self.params):
            raise ValueError(
                f"{owner}: got {len(grads)} gradients for {len(self.params)} parameters; "
                "pass one gradient per parameter, in the same order."
            )
        for index, (param, grad) in enumerate(zip(self.params, grads)):
            if grad is None:
                continue
            grad = np.asarray(grad)
            if grad.shape != param.shape:
                raise ValueError(
                    f"{owner}: gradient {index} has shape {grad.shape} but parameter {index} has shape {param.shape}."
                )
            self._update(param, grad, self.state[index])

    @abc.abstractmethod
    def _update(self, param, grad, state):
        """Change ``param`` in place using ``grad`` (never modified) and this parameter's ``state``."""

    def _hyperparameters(self):
        return {"lr": self.lr}

    def __repr__(self):
        settings = ", ".join(f"{name}={value!r}" for name, value in self._hyperparameters().items())
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"
