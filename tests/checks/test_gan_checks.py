"""The lab 10 checks pass right GAN losses and generators, written in several ways, and name the
typical mistakes of wrong ones."""
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course.checks.gans import (
    check_discriminator_loss,
    check_generator,
    check_minimax_generator_loss,
    check_non_saturating_generator_loss,
)
from tests.checks.failing import fails_with

SEEDS = [0, 1, 2, 2024]

# ---------------------------------------------------------------- the discriminator's loss


def d_loss_bce(real, fake):
    logits, labels = torch.cat([real, fake]), torch.cat([torch.ones_like(real), torch.zeros_like(fake)])
    return F.binary_cross_entropy_with_logits(logits, labels)


def d_loss_logsigmoid(real, fake):
    return -(F.logsigmoid(real).mean() + F.logsigmoid(-fake).mean()) / 2


def d_loss_softplus(real, fake):
    return 0.5 * (F.softplus(-real).mean() + F.softplus(fake).mean())


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("loss", [d_loss_bce, d_loss_logsigmoid, d_loss_softplus])
def test_discriminator_loss_check_passes_right_losses(loss, seed):
    check_discriminator_loss(loss, seed=seed)
    check_discriminator_loss(loss, seed=seed, batch=3)


def unstable_d(real, fake):
    return -(torch.log(torch.sigmoid(real)).mean() + torch.log(1 - torch.sigmoid(fake)).mean()) / 2


def in_place_d(real, fake):
    real.clamp_(-10, 10)
    return d_loss_softplus(real, fake)


@pytest.mark.parametrize("loss, message", [
    (lambda r, f: 0.5 * (F.softplus(r).mean() + F.softplus(-f).mean()), "labels are swapped for real and fake"),
    (lambda r, f: F.binary_cross_entropy_with_logits(torch.cat([r, f]), torch.cat([torch.zeros_like(r), torch.ones_like(f)])),
     "labels are swapped for real and fake"),
    (lambda r, f: F.binary_cross_entropy_with_logits(r, torch.ones_like(r)) + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)),
     "it adds the two means"),
    (lambda r, f: F.binary_cross_entropy_with_logits(torch.cat([r, f]), torch.cat([torch.ones_like(r), torch.zeros_like(f)]),
                                                     reduction="sum"), "it sums over all 2N logits"),
    (lambda r, f: 0.5 * (F.softplus(-r).sum() + F.softplus(f).sum()), "mean vs sum"),
    (lambda r, f: d_loss_bce(torch.sigmoid(r), torch.sigmoid(f)), "uses probabilities where logits are expected"),
    (lambda r, f: 0.5 * (F.softplus(-r).mean() + F.softplus(-f).mean()), "generated images are labelled real"),
    (lambda r, f: F.softplus(-r).mean(), "the term of the generated images.*is missing"),
    (lambda r, f: -d_loss_softplus(r, f), "the sign is flipped"),
    (unstable_d, "inf when some logits are large.*not numerically stable. Hint: .*F.logsigmoid"),
    (lambda r, f: -(torch.log(r).mean() + torch.log(1 - f).mean()) / 2, "nan even for moderate logits; it uses probabilities"),
    (lambda r, f: F.binary_cross_entropy(torch.cat([r, f]), torch.cat([torch.ones_like(r), torch.zeros_like(f)])),
     "between 0 and 1; it uses probabilities where logits are expected"),
    (lambda r, f: d_loss_softplus(r, f).item(), "returned a Python number"),
    (lambda r, f: 0.5 * (F.softplus(-r) + F.softplus(f)), "one loss per example: take the mean"),
    (in_place_d, "changed its input real_logits in place"),
])
def test_discriminator_loss_check_names_the_mistake(loss, message):
    fails_with(message, check_discriminator_loss, loss)


def test_a_loss_right_only_at_the_checks_logits_fails_on_the_judges_finite_differences():
    """The slope is measured on the judge's side from returned values (issue 22): a loss that
    answers right at the logits it was shown but not around them (a table) fails."""
    def rounded(real, fake):
        return d_loss_softplus(real.round(decimals=7), fake.round(decimals=7))

    fails_with(r"the slope of rounded along random directions \(finite differences\) is wrong",
               check_discriminator_loss, rounded)


