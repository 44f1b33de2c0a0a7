"""Each lab-01 check passes the reference and names typical mistakes."""
import numpy as np
import pytest

from course import layers
from course.checks import (
    check,
    check_affine_backward,
    check_affine_forward,
    check_relu_backward,
    check_sigmoid_backward,
    check_softmax_cross_entropy,
    check_two_layer_net,
    summary,
)
from course.two_layer_net import two_layer_net_loss
from tests.checks.failing import fails_with


@pytest.mark.parametrize("seed", range(6))
def test_reference_passes_every_check_on_many_seeds_and_shapes(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 9))
    check_affine_forward(layers.affine_forward, seed=seed, N=n, input_shape=(2, 3, 2), M=3)
    check_affine_backward(layers.affine_forward, layers.affine_backward, seed=seed, N=n, input_shape=(4,), M=7)
    check_relu_backward(layers.relu_forward, layers.relu_backward, seed=seed, shape=(n, 3, 4))
    check_sigmoid_backward(layers.sigmoid_forward, layers.sigmoid_backward, seed=seed, shape=(n, 9))
    check_softmax_cross_entropy(layers.softmax_cross_entropy, seed=seed, N=n, C=int(rng.integers(2, 10)))
    check_softmax_cross_entropy(layers.softmax_cross_entropy, seed=seed, label_smoothing=0.2)
    check_two_layer_net(two_layer_net_loss, seed=seed, N=n, D=3, H=5, C=4, reg=0.05 * seed)


# affine_forward ---------------------------------------------------------------------------


def test_affine_forward_mistakes():
    fails_with(r"out is wrong .* the bias b is missing", check_affine_forward,
               lambda x, w, b: (x.reshape(len(x), -1) @ w, None))
    fails_with(r"affine_forward: .* raised ValueError: matmul", check_affine_forward,
               lambda x, w, b: (x @ w + b, None))  # forgot to flatten
    fails_with(r"should return 2 values \(out, cache\), got a ndarray", check_affine_forward,
               lambda x, w, b: x.reshape(len(x), -1) @ w + b)
    fails_with(r"not implemented yet", check_affine_forward, _not_implemented)

    def in_place(x, w, b):
        w *= 1.0 + 0.0 * w
        x += 1.0
        return layers.affine_forward(x - 1.0, w, b)
    fails_with(r"changed its input x in place", check_affine_forward, in_place)


def _not_implemented(*args):
    raise NotImplementedError()


# affine_backward --------------------------------------------------------------------------


def _affine_backward_with(change):
    def backward(dout, cache):
        return change(dout, cache, *layers.affine_backward(dout, cache))
    return backward


def test_affine_backward_mistakes():
    forward = layers.affine_forward
    fails_with(r"db is wrong .* averages dout over the batch", check_affine_backward, forward,
               _affine_backward_with(lambda dout, c, dx, dw, db: (dx, dw, dout.mean(axis=0))))
    fails_with(r"db has shape \(4, 6\) .* still has the batch axis", check_affine_backward, forward,
               _affine_backward_with(lambda dout, c, dx, dw, db: (dx, dw, dout)))
    fails_with(r"dw has shape \(6, 15\) .* looks transposed", check_affine_backward, forward,
               _affine_backward_with(lambda dout, c, dx, dw, db: (dx, dw.T, db)))
    fails_with(r"dw is wrong .* 4 times too small", check_affine_backward, forward,
               _affine_backward_with(lambda dout, c, dx, dw, db: (dx, dw / len(dout), db)))
    fails_with(r"dx has shape \(4, 15\) but should have shape \(4, 3, 5\); .* reshape it", check_affine_backward, forward,
               _affine_backward_with(lambda dout, c, dx, dw, db: (dx.reshape(len(dx), -1), dw, db)))
    fails_with(r"dx is wrong .* sign is flipped", check_affine_backward, forward,
               _affine_backward_with(lambda dout, c, dx, dw, db: (-dx, dw, db)))


# relu and sigmoid -------------------------------------------------------------------------


def test_relu_backward_mistakes():
    forward = layers.relu_forward
    fails_with(r"mask is built from dout", check_relu_backward, forward,
               lambda dout, x: np.where(dout > 0, dout, 0.0))
    fails_with(r"without multiplying by dout", check_relu_backward, forward,
               lambda dout, x: (x > 0).astype(float))
    fails_with(r"dx is wrong .* sign is flipped", check_relu_backward, forward,
               lambda dout, x: np.where(x > 0, -dout, 0.0))
    def relu_forward(x):
        return np.abs(x), x
    fails_with(r"the output of relu_forward is wrong", check_relu_backward, relu_forward, layers.relu_backward)


