"""Checks for lab 04: BatchNorm forward (with running statistics), its backward pass node by node and
in closed form, LayerNorm, dropout.

Forward values are compared with the reference in ``course.layers``; gradients with the numeric
gradient of the reference forward, for a random, non-uniform ``dout`` (with a uniform one the true
BatchNorm dx is zero and a wrong dx can look right). Running statistics must follow
``torch.nn.BatchNorm1d`` exactly.
"""
import numpy as np

from ..gradcheck import numerical_gradient
from ..layers.batchnorm import batchnorm_backward as reference_batchnorm_backward
from ..layers.batchnorm import batchnorm_forward as reference_batchnorm_forward
from ..layers.layer_group_norm import layernorm_backward as reference_layernorm_backward
from ..layers.layer_group_norm import layernorm_forward as reference_layernorm_forward
from ..layers.normalization import standardize, standardize_backward
from .judging import (
    FORWARD_THRESHOLD,
    GRADIENT_THRESHOLD,
    CheckFailed,
    Mistake,
    call_student,
    note,
    random_generator,
    unpack,
    upstream_gradient,
)
from .exactness import because_of, compare, exact

EPS = 1e-5
GAMMA_MISSING = "gamma is missing: the upstream gradient reaches x_hat through the scale gamma"


def _enough_values(check, name, count):
    """With only two values to normalize, x_hat is +-1 whatever x is, the true dx is of the order of
    eps and central differences cannot judge it; the checks need at least three."""
    if count < 3:
        raise ValueError(f"{check}: {name} must be at least 3 (with 2 values per group dx is nearly zero), got {count}.")


def _affine(x_hat, gamma, beta):
    return gamma * x_hat + beta


def _normalization_mistakes(x, gamma, beta, axis, other_axis_meaning):
    """Wrong forward outputs every normalization layer invites."""
    x_hat, _ = standardize(x, axis, EPS)
    centered = x - x.mean(axis=axis, keepdims=True)
    unbiased = x.var(axis=axis, ddof=1, keepdims=True)
    return [
        (_affine(centered / np.sqrt(unbiased + EPS), gamma, beta),
         "it normalizes with the unbiased variance (divide by N - 1); normalizing uses the biased one (divide by N)"),
        (_affine(centered / (x.std(axis=axis, keepdims=True) + EPS), gamma, beta),
         "eps is added outside the square root; divide by sqrt(var + eps)"),
        (_affine(centered / (x.var(axis=axis, keepdims=True) + EPS), gamma, beta),
         "it divides by var + eps instead of its square root: x_hat = (x - mean) / sqrt(var + eps)"),
        (_affine(x_hat, beta, gamma), "gamma and beta are swapped: gamma scales x_hat and beta shifts it"),
        (x_hat, "gamma and beta are not applied"),
        (_affine(standardize(x, 1 - axis, EPS)[0], gamma, beta), other_axis_meaning),
    ]


def _bn_batch(rng, N, D):
    """A batch whose features have means far from 0 and variances far from 1."""
    return rng.uniform(0.5, 3.0, size=D) * rng.normal(size=(N, D)) + rng.normal(scale=2.0, size=D)


def _check_running_statistic(exercise, bn_param, key, expected, previous, batch_value, momentum, step, extra_mistakes=()):
    if key not in bn_param:
        raise CheckFailed(
            f"{exercise}: bn_param has no {key!r} after a training step; create it when it is missing "
            "(torch starts from running_mean = zeros and running_var = ones) and store it in bn_param."
        )
    compare(
        exercise, f"bn_param[{key!r}] after training step {step + 1}", bn_param[key], expected, FORWARD_THRESHOLD,
        hint=f"{key} = (1 - momentum) * {key} + momentum * batch value, with momentum = {momentum} (torch's convention).",
        mistakes=[
            (momentum * previous + (1 - momentum) * batch_value,
             "momentum is applied the wrong way round: torch keeps (1 - momentum) of the old value"),
            (previous, f"{key} was not updated in training mode"),
            (batch_value, "it is replaced by the batch statistic instead of averaged with the old value"),
            *extra_mistakes,
        ],
    )


