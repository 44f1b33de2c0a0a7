"""Checks for lab 02: LeakyReLU, ELU and tanh backward; BCE with logits; the Huber loss.

Same pattern as ``backprop.py``: seeded float64 inputs, forward values against the reference in
``course.layers`` (Huber: against its formula, torch's ``F.huber_loss`` with the mean), gradients
against the numeric gradient of the reference with a random non-uniform upstream gradient,
inputs kept away from kinks, and a one-line CheckFailed that names typical mistakes.
The smoothed cross-entropy exercise reuses ``check_softmax_cross_entropy`` from ``backprop.py``.
"""
import numpy as np

from .. import layers as reference
from ..gradcheck import numerical_gradient
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
from .exactness import compare, exact, wide_range


def _activation_check(exercise, forward, backward, reference_forward, x, rng, kwargs, hint, forward_mistakes, mistakes,
                      reference_backward, idea, stress=False):
    """Forward value of ``forward(x, **kwargs)``, then dx of ``backward(dout, cache)`` against numeric,
    then against the exact gradient (backprop, not finite differences of the forward pass)."""
    forward_name = getattr(forward, "__name__", "forward")
    out, cache = unpack(call_student(forward, exercise, x.copy(), **kwargs), ("out", "cache"), exercise, forward_name)
    compare(exercise, f"the output of {forward_name}", out, reference_forward(x, **kwargs)[0], FORWARD_THRESHOLD,
            mistakes=forward_mistakes)
    dout = upstream_gradient(rng, x.shape)
    dx = call_student(backward, exercise, dout, cache)
    expected = numerical_gradient(lambda v: reference_forward(v, **kwargs)[0], x, dout)
    compare(exercise, "dx", dx, expected, GRADIENT_THRESHOLD, hint=hint, mistakes=mistakes(dout))
    exact(exercise, "dx", dx, reference_backward(dout, reference_forward(x, **kwargs)[1]), idea=idea)
    if stress:  # piecewise linear: values over six orders of magnitude leave no step h that is exact for all
        from .backprop import _exact_on
        _exact_on(exercise, forward, backward, reference_forward, reference_backward, wide_range(rng, x), rng, idea,
                  **kwargs)


def check_leaky_relu_backward(leaky_relu_forward, leaky_relu_backward, seed=0, shape=(5, 7), alpha=0.01):
    """``leaky_relu_forward(x, alpha)`` against ``where(x > 0, x, alpha x)``; its backward against numeric."""
    rng = random_generator(seed)
    x = away_from_kinks(rng, shape)
    positive = x > 0
    _activation_check(
        "leaky_relu_backward", leaky_relu_forward, leaky_relu_backward, reference.leaky_relu_forward, x, rng,
        {"alpha": alpha}, reference_backward=reference.leaky_relu_backward, idea="the slope of each piece, times dout", stress=True,
        hint="the slope is 1 where x > 0 and alpha elsewhere, times dout; build the mask from x, not from dout.",
        forward_mistakes=[(np.maximum(x, 0.0), "it is plain ReLU: the negative side needs alpha * x")],
        mistakes=lambda dout: [
            (np.where(positive, dout, 0.0), "it is the ReLU gradient: the slope alpha for x <= 0 is missing"),
            (np.where(dout > 0, dout, alpha * dout), "the mask is built from dout instead of x"),
            (np.where(positive, 1.0, alpha), "it returns the local derivative without multiplying by dout"),
            (np.where(positive, dout, alpha * x), "it uses alpha * x where it needs alpha * dout"),
            (np.where(positive, alpha * dout, dout), "the two slopes are swapped (1 belongs to x > 0)"),
        ],
    )


def check_elu_backward(elu_forward, elu_backward, seed=0, shape=(5, 7), alpha=1.0):
    """``elu_forward(x, alpha)`` against ``where(x > 0, x, alpha (e^x - 1))``; its backward against numeric."""
    rng = random_generator(seed)
    x = away_from_kinks(rng, shape)
    positive = x > 0
    exp_negative = np.exp(np.minimum(x, 0.0))
    _activation_check(
        "elu_backward", elu_forward, elu_backward, reference.elu_forward, x, rng, {"alpha": alpha},
        reference_backward=reference.elu_backward, idea="the derivative of each piece, times dout",
        hint="for x <= 0, d/dx alpha (e^x - 1) = alpha e^x (= out + alpha); for x > 0 the slope is 1.",
        forward_mistakes=[(np.where(positive, x, np.expm1(np.minimum(x, 0.0))), "alpha is missing on the negative side"),
                          (np.maximum(x, 0.0), "it is plain ReLU: the negative side needs alpha * (exp(x) - 1)")],
        mistakes=lambda dout: [
            (np.where(positive, dout, dout * exp_negative), "alpha is missing: the slope for x <= 0 is alpha * exp(x)"),
            (np.where(positive, dout, dout * alpha * (exp_negative - 1.0)),
             "it multiplies by the output alpha (e^x - 1) instead of its derivative alpha e^x"),
            (np.where(positive, dout, 0.0), "it is the ReLU gradient: the negative side is missing"),
            (np.where(positive, 1.0, alpha * exp_negative), "it returns the local derivative without multiplying by dout"),
            (np.where(dout > 0, dout, dout * alpha * exp_negative), "the mask is built from dout instead of x"),
        ],
    )


