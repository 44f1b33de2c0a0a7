"""The lab 07 checks pass right implementations over seeds and name the typical mistakes of wrong ones."""
import math

import pytest
import torch
import torch.nn.functional as F

from course.checks.autoencoders import (
    check_contractive_penalty,
    check_elbo,
    check_gaussian_kl,
    check_reparameterize,
    check_sparsity_penalty,
    reference_contractive_penalty,
    reference_elbo,
    reference_gaussian_kl,
    reference_sparsity_penalty,
)
from tests.checks.failing import fails_with

SEEDS = [0, 1, 2]

# ---------------------------------------------------------------- the references are what they say


def test_references_agree_with_their_closed_forms():
    generator = torch.Generator().manual_seed(0)
    hidden = torch.rand(7, 4, generator=generator, dtype=torch.float64) * 0.9 + 0.05
    rho_hat = hidden.mean(0)
    by_hand = (0.1 * torch.log(0.1 / rho_hat) + 0.9 * torch.log(0.9 / (1 - rho_hat))).sum()
    assert torch.allclose(reference_sparsity_penalty(hidden, 0.1), by_hand)

    x, weight, bias = (torch.randn(3, 5, dtype=torch.float64), torch.randn(4, 5, dtype=torch.float64),
                       torch.randn(4, dtype=torch.float64))
    h = torch.sigmoid(x @ weight.T + bias)
    rifai = ((h * (1 - h)) ** 2 * (weight ** 2).sum(1)).sum(1).mean()
    jacobians = torch.stack([torch.autograd.functional.jacobian(lambda r: torch.sigmoid(weight @ r + bias), row)
                             for row in x])
    assert torch.allclose(reference_contractive_penalty(x, weight, bias), rifai)
    assert torch.allclose(jacobians.pow(2).sum((1, 2)).mean(), rifai)

    mu, logvar = torch.randn(3, 2, dtype=torch.float64), torch.randn(3, 2, dtype=torch.float64)
    assert torch.allclose(reference_gaussian_kl(mu, logvar), -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(1))
    images, logits = torch.rand(3, 1, 2, 2, dtype=torch.float64), torch.randn(3, 1, 2, 2, dtype=torch.float64)
    bce = F.binary_cross_entropy_with_logits(logits, images, reduction="sum") / 3
    assert torch.allclose(reference_elbo(images, logits, mu, logvar), -bce - reference_gaussian_kl(mu, logvar).mean())


# ---------------------------------------------------------------- the sparsity penalty


def sparsity_penalty(hidden, rho=0.05):
    rho_hat = hidden.mean(dim=0)
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


def sparsity_penalty_float32(hidden, rho=0.05):
    return sparsity_penalty(hidden.float(), rho)


def sparsity_by_distributions(hidden, rho=0.05):
    rho_hat = hidden.mean(dim=0)
    target = torch.distributions.Bernoulli(probs=torch.full_like(rho_hat, rho))
    return torch.distributions.kl_divergence(target, torch.distributions.Bernoulli(probs=rho_hat)).sum()


@pytest.mark.parametrize("seed", SEEDS)
def test_sparsity_check_passes_right_penalties(seed):
    for function in (sparsity_penalty, sparsity_penalty_float32, sparsity_by_distributions):
        check_sparsity_penalty(function, seed=seed)
        check_sparsity_penalty(function, seed=seed, N=40, H=7, rhos=(0.02, 0.2))


def _kl(p, q):
    return p * torch.log(p / q) + (1 - p) * torch.log((1 - p) / (1 - q))