def check_batchnorm_forward(batchnorm_forward, seed=0, N=8, D=5, steps=3, momentum=0.1):
    """``batchnorm_forward(x, gamma, beta, bn_param)``: several training steps (output, running
    mean and running variance as torch.nn.BatchNorm1d, updated in place), then test mode."""
    exercise = "batchnorm_forward"
    rng = random_generator(seed)
    gamma, beta = rng.normal(size=D), rng.normal(size=D)
    settings = {} if momentum == 0.1 else {"momentum": momentum}
    student_param, reference_param = {"mode": "train", **settings}, {"mode": "train", **settings}
    for step in range(steps):
        x = _bn_batch(rng, N, D)
        previous_mean = reference_param.get("running_mean", np.zeros(D)).copy()
        previous_var = reference_param.get("running_var", np.ones(D)).copy()
        held = {key: student_param.get(key) for key in ("running_mean", "running_var")}
        result = call_student(batchnorm_forward, exercise, x.copy(), gamma.copy(), beta.copy(), student_param)
        out, _cache = unpack(result, ("out", "cache"), exercise, "batchnorm_forward")
        expected = reference_batchnorm_forward(x, gamma, beta, reference_param)[0]
        compare(exercise, f"out (training step {step + 1})", out, expected, FORWARD_THRESHOLD,
                hint="x_hat = (x - mean) / sqrt(var + eps) with the mean and biased variance of each feature over the batch.",
                mistakes=_normalization_mistakes(x, gamma, beta, 0, "the statistics are taken per example (axis 1); "
                                                 "BatchNorm averages each feature over the batch (axis 0)")
                + [(_affine((x - previous_mean) / np.sqrt(previous_var + EPS), gamma, beta),
                    "it uses the running statistics in training mode; normalize with the batch's own statistics")])
        _check_running_statistic(exercise, student_param, "running_mean", reference_param["running_mean"],
                                 previous_mean, x.mean(axis=0), momentum, step)
        unbiased, biased = x.var(axis=0, ddof=1), x.var(axis=0)
        _check_running_statistic(
            exercise, student_param, "running_var", reference_param["running_var"], previous_var, unbiased, momentum, step,
            extra_mistakes=[((1 - momentum) * previous_var + momentum * biased,
                             "it is updated with the biased batch variance (divide by N); torch feeds running_var the "
                             "unbiased one (divide by N - 1)"),
                            ((1 - momentum) * previous_var + momentum * np.sqrt(unbiased),
                             "it averages the standard deviation; torch's running_var averages the unbiased variance "
                             "(one set of lecture notes averages the standard deviation in one place)")]
            + ([((1 - momentum) * 0.0 + momentum * unbiased, "running_var started from zeros; torch starts it from ones")]
               if step == 0 else []))
        for key, array in held.items():
            if array is not None and array is not student_param[key] and not np.array_equal(array, student_param[key]):
                raise CheckFailed(
                    f"{exercise}: bn_param[{key!r}] was replaced by a new array instead of updated in place; torch "
                    f"updates its buffers in place (e.g. {key} *= 1 - momentum; {key} += momentum * batch value), "
                    "so that code holding the array sees the new values."
                )

    student_param["mode"] = reference_param["mode"] = "test"
    x = _bn_batch(rng, N, D)
    before = {key: np.array(student_param[key], copy=True) for key in ("running_mean", "running_var")}
    result = call_student(batchnorm_forward, exercise, x.copy(), gamma.copy(), beta.copy(), student_param)
    out, _cache = unpack(result, ("out", "cache"), exercise, "batchnorm_forward")
    running_mean, running_var = reference_param["running_mean"], reference_param["running_var"]
    compare(exercise, "out in test mode", out, reference_batchnorm_forward(x, gamma, beta, reference_param)[0],
            FORWARD_THRESHOLD, hint="in test mode x_hat = (x - running_mean) / sqrt(running_var + eps).",
            mistakes=[(_affine(standardize(x, 0, EPS)[0], gamma, beta),
                       "it uses the batch statistics in test mode; use running_mean and running_var"),
                      (_affine((x - running_mean) / np.sqrt(running_var), gamma, beta),
                       "eps is missing: divide by sqrt(running_var + eps)"),
                      (_affine((x - running_mean) / (running_var + EPS), gamma, beta),
                       "it divides by the variance instead of its square root")])
    for key, value in before.items():
        if not np.array_equal(value, student_param[key]):
            raise CheckFailed(f"{exercise}: bn_param[{key!r}] changed in test mode; only training steps update the "
                              "running statistics.")


