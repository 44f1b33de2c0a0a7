"""Checks for lab 01: the affine layer, ReLU, sigmoid, softmax cross-entropy, a two-layer net.

Each check runs the student's functions on seeded random float64 inputs, compares forward
values with the reference in ``course.layers`` and gradients with the numeric gradient of the
reference forward, and raises CheckFailed (an AssertionError) with a one-line explanation.
Hidden tests call the same checks with other seeds and shapes.

Where a typical mistake gives a wrong *shape* (``np.max`` for ``np.maximum``, ``db`` summed over
the wrong axis) or makes the student's own code raise (a missing ``keepdims``, ``x`` not
flattened), the message names that mistake rather than only the shapes or the exception.
"""
import numpy as np

from .. import layers as reference
from .. import probes
from ..gradcheck import numerical_gradient
from ..two_layer_net import two_layer_net_loss as reference_two_layer_net_loss
from .judging import (
    FORWARD_THRESHOLD,
    GRADIENT_THRESHOLD,
    CheckFailed,
    Mistake,
    away_from_kinks,
    call_student,
    compare,
    probe_student,
    unchanged,
    unpack,
    upstream_gradient,
)
from .judging import random_generator


def _affine_inputs(seed, N, input_shape, M):
    rng = random_generator(seed)
    x = rng.normal(size=(N, *input_shape))
    w = rng.normal(size=(int(np.prod(input_shape)), M))
    b = rng.normal(size=M)
    return rng, x, w, b


def _calling(function, exercise, advice, *args, **kwargs):
    """``call_student``; when the student's code raises (other than NotImplementedError), the
    message gains ``advice(text)``: a sentence about what that error means here, or None."""
    try:
        return call_student(function, exercise, *args, **kwargs)
    except CheckFailed as failure:
        text = str(failure)
        extra = advice(text) if " raised " in text and "NotImplementedError" not in text else None
        if not extra:
            raise
        error = CheckFailed(f"{text.rstrip('.')}. {extra}")
        error.mistake = getattr(failure, "mistake", None)
        raise error from None


def _broadcast_advice(text):
    if "could not be broadcast" in text:
        return ("Hint: a maximum or sum over each row needs keepdims=True, so that its shape is (N, 1) "
                "and it broadcasts against the (N, C) scores.")
    return None


def _named_shape(exercise, output, got, expected_shape, wrong_shapes, hint=""):
    """Before ``compare``: if ``got`` has a shape that a typical mistake produces, say which.
    ``wrong_shapes``: ``[(shape, meaning)]``; shapes equal to the expected one are skipped."""
    try:
        shape = np.shape(got) if got is not None else None
    except ValueError:  # a ragged list; compare explains it
        return
    for wrong, meaning in wrong_shapes:
        if shape == tuple(wrong) and tuple(wrong) != tuple(expected_shape):
            raise CheckFailed(f"{exercise}: {output} has shape {shape} but should have shape "
                              f"{tuple(expected_shape)}; {meaning}." + (f" Hint: {hint}" if hint else ""),
                              mistake=Mistake.named(exercise, output, meaning))


