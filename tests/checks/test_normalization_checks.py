"""Each normalization check passes the reference and names the mistake of typical wrong solutions."""
import numpy as np
import pytest

from course.checks.judging import CheckFailed
from course.checks.normalization import (
    check_batchnorm_backward,
    check_batchnorm_backward_alt,
    check_batchnorm_forward,
    check_dropout,
    check_layernorm_backward,
)
from course.layers.batchnorm import batchnorm_backward, batchnorm_backward_alt, batchnorm_forward
from course.layers.dropout import dropout_backward, dropout_forward
from course.layers.layer_group_norm import layernorm_backward, layernorm_forward
from tests.checks.failing import fails_with


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_reference_passes_every_check(seed):
    check_batchnorm_forward(batchnorm_forward, seed=seed)
    check_batchnorm_forward(batchnorm_forward, seed=seed, N=3, D=2, momentum=0.25)
    check_batchnorm_backward(batchnorm_forward, batchnorm_backward, seed=seed)
    check_batchnorm_backward(batchnorm_forward, batchnorm_backward_alt, seed=seed, N=3, D=2)
    check_batchnorm_backward_alt(batchnorm_forward, batchnorm_backward_alt, seed=seed)
    check_batchnorm_backward_alt(batchnorm_forward, batchnorm_backward, seed=seed, N=3, D=2)
    check_layernorm_backward(layernorm_forward, layernorm_backward, seed=seed)
    check_layernorm_backward(layernorm_forward, layernorm_backward, seed=seed, N=1, D=7)
    check_dropout(dropout_forward, dropout_backward, seed=seed)
    check_dropout(dropout_forward, dropout_backward, seed=seed, p=0.6, shape=(100, 300))


# ---------------------------------------------------------------- BatchNorm forward

def student_batchnorm_forward(biased_running=False, swapped_momentum=False, unbiased_normalization=False,
                              initial_var=1.0, in_place=True, batch_statistics_in_test=False, eps_outside=False,
                              running_std=False, no_square_root=False):
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
        if no_square_root and mode == "train":
            x_hat = (x - mean) / (var + eps)
        if mode == "train":
            batch_var = x.var(axis=0, ddof=0 if biased_running else 1)
            if running_std:
                batch_var = np.sqrt(batch_var)
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
    ({"running_std": True}, r"bn_param\['running_var'\] .* it averages the standard deviation; torch's running_var "
                            r"averages the unbiased variance"),
    ({"no_square_root": True}, r"out \(training step 1\) is wrong .*divides by var \+ eps instead of its square root"),
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


def student_graph_forward(x, gamma, beta, bn_param, unbiased=False):
    """A student's forward that caches every node of the graph (training mode only)."""
    n = x.shape[0]
    mean = x.mean(axis=0)
    centered = x - mean
    var = (centered ** 2).sum(axis=0) / (n - 1 if unbiased else n)
    inv_std = 1.0 / np.sqrt(var + 1e-5)
    x_hat = centered * inv_std
    if bn_param["mode"] == "test":
        inv_std = 1.0 / np.sqrt(bn_param["running_var"] + 1e-5)
        x_hat = (x - bn_param["running_mean"]) * inv_std
    return gamma * x_hat + beta, (bn_param["mode"], x, centered, var, inv_std, x_hat, gamma)


def student_graph_backward(slip=None, unbiased=False):
    """A node-by-node backward like a student writes it, with one optional slip."""
    def backward(dout, cache):
        mode, x, centered, var, inv_std, x_hat, gamma = cache
        n = dout.shape[0]
        dgamma, dbeta = (dout * x_hat).sum(axis=0), dout.sum(axis=0)
        dx_hat = dout * gamma
        if mode == "test":
            return dx_hat * inv_std, dgamma, dbeta
        d_centered = dx_hat * inv_std
        d_inv_std = dx_hat * centered if slip == "no sum" else (dx_hat * centered).sum(axis=0)
        power = -0.5 if slip == "power" else -1.5
        sign = 0.5 if slip == "sign of d_inv_std" else -0.5
        d_var = sign * (var + 1e-5) ** power * d_inv_std
        divisor = n - 1 if (slip == "N - 1 on the way back" or unbiased) else n
        factor = 1.0 if slip == "no 2" else 2.0
        d_centered = d_centered + factor * centered * d_var / divisor
        d_mean = d_centered.sum(axis=0) if slip == "mean sign" else -d_centered.sum(axis=0)
        dx = d_centered + (d_mean if slip == "no 1/N" else d_mean / n)
        return dx, dgamma, dbeta
    return backward