def _graph_dx(x, gamma, dout, unbiased=False, var_divisor=None, var_factor=2.0, inv_std_power=-1.5,
              inv_std_sign=-0.5, sum_inv_std=True, mean_divisor=None, mean_sign=-1.0):
    """dx walked back through the six nodes of lab 04's table one node at a time, the way a student does it; the
    keywords plant one slip each (the defaults give the right gradient)."""
    n = x.shape[0]
    forward_divisor = n - 1 if unbiased else n
    mean = x.mean(axis=0)
    centered = x - mean
    var = np.sum(centered ** 2, axis=0) / forward_divisor
    inv_std = (var + EPS) ** -0.5
    dx_hat = dout * gamma                                            # out = gamma * x_hat + beta
    d_centered = dx_hat * inv_std                                    # x_hat = centered * inv_std
    d_inv_std = dx_hat * centered
    if sum_inv_std:
        d_inv_std = d_inv_std.sum(axis=0)
    d_var = inv_std_sign * (var + EPS) ** inv_std_power * d_inv_std  # inv_std = (var + eps) ** -0.5
    divisor = var_divisor if var_divisor is not None else forward_divisor
    d_centered = d_centered + var_factor * centered * d_var / divisor  # var = mean(centered**2)
    d_mean = mean_sign * d_centered.sum(axis=0)                      # centered = x - mean
    return d_centered + d_mean / (mean_divisor if mean_divisor is not None else n)  # mean = mean(x)


def _graph_mistakes(x, gamma, dout):
    """Slips of a node-by-node backward pass, each with the sentence that names it."""
    n = x.shape[0]
    return [
        (_graph_dx(x, gamma, dout, unbiased=True),
         "it is the gradient of a BatchNorm that normalizes with the unbiased variance (divide by N - 1); the "
         "normalization uses the biased variance (divide by N), torch keeps the unbiased one only for running_var"),
        (_graph_dx(x, gamma, dout, var_divisor=n - 1),
         "the variance node divides by N - 1 on the way back; the forward variance divides by N, so "
         "d var / d centered = 2 * centered / N"),
        (_graph_dx(x, gamma, dout, var_factor=1.0),
         "the variance node's local derivative lacks its 2: d var / d centered = 2 * centered / N"),
        (_graph_dx(x, gamma, dout, inv_std_power=-0.5),
         "the power in d inv_std / d var is wrong: the derivative of (var + eps) ** -0.5 is -0.5 * (var + eps) ** -1.5"),
        (_graph_dx(x, gamma, dout, inv_std_sign=0.5),
         "d inv_std / d var has the wrong sign: inv_std falls as var grows, its derivative is -0.5 * (var + eps) ** -1.5"),
        (_graph_dx(x, gamma, dout, sum_inv_std=False),
         "d_inv_std (and so d_var) is not summed over the batch: every example used the same inv_std, so its "
         "gradient adds up the contributions of all N examples"),
        (_graph_dx(x, gamma, dout, mean_divisor=1),
         "the mean node's local derivative is 1 / N: each x receives -sum(d_centered) / N, not -sum(d_centered)"),
        (_graph_dx(x, gamma, dout, mean_sign=1.0),
         "the path through the mean has the wrong sign: centered = x - mean, so the mean receives -sum(d_centered)"),
    ]


def _closed_form_mistakes(x_hat, inv_std, dx_hat):
    """Slips in writing the simplified formula for dx, each with the sentence that names it."""
    n = x_hat.shape[0]
    sum_g, sum_g_x_hat = dx_hat.sum(axis=0), np.sum(dx_hat * x_hat, axis=0)
    return [
        (inv_std * (n * dx_hat - sum_g - x_hat * sum_g_x_hat),
         f"it is N = {n} times too large: the factor 1 / N in front of the bracket is missing"),
        (inv_std / n * (dx_hat - sum_g - x_hat * sum_g_x_hat),
         "the direct path is counted once where it should be N times: after taking 1 / N out of the bracket, "
         "the first term is N * dx_hat"),
        (inv_std / n * (n * dx_hat - sum_g + x_hat * sum_g_x_hat),
         "the term of the path through the variance has the wrong sign: it is subtracted"),
        (inv_std / n * (n * dx_hat + sum_g - x_hat * sum_g_x_hat),
         "the term of the path through the mean has the wrong sign: it is subtracted"),
        (inv_std ** 2 / n * (n * dx_hat - sum_g - x_hat * sum_g_x_hat),
         "inv_std appears squared in front; x_hat holds inv_std only once (the centered value times inv_std)"),
        (inv_std / (n - 1) * (n * dx_hat - sum_g - x_hat * sum_g_x_hat),
         "it divides by N - 1 in front of the bracket; the biased variance of the normalization divides by N"),
    ]


