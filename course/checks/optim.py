"""Checks for lab 03: a student's optimizer class, step by step, against torch.optim's rule.

The student's class is driven exactly like ``course.optim``'s: ``Class(params, lr=..., ...)`` on a
list of NumPy arrays, then ``step(grads)`` 20 times on a small least-squares problem whose
gradients are computed in NumPy from the current parameters. The reference is ``course.optim``
(torch.optim's update rules in NumPy, held to torch.optim in float64 by tests/optim), so the
checks run without torch. Halfway through, ``optimizer.lr`` is halved, as a scheduler would.
The first step after which the parameters differ is reported with a diagnosis: the student's
trajectory is compared with those of typical wrong update rules (epsilon inside the square
root, a missing square, bias correction counted from t = 0, the learning rate inside the
momentum buffer ...).
"""
import numpy as np

from .. import optim as reference
from ..gradcheck import rel_error
from .judging import (FORWARD_THRESHOLD, CheckFailed, Mistake, call_student, call_student_untouched, compare,
                      construct_student, random_generator)

# Lab 03's own words (the rules above its SGD exercise): step must leave the gradients it is given alone.
LAB_ON_GRADIENTS = "Never modify a gradient in place; `g = g + ...` makes a new array."

STEPS = 20
LR_FACTOR = 0.5  # optimizer.lr is multiplied by this before step STEPS // 2 + 1
MATCH_THRESHOLD = 1e-6  # a wrong rule "explains" the student's trajectory below this error


class LeastSquares:
    """``0.5 * mean_n |x_n W + b - y_n|^2`` with gradients in NumPy. ``badly_scaled`` shrinks the
    features by 1, 1e-2, 1e-4, 1e-6, so that some gradients are tiny and epsilon matters."""

    def __init__(self, seed, badly_scaled=True, N=8, D=4, M=3):
        rng = random_generator(seed)
        scales = 10.0 ** -np.arange(0, 2 * D, 2) if badly_scaled else np.ones(D)
        self.X = rng.normal(size=(N, D)) * scales
        self.Y = rng.normal(size=(N, M))
        self.start = [rng.normal(size=(D, M)), rng.normal(size=M)]

    def gradients(self, params):
        weight, bias = params
        with np.errstate(all="ignore"):  # parameters a wrong rule made NaN give NaN, without warnings
            residual = self.X @ weight + bias - self.Y
            return [self.X.T @ residual / len(self.X), residual.mean(axis=0)]


# The update rules in NumPy, each with the typical mistakes it can make (mistake=None: torch's rule).
# They only explain a failure; the verdict always comes from course.optim. ``shared`` is one dict
# for all parameters of a trajectory (a step counter that a student advances once per parameter).

def _sgd_rule(p, g, state, lr, hp, mistake, shared):
    momentum, dampening, weight_decay = hp["momentum"], hp["dampening"], hp["weight_decay"]
    rate = {"ascent": -lr, "no_lr": 1.0, "lr_in_buffer": 1.0}.get(mistake, lr)
    if weight_decay and mistake not in ("decay_missing", "decay_after", "decay_outside_buffer"):
        g = g + weight_decay * p
    if momentum and mistake != "no_momentum":
        previous = state.get("buf", 0.0)
        if mistake == "ema":
            state["buf"] = momentum * previous + (1 - momentum) * g
        elif mistake == "lr_in_buffer":
            state["buf"] = momentum * previous + lr * g
        elif "buf" not in state and mistake != "zero_buffer":
            state["buf"] = g.copy()
        else:
            state["buf"] = momentum * previous + (1 - dampening) * g
        if hp["nesterov"] and mistake != "no_nesterov":
            sign = -1.0 if mistake == "nesterov_sign" else 1.0
            g = (lr * g if mistake == "lr_in_buffer" else g) + sign * momentum * state["buf"]
        else:
            g = state["buf"]
    if mistake == "decay_outside_buffer":
        g = g + weight_decay * p
    p -= rate * g
    if mistake == "decay_after":
        p -= lr * weight_decay * p