@pytest.mark.parametrize("slip, message", [
    ("N - 1 on the way back", r"dx \(training mode\) is wrong .*the variance node divides by N - 1 on the way back"),
    ("no 2", "the variance node's local derivative lacks its 2"),
    ("power", r"the power in d inv_std / d var is wrong"),
    ("sign of d_inv_std", "d inv_std / d var has the wrong sign"),
    ("no sum", "d_inv_std .* is not summed over the batch"),
    ("no 1/N", r"the mean node's local derivative is 1 / N"),
    ("mean sign", "the path through the mean has the wrong sign"),
])
def test_graph_backward_check_names_the_slip_of_each_node(slip, message):
    """(Using x for centered in the variance's derivative is no slip: the mean node removes the difference.)"""
    fails_with(message, check_batchnorm_backward, student_graph_forward, student_graph_backward(slip))
    check_batchnorm_backward(student_graph_forward, student_graph_backward())  # without the slip it passes


def test_one_forward_mistake_costs_the_forward_only_when_the_backward_is_right_for_it():
    from course.checks.judging import take_notes

    def forward(x, gamma, beta, bn_param):
        return student_graph_forward(x, gamma, beta, bn_param, unbiased=True)
    fails_with(r"normalizes with the unbiased variance", check_batchnorm_forward, forward)
    take_notes()
    check_batchnorm_backward(forward, student_graph_backward(unbiased=True))  # the right backward of that forward
    assert any("is the right backward pass of your batchnorm_forward, which is wrong" in n.sentence for n in take_notes())


def test_a_backward_failure_caused_by_the_forward_names_the_forward():
    def forward(x, gamma, beta, bn_param):
        return student_graph_forward(x, gamma, beta, bn_param, unbiased=True)
    for check in (check_batchnorm_backward, check_batchnorm_backward_alt):
        backward = student_graph_backward() if check is check_batchnorm_backward else student_closed_form()
        if check is check_batchnorm_backward_alt:
            forward = _dict_cache(forward)
        message = fails_with(r"^batchnorm_backward(_alt)?: fails because your batchnorm_forward is wrong: fix that "
                             r"first \(out \(training mode\) is wrong .* unbiased variance.*\)\. What this check saw: ",
                             check, forward, backward)
        assert message.count(": fails because") == 1


def _dict_cache(forward):
    def with_dict(x, gamma, beta, bn_param):
        out, (mode, _x, centered, var, inv_std, x_hat, gamma_) = forward(x, gamma, beta, bn_param)
        return out, {"mode": mode, "x_hat": x_hat, "inv_std": inv_std, "gamma": gamma_}
    return with_dict


def test_backward_after_a_test_mode_forward_without_a_cache_says_test_mode():
    def forward(x, gamma, beta, bn_param):
        out, cache = batchnorm_forward(x, gamma, beta, bn_param)
        return out, (None if bn_param["mode"] == "test" else cache)
    fails_with(r"batchnorm_backward: in test mode your batchnorm_forward returned cache = None", check_batchnorm_backward,
               forward, batchnorm_backward)

    def backward(dout, cache):
        if cache["mode"] == "test":
            raise KeyError("x")
        return batchnorm_backward(dout, cache)
    fails_with(r"batchnorm_backward \(test mode, on the cache of a test-mode forward\): backward raised KeyError",
               check_batchnorm_backward, batchnorm_forward, backward)


def test_dgamma_with_keepdims_is_told_it_kept_the_axis_not_that_it_forgot_the_sum():
    def backward(dout, cache):
        dx, dgamma, dbeta = batchnorm_backward(dout, cache)
        return dx, dgamma[None, :], dbeta
    message = fails_with(r"dgamma \(training mode\) has shape \(1, 4\) .* kept the summed axis \(keepdims=True\)",
                         check_batchnorm_backward, batchnorm_forward, backward)
    assert "forget" not in message


def student_closed_form(slip=None):
    def backward(dout, cache):
        x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
        dgamma, dbeta = (dout * x_hat).sum(axis=0), dout.sum(axis=0)
        g = dout * gamma
        if cache["mode"] == "test":
            return g * inv_std, dgamma, dbeta
        n = dout.shape[0]
        first = g if slip == "no N in front of g" else n * g
        mean_term = -g.sum(axis=0) if slip != "mean sign" else g.sum(axis=0)
        var_term = -x_hat * (g * x_hat).sum(axis=0) * (-1 if slip == "variance sign" else 1)
        scale = {"no 1/N": inv_std, "inv_std squared": inv_std ** 2 / n, "N - 1": inv_std / (n - 1)}.get(slip, inv_std / n)
        return scale * (first + mean_term + var_term), dgamma, dbeta
    return backward


