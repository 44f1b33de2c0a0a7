"""Checks for lab 07: the sparsity and the contractive penalties of autoencoders, and the three
pieces of the VAE's loss (the reparameterization trick, the KL to the standard normal, the ELBO).

Each exercise is a plain function of tensors. The judge calls it through ``call_student`` with
float64 tensors it builds itself, and asks for gradients through ``probe_student`` with
``course.probes.gradients``; while grading, the student's function runs in the sandboxed kernel
and only tensors come back. The expected values come from torch: ``torch.distributions`` for
the KLs and the Bernoulli likelihood, ``torch.func.jacrev`` for the encoder's Jacobian, autograd
for every gradient. The reparameterization draws its own noise, so it is judged by statistics:
the sample mean and variance of 20,000 draws per latent dimension must be within six standard
errors of mu and exp(logvar).
"""
import math

import numpy as np

from .. import probes
from .judging import CheckFailed, call_student, compare, probe_student
from .judging import mixed_seed
from ..optional_torch import torch_for_checks as _torch

FLOAT_THRESHOLD = 1e-6     # the student may compute in float32; float64 inputs agree to ~1e-7 then
STANDARD_ERRORS = 6.0      # a right sampler fails a statistical test about once in 10^8 columns
SAMPLES = 20_000           # draws per latent dimension in the reparameterization check
SPARSITY_RHO = 0.05        # the default target activation of sparsity_penalty


def _generator(seed):
    return _torch().Generator().manual_seed(mixed_seed(seed))


def _values(result, exercise, what, scalar=False):
    """A student's result as a float64 NumPy array (a tensor that still requires grad included).

    ``scalar``: one number is expected; a tensor of shape (1,) is read as one (the grading wire
    hands a 0-d tensor back with shape (1,), and a loss of shape (1,) trains as well).
    """
    torch = _torch()
    if isinstance(result, torch.Tensor):
        values = result.detach().cpu().double().numpy()
        return values.reshape(()) if scalar and values.shape == (1,) else values
    if isinstance(result, (int, float)) and not isinstance(result, bool):
        return np.asarray(float(result))
    if result is None:
        raise CheckFailed(f"{exercise}: {what} is None; did you forget to return it?")
    raise CheckFailed(f"{exercise}: {what} should be a tensor, got {type(result).__name__}.")


def _call(function, exercise, *inputs):
    """``call_student`` plus the promise ``call_student`` makes for arrays, kept for tensors: the
    inputs must come back unchanged (the expected values are computed from them)."""
    originals = [x.clone() for x in inputs if isinstance(x, _torch().Tensor)]
    result = call_student(function, exercise, *inputs)
    changed = [x for x in inputs if isinstance(x, _torch().Tensor)]
    if any(not _torch().equal(before, after) for before, after in zip(originals, changed)):
        name = getattr(function, "__name__", exercise)
        raise CheckFailed(f"{exercise}: {name} changed one of its input tensors in place (an operation ending in _, "
                          "or +=, *=); compute new tensors and leave the inputs as they were.")
    return result


def _gradients(function, exercise, inputs, dout, names):
    """The student's gradients of ``sum(function(*inputs) * dout)``, one per input (None where the
    output does not depend on it), with a clear message when no gradient flows at all."""
    try:
        grads, _ = probe_student(probes.gradients, exercise, function, list(inputs), dout)
    except CheckFailed as error:
        if "does not require grad" in str(error) or "not a tensor" in str(error):
            raise CheckFailed(f"{exercise}: no gradient flows through {getattr(function, '__name__', exercise)}: its "
                              f"result is not connected to {' or '.join(names)} in autograd's graph (was it computed "
                              "with .item(), NumPy, .detach(), torch.no_grad() or a .sample()?); build it from torch "
                              "operations on the inputs.") from None
        raise
    return grads


def _missing_gradient(exercise, grads, names, hint):
    for grad, name in zip(grads, names):
        if grad is None:
            raise CheckFailed(f"{exercise}: no gradient reaches {name}; {hint}")


def _compare_gradients(exercise, grads, expected, names, hint, mistakes=None):
    mistakes = mistakes or {}
    for grad, wanted, name in zip(grads, expected, names):
        compare(exercise, f"the gradient with respect to {name}", grad.double().numpy(), wanted.numpy(),
                FLOAT_THRESHOLD, hint=hint, mistakes=mistakes.get(name, ()))