def _forward_failure(exercise, mode, out, x, gamma, beta, expected_out):
    """The CheckFailed that the student's forward output in ``mode`` deserves (None when it is right)."""
    try:
        compare("batchnorm_forward", f"out ({mode} mode)", out, expected_out, FORWARD_THRESHOLD,
                mistakes=_normalization_mistakes(x, gamma, beta, 0, "the statistics are taken per example (axis 1); "
                                                 "BatchNorm averages each feature over the batch (axis 0)")
                if mode == "training" else [])
    except CheckFailed as failure:
        return failure
    return None


def _known_forward_mistake(failure, x, gamma, beta):
    """True when ``failure`` names one of BatchNorm's own forward mistakes (a real BatchNorm, one slip)."""
    meanings = [meaning for _, meaning in _normalization_mistakes(x, gamma, beta, 0, "")[:3]]
    return any(meaning in str(failure) for meaning in meanings)


def _judge_batchnorm_backward(exercise, batchnorm_forward, batchnorm_backward, seed, N, D, train_extra, train_hint):
    """Run the student's forward (the cache is the student's own: the lab lets it choose what to keep)
    and backward in training and in test mode; compare dx, dgamma and dbeta with numeric gradients of
    the reference forward, then with the exact ones. ``train_extra(x, gamma, dout, x_hat, inv_std,
    dx_hat)`` gives the exercise's own typical wrong dx.

    One mistake costs one exercise where it can: when the student's forward output is wrong (which
    its own check fails) and the backward does not match the reference, the backward is judged
    against the gradient of the student's own forward (central differences, judge-side); it passes
    with a note when it is the right backward of that forward and the forward's mistake is one of
    BatchNorm's named slips, and otherwise the message says "fails because your batchnorm_forward is
    wrong: fix that first"."""
    function = exercise
    rng = random_generator(seed)
    gamma, beta = rng.normal(size=D), rng.normal(size=D)
    x = _bn_batch(rng, N, D)
    dout = upstream_gradient(rng, (N, D))
    x_hat, inv_std = standardize(x, 0, EPS)
    dx_hat = dout * gamma
    train_mistakes = [
        (dx_hat * inv_std, "it treats the batch mean and variance as constants; they depend on every x, so dx "
                           "needs the paths through the mean and through the variance"),
        (inv_std * (dx_hat - dx_hat.mean(axis=0)), "the path through the variance is missing"),
        (inv_std * (dx_hat - x_hat * np.mean(dx_hat * x_hat, axis=0)), "the path through the mean is missing"),
        (standardize_backward(dout, x_hat, inv_std, axis=0), GAMMA_MISSING),
        *train_extra(x, gamma, dout, x_hat, inv_std, dx_hat),
    ]
    train = {"mode": "train"}
    running = {"running_mean": rng.normal(size=D), "running_var": rng.uniform(0.5, 2.0, size=D)}
    test = {"mode": "test", **running}
    test_x_hat = (x - running["running_mean"]) / np.sqrt(running["running_var"] + EPS)
    test_inv_std = 1.0 / np.sqrt(running["running_var"] + EPS)
    test_mistakes = [
        (standardize_backward(dx_hat, test_x_hat, test_inv_std, axis=0),
         "in test mode the running statistics are constants, so dx is dout times gamma times the fixed scale "
         "1 / sqrt(running_var + eps), without the mean and variance terms of training"),
        (dx_hat / np.sqrt(running["running_var"]), "eps is missing from the fixed scale of test mode"),
    ]
    test_hint = "in test mode running_mean and running_var are constants, so x_hat is x shifted and scaled."
    for mode, settings, mistakes, dx_hint in (("training", train, train_mistakes, train_hint),
                                              ("test", test, test_mistakes, test_hint)):
        fresh = lambda: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in settings.items()}  # noqa: E731
        result = call_student(batchnorm_forward, exercise, x, gamma, beta, fresh())
        out, cache = unpack(result, ("out", "cache"), exercise, "batchnorm_forward")
        reference_out, reference_cache = reference_batchnorm_forward(x, gamma, beta, fresh())
        if cache is None:
            raise CheckFailed(
                f"{exercise}: in {mode} mode your batchnorm_forward returned cache = None, and the check runs "
                f"{function} on that cache ({mode} mode: x, gamma and beta as in training); the backward pass needs a "
                f"cache in {mode} mode too (the mode and what the normalization used).",
                mistake=Mistake.named(exercise, "batchnorm_forward", f"it returns no cache in {mode} mode"))
        try:
            result = call_student(batchnorm_backward, exercise, dout, cache)
        except CheckFailed as failure:
            if mode != "test":
                raise
            text = str(failure)
            raise CheckFailed(f"{exercise} (test mode, on the cache of a test-mode forward): "
                              f"{text[len(exercise) + 2:] if text.startswith(exercise + ': ') else text}",
                              mistake=failure.mistake) from None
        dx, dgamma, dbeta = unpack(result, ("dx", "dgamma", "dbeta"), exercise, function)
        forward_failure = _forward_failure(exercise, mode, out, x, gamma, beta, reference_out)

        def forward(x_, gamma_, beta_):
            return reference_batchnorm_forward(x_, gamma_, beta_, fresh())[0]

        try:
            compare(exercise, f"dx ({mode} mode)", dx, numerical_gradient(lambda v: forward(v, gamma, beta), x, dout),
                    GRADIENT_THRESHOLD, hint=dx_hint, mistakes=mistakes)
            compare(exercise, f"dgamma ({mode} mode)", dgamma,
                    numerical_gradient(lambda v: forward(x, v, beta), gamma, dout), GRADIENT_THRESHOLD, batch_size=N,
                    hint="gamma scales every example, so dgamma adds up dout times x_hat over the batch (axis 0).",
                    mistakes=[(np.sum(dout * x, axis=0), "it uses x instead of x_hat"),
                              (np.sum(dout * (test_x_hat if mode == "training" else x_hat), axis=0),
                               "x_hat is normalized with the wrong statistics (batch ones in test mode, or running "
                               "ones in training)")])
            compare(exercise, f"dbeta ({mode} mode)", dbeta,
                    numerical_gradient(lambda v: forward(x, gamma, v), beta, dout), GRADIENT_THRESHOLD, batch_size=N,
                    hint="beta is added to every example, so dbeta adds up dout over the batch.")
            exact_grads = reference_batchnorm_backward(dout, reference_cache)
            for output, got, expected in zip(("dx", "dgamma", "dbeta"), (dx, dgamma, dbeta), exact_grads):
                exact(exercise, f"{output} ({mode} mode)", got, expected,
                      idea="the local derivative of each node, the paths added up")
        except CheckFailed as failure:
            if forward_failure is None:
                raise
            if (_known_forward_mistake(forward_failure, x, gamma, beta)
                    and _backward_of_own_forward(exercise, batchnorm_forward, fresh, x, gamma, beta, dout,
                                                 (dx, dgamma, dbeta))):
                note(Mistake(Mistake.named(exercise, "batchnorm_forward", "its forward is wrong").id,
                             f"{function} is the right backward pass of your batchnorm_forward, which is wrong "
                             f"({str(forward_failure).split('; ', 1)[-1].rstrip('.')}): fix the forward, then the "
                             "backward with it."))
                continue
            raise because_of(failure, exercise, "batchnorm_forward", forward_failure) from None