@pytest.mark.parametrize("slip, message", [
    ("no 1/N", r"dx \(training mode\) is wrong .*6 times too large: the factor 1 / N in front of the bracket is missing"),
    ("no N in front of g", "the first term is N \\* dx_hat"),
    ("variance sign", "the term of the path through the variance has the wrong sign"),
    ("mean sign", "the term of the path through the mean has the wrong sign"),
    ("inv_std squared", "inv_std appears squared in front"),
    ("N - 1", r"it divides by N - 1 in front of the bracket"),
])
def test_closed_form_check_names_the_slip(slip, message):
    message_seen = fails_with(message, check_batchnorm_backward_alt, batchnorm_forward, student_closed_form(slip))
    assert message_seen.startswith("batchnorm_backward_alt: ")
    check_batchnorm_backward_alt(batchnorm_forward, student_closed_form())


def test_closed_form_hints_guide_without_handing_over_the_formula():
    for check in (check_batchnorm_backward, check_batchnorm_backward_alt):
        def garbage(dout, cache):
            dx, dgamma, dbeta = batchnorm_backward(dout, cache)
            return dx + 0.3 * np.sin(7 * dx), dgamma, dbeta
        message = fails_with(r"dx \(training mode\) is wrong", check, batchnorm_forward, garbage)
        assert "N * dx_hat - sum(dx_hat)" not in message and "Hint:" in message


def test_the_planted_slips_are_all_different_numbers():
    """Within each catalogue no two slips coincide, so each sentence names one mistake."""
    from course.checks.normalization import EPS, _bn_batch, _closed_form_mistakes, _graph_mistakes
    from course.layers.normalization import standardize
    rng = np.random.default_rng(0)
    x, gamma, dout = _bn_batch(rng, 6, 4), rng.normal(size=4), rng.normal(size=(6, 4))
    x_hat, inv_std = standardize(x, 0, EPS)
    right = batchnorm_backward(dout, batchnorm_forward(x, gamma, np.zeros(4), {"mode": "train"})[1])[0]
    for catalogue in (_graph_mistakes(x, gamma, dout), _closed_form_mistakes(x_hat, inv_std, dout * gamma)):
        wrong = [value for value, _ in catalogue]
        for i, a in enumerate(wrong):
            assert np.abs(a - right).max() > 1e-3
            for b in wrong[i + 1:]:
                assert np.abs(a - b).max() > 1e-3


# ---------------------------------------------------------------- torch decides which variance goes where

def torch_batchnorm_forward(x, gamma, beta, bn_param):
    """batchnorm_forward built on torch.nn.BatchNorm1d itself: the check must accept it as it is."""
    torch = pytest.importorskip("torch")
    layer = torch.nn.BatchNorm1d(x.shape[1], eps=bn_param.get("eps", 1e-5), momentum=bn_param.get("momentum", 0.1),
                                 dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(gamma))
        layer.bias.copy_(torch.from_numpy(beta))
        for key in ("running_mean", "running_var"):
            if key in bn_param:
                getattr(layer, key).copy_(torch.from_numpy(bn_param[key]))
        layer.train(bn_param["mode"] == "train")
        out = layer(torch.from_numpy(x)).numpy()
    for key in ("running_mean", "running_var"):
        value = getattr(layer, key).numpy()
        if key in bn_param:
            bn_param[key][...] = value
        else:
            bn_param[key] = value.copy()
    return out, None


def test_torch_itself_passes_the_forward_check():
    check_batchnorm_forward(torch_batchnorm_forward)
    check_batchnorm_forward(torch_batchnorm_forward, seed=1, N=3, D=2, steps=2, momentum=0.25)