def _adagrad_rule(p, g, state, lr, hp, mistake, shared):
    state["t"] = state.get("t", 0) + 1
    if hp["weight_decay"]:
        g = g + hp["weight_decay"] * p
    lr = lr / (1 + (state["t"] - (0 if mistake == "decay_from_t" else 1)) * hp["lr_decay"])
    previous = state.get("sum", 0.0)
    square = g if mistake == "no_square" else g * g
    state["sum"] = square if mistake == "no_accumulation" else previous + square
    total = previous if mistake == "accumulate_after" else state["sum"]
    if mistake == "eps_inside":
        p -= lr * g / np.sqrt(total + hp["eps"])
    elif mistake == "no_sqrt":
        p -= lr * g / (total + hp["eps"])
    else:
        p -= lr * g / (np.sqrt(total) + hp["eps"])


def _rmsprop_rule(p, g, state, lr, hp, mistake, shared):
    alpha, eps, momentum = hp["alpha"], hp["eps"], hp["momentum"]
    state["t"] = state.get("t", 0) + 1
    if hp["weight_decay"]:
        g = g + hp["weight_decay"] * p
    old = state.get("square_avg", 0.0)
    square = g if mistake == "no_square" else g * g
    new = {"no_one_minus_alpha": alpha * old + square,
           "alpha_swapped": (1 - alpha) * old + alpha * square}.get(mistake, alpha * old + (1 - alpha) * square)
    state["square_avg"] = new
    if mistake == "average_after":
        new = old
    if mistake == "bias_corrected":
        new = new / (1 - alpha ** state["t"])
    if hp["centered"] and mistake != "not_centered":
        state["grad_avg"] = alpha * state.get("grad_avg", 0.0) + (1 - alpha) * g
        new = new - state["grad_avg"] ** 2
    avg = {"eps_inside": lambda: np.sqrt(new + eps), "no_sqrt": lambda: new + eps}.get(mistake, lambda: np.sqrt(new) + eps)()
    if momentum:
        scale = lr if mistake == "lr_in_buffer" else 1.0
        state["buf"] = momentum * state.get("buf", 0.0) + scale * g / avg
        p -= (1.0 if mistake == "lr_in_buffer" else lr) * state["buf"]
    else:
        p -= lr * g / avg


def _adam_rule(p, g, state, lr, hp, mistake, shared):
    beta1, beta2 = hp["betas"][::-1] if mistake == "betas_swapped" else hp["betas"]
    eps, weight_decay = hp["eps"], hp["weight_decay"]
    state["t"] = state.get("t", 0) + 1
    t = {"t_from_zero": state["t"] - 1}.get(mistake, state["t"])
    if mistake == "t_per_parameter":
        t = shared["t"] = shared.get("t", 0) + 1
    decoupled = hp["decoupled"] != (mistake == "decay_style_swapped")
    if weight_decay and decoupled and mistake not in ("decay_after", "decay_unscaled"):
        p *= 1 - lr * weight_decay
    elif weight_decay and not decoupled:
        g = g + weight_decay * p
    one_minus = (lambda beta: 1.0) if mistake == "no_one_minus_beta" else (lambda beta: 1 - beta)
    m = state["m"] = beta1 * state.get("m", 0.0) + one_minus(beta1) * g
    v = state["v"] = beta2 * state.get("v", 0.0) + one_minus(beta2) * (g if mistake == "no_square" else g * g)
    if hp["amsgrad"] and mistake != "no_amsgrad":
        v = state["v_max"] = np.maximum(state.get("v_max", 0.0), v)
    if mistake not in ("no_bias_correction", "only_v_corrected"):
        m = m / (1 - beta1**t)
    if mistake not in ("no_bias_correction", "only_m_corrected"):
        v = v / (1 - beta2**t)
    if mistake == "corrected_in_state":
        state["m"], state["v"] = m, v
    before = p.copy()
    denominator = {"eps_inside": lambda: np.sqrt(v + eps), "no_sqrt": lambda: v + eps}.get(mistake, lambda: np.sqrt(v) + eps)()
    p -= lr * m / denominator
    if mistake == "decay_after":
        p -= lr * weight_decay * p
    elif mistake == "decay_unscaled":
        p -= weight_decay * before


