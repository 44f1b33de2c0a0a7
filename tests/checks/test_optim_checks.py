"""The optimizer checks pass the reference classes and name typical mistakes, each written here
the way a student might write it: a correct class, and subclasses that get one thing wrong."""
import numpy as np
import pytest

from course import optim
from course.checks.optim import (RULES, LeastSquares, check_adagrad, check_adam, check_adam_bias_correction,
                                 check_adamw, check_rmsprop, check_sgd, check_sgd_momentum, reference_trajectory,
                                 rule_trajectory)
from course.gradcheck import rel_error
from course.checks.runner import check
from tests.checks.failing import fails_with


@pytest.mark.parametrize("seed", range(3))
def test_reference_passes_every_check(seed):
    check_sgd(optim.SGD, seed=seed)
    check_sgd(optim.SGD, seed=seed, lr=0.05, weight_decay=0.1)
    check_sgd_momentum(optim.SGD, seed=seed)
    check_sgd_momentum(optim.SGD, seed=seed, nesterov=True, weight_decay=0.01)
    check_sgd_momentum(optim.SGD, seed=seed, momentum=0.5, dampening=0.3)
    check_adagrad(optim.Adagrad, seed=seed)
    check_adagrad(optim.Adagrad, seed=seed, lr_decay=0.1, weight_decay=0.01)
    check_rmsprop(optim.RMSprop, seed=seed)
    check_rmsprop(optim.RMSprop, seed=seed, alpha=0.9, momentum=0.8, centered=True, weight_decay=0.01)
    check_adam(optim.Adam, seed=seed)
    check_adam(optim.Adam, seed=seed, betas=(0.8, 0.9), weight_decay=0.01, amsgrad=True)
    check_adamw(optim.AdamW, seed=seed)
    check_adam_bias_correction(optim.Adam, seed=seed)


# SGD -------------------------------------------------------------------------------------


class StudentSGD:
    def __init__(self, params, lr, momentum=0.0, nesterov=False, weight_decay=0.0, dampening=0.0):
        self.params, self.lr, self.momentum, self.nesterov = params, lr, momentum, nesterov
        self.weight_decay, self.dampening = weight_decay, dampening
        self.buffers = [None] * len(params)

    def step(self, grads):
        for i, (p, g) in enumerate(zip(self.params, grads)):
            g = g + self.weight_decay * p
            if self.momentum:
                previous = self.buffers[i]
                self.buffers[i] = self.new_buffer(previous, g)
                g = self.direction(previous, self.buffers[i], g)
            self.apply(p, g)

    def new_buffer(self, buf, g):
        return g.copy() if buf is None else self.momentum * buf + (1 - self.dampening) * g

    def direction(self, previous, buf, g):
        return g + self.momentum * buf if self.nesterov else buf

    def apply(self, p, d):
        p -= self.lr * d


def test_student_sgd_is_right():
    check_sgd(StudentSGD, weight_decay=0.1)
    check_sgd_momentum(StudentSGD, nesterov=True, weight_decay=0.1)
    check_sgd_momentum(StudentSGD, dampening=0.5)


def test_sgd_mistakes():
    class Ascent(StudentSGD):
        def apply(self, p, d):
            p += self.lr * d
    fails_with(r"sgd: the parameters first differ from torch.optim.SGD's rule after step 1 of 20 \(relative error "
               r".*\); the parameters move along the gradient instead of against it: subtract lr \* g\. "
               r"Hint: torch's SGD", check_sgd, Ascent)

    class NoLearningRate(StudentSGD):
        def apply(self, p, d):
            p -= d
    fails_with(r"after step 1 of 20 .*the learning rate is not applied", check_sgd, NoLearningRate)

    class DecayAfterTheStep(StudentSGD):
        def step(self, grads):
            for p, g in zip(self.params, grads):
                p -= self.lr * g
                p -= self.lr * self.weight_decay * p
    fails_with(r"after step 1 of 20 .*weight decay is applied after the gradient step", check_sgd,
               DecayAfterTheStep, weight_decay=0.1)

    class NoDecay(StudentSGD):
        def step(self, grads):
            for p, g in zip(self.params, grads):
                p -= self.lr * g
    check_sgd(NoDecay)
    fails_with(r"weight_decay is ignored", check_sgd, NoDecay, weight_decay=0.1)