def _reference_gradients(reference, inputs, dout):
    torch = _torch()
    leaves = [x.detach().clone().requires_grad_(True) for x in inputs]
    return torch.autograd.grad((reference(*leaves) * dout).sum(), leaves)


def _scalar_dout(generator):
    torch = _torch()
    return (0.5 + torch.rand((), generator=generator, dtype=torch.float64)) * torch.sign(torch.randn((), generator=generator))


# ---------------------------------------------------------------- the sparsity penalty


def _bernoulli_kl(p, q):
    """KL(Bernoulli(p) || Bernoulli(q)), elementwise, by torch.distributions."""
    torch = _torch()
    p = torch.as_tensor(p, dtype=torch.float64).expand_as(q)
    return torch.distributions.kl_divergence(torch.distributions.Bernoulli(probs=p), torch.distributions.Bernoulli(probs=q))


def reference_sparsity_penalty(hidden, rho=SPARSITY_RHO):
    """sum_j KL(rho || rho_hat_j), rho_hat_j = the mean activation of unit j over the batch (Ng's
    sparse autoencoder); torch twin: ``kl_divergence(Bernoulli(rho), Bernoulli(hidden.mean(0))).sum()``."""
    return _bernoulli_kl(rho, hidden.mean(dim=0)).sum()


def _sparsity_inputs(seed, N, H):
    torch = _torch()
    generator = _generator(seed)
    offsets = torch.linspace(-3.0, 0.5, H, dtype=torch.float64)[torch.randperm(H, generator=generator)]
    return torch.sigmoid(1.5 * torch.randn(N, H, generator=generator, dtype=torch.float64) + offsets)


def _sparsity_mistakes(hidden, rho):
    torch = _torch()
    rho_hat = hidden.mean(dim=0)
    per_example = hidden.mean(dim=1)
    rho_t = torch.tensor(rho, dtype=torch.float64)
    expected = reference_sparsity_penalty(hidden, rho)
    return [
        (_bernoulli_kl(rho_hat, rho_t.expand_as(rho_hat)).sum(), "the arguments of the KL are swapped: it computes "
         "KL(rho_hat || rho); the penalty is KL(rho || rho_hat_j) = rho log(rho / rho_hat_j) + (1 - rho) log((1 - rho) "
         "/ (1 - rho_hat_j)), the target rho first"),
        (_bernoulli_kl(rho, per_example).sum(), "it averages each example's activations over the hidden units (as "
         "some notes write it); rho_hat_j is the mean of unit j over the batch: hidden.mean(dim=0)"),
        (_bernoulli_kl(rho, per_example).mean(), "it averages each example's activations over the hidden units (as "
         "some notes write it); rho_hat_j is the mean of unit j over the batch: hidden.mean(dim=0)"),
        (expected / hidden.shape[1], "it averages the KL over the hidden units; sum it over them"),
        (_bernoulli_kl(rho, hidden).mean(dim=0).sum(), "it takes the KL of every single activation and averages "
         "them; the penalty compares the batch-mean activation rho_hat_j of each unit with rho"),
        ((rho * torch.log(rho / rho_hat)).sum(), "the second term (1 - rho) log((1 - rho) / (1 - rho_hat_j)) is "
         "missing: the KL of two Bernoulli distributions has both"),
        ((rho_hat - rho).abs().sum(), "that is the L1 penalty |rho - rho_hat_j|; this exercise asks for the KL"),
        ((rho_hat - rho).pow(2).sum(), "that is the squared (L2) penalty; this exercise asks for the KL"),
    ]