RULES = {"SGD": _sgd_rule, "Adagrad": _adagrad_rule, "RMSprop": _rmsprop_rule, "Adam": _adam_rule,
         "AdamW": _adam_rule}


def hint(exercise, hp):
    """torch's rule for ``exercise``, naming only the hyperparameters that this check sets."""
    decay = "g = grad + weight_decay * p; " if hp.get("weight_decay") and exercise != "adamw" else ""
    if exercise == "sgd":
        return f"torch's SGD: {decay}p -= lr * g."
    if exercise == "sgd_momentum":
        if not hp["momentum"]:
            return f"torch's SGD with momentum=0 has no buffer: {decay}p -= lr * g."
        added = "(1 - dampening) * g" if hp.get("dampening") else "g"
        step = ("p -= lr * (g + momentum * buf), with the buf of this step" if hp["nesterov"] else "p -= lr * buf")
        return f"torch's SGD: {decay}buf = g at the first step, then buf = momentum * buf + {added}; {step}."
    if exercise == "adagrad":
        rate = ("lr_t * g with lr_t = lr / (1 + (t - 1) * lr_decay)" if hp.get("lr_decay") else "lr * g")
        return (f"torch's Adagrad: {decay}sum = sum + g * g (sum starts at 0); p -= {rate} / (sqrt(sum) + eps), "
                "with eps outside the square root.")
    if exercise == "rmsprop":
        avg = ("avg = sqrt(square_avg - grad_avg**2) + eps with grad_avg = alpha * grad_avg + (1 - alpha) * g"
               if hp.get("centered") else "avg = sqrt(square_avg) + eps")
        step = "buf = momentum * buf + g / avg; p -= lr * buf" if hp.get("momentum") else "p -= lr * g / avg"
        return (f"torch's RMSprop: {decay}square_avg = alpha * square_avg + (1 - alpha) * g * g (starts at 0); "
                f"{avg}; {step}; no bias correction.")
    shrink = "p *= 1 - lr * weight_decay first; then " if exercise == "adamw" else ""
    amsgrad = "; amsgrad: v_hat uses the running maximum of v" if hp.get("amsgrad") else ""
    return (f"torch's {'AdamW' if exercise == 'adamw' else 'Adam'}: {shrink}{decay}m = beta1 * m + (1 - beta1) * g; "
            "v = beta2 * v + (1 - beta2) * g * g; p -= lr * m_hat / (sqrt(v_hat) + eps) with m_hat = m / "
            f"(1 - beta1**t), v_hat = v / (1 - beta2**t), t = 1 at the first step{amsgrad}.")


_NAN_HINTS = {
    "adagrad": "look for the square root of a negative number: sum collects squared gradients, g * g",
    "rmsprop": "look for the square root of a negative number: square_avg averages squared gradients, g * g",
    "adam": "look for a division by zero (1 - beta**t is 0 unless t is 1 at the first step) or the square root "
            "of a negative number (v averages g * g)",
}
_NAN_HINTS["adamw"] = _NAN_HINTS["adam"]

_always = lambda hp: True  # noqa: E731
_decay = lambda hp: bool(hp["weight_decay"])  # noqa: E731
_EPS_INSIDE = ("eps_inside", _always, "eps is inside the square root, sqrt(v + eps); torch (like the paper) "
               "adds it outside, sqrt(v) + eps, which matters where gradients are tiny")
