"""The checks of labs 06, 07 and 10 pass the labs' own solution code for every grading secret:
the judge mixes a secret into every seed while grading (``use_grading_secret``), so hidden inputs,
directions of finite differences and shifted digits are new in every run, and a right solution
must pass them all."""
import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course.checks import autoencoders, cnn, gans
from course.checks.judging import mixed_seed, use_grading_secret
from tests.notebook_tools import ROOT

SECRETS = [3, 20261207, 987654321987]


def solution_code(lab, grade_ids):
    """The solution cells ``grade_ids`` of ``solutions/<lab>/<lab>.ipynb``, run together."""
    notebook = json.loads((ROOT / "solutions" / lab / f"{lab}.ipynb").read_text())
    namespace = {"torch": torch, "nn": nn, "F": F}
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") in grade_ids:
            exec("".join(cell["source"]), namespace)  # noqa: S102 - the course's own solution code
    return namespace


@pytest.fixture(params=SECRETS)
def secret(request):
    use_grading_secret(request.param)
    try:
        yield request.param
    finally:
        use_grading_secret(None)


def test_the_secret_changes_the_seeds(secret):
    assert mixed_seed(0) != 0 and mixed_seed(0) != mixed_seed(1)


def test_lab06_solutions_pass_under_every_secret(secret):
    code = solution_code("06_cnn_architectures", {"lenet5", "residual_block", "channel_statistics"})
    for seed in (0, 2024):
        cnn.check_lenet5(code["LeNet5"], seed=seed)
        cnn.check_residual_block(code["ResidualBlock"], seed=seed)
        cnn.check_residual_block(code["ResidualBlock"], seed=seed, in_channels=4, out_channels=8, stride=2, size=6)
        cnn.check_channel_statistics(code["channel_statistics"], seed=seed)


def test_lab07_solutions_pass_under_every_secret(secret):
    code = solution_code("07_autoencoders", {"sparsity_penalty", "contractive_penalty", "reparameterize",
                                             "gaussian_kl", "elbo"})
    torch.manual_seed(secret % 1000)  # the student's own noise: any of it must pass
    for seed in (0, 2024):
        autoencoders.check_sparsity_penalty(code["sparsity_penalty"], seed=seed)
        autoencoders.check_contractive_penalty(code["contractive_penalty"], seed=seed)
        autoencoders.check_reparameterize(code["reparameterize"], seed=seed, D=3)
        autoencoders.check_gaussian_kl(code["gaussian_kl"], seed=seed)
        autoencoders.check_elbo(code["elbo"], seed=seed, shape=(1, 8, 8))


def test_lab10_solutions_pass_under_every_secret(secret):
    code = solution_code("10_gans", {"discriminator_loss", "minimax_generator_loss", "non_saturating_generator_loss",
                                     "generator"})
    for seed in (0, 2024):
        gans.check_discriminator_loss(code["discriminator_loss"], seed=seed)
        gans.check_minimax_generator_loss(code["minimax_generator_loss"], seed=seed)
        gans.check_non_saturating_generator_loss(code["non_saturating_generator_loss"], seed=seed)
        gans.check_generator(code["Generator"], seed=seed)
        gans.check_generator(code["Generator"], latent_dim=64, image_size=28, batch=3, seed=seed)