def check_sparsity_penalty(sparsity_penalty, seed=0, N=16, H=10, rhos=(0.05, 0.1, 0.3)):
    """``sparsity_penalty(hidden, rho=0.05)``: ``sum_j KL(rho || rho_hat_j)`` for sigmoid
    activations ``hidden`` (N, H), ``rho_hat_j`` the mean of unit j over the batch; a scalar.

    Checked: the value for several targets rho, the default rho = 0.05, and the gradient with
    respect to ``hidden`` (against autograd).
    """
    _torch()  # torch is needed below: one sentence if it is not installed
    exercise = "sparsity_penalty"
    hint = "rho_hat = hidden.mean(dim=0); (rho * log(rho / rho_hat) + (1 - rho) * log((1 - rho) / (1 - rho_hat))).sum()."
    hidden = _sparsity_inputs(seed, N, H)
    for rho in rhos:
        got = _values(_call(sparsity_penalty, exercise, hidden, float(rho)), exercise, "the penalty", scalar=True)
        expected = reference_sparsity_penalty(hidden, rho)
        if got.shape == (H,):
            raise CheckFailed(f"{exercise}: the penalty has shape ({H},), one value per hidden unit; sum the KLs over "
                              "the units to one number.")
        mistakes = [(wrong.numpy(), meaning) for wrong, meaning in _sparsity_mistakes(hidden, rho)]
        compare(exercise, f"the penalty for rho = {rho}", got, expected.numpy(), FLOAT_THRESHOLD, hint=hint,
                mistakes=mistakes)
    got = _values(_call(sparsity_penalty, exercise, hidden), exercise, "the penalty", scalar=True)
    compare(exercise, "the penalty with the default rho", got, reference_sparsity_penalty(hidden).numpy(),
            FLOAT_THRESHOLD, hint=f"keep the signature sparsity_penalty(hidden, rho={SPARSITY_RHO}).")

    dout = _scalar_dout(_generator(seed + 1))
    grads = _gradients(sparsity_penalty, exercise, [hidden], dout, ["hidden"])
    _missing_gradient(exercise, grads, ["hidden"], "build the penalty from torch operations on hidden.")
    _compare_gradients(exercise, grads, _reference_gradients(reference_sparsity_penalty, [hidden], dout), ["hidden"],
                       hint="d/d rho_hat_j = -rho / rho_hat_j + (1 - rho) / (1 - rho_hat_j), shared by the batch (/N).")


# ---------------------------------------------------------------- the contractive penalty


def _encoder_jacobians(x, weight, bias):
    """d h / d x for every example, h = sigmoid(x @ weight.T + bias): (N, H, D), by torch.func.jacrev."""
    torch = _torch()
    return torch.func.vmap(torch.func.jacrev(lambda row: torch.sigmoid(weight @ row + bias)))(x)


def reference_contractive_penalty(x, weight, bias):
    """The mean over the batch of ||J_f(x)||_F^2 for the encoder f(x) = sigmoid(x @ weight.T + bias),
    computed by autograd (``torch.func.jacrev``); in closed form (Rifai et al., 2011)
    ``sum_j (h_j (1 - h_j))^2 sum_i weight[j, i]^2``."""
    return _encoder_jacobians(x, weight, bias).pow(2).sum(dim=(1, 2)).mean()


def _contractive_inputs(seed, N, D, H):
    torch = _torch()
    generator = _generator(seed)
    return (torch.randn(N, D, generator=generator, dtype=torch.float64),
            0.6 * torch.randn(H, D, generator=generator, dtype=torch.float64),
            0.5 * torch.randn(H, generator=generator, dtype=torch.float64))


def _contractive_mistakes(x, weight, bias):
    torch = _torch()
    pre = x @ weight.T + bias
    h = torch.sigmoid(pre)
    rows = weight.pow(2).sum(dim=1)
    slope = h * (1 - h)
    mistakes = [
        ((slope * rows).sum(1).mean(), "the sigmoid's derivative h(1 - h) is not squared: J[j, i] = h_j (1 - h_j) "
         "weight[j, i], so ||J||^2 has (h_j (1 - h_j))^2"),
        (weight.pow(2).sum(), "it is ||weight||_F^2, the Jacobian of a linear encoder: multiply the squared weights "
         "of each unit by the square of its sigmoid's derivative h_j (1 - h_j)"),
        ((slope.pow(2) * rows).sum(1).sqrt().mean(), "it is the Frobenius norm ||J||_F, not its square"),
        (((1 - h.pow(2)).pow(2) * rows).sum(1).mean(), "it uses tanh's derivative 1 - h^2; the encoder is a sigmoid, "
         "whose derivative is h (1 - h)"),
        (((pre * (1 - pre)).pow(2) * rows).sum(1).mean(), "it computes a (1 - a) of the pre-activation a; the "
         "sigmoid's derivative is h (1 - h) of its output h = sigmoid(a)"),
    ]
    if weight.shape[0] == weight.shape[1]:
        mistakes.append(((slope.pow(2) * weight.pow(2).sum(dim=0)).sum(1).mean(),
                         "the squared weights are summed over the wrong axis: unit j's are weight[j, :] (nn.Linear "
                         "keeps one row per output unit), so sum weight**2 over dim=1"))
        h_t = torch.sigmoid(x @ weight + bias)
        mistakes.append((((h_t * (1 - h_t)).pow(2) * weight.pow(2).sum(dim=0)).sum(1).mean(),
                         "the weight is used transposed: nn.Linear computes x @ weight.T + bias"))
    return mistakes