def check_affine_forward(affine_forward, seed=0, N=4, input_shape=(3, 5), M=6):
    """``affine_forward(x, w, b) -> (out, cache)`` against ``x.reshape(N, -1) @ w + b``."""
    exercise = "affine_forward"
    _, x, w, b = _affine_inputs(seed, N, input_shape, M)
    originals = {"x": x.copy(), "w": w.copy(), "b": b.copy()}
    not_flat = (f"Hint: x has shape {x.shape}: flatten each example first with x.reshape(x.shape[0], -1), "
                f"which gives ({N}, {x[0].size}), then compute x_flat @ w + b.") if x.ndim > 2 else None
    result = _calling(affine_forward, exercise, lambda text: not_flat if "matmul" in text or "align" in text else None,
                      x, w, b)
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
    D = w.shape[0]
    shapes = (f"Hint: match the shapes: dout is ({N}, {M}), w is ({D}, {M}) and x flattened is ({N}, {D}); "
              "dx = dout @ w.T, dw = x_flat.T @ dout, db = dout.sum(axis=0).")
    result = _calling(affine_backward, exercise, lambda text: shapes if "matmul" in text or "align" in text
                      or "broadcast" in text else None, dout, cache)
    dx, dw, db = unpack(result, ("dx", "dw", "db"), exercise, "affine_backward")
    expected_dx = numerical_gradient(lambda v: reference.affine_forward(v, w, b)[0], x, dout)
    expected_dw = numerical_gradient(lambda v: reference.affine_forward(x, v, b)[0], w, dout)
    expected_db = numerical_gradient(lambda v: reference.affine_forward(x, w, v)[0], b, dout)
    compare(
        exercise, "dx", dx, expected_dx, GRADIENT_THRESHOLD,
        hint="dx = dout @ w.T, reshaped to the shape of x.",
        mistakes=[((dout @ w).reshape(x.shape), "it multiplies by w where it needs w.T")] if D == M else [],
    )
    dw_hint = "dw = x.T @ dout, with x flattened to (N, D); it has the shape of w."
    if x.ndim > 2:
        _named_shape(exercise, "dw", dw, w.shape, [(x.T.shape[:-1] + (M,), "x was not flattened: x.T @ dout with x "
                                                   f"of shape {x.shape} keeps its extra axes")], dw_hint)
    compare(exercise, "dw", dw, expected_dw, GRADIENT_THRESHOLD, batch_size=N, hint=dw_hint)
    db_hint = "b is added to every example, so db sums dout over the batch axis (axis 0)."
    _named_shape(exercise, "db", db, b.shape, [((N,), "it sums over axis 1, the outputs; sum over axis 0, the batch"),
                                               ((), "it sums over every axis; sum over the batch axis only (axis=0)"),
                                               ((1, M), "it kept the summed axis (keepdims=True); db has shape (M,)")],
                 db_hint)
    compare(
        exercise, "db", db, expected_db, GRADIENT_THRESHOLD, batch_size=N, hint=db_hint,
        mistakes=[(dout.mean(axis=0), "it averages dout over the batch instead of summing"),
                  (dout[0], "it uses only the first example instead of summing over the batch")]
        + ([(dout.sum(axis=1), "it sums over axis 1, the outputs; sum over axis 0, the batch")] if N == M else []),
    )


def _elementwise_backward_check(exercise, forward, backward, reference_forward, x, rng, hint, mistakes,
                                forward_hint="", forward_mistakes=(), forward_shapes=()):
    """Shared by the activation checks: forward value, then dx against the numeric gradient."""
    forward_name = getattr(forward, "__name__", "forward")
    out, cache = unpack(call_student(forward, exercise, x.copy()), ("out", "cache"), exercise, forward_name)
    output = f"the output of {forward_name}"
    _named_shape(exercise, output, out, x.shape, forward_shapes, forward_hint)
    compare(exercise, output, out, reference_forward(x)[0], FORWARD_THRESHOLD, hint=forward_hint,
            mistakes=forward_mistakes)
    dout = upstream_gradient(rng, x.shape)
    dx = call_student(backward, exercise, dout, cache)
    expected = numerical_gradient(lambda v: reference_forward(v)[0], x, dout)
    compare(exercise, "dx", dx, expected, GRADIENT_THRESHOLD, hint=hint, mistakes=mistakes(x, dout, out))


