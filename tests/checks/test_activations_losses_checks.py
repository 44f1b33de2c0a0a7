"""Each lab-02 check passes the reference and names typical mistakes."""
import numpy as np
import pytest
import torch

from course import layers
from course.checks import check_softmax_cross_entropy
from course.checks.activations_losses import (
    check_bce_with_logits,
    check_elu_backward,
    check_huber_loss,
    check_leaky_relu_backward,
    check_tanh_backward,
    huber_value,
)
from tests.checks.failing import fails_with


def reference_huber(pred, target, delta=1.0):
    r = pred - target
    return huber_value(pred, target, delta), np.clip(r, -delta, delta) / r.size


def naive_bce(logits, target):
    p = 1.0 / (1.0 + np.exp(-logits))
    loss = -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))
    return loss, (p - target) / logits.size


@pytest.mark.parametrize("seed", range(5))
def test_reference_passes_every_check_on_many_seeds_and_shapes(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 8))
    check_leaky_relu_backward(layers.leaky_relu_forward, layers.leaky_relu_backward, seed=seed, shape=(n, 4))
    check_leaky_relu_backward(layers.leaky_relu_forward, layers.leaky_relu_backward, seed=seed, shape=(3, n, 2),
                              alpha=0.2)
    check_elu_backward(layers.elu_forward, layers.elu_backward, seed=seed, shape=(n, 5))
    check_elu_backward(layers.elu_forward, layers.elu_backward, seed=seed, shape=(n, 2, 3), alpha=0.5)
    check_tanh_backward(layers.tanh_forward, layers.tanh_backward, seed=seed, shape=(n, 6))
    check_bce_with_logits(layers.bce_with_logits, seed=seed, shape=(n, 3))
    check_bce_with_logits(layers.bce_with_logits, seed=seed, shape=(n,))
    check_huber_loss(reference_huber, seed=seed, shape=(n, 4))
    check_huber_loss(reference_huber, seed=seed, shape=(n + 1,), delta=0.3 + seed)
    check_softmax_cross_entropy(layers.softmax_cross_entropy, seed=seed, N=n, label_smoothing=0.1)


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.5])
def test_huber_value_is_torchs_huber_loss(delta):
    rng = np.random.default_rng(1)
    pred, target = 3 * rng.normal(size=(7, 3)), rng.normal(size=(7, 3))
    expected = torch.nn.functional.huber_loss(torch.tensor(pred), torch.tensor(target), delta=delta)
    assert huber_value(pred, target, delta) == pytest.approx(float(expected), rel=1e-12)


def test_leaky_relu_backward_mistakes():
    forward = layers.leaky_relu_forward
    fails_with(r"dx is wrong .* ReLU gradient: the slope alpha", check_leaky_relu_backward, forward,
               lambda dout, cache: np.where(cache[0] > 0, dout, 0.0))
    fails_with(r"mask is built from dout", check_leaky_relu_backward, forward,
               lambda dout, cache: np.where(dout > 0, dout, cache[1] * dout))
    fails_with(r"without multiplying by dout", check_leaky_relu_backward, forward,
               lambda dout, cache: np.where(cache[0] > 0, 1.0, cache[1]))
    fails_with(r"alpha \* x where it needs alpha \* dout", check_leaky_relu_backward, forward,
               lambda dout, cache: np.where(cache[0] > 0, dout, cache[1] * cache[0]))
    fails_with(r"output of .* is wrong .* plain ReLU", check_leaky_relu_backward,
               lambda x, alpha=0.01: (np.maximum(x, 0), (x, alpha)), layers.leaky_relu_backward)
    fails_with(r"raised TypeError", check_leaky_relu_backward,
               lambda x: layers.leaky_relu_forward(x), layers.leaky_relu_backward)


def test_elu_backward_mistakes():
    forward = layers.elu_forward
    fails_with(r"alpha is missing", check_elu_backward, forward,
               lambda dout, cache: np.where(cache[0] > 0, dout, dout * np.exp(cache[0])), alpha=0.5)
    fails_with(r"multiplies by the output", check_elu_backward, forward,
               lambda dout, cache: np.where(cache[0] > 0, dout, dout * cache[1] * np.expm1(cache[0])))
    fails_with(r"ReLU gradient", check_elu_backward, forward,
               lambda dout, cache: np.where(cache[0] > 0, dout, 0.0))
    fails_with(r"without multiplying by dout", check_elu_backward, forward,
               lambda dout, cache: np.where(cache[0] > 0, 1.0, cache[1] * np.exp(cache[0])))
    fails_with(r"output of .* is wrong .* alpha is missing", check_elu_backward,
               lambda x, alpha=1.0: (np.where(x > 0, x, np.expm1(x)), (x, alpha)), layers.elu_backward, alpha=2.0)


def test_tanh_backward_mistakes():
    forward = layers.tanh_forward
    fails_with(r"without multiplying by dout", check_tanh_backward, forward, lambda dout, t: 1 - t * t)
    fails_with(r"uses 1 - t instead", check_tanh_backward, forward, lambda dout, t: dout * (1 - t))
    fails_with(r"sigmoid rule", check_tanh_backward, forward, lambda dout, t: dout * t * (1 - t))
    fails_with(r"uses x where it needs t", check_tanh_backward,
               lambda x: (np.tanh(x), x), lambda dout, x: dout * (1 - x * x))
    fails_with(r"2 sigmoid\(2x\) - 1", check_tanh_backward,
               lambda x: (2 / (1 + np.exp(-x)) - 1, None), layers.tanh_backward)