def check_contractive_penalty(contractive_penalty, seed=0, N=8, D=12, H=5):
    """``contractive_penalty(x, weight, bias)``: the mean over the batch of the squared Frobenius
    norm of the Jacobian of ``h = sigmoid(x @ weight.T + bias)`` with respect to x (``weight``
    (H, D) and ``bias`` (H,) as in ``nn.Linear(D, H)``); a scalar.

    Checked against the Jacobian computed by autograd: the value, and the gradients with respect
    to the weight and the bias that training follows.
    """
    exercise = "contractive_penalty"
    hint = "h = torch.sigmoid(x @ weight.T + bias); ((h * (1 - h))**2 * (weight**2).sum(dim=1)).sum(dim=1).mean()."
    x, weight, bias = _contractive_inputs(seed, N, D, H)
    try:
        result = _call(contractive_penalty, exercise, x, weight, bias)
    except CheckFailed as error:
        if "must match" in str(error) or "cannot be multiplied" in str(error):
            raise CheckFailed(f"{error}; the shapes do not fit together: x is (N, D) = {tuple(x.shape)}, weight is "
                              f"(H, D) = {tuple(weight.shape)} as in nn.Linear, so h = sigmoid(x @ weight.T + bias) is "
                              f"(N, H) and unit j's weights are the row weight[j]") from None
        raise
    got = _values(result, exercise, "the penalty", scalar=True)
    if got.shape == (N,):
        raise CheckFailed(f"{exercise}: the penalty has shape ({N},), one value per example; average it over the "
                          "batch to one number.")
    expected = reference_contractive_penalty(x, weight, bias)
    mistakes = [(wrong.numpy(), meaning) for wrong, meaning in _contractive_mistakes(x, weight, bias)]
    compare(exercise, "the penalty", got, expected.detach().numpy(), FLOAT_THRESHOLD, hint=hint, batch_size=N,
            mistakes=mistakes)

    dout = _scalar_dout(_generator(seed + 1))
    names = ["x", "weight", "bias"]
    grads = _gradients(contractive_penalty, exercise, [x, weight, bias], dout, names)
    _missing_gradient(exercise, grads[1:], names[1:], "build the penalty from torch operations on weight and bias, "
                      "so that training can shrink it.")
    _compare_gradients(exercise, grads[1:], _reference_gradients(reference_contractive_penalty, [x, weight, bias],
                                                                 dout)[1:], names[1:], hint=hint)


# ---------------------------------------------------------------- the reparameterization trick


def _column_statistics(samples):
    """Per-column mean and (unbiased) variance of a (N, D) float64 tensor, with their standard errors."""
    mean, variance = samples.mean(dim=0), samples.var(dim=0)
    n = samples.shape[0]
    return mean, variance, (variance / n).sqrt(), variance * math.sqrt(2.0 / (n - 1))


def _matches(got, wanted, error):
    return bool(((got - wanted).abs() <= STANDARD_ERRORS * error + 1e-12).all())


def _reparameterize_setting(D):
    torch = _torch()
    mu = torch.tensor([1.5, -2.0, 0.8, -0.6, 2.5, -1.2, 0.3, 3.0][:D], dtype=torch.float64)
    logvar = torch.tensor([-1.6, 1.2, -0.7, 0.8, -2.2, 1.6, -1.1, 0.5][:D], dtype=torch.float64)
    return mu, logvar


