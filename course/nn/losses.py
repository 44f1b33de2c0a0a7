"""Losses as objects: ``loss(output, target) -> float``, then ``loss.backward() -> doutput``.

They wrap ``course.layers.softmax_cross_entropy`` and ``course.layers.mse_loss`` (mean
reduction, as torch's ``nn.CrossEntropyLoss`` and ``nn.MSELoss``).
"""
from ..layers import mse_loss, softmax_cross_entropy


class _Loss:
    predicts_classes = False  # True: outputs are class scores and accuracy makes sense

    def __call__(self, output, target):
        return self.forward(output, target)

    def backward(self):
        """The gradient of the last loss with respect to the model's output."""
        if getattr(self, "_gradient", None) is None:
            raise RuntimeError(f"{type(self).__name__}.backward was called before the loss was computed.")
        return self._gradient


class SoftmaxCrossEntropy(_Loss):
    """Mean cross-entropy of ``softmax(scores)`` against integer labels, with optional label
    smoothing. torch twin: ``nn.CrossEntropyLoss(label_smoothing=...)``."""

    predicts_classes = True

    def __init__(self, label_smoothing=0.0):
        self.label_smoothing = label_smoothing

    def forward(self, scores, y):
        loss, self._gradient = softmax_cross_entropy(scores, y, self.label_smoothing)
        return loss


class MSE(_Loss):
    """Mean squared error over all elements. torch twin: ``nn.MSELoss()``."""

    def forward(self, pred, target):
        loss, self._gradient = mse_loss(pred, target)
        return loss