@pytest.mark.parametrize("function, message", [
    (lambda h, rho=0.05: _kl(h.mean(0), rho).sum(), "the arguments of the KL are swapped"),
    (lambda h, rho=0.05: _kl(rho, h.mean(1)).sum(), "averages each example's activations over the hidden units"),
    (lambda h, rho=0.05: _kl(rho, h.mean(0)).mean(), "averages the KL over the hidden units; sum it"),
    (lambda h, rho=0.05: _kl(rho, h).mean(0).sum(), "the KL of every single activation"),
    (lambda h, rho=0.05: (rho * torch.log(rho / h.mean(0))).sum(), "the second term, the one of the probability 1 - rho of being off, is missing"),
    (lambda h, rho=0.05: (h.mean(0) - rho).abs().sum(), "that is the L1 penalty"),
    (lambda h, rho=0.05: -_kl(rho, h.mean(0)).sum(), "the sign is flipped"),
    (lambda h, rho=0.05: _kl(rho, h.mean(0)), r"shape \(10,\), one value per hidden unit"),
    (lambda h, rho=0.1: _kl(rho, h.mean(0)).sum(), "penalty with the default rho is wrong.*keep the default target rho = 0.05"),
])
def test_sparsity_check_names_the_mistake(function, message):
    fails_with(message, check_sparsity_penalty, function)


def test_sparsity_check_refuses_a_penalty_that_changes_its_input():
    def in_place(hidden, rho=0.05):
        return sparsity_penalty(hidden.clamp_(0.1, 0.9), rho)

    fails_with("changed one of its input tensors in place", check_sparsity_penalty, in_place)


def test_sparsity_check_explains_an_unfinished_function():
    def unfinished(hidden, rho=0.05):
        raise NotImplementedError()

    fails_with("not implemented yet", check_sparsity_penalty, unfinished)


# ---------------------------------------------------------------- the contractive penalty


def contractive_penalty(x, weight, bias):
    h = torch.sigmoid(x @ weight.T + bias)
    return ((h * (1 - h)) ** 2 * (weight ** 2).sum(dim=1)).sum(dim=1).mean()


def contractive_by_autograd(x, weight, bias):
    jacobians = torch.func.vmap(torch.func.jacrev(lambda row: torch.sigmoid(F.linear(row, weight, bias))))(x)
    return jacobians.pow(2).sum(dim=(1, 2)).mean()


def contractive_with_einsum(x, weight, bias):
    h = torch.sigmoid(F.linear(x, weight, bias))
    return torch.einsum("nj,ji->", (h * (1 - h)) ** 2, weight ** 2) / x.shape[0]


@pytest.mark.parametrize("seed", SEEDS)
def test_contractive_check_passes_right_penalties(seed):
    for function in (contractive_penalty, contractive_by_autograd, contractive_with_einsum):
        check_contractive_penalty(function, seed=seed)
        check_contractive_penalty(function, seed=seed, N=3, D=6, H=6)


def _slope(x, weight, bias):
    h = torch.sigmoid(x @ weight.T + bias)
    return h * (1 - h)


SQUARE = dict(N=4, D=6, H=6)


@pytest.mark.parametrize("function, setting, message", [
    (lambda x, w, b: (_slope(x, w, b) * (w ** 2).sum(1)).sum(1).mean(), {}, r"h\(1 - h\) is not squared"),
    (lambda x, w, b: (w ** 2).sum(), {}, "Jacobian of a linear encoder"),
    (lambda x, w, b: (_slope(x, w, b) ** 2 * (w ** 2).sum(1)).sum(1).sqrt().mean(), {}, "not its square"),
    (lambda x, w, b: ((1 - torch.sigmoid(x @ w.T + b) ** 2) ** 2 * (w ** 2).sum(1)).sum(1).mean(), {},
     "tanh's derivative"),
    (lambda x, w, b: (_slope(x, w, b) ** 2 * (w ** 2).sum(1)).sum(), {}, "8 times too large"),
    (lambda x, w, b: (_slope(x, w, b) ** 2 * (w ** 2).sum(1)).sum(1), {}, r"shape \(8,\), one value per example"),
    (lambda x, w, b: (_slope(x, w, b) ** 2 * (w ** 2).sum(0)).sum(1).mean(), {}, "shapes do not fit together"),
    (lambda x, w, b: (_slope(x, w, b) ** 2 * (w ** 2).sum(0)).sum(1).mean(), SQUARE, "summed over the wrong axis"),
    (lambda x, w, b: contractive_penalty(x, w.T, b), SQUARE, "the weight is used transposed"),
])
def test_contractive_check_names_the_mistake(function, setting, message):
    fails_with(message, check_contractive_penalty, function, **setting)