def test_sigmoid_backward_mistakes():
    forward = layers.sigmoid_forward
    fails_with(r"without multiplying by dout", check_sigmoid_backward, forward, lambda dout, s: s * (1 - s))
    fails_with(r"factor \(1 - s\) is missing", check_sigmoid_backward, forward, lambda dout, s: dout * s)
    fails_with(r"uses x where it needs s", check_sigmoid_backward,
               lambda x: (layers.sigmoid_forward(x)[0], x), lambda dout, x: dout * x * (1 - x))
    fails_with(r"contains NaN or inf", check_sigmoid_backward, forward, lambda dout, s: dout / 0.0)


# softmax cross-entropy --------------------------------------------------------------------


def _softmax_ce_with(change):
    def loss_function(scores, y):
        loss, dscores = layers.softmax_cross_entropy(scores, y)
        return change(scores, y, loss, dscores)
    return loss_function


def test_softmax_cross_entropy_mistakes():
    fails_with(r"dscores is wrong .* 6 times too large: divide by the batch size N = 6",
               check_softmax_cross_entropy, _softmax_ce_with(lambda s, y, loss, d: (loss, d * len(y))))
    fails_with(r"dscores is wrong .* softmax minus one-hot", check_softmax_cross_entropy,
               _softmax_ce_with(lambda s, y, loss, d: (loss, -d)))
    fails_with(r"one-hot target is not subtracted", check_softmax_cross_entropy,
               _softmax_ce_with(lambda s, y, loss, d: (loss, layers.softmax(s) / len(y))))
    fails_with(r"loss is wrong .* 6 times too large", check_softmax_cross_entropy,
               _softmax_ce_with(lambda s, y, loss, d: (loss * len(y), d)))
    fails_with(r"log10", check_softmax_cross_entropy,
               _softmax_ce_with(lambda s, y, loss, d: (-np.mean(np.log10(layers.softmax(s)[np.arange(len(y)), y])), d)))


def test_naive_softmax_overflow_is_named():
    def naive(scores, y):
        e = np.exp(1000 * scores)  # overflows to inf, and inf / inf is NaN
        p = e / e.sum(axis=1, keepdims=True)
        return -np.mean(np.log(p[np.arange(len(y)), y])), p
    fails_with(r"loss contains NaN or inf. .* subtract the max", check_softmax_cross_entropy, naive)


# two-layer net ----------------------------------------------------------------------------


def _net_with(change):
    def loss_function(params, X, y=None, reg=0.0):
        result = two_layer_net_loss(params, X, y, reg)
        return result if y is None else change(params, reg, *result)
    return loss_function


def test_two_layer_net_mistakes():
    fails_with(r"regularization term is missing", check_two_layer_net,
               _net_with(lambda p, reg, loss, g: (loss - 0.5 * reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2)), g)))
    fails_with(r"grads\['W2'\] is wrong .* regularization term \(reg \* W\) is missing", check_two_layer_net,
               _net_with(lambda p, reg, loss, g: (loss, dict(g, W2=g["W2"] - reg * p["W2"]))))
    fails_with(r"grads has no entry 'b1'", check_two_layer_net,
               _net_with(lambda p, reg, loss, g: (loss, {k: v for k, v in g.items() if k != "b1"})))
    fails_with(r"grads\['b2'\] has shape \(5, 3\) .* still has the batch axis", check_two_layer_net,
               _net_with(lambda p, reg, loss, g: (loss, dict(g, b2=np.tile(g["b2"], (5, 1))))))

    def scores_with_softmax(params, X, y=None, reg=0.0):
        if y is None:
            return layers.softmax(two_layer_net_loss(params, X))
        return two_layer_net_loss(params, X, y, reg)
    fails_with(r"the scores \(y=None\) is wrong", check_two_layer_net, scores_with_softmax)


# the friendly runner ----------------------------------------------------------------------


def test_check_prints_one_friendly_line_and_summary_counts(capsys):
    assert check(check_affine_forward, layers.affine_forward) is True
    assert check(check_relu_backward, layers.relu_forward, lambda dout, x: dout) is False
    assert check(check_sigmoid_backward, layers.sigmoid_forward) is False  # forgot an argument
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "✅ affine_forward: all tests passed."
    assert out[1].startswith("❌ relu_backward: dx is wrong (relative error")
    assert out[2].startswith("❌ sigmoid_backward: the check could not run (TypeError")
    passed, total = summary(["affine_forward", "relu_backward", "sigmoid_backward", "two_layer_net"])
    assert (passed, total) == (1, 4)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "1 of 4 exercises pass."
    assert "⏳ not checked yet two_layer_net" in lines[-1]
