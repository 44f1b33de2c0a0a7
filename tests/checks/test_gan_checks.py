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
    (lambda r, f: torch.tensor(d_loss_softplus(r, f).item(), dtype=torch.float64), "no gradient flows back"),
    (lambda r, f: 0.5 * (F.softplus(-r) + F.softplus(f)), "one loss per example: take the mean"),
    (in_place_d, "changed its input real_logits in place"),
])
def test_discriminator_loss_check_names_the_mistake(loss, message):
    fails_with(message, check_discriminator_loss, loss)


def test_a_loss_that_is_right_in_value_but_detached_on_one_side_fails_on_the_gradient():
    def half_detached(real, fake):
        return 0.5 * (F.softplus(-real).mean() + F.softplus(fake.detach()).mean())

    fails_with("does not depend on fake_logits|gradient of .* fake_logits is wrong", check_discriminator_loss,
               half_detached)

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
                 ignore_z=False):
        super().__init__()
        side = image_size // 4
        self.final, self.ignore_z, self.shape = final, ignore_z, (2 * width, side, side)
        norm1 = nn.BatchNorm1d(2 * width * side * side) if batchnorm else nn.Identity()
        norm2 = nn.BatchNorm2d(width) if batchnorm else nn.Identity()
        self.project = nn.Sequential(nn.Linear(latent_dim, 2 * width * side * side, bias=False), norm1, nn.ReLU())
        self.up = nn.Sequential(nn.ConvTranspose2d(2 * width, width, 4, 2, padding, bias=False), norm2, nn.ReLU(),
                                nn.ConvTranspose2d(width, 1, 4, 2, padding))
        self.extra = nn.Linear(3, 3) if unused else None

    def forward(self, z):
        if self.ignore_z:
            z = torch.zeros_like(z)
        x = self.up(self.project(z).view(-1, *self.shape))
        return self.final(x) if self.final else x


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generator_check_passes_right_generators(seed):
    check_generator(Generator, seed=seed)
    check_generator(Generator, latent_dim=10, image_size=28, batch=3, seed=seed)
    check_generator(lambda latent_dim, image_size: Generator(latent_dim, image_size, width=4), seed=seed)


@pytest.mark.parametrize("build, message", [
    (lambda l, s: Generator(l, s, final=None), "outside \\[-1, 1\\]; end the generator with a tanh"),
    (lambda l, s: Generator(l, s, final=torch.sigmoid), "ends with a sigmoid or a ReLU"),
    (lambda l, s: Generator(l, s, batchnorm=False), "has no BatchNorm"),
    (lambda l, s: Generator(l, s, padding=0), r"returned shape \(6, 1, 14, 14\), expected \(6, 1, 8, 8\). Hint: .*2 -> 4 -> 8"),
    (lambda l, s: Generator(l, s, unused=True), "the parameter extra.weight gets no gradient"),
    (lambda l, s: Generator(l, s, ignore_z=True), "returned the same image for 6 different z"),
    (lambda l, s: nn.Sequential(nn.Linear(l, s * s), nn.BatchNorm1d(s * s), nn.Tanh()), "no convolution weights"),
    (lambda l, s: "not a module", "built a str, not a torch.nn.Module"),
])
def test_generator_check_names_the_mistake(build, message):
    fails_with(message, check_generator, build)