# ---------------------------------------------------------------- the reparameterization trick


def reparameterize(mu, logvar, eps=None):
    if eps is None:
        eps = torch.randn_like(mu)
    return mu + torch.exp(0.5 * logvar) * eps


def reparameterize_by_rsample(mu, logvar, eps=None):
    if eps is None:
        return torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).rsample()
    return torch.addcmul(mu, (0.5 * logvar).exp(), eps)


def reparameterize_float32(mu, logvar, eps=None):
    std = torch.exp(0.5 * logvar.float())
    return mu.float() + std * (torch.randn(mu.shape) if eps is None else eps.float())


@pytest.mark.parametrize("seed", SEEDS)
def test_reparameterize_check_passes_right_samplers(seed):
    torch.manual_seed(seed)  # the student's noise differs from run to run; the check must hold for any of it
    for function in (reparameterize, reparameterize_by_rsample, reparameterize_float32):
        check_reparameterize(function, seed=seed)
    check_reparameterize(reparameterize, seed=seed, D=8, N=10_000)


def test_reparameterize_check_has_no_false_alarms_over_many_draws():
    torch.manual_seed(123)
    for seed in range(12):
        check_reparameterize(reparameterize, seed=seed, D=3)


def _noise(mu, eps=None):
    return torch.randn_like(mu) if eps is None else eps


@pytest.mark.parametrize("function, message", [
    (lambda mu, lv, e=None: mu + lv * _noise(mu, e), "z for a given eps is wrong.*log-variance is used as the standard"),
    (lambda mu, lv, e=None: mu + torch.exp(lv) * _noise(mu, e), r"z for a given eps is wrong.*scaled by the variance"),
    (lambda mu, lv, e=None: mu + _noise(mu, e), "the noise is not scaled by sigma"),
    (lambda mu, lv, e=None: lv + torch.exp(0.5 * mu) * _noise(mu, e), "mu and logvar are swapped"),
    (lambda mu, lv, e=None: mu + lv * _noise(mu) if e is None else reparameterize(mu, lv, e),
     "wrong variance.*the log-variance is used as the standard deviation"),
    (lambda mu, lv, e=None: mu + torch.sqrt(lv) * _noise(mu) if e is None else reparameterize(mu, lv, e),
     "contains NaN or inf.*no square root or log"),
    (lambda mu, lv, e=None: torch.exp(0.5 * lv) * _noise(mu) if e is None else reparameterize(mu, lv, e),
     "wrong mean.*z does not contain mu"),
    (lambda mu, lv, e=None: mu + torch.exp(0.5 * lv) * torch.randn(mu.shape[1]) if e is None
     else reparameterize(mu, lv, e), "every row of z is the same"),
    (lambda mu, lv, e=None: mu + torch.exp(0.5 * lv) * torch.randn(mu.shape[0], 1) if e is None
     else reparameterize(mu, lv, e), "noise of different latent dimensions is correlated"),
    (lambda mu, lv, e=None: torch.normal(mu, torch.exp(0.5 * lv)), "it draws its own noise although eps was given"),
    (lambda mu, lv, e=None: torch.distributions.Normal(mu, torch.exp(0.5 * lv)).sample(),
     "it draws its own noise although eps was given"),
    (lambda mu, lv: mu + torch.exp(0.5 * lv) * torch.randn_like(mu), "takes the noise as a third argument, eps"),
    (lambda mu, lv, e=None: mu + torch.exp(0.5 * lv.round(decimals=4)) * _noise(mu, e),
     "z for a given eps is wrong|slope with respect to mu and logvar .* is wrong"),
])
def test_reparameterize_check_names_the_mistake(function, message):
    torch.manual_seed(0)
    fails_with(message, check_reparameterize, function)