def _variance_mistakes(mu, logvar):
    torch = _torch()
    return [
        (torch.exp(2 * logvar), "the noise is scaled by the variance sigma^2 = exp(logvar) (z = mu + sigma^2 * eps, as "
         "some notes print it) or by exp(logvar); scale it by the standard deviation sigma = exp(0.5 * logvar)"),
        (logvar.pow(2), "the log-variance is used as the standard deviation (z = mu + logvar * eps); sigma = "
         "exp(0.5 * logvar)"),
        (torch.ones_like(logvar), "the noise is not scaled: z = mu + eps has variance 1; multiply eps by sigma = "
         "exp(0.5 * logvar)"),
        (torch.exp(0.5 * logvar), "the variance came out as exp(0.5 * logvar): the noise is scaled by exp(0.25 * "
         "logvar) (the square root taken twice?); sigma = exp(0.5 * logvar)"),
        (torch.exp(mu), "mu and logvar are swapped: the first argument is the mean, the second the log-variance"),
    ]


def _check_samples(reparameterize, exercise, mu, logvar, N):
    """Draw N samples per column; fail unless they have mean mu, variance exp(logvar) and
    independent noise per row and per column."""
    torch = _torch()
    D = mu.shape[0]
    mus, logvars = mu.expand(N, D).clone(), logvar.expand(N, D).clone()
    z = _call(reparameterize, exercise, mus, logvars)
    if not isinstance(z, torch.Tensor) or tuple(z.shape) != (N, D):
        got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        raise CheckFailed(f"{exercise}: for mu and logvar of shape ({N}, {D}) it returned {got}; z has the shape of "
                          "mu (one sample per example and latent dimension).")
    z = z.detach().double()
    if not torch.isfinite(z).all():
        raise CheckFailed(f"{exercise}: z contains NaN or inf for logvar values {logvar.tolist()}; the log-variance "
                          "can be negative, so take no square root or log of it: sigma = exp(0.5 * logvar).")
    if (z - z[:1]).abs().max() < 1e-12 and N > 1:
        raise CheckFailed(f"{exercise}: every row of z is the same: the noise is drawn once for the whole batch (or not at all); draw "
                          "one eps per example and dimension, eps = torch.randn_like(mu).")
    mean, variance, mean_error, variance_error = _column_statistics(z)
    if not _matches(mean, mu, mean_error):
        meaning = ("z does not contain mu: z = mu + sigma * eps" if _matches(mean, torch.zeros_like(mu), mean_error)
                   else "mu and logvar are swapped: the first argument is the mean" if _matches(mean, logvar, mean_error)
                   else "z = mu + sigma * eps has mean mu")
        worst = int((mean - mu).abs().argmax())
        raise CheckFailed(f"{exercise}: the samples have the wrong mean: over {N:,} draws with mu = {mu[worst]:.3g} "
                          f"their mean is {mean[worst]:.4g}; {meaning}.")
    expected = torch.exp(logvar)
    if not _matches(variance, expected, variance_error):
        meaning = next((m for wrong, m in _variance_mistakes(mu, logvar) if _matches(variance, wrong, variance_error)),
                       "z = mu + sigma * eps with sigma = exp(0.5 * logvar) has variance exp(logvar)")
        worst = int(((variance - expected).abs() / variance_error).argmax())
        raise CheckFailed(f"{exercise}: the samples have the wrong variance: over {N:,} draws with logvar = "
                          f"{logvar[worst]:.3g} (variance {expected[worst]:.4g}) their variance is "
                          f"{variance[worst]:.4g}; {meaning}.")
    eps = (z - mu) / torch.exp(0.5 * logvar)
    correlation = torch.corrcoef(eps.T) - torch.eye(D, dtype=torch.float64)
    if correlation.abs().max() > STANDARD_ERRORS / math.sqrt(N):
        raise CheckFailed(f"{exercise}: the noise of different latent dimensions is correlated (correlation "
                          f"{correlation.abs().max():.2f}): the same eps is used for every dimension; draw one per "
                          "example and dimension, eps = torch.randn_like(mu).")


