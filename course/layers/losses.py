"""Losses: each returns ``(loss, gradient with respect to its first argument)``.

Reductions follow torch's default, ``reduction="mean"``; the mean of nothing (an empty batch) is
NaN, as in torch, with an empty gradient.
"""
import numpy as np

from .activations import log_softmax, sigmoid_forward, softmax
from .validation import as_array, real_number, same_shape


def _mean(values, count):
    """``sum(values) / count``, NaN without a warning when ``count`` is 0 (torch's mean of nothing)."""
    return float(np.sum(values) / count) if count else float("nan")


def softmax_cross_entropy(scores, y, label_smoothing=0.0):
    """Mean cross-entropy of ``softmax(scores)`` against integer labels ``y``.

    With smoothing ``eps`` the target is ``(1 - eps) * onehot + eps / C``, exactly as
    ``torch.nn.functional.cross_entropy(scores, y, label_smoothing=eps)``.
    Returns ``(loss, dscores)`` with ``dscores = (softmax(scores) - target) / N``.

    A score of -inf (a class ruled out) costs nothing where its target is 0 and infinitely much
    where the target is positive. Each of the two terms, ``(1 - eps) * (-log p_y)`` and
    ``eps / C * sum(-log p)``, is left out when its weight is 0, so no 0 * inf = NaN appears
    (torch also avoids it, except with eps = 1 and -inf at the label, where it returns NaN).
    """
    layer = "softmax_cross_entropy"
    scores = as_array(scores, "scores", layer, ndim=2)
    y = np.asarray(y)
    n, classes = scores.shape
    if classes == 0:
        raise ValueError(f"{layer}: scores has shape {scores.shape}, with no class column; pass one score per class.")
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"{layer}: y must be {n} integer labels (shape ({n},)), "
            f"got shape {y.shape} and dtype {y.dtype}."
        )
    if n and (y.min() < 0 or y.max() >= classes):
        raise ValueError(f"{layer}: labels must lie in 0..{classes - 1}, got {y.min()}..{y.max()}.")
    label_smoothing = real_number(label_smoothing, "label_smoothing", layer, minimum=0, maximum=1,
                                  hint=" (0.0 means no smoothing)")
    log_probs = log_softmax(scores)
    per_example = np.zeros(n)
    if label_smoothing < 1.0:
        per_example -= (1.0 - label_smoothing) * log_probs[np.arange(n), y]
    if label_smoothing > 0.0:
        per_example -= label_smoothing / classes * log_probs.sum(axis=1)
    target = np.full(scores.shape, label_smoothing / classes)
    target[np.arange(n), y] += 1.0 - label_smoothing
    dscores = (softmax(scores) - target) / max(n, 1)
    return _mean(per_example, n), dscores


def mse_loss(pred, target):
    """``mean((pred - target)**2)`` over all elements. torch twin: ``F.mse_loss``.

    Returns ``(loss, dpred)`` with ``dpred = 2 (pred - target) / pred.size``.
    """
    pred = as_array(pred, "pred", "mse_loss")
    target = as_array(target, "target", "mse_loss")
    same_shape(pred, target, "pred", "target", "mse_loss")
    diff = pred - target
    return _mean(diff**2, diff.size), 2.0 * diff / max(diff.size, 1)


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
    return _mean(per_element, logits.size), (probabilities - target) / max(logits.size, 1)