def test_reparameterize_slopes_are_judged_from_values():
    """A sampler that answers from a table of the rows it has seen (the nearest one within 0.01)
    is right at the judge's inputs but flat around them: the judge-side finite differences fail it."""
    seen_inputs, seen_outputs = [], []

    def nearest_row(mu, logvar, eps=None):
        rows = torch.cat([mu, logvar, _noise(mu, eps)], dim=1)
        z = reparameterize(mu, logvar, eps)
        if seen_inputs:
            known = torch.cat(seen_inputs)
            distance, index = torch.cdist(rows, known).min(dim=1)
            z = torch.where((distance < 0.01).unsqueeze(1), torch.cat(seen_outputs)[index], z)
        seen_inputs.append(rows)
        seen_outputs.append(z)
        return z

    fails_with(r"slope with respect to mu and logvar \(finite differences along random directions\) is wrong",
               check_reparameterize, nearest_row)


def test_reparameterize_check_refuses_a_sampler_that_changes_its_input():
    def in_place(mu, logvar, eps=None):
        return mu + logvar.mul_(0.5).exp_() * _noise(mu, eps)

    fails_with("changed one of its input tensors in place", check_reparameterize, in_place)


@pytest.mark.parametrize("check_function, function", [
    ("check_sparsity_penalty", "sparsity_penalty"),
    ("check_contractive_penalty", "contractive_penalty"),
    ("check_reparameterize", "reparameterize"),
    ("check_gaussian_kl", "gaussian_kl"),
])
def test_no_check_asks_the_students_side_for_gradients(check_function, function, monkeypatch):
    """A forged gradient probe cannot change a verdict (issue 22): the checks never call one."""
    from course import probes
    from course.checks import autoencoders

    def forged(*args, **kwargs):
        raise AssertionError("a check asked the student's side for gradients")

    monkeypatch.setattr(probes, "gradients", forged, raising=False)
    getattr(autoencoders, check_function)(globals()[function])


# ---------------------------------------------------------------- the KL


def gaussian_kl(mu, logvar):
    return 0.5 * (mu ** 2 + logvar.exp() - logvar - 1).sum(dim=1)


def gaussian_kl_as_in_the_paper(mu, logvar):
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)


def gaussian_kl_by_distributions(mu, logvar):
    Normal = torch.distributions.Normal
    return torch.distributions.kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(-1)


@pytest.mark.parametrize("seed", SEEDS)
def test_gaussian_kl_check_passes_right_kls(seed):
    for function in (gaussian_kl, gaussian_kl_as_in_the_paper, gaussian_kl_by_distributions):
        check_gaussian_kl(function, seed=seed)
        check_gaussian_kl(function, seed=seed, N=3, D=7)


@pytest.mark.parametrize("function, message", [
    (lambda mu, lv: 0.5 * (1 + lv - mu ** 2 - lv.exp()).sum(1), "KL sign|the sign is flipped: a KL is never negative"),
    (lambda mu, lv: 0.5 * (mu ** 2 + lv - 1).sum(1), "the formula some lecture notes print"),
    (lambda mu, lv: 0.5 * (mu ** 2 - lv - 1).sum(1), r"the sigma\^2 = exp\(logvar\) term is missing"),
    (lambda mu, lv: 0.5 * (mu ** 2 + lv.exp() + lv - 1).sum(1), r"the sign of log sigma\^2 is flipped"),
    (lambda mu, lv: 0.5 * (mu ** 2 + lv.exp() - lv).sum(1), "the - 1 is missing"),
    (lambda mu, lv: (mu ** 2 + lv.exp() - lv - 1).sum(1), "the factor 0.5 is missing"),
    (lambda mu, lv: 0.5 * (mu ** 2 + lv.exp() - lv - 1).mean(1), "averages over the latent dimensions"),
    (lambda mu, lv: 0.5 * (mu ** 2 + (2 * lv).exp() - 2 * lv - 1).sum(1), "logvar is treated as log sigma"),
    (lambda mu, lv: 0.5 * (mu ** 2 + lv ** 2 - torch.log(lv ** 2) - 1).sum(1), "log-variance is used as the standard "
                                                                               "deviation"),
    (lambda mu, lv: 0.5 * (mu ** 2 + lv.exp() - lv - 1).sum(), "one number for the whole batch"),
    (lambda mu, lv: 0.5 * (mu ** 2 + lv.exp() - lv - 1).sum(1).mean(), "one number for the whole batch"),
    (lambda mu, lv: 0.5 * (mu ** 2 + lv.exp() - lv - 1), r"shape \(6, 4\), one KL per latent dimension"),
])
def test_gaussian_kl_check_names_the_mistake(function, message):
    fails_with(message, check_gaussian_kl, function)


