"""Losses: each returns ``(loss, gradient with respect to its first argument)``.

Reductions follow torch's default, ``reduction="mean"``.
"""
import numpy as np

from .activations import log_softmax, sigmoid_forward, softmax
from .validation import as_array, same_shape


def softmax_cross_entropy(scores, y, label_smoothing=0.0):
    """Mean cross-entropy of ``softmax(scores)`` against integer labels ``y``.

    With smoothing ``eps`` the target is ``(1 - eps) * onehot + eps / C``, exactly as
    ``torch.nn.functional.cross_entropy(scores, y, label_smoothing=eps)``.
    Returns ``(loss, dscores)`` with ``dscores = (softmax(scores) - target) / N``.
    """
    scores = as_array(scores, "scores", "softmax_cross_entropy", ndim=2)
    y = np.asarray(y)
    n, classes = scores.shape
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"softmax_cross_entropy: y must be {n} integer labels (shape ({n},)), "
            f"got shape {y.shape} and dtype {y.dtype}."
        )
    if n and (y.min() < 0 or y.max() >= classes):
        raise ValueError(f"softmax_cross_entropy: labels must lie in 0..{classes - 1}, got {y.min()}..{y.max()}.")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"softmax_cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}.")
    target = np.full(scores.shape, label_smoothing / classes)
    target[np.arange(n), y] += 1.0 - label_smoothing
    loss = -np.sum(target * log_softmax(scores)) / n
    dscores = (softmax(scores) - target) / n
    return float(loss), dscores


def mse_loss(pred, target):
    """``mean((pred - target)**2)`` over all elements. torch twin: ``F.mse_loss``.

    Returns ``(loss, dpred)`` with ``dpred = 2 (pred - target) / pred.size``.
    """
    pred = as_array(pred, "pred", "mse_loss")
    target = as_array(target, "target", "mse_loss")
    same_shape(pred, target, "pred", "target", "mse_loss")
    diff = pred - target
    return float(np.mean(diff**2)), 2.0 * diff / diff.size


def bce_with_logits(logits, target):
    """Mean binary cross-entropy of ``sigmoid(logits)`` against targets in [0, 1].

    Computed as ``max(x, 0) - x t + log(1 + exp(-|x|))``, which never takes ``log(0)``.
    torch twin: ``F.binary_cross_entropy_with_logits``. Returns ``(loss, dlogits)`` with
    ``dlogits = (sigmoid(logits) - target) / logits.size``.
    """
    logits = as_array(logits, "logits", "bce_with_logits")
    target = as_array(target, "target", "bce_with_logits")
    same_shape(logits, target, "logits", "target", "bce_with_logits")
    per_element = np.maximum(logits, 0.0) - logits * target + np.log1p(np.exp(-np.abs(logits)))
    probabilities, _ = sigmoid_forward(logits)
    return float(np.mean(per_element)), (probabilities - target) / logits.size
