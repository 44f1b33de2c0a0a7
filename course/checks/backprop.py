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
from ..gradcheck import numerical_gradient
from ..two_layer_net import two_layer_net_loss as reference_two_layer_net_loss
from .judging import (
    FORWARD_THRESHOLD,
    GRADIENT_THRESHOLD,
    CheckFailed,
    Mistake,
    away_from_kinks,
    call_student,
    random_generator,
    unpack,
    upstream_gradient,
)
from .exactness import LARGE_OFFSET, because_of, compare, exact, wide_range


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
    not_flat = (f"Hint: x has shape {x.shape}: flatten each example into one row first, which gives shape "
                f"({N}, {x[0].size}), and multiply that by w.") if x.ndim > 2 else None
    result = _calling(affine_forward, exercise, lambda text: not_flat if "matmul" in text or "align" in text else None,
                      x, w, b)
    out, _cache = unpack(result, ("out", "cache"), exercise, "affine_forward")
    x_flat = x.reshape(N, -1)
    compare(
        exercise, "out", out, reference.affine_forward(x, w, b)[0], FORWARD_THRESHOLD,
        hint="each example is flattened into one row of D numbers first; then every row is multiplied by w "
             "and shifted by b (section 1, the affine layer).",
        mistakes=[(x_flat @ w, "the bias b is missing"), (x_flat @ w - b, "the bias is subtracted")],
    )


def check_affine_backward(affine_forward, affine_backward, seed=0, N=4, input_shape=(3, 5), M=6):
    """Gradients ``dx, dw, db`` of ``affine_backward`` against numeric gradients."""
    exercise = "affine_backward"
    rng, x, w, b = _affine_inputs(seed, N, input_shape, M)
    # The lab fixes the cache's format (affine_backward's first line unpacks x, w, b outside the solution
    # region), so the backward pass is judged on the check's own cache: a mistake in affine_forward costs
    # affine_forward's points only. affine_forward stays in the signature for the notebooks' calls.
    cache = (x.copy(), w.copy(), b.copy())
    dout = upstream_gradient(rng, (N, M))
    D = w.shape[0]
    shapes = (f"Hint: match the shapes: dout is ({N}, {M}), w is ({D}, {M}) and x flattened is ({N}, {D}); each "
              "gradient has the shape of its variable, and only one product of these arrays (with one of them "
              "transposed) has that shape.")
    result = _calling(affine_backward, exercise, lambda text: shapes if "matmul" in text or "align" in text
                      or "broadcast" in text else None, dout, cache)
    dx, dw, db = unpack(result, ("dx", "dw", "db"), exercise, "affine_backward")
    expected_dx = numerical_gradient(lambda v: reference.affine_forward(v, w, b)[0], x, dout)
    expected_dw = numerical_gradient(lambda v: reference.affine_forward(x, v, b)[0], w, dout)
    expected_db = numerical_gradient(lambda v: reference.affine_forward(x, w, v)[0], b, dout)
    compare(
        exercise, "dx", dx, expected_dx, GRADIENT_THRESHOLD,
        hint="x reaches out through w, so dx goes back through w transposed, and has the shape of x.",
        mistakes=[((dout @ w).reshape(x.shape), "it multiplies by w where it needs w.T")] if D == M else [],
    )
    dw_hint = "each w[d, m] multiplies x_flat[:, d] in out[:, m]: pair the flattened x with dout, summed over the batch."
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
    exact_dx, exact_dw, exact_db = reference.affine_backward(dout, (x, w, b))
    for output, got, expected in (("dx", dx, exact_dx), ("dw", dw, exact_dw), ("db", db, exact_db)):
        exact(exercise, output, got, expected, idea="the shapes of dout, w and x: each gradient is one product")
    # The gradients do not depend on b: with a bias of a million, a difference quotient of out drowns in rounding.
    big_b = b + LARGE_OFFSET
    label = f" (with b near {LARGE_OFFSET:g})"
    grads = unpack(call_student(affine_backward, exercise, dout, (x, w, big_b)), ("dx", "dw", "db"), exercise,
                   "affine_backward")
    for output, got, expected in zip(("dx", "dw", "db"), grads, reference.affine_backward(dout, (x, w, big_b))):
        compare(exercise, output + label, got, expected, GRADIENT_THRESHOLD)
        exact(exercise, output + label, got, expected, idea="the shapes of dout, w and x: each gradient is one product")


