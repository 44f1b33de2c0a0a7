"""Each normalization check passes the reference and names the mistake of typical wrong solutions."""
import numpy as np
import pytest

from course.checks.judging import CheckFailed
from course.checks.normalization import (
    check_batchnorm_backward,
    check_batchnorm_forward,
    check_dropout,
    check_layernorm_backward,
)
from course.layers.batchnorm import batchnorm_backward, batchnorm_backward_alt, batchnorm_forward
from course.layers.dropout import dropout_backward, dropout_forward
from course.layers.layer_group_norm import layernorm_backward, layernorm_forward


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_reference_passes_every_check(seed):
    check_batchnorm_forward(batchnorm_forward, seed=seed)
    check_batchnorm_forward(batchnorm_forward, seed=seed, N=3, D=2, momentum=0.25)
    check_batchnorm_backward(batchnorm_forward, batchnorm_backward, seed=seed)
    check_batchnorm_backward(batchnorm_forward, batchnorm_backward_alt, seed=seed, N=3, D=2)
    check_layernorm_backward(layernorm_forward, layernorm_backward, seed=seed)
    check_layernorm_backward(layernorm_forward, layernorm_backward, seed=seed, N=1, D=7)
    check_dropout(dropout_forward, dropout_backward, seed=seed)
    check_dropout(dropout_forward, dropout_backward, seed=seed, p=0.6, shape=(100, 300))


# ---------------------------------------------------------------- BatchNorm forward

def student_batchnorm_forward(biased_running=False, swapped_momentum=False, unbiased_normalization=False,
                              initial_var=1.0, in_place=True, batch_statistics_in_test=False, eps_outside=False):
    """A student's batchnorm_forward, right unless one of the flags plants a typical mistake."""
    def forward(x, gamma, beta, bn_param):
        mode, eps, momentum = bn_param["mode"], bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.1)
        running_mean = bn_param.setdefault("running_mean", np.zeros(x.shape[1]))
        running_var = bn_param.setdefault("running_var", np.full(x.shape[1], initial_var))
        if mode == "train" or batch_statistics_in_test:
            mean, var = x.mean(axis=0), x.var(axis=0, ddof=1 if unbiased_normalization else 0)
        else:
            mean, var = running_mean, running_var
        x_hat = (x - mean) / (np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps))
        if mode == "train":
            batch_var = x.var(axis=0, ddof=0 if biased_running else 1)
            keep = momentum if swapped_momentum else 1 - momentum
            new_mean, new_var = keep * running_mean + (1 - keep) * mean, keep * running_var + (1 - keep) * batch_var
            if in_place:
                running_mean[:], running_var[:] = new_mean, new_var
            else:
                bn_param["running_mean"], bn_param["running_var"] = new_mean, new_var
        return gamma * x_hat + beta, None
    return forward


@pytest.mark.parametrize("mistake, message", [
    ({"biased_running": True}, "updated with the biased batch variance"),
    ({"swapped_momentum": True}, "momentum is applied the wrong way round"),
    ({"unbiased_normalization": True}, r"normalizes with the unbiased variance \(divide by N - 1\)"),
    ({"initial_var": 0.0}, "running_var started from zeros; torch starts it from ones"),
    ({"in_place": False}, "replaced by a new array instead of updated in place"),
    ({"batch_statistics_in_test": True}, "uses the batch statistics in test mode"),
    ({"eps_outside": True}, r"eps is added outside the square root"),
])
def test_batchnorm_forward_check_names_the_mistake(mistake, message):
    with pytest.raises(CheckFailed, match=message):
        check_batchnorm_forward(student_batchnorm_forward(**mistake))
    check_batchnorm_forward(student_batchnorm_forward())  # the same student without the mistake passes


def test_batchnorm_forward_check_fails_a_forward_that_never_stores_running_statistics():
    def forward(x, gamma, beta, bn_param):
        return gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5) + beta, None
    with pytest.raises(CheckFailed, match="bn_param has no 'running_mean' after a training step"):
        check_batchnorm_forward(forward)


# ---------------------------------------------------------------- BatchNorm backward

def student_batchnorm_backward(mistake):
    def backward(dout, cache):
        dx, dgamma, dbeta = batchnorm_backward(dout, cache)
        x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
        dx_hat = dout * gamma
        if mistake == "mean and variance as constants":
            dx = dx_hat * inv_std
        elif mistake == "no variance path" and cache["mode"] == "train":
            dx = inv_std * (dx_hat - dx_hat.mean(axis=0))
        elif mistake == "dgamma not summed":
            dgamma = dout * x_hat
        elif mistake == "dbeta averaged":
            dbeta = dout.mean(axis=0)
        elif mistake == "training formula in test mode":
            n = dout.shape[0]
            dx = inv_std / n * (n * dx_hat - dx_hat.sum(0) - x_hat * np.sum(dx_hat * x_hat, axis=0))
        return dx, dgamma, dbeta
    return backward


