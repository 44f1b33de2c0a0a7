"""Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay.

torch twin: ``torch.optim.SGD``. With ``g`` the gradient, per step:

    g   = g + weight_decay * p                      (L2 penalty, added to the gradient)
    buf = g                                         at the first step (no dampening then)
    buf = momentum * buf + (1 - dampening) * g      afterwards
    d   = g + momentum * buf   if nesterov   else   buf          (d = g without momentum)
    p   = p - lr * d

The lecture notes write momentum as ``v = beta v + eta g; w = w - v`` (learning rate inside the
velocity). That is torch's trajectory multiplied out only while ``lr`` stays constant: with a
schedule they differ, because torch keeps ``lr`` outside the buffer (``v = lr * buf``).
Nesterov takes the gradient at the look-ahead point: under that convention (``w = w - v``) it is
``w - beta v``, in torch's variables ``p - lr * momentum * buf`` (``w + beta v`` belongs to the
other convention, ``v = beta v - eta g; w = w + v``). Torch's form
``g + momentum * buf`` is the same method written for the look-ahead parameters, so it needs
no second gradient evaluation.
"""
import numpy as np

from .base import Optimizer, check_hyperparameter


class SGD(Optimizer):
    """``SGD(params, lr, momentum=0.0, nesterov=False, weight_decay=0.0, dampening=0.0)``."""

    def __init__(self, params, lr, momentum=0.0, nesterov=False, weight_decay=0.0, dampening=0.0):
        super().__init__(params, lr)
        self.momentum = check_hyperparameter("SGD", "momentum", momentum)
        self.weight_decay = check_hyperparameter("SGD", "weight_decay", weight_decay)
        self.dampening = check_hyperparameter("SGD", "dampening", dampening, low=float("-inf"))
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum > 0 and zero dampening.")

    def _update(self, param, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if self.momentum:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = np.array(grad, dtype=float)  # an array even for a 0-d parameter
            else:
                buffer = state["momentum_buffer"]
                buffer *= self.momentum
                buffer += (1.0 - self.dampening) * grad
            buffer = state["momentum_buffer"]
            grad = grad + self.momentum * buffer if self.nesterov else buffer
        param -= self.lr * grad

    def _hyperparameters(self):
        return {"lr": self.lr, "momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay, "dampening": self.dampening}