def check_tanh_backward(tanh_forward, tanh_backward, seed=0, shape=(5, 7)):
    """``tanh_forward`` against ``np.tanh`` and ``tanh_backward`` against numeric gradients."""
    rng = random_generator(seed)
    x = 1.5 * rng.normal(size=shape)
    t = np.tanh(x)
    _activation_check(
        "tanh_backward", tanh_forward, tanh_backward, reference.tanh_forward, x, rng, {},
        reference_backward=reference.tanh_backward, idea="tanh's derivative written with its own output, times dout",
        hint="tanh's derivative can be written with its own output t = tanh(x), which the forward pass can keep in "
             "the cache (section 1).",
        forward_mistakes=[(2.0 / (1.0 + np.exp(-x)) - 1.0, "it is 2 sigmoid(x) - 1; tanh(x) = 2 sigmoid(2x) - 1")],
        mistakes=lambda dout: [
            (1.0 - t * t, "it returns the local derivative without multiplying by dout"),
            (dout * (1.0 - x * x), "it uses x where it needs t = tanh(x)"),
            (dout * (1.0 - t), "it uses 1 - t instead of 1 - t**2"),
            (dout * t * (1.0 - t), "it uses the sigmoid rule s (1 - s); for tanh it is 1 - t**2"),
        ],
    )


BCE_EXTREMES = ((1000.0, 0.0), (-1000.0, 1.0), (40.0, 0.0), (-40.0, 1.0), (1000.0, 1.0), (-1000.0, 0.0))
STABLE_BCE_HINT = ("write the loss with the logit x itself instead of log(p) and log(1 - p): with softplus, "
                   "-log sigmoid(x) = log(1 + exp(-x)), split so that no exp of a large positive number and no log of "
                   "0 appear (section 5, the stable form).")


def check_bce_with_logits(bce_with_logits, seed=0, shape=(6, 3)):
    """``bce_with_logits(logits, target) -> (loss, dlogits)``: mean loss against the reference (confident
    logits of +-1000 and +-40, right and wrong, test stability), ``dlogits`` against the numeric gradient,
    and exactly (backprop, not finite differences)."""
    exercise = "bce_with_logits"
    rng = random_generator(seed)
    logits = 2.0 * rng.normal(size=shape)
    target = rng.integers(0, 2, size=shape).astype(np.float64)
    flat_logits, flat_target = logits.reshape(-1), target.reshape(-1)
    places = rng.permutation(flat_logits.size)[:len(BCE_EXTREMES)]
    for place, (logit, label) in zip(places, BCE_EXTREMES):  # 1 - sigmoid(40) is 0.0 in float64
        flat_logits[place], flat_target[place] = logit, label
    size = logits.size
    result = call_student(bce_with_logits, exercise, logits.copy(), target.copy())
    loss, dlogits = unpack(result, ("loss", "dlogits"), exercise, "bce_with_logits")
    expected_loss, exact_dlogits = reference.bce_with_logits(logits, target)
    wrong = (np.abs(logits) >= 40) & ((logits > 0) != (target > 0.5))
    worst = flat_logits[places[0]], flat_target[places[0]]
    for output, got in (("loss", loss), ("dlogits", dlogits)):
        try:
            values = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            continue
        if values.size and not np.all(np.isfinite(values)):
            bad = values.reshape(-1)[np.argmax(~np.isfinite(values.reshape(-1)))]
            raise CheckFailed(
                f"{exercise}: {output} contains {bad} for confident logits (a logit of {worst[0]:g} with target "
                f"{worst[1]:g} among them, {int(wrong.sum())} confidently wrong): sigmoid(1000) is 1.0 in float64, so "
                f"log(1 - p) is log(0) = -inf, and np.exp(1000) is inf. Hint: {STABLE_BCE_HINT}",
                mistake=Mistake.named(exercise, output, "it overflows for logits of +-1000"))
    per_element = np.maximum(logits, 0.0) - logits * target + np.log1p(np.exp(-np.abs(logits)))
    probabilities = reference.sigmoid_forward(logits)[0]
    clipped = [(-np.mean(target * np.log(np.clip(probabilities, e, 1 - e))
                         + (1 - target) * np.log(np.clip(1 - probabilities, e, 1 - e))),
                "it clips the probabilities, which caps the loss of the confidently wrong logits (+-40, +-1000); "
                "use the stable form instead") for e in (1e-7, 1e-8, 1e-10, 1e-12, 1e-15, 1e-100, 1e-300)]
    compare(
        exercise, "loss", loss, expected_loss, FORWARD_THRESHOLD, batch_size=size,
        hint="BCE = -mean(t log p + (1 - t) log(1 - p)) with p = sigmoid(x); " + STABLE_BCE_HINT,
        mistakes=[(-expected_loss, "the minus sign is missing: BCE is minus the mean log-likelihood"),
                  (np.sum(per_element), f"it sums over the {size} elements instead of taking the mean")] + clipped,
    )
    expected = numerical_gradient(lambda v: reference.bce_with_logits(v, target)[0], logits)
    compare(
        exercise, "dlogits", dlogits, expected, GRADIENT_THRESHOLD, batch_size=size,
        hint=f"with logits the sigmoid's derivative cancels against the log's: the gradient of one element is the "
             f"prediction minus the target, and the mean divides it by the {size} elements.",
        mistakes=[(probabilities - target, f"it is the gradient of the sum: divide by the {size} elements"),
                  ((target - probabilities) / size, "the sign is flipped: it is sigmoid(x) minus the target"),
                  (probabilities * (1 - probabilities) * (probabilities - target) / size,
                   "it multiplies by sigmoid'(x) again; with logits the two factors cancel")],
    )
    exact(exercise, "dlogits", dlogits, exact_dlogits, idea="the chain rule through the sigmoid and the log")