def test_sgd_api_mistakes():
    class FrozenRate(StudentSGD):
        def __init__(self, params, lr, **kwargs):
            super().__init__(params, lr, **kwargs)
            self.rate = lr

        def apply(self, p, d):
            p -= self.rate * d
    fails_with(r"after step 11 of 20 .*setting optimizer.lr between steps had no effect", check_sgd, FrozenRate)

    class NoLrAttribute:
        def __init__(self, params, lr):
            self.params, self.learning_rate = params, lr

        def step(self, grads):
            for p, g in zip(self.params, grads):
                p -= self.learning_rate * g
    fails_with(r"sgd: the optimizer has no attribute lr; keep the learning rate in self.lr", check_sgd, NoLrAttribute)
    fails_with(r"sgd: NoLrAttribute raised TypeError: .*unexpected keyword argument 'weight_decay'",
               check_sgd, NoLrAttribute, weight_decay=0.1)

    class NewArrays(StudentSGD):
        def step(self, grads):
            self.params = [p - self.lr * g for p, g in zip(self.params, grads)]
    fails_with(r"the arrays passed to the constructor are unchanged; update them in place", check_sgd, NewArrays)

    class ScalesTheGradient(StudentSGD):
        def step(self, grads):
            for p, g in zip(self.params, grads):
                g *= self.lr
                p -= g
    fails_with(r"step changed its input grads in place", check_sgd, ScalesTheGradient)

    class NotDone(StudentSGD):
        def step(self, grads):
            raise NotImplementedError
    fails_with(r"sgd \(step 1\): step is not implemented yet", check_sgd, NotDone)


def test_sgd_momentum_mistakes():
    class Average(StudentSGD):  # v = beta v + (1 - beta) g, the "exponentially weighted average" form
        def new_buffer(self, buf, g):
            return (1 - self.momentum) * g + (0 if buf is None else self.momentum * buf)
    fails_with(r"sgd_momentum: .* after step 1 of 20 .*the gradient enters the buffer scaled by \(1 - momentum\)",
               check_sgd_momentum, Average)

    class Velocity(StudentSGD):  # the notes' v = beta v + eta g; w -= v
        def new_buffer(self, v, g):
            return self.lr * g + (0 if v is None else self.momentum * v)

        def apply(self, p, v):
            p -= v
    fails_with(r"after step 11 of 20 .*the learning rate is folded into the velocity", check_sgd_momentum, Velocity)

    class Forgetful(StudentSGD):
        def new_buffer(self, buf, g):
            return g
    fails_with(r"after step 2 of 20 .*the momentum buffer is not used", check_sgd_momentum, Forgetful)

    class ZeroStart(StudentSGD):
        def new_buffer(self, buf, g):
            return (0 if buf is None else self.momentum * buf) + (1 - self.dampening) * g
    check_sgd_momentum(ZeroStart)  # without dampening, starting at zero is the same as torch's start
    fails_with(r"the momentum buffer starts at zero; torch starts it at the first gradient",
               check_sgd_momentum, ZeroStart, dampening=0.5)

    class DecayOutside(StudentSGD):
        def step(self, grads):
            for i, (p, g) in enumerate(zip(self.params, grads)):
                self.buffers[i] = self.new_buffer(self.buffers[i], g)
                p -= self.lr * (self.buffers[i] + self.weight_decay * p)
    fails_with(r"weight decay is added after the momentum buffer", check_sgd_momentum, DecayOutside,
               weight_decay=0.1)


def test_nesterov_mistakes():
    class OldBuffer(StudentSGD):  # g + momentum * previous buffer is plain momentum in disguise
        def direction(self, previous, buf, g):
            return g + self.momentum * (0 if previous is None else previous)
    fails_with(r"after step 1 of 20 .*nesterov=True behaves like plain momentum \(or adds the buffer from before "
               r"this step's update\)", check_sgd_momentum, OldBuffer, nesterov=True)

    class Ignored(StudentSGD):
        def direction(self, previous, buf, g):
            return buf
    fails_with(r"nesterov=True behaves like plain momentum", check_sgd_momentum, Ignored, nesterov=True)

    class Velocity(StudentSGD):  # v = mu v + lr g; w -= lr g + mu v: torch's trajectory while lr is constant
        def new_buffer(self, v, g):
            return self.lr * g + (0 if v is None else self.momentum * v)

        def direction(self, previous, v, g):
            return self.lr * g + self.momentum * v

        def apply(self, p, d):
            p -= d
    fails_with(r"after step 11 of 20 .*the learning rate is folded into the velocity", check_sgd_momentum,
               Velocity, nesterov=True)

    class BufferOnly(StudentSGD):
        def direction(self, previous, buf, g):
            return self.momentum * buf
    message = fails_with(r"after step 1 of 20 \(relative error", check_sgd_momentum, BufferOnly, nesterov=True)
    assert "; " not in message.split("Hint")[0]  # no known mistake fits: no diagnosis, only the hint


