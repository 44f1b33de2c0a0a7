"""Adagrad: every weight gets its own learning rate, shrinking with the gradients it has seen.

torch twin: ``torch.optim.Adagrad``. With ``g`` the gradient and ``t`` the step count (from 1):

    g   = g + weight_decay * p
    lr_t = lr / (1 + (t - 1) * lr_decay)
    sum = sum + g * g                              (sum starts at initial_accumulator_value)
    p   = p - lr_t * g / (sqrt(sum) + eps)

Erratum: the lecture notes put epsilon inside the square root, ``sqrt(sum + eps)``. This library
follows torch and the original paper: ``sqrt(sum) + eps``. The two differ where gradients are
tiny (``sum`` comparable to ``eps``). Epsilon is there to avoid dividing by zero, not overflow.
"""
import numpy as np

from .base import Optimizer, check_hyperparameter


class Adagrad(Optimizer):
    """``Adagrad(params, lr=1e-2, eps=1e-10, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0)``."""

    def __init__(self, params, lr=1e-2, eps=1e-10, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0):
        super().__init__(params, lr)
        self.eps = check_hyperparameter("Adagrad", "eps", eps)
        self.lr_decay = check_hyperparameter("Adagrad", "lr_decay", lr_decay)
        self.weight_decay = check_hyperparameter("Adagrad", "weight_decay", weight_decay)
        self.initial_accumulator_value = check_hyperparameter(
            "Adagrad", "initial_accumulator_value", initial_accumulator_value)
        for param, state in zip(self.params, self.state):  # torch fills the state at construction
            state["step"] = 0
            state["sum"] = np.full_like(param, self.initial_accumulator_value)

    def _update(self, param, grad, state):
        state["step"] += 1
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        decayed_lr = self.lr / (1.0 + (state["step"] - 1) * self.lr_decay)
        state["sum"] += grad * grad
        param -= decayed_lr * grad / (np.sqrt(state["sum"]) + self.eps)

    def _hyperparameters(self):
        return {"lr": self.lr, "eps": self.eps, "lr_decay": self.lr_decay, "weight_decay": self.weight_decay,
                "initial_accumulator_value": self.initial_accumulator_value}