def _backward_of_own_forward(exercise, batchnorm_forward, fresh, x, gamma, beta, dout, grads):
    """True when ``grads`` are the gradients of the student's own forward (central differences of its
    returned outputs, taken here)."""
    def own(x_, gamma_, beta_):
        out = unpack(call_student(batchnorm_forward, exercise, x_, gamma_, beta_, fresh()), ("out", "cache"),
                     exercise, "batchnorm_forward")[0]
        return np.asarray(out, dtype=np.float64)

    try:
        expected = (numerical_gradient(lambda v: own(v, gamma, beta), x.copy(), dout),
                    numerical_gradient(lambda v: own(x, v, beta), gamma.copy(), dout),
                    numerical_gradient(lambda v: own(x, gamma, v), beta.copy(), dout))
        for got, wanted in zip(grads, expected):
            compare(exercise, "gradient", got, wanted, GRADIENT_THRESHOLD)
    except (CheckFailed, ValueError, TypeError):
        return False
    return True


def check_batchnorm_backward(batchnorm_forward, batchnorm_backward, seed=0, N=6, D=4):
    """``batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)``, written node by node through the
    computational graph, in training mode and in test mode, against numeric gradients of the
    reference forward; the slips of each node (the N - 1, the power of inv_std, a missing sum over
    the batch, the mean's 1 / N and sign) are named. torch twin: autograd through
    ``torch.nn.BatchNorm1d``."""
    _enough_values("check_batchnorm_backward", "N", N)
    hint = ("walk back one node at a time through the six nodes of section 4a's table, from out to mean: upstream "
            "gradient times local derivative, "
            "and where a value feeds two nodes (x feeds centered and mean, centered feeds x_hat and var) add both paths; "
            "a value computed once per feature (mean, var, inv_std) collects a sum over the batch.")
    _judge_batchnorm_backward("batchnorm_backward", batchnorm_forward, batchnorm_backward, seed, N, D,
                              lambda x, gamma, dout, *_: _graph_mistakes(x, gamma, dout), hint)