# Adagrad and RMSprop ---------------------------------------------------------------------


class StudentAdagrad:
    def __init__(self, params, lr=1e-2, eps=1e-10):
        self.params, self.lr, self.eps = params, lr, eps
        self.sums = [np.zeros_like(p) for p in params]

    def step(self, grads):
        for p, g, total in zip(self.params, grads, self.sums):
            self.accumulate(total, g)
            p -= self.lr * g / self.denominator(total)

    def accumulate(self, total, g):
        total += g * g

    def denominator(self, total):
        return np.sqrt(total) + self.eps


def test_adagrad_mistakes():
    check_adagrad(StudentAdagrad)

    class EpsInside(StudentAdagrad):
        def denominator(self, total):
            return np.sqrt(total + self.eps)
    fails_with(r"adagrad: .* after step 1 of 20 .*eps is inside the square root, sqrt\(v \+ eps\)",
               check_adagrad, EpsInside)

    class NoRoot(StudentAdagrad):
        def denominator(self, total):
            return total + self.eps
    fails_with(r"the square root is missing", check_adagrad, NoRoot)

    class NoMemory(StudentAdagrad):
        def accumulate(self, total, g):
            total[...] = g * g
    fails_with(r"after step 2 of 20 .*the squared gradients are not accumulated", check_adagrad, NoMemory)


class StudentRMSprop:
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8):
        self.params, self.lr, self.alpha, self.eps, self.t = params, lr, alpha, eps, 0
        self.averages = [np.zeros_like(p) for p in params]

    def step(self, grads):
        self.t += 1
        for p, g, average in zip(self.params, grads, self.averages):
            average[...] = self.new_average(average, g)
            p -= self.lr * g / self.denominator(average)

    def new_average(self, average, g):
        return self.alpha * average + (1 - self.alpha) * g * g

    def denominator(self, average):
        return np.sqrt(average) + self.eps


def test_rmsprop_mistakes():
    check_rmsprop(StudentRMSprop)

    class EpsInside(StudentRMSprop):
        def denominator(self, average):
            return np.sqrt(average + self.eps)
    fails_with(r"rmsprop: .* after step 1 of 20 .*eps is inside the square root", check_rmsprop, EpsInside)

    class Swapped(StudentRMSprop):
        def new_average(self, average, g):
            return (1 - self.alpha) * average + self.alpha * g * g
    fails_with(r"alpha and 1 - alpha are swapped", check_rmsprop, Swapped)

    class Unscaled(StudentRMSprop):
        def new_average(self, average, g):
            return self.alpha * average + g * g
    fails_with(r"the new squared gradient is not scaled by \(1 - alpha\)", check_rmsprop, Unscaled)

    class BiasCorrected(StudentRMSprop):
        def denominator(self, average):
            return np.sqrt(average / (1 - self.alpha**self.t)) + self.eps
    fails_with(r"the average is bias-corrected; torch's RMSprop has no bias correction", check_rmsprop, BiasCorrected)


def test_rmsprop_centered_mistake():
    class Uncentered(optim.RMSprop):
        def __init__(self, params, lr, alpha, eps, centered):
            super().__init__(params, lr, alpha, eps)  # centered is accepted but dropped
    fails_with(r"centered=True must subtract the square of the running mean", check_rmsprop, Uncentered,
               centered=True)


# Adam and AdamW ---------------------------------------------------------------------------