_SGD_COMMON = [
    ("ascent", _always, "the parameters move along the gradient instead of against it: subtract lr * g"),
    ("no_lr", _always, "the learning rate is not applied: the step is g itself instead of lr * g"),
    ("decay_missing", _decay, "weight_decay is ignored: torch adds weight_decay * p to the gradient"),
    ("decay_after", _decay, "weight decay is applied after the gradient step; torch adds weight_decay * p "
                            "to the gradient before the update"),
]
_ADAM_COMMON = [
    _EPS_INSIDE,
    ("t_from_zero", _always, "t is 0 at the first step, so the bias correction 1 - beta1**t is 0 and divides by "
                             "zero; add 1 to t before using it, so that the first step has t = 1"),
    ("t_per_parameter", _always, "the step count t goes up once per parameter instead of once per step: "
                                 "increment self.t once in step, before the loop over the parameters"),
    ("no_square", _always, "v averages the gradient itself; it must average the squared gradient, "
                           "v = beta2 * v + (1 - beta2) * g * g"),
    ("no_sqrt", _always, "the square root is missing: divide by sqrt(v_hat) + eps, not by v_hat + eps"),
    ("corrected_in_state", _always, "the bias-corrected m_hat and v_hat are stored back as m and v, so the "
                                    "correction piles up from step to step; keep m and v uncorrected"),
    ("no_bias_correction", _always, "m and v are not bias-corrected: divide by (1 - beta1**t) and "
                                    "(1 - beta2**t)"),
]
MISTAKES = {
    "sgd": _SGD_COMMON,
    "sgd_momentum": _SGD_COMMON + [
        ("no_momentum", lambda hp: bool(hp["momentum"]), "the momentum buffer is not used: this is plain SGD"),
        ("ema", _always, "the gradient enters the buffer scaled by (1 - momentum); torch adds it unscaled "
                         "(buf = momentum * buf + g)"),
        ("lr_in_buffer", _always,
         "the learning rate is folded into the velocity (v = momentum * v + lr * g); torch keeps it outside "
         "(buf = momentum * buf + g; p -= lr * buf), which differs as soon as lr changes"),
        ("zero_buffer", lambda hp: bool(hp["dampening"]),
         "the momentum buffer starts at zero; torch starts it at the first gradient, undamped"),
        ("decay_outside_buffer", _decay, "weight decay is added after the momentum buffer; torch adds "
                                         "weight_decay * p to the gradient before it enters the buffer"),
        ("no_nesterov", lambda hp: hp["nesterov"], "nesterov=True behaves like plain momentum (or adds the "
                                                   "buffer from before this step's update); the Nesterov step "
                                                   "is lr * (g + momentum * buf) with the updated buf"),
        ("nesterov_sign", lambda hp: hp["nesterov"], "the Nesterov step subtracts momentum * buf from g; it adds "
                                                     "it, p -= lr * (g + momentum * buf), because the look-ahead "
                                                     "point p - lr * momentum * buf lies where momentum carries p"),
    ],
    "adagrad": [
        _EPS_INSIDE,
        ("no_sqrt", _always, "the square root is missing: divide by sqrt(sum) + eps, not by sum + eps"),
        ("no_square", _always, "sum collects the gradients themselves; it must collect their squares, "
                               "sum += g * g"),
        ("no_accumulation", _always, "the squared gradients are not accumulated: sum must keep growing, "
                                     "sum += g * g"),
        ("accumulate_after", _always, "sum is updated after the step, so each step divides by the sum of the "
                                      "previous gradients (only eps at the first step); add g * g first"),
        ("decay_from_t", lambda hp: bool(hp["lr_decay"]), "the lr decay counts from t instead of t - 1: "
                                                          "lr / (1 + (t - 1) * lr_decay)"),
    ],
    "rmsprop": [
        _EPS_INSIDE,
        ("no_square", _always, "square_avg averages the gradient itself; it must average the squared gradient, "
                               "alpha * square_avg + (1 - alpha) * g * g"),
        ("no_sqrt", _always, "the square root is missing: divide by sqrt(square_avg) + eps, not by "
                             "square_avg + eps"),
        ("no_one_minus_alpha", _always, "the new squared gradient is not scaled by (1 - alpha)"),
        ("alpha_swapped", _always, "alpha and 1 - alpha are swapped: alpha weights the old average"),
        ("average_after", _always, "square_avg is updated after the step, so each step divides by the average "
                                   "before it (only eps at the first step); update the average first"),
        ("bias_corrected", _always, "the average is bias-corrected; torch's RMSprop has no bias correction"),
        ("lr_in_buffer", lambda hp: bool(hp["momentum"]), "the learning rate is inside the momentum buffer; "
                                                          "torch uses buf = momentum * buf + g / avg, p -= lr * buf"),
        ("not_centered", lambda hp: hp["centered"], "centered=True must subtract the square of the running "
                                                    "mean of the gradients: sqrt(square_avg - grad_avg**2)"),
    ],
    "adam": _ADAM_COMMON + [
        ("only_m_corrected", _always, "only m is bias-corrected; v_hat = v / (1 - beta2**t) is missing"),
        ("only_v_corrected", _always, "only v is bias-corrected; m_hat = m / (1 - beta1**t) is missing"),
        ("no_one_minus_beta", _always, "the new gradient enters m and v unscaled; m = beta1 * m + (1 - beta1) * g "
                                       "and v = beta2 * v + (1 - beta2) * g * g"),
        ("betas_swapped", _always, "beta1 and beta2 are swapped: beta1 belongs to the gradient's average m"),
        ("decay_style_swapped", _decay, "weight decay is decoupled (AdamW's rule); Adam adds "
                                        "weight_decay * p to the gradient"),
        ("no_amsgrad", lambda hp: hp["amsgrad"], "amsgrad=True must divide by the running maximum of v"),
    ],
    "adamw": [
        ("decay_style_swapped", _always, "weight decay is added to the gradient (Adam's L2 penalty); AdamW "
                                         "shrinks the weights directly, p *= 1 - lr * weight_decay"),
        ("decay_unscaled", _always, "the decay is not multiplied by lr: p *= 1 - lr * weight_decay"),
        ("decay_after", _always, "the weights are shrunk after the Adam update; torch shrinks them first"),
    ] + _ADAM_COMMON,
}


