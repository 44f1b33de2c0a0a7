"""Checks for lab 07: the sparsity and the contractive penalties of autoencoders, and the three
pieces of the VAE's loss (the reparameterization trick, the KL to the standard normal, the ELBO).

Each exercise is a plain function of tensors. The judge calls it through ``call_student`` with
float64 tensors it builds itself; while grading, the student's function runs in the sandboxed
kernel and only tensors come back. The expected values come from torch: ``torch.distributions``
for the KLs and the Bernoulli likelihood, ``torch.func.jacrev`` for the encoder's Jacobian.
Slopes are judged on the judge's side: central finite differences (float64) of the values the
student's function returns for inputs moved along directions chosen here, against the
Jacobian-vector products of the reference (``torch.func.jvp``). Whether a result stays in
autograd's graph cannot be seen from values, and is not graded (the lab says so).
The reparameterization is judged twice: with the noise ``eps`` passed in, its values and slopes
(z must be a differentiable function of mu and logvar); with its own noise, by statistics: the
sample mean and variance of 20,000 draws per latent dimension must be within six standard
errors of mu and exp(logvar).
"""
import math

import numpy as np

from .judging import CheckFailed, call_student, compare
from .judging import Mistake, mixed_seed
from ..optional_torch import torch_for_checks as _torch

FLOAT_THRESHOLD = 1e-6     # the student may compute in float32; float64 inputs agree to ~1e-7 then
STANDARD_ERRORS = 6.0      # a right sampler fails a statistical test about once in 10^8 columns
SAMPLES = 20_000           # draws per latent dimension in the reparameterization check
SPARSITY_RHO = 0.05        # the default target activation of sparsity_penalty
STEP = 1e-3                # the finite-difference step (float32 students' rounding stays near 1e-4)
SLOPE_THRESHOLD = 1e-3     # central differences with STEP agree with the exact slope far closer
DIRECTIONS = 3             # random directions along which slopes are measured


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


def _slopes(function, exercise, inputs, reference, names, hint, seed, moved=None, scale=1.0, rows=False,
            same_rows=False):
    """Judge the slopes of the student's ``function`` on the judge's side.

    Along ``DIRECTIONS`` random directions (for the inputs whose index is in ``moved``; all by
    default), central differences of the values the student's function returns are compared
    with the directional derivatives of ``reference`` (``torch.func.jvp``). ``rows``: the
    function works row by row (one output row per input row), so every moved copy of the inputs
    goes into one call, stacked along the batch axis. ``same_rows``: every row moves alike (a
    penalty of batch means hardly moves when the rows move at random).
    """
    torch = _torch()
    moved = range(len(inputs)) if moved is None else moved
    generator = _generator(seed + 7)
    def direction(x):
        if same_rows:
            return scale * torch.randn((1,) + tuple(x.shape[1:]), generator=generator, dtype=torch.float64).expand_as(x)
        return scale * torch.randn(x.shape, generator=generator, dtype=torch.float64)

    directions = [[direction(x) if i in moved else torch.zeros_like(x) for i, x in enumerate(inputs)]
                  for _ in range(DIRECTIONS)]
    shifted = [[tuple(x + sign * STEP * v for x, v in zip(inputs, direction)) for sign in (1, -1)]
               for direction in directions]
    if rows:
        stacked = tuple(torch.cat([copy[i] for pair in shifted for copy in pair]) for i in range(len(inputs)))
        values = _values(_call(function, exercise, *stacked), exercise, "the result")
        parts = np.split(values, 2 * DIRECTIONS) if values.shape[:1] == (2 * DIRECTIONS * inputs[0].shape[0],) else None
        if parts is None:
            raise CheckFailed(f"{exercise}: for a batch of {stacked[0].shape[0]} rows it returned shape {values.shape}; "
                              "it should give one result per row of its inputs.")
        got = [(parts[2 * k] - parts[2 * k + 1]) / (2 * STEP) for k in range(DIRECTIONS)]
    else:
        got = [(_values(_call(function, exercise, *plus), exercise, "the result", scalar=True)
                - _values(_call(function, exercise, *minus), exercise, "the result", scalar=True)) / (2 * STEP)
               for plus, minus in shifted]
    got = np.stack(got)
    expected = np.stack([torch.func.jvp(reference, tuple(inputs), tuple(direction))[1].detach().numpy()
                         for direction in directions])
    what = " and ".join(names[i] for i in moved)
    compare(exercise, f"the slope with respect to {what} (finite differences along random directions)", got, expected,
            SLOPE_THRESHOLD, hint=hint)


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
         "KL(rho_hat || rho); the penalty is KL(rho || rho_hat_j), the target rho first"),
        (_bernoulli_kl(rho, per_example).sum(), "it averages each example's activations over the hidden units (as "
         "some notes write it); rho_hat_j is the mean of unit j over the batch (see the erratum)"),
        (_bernoulli_kl(rho, per_example).mean(), "it averages each example's activations over the hidden units (as "
         "some notes write it); rho_hat_j is the mean of unit j over the batch (see the erratum)"),
        (expected / hidden.shape[1], "it averages the KL over the hidden units; sum it over them"),
        (_bernoulli_kl(rho, hidden).mean(dim=0).sum(), "it takes the KL of every single activation and averages "
         "them; the penalty compares the batch-mean activation rho_hat_j of each unit with rho"),
        ((rho * torch.log(rho / rho_hat)).sum(), "the second term, the one of the probability 1 - rho of being "
         "off, is missing: the KL of two Bernoulli distributions has a term for each outcome"),
        ((rho_hat - rho).abs().sum(), "that is the L1 penalty |rho - rho_hat_j|; this exercise asks for the KL"),
        ((rho_hat - rho).pow(2).sum(), "that is the squared (L2) penalty; this exercise asks for the KL"),
    ]


