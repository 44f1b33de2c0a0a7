"""Adam and AdamW: momentum on the gradient plus RMSprop's per-weight scaling, both bias-corrected.

torch twins: ``torch.optim.Adam`` and ``torch.optim.AdamW``. With ``g`` the gradient and ``t``
the number of updates so far, counted from 1 (not the number of epochs, as the notes say):

    Adam:  g = g + weight_decay * p               (L2 penalty, added to the gradient)
    AdamW: p = p * (1 - lr * weight_decay)        (decoupled decay, applied to p directly)
    m = beta1 * m + (1 - beta1) * g                (exp_avg, starts at 0)
    v = beta2 * v + (1 - beta2) * g * g            (exp_avg_sq, starts at 0)
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)                     (amsgrad: the running maximum of v is used)
    p = p - lr * m_hat / (sqrt(v_hat) + eps)

Bias correction: m and v start at 0, so their weights sum to ``1 - beta**t`` instead of 1;
dividing by that sum removes the pull towards 0. At t = 1 it gives ``m_hat = g``, ``v_hat = g**2``
and a first step of ``lr * g / (|g| + eps)``, about ``lr`` against the sign of g for every weight.

Erratum: the notes place epsilon once inside the square root, ``sqrt(v_hat + eps)``, and once
outside. This library follows the paper and torch: ``sqrt(v_hat) + eps``.
"""
import numbers

import numpy as np

from .base import Optimizer, check_hyperparameter


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False)``."""

    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        super().__init__(params, lr)
        owner = type(self).__name__
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {betas!r}.")
        for index, beta in enumerate(betas):
            if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not 0.0 <= beta < 1.0:
                raise ValueError(f"{owner}: invalid beta parameter at index {index}: {beta!r}; it must lie in [0, 1).")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = check_hyperparameter(owner, "eps", eps)
        self.weight_decay = check_hyperparameter(owner, "weight_decay", weight_decay)
        self.amsgrad = bool(amsgrad)

    def _update(self, param, grad, state):
        beta1, beta2 = self.betas
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        step = state["step"]
        if self.weight_decay:
            if self.decoupled_weight_decay:
                param *= 1.0 - self.lr * self.weight_decay
            else:
                grad = grad + self.weight_decay * param
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg *= beta1
        exp_avg += (1.0 - beta1) * grad
        exp_avg_sq *= beta2
        exp_avg_sq += (1.0 - beta2) * grad * grad
        if self.amsgrad:
            np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            second_moment = state["max_exp_avg_sq"]
        else:
            second_moment = exp_avg_sq
        m_hat = exp_avg / (1.0 - beta1**step)
        v_hat = second_moment / (1.0 - beta2**step)
        param -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def _hyperparameters(self):
        return {"lr": self.lr, "betas": self.betas, "eps": self.eps, "weight_decay": self.weight_decay,
                "amsgrad": self.amsgrad}


class AdamW(Adam):
    """``AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False)``.

    Adam with decoupled weight decay (Loshchilov & Hutter): the weights shrink by the factor
    ``1 - lr * weight_decay`` before the Adam update, instead of ``weight_decay * p`` being added
    to the gradient, where Adam's per-weight scaling would distort it.
    """

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