@pytest.mark.parametrize("mistake, message", [
    ("mean and variance as constants", r"dx \(training mode\) is wrong .* treats the batch mean and variance as constants"),
    ("no variance path", "the path through the variance is missing"),
    ("dgamma not summed", r"dgamma \(training mode\) has shape \(6, 4\) .* still has the batch axis"),
    ("dbeta averaged", r"dbeta \(training mode\) is wrong .* 6 times too small"),
    ("training formula in test mode", r"dx \(test mode\) is wrong .* in test mode the running statistics are constants"),
])
def test_batchnorm_backward_check_names_the_mistake(mistake, message):
    with pytest.raises(CheckFailed, match=message):
        check_batchnorm_backward(batchnorm_forward, student_batchnorm_backward(mistake))


# ---------------------------------------------------------------- LayerNorm

def student_layernorm(axis=-1, ddof=0, mistake=None):
    def forward(x, gamma, beta, eps=1e-5):
        mean, var = x.mean(axis=axis, keepdims=True), x.var(axis=axis, ddof=ddof, keepdims=True)
        x_hat = (x - mean) / np.sqrt(var + eps)
        return gamma * x_hat + beta, (x, x_hat, 1 / np.sqrt(var + eps), gamma)

    def backward(dout, cache):
        x, x_hat, inv_std, gamma = cache
        dx, dgamma, dbeta = layernorm_backward(dout, layernorm_forward(x, gamma, np.zeros_like(gamma))[1])
        if mistake == "constants":
            dx = dout * gamma * inv_std
        elif mistake == "x instead of x_hat":
            dgamma = np.sum(dout * x, axis=0)
        elif mistake == "no sum":
            dbeta = dout
        return dx, dgamma, dbeta
    return forward, backward


@pytest.mark.parametrize("student, message", [
    (student_layernorm(axis=0), r"normalizes over the batch \(axis 0\) like BatchNorm"),
    (student_layernorm(ddof=1), "unbiased variance"),
    (student_layernorm(mistake="constants"), "treats each row's mean and variance as constants"),
    (student_layernorm(mistake="x instead of x_hat"), "dgamma is wrong .* it uses x instead of x_hat"),
    (student_layernorm(mistake="no sum"), r"dbeta has shape \(4, 5\) .* still has the batch axis"),
])
def test_layernorm_check_names_the_mistake(student, message):
    with pytest.raises(CheckFailed, match=message):
        check_layernorm_backward(*student)


# ---------------------------------------------------------------- dropout

def student_dropout(scale="inverted", keep_with_probability_p=False, fresh_mask_in_backward=False,
                    test_scale=1.0, seeded=True):
    def forward(x, p, mode, seed=None):
        if mode == "test":
            return x * (test_scale if test_scale != "1-p" else 1 - p), None
        rng = np.random.default_rng(seed if seeded else None)
        mask = rng.random(x.shape) < (p if keep_with_probability_p else 1 - p)
        factor = {"inverted": 1 / (1 - p), "none": 1.0, "1-p": 1 - p, "p": p, "1/p": 1 / p}[scale]
        return x * mask * factor, (mask, factor)

    def backward(dout, cache):
        if cache is None:
            return dout
        mask, factor = cache
        if fresh_mask_in_backward:
            mask = np.random.default_rng(12345).random(dout.shape) < mask.mean()
        return dout * mask * factor
    return forward, backward


@pytest.mark.parametrize("student, message", [
    (student_dropout(scale="1-p"), "multiplied by 1 - p .* inverted dropout divides by 1 - p during training"),
    (student_dropout(scale="none"), "kept units are not scaled"),
    (student_dropout(scale="1/p"), "divided by p; p is the drop probability"),
    (student_dropout(keep_with_probability_p=True), r"dropped a fraction 0\.7\d+ .* p is the probability of DROPPING a unit"),
    (student_dropout(fresh_mask_in_backward=True), "backward must reuse the forward pass's mask"),
    (student_dropout(test_scale="1-p"), r"out \(test mode\) is wrong .* scales by 1 - p in test mode"),
    (student_dropout(seeded=False), "the same seed gave a different mask"),
])
def test_dropout_check_names_the_mistake(student, message):
    with pytest.raises(CheckFailed, match=message):
        check_dropout(*student)


def test_checks_refuse_settings_they_cannot_judge():
    with pytest.raises(ValueError, match="N must be at least 3"):
        check_batchnorm_backward(batchnorm_forward, batchnorm_backward, N=2)
    with pytest.raises(ValueError, match="D must be at least 3"):
        check_layernorm_backward(layernorm_forward, layernorm_backward, D=2)
    with pytest.raises(ValueError, match="p must lie strictly between 0 and 1"):
        check_dropout(dropout_forward, dropout_backward, p=1.0)


def test_dropout_check_fails_a_division_by_zero_at_p_one():
    def forward(x, p, mode, seed=None):
        if mode == "test":
            return x, None
        mask = np.random.default_rng(seed).random(x.shape) >= p
        return x * mask / (1 - p), mask / (1 - p)  # 0 * inf = nan when p = 1

    def backward(dout, cache):
        return dout if cache is None else dout * cache

    with pytest.raises(CheckFailed, match=r"NaN or inf for p = 1.0; .* without dividing by 1 - p = 0"):
        check_dropout(forward, backward)
