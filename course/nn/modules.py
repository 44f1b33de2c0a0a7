"""Layers as objects: each keeps its parameters, the cache of its last forward pass and the
gradients of its last backward pass, so that a model can be assembled like a torch model.

The arithmetic is ``course.layers``'; these classes only hold state. torch twins: ``nn.Linear``,
``nn.ReLU``, ``nn.LeakyReLU``, ``nn.Sigmoid``, ``nn.Tanh``, ``nn.Dropout``. One difference from
torch: ``backward`` *overwrites* the gradients (torch accumulates them until ``zero_grad``).
"""
import math

import numpy as np

from .. import init
from ..layers import (
    affine_backward,
    affine_forward,
    leaky_relu_backward,
    leaky_relu_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    tanh_backward,
    tanh_forward,
)
from ..layers.dropout import dropout_backward, dropout_forward


class Module:
    """Base class: ``forward(x) -> out``, ``backward(dout) -> dx``, ``parameters()`` and
    ``gradients()`` (two aligned lists of arrays), ``train()`` / ``eval()``."""

    training = True

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        out, self._cache = self._forward(x)
        return out

    def backward(self, dout):
        cache = getattr(self, "_cache", None)
        if cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward was called before forward; run forward first.")
        return self._backward(dout, cache)

    def _forward(self, x):
        """``(out, cache)`` for input ``x``; the identity unless a subclass overrides it."""
        return x, ()

    def _backward(self, dout, cache):
        return dout

    def parameters(self):
        """The arrays an optimizer updates in place (the module reads them at every forward)."""
        return []

    def gradients(self):
        """The gradients of the last backward pass, aligned with ``parameters()``."""
        return []

    def train(self, mode=True):
        self.training = bool(mode)
        return self

    def eval(self):
        return self.train(False)

    def __repr__(self):
        return f"{type(self).__name__}()"


class Linear(Module):
    """``out = x @ weight + bias`` with ``weight`` of shape (in_features, out_features): the
    transpose of torch's ``nn.Linear.weight``, as everywhere in this course.

    Initialised like torch's ``nn.Linear``: weight and bias uniform on ``+-1 / sqrt(in_features)``
    (that is ``kaiming_uniform`` with ``a = sqrt(5)``). Pass ``weight_init``, e.g.
    ``course.init.kaiming_normal``, to draw the weight with it instead (the bias is then zero).
    """

    def __init__(self, in_features, out_features, bias=True, weight_init=None, seed=None):
        rng = np.random.default_rng(seed)
        shape = (in_features, out_features)
        if weight_init is None:
            self.weight = init.kaiming_uniform(shape, a=math.sqrt(5), layout="affine", seed=rng)
            bound = 1.0 / math.sqrt(in_features) if in_features > 0 else 0.0
            self.bias = rng.uniform(-bound, bound, size=out_features) if bias else None
        else:
            self.weight = np.asarray(weight_init(shape, seed=rng), dtype=np.float64)
            self.bias = np.zeros(out_features) if bias else None
        self.grad_weight = np.zeros_like(self.weight)
        self.grad_bias = None if self.bias is None else np.zeros_like(self.bias)

    def _forward(self, x):
        bias = self.bias if self.bias is not None else np.zeros(self.weight.shape[1])
        return affine_forward(x, self.weight, bias)

    def _backward(self, dout, cache):
        dx, dw, db = affine_backward(dout, cache)
        self.grad_weight[...] = dw
        if self.bias is not None:
            self.grad_bias[...] = db
        return dx

    def parameters(self):
        return [self.weight] if self.bias is None else [self.weight, self.bias]

    def gradients(self):
        return [self.grad_weight] if self.bias is None else [self.grad_weight, self.grad_bias]

    def __repr__(self):
        in_features, out_features = self.weight.shape
        return f"Linear(in_features={in_features}, out_features={out_features}, bias={self.bias is not None})"


class ReLU(Module):
    def _forward(self, x):
        return relu_forward(x)

    def _backward(self, dout, cache):
        return relu_backward(dout, cache)


class LeakyReLU(Module):
    """``x`` for x > 0, ``negative_slope * x`` otherwise (torch's argument name)."""

    def __init__(self, negative_slope=0.01):
        self.negative_slope = negative_slope

    def _forward(self, x):
        return leaky_relu_forward(x, self.negative_slope)

    def _backward(self, dout, cache):
        return leaky_relu_backward(dout, cache)

    def __repr__(self):
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Sigmoid(Module):
    def _forward(self, x):
        return sigmoid_forward(x)

    def _backward(self, dout, cache):
        return sigmoid_backward(dout, cache)


class Tanh(Module):
    def _forward(self, x):
        return tanh_forward(x)

    def _backward(self, dout, cache):
        return tanh_backward(dout, cache)


class Dropout(Module):
    """Inverted dropout with drop probability ``p`` in training mode, the identity in eval mode.

    Each forward pass in training mode draws a new mask from the module's own generator, seeded
    once by ``seed``, so a whole training run is reproducible.
    """

    def __init__(self, p=0.5, seed=None):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p is the probability of dropping a unit and must be in [0, 1], got {p!r}.")
        self.p = p
        self._rng = np.random.default_rng(seed)

    def _forward(self, x):
        return dropout_forward(x, self.p, "train" if self.training else "test", seed=self._rng)

    def _backward(self, dout, cache):
        return dropout_backward(dout, cache)

    def __repr__(self):
        return f"Dropout(p={self.p})"