class StudentAdam:
    """Adam as a student writes it; class attributes switch on one mistake at a time."""
    eps_inside = t_from_zero = decoupled = swap_betas = False
    correct_m = correct_v = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        self.params, self.lr, self.betas, self.eps, self.weight_decay = params, lr, betas, eps, weight_decay
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads):
        beta1, beta2 = self.betas[::-1] if self.swap_betas else self.betas
        t = self.t if self.t_from_zero else self.t + 1
        self.t += 1
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            if self.weight_decay and self.decoupled:
                p *= 1 - self.lr * self.weight_decay
            elif self.weight_decay:
                g = g + self.weight_decay * p
            m[...] = beta1 * m + (1 - beta1) * g
            v[...] = beta2 * v + (1 - beta2) * g * g
            m_hat = m / (1 - beta1**t) if self.correct_m else m
            v_hat = v / (1 - beta2**t) if self.correct_v else v
            p -= self.lr * m_hat / (np.sqrt(v_hat + self.eps) if self.eps_inside else np.sqrt(v_hat) + self.eps)


def adam(**mistake):
    return type("StudentAdam", (StudentAdam,), mistake)


def test_adam_mistakes():
    check_adam(StudentAdam)
    check_adam(StudentAdam, weight_decay=0.1)
    fails_with(r"adam: .* after step 1 of 20 .*eps is inside the square root, sqrt\(v \+ eps\); torch \(like the "
               r"paper\) adds it outside", check_adam, adam(eps_inside=True))
    fails_with(r"m and v are not bias-corrected", check_adam, adam(correct_m=False, correct_v=False))
    fails_with(r"only m is bias-corrected", check_adam, adam(correct_v=False))
    fails_with(r"after step 2 of 20 .*beta1 and beta2 are swapped", check_adam, adam(swap_betas=True))
    fails_with(r"adam: the parameters contain NaN or inf after step 1 of 20; t is 0 at the first step, so the bias "
               r"correction 1 - beta1\*\*t is 0 and divides by zero; add 1 to t before using it, so that the first "
               r"step has t = 1\. Hint: torch's Adam:", check_adam, adam(t_from_zero=True))
    fails_with(r"weight decay is decoupled \(AdamW's rule\); Adam adds weight_decay \* p to the gradient",
               check_adam, adam(decoupled=True), weight_decay=0.1)
    fails_with(r"adam: StudentAdam raised TypeError: .*unexpected keyword argument 'amsgrad'", check_adam,
               StudentAdam, amsgrad=True)


def test_adam_amsgrad_mistake():
    class Forgets(optim.Adam):
        def __init__(self, params, lr, betas, eps, amsgrad):
            super().__init__(params, lr, betas, eps)  # amsgrad is accepted but dropped
    fails_with(r"amsgrad=True must divide by the running maximum of v", check_adam, Forgets, betas=(0.5, 0.5),
               amsgrad=True)


def test_adamw_mistakes():
    check_adamw(adam(decoupled=True))
    fails_with(r"adamw: .*torch.optim.AdamW's rule after step 1 of 20 .*weight decay is added to the gradient "
               r"\(Adam's L2 penalty\)", check_adamw, StudentAdam)
    fails_with(r"eps is inside the square root", check_adamw, adam(decoupled=True, eps_inside=True))

    class Unscaled(StudentAdam):
        def step(self, grads):
            for p in self.params:
                p *= 1 - self.weight_decay
            weight_decay, self.weight_decay = self.weight_decay, 0.0
            super().step(grads)
            self.weight_decay = weight_decay
    fails_with(r"the decay is not multiplied by lr", check_adamw, Unscaled)

    class DecayAfter(StudentAdam):
        def step(self, grads):
            weight_decay, self.weight_decay = self.weight_decay, 0.0
            super().step(grads)
            self.weight_decay = weight_decay
            for p in self.params:
                p -= self.lr * self.weight_decay * p
    fails_with(r"the weights are shrunk after the Adam update; torch shrinks them first", check_adamw, DecayAfter)


def test_adam_bias_correction_check():
    check_adam_bias_correction(StudentAdam)
    fails_with(r"adam_bias_correction: the first update .* is wrong .*expected -?0.01 at index .*, got -?0.0316"
               r".*; neither m nor v is bias-corrected, so the first step is 3.16 times lr",
               check_adam_bias_correction, adam(correct_m=False, correct_v=False))
    fails_with(r"only m is bias-corrected, v is not", check_adam_bias_correction, adam(correct_v=False))
    fails_with(r"only v is bias-corrected, m is not", check_adam_bias_correction, adam(correct_m=False))

    class Ascent(StudentAdam):
        def step(self, grads):
            super().step([-g for g in grads])
    fails_with(r"the sign is flipped", check_adam_bias_correction, Ascent)