def _flat(params):
    return np.concatenate([np.asarray(p, dtype=np.float64).ravel() for p in params])


def _lr_for_step(lr, step, steps):
    return lr * LR_FACTOR if step > steps // 2 else lr


def reference_trajectory(name, problem, kwargs, steps=STEPS):
    """Parameters after each of ``steps`` steps of ``course.optim.<name>`` (flattened): torch.optim's
    rule in NumPy, float64, with the same change of ``lr`` halfway as the student's run."""
    params = [p.copy() for p in problem.start]
    optimizer = getattr(reference, name)(params, **kwargs)
    trajectory = []
    for step in range(1, steps + 1):
        optimizer.lr = _lr_for_step(kwargs["lr"], step, steps)
        optimizer.step(problem.gradients(params))
        trajectory.append(_flat(params))
    return trajectory


def rule_trajectory(rule, hp, problem, mistake=None, follow_lr=True, steps=STEPS):
    """The trajectory of the NumPy update ``rule`` (correct, or with ``mistake``)."""
    params = [p.copy() for p in problem.start]
    states, shared = [{} for _ in params], {}
    trajectory = []
    for step in range(1, steps + 1):
        lr = _lr_for_step(hp["lr"], step, steps) if follow_lr else hp["lr"]
        for param, grad, state in zip(params, problem.gradients(params), states):
            rule(param, grad, state, lr, hp, mistake, shared)
        trajectory.append(_flat(params))
    return trajectory


def student_trajectory(exercise, optimizer_class, problem, kwargs, steps=STEPS):
    params = [p.copy() for p in problem.start]
    optimizer = construct_student(optimizer_class, exercise, params, **kwargs)
    if not hasattr(optimizer, "step"):
        raise CheckFailed(f"{exercise}: the optimizer has no method step(grads).")
    if not hasattr(optimizer, "lr"):
        raise CheckFailed(
            f"{exercise}: the optimizer has no attribute lr; keep the learning rate in self.lr so that a "
            "scheduler can change it between steps."
        )
    trajectory = []
    for step in range(1, steps + 1):
        optimizer.lr = _lr_for_step(kwargs["lr"], step, steps)
        grads = problem.gradients(params)
        call_student_untouched(LAB_ON_GRADIENTS, optimizer.step, f"{exercise} (step {step})", grads)
        trajectory.append(_flat(params))
    if all(np.array_equal(after, _flat(problem.start)) for after in trajectory):
        raise CheckFailed(
            f"{exercise}: after {steps} calls of step(grads) the arrays passed to the constructor are unchanged; "
            "update them in place (p -= ... or p[...] = ...) instead of building new arrays."
        )
    return trajectory