def check_relu_backward(relu_forward, relu_backward, seed=0, shape=(5, 7)):
    """``relu_forward`` against ``max(0, x)`` and ``relu_backward`` against numeric gradients."""
    rng = random_generator(seed)
    x = away_from_kinks(rng, shape)
    reduced = "it has the shape of a maximum along axis 0, np.max(x, 0), instead of the maximum of each entry and 0"
    _elementwise_backward_check(
        "relu_backward", relu_forward, relu_backward, reference.relu_forward, x, rng,
        hint="ReLU lets dout through where x > 0 and blocks it elsewhere; build the mask from x, not from dout.",
        mistakes=lambda x, dout, out: [
            (np.where(dout > 0, dout, 0.0), "the mask is built from dout instead of x"),
            (np.where(x > 0, 1.0, 0.0), "it returns the local derivative without multiplying by dout"),
            (np.maximum(dout, 0.0) * (x > 0), "it applies ReLU to dout as well"),
            (np.where(x > 0, 0.0, dout), "the mask is inverted: dout passes where x > 0 and is blocked elsewhere"),
        ],
        forward_hint="ReLU keeps each positive entry of x and sets the others to 0, elementwise, so out has the shape of x.",
        forward_mistakes=[(np.minimum(x, 0.0), "it keeps the negative part; ReLU keeps the positive part")],
        forward_shapes=[(x.max(axis=0).shape, reduced), ((), "it returns one number; np.max reduces the whole "
                                                             "array, while ReLU works entry by entry")],
    )


def check_sigmoid_backward(sigmoid_forward, sigmoid_backward, seed=0, shape=(5, 7)):
    """``sigmoid_forward`` against ``1 / (1 + exp(-x))`` and ``sigmoid_backward`` against numeric
    gradients, on moderate inputs (``check_sigmoid_stable`` tries +-1000)."""
    rng = random_generator(seed)
    x = 2.0 * rng.normal(size=shape)
    s = reference.sigmoid_forward(x)[0]
    _elementwise_backward_check(
        "sigmoid_backward", sigmoid_forward, sigmoid_backward, reference.sigmoid_forward, x, rng,
        hint="with s = sigmoid(x) kept in the cache, dx = dout * s * (1 - s).",
        mistakes=lambda x, dout, out: [
            (s * (1 - s), "it returns the local derivative without multiplying by dout"),
            (dout * x * (1 - x), "it uses x where it needs s = sigmoid(x)"),
            (dout * s, "the factor (1 - s) is missing"),
            (dout * (1 - s), "the factor s is missing"),
            (dout * (1 - s * s), "it uses tanh's rule 1 - s**2; the sigmoid's is s * (1 - s)"),
        ],
        forward_hint="sigmoid(x) = 1 / (1 + exp(-x)), elementwise.",
        forward_mistakes=[(1 - s, "it is sigmoid(-x) = 1 - sigmoid(x): the sign of x in the exponent is flipped"),
                          (1 + np.exp(-x), "it is 1 + exp(-x): the division needs parentheses, 1 / (1 + np.exp(-x))"),
                          (0.5 * (1 + np.tanh(x)), "0.5 * (1 + tanh(x)) is sigmoid(2x); sigmoid(x) = 0.5 * (1 + tanh(x / 2))")],
    )


STABLE_SIGMOID_HINT = ("take only e = np.exp(-np.abs(x)), which lies in (0, 1], and use two branches: "
                       "1 / (1 + e) where x >= 0, e / (1 + e) where x < 0 (np.where).")
EXTREME_INPUTS = (1000.0, -1000.0, 800.0, -800.0, 50.0, -50.0, 30.0, -30.0)


def _first_not_finite(exercise, function_name, got, x, explanation):
    """Fail, naming the input, if ``got`` (an array of x's shape) holds inf or NaN; ``explanation``
    of (value, input) says why."""
    try:
        values = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return
    if values.shape != x.shape or np.all(np.isfinite(values)):
        return
    where = np.unravel_index(np.argmax(~np.isfinite(values)), values.shape)
    raise CheckFailed(f"{exercise}: {function_name} returned {values[where]} for x = {x[where]:g}; "
                      + explanation(values[where], x[where]),
                      mistake=Mistake.named(exercise, function_name, "it overflows for inputs of +-1000"))


