"""RMSprop: divide each gradient by a running root-mean-square of its recent values.

torch twin: ``torch.optim.RMSprop``. With ``g`` the gradient, per step:

    g          = g + weight_decay * p
    square_avg = alpha * square_avg + (1 - alpha) * g * g            (starts at 0)
    centered:    grad_avg = alpha * grad_avg + (1 - alpha) * g
                 avg = sqrt(square_avg - grad_avg**2) + eps
    otherwise:   avg = sqrt(square_avg) + eps
    momentum > 0: buf = momentum * buf + g / avg;  p = p - lr * buf
    otherwise:    p = p - lr * g / avg

There is no bias correction (that came with Adam), so early steps are large: after one step
``square_avg = (1 - alpha) g**2`` and the update is about ``lr * g / (0.1 |g|) = 10 lr`` for alpha=0.99.

Erratum: the notes put epsilon inside the square root; torch (and this library) add it after.
They allow a decay rate of 1, which would freeze ``square_avg`` at 0; it must lie in [0, 1).
(torch itself only rejects negative alpha.)
"""
import numpy as np

from .base import Optimizer, check_hyperparameter


class RMSprop(Optimizer):
    """``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False)``."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        super().__init__(params, lr)
        self.alpha = check_hyperparameter("RMSprop", "alpha", alpha, high=1.0, high_inclusive=False)
        self.eps = check_hyperparameter("RMSprop", "eps", eps)
        self.weight_decay = check_hyperparameter("RMSprop", "weight_decay", weight_decay)
        self.momentum = check_hyperparameter("RMSprop", "momentum", momentum)
        self.centered = bool(centered)

    def _update(self, param, grad, state):
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(param)
            if self.momentum > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if self.centered:
                state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        square_avg = state["square_avg"]
        square_avg *= self.alpha
        square_avg += (1.0 - self.alpha) * grad * grad
        if self.centered:
            grad_avg = state["grad_avg"]
            grad_avg *= self.alpha
            grad_avg += (1.0 - self.alpha) * grad
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + self.eps
        else:
            avg = np.sqrt(square_avg) + self.eps
        if self.momentum > 0:
            buffer = state["momentum_buffer"]
            buffer *= self.momentum
            buffer += grad / avg
            param -= self.lr * buffer
        else:
            param -= self.lr * grad / avg

    def _hyperparameters(self):
        return {"lr": self.lr, "alpha": self.alpha, "eps": self.eps, "weight_decay": self.weight_decay,
                "momentum": self.momentum, "centered": self.centered}