def _follows(student, wrong):
    """Whether the student's trajectory is the wrong rule's: the same values (below MATCH_THRESHOLD)
    up to the first step where the student's parameters are not finite, and there NaN, inf and -inf
    in the same places."""
    for got, other in zip(student, wrong):
        finite = np.isfinite(got)
        if not all(np.array_equal(kind(got), kind(other)) for kind in (np.isnan, np.isposinf, np.isneginf)):
            return False
        if finite.any() and rel_error(got[finite], other[finite]) >= MATCH_THRESHOLD:
            return False
        if not finite.all():
            return True
    return True


def _diagnose(student, rule, hp, problem, mistakes):
    """The explanation of the first wrong rule whose trajectory the student's follows."""
    candidates = [(dict(mistake=key), text) for key, applies, text in mistakes if applies(hp)]
    candidates.append((dict(follow_lr=False), "setting optimizer.lr between steps had no effect: read self.lr "
                                              "in step (a scheduler changes it), do not copy it at construction"))
    for options, text in candidates:
        with np.errstate(all="ignore"):
            wrong = rule_trajectory(rule, hp, problem, steps=len(student), **options)
        if _follows(student, wrong):
            return text
    return None


def judge_trajectory(exercise, name, optimizer_class, kwargs, hp, seed, steps=STEPS, badly_scaled=True):
    """Drive the student's class and course.optim.<name> side by side; fail at the first divergence."""
    problem = LeastSquares(seed, badly_scaled)
    expected = reference_trajectory(name, problem, kwargs, steps)
    student = student_trajectory(exercise, optimizer_class, problem, kwargs, steps)
    for step, (got, want) in enumerate(zip(student, expected), start=1):
        finite = bool(np.all(np.isfinite(got)))
        error = rel_error(got, want) if finite else float("inf")
        if error < FORWARD_THRESHOLD:
            continue
        diagnosis = _diagnose(student, RULES[name], hp, problem, MISTAKES[exercise])
        mistake = Mistake.named(exercise, "parameters", diagnosis)
        if not finite:
            advice = hint(exercise, hp)
            if diagnosis is None and exercise in _NAN_HINTS:  # no known mistake fits: say where NaN comes from
                advice = f"{_NAN_HINTS[exercise]}. {advice}"
            raise CheckFailed(
                f"{exercise}: the parameters contain NaN or inf after step {step} of {steps}"
                + (f"; {diagnosis}" if diagnosis else "") + f". Hint: {advice}", mistake=mistake)
        if diagnosis is None and step == steps // 2 + 1:
            diagnosis = f"optimizer.lr was just multiplied by {LR_FACTOR}, as a scheduler would"
        raise CheckFailed(
            f"{exercise}: the parameters first differ from torch.optim.{name}'s rule after step {step} of {steps} "
            f"(relative error {error:.1e}, should be below {FORWARD_THRESHOLD:.0e})"
            + (f"; {diagnosis}" if diagnosis else "") + f". Hint: {hint(exercise, hp)}", mistake=mistake)


def _optional(**settings):
    """Hyperparameters outside the exercise's core, passed only when set (a simpler class still runs)."""
    return {key: value for key, value in settings.items() if value}


def check_sgd(SGD, seed=0, lr=0.1, weight_decay=0.0):
    """``SGD(params, lr=lr)`` (plus ``weight_decay`` when nonzero), torch.optim.SGD's rule."""
    kwargs = dict(lr=lr, **_optional(weight_decay=weight_decay))
    hp = dict(lr=lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=weight_decay)
    judge_trajectory("sgd", "SGD", SGD, kwargs, hp, seed)


def check_sgd_momentum(SGD, seed=0, lr=0.05, momentum=0.9, nesterov=False, weight_decay=0.0, dampening=0.0):
    """``SGD(params, lr, momentum=...)`` (plus ``nesterov``, ``weight_decay``, ``dampening`` when set)."""
    kwargs = dict(lr=lr, momentum=momentum, **_optional(nesterov=nesterov, weight_decay=weight_decay,
                                                        dampening=dampening))
    hp = dict(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov, weight_decay=weight_decay)
    judge_trajectory("sgd_momentum", "SGD", SGD, kwargs, hp, seed)