def check_sparsity_penalty(sparsity_penalty, seed=0, N=16, H=10, rhos=(0.05, 0.1, 0.3)):
    """``sparsity_penalty(hidden, rho=0.05)``: ``sum_j KL(rho || rho_hat_j)`` for sigmoid
    activations ``hidden`` (N, H), ``rho_hat_j`` the mean of unit j over the batch; a scalar.

    Checked: the value for several targets rho, the default rho = 0.05, and the gradient with
    respect to ``hidden`` (judge-side finite differences).
    """
    _torch()  # torch is needed below: one sentence if it is not installed
    exercise = "sparsity_penalty"
    hint = ("rho_hat_j is the mean activation of unit j over the batch, and the penalty sums the KL of two Bernoulli "
            "distributions, the target rho first, over the hidden units (section on sparse autoencoders).")
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
            FLOAT_THRESHOLD, hint=f"keep the default target rho = {SPARSITY_RHO} of the signature.")
    _slopes(sparsity_penalty, exercise, [hidden], reference_sparsity_penalty, ["hidden"], hint, seed,
            same_rows=True)


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
                         "the squared weights are summed over the wrong axis: unit j's weights are row j of weight "
                         "(nn.Linear keeps one row per output unit)"))
        h_t = torch.sigmoid(x @ weight + bias)
        mistakes.append((((h_t * (1 - h_t)).pow(2) * weight.pow(2).sum(dim=0)).sum(1).mean(),
                         "the weight is used transposed: nn.Linear keeps one row per output unit, shape (H, D)"))
    return mistakes