def _elementwise_backward_check(exercise, forward, backward, reference_forward, x, rng, hint, mistakes,
                                forward_hint="", forward_mistakes=(), forward_shapes=(), reference_backward=None,
                                idea="the derivative of the function, times dout", stress=False):
    """Shared by the activation checks: forward value, then dx against the numeric gradient, then
    dx against the exact gradient (``reference_backward``) to tell backprop from finite differences."""
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
    if reference_backward is not None:
        exact(exercise, "dx", dx, reference_backward(dout, reference_forward(x)[1]), idea=idea)
    if reference_backward is not None and stress:
        _exact_on(exercise, forward, backward, reference_forward, reference_backward, wide_range(rng, x), rng, idea)


def _exact_on(exercise, forward, backward, reference_forward, reference_backward, x, rng, idea, **kwargs):
    """dx of the student's layer on ``x`` (values over six orders of magnitude), against the exact one."""
    forward_name = getattr(forward, "__name__", "forward")
    _out, cache = unpack(call_student(forward, exercise, x, **kwargs), ("out", "cache"), exercise, forward_name)
    dout = upstream_gradient(rng, x.shape)
    dx = call_student(backward, exercise, dout, cache)
    compare(exercise, "dx (inputs from 0.01 to 10000 in size)", dx, reference_backward(dout, reference_forward(x, **kwargs)[1]),
            GRADIENT_THRESHOLD)
    exact(exercise, "dx (inputs from 0.01 to 10000 in size)", dx,
          reference_backward(dout, reference_forward(x, **kwargs)[1]), idea=idea)


def check_relu_backward(relu_forward, relu_backward, seed=0, shape=(5, 7)):
    """``relu_forward`` against ``max(0, x)`` and ``relu_backward`` against numeric gradients."""
    rng = random_generator(seed)
    x = away_from_kinks(rng, shape)
    reduced = "it has the shape of a maximum along axis 0, np.max(x, 0), instead of the maximum of each entry and 0"
    _elementwise_backward_check(
        "relu_backward", relu_forward, relu_backward, reference.relu_forward, x, rng,
        reference_backward=reference.relu_backward, stress=True,
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
        reference_backward=reference.sigmoid_backward,
        hint="the sigmoid's derivative can be written with its own output s = sigmoid(x), which the forward pass "
             "can keep in the cache (section 3, the sigmoid's local derivative).",
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


STABLE_SIGMOID_HINT = ("an exp of a large positive number overflows, so use the form of the sigmoid whose exp "
                       "stays at most 1 on each side of 0 (Exercise 4: each form is safe on one side of 0).")
LOG_SIGMOID_HINT = ("log sigmoid(x) = -log(1 + exp(-x)); write it so that no exp of a large positive number and no "
                    "log of a number that rounded to 0 appear (split off the part that is linear in x for x < 0, "
                    "and use np.log1p for a log of 1 plus something small).")
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


def reference_log_sigmoid(x):
    """``log(sigmoid(x))``, finite for every float64 x (``torch.nn.functional.logsigmoid``)."""
    x = np.asarray(x, dtype=np.float64)
    return np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))


def _extreme_inputs(rng, shape):
    x = 3.0 * rng.normal(size=shape)
    flat = x.reshape(-1)
    extremes = EXTREME_INPUTS[:flat.size]
    flat[rng.permutation(flat.size)[:len(extremes)]] = extremes
    return x


def check_sigmoid_stable(sigmoid_forward, sigmoid_backward, log_sigmoid, seed=0, shape=(4, 6)):
    """Sigmoid forward and backward, and ``log_sigmoid``, on inputs up to +-1000, where ``np.exp``
    overflows (above about 709.78 it is inf in float64). Judged on the returned values only:
    the sigmoid's outputs and gradients must be finite and equal torch's (0 and 1 at the extremes),
    and ``log_sigmoid(x)`` must equal ``torch.nn.functional.logsigmoid`` (about -1000 at x = -1000).

    The sigmoid's values cannot show every overflow (``1 / (1 + np.exp(-x))`` at x = -1000 is
    1 / inf = 0, right, with a warning only); its logarithm can: ``np.log`` of a sigmoid that rounded
    to 0 is -inf, where the true value is -1000. So stability is judged on ``log_sigmoid``.
    """
    try:
        _judge_sigmoid_stable(sigmoid_forward, sigmoid_backward, log_sigmoid, seed, shape)
    except CheckFailed as failure:
        if "log_sigmoid" in str(failure) or getattr(log_sigmoid, "__name__", "") in str(failure).split(":")[1]:
            raise
        try:  # one mistake, one exercise: a sigmoid that is wrong everywhere fails its own exercise first
            check_sigmoid_backward(sigmoid_forward, sigmoid_backward, seed=seed)
        except CheckFailed as earlier:
            raise because_of(failure, "sigmoid_stable", "sigmoid_forward or sigmoid_backward", earlier) from None
        raise