def check_reparameterize(reparameterize, seed=0, D=5, N=SAMPLES):
    """``reparameterize(mu, logvar) -> z``: a sample of N(mu, exp(logvar)) for every entry,
    ``z = mu + exp(0.5 * logvar) * eps`` with ``eps ~ N(0, 1)``, such that gradients reach mu and logvar.

    The noise is the student's own, so the samples are judged by their statistics: N draws per
    latent dimension must have mean mu and variance exp(logvar) within six standard errors, with
    a new eps for every row and dimension. The gradients (through ``probes.gradients``) must be
    d z / d mu = 1 and d z / d logvar = 0.5 * sigma * eps, where eps is then read back from
    d z / d logvar and must itself look standard normal.
    """
    torch = _torch()
    exercise = "reparameterize"
    mu, logvar = _reparameterize_setting(D)
    _check_samples(reparameterize, exercise, mu, logvar, N)

    generator = _generator(seed)
    mus = torch.randn(N, D, generator=generator, dtype=torch.float64)
    logvars = torch.empty(N, D, dtype=torch.float64).uniform_(-2.0, 1.5, generator=generator)
    dout = (0.5 + torch.rand(N, D, generator=generator, dtype=torch.float64)) * \
        torch.where(torch.rand(N, D, generator=generator) < 0.5, -1.0, 1.0).double()
    names = ["mu", "logvar"]
    grads = _gradients(reparameterize, exercise, [mus, logvars], dout, names)
    _missing_gradient(exercise, grads[:1], names[:1], "z must be built from mu: z = mu + sigma * eps (a .sample(), "
                      "torch.normal or mu.detach() cuts the graph).")
    _missing_gradient(exercise, grads[1:], names[1:], "the noise must be scaled by sigma = torch.exp(0.5 * logvar) "
                      "computed from logvar in the graph (a .sample(), torch.normal or a detached sigma cuts it).")
    dmu, dlogvar = (g.double() for g in grads)
    if not dmu.any():
        raise CheckFailed(f"{exercise}: the gradient reaching mu is zero: z was sampled by an operation that passes "
                          "no gradient (torch.normal, Normal(mu, sigma).sample()); this is what the trick avoids: "
                          "z = mu + sigma * eps, with the randomness only in eps.")
    compare(exercise, "the gradient with respect to mu", dmu.numpy(), dout.numpy(), FLOAT_THRESHOLD,
            hint="z = mu + sigma * eps, so dz/dmu = 1: the upstream gradient reaches mu unchanged.")
    slope = dout * 0.5 * torch.exp(0.5 * logvars)
    eps = dlogvar / slope
    mean, variance, mean_error, variance_error = _column_statistics(eps)
    if not (_matches(mean, torch.zeros(D, dtype=torch.float64), mean_error)
            and _matches(variance, torch.ones(D, dtype=torch.float64), variance_error)):
        raise CheckFailed(f"{exercise}: the gradient with respect to logvar is wrong: read as 0.5 * sigma * eps it "
                          f"gives noise eps of mean {mean.mean():.3g} and variance {variance.mean():.3g} instead of 0 "
                          "and 1. Hint: with sigma = exp(0.5 * logvar), dz/dlogvar = 0.5 * sigma * eps; the noise "
                          "itself must not depend on mu or logvar (draw it with torch.randn_like, no gradient).")


# ---------------------------------------------------------------- the KL of the VAE


def reference_gaussian_kl(mu, logvar):
    """KL(N(mu, diag exp(logvar)) || N(0, I)) per example, summed over the latent dimensions: (N,).
    torch twin: ``kl_divergence(Normal(mu, exp(0.5 * logvar)), Normal(0, 1)).sum(-1)``; in closed
    form ``0.5 * sum(mu^2 + exp(logvar) - logvar - 1)``."""
    torch = _torch()
    Normal = torch.distributions.Normal
    posterior = Normal(mu, torch.exp(0.5 * logvar))
    prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return torch.distributions.kl_divergence(posterior, prior).sum(dim=-1)


def _kl_inputs(seed, N, D):
    torch = _torch()
    generator = _generator(seed)
    mu = torch.randn(N, D, generator=generator, dtype=torch.float64)
    magnitude = 0.3 + 1.3 * torch.rand(N, D, generator=generator, dtype=torch.float64)  # |logvar| in [0.3, 1.6]
    logvar = magnitude * torch.where(torch.rand(N, D, generator=generator) < 0.5, -1.0, 1.0).double()
    return mu, logvar