def check_contractive_penalty(contractive_penalty, seed=0, N=8, D=12, H=5):
    """``contractive_penalty(x, weight, bias)``: the mean over the batch of the squared Frobenius
    norm of the Jacobian of ``h = sigmoid(x @ weight.T + bias)`` with respect to x (``weight``
    (H, D) and ``bias`` (H,) as in ``nn.Linear(D, H)``); a scalar.

    Checked against the Jacobian computed by autograd: the value, and (by judge-side finite
    differences) its slopes with respect to the weight and the bias that training follows.
    """
    exercise = "contractive_penalty"
    hint = ("the Jacobian of a sigmoid layer has entries h_j (1 - h_j) W_ji; its squared Frobenius norm is a sum over "
            "units and inputs, averaged over the batch (section on contractive autoencoders).")
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

    _slopes(contractive_penalty, exercise, [x, weight, bias], reference_contractive_penalty, ["x", "weight", "bias"],
            hint, seed, moved=(1, 2), scale=0.1)


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
        (torch.exp(2 * logvar), "the noise is scaled by the variance sigma^2 = exp(logvar) (as some notes print it); "
         "scale it by the standard deviation sigma (see the erratum of section 5.1)"),
        (logvar.pow(2), "the log-variance is used as the standard deviation; sigma is the exponential of half the "
         "log-variance"),
        (torch.ones_like(logvar), "the noise is not scaled, so the samples have variance 1; scale it by sigma"),
        (torch.exp(0.5 * logvar), "the variance came out as exp(logvar / 2): the noise is scaled by exp(logvar / 4) "
         "(the square root taken twice?)"),
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
                          "can be negative, so take no square root or log of it: sigma is the exponential of half of it.")
    if (z - z[:1]).abs().max() < 1e-12 and N > 1:
        raise CheckFailed(f"{exercise}: every row of z is the same: the noise is drawn once for the whole batch (or not "
                          "at all); draw a fresh standard normal eps for every entry, shaped like mu.",
                          mistake=Mistake.named(exercise, "z", "the noise is shared by the whole batch"))
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
                       "the samples must have variance exp(logvar): scale the noise by the standard deviation")
        worst = int(((variance - expected).abs() / variance_error).argmax())
        raise CheckFailed(f"{exercise}: the samples have the wrong variance: over {N:,} draws with logvar = "
                          f"{logvar[worst]:.3g} (variance {expected[worst]:.4g}) their variance is "
                          f"{variance[worst]:.4g}; {meaning}.")
    eps = (z - mu) / torch.exp(0.5 * logvar)
    correlation = torch.corrcoef(eps.T) - torch.eye(D, dtype=torch.float64)
    if correlation.abs().max() > STANDARD_ERRORS / math.sqrt(N):
        raise CheckFailed(f"{exercise}: the noise of different latent dimensions is correlated (correlation "
                          f"{correlation.abs().max():.2f}): the same eps is used for every dimension; draw one per "
                          "example and dimension, shaped like mu.",
                          mistake=Mistake.named(exercise, "z", "the noise is shared by the latent dimensions"))


def _reparameterized(mu, logvar, eps):
    """z = mu + sigma * eps with sigma = exp(logvar / 2): the judge's reference."""
    return mu + _torch().exp(0.5 * logvar) * eps


def _given_noise_mistakes(mu, logvar, eps):
    torch = _torch()
    return [
        (mu + torch.exp(logvar) * eps, "the noise is scaled by the variance sigma^2 = exp(logvar) (as some notes print "
         "it); it is scaled by the standard deviation sigma"),
        (mu + logvar * eps, "the log-variance is used as the standard deviation; sigma = exp(logvar / 2)"),
        (mu + eps, "the noise is not scaled by sigma"),
        (mu + torch.exp(0.25 * logvar) * eps, "the noise is scaled by exp(logvar / 4): the square root is taken twice"),
        (logvar + torch.exp(0.5 * mu) * eps, "mu and logvar are swapped: the first argument is the mean"),
        (mu * eps, "the noise multiplies mu; z is mu plus the scaled noise"),
    ]


def _call_with_noise(reparameterize, exercise, mu, logvar, eps):
    try:
        return _call(reparameterize, exercise, mu, logvar, eps)
    except CheckFailed as error:
        if "positional argument" in str(error):
            raise CheckFailed(f"{error}; reparameterize takes the noise as a third argument, eps (None by default: "
                              "then it draws the noise itself), as the exercise says.",
                              mistake=Mistake.named(exercise, "reparameterize", "it takes no eps argument")) from None
        raise