def check_sigmoid_stable(sigmoid_forward, sigmoid_backward, seed=0, shape=(4, 6)):
    """Sigmoid forward and backward on inputs up to +-1000, where ``np.exp`` overflows (above about
    709.78 it is inf in float64): every value must be finite and equal ``torch.sigmoid``'s (0 and 1
    at the extremes), and the backward pass from the cache must be finite too.

    An overflow that only warns and still gives the right value (``1 / (1 + np.exp(-x))`` at
    x = -1000 is 1 / inf = 0) fails too: the forward pass runs once more with NumPy's overflow
    warnings as errors (``course.probes.floating_point_trouble``, in the student's kernel).
    """
    exercise = "sigmoid_stable"
    rng = random_generator(seed)
    x = 3.0 * rng.normal(size=shape)
    flat = x.reshape(-1)
    extremes = EXTREME_INPUTS[:flat.size]
    flat[rng.permutation(flat.size)[:len(extremes)]] = extremes
    forward_name = getattr(sigmoid_forward, "__name__", "sigmoid_forward")
    overflow = (lambda text: "Hint: " + STABLE_SIGMOID_HINT
                if "Overflow" in text or "FloatingPointError" in text else None)
    out, cache = unpack(_calling(sigmoid_forward, exercise, overflow, x.copy()), ("out", "cache"), exercise, forward_name)

    def forward_explanation(value, at):
        ratio = ", and a ratio of two infinities such as exp(x) / (1 + exp(x)) is nan" if np.isnan(value) else ""
        return f"np.exp({abs(at):g}) overflows to inf in float64{ratio}. Hint: {STABLE_SIGMOID_HINT}"

    _first_not_finite(exercise, forward_name, out, x, forward_explanation)
    s = reference.sigmoid_forward(x)[0]
    compare(exercise, f"the output of {forward_name}", out, s, FORWARD_THRESHOLD, hint=STABLE_SIGMOID_HINT)
    trouble = probe_student(probes.floating_point_trouble, exercise, sigmoid_forward, x.copy())
    if trouble:
        raise CheckFailed(
            f"{exercise}: {forward_name} gives the right values, but on the way NumPy reports "
            f"'{str(trouble)[:80]}' for inputs like -1000 (np.exp(1000) is inf in float64). Hint: {STABLE_SIGMOID_HINT}",
            mistake=Mistake.named(exercise, forward_name, "an exp overflows on the way to the right value"))
    dout = upstream_gradient(rng, x.shape)
    backward_name = getattr(sigmoid_backward, "__name__", "sigmoid_backward")
    dx = _calling(sigmoid_backward, exercise, overflow, dout, cache)
    _first_not_finite(exercise, backward_name, dx, x, lambda value, at: (
        "the exp of a large number is inf, and inf / inf or inf * 0 is nan. Hint: compute dx from the output s "
        "kept in the cache, dout * s * (1 - s), which needs no exp."))
    compare(exercise, "dx", dx, reference.sigmoid_backward(dout, s), GRADIENT_THRESHOLD,
            hint="dx = dout * s * (1 - s) with s the (stable) output kept in the cache.")


def _softmax_targets(y, C, label_smoothing):
    """The smoothed target rows of this course (torch's), and two other forms a student may have met."""
    onehot = np.eye(C)[y]
    eps = label_smoothing
    return {"torch": (1 - eps) * onehot + eps / C,
            "eps / (C - 1)": np.where(onehot == 1, 1 - eps, eps / (C - 1)) if C > 1 else onehot,
            "notes": np.where(onehot == 1, 1 - eps, eps / (1 - C)) if C > 1 else onehot}