def check_adagrad(Adagrad, seed=0, lr=0.1, eps=1e-10, weight_decay=0.0, lr_decay=0.0):
    """``Adagrad(params, lr=..., eps=...)`` (plus ``weight_decay``, ``lr_decay`` when set)."""
    kwargs = dict(lr=lr, eps=eps, **_optional(weight_decay=weight_decay, lr_decay=lr_decay))
    hp = dict(lr=lr, eps=eps, weight_decay=weight_decay, lr_decay=lr_decay)
    judge_trajectory("adagrad", "Adagrad", Adagrad, kwargs, hp, seed)


def check_rmsprop(RMSprop, seed=0, lr=0.01, alpha=0.99, eps=1e-8, momentum=0.0, centered=False, weight_decay=0.0):
    """``RMSprop(params, lr=..., alpha=..., eps=...)`` (plus ``momentum``, ``centered``, ``weight_decay`` when set)."""
    kwargs = dict(lr=lr, alpha=alpha, eps=eps, **_optional(momentum=momentum, centered=centered,
                                                           weight_decay=weight_decay))
    hp = dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum, centered=centered, weight_decay=weight_decay)
    judge_trajectory("rmsprop", "RMSprop", RMSprop, kwargs, hp, seed)


def check_adam(Adam, seed=0, lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
    """``Adam(params, lr=..., betas=..., eps=...)`` (plus ``weight_decay``, ``amsgrad`` when set)."""
    kwargs = dict(lr=lr, betas=tuple(betas), eps=eps, **_optional(weight_decay=weight_decay, amsgrad=amsgrad))
    hp = dict(kwargs, weight_decay=weight_decay, amsgrad=amsgrad, decoupled=False)
    judge_trajectory("adam", "Adam", Adam, kwargs, hp, seed)


def check_adamw(AdamW, seed=0, lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1):
    """``AdamW(params, lr=..., betas=..., eps=..., weight_decay=...)``, torch.optim.AdamW's rule."""
    kwargs = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
    hp = dict(kwargs, amsgrad=False, decoupled=True)
    judge_trajectory("adamw", "AdamW", AdamW, kwargs, hp, seed)


def check_adam_bias_correction(Adam, seed=0, lr=0.01, betas=(0.9, 0.999), eps=1e-8):
    """Adam's first step moves every weight by ``lr * g / (|g| + eps)``, about ``lr`` against the
    sign of its gradient, whatever the gradient's size: that is what bias correction buys."""
    exercise = "adam_bias_correction"
    problem = LeastSquares(seed, badly_scaled=False)
    params = [p.copy() for p in problem.start]
    grads = problem.gradients(params)
    optimizer = construct_student(Adam, exercise, params, lr=lr, betas=tuple(betas), eps=eps)
    call_student(optimizer.step, exercise, [g.copy() for g in grads])
    update, g = _flat(params) - _flat(problem.start), _flat(grads)
    beta1, beta2 = betas
    uncorrected = np.sqrt(1 - beta2) / (1 - beta1)
    compare(
        exercise, "the first update (parameters after minus before)", update, -lr * g / (np.abs(g) + eps),
        FORWARD_THRESHOLD,
        hint="at t = 1, m_hat = m / (1 - beta1**1) = g and v_hat = v / (1 - beta2**1) = g**2, so every weight "
             "moves by about lr against the sign of its gradient; count t from 1.",
        mistakes=[
            (-lr * (1 - beta1) * g / (np.sqrt(1 - beta2) * np.abs(g) + eps),
             f"neither m nor v is bias-corrected, so the first step is {1 / uncorrected:.3g} times lr"),
            (-lr * g / (np.sqrt(1 - beta2) * np.abs(g) + eps), "only m is bias-corrected, v is not"),
            (-lr * (1 - beta1) * g / (np.abs(g) + eps), "only v is bias-corrected, m is not"),
        ],
    )