def _judge_sigmoid_stable(sigmoid_forward, sigmoid_backward, log_sigmoid, seed, shape):
    exercise = "sigmoid_stable"
    rng = random_generator(seed)
    x = _extreme_inputs(rng, shape)
    forward_name = getattr(sigmoid_forward, "__name__", "sigmoid_forward")
    overflow = (lambda text: "Hint: " + STABLE_SIGMOID_HINT
                if "Overflow" in text or "FloatingPointError" in text or "math range" in text else None)
    out, cache = unpack(_calling(sigmoid_forward, exercise, overflow, x.copy()), ("out", "cache"), exercise, forward_name)

    def forward_explanation(value, at):
        ratio = ", and a ratio of two infinities such as exp(x) / (1 + exp(x)) is nan" if np.isnan(value) else ""
        return f"np.exp({abs(at):g}) overflows to inf in float64{ratio}. Hint: {STABLE_SIGMOID_HINT}"

    _first_not_finite(exercise, forward_name, out, x, forward_explanation)
    s = reference.sigmoid_forward(x)[0]
    compare(exercise, f"the output of {forward_name}", out, s, FORWARD_THRESHOLD, hint=STABLE_SIGMOID_HINT)
    dout = upstream_gradient(rng, x.shape)
    backward_name = getattr(sigmoid_backward, "__name__", "sigmoid_backward")
    dx = _calling(sigmoid_backward, exercise, overflow, dout, cache)
    _first_not_finite(exercise, backward_name, dx, x, lambda value, at: (
        "the exp of a large number is inf, and inf / inf or inf * 0 is nan. Hint: the sigmoid's derivative can be "
        "written with its output s alone, which the forward pass can keep in the cache; that needs no exp."))
    compare(exercise, "dx", dx, reference.sigmoid_backward(dout, s), GRADIENT_THRESHOLD,
            hint="the derivative written with the (stable) output s kept in the cache needs no exp.")

    log_name = getattr(log_sigmoid, "__name__", "log_sigmoid")
    log_values = _calling(log_sigmoid, exercise, lambda text: "Hint: " + LOG_SIGMOID_HINT
                          if "Overflow" in text or "math" in text or "divide" in text else None, x.copy())
    if isinstance(log_values, tuple):
        raise CheckFailed(f"{exercise}: {log_name} should return one array (log sigmoid(x)), got a tuple of "
                          f"{len(log_values)} values.")

    def log_explanation(value, at):
        if at < 0:
            return (f"sigmoid({at:g}) rounds to 0 in float64 and log(0) is -inf, while log sigmoid({at:g}) is "
                    f"about {at:g}. Hint: {LOG_SIGMOID_HINT}")
        return f"np.exp({abs(at):g}) overflows to inf in float64 on the way. Hint: {LOG_SIGMOID_HINT}"

    _first_not_finite(exercise, log_name, log_values, x, log_explanation)
    expected = reference_log_sigmoid(x)
    compare(exercise, f"the output of {log_name}", log_values, expected, FORWARD_THRESHOLD, hint=LOG_SIGMOID_HINT,
            mistakes=[(np.log(np.clip(s, 1e-300, None)),
                       "it is the log of the sigmoid's value, which loses every input below about -745 "
                       "(sigmoid(-745) is the smallest positive float64)"),
                      (reference_log_sigmoid(-x), "it is log sigmoid(-x) = log(1 - sigmoid(x)): the sign of x is flipped"),
                      (s, "it returns the sigmoid itself, not its logarithm")])


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
    exact(exercise, "dscores", dscores, reference.softmax_cross_entropy(scores, y, label_smoothing)[1],
          idea="the derivative of -log softmax, which is the softmax minus the target, divided by N")
    _judge_large_logits(exercise, softmax_cross_entropy, rng, N, C, y, label_smoothing, extra)


STABLE_SOFTMAX_HINT = ("the softmax does not change when the same number is subtracted from every score of a row, so "
                       "shift each row by its largest score before exponentiating (the softmax section: numerical stability).")