def check_batchnorm_backward_alt(batchnorm_forward, batchnorm_backward_alt, seed=0, N=6, D=4):
    """``batchnorm_backward_alt(dout, cache) -> (dx, dgamma, dbeta)``, the closed form the student
    derived on paper, judged on the same inputs as :func:`check_batchnorm_backward` for the same
    seed; slips in writing the formula (the 1 / N, the N in front of dx_hat, a sign) are named."""
    _enough_values("check_batchnorm_backward_alt", "N", N)
    hint = ("differentiate x_hat_i with respect to x_j (one direct term, one through the mean, one through the "
            "variance), multiply by dx_hat_i and add up over i; the result needs only dx_hat, x_hat, inv_std, N "
            "and two sums over the batch.")
    _judge_batchnorm_backward(
        "batchnorm_backward_alt", batchnorm_forward, batchnorm_backward_alt, seed, N, D,
        lambda x, gamma, dout, x_hat, inv_std, dx_hat: _closed_form_mistakes(x_hat, inv_std, dx_hat)
        + _graph_mistakes(x, gamma, dout)[:1], hint)


def check_layernorm_backward(layernorm_forward, layernorm_backward, seed=0, N=4, D=5):
    """``layernorm_forward(x, gamma, beta)`` and ``layernorm_backward(dout, cache)``: the forward value
    against the reference, the three gradients against numeric gradients."""
    exercise = "layernorm_backward"
    _enough_values("check_layernorm_backward", "D", D)
    rng = random_generator(seed)
    x = rng.uniform(0.5, 3.0, size=(N, 1)) * rng.normal(size=(N, D)) + rng.normal(scale=2.0, size=(N, 1))
    gamma, beta = rng.normal(size=D), rng.normal(size=D)
    result = call_student(layernorm_forward, exercise, x, gamma, beta)
    out, cache = unpack(result, ("out", "cache"), exercise, "layernorm_forward")
    mistakes = _normalization_mistakes(x, gamma, beta, 1, "it normalizes over the batch (axis 0) like BatchNorm; "
                                       "LayerNorm normalizes each example over its features (the last axis)")
    compare(exercise, "the output of layernorm_forward", out, reference_layernorm_forward(x, gamma, beta)[0],
            FORWARD_THRESHOLD, hint="LayerNorm standardizes each example (row) with its own mean and biased variance, "
                                    "eps inside the square root, then scales by gamma and shifts by beta (section 5).",
            mistakes=mistakes)
    dout = upstream_gradient(rng, (N, D))
    result = call_student(layernorm_backward, exercise, dout.copy(), cache)
    dx, dgamma, dbeta = unpack(result, ("dx", "dgamma", "dbeta"), exercise, "layernorm_backward")
    x_hat, inv_std = standardize(x, 1, EPS)
    dx_hat = dout * gamma
    compare(exercise, "dx", dx, numerical_gradient(lambda v: reference_layernorm_forward(v, gamma, beta)[0], x, dout),
            GRADIENT_THRESHOLD, hint="BatchNorm's dx with the sums taken over each row (axis=-1) and D in place of N.",
            mistakes=[(dx_hat * inv_std, "it treats each row's mean and variance as constants; they depend on x, so "
                                         "dx needs the paths through the mean and through the variance"),
                      (inv_std * (dx_hat - dx_hat.mean(axis=1, keepdims=True)), "the path through the variance is missing"),
                      (standardize_backward(dout, x_hat, inv_std, axis=1), GAMMA_MISSING)])
    compare(exercise, "dgamma", dgamma,
            numerical_gradient(lambda v: reference_layernorm_forward(x, v, beta)[0], gamma, dout), GRADIENT_THRESHOLD,
            batch_size=N, hint="gamma is shared by all rows, so dgamma collects dout times x_hat from every row.",
            mistakes=[(np.sum(dout * x, axis=0), "it uses x instead of x_hat")])
    compare(exercise, "dbeta", dbeta,
            numerical_gradient(lambda v: reference_layernorm_forward(x, gamma, v)[0], beta, dout), GRADIENT_THRESHOLD,
            batch_size=N, hint="beta is shared by all rows, so dbeta collects dout from every row.")
    exact_dx, exact_dgamma, exact_dbeta = reference_layernorm_backward(dout, reference_layernorm_forward(x, gamma, beta)[1])
    for output, got, expected in (("dx", dx, exact_dx), ("dgamma", dgamma, exact_dgamma), ("dbeta", dbeta, exact_dbeta)):
        exact(exercise, output, got, expected, idea="BatchNorm's derivation with the sums taken over each row")