def check_softmax_cross_entropy(softmax_cross_entropy, seed=0, N=6, C=4, label_smoothing=0.0):
    """``softmax_cross_entropy(scores, y) -> (loss, dscores)``: loss against the reference,
    ``dscores`` against the numeric gradient of the reference loss."""
    exercise = "softmax_cross_entropy"
    rng = random_generator(seed)
    scores = 3.0 * rng.normal(size=(N, C))
    y = rng.integers(0, C, size=N)
    extra = {"label_smoothing": label_smoothing} if label_smoothing else {}
    result = _calling(softmax_cross_entropy, exercise, _broadcast_advice, scores.copy(), y.copy(), **extra)
    loss, dscores = unpack(result, ("loss", "dscores"), exercise, "softmax_cross_entropy")
    expected_loss = reference.softmax_cross_entropy(scores, y, label_smoothing)[0]
    probabilities = reference.softmax(scores)
    log_p = np.log(probabilities)
    by_column = reference.softmax(scores, axis=0)
    targets = _softmax_targets(y, C, label_smoothing)
    target = targets["torch"]
    rows = np.arange(N)
    column = "the softmax is taken over axis 0 (the batch); each row of scores is normalised over its C classes (axis=1)"
    if label_smoothing:
        smoothing = [
            (reference.softmax_cross_entropy(scores, y)[0], "label_smoothing is ignored"),
            (-np.sum(targets["eps / (C - 1)"] * log_p) / N,
             "it puts eps / (C - 1) on the other classes; this course uses torch's target (1 - eps) * onehot + eps / C"),
            (-np.sum(targets["notes"] * log_p) / N,
             "it puts eps / (1 - C) on the other classes, which is negative (an erratum in the notes); "
             "use (1 - eps) * onehot + eps / C"),
        ]
        gradient_smoothing = [
            ((probabilities - np.eye(C)[y]) / N, "label_smoothing is ignored: subtract the smoothed target"),
            ((probabilities - targets["eps / (C - 1)"]) / N,
             "it puts eps / (C - 1) on the other classes; this course uses torch's target (1 - eps) * onehot + eps / C"),
            ((probabilities - targets["notes"]) / N,
             "it puts eps / (1 - C) on the other classes, which is negative (an erratum in the notes); "
             "use (1 - eps) * onehot + eps / C"),
        ]
        indexing = []
    else:
        smoothing = gradient_smoothing = []
        indexing = [(-np.mean(log_p[:, y]), "log_probs[:, y] picks an N x N block; take each row's own label with "
                                           "log_probs[np.arange(N), y]"),
                    (-np.mean(probabilities[rows, y]), "it averages the probabilities of the correct classes, "
                                                       "not their logs"),
                    (-np.mean(log_p), "it averages -log p over every class; only the correct class counts")]
    loss_hint = ("loss = mean over the batch of -log(softmax(scores)[i, y[i]]); subtract each row's max before exp."
                 if not label_smoothing else
                 "loss = -sum(t * log_softmax(scores)) / N with t = (1 - eps) * onehot(y) + eps / C; "
                 "subtract each row's max before exp.")
    compare(
        exercise, "loss", loss, expected_loss, FORWARD_THRESHOLD, batch_size=N, hint=loss_hint,
        mistakes=[(expected_loss / np.log(10), "it uses log10 instead of the natural log")] + smoothing + indexing
        + [(-np.sum(target * np.log(by_column)) / N, column)]
        + ([(expected_loss / C, f"it divides by N * C = {N * C}; average over the N = {N} examples only")]
           if C > 1 else []),
    )
    expected = numerical_gradient(lambda v: reference.softmax_cross_entropy(v, y, label_smoothing)[0], scores)
    what = "one-hot" if not label_smoothing else "the target t"
    compare(
        exercise, "dscores", dscores, expected, GRADIENT_THRESHOLD, batch_size=N,
        hint="dscores = (softmax(scores) - onehot(y)) / N." if not label_smoothing else
             "dscores = (softmax(scores) - t) / N with t = (1 - eps) * onehot(y) + eps / C.",
        mistakes=[((target - probabilities) / N, f"the sign is flipped: it is softmax minus {what}"),
                  (probabilities / N, f"the {'one-hot ' if not label_smoothing else ''}target is not subtracted")]
        + gradient_smoothing + [((by_column - target) / N, column)],
    )


def _relu_backward_mistakes(params, X, y, reg):
    """First-layer gradients of the two-layer net with a wrong ReLU backward step, and what each means."""
    hidden = X @ params["W1"] + params["b1"]
    scores = np.maximum(hidden, 0.0) @ params["W2"] + params["b2"]
    dactivated = reference.softmax_cross_entropy(scores, y)[1] @ params["W2"].T

    def first_layer(dhidden):
        return {"W1": X.T @ dhidden + reg * params["W1"], "b1": dhidden.sum(axis=0)}
    return [(first_layer(dactivated), "the ReLU's backward step is missing between the layers: zero the gradient "
                                      "where the hidden pre-activation X @ W1 + b1 was <= 0"),
            (first_layer(dactivated * (dactivated > 0)), "the ReLU mask is built from the upstream gradient; build "
                                                         "it from the hidden pre-activation X @ W1 + b1")]