def test_torch_normalizes_with_the_biased_variance_and_remembers_the_unbiased_one():
    """The facts the lab states and the checks enforce, read off torch.nn.BatchNorm1d."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = 3.0 * rng.normal(size=(5, 4)) + 1.0
    layer = torch.nn.BatchNorm1d(4, dtype=torch.float64).train()
    out = layer(torch.from_numpy(x)).detach().numpy()
    biased, unbiased = x.var(axis=0), x.var(axis=0, ddof=1)
    assert np.allclose(out, (x - x.mean(axis=0)) / np.sqrt(biased + 1e-5), atol=1e-12)
    assert not np.allclose(out, (x - x.mean(axis=0)) / np.sqrt(unbiased + 1e-5), atol=1e-3)
    assert np.allclose(layer.running_var.numpy(), 0.9 * 1.0 + 0.1 * unbiased, atol=1e-12)
    assert not np.allclose(layer.running_var.numpy(), 0.9 * 1.0 + 0.1 * biased, atol=1e-3)
    ours = {"mode": "train"}
    ours_out = batchnorm_forward(x, np.ones(4), np.zeros(4), ours)[0]
    assert np.allclose(ours_out, out, atol=1e-12) and np.allclose(ours["running_var"], layer.running_var.numpy())


def test_forward_check_names_each_wrong_variance_against_torch():
    """A torch-built forward that swaps in the unbiased variance for the normalization, or the
    biased one for running_var, is refused with the sentence that says which is which."""
    def unbiased_normalization(x, gamma, beta, bn_param):
        out, cache = torch_batchnorm_forward(x, gamma, beta, bn_param)
        if bn_param["mode"] == "train":
            out = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + 1e-5) + beta
        return out, cache

    def biased_running_var(x, gamma, beta, bn_param):
        before = bn_param.get("running_var", np.ones(x.shape[1])).copy()
        out, cache = torch_batchnorm_forward(x, gamma, beta, bn_param)
        if bn_param["mode"] == "train":
            bn_param["running_var"][...] = 0.9 * before + 0.1 * x.var(axis=0)
        return out, cache

    fails_with(r"normalizes with the unbiased variance \(divide by N - 1\); normalizing uses the biased one",
               check_batchnorm_forward, unbiased_normalization)
    fails_with(r"running_var.* updated with the biased batch variance \(divide by N\); torch feeds running_var the "
               r"unbiased one", check_batchnorm_forward, biased_running_var)


# ---------------------------------------------------------------- LayerNorm

def student_layernorm(axis=-1, ddof=0, mistake=None):
    def forward(x, gamma, beta, eps=1e-5):
        mean, var = x.mean(axis=axis, keepdims=True), x.var(axis=axis, ddof=ddof, keepdims=True)
        x_hat = (x - mean) / (var + eps if mistake == "no square root" else np.sqrt(var + eps))
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
    (student_layernorm(mistake="no square root"), "divides by var \\+ eps instead of its square root"),
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

    with pytest.raises(CheckFailed, match=r"NaN or inf for p = 1.0 \(dropout_forward\(x, p=1.0, mode='train', seed=0\)\); .* without dividing by 1 - p = 0"):
        check_dropout(forward, backward)


def test_dropout_edges_name_the_call_that_failed():
    def forward(x, p, mode, seed=None):
        if mode == "test":
            return x, None
        keep = np.random.default_rng(seed).random(x.shape) >= p
        scale = 1.0 / (1.0 - float(p)) if p < 1 else 1 / (1 - int(p))  # ZeroDivisionError at p = 1
        return x * keep * scale, keep * scale

    def backward(dout, cache):
        return dout if cache is None else dout * cache
    fails_with(r"dropout: the call dropout_forward\(x, p=1.0, mode='train', seed=0\) failed: .*ZeroDivisionError",
               check_dropout, forward, backward)

    def backward_dividing(dout, cache):  # the forward is fine; the backward divides by 1 - p itself
        if cache is None:
            return dout
        keep, p = cache
        return dout * keep / (1 - p)

    def forward_keeping_p(x, p, mode, seed=None):
        if mode == "test":
            return x, None
        keep = np.random.default_rng(seed).random(x.shape) >= p
        return (x * keep / (1 - p) if p < 1 else np.zeros_like(x)), (keep, p)
    fails_with(r"dx contains NaN or inf for p = 1.0 \(dropout_backward\(dout, cache\) after dropout_forward\(x, p=1.0",
               check_dropout, forward_keeping_p, backward_dividing)

    def backward_without_test_mode(dout, cache):
        keep, p = cache  # None in test mode
        return dout * keep / (1 - p) if p < 1 else np.zeros_like(dout)
    fails_with(r"the call dropout_backward\(dout, cache\) in test mode, on the cache of a test-mode forward failed",
               check_dropout, forward_keeping_p, backward_without_test_mode)