def _naming_the_call(exercise, function, call, *args, **kwargs):
    """``call_student``; a failure names the call that failed (``call``, e.g. "dropout_forward(x, p=1.0, ...)")."""
    try:
        return call_student(function, exercise, *args, **kwargs)
    except CheckFailed as failure:
        text = str(failure)
        text = text[len(exercise) + 2:] if text.startswith(exercise + ": ") else text
        raise CheckFailed(f"{exercise}: the call {call} failed: {text}", mistake=failure.mistake) from None


def _dropout_train_output(exercise, dropout_forward, x, p, seed):
    call = f"dropout_forward(x, p={p}, mode='train', seed={seed})"
    out, cache = unpack(_naming_the_call(exercise, dropout_forward, call, x, p, "train", seed=seed),
                        ("out", "cache"), exercise, "dropout_forward")
    out = np.asarray(out, dtype=np.float64)
    if out.shape != x.shape:
        raise CheckFailed(f"{exercise}: {call} returned out of shape {out.shape}; it should have the shape of x, {x.shape}.")
    if not np.all(np.isfinite(out)):
        raise CheckFailed(f"{exercise}: out contains NaN or inf for p = {p} ({call}); with p = 1 every unit is dropped, "
                          "so return zeros without dividing by 1 - p = 0.",
                          mistake=Mistake.named(exercise, "out", "it divides by 1 - p = 0 at p = 1"))
    return out, cache


def _dropout_edge(exercise, dropout_forward, dropout_backward, x, dout, p, seed):
    """p = 0 (nothing dropped: the identity) and p = 1 (everything dropped: zeros), forward and backward."""
    out, cache = _dropout_train_output(exercise, dropout_forward, x, p, seed)
    expected, why = ((x, "with p = 0 nothing is dropped and 1 - p = 1") if p == 0 else
                     (np.zeros_like(x), "with p = 1 every unit is dropped: return zeros (and do not divide by 1 - p = 0)"))
    compare(exercise, f"out for p = {p}", out, expected, FORWARD_THRESHOLD, hint=why + ".")
    call = f"dropout_backward(dout, cache) after dropout_forward(x, p={p}, mode='train', seed={seed})"
    dx = _naming_the_call(exercise, dropout_backward, call, dout, cache)
    try:
        values = np.asarray(dx, dtype=np.float64)
    except (TypeError, ValueError):
        values = None
    if values is not None and values.shape == x.shape and not np.all(np.isfinite(values)):
        raise CheckFailed(f"{exercise}: dx contains NaN or inf for p = {p} ({call}); the backward pass reuses the "
                          "forward's mask and scale, which at p = 1 drop everything without dividing by 0.",
                          mistake=Mistake.named(exercise, "dx", "it divides by 1 - p = 0 at p = 1"))
    compare(exercise, f"dx for p = {p}", dx, dout if p == 0 else np.zeros_like(dout), GRADIENT_THRESHOLD,
            hint=why.replace("return zeros", "dx is zero") + ".")