@pytest.mark.parametrize("check_function, loss", [
    (check_discriminator_loss, d_loss_softplus),
    (check_discriminator_loss, d_loss_bce),
    (check_minimax_generator_loss, lambda f: -F.softplus(f).mean()),
    (check_non_saturating_generator_loss, lambda f: F.softplus(-f).mean()),
])
def test_losses_are_judged_without_asking_the_kernel_for_gradients(check_function, loss, monkeypatch):
    """A forged gradient probe cannot change a verdict: the checks never call it."""
    from course import probes

    def forged(*args, **kwargs):
        raise AssertionError("a check asked the student's side for gradients")

    monkeypatch.setattr(probes, "gradients", forged, raising=False)
    check_function(loss)


def test_a_loss_that_clamps_the_logits_at_1000_fails_on_the_slope_there():
    """Right values at +-1000 exactly, but flat beyond: the judge's central differences see it."""
    def clamped(real, fake):
        return d_loss_softplus(real.clamp(-1000, 1000), fake.clamp(-1000, 1000))

    fails_with(r"the slope of clamped when some logits are \+-1000 along random directions .* is wrong",
               check_discriminator_loss, clamped)

# ---------------------------------------------------------------- the generator losses


def minimax_softplus(fake):
    return -F.softplus(fake).mean()


def minimax_bce(fake):
    return -F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))


def minimax_logsigmoid(fake):
    return F.logsigmoid(-fake).mean()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("loss", [minimax_softplus, minimax_bce, minimax_logsigmoid])
def test_minimax_check_passes_right_losses(loss, seed):
    check_minimax_generator_loss(loss, seed=seed)
    check_minimax_generator_loss(loss, seed=seed, batch=2)


@pytest.mark.parametrize("loss, message", [
    (lambda f: F.softplus(f).mean(), "the minimax generator loss has the wrong sign"),
    (lambda f: F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)), "the minimax generator loss has the wrong sign"),
    (lambda f: F.softplus(-f).mean(), "it is the non-saturating loss"),
    (lambda f: -F.softplus(f).sum(), "mean vs sum"),
    (lambda f: -F.softplus(torch.sigmoid(f)).mean(), "uses probabilities where logits are expected"),
    (lambda f: torch.log(1 - f).mean(), "uses probabilities where logits are expected"),
    (lambda f: torch.log(1 - torch.sigmoid(f)).mean(), "not numerically stable"),
    (lambda f: -0.5 * F.softplus(f).mean(), "it is half the loss"),
    (lambda f: -F.softplus(f), "one loss per example"),
])
def test_minimax_check_names_the_mistake(loss, message):
    fails_with(message, check_minimax_generator_loss, loss)


def non_saturating_bce(fake):
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


def non_saturating_logsigmoid(fake):
    return -F.logsigmoid(fake).mean()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("loss", [non_saturating_bce, non_saturating_logsigmoid])
def test_non_saturating_check_passes_right_losses(loss, seed):
    check_non_saturating_generator_loss(loss, seed=seed)
    check_non_saturating_generator_loss(loss, seed=seed, batch=5)


@pytest.mark.parametrize("loss, message", [
    (lambda f: -F.softplus(f).mean(), "it is the minimax loss"),
    (lambda f: F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)), "labels are swapped: it labels the generated images fake"),
    (lambda f: F.logsigmoid(f).mean(), "the sign is flipped"),
    (lambda f: F.binary_cross_entropy_with_logits(f, torch.ones_like(f), reduction="sum"), "mean vs sum"),
    (lambda f: non_saturating_bce(torch.sigmoid(f)), "uses probabilities where logits are expected"),
    (lambda f: -torch.log(torch.sigmoid(f)).mean(), "not numerically stable"),
    (lambda f: torch.zeros((), dtype=f.dtype), "is wrong"),
])
def test_non_saturating_check_names_the_mistake(loss, message):
    fails_with(message, check_non_saturating_generator_loss, loss)


def test_loss_checks_report_a_missing_implementation():
    def missing(*logits):
        raise NotImplementedError()

    for check_function in (check_discriminator_loss, check_minimax_generator_loss, check_non_saturating_generator_loss):
        fails_with("not implemented yet", check_function, missing)

# ---------------------------------------------------------------- the generator