def check_reparameterize(reparameterize, seed=0, D=5, N=SAMPLES):
    """``reparameterize(mu, logvar, eps=None) -> z``: a sample of N(mu, exp(logvar)) for every
    entry, ``z = mu + exp(0.5 * logvar) * eps``; with ``eps=None`` it draws ``eps ~ N(0, 1)`` itself.

    With the noise passed in, z is a deterministic, differentiable function of mu and logvar: its
    values are compared with the formula, and its slopes (dz/dmu = 1, dz/dlogvar = sigma eps / 2)
    are measured here by finite differences. Without it, the student's own noise is judged by
    statistics: N draws per latent dimension must have mean mu and variance exp(logvar) within six
    standard errors, with a new eps for every row and dimension.
    """
    torch = _torch()
    exercise = "reparameterize"
    hint = ("z = mu + sigma * eps, with sigma the standard deviation exp(logvar / 2) and the noise eps "
            "the only random part (section 5.1).")
    generator = _generator(seed)
    rows = 64
    mus = torch.randn(rows, D, generator=generator, dtype=torch.float64)
    logvars = torch.empty(rows, D, dtype=torch.float64).uniform_(-2.0, 1.5, generator=generator)
    eps = torch.randn(rows, D, generator=generator, dtype=torch.float64)
    z = _values(_call_with_noise(reparameterize, exercise, mus, logvars, eps), exercise, "z")
    again = _values(_call_with_noise(reparameterize, exercise, mus, logvars, eps), exercise, "z")
    if z.shape == again.shape and not np.array_equal(z, again):
        raise CheckFailed(f"{exercise}: called twice with the same mu, logvar and eps it returned different z: it draws "
                          "its own noise although eps was given; use the eps passed in (draw only when it is None), so "
                          f"that z is a differentiable function of mu and logvar. Hint: {hint}",
                          mistake=Mistake.named(exercise, "z", "it ignores the eps it is given"))
    mistakes = [(wrong.numpy(), meaning) for wrong, meaning in _given_noise_mistakes(mus, logvars, eps)]
    compare(exercise, "z for a given eps", z, _reparameterized(mus, logvars, eps).numpy(), FLOAT_THRESHOLD, hint=hint,
            mistakes=mistakes)
    _slopes(reparameterize, exercise, [mus, logvars, eps], _reparameterized, ["mu", "logvar", "eps"], hint, seed,
            moved=(0, 1), rows=True)
    mu, logvar = _reparameterize_setting(D)
    _check_samples(reparameterize, exercise, mu, logvar, N)


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
        (-0.5 * (m2 + var - logvar - 1).sum(-1), "the sign is flipped: a KL is never negative"),
        (0.5 * (m2 + logvar - 1).sum(-1), "this is the formula some lecture notes print, without the sigma^2 term and "
         "with the sign of log sigma^2 flipped; derive it again as in section 5.2"),
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
    ``torch.distributions.kl_divergence``: values, and slopes by judge-side finite differences."""
    exercise = "gaussian_kl"
    hint = ("the KL of a Gaussian against N(0, I) is a sum over the latent dimensions of a closed form in mu and "
            "sigma^2 = exp(logvar) (section 5.2), one KL per example.")
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

    _slopes(gaussian_kl, exercise, [mu, logvar], reference_gaussian_kl, ["mu", "logvar"], hint, seed, rows=True)


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
         .mean(), "the decoder's logits went through a sigmoid twice; the cross-entropy with logits applies the "
         "sigmoid itself"),
        ((-(torch.sigmoid(logits) - x).pow(2).flatten(1).sum(1) - kl).mean(), "the reconstruction term is a squared "
         "error; this VAE's decoder is a Bernoulli, whose log-likelihood is minus the binary cross-entropy, "
         "summed over the pixels"),
    ]


def check_elbo(elbo, seed=0, N=5, shape=(64,), D=2):
    """``elbo(x, logits, mu, logvar)``: the ELBO ``E_q[log p(x | z)] - KL(q(z | x) || p(z))``,
    averaged over the batch, for a Bernoulli decoder (``logits``, the shape of ``x``: (N, pixels) or
    images (N, C, H, W); the log-likelihood is summed over the pixels) and the Gaussian encoder (mu, logvar of shape (N, D));
    a scalar, to be maximized. Checked: the value and its slopes (logits, mu, logvar), by judge-side
    finite differences."""
    exercise = "elbo"
    hint = ("the ELBO of one image is its Bernoulli log-likelihood, summed over its pixels, minus its KL; the batch's "
            "ELBO is the mean of these (section 5.3).")
    x, logits, mu, logvar = _elbo_inputs(seed, N, shape, D)
    try:
        got = _values(_call(elbo, exercise, x, logits, mu, logvar), exercise, "the ELBO", scalar=True)
    except CheckFailed as error:
        if "must match" in str(error):
            raise CheckFailed(f"{error}; for x of shape {tuple(x.shape)} the log-likelihood of each example sums over "
                              "every axis but the batch's (all the pixels of one image, whatever its shape)") from None
        raise
    if got.shape == (N,):
        raise CheckFailed(f"{exercise}: it returned one value per example, shape ({N},); average them over the batch "
                          "to one number.")
    expected = reference_elbo(x, logits, mu, logvar)
    mistakes = [(wrong.numpy(), meaning) for wrong, meaning in _elbo_mistakes(x, logits, mu, logvar)]
    compare(exercise, "the ELBO", got, expected.numpy(), FLOAT_THRESHOLD, hint=hint, batch_size=N, mistakes=mistakes)

    _slopes(elbo, exercise, [x, logits, mu, logvar], reference_elbo, ["x", "logits", "mu", "logvar"], hint, seed,
            moved=(1, 2, 3))