def _kl_mistakes(mu, logvar):
    torch = _torch()
    m2, var = mu.pow(2), torch.exp(logvar)
    return [
        (-0.5 * (m2 + var - logvar - 1).sum(-1), "the sign is flipped: a KL is never negative; it is 0.5 * sum(mu^2 + "
         "sigma^2 - log sigma^2 - 1), or equally -0.5 * sum(1 + logvar - mu^2 - exp(logvar))"),
        (0.5 * (m2 + logvar - 1).sum(-1), "this is the formula some lecture notes print, without the sigma^2 term and "
         "with the sign of log sigma^2 flipped; the KL is 0.5 * sum(mu^2 + sigma^2 - log sigma^2 - 1)"),
        (0.5 * (m2 - logvar - 1).sum(-1), "the sigma^2 = exp(logvar) term is missing"),
        (0.5 * (m2 + var + logvar - 1).sum(-1), "the sign of log sigma^2 is flipped: it is - logvar"),
        (0.5 * (m2 + var - logvar).sum(-1), "the - 1 is missing"),
        ((m2 + var - logvar - 1).sum(-1), "it is twice too large: the factor 0.5 is missing"),
        (0.5 * (m2 + var - logvar - 1).mean(-1), "it averages over the latent dimensions; the KL of independent "
         "dimensions is their sum"),
        (0.5 * (m2 + torch.exp(2 * logvar) - 2 * logvar - 1).sum(-1), "logvar is treated as log sigma (so sigma^2 = "
         "exp(2 logvar)); it is log sigma^2, so sigma^2 = exp(logvar)"),
        (0.5 * (m2 + logvar.pow(2) - torch.log(logvar.pow(2)) - 1).sum(-1), "the log-variance is used as the standard "
         "deviation; sigma^2 = exp(logvar) and log sigma^2 = logvar"),
    ]


def check_gaussian_kl(gaussian_kl, seed=0, N=6, D=4):
    """``gaussian_kl(mu, logvar)``: ``KL(N(mu, diag(exp(logvar))) || N(0, I))`` for each example,
    summed over the D latent dimensions: a tensor of shape (N,). Checked against
    ``torch.distributions.kl_divergence``, values and gradients."""
    exercise = "gaussian_kl"
    hint = "0.5 * (mu**2 + logvar.exp() - logvar - 1).sum(dim=1): one KL per example."
    mu, logvar = _kl_inputs(seed, N, D)
    got = _values(_call(gaussian_kl, exercise, mu, logvar), exercise, "the KL")
    if got.shape == () and N > 1:
        raise CheckFailed(f"{exercise}: it returned one number for the whole batch; return one KL per example, a "
                          f"tensor of shape ({N},) (sum over the latent dimensions only, dim=1).")
    if got.shape == (N, D):
        raise CheckFailed(f"{exercise}: it returned shape ({N}, {D}), one KL per latent dimension; sum them over "
                          "dim=1 to one KL per example.")
    expected = reference_gaussian_kl(mu, logvar)
    mistakes = [(wrong.numpy(), meaning) for wrong, meaning in _kl_mistakes(mu, logvar)]
    compare(exercise, "the KL", got, expected.numpy(), FLOAT_THRESHOLD, hint=hint, mistakes=mistakes)

    dout = 0.5 + _torch().rand(N, generator=_generator(seed + 1), dtype=_torch().float64)
    names = ["mu", "logvar"]
    grads = _gradients(gaussian_kl, exercise, [mu, logvar], dout, names)
    _missing_gradient(exercise, grads, names, "compute the KL with torch operations on mu and logvar.")
    _compare_gradients(exercise, grads, _reference_gradients(reference_gaussian_kl, [mu, logvar], dout), names,
                       hint="dKL/dmu = mu and dKL/dlogvar = 0.5 * (exp(logvar) - 1), per latent dimension.")


# ---------------------------------------------------------------- the ELBO


def _log_likelihood(x, logits):
    """log p(x | z) of a Bernoulli decoder per example, summed over the pixels (torch.distributions)."""
    torch = _torch()
    return torch.distributions.Bernoulli(logits=logits, validate_args=False).log_prob(x).flatten(1).sum(dim=1)


def reference_elbo(x, logits, mu, logvar):
    """The batch mean of ``log p(x | z) - KL(q(z | x) || p(z))`` with a Bernoulli decoder given by
    ``logits`` (summed over the pixels) and the Gaussian encoder (mu, logvar); a scalar to maximize.
    torch twin: ``Bernoulli(logits=logits).log_prob(x)`` and ``kl_divergence`` of ``Normal``s."""
    return (_log_likelihood(x, logits) - reference_gaussian_kl(mu, logvar)).mean()