def _large_logits(rng, N, C):
    """Scores of a few units, with rows shifted by +1000 and -1000 (which only a max shift survives) and one
    confident wrong score, 30 above the rest: large, yet a softmax computed with the shift the lab teaches and
    then its log stays finite (a gap of 1000 would need log-sum-exp, which the lab does not ask for)."""
    scores = 3.0 * rng.normal(size=(N, C))
    scores[0] += 1000.0
    if N > 1:
        scores[1] -= 1000.0
    if N > 2 and C > 1:
        scores[2, rng.integers(0, C)] += 30.0 + scores[2].max() - scores[2].min()
    return scores


def _judge_large_logits(exercise, softmax_cross_entropy, rng, N, C, y, label_smoothing, extra):
    """The loss and dscores for scores of +-1000 (the stability the lab teaches): finite, and right."""
    scores = _large_logits(rng, N, C)
    stable = ("Hint: " + STABLE_SOFTMAX_HINT)
    result = _calling(softmax_cross_entropy, exercise, lambda text: stable if "Overflow" in text else None,
                      scores.copy(), y.copy(), **extra)
    loss, dscores = unpack(result, ("loss", "dscores"), exercise, "softmax_cross_entropy")
    expected_loss, expected_dscores = reference.softmax_cross_entropy(scores, y, label_smoothing)
    for output, got in (("loss", loss), ("dscores", dscores)):
        try:
            values = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            continue
        if values.size and not np.all(np.isfinite(values)):
            bad = values.reshape(-1)[np.argmax(~np.isfinite(values.reshape(-1)))]
            raise CheckFailed(
                f"{exercise}: for scores of +-1000 (rows shifted by 1000 and by -1000) {output} contains {bad}, "
                f"expected finite values (the loss is {float(expected_loss):.6g}): np.exp(1000) is inf in float64 and "
                "np.exp(-1000) is 0, so an unshifted softmax gives inf / inf or 0 / 0, which is nan. "
                f"Hint: {STABLE_SOFTMAX_HINT}",
                mistake=Mistake.named(exercise, output, "it overflows for scores of +-1000 (no max shift)"))
    compare(exercise, "loss for scores of +-1000", loss, expected_loss, FORWARD_THRESHOLD, hint=STABLE_SOFTMAX_HINT)
    compare(exercise, "dscores for scores of +-1000", dscores, expected_dscores, GRADIENT_THRESHOLD,
            hint=STABLE_SOFTMAX_HINT)


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


def check_two_layer_net(two_layer_net_loss, seed=0, N=5, D=4, H=6, C=3, reg=0.1, affine_forward=None,
                        affine_backward=None, relu_forward=None, relu_backward=None, softmax_cross_entropy=None):
    """``two_layer_net_loss(params, X, y, reg)``: scores, loss and all four gradients, the gradients
    also exact (backprop, not finite differences).

    The lab's net calls the layers of the earlier exercises; pass them (``affine_forward=...``) and a
    failure that one of them explains says so: "fails because your relu_backward is wrong: fix that
    first", with that function's own diagnosis.
    """
    try:
        _judge_two_layer_net(two_layer_net_loss, seed, N, D, H, C, reg)
    except CheckFailed as failure:
        parts = [("affine_forward", lambda: check_affine_forward(affine_forward), affine_forward is not None),
                 ("affine_backward", lambda: check_affine_backward(affine_forward, affine_backward),
                  affine_backward is not None),
                 ("relu_backward", lambda: check_relu_backward(relu_forward, relu_backward),
                  relu_forward is not None and relu_backward is not None),
                 ("softmax_cross_entropy", lambda: check_softmax_cross_entropy(softmax_cross_entropy),
                  softmax_cross_entropy is not None)]
        for name, run, given in parts:
            if not given:
                continue
            try:
                run()
            except CheckFailed as earlier:
                shown = "relu_forward or relu_backward" if name == "relu_backward" else name
                raise because_of(failure, "two_layer_net", shown, earlier) from None
        raise


def _judge_two_layer_net(two_layer_net_loss, seed, N, D, H, C, reg):
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
    exact_grads = reference_two_layer_net_loss(params, X, y, reg)[1]
    for name in ("W1", "b1", "W2", "b2"):
        exact(exercise, f"grads[{name!r}]", grads[name], exact_grads[name],
              idea="the backward passes of the layers, in reverse order")