# ---------------------------------------------------------------- the ELBO


def _reconstruction(x, logits):
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(dim=1)


def elbo(x, logits, mu, logvar):
    return (_reconstruction(x, logits) - gaussian_kl(mu, logvar)).mean()


def elbo_with_sum_reduction(x, logits, mu, logvar):
    n = x.shape[0]
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / n - gaussian_kl(mu, logvar).sum() / n


def elbo_by_distributions(x, logits, mu, logvar):
    likelihood = torch.distributions.Bernoulli(logits=logits, validate_args=False).log_prob(x)
    return (likelihood.sum(dim=tuple(range(1, x.dim()))) - gaussian_kl_by_distributions(mu, logvar)).mean()


@pytest.mark.parametrize("seed", SEEDS)
def test_elbo_check_passes_right_elbos(seed):
    for function in (elbo, elbo_with_sum_reduction, elbo_by_distributions):
        check_elbo(function, seed=seed)
        check_elbo(function, seed=seed, N=3, D=4)
    check_elbo(elbo, seed=seed, N=4, shape=(1, 28, 28), D=8)
    check_elbo(elbo_by_distributions, seed=seed, shape=(1, 8, 8))


def _kl_mean(mu, lv):
    return gaussian_kl(mu, lv).mean()


@pytest.mark.parametrize("function, message", [
    (lambda x, l, mu, lv: -elbo(x, l, mu, lv), "it is the negative ELBO, the loss"),
    (lambda x, l, mu, lv: (_reconstruction(x, l) - gaussian_kl(mu, lv)).sum(), "5 times too large"),
    (lambda x, l, mu, lv: -F.binary_cross_entropy_with_logits(l, x) - _kl_mean(mu, lv), "averages over the pixels"),
    (lambda x, l, mu, lv: (_reconstruction(x, l) + gaussian_kl(mu, lv)).mean(), "the KL is added"),
    (lambda x, l, mu, lv: _reconstruction(x, l).mean(), "the KL term is missing"),
    (lambda x, l, mu, lv: -F.binary_cross_entropy_with_logits(torch.sigmoid(l), x, reduction="sum") / x.shape[0]
     - _kl_mean(mu, lv), "through a sigmoid twice"),
    (lambda x, l, mu, lv: -(torch.sigmoid(l) - x).pow(2).sum() / x.shape[0] - _kl_mean(mu, lv), "squared error"),
    (lambda x, l, mu, lv: _reconstruction(x, l) - gaussian_kl(mu, lv), r"one value per example, shape \(5,\)"),
])
def test_elbo_check_names_the_mistake(function, message):
    fails_with(message, check_elbo, function)


def test_elbo_check_explains_a_sum_over_the_channels_only():
    def channels_only(x, logits, mu, logvar):
        return (-F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=1) - gaussian_kl(mu, logvar)).mean()

    fails_with(r"every axis but the batch's \(all the pixels of one image", check_elbo, channels_only, shape=(1, 8, 8))


def test_statistical_tolerance_is_six_standard_errors():
    from course.checks import autoencoders

    assert autoencoders.STANDARD_ERRORS == 6.0 and autoencoders.SAMPLES == 20_000
    # the chance that a right sampler fails one of its 2 * 5 statistics: far below one in a million
    assert 10 * math.erfc(6.0 / math.sqrt(2)) < 1e-7