def huber_value(pred, target, delta=1.0):
    """``mean`` of ``r**2 / 2`` where ``|r| <= delta`` and ``delta (|r| - delta / 2)`` elsewhere,
    ``r = pred - target``: the semantics of ``torch.nn.functional.huber_loss(pred, target, delta=delta)``."""
    r = np.asarray(pred, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    small = np.abs(r) <= delta
    return float(np.mean(np.where(small, 0.5 * r * r, delta * (np.abs(r) - 0.5 * delta))))


def _residuals_away_from_delta(rng, shape, delta, margin=0.05):
    r = 1.5 * delta * rng.normal(size=shape)
    size = np.abs(r)
    near = np.abs(size - delta) < margin * delta
    r = np.sign(r) * np.where(near, np.where(size >= delta, delta * (1 + margin), delta * (1 - margin)), size)
    flat = r.reshape(-1)
    flat[0] = 1000.0 * delta  # outliers, large: a difference quotient of the loss drowns in rounding
    if flat.size > 1:
        flat[1] = -600.0 * delta
    return r


def check_huber_loss(huber_loss, seed=0, shape=(6, 3), delta=1.0):
    """``huber_loss(pred, target, delta) -> (loss, dpred)`` with the mean over all elements, as
    ``torch.nn.functional.huber_loss``; residuals stay away from +-delta where the pieces meet."""
    exercise = "huber_loss"
    rng = random_generator(seed)
    target = rng.normal(size=shape)
    r = _residuals_away_from_delta(rng, shape, delta)
    pred = target + r
    r = pred - target
    size = pred.size
    result = call_student(huber_loss, exercise, pred.copy(), target.copy(), delta=delta)
    loss, dpred = unpack(result, ("loss", "dpred"), exercise, "huber_loss")
    expected_loss = huber_value(pred, target, delta)
    small = np.abs(r) <= delta
    compare(
        exercise, "loss", loss, expected_loss, FORWARD_THRESHOLD, batch_size=size,
        hint="Huber is quadratic (with the factor 1/2) for residuals up to delta and linear beyond, the two pieces "
             "meeting with the same value and slope at |r| = delta; the mean runs over all elements (section 6).",
        mistakes=[(np.mean(r * r), "it is the MSE: the outliers need the linear piece"),
                  (np.mean(np.abs(r)), "it is the MAE: small residuals need the quadratic piece"),
                  (np.mean(np.where(small, r * r, delta * (np.abs(r) - 0.5 * delta))),
                   "the quadratic piece needs the factor 1/2"),
                  (np.mean(np.where(small, 0.5 * r * r, delta * np.abs(r))),
                   "the linear piece must be delta * (|r| - delta / 2) so that the two pieces meet at |r| = delta"),
                  (expected_loss / delta, "it is smooth L1, which is Huber divided by delta"),
                  (expected_loss * size, f"it sums over the {size} elements instead of taking the mean")],
    )
    expected = numerical_gradient(lambda v: huber_value(v, target, delta), pred)
    clipped = np.clip(r, -delta, delta)
    compare(
        exercise, "dpred", dpred, expected, GRADIENT_THRESHOLD, batch_size=size,
        hint=f"differentiate each piece: the quadratic piece gives the residual, the linear piece a constant of size "
             f"delta with the residual's sign; then divide by the {size} elements of the mean.",
        mistakes=[(r / size, "it is the MSE-like gradient r / N without clipping: outliers must be capped at +-delta"),
                  (2 * r / size, "it is the MSE gradient 2 r / N: outliers must be capped at +-delta"),
                  (np.sign(r) / size, "it is the MAE gradient sign(r) / N: small residuals give r"),
                  (clipped, f"it is the gradient of the sum: divide by the {size} elements"),
                  (-clipped / size, "the sign is flipped: the gradient with respect to pred is +(pred - target)")],
    )
    exact(exercise, "dpred", dpred, clipped / size, idea="the derivative of each piece")