def test_bce_with_logits_mistakes():
    def with_loss(change):
        def bce(logits, target):
            loss, dlogits = layers.bce_with_logits(logits, target)
            return change(loss, logits), dlogits
        return bce
    fails_with(r"loss is wrong .* minus sign is missing", check_bce_with_logits, with_loss(lambda loss, x: -loss))
    fails_with(r"loss is wrong .* sums over the 18 elements", check_bce_with_logits,
               with_loss(lambda loss, x: loss * x.size))
    fails_with(r"loss contains (inf|nan) for confident logits .* log\(0\) .* stable form", check_bce_with_logits, naive_bce)

    def clipped(logits, target):
        p = np.clip(1.0 / (1.0 + np.exp(-logits)), 1e-7, 1 - 1e-7)
        return -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p)), layers.bce_with_logits(logits, target)[1]
    fails_with(r"clips the probabilities", check_bce_with_logits, clipped)

    def gradient(change):
        def bce(logits, target):
            loss, dlogits = layers.bce_with_logits(logits, target)
            p = layers.sigmoid_forward(logits)[0]
            return loss, change(p, target, dlogits)
        return bce
    fails_with(r"dlogits is wrong .* gradient of the sum", check_bce_with_logits, gradient(lambda p, t, d: p - t))
    fails_with(r"dlogits is wrong .* sign is flipped", check_bce_with_logits, gradient(lambda p, t, d: -d))
    fails_with(r"sigmoid'\(x\) again", check_bce_with_logits, gradient(lambda p, t, d: p * (1 - p) * d))


def test_huber_loss_mistakes():
    def with_loss(loss_of):
        return lambda pred, target, delta=1.0: (loss_of(pred - target, delta), reference_huber(pred, target, delta)[1])
    fails_with(r"loss is wrong .* it is the MSE", check_huber_loss, with_loss(lambda r, d: np.mean(r * r)))
    fails_with(r"loss is wrong .* factor 1/2", check_huber_loss,
               with_loss(lambda r, d: np.mean(np.where(np.abs(r) <= d, r * r, d * (np.abs(r) - d / 2)))))
    fails_with(r"pieces meet", check_huber_loss,
               with_loss(lambda r, d: np.mean(np.where(np.abs(r) <= d, r * r / 2, d * np.abs(r)))))
    fails_with(r"smooth L1", check_huber_loss,
               with_loss(lambda r, d: huber_value(r, 0.0, d) / d), delta=2.0)

    def with_gradient(gradient_of):
        return lambda pred, target, delta=1.0: (huber_value(pred, target, delta), gradient_of(pred - target, delta))
    fails_with(r"dpred is wrong .* without clipping", check_huber_loss, with_gradient(lambda r, d: r / r.size))
    fails_with(r"dpred is wrong .* MAE gradient", check_huber_loss, with_gradient(lambda r, d: np.sign(r) / r.size))
    fails_with(r"dpred is wrong .* gradient of the sum", check_huber_loss,
               with_gradient(lambda r, d: np.clip(r, -d, d)))
    fails_with(r"dpred is wrong .* sign is flipped", check_huber_loss,
               with_gradient(lambda r, d: -np.clip(r, -d, d) / r.size))
    fails_with(r"raised TypeError", check_huber_loss, lambda pred, target: reference_huber(pred, target))


def test_smoothed_cross_entropy_rejects_the_notes_smoothing():
    def notes_corrected(scores, y, label_smoothing=0.0):  # eps / (C - 1) off the true class: another convention
        n, c = scores.shape
        target = np.full(scores.shape, label_smoothing / (c - 1))
        target[np.arange(n), y] = 1 - label_smoothing
        p = layers.softmax(scores)
        return -np.sum(target * np.log(p)) / n, (p - target) / n
    fails_with(r"loss is wrong .*eps / \(C - 1\) on the other classes; this course uses torch's target",
               check_softmax_cross_entropy, notes_corrected, label_smoothing=0.1)
    fails_with(r"loss is wrong .*label_smoothing is ignored", check_softmax_cross_entropy,
               lambda scores, y, label_smoothing=0.0: layers.softmax_cross_entropy(scores, y), label_smoothing=0.1)


def _smoothed_with(target_of):
    """A smoothed cross-entropy whose target rows come from ``target_of(onehot, eps, C)``; its
    gradient is consistent with that target."""
    def loss_function(scores, y, label_smoothing=0.0):
        n, c = scores.shape
        target = target_of(np.eye(c)[y], label_smoothing, c)
        p = layers.softmax(scores)
        return -np.sum(target * np.log(p)) / n, (p - target) / n
    return loss_function


def test_smoothed_cross_entropy_names_the_notes_negative_target():
    notes = _smoothed_with(lambda onehot, eps, c: np.where(onehot == 1, 1 - eps, eps / (1 - c)))
    message = fails_with(r"loss is wrong .*eps / \(1 - C\) on the other classes, which is negative",
                         check_softmax_cross_entropy, notes, label_smoothing=0.1)
    assert "Hint: loss = -sum(t * log_softmax(scores)) / N with t = (1 - eps) * onehot(y) + eps / C" in message


def test_smoothed_cross_entropy_gradient_mistakes_name_the_target():
    def right_loss_with(dscores_of):
        def loss_function(scores, y, label_smoothing=0.0):
            loss, dscores = layers.softmax_cross_entropy(scores, y, label_smoothing)
            return loss, dscores_of(scores, y, label_smoothing, dscores)
        return loss_function
    fails_with(r"dscores is wrong .*label_smoothing is ignored: subtract the smoothed target",
               check_softmax_cross_entropy, right_loss_with(lambda s, y, eps, d: layers.softmax_cross_entropy(s, y)[1]),
               label_smoothing=0.2)
    fails_with(r"dscores is wrong .*the sign is flipped: it is softmax minus the target t",
               check_softmax_cross_entropy, right_loss_with(lambda s, y, eps, d: -d), label_smoothing=0.2)