def _elbo_inputs(seed, N, shape, D):
    torch = _torch()
    generator = _generator(seed)
    x = torch.rand(N, *shape, generator=generator, dtype=torch.float64)
    x = torch.where(x < 0.3, torch.zeros_like(x), x)  # digits have many exactly black pixels
    logits = 2.0 * torch.randn(N, *shape, generator=generator, dtype=torch.float64)
    mu, logvar = _kl_inputs(seed + 1, N, D)
    return x, logits, mu, logvar


def _elbo_mistakes(x, logits, mu, logvar):
    torch = _torch()
    F = torch.nn.functional
    likelihood, kl = _log_likelihood(x, logits), reference_gaussian_kl(mu, logvar)
    pixels = likelihood.new_tensor(x[0].numel())
    return [
        (-(likelihood - kl).mean(), "it is the negative ELBO, the loss; return the ELBO itself (the training loop "
         "minimizes -elbo)"),
        ((likelihood / pixels).mean() - kl.mean(), "the reconstruction term averages over the pixels (the default "
         "reduction='mean' of binary_cross_entropy_with_logits); sum it over the pixels of each image, or the KL "
         "term outweighs it many times"),
        ((likelihood + kl).mean(), "the KL is added; the ELBO subtracts it: E[log p(x|z)] - KL(q(z|x) || p(z))"),
        (likelihood.mean(), "the KL term is missing"),
        (-kl.mean(), "the reconstruction term is missing"),
        ((-F.binary_cross_entropy(torch.sigmoid(torch.sigmoid(logits)), x, reduction="none").flatten(1).sum(1) - kl)
         .mean(), "the decoder's logits went through a sigmoid twice; binary_cross_entropy_with_logits takes the "
         "logits themselves"),
        ((-(torch.sigmoid(logits) - x).pow(2).flatten(1).sum(1) - kl).mean(), "the reconstruction term is a squared "
         "error; this VAE's decoder is a Bernoulli: log p(x|z) = -binary_cross_entropy_with_logits(logits, x), "
         "summed over the pixels"),
    ]


def check_elbo(elbo, seed=0, N=5, shape=(64,), D=2):
    """``elbo(x, logits, mu, logvar)``: the ELBO ``E_q[log p(x | z)] - KL(q(z | x) || p(z))``,
    averaged over the batch, for a Bernoulli decoder (``logits``, the shape of ``x``: (N, pixels) or
    images (N, C, H, W); the log-likelihood is summed over the pixels) and the Gaussian encoder (mu, logvar of shape (N, D));
    a scalar, to be maximized. Checked: the value and its gradients (logits, mu, logvar)."""
    exercise = "elbo"
    hint = ("log p(x|z) = -F.binary_cross_entropy_with_logits(logits, x, reduction='none'), summed over each image's "
            "pixels; elbo = (log p(x|z) - gaussian_kl(mu, logvar)).mean().")
    x, logits, mu, logvar = _elbo_inputs(seed, N, shape, D)
    try:
        got = _values(_call(elbo, exercise, x, logits, mu, logvar), exercise, "the ELBO", scalar=True)
    except CheckFailed as error:
        if "must match" in str(error):
            raise CheckFailed(f"{error}; for x of shape {tuple(x.shape)} the log-likelihood of each example sums over "
                              "every axis but the batch's: .flatten(1).sum(dim=1)") from None
        raise
    if got.shape == (N,):
        raise CheckFailed(f"{exercise}: it returned one value per example, shape ({N},); average them over the batch "
                          "to one number.")
    expected = reference_elbo(x, logits, mu, logvar)
    mistakes = [(wrong.numpy(), meaning) for wrong, meaning in _elbo_mistakes(x, logits, mu, logvar)]
    compare(exercise, "the ELBO", got, expected.numpy(), FLOAT_THRESHOLD, hint=hint, batch_size=N, mistakes=mistakes)

    dout = _scalar_dout(_generator(seed + 2))
    names = ["logits", "mu", "logvar"]
    grads = _gradients(elbo, exercise, [x, logits, mu, logvar], dout, names)[1:]  # x's gradient is not judged
    _missing_gradient(exercise, grads, names, "compute the ELBO with torch operations on the logits, mu and logvar.")
    reference = _reference_gradients(reference_elbo, [x, logits, mu, logvar], dout)[1:]
    _compare_gradients(exercise, grads, reference, names, hint=hint)
