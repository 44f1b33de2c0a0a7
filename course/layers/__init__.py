"""NumPy reference layers: ``*_forward(...) -> (out, cache)``, ``*_backward(dout, cache) -> grads``.

Batch first, row vectors (``x @ w + b`` with ``w`` of shape (D, M)), NCHW for images.
Each function names its torch twin; the tests compare every one with torch.autograd.
"""
from .activations import (
    elu_backward,
    elu_forward,
    leaky_relu_backward,
    leaky_relu_forward,
    log_softmax,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax,
    tanh_backward,
    tanh_forward,
)
from .affine import affine_backward, affine_forward
from .losses import bce_with_logits, mse_loss, softmax_cross_entropy
