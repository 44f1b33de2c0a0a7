"""Checks for lab 01: the affine layer, ReLU, sigmoid, softmax cross-entropy, a two-layer net.

Each check runs the student's functions on seeded random float64 inputs, compares forward
values with the reference in ``course.layers`` and gradients with the numeric gradient of the
reference forward, and raises CheckFailed (an AssertionError) with a one-line explanation.
Hidden tests call the same checks with other seeds and shapes.
"""
import numpy as np

from .. import layers as reference
from ..gradcheck import numerical_gradient
from ..two_layer_net import two_layer_net_loss as reference_two_layer_net_loss
from .judging import (
    FORWARD_THRESHOLD,
    GRADIENT_THRESHOLD,
    CheckFailed,
    away_from_kinks,
    call_student,
    compare,
    unchanged,
    unpack,
    upstream_gradient,
)


def _affine_inputs(seed, N, input_shape, M):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, *input_shape))
    w = rng.normal(size=(int(np.prod(input_shape)), M))
    b = rng.normal(size=M)
    return rng, x, w, b


def check_affine_forward(affine_forward, seed=0, N=4, input_shape=(3, 5), M=6):
    """``affine_forward(x, w, b) -> (out, cache)`` against ``x.reshape(N, -1) @ w + b``."""
    exercise = "affine_forward"
    _, x, w, b = _affine_inputs(seed, N, input_shape, M)
    originals = {"x": x.copy(), "w": w.copy(), "b": b.copy()}
    result = call_student(affine_forward, exercise, x, w, b)
    out, _cache = unpack(result, ("out", "cache"), exercise, "affine_forward")
    unchanged(exercise, "affine_forward", originals, {"x": x, "w": w, "b": b})
    x_flat = x.reshape(N, -1)
    compare(
        exercise, "out", out, reference.affine_forward(x, w, b)[0], FORWARD_THRESHOLD,
        hint="flatten each example with x.reshape(N, -1), then compute x_flat @ w + b.",
        mistakes=[(x_flat @ w, "the bias b is missing"), (x_flat @ w - b, "the bias is subtracted")],
    )


def check_affine_backward(affine_forward, affine_backward, seed=0, N=4, input_shape=(3, 5), M=6):
    """Gradients ``dx, dw, db`` of ``affine_backward`` against numeric gradients."""
    exercise = "affine_backward"
    rng, x, w, b = _affine_inputs(seed, N, input_shape, M)
    _out, cache = unpack(call_student(affine_forward, exercise, x, w, b), ("out", "cache"), exercise, "affine_forward")
    dout = upstream_gradient(rng, (N, M))
    result = call_student(affine_backward, exercise, dout, cache)
    dx, dw, db = unpack(result, ("dx", "dw", "db"), exercise, "affine_backward")
    expected_dx = numerical_gradient(lambda v: reference.affine_forward(v, w, b)[0], x, dout)
    expected_dw = numerical_gradient(lambda v: reference.affine_forward(x, v, b)[0], w, dout)
    expected_db = numerical_gradient(lambda v: reference.affine_forward(x, w, v)[0], b, dout)
    compare(
        exercise, "dx", dx, expected_dx, GRADIENT_THRESHOLD,
        hint="dx = dout @ w.T, reshaped to the shape of x.",
    )
    compare(
        exercise, "dw", dw, expected_dw, GRADIENT_THRESHOLD, batch_size=N,
        hint="dw = x.T @ dout, with x flattened to (N, D); it has the shape of w.",
    )
    compare(
        exercise, "db", db, expected_db, GRADIENT_THRESHOLD, batch_size=N,
        hint="b is added to every example, so db sums dout over the batch axis (axis 0).",
        mistakes=[(dout.mean(axis=0), "it averages dout over the batch instead of summing"),
                  (dout[0], "it uses only the first example instead of summing over the batch")],
    )


def _elementwise_backward_check(exercise, forward, backward, reference_forward, x, rng, hint, mistakes):
    """Shared by the activation checks: forward value, then dx against the numeric gradient."""
    forward_name = getattr(forward, "__name__", "forward")
    out, cache = unpack(call_student(forward, exercise, x.copy()), ("out", "cache"), exercise, forward_name)
    compare(exercise, f"the output of {forward_name}", out, reference_forward(x)[0], FORWARD_THRESHOLD)
    dout = upstream_gradient(rng, x.shape)
    dx = call_student(backward, exercise, dout, cache)
    expected = numerical_gradient(lambda v: reference_forward(v)[0], x, dout)
    compare(exercise, "dx", dx, expected, GRADIENT_THRESHOLD, hint=hint, mistakes=mistakes(x, dout, out))


def check_relu_backward(relu_forward, relu_backward, seed=0, shape=(5, 7)):
    """``relu_forward`` against ``max(0, x)`` and ``relu_backward`` against numeric gradients."""
    rng = np.random.default_rng(seed)
    x = away_from_kinks(rng, shape)
    _elementwise_backward_check(
        "relu_backward", relu_forward, relu_backward, reference.relu_forward, x, rng,
        hint="ReLU lets dout through where x > 0 and blocks it elsewhere; build the mask from x, not from dout.",
        mistakes=lambda x, dout, out: [
            (np.where(dout > 0, dout, 0.0), "the mask is built from dout instead of x"),
            (np.where(x > 0, 1.0, 0.0), "it returns the local derivative without multiplying by dout"),
            (np.maximum(dout, 0.0) * (x > 0), "it applies ReLU to dout as well"),
        ],
    )