def check_two_layer_net(two_layer_net_loss, seed=0, N=5, D=4, H=6, C=3, reg=0.1):
    """``two_layer_net_loss(params, X, y, reg)``: scores, loss and all four gradients."""
    exercise = "two_layer_net"
    rng = random_generator(seed)
    params = {
        "W1": rng.normal(scale=0.5, size=(D, H)), "b1": rng.normal(scale=0.1, size=H),
        "W2": rng.normal(scale=0.5, size=(H, C)), "b2": rng.normal(scale=0.1, size=C),
    }
    X = rng.normal(size=(N, D))
    y = rng.integers(0, C, size=N)
    copy = lambda p: {k: v.copy() for k, v in p.items()}  # noqa: E731
    scores = call_student(two_layer_net_loss, exercise, copy(params), X.copy())
    expected_scores = reference_two_layer_net_loss(params, X)
    hidden = X @ params["W1"] + params["b1"]
    compare(exercise, "the scores (y=None)", scores, expected_scores, FORWARD_THRESHOLD,
            hint="scores = relu(X @ W1 + b1) @ W2 + b2, with no softmax.",
            mistakes=[(reference.softmax(expected_scores), "the softmax is applied; return the raw scores "
                                                           "(the loss applies the softmax)"),
                      (np.maximum(expected_scores, 0.0), "a ReLU is applied to the scores; the last affine layer "
                                                         "has no activation"),
                      (hidden @ params["W2"] + params["b2"], "the ReLU between the two affine layers is missing")])
    result = call_student(two_layer_net_loss, exercise, copy(params), X.copy(), y.copy(), reg)
    loss, grads = unpack(result, ("loss", "grads"), exercise, "two_layer_net_loss")
    expected_loss = reference_two_layer_net_loss(params, X, y, reg)[0]
    penalty = 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    compare(exercise, "loss", loss, expected_loss, FORWARD_THRESHOLD,
            hint="loss = softmax cross-entropy + 0.5 * reg * (sum(W1**2) + sum(W2**2)).",
            mistakes=[(expected_loss - penalty, "the regularization term is missing"),
                      (expected_loss + penalty, "the regularization term is counted twice (use 0.5 * reg)"),
                      (expected_loss + 0.5 * reg * (np.sum(params["b1"] ** 2) + np.sum(params["b2"] ** 2)),
                       "the biases are penalised too; only W1 and W2 are")])
    relu_mistakes = _relu_backward_mistakes(params, X, y, reg)
    if not isinstance(grads, dict):
        raise CheckFailed(f"{exercise}: grads should be a dict with keys W1, b1, W2, b2, got {type(grads).__name__}.")
    for name in ("W1", "b1", "W2", "b2"):
        if name not in grads:
            raise CheckFailed(f"{exercise}: grads has no entry {name!r}; it needs W1, b1, W2 and b2.")

        def loss_of(value, name=name):
            changed = dict(params, **{name: value})
            return reference_two_layer_net_loss(changed, X, y, reg)[0]

        expected = numerical_gradient(loss_of, params[name].copy())
        if name[0] == "W":
            mistakes = [(expected - reg * params[name], "the gradient of the regularization term (reg * W) is missing"),
                        (expected + reg * params[name], "the regularization gradient is added twice"),
                        (expected - 0.5 * reg * params[name],
                         "the regularization gradient is reg * W, not 0.5 * reg * W (the 1/2 cancels the square's 2)")]
        else:
            mistakes = [(expected + reg * params[name], "the biases are not regularized: their gradient has no reg * b")]
        mistakes += [(wrong[name], meaning) for wrong, meaning in relu_mistakes if name in wrong]
        compare(exercise, f"grads[{name!r}]", grads[name], expected, GRADIENT_THRESHOLD, batch_size=N,
                hint="backpropagate in reverse order: affine2, then ReLU, then affine1; add reg * W to each weight gradient.",
                mistakes=mistakes)