def test_runner_prints_one_friendly_line(capsys):
    assert check(check_adam, adam(eps_inside=True)) is False
    output = capsys.readouterr().out
    assert output.startswith("❌ adam: the parameters first differ") and output.count("\n") == 1
    assert check(check_adam, optim.Adam) is True
    assert "✅ adam" in capsys.readouterr().out


@pytest.mark.parametrize("name, hp", [
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, nesterov=False, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.0, nesterov=True, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, eps=1e-10, weight_decay=0.1, lr_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-8, momentum=0.5, centered=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-8, weight_decay=0.1, amsgrad=True, decoupled=False)),
    ("AdamW", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-8, weight_decay=0.1, amsgrad=False, decoupled=True)),
])
def test_the_numpy_rules_behind_the_diagnoses_follow_the_reference_when_right(name, hp):
    """The rules that explain mistakes, run without one, are course.optim's trajectory (which
    tests/optim/test_check_problems.py holds to torch.optim on the same problems)."""
    problem = LeastSquares(seed=4)
    kwargs = {key: value for key, value in hp.items() if key != "decoupled"}
    for ours, theirs in zip(rule_trajectory(RULES[name], hp, problem), reference_trajectory(name, problem, kwargs)):
        assert rel_error(ours, theirs) < 1e-11


# The catalogue of common bugs: each is named instead of falling back to the generic hint -----


def test_hints_name_only_what_the_students_class_has():
    """Lab 03's SGD has lr, momentum and nesterov only: its hint must not mention weight_decay or dampening."""
    for nesterov in (False, True):
        message = fails_with(r"Hint: torch's SGD: buf = g at the first step, then buf = momentum \* buf \+ g; ",
                             check_sgd_momentum, adam_free_sgd(lambda self, previous, buf, g: 2 * buf),
                             nesterov=nesterov)
        assert "weight_decay" not in message and "dampening" not in message
        assert ("nesterov" in message or "g + momentum * buf" in message) == nesterov
    message = fails_with(r"Hint: torch's SGD: g = grad \+ weight_decay \* p; buf = .* momentum \* buf \+ "
                         r"\(1 - dampening\) \* g; p -= lr \* buf\.", check_sgd_momentum,
                         adam_free_sgd(lambda self, previous, buf, g: 2 * buf), weight_decay=0.1, dampening=0.2)
    for check_function, student, text in [(check_adagrad, NoisyAdagrad, "lr_decay"),
                                          (check_rmsprop, NoisyRMSprop, "centered"),
                                          (check_adam, NoisyAdam, "amsgrad")]:
        message = fails_with(r"Hint: torch's", check_function, student)
        assert "weight_decay" not in message and text not in message, message


def adam_free_sgd(direction):
    return type("StudentSGD", (StudentSGD,), {"direction": direction})


class NoisyAdagrad(StudentAdagrad):
    def denominator(self, total):
        return 1.5 * np.sqrt(total) + self.eps


class NoisyRMSprop(StudentRMSprop):
    def denominator(self, average):
        return 1.5 * np.sqrt(average) + self.eps


class NoisyAdam(StudentAdam):
    def step(self, grads):
        super().step([1.5 * g for g in grads])


def test_nesterov_sign_mistake():
    class Behind(StudentSGD):  # the look-ahead taken on the wrong side: g - momentum * buf
        def direction(self, previous, buf, g):
            return g - self.momentum * buf
    fails_with(r"after step 1 of 20 .*the Nesterov step subtracts momentum \* buf from g; it adds it, "
               r"p -= lr \* \(g \+ momentum \* buf\)", check_sgd_momentum, Behind, nesterov=True)


def test_adagrad_common_bugs():
    class NoSquare(StudentAdagrad):
        def accumulate(self, total, g):
            total += g
    fails_with(r"adagrad: the parameters contain NaN or inf after step \d+ of 20; sum collects the gradients "
               r"themselves; it must collect their squares", check_adagrad, NoSquare)

    class AccumulateAfter(StudentAdagrad):
        def step(self, grads):
            for p, g, total in zip(self.params, grads, self.sums):
                p -= self.lr * g / (np.sqrt(total) + self.eps)
                total += g * g
    fails_with(r"after step 1 of 20 .*sum is updated after the step", check_adagrad, AccumulateAfter)