class Generator(nn.Module):
    """A right DCGAN generator; the flags plant one typical mistake each."""

    def __init__(self, latent_dim, image_size, width=8, final=torch.tanh, batchnorm=True, padding=1, unused=False,
                 ignore_z=False, output_batchnorm=False, activation=None, middle_batchnorm=True, skip_middle=False,
                 norm_after_reshape=False):
        super().__init__()
        side = image_size // 4
        self.final, self.ignore_z, self.shape, self.skip = final, ignore_z, (2 * width, side, side), skip_middle
        self.norm_after_reshape = norm_after_reshape
        activation = activation or nn.ReLU()
        norm1 = ((nn.BatchNorm2d(2 * width) if norm_after_reshape else nn.BatchNorm1d(2 * width * side * side))
                 if batchnorm else nn.Identity())
        norm2 = nn.BatchNorm2d(width) if batchnorm and middle_batchnorm else nn.Identity()
        self.linear = nn.Linear(latent_dim, 2 * width * side * side, bias=False)
        self.project = nn.Sequential(norm1, activation)
        self.up1 = nn.Sequential(nn.ConvTranspose2d(2 * width, width, 4, 2, padding, bias=False), norm2, activation)
        self.up2 = nn.Sequential(nn.ConvTranspose2d(width, 1, 4, 2, padding),
                                 nn.BatchNorm2d(1) if output_batchnorm else nn.Identity())
        self.extra = nn.Linear(3, 3) if unused else None

    def forward(self, z):
        if self.ignore_z:
            z = torch.zeros_like(z)
        h = self.linear(z)
        h = self.project(h.view(-1, *self.shape)) if self.norm_after_reshape else self.project(h).view(-1, *self.shape)
        x = self.up2(h if self.skip else self.up1(h)) if not self.skip else self.up2(self.up1[0](h))
        return self.final(x) if self.final else x


class UpsamplingGenerator(nn.Module):
    """Upsample + Conv2d instead of transposed convolutions: not DCGAN's generator."""

    def __init__(self, latent_dim, image_size, width=8):
        super().__init__()
        side = image_size // 4
        self.shape = (2 * width, side, side)
        self.project = nn.Sequential(nn.Linear(latent_dim, 2 * width * side * side, bias=False),
                                     nn.BatchNorm1d(2 * width * side * side), nn.ReLU())
        self.up = nn.Sequential(nn.Upsample(scale_factor=2), nn.Conv2d(2 * width, width, 3, padding=1, bias=False),
                                nn.BatchNorm2d(width), nn.ReLU(), nn.Upsample(scale_factor=2),
                                nn.Conv2d(width, 1, 3, padding=1), nn.Tanh())

    def forward(self, z):
        return self.up(self.project(z).view(-1, *self.shape))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generator_check_passes_right_generators(seed):
    check_generator(Generator, seed=seed)
    check_generator(Generator, latent_dim=10, image_size=28, batch=3, seed=seed)
    check_generator(lambda latent_dim, image_size: Generator(latent_dim, image_size, width=4), seed=seed)
    check_generator(lambda latent_dim, image_size: Generator(latent_dim, image_size, norm_after_reshape=True), seed=seed)


@pytest.mark.parametrize("build, message", [
    (lambda l, s: Generator(l, s, final=None), "outside \\[-1, 1\\]; DCGAN's generator ends with a tanh"),
    (lambda l, s: Generator(l, s, final=torch.sigmoid), "ends with a sigmoid or a ReLU"),
    (lambda l, s: Generator(l, s, batchnorm=False), "has no BatchNorm"),
    (lambda l, s: Generator(l, s, padding=0), r"returned shape \(6, 1, 14, 14\), expected \(6, 1, 8, 8\). Hint: .*2 -> 4 -> 8"),
    (lambda l, s: Generator(l, s, unused=True), "has 2 linear layers; the table has one"),
    (lambda l, s: Generator(l, s, output_batchnorm=True), "has a BatchNorm over 1 channel, on the output layer"),
    (lambda l, s: Generator(l, s, activation=nn.LeakyReLU(0.2)), "it uses LeakyReLU in the generator"),
    (lambda l, s: UpsamplingGenerator(l, s), "Conv2d's layout .*not with Upsample and Conv2d"),
    (lambda l, s: Generator(l, s, middle_batchnorm=False), r"has BatchNorms of sizes \[64\]; DCGAN normalizes both hidden layers"),
    (lambda l, s: Generator(l, s, skip_middle=True), r"images of Generator\(16, 8\) .* is wrong"),
    (lambda l, s: Generator(l, s, ignore_z=True), "returned the same image for 6 different z"),
    (lambda l, s: nn.Sequential(nn.Linear(l, s * s), nn.BatchNorm1d(s * s), nn.Tanh()), "no convolution weights"),
    (lambda l, s: "not a module", "built a str, not a torch.nn.Module"),
])
def test_generator_check_names_the_mistake(build, message):
    fails_with(message, check_generator, build)