def check_dropout(dropout_forward, dropout_backward, seed=0, p=0.3, shape=(200, 500)):
    """Inverted dropout with ``p`` the DROP probability: kept units scaled by 1 / (1 - p) in 'train',
    a fraction close to p dropped over a large draw, the mask reproducible from ``seed``, backward
    using the forward's mask, the identity in 'test', and p = 0 and p = 1 handled."""
    exercise = "dropout"
    if not 0.0 < p < 1.0:
        raise ValueError(f"check_dropout: p must lie strictly between 0 and 1 (p = 0 and p = 1 are always tried too), got {p}.")
    rng = random_generator(seed)
    x = rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)  # no zeros: 0 means dropped
    out, cache = _dropout_train_output(exercise, dropout_forward, x, p, seed)
    kept = out != 0
    compare(exercise, "out (train mode)", out, x * kept / (1 - p), FORWARD_THRESHOLD,
            hint="inverted dropout: out = x * mask / (1 - p), where mask keeps each unit with probability 1 - p.",
            mistakes=[(x * kept, "the kept units are not scaled; inverted dropout divides them by the keep probability 1 - p"),
                      (x * kept * p, "the kept units are multiplied by p; divide them by the keep probability 1 - p"),
                      (x * kept * (1 - p), "the kept units are multiplied by 1 - p (the notes' non-inverted test-time "
                                           "rule); inverted dropout divides by 1 - p during training"),
                      (x * kept / p, "the kept units are divided by p; p is the drop probability, so divide by 1 - p")])
    dropped = 1.0 - kept.mean()
    tolerance = 6 * np.sqrt(p * (1 - p) / x.size) + 1e-12
    if abs(dropped - p) > tolerance:
        reason = ("p is the probability of DROPPING a unit: keep a unit where rand >= p"
                  if abs(dropped - (1 - p)) <= tolerance else "each unit must be dropped independently with probability p")
        raise CheckFailed(f"{exercise}: it dropped a fraction {dropped:.4f} of {x.size} units, expected about p = {p}; {reason}.")
    again, _ = _dropout_train_output(exercise, dropout_forward, x, p, seed)
    if not np.array_equal(again, out):
        raise CheckFailed(f"{exercise}: the same seed gave a different mask; draw the mask from "
                          "random_generator(seed) inside dropout_forward.")
    other, _ = _dropout_train_output(exercise, dropout_forward, x, p, seed + 1)
    if 0 < p < 1 and np.array_equal(other, out):
        raise CheckFailed(f"{exercise}: seeds {seed} and {seed + 1} gave the same mask; the mask must come from the seed argument.")

    dout = upstream_gradient(rng, shape)
    dx = np.asarray(_naming_the_call(exercise, dropout_backward, f"dropout_backward(dout, cache) after dropout_forward("
                                     f"x, p={p}, mode='train', seed={seed})", dout, cache), dtype=np.float64)
    if dx.shape == shape and np.any(dx == 0) and not np.array_equal(dx != 0, kept):
        raise CheckFailed(f"{exercise}: dx is zero in other places than the forward output; backward must reuse the "
                          "forward pass's mask, kept in the cache, not draw a new one.")
    compare(exercise, "dx (train mode)", dx, dout * kept / (1 - p), GRADIENT_THRESHOLD,
            hint="dx = dout * mask / (1 - p), with the mask of the forward pass.",
            mistakes=[(dout, "it ignores the mask: multiply dout by the forward's mask / (1 - p)"),
                      (dout * kept, "it is not scaled by 1 / (1 - p) like the forward pass")])

    small = x[:4, :6]
    test_out, test_cache = unpack(_naming_the_call(exercise, dropout_forward, f"dropout_forward(x, p={p}, mode='test', "
                                                   f"seed={seed})", small, p, "test", seed=seed),
                                  ("out", "cache"), exercise, "dropout_forward")
    compare(exercise, "out (test mode)", test_out, small, FORWARD_THRESHOLD,
            hint="with inverted dropout the layer is the identity in test mode.",
            mistakes=[(small * (1 - p), "it scales by 1 - p in test mode; that is the non-inverted scheme of the lecture "
                                        "notes, inverted dropout already scaled during training"),
                      (small * p, "it scales by p in test mode (the notes' erratum); inverted dropout leaves test mode alone"),
                      (small / (1 - p), "it scales by 1 / (1 - p) in test mode; that belongs to training only")])
    test_dout = dout[:4, :6]
    test_dx = _naming_the_call(exercise, dropout_backward, "dropout_backward(dout, cache) in test mode, on the cache of "
                               "a test-mode forward", test_dout, test_cache)
    compare(exercise, "dx (test mode)", test_dx, test_dout,
            GRADIENT_THRESHOLD, hint="in test mode the layer is the identity, so dx = dout.")

    edge, edge_dout = x[:5, :8], dout[:5, :8]
    for edge_p in (0.0, 1.0):
        _dropout_edge(exercise, dropout_forward, dropout_backward, edge, edge_dout, edge_p, seed)