def test_rmsprop_common_bugs():
    class NoSquare(StudentRMSprop):
        def new_average(self, average, g):
            return self.alpha * average + (1 - self.alpha) * g
    fails_with(r"rmsprop: the parameters contain NaN or inf after step \d+ of 20; square_avg averages the gradient "
               r"itself; it must average the squared gradient", check_rmsprop, NoSquare)

    class NoRoot(StudentRMSprop):
        def denominator(self, average):
            return average + self.eps
    fails_with(r"after step 1 of 20 .*the square root is missing: divide by sqrt\(square_avg\) \+ eps", check_rmsprop,
               NoRoot)

    class AverageAfter(StudentRMSprop):
        def step(self, grads):
            for p, g, average in zip(self.params, grads, self.averages):
                p -= self.lr * g / self.denominator(average)
                average[...] = self.new_average(average, g)
    fails_with(r"after step 1 of 20 .*square_avg is updated after the step", check_rmsprop, AverageAfter)


def test_adam_common_bugs():
    class NoSquare(StudentAdam):
        def step(self, grads):
            t = self.t = self.t + 1
            beta1, beta2 = self.betas
            for p, g, m, v in zip(self.params, grads, self.m, self.v):
                m[...] = beta1 * m + (1 - beta1) * g
                v[...] = beta2 * v + (1 - beta2) * g
                p -= self.lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + self.eps)
    fails_with(r"adam: the parameters contain NaN or inf after step 1 of 20; v averages the gradient itself",
               check_adam, NoSquare)

    class CountsParameters(StudentAdam):  # self.t += 1 inside the loop over the parameters
        def step(self, grads):
            beta1, beta2 = self.betas
            for p, g, m, v in zip(self.params, grads, self.m, self.v):
                self.t += 1
                m[...] = beta1 * m + (1 - beta1) * g
                v[...] = beta2 * v + (1 - beta2) * g * g
                p -= self.lr * (m / (1 - beta1**self.t)) / (np.sqrt(v / (1 - beta2**self.t)) + self.eps)
    fails_with(r"after step 1 of 20 .*the step count t goes up once per parameter instead of once per step",
               check_adam, CountsParameters)

    class CorrectsInPlace(StudentAdam):
        def step(self, grads):
            t = self.t = self.t + 1
            beta1, beta2 = self.betas
            for p, g, m, v in zip(self.params, grads, self.m, self.v):
                m[...] = (beta1 * m + (1 - beta1) * g) / (1 - beta1**t)
                v[...] = (beta2 * v + (1 - beta2) * g * g) / (1 - beta2**t)
                p -= self.lr * m / (np.sqrt(v) + self.eps)
    fails_with(r"after step 2 of 20 .*the bias-corrected m_hat and v_hat are stored back as m and v",
               check_adam, CorrectsInPlace)

    class NoRoot(StudentAdam):
        def step(self, grads):
            t = self.t = self.t + 1
            beta1, beta2 = self.betas
            for p, g, m, v in zip(self.params, grads, self.m, self.v):
                m[...] = beta1 * m + (1 - beta1) * g
                v[...] = beta2 * v + (1 - beta2) * g * g
                p -= self.lr * (m / (1 - beta1**t)) / (v / (1 - beta2**t) + self.eps)
    fails_with(r"the square root is missing: divide by sqrt\(v_hat\) \+ eps", check_adam, NoRoot)


def test_unknown_nan_gets_the_generic_advice():
    class Exploding(StudentAdam):
        def step(self, grads):
            for p in self.params:
                p[...] = np.inf
    fails_with(r"adam: the parameters contain NaN or inf after step 1 of 20\. Hint: look for a division by zero",
               check_adam, Exploding)


def test_checks_need_no_torch_at_run_time():
    """The reference is course.optim: the checks build no torch optimizer (torch may be absent)."""
    import sys
    loaded = "torch" in sys.modules
    check_adam(optim.Adam)
    check_sgd_momentum(optim.SGD, nesterov=True)
    assert loaded or "torch" not in sys.modules