def check_sigmoid_backward(sigmoid_forward, sigmoid_backward, seed=0, shape=(5, 7)):
    """``sigmoid_forward`` against ``1 / (1 + exp(-x))`` and ``sigmoid_backward`` against numeric gradients."""
    rng = np.random.default_rng(seed)
    x = 2.0 * rng.normal(size=shape)
    s = reference.sigmoid_forward(x)[0]
    _elementwise_backward_check(
        "sigmoid_backward", sigmoid_forward, sigmoid_backward, reference.sigmoid_forward, x, rng,
        hint="with s = sigmoid(x) kept in the cache, dx = dout * s * (1 - s).",
        mistakes=lambda x, dout, out: [
            (s * (1 - s), "it returns the local derivative without multiplying by dout"),
            (dout * x * (1 - x), "it uses x where it needs s = sigmoid(x)"),
            (dout * s, "the factor (1 - s) is missing"),
        ],
    )


def check_softmax_cross_entropy(softmax_cross_entropy, seed=0, N=6, C=4, label_smoothing=0.0):
    """``softmax_cross_entropy(scores, y) -> (loss, dscores)``: loss against the reference,
    ``dscores`` against the numeric gradient of the reference loss."""
    exercise = "softmax_cross_entropy"
    rng = np.random.default_rng(seed)
    scores = 3.0 * rng.normal(size=(N, C))
    y = rng.integers(0, C, size=N)
    extra = {"label_smoothing": label_smoothing} if label_smoothing else {}
    result = call_student(softmax_cross_entropy, exercise, scores.copy(), y.copy(), **extra)
    loss, dscores = unpack(result, ("loss", "dscores"), exercise, "softmax_cross_entropy")
    expected_loss = reference.softmax_cross_entropy(scores, y, label_smoothing)[0]
    probabilities = reference.softmax(scores)
    compare(
        exercise, "loss", loss, expected_loss, FORWARD_THRESHOLD, batch_size=N,
        hint="loss = mean over the batch of -log(softmax(scores)[i, y[i]]); subtract each row's max before exp.",
        mistakes=[(-np.mean(np.log10(probabilities[np.arange(N), y])),
                   "it uses log10 instead of the natural log")],
    )
    expected = numerical_gradient(lambda v: reference.softmax_cross_entropy(v, y, label_smoothing)[0], scores)
    onehot = np.eye(C)[y]
    compare(
        exercise, "dscores", dscores, expected, GRADIENT_THRESHOLD, batch_size=N,
        hint="dscores = (softmax(scores) - onehot(y)) / N.",
        mistakes=[((onehot - probabilities) / N, "the sign is flipped: it is softmax minus one-hot"),
                  (probabilities / N, "the one-hot target is not subtracted")],
    )


def check_two_layer_net(two_layer_net_loss, seed=0, N=5, D=4, H=6, C=3, reg=0.1):
    """``two_layer_net_loss(params, X, y, reg)``: scores, loss and all four gradients."""
    exercise = "two_layer_net"
    rng = np.random.default_rng(seed)
    params = {
        "W1": rng.normal(scale=0.5, size=(D, H)), "b1": rng.normal(scale=0.1, size=H),
        "W2": rng.normal(scale=0.5, size=(H, C)), "b2": rng.normal(scale=0.1, size=C),
    }
    X = rng.normal(size=(N, D))
    y = rng.integers(0, C, size=N)
    copy = lambda p: {k: v.copy() for k, v in p.items()}  # noqa: E731
    scores = call_student(two_layer_net_loss, exercise, copy(params), X.copy())
    compare(exercise, "the scores (y=None)", scores, reference_two_layer_net_loss(params, X), FORWARD_THRESHOLD,
            hint="scores = relu(X @ W1 + b1) @ W2 + b2, with no softmax.")
    result = call_student(two_layer_net_loss, exercise, copy(params), X.copy(), y.copy(), reg)
    loss, grads = unpack(result, ("loss", "grads"), exercise, "two_layer_net_loss")
    expected_loss = reference_two_layer_net_loss(params, X, y, reg)[0]
    penalty = 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    compare(exercise, "loss", loss, expected_loss, FORWARD_THRESHOLD,
            hint="loss = softmax cross-entropy + 0.5 * reg * (sum(W1**2) + sum(W2**2)).",
            mistakes=[(expected_loss - penalty, "the regularization term is missing"),
                      (expected_loss + penalty, "the regularization term is counted twice (use 0.5 * reg)")])
    if not isinstance(grads, dict):
        raise CheckFailed(f"{exercise}: grads should be a dict with keys W1, b1, W2, b2, got {type(grads).__name__}.")
    for name in ("W1", "b1", "W2", "b2"):
        if name not in grads:
            raise CheckFailed(f"{exercise}: grads has no entry {name!r}; it needs W1, b1, W2 and b2.")

        def loss_of(value, name=name):
            changed = dict(params, **{name: value})
            return reference_two_layer_net_loss(changed, X, y, reg)[0]

        expected = numerical_gradient(loss_of, params[name].copy())
        mistakes = [(expected - reg * params[name], "the gradient of the regularization term (reg * W) is missing"),
                    (expected + reg * params[name], "the regularization gradient is added twice")] if name[0] == "W" else []
        compare(exercise, f"grads[{name!r}]", grads[name], expected, GRADIENT_THRESHOLD, batch_size=N,
                hint="backpropagate in reverse order: affine2, then ReLU, then affine1; add reg * W to each weight gradient.",
                mistakes=mistakes)
