"""The initializer check passes the reference and names typical mistakes."""
import math

import numpy as np
import pytest

from course import init
from course.checks.init import check_initializer
from course.checks.judging import CheckFailed


def fails_with(match, *args, **kwargs):
    with pytest.raises(CheckFailed, match=match) as info:
        check_initializer(*args, **kwargs)
    assert "\n" not in str(info.value), "a check's message is one line"
    return str(info.value)


@pytest.mark.parametrize("kind", sorted(init.INITIALIZERS))
@pytest.mark.parametrize("seed", range(3))
def test_reference_passes(kind, seed):
    reference = init.INITIALIZERS[kind]
    check_initializer(reference, kind, seed=seed)
    check_initializer(reference, kind, seed=seed, shape=(128, 64, 3, 3))
    check_initializer(reference, kind, seed=seed, shape=(300, 500), layout="torch")


def test_reference_passes_with_options():
    check_initializer(init.xavier_normal, "xavier_normal", gain=init.calculate_gain("tanh"))
    check_initializer(init.kaiming_uniform, "kaiming_uniform", mode="fan_out", nonlinearity="relu")
    check_initializer(init.kaiming_normal, "kaiming_normal", a=0.2)


def student(sample, scale):
    """A student's initializer: ``scale(fan_in, fan_out)`` fed to ``sample(rng, scale, shape)``."""
    def initializer(shape, seed=None):
        rng = np.random.default_rng(seed)
        return sample(rng, scale(shape[0], shape[1]), shape)
    return initializer


def uniform(rng, bound, shape):
    return rng.uniform(-bound, bound, size=shape)


def normal(rng, std, shape):
    return rng.normal(0.0, std, size=shape)


def test_xavier_mistakes():
    check_initializer(student(uniform, lambda fi, fo: math.sqrt(6 / (fi + fo))), "xavier_uniform")
    fails_with(r"xavier_uniform: the standard deviation of the weights is 0.06\d+ but should be 0.05\d+ .*it uses "
               r"only fan_in, 2 / fan_in \(that is He's scale: the notes' 'Xavier' bound sqrt\(6 / n_in\) is really "
               r"He-uniform\)", student(uniform, lambda fi, fo: math.sqrt(6 / fi)), "xavier_uniform")
    fails_with(r"the standard deviation is used as the bound; a uniform on \[-b, b\] has standard deviation "
               r"b / sqrt\(3\)", student(uniform, lambda fi, fo: math.sqrt(2 / (fi + fo))), "xavier_uniform")
    fails_with(r"the variance 2 / \(fan_in \+ fan_out\) is used as the standard deviation",
               student(normal, lambda fi, fo: 2 / (fi + fo)), "xavier_normal")
    fails_with(r"it uses 1 / fan_in", student(normal, lambda fi, fo: math.sqrt(1 / fi)), "xavier_normal")

    def gain_ignored(shape, gain=1.0, seed=None):
        return np.random.default_rng(seed).normal(0.0, math.sqrt(2 / (shape[0] + shape[1])), size=shape)
    fails_with(r"the gain 1.667 is missing", gain_ignored, "xavier_normal", gain=5 / 3)


def test_kaiming_mistakes():
    check_initializer(student(normal, lambda fi, fo: math.sqrt(2 / fi)), "kaiming_normal")
    fails_with(r"kaiming_normal: .*it divides by fan_out = 256 instead of fan_in = 512; this course's affine "
               r"weight has shape \(fan_in, fan_out\), the transpose of torch's nn.Linear weight",
               student(normal, lambda fi, fo: math.sqrt(2 / fo)), "kaiming_normal")
    fails_with(r"the gain 1.414 \(sqrt\(2\) for ReLU\) is missing", student(normal, lambda fi, fo: math.sqrt(1 / fi)),
               "kaiming_normal")
    fails_with(r"the variance 2 / fan_in is used as the standard deviation",
               student(normal, lambda fi, fo: 2 / fi), "kaiming_normal")
    fails_with(r"the uniform bound \(sqrt\(3\) \* std\) is used as the standard deviation",
               student(normal, lambda fi, fo: math.sqrt(6 / fi)), "kaiming_normal")
    fails_with(r"that is Xavier's scale", student(uniform, lambda fi, fo: math.sqrt(12 / (fi + fo))),
               "kaiming_uniform")


def test_distribution_and_seed_mistakes():
    fails_with(r"kaiming_uniform: the weights do not look uniformly distributed \(excess kurtosis -?0.0\d; a "
               r"uniform has -1.2", student(normal, lambda fi, fo: math.sqrt(2 / fi)), "kaiming_uniform")
    fails_with(r"xavier_normal: the weights do not look normally distributed",
               student(uniform, lambda fi, fo: math.sqrt(6 / (fi + fo))), "xavier_normal")
    fails_with(r"the weights are not centred on 0 .* not from \[0, b\]",
               lambda shape, seed=None: np.random.default_rng(seed).uniform(0, math.sqrt(6 / shape[0]), shape),
               "kaiming_uniform")
    fails_with(r"two calls with seed=0 gave different weights; draw from rng = np.random.default_rng\(seed\)",
               lambda shape, seed=None: np.random.normal(0, math.sqrt(2 / shape[0]), shape), "kaiming_normal")
    fails_with(r"seed=0 and seed=1 gave the same weights; the seed is ignored",
               lambda shape, seed=None: np.random.default_rng(42).normal(0, math.sqrt(2 / shape[0]), shape),
               "kaiming_normal")


def test_shape_and_api_mistakes():
    fails_with(r"returned shape \(256, 512\) but should return shape \(512, 256\); it looks transposed",
               lambda shape, seed=None: init.kaiming_normal(shape[::-1], seed=seed), "kaiming_normal")
    fails_with(r"should return a NumPy array, got list",
               lambda shape, seed=None: init.kaiming_normal(shape, seed=seed).tolist(), "kaiming_normal")
    fails_with(r"raised TypeError: .*unexpected keyword argument 'seed'", lambda shape: np.zeros(shape),
               "kaiming_normal")
    conv_only_2d = student(normal, lambda fi, fo: math.sqrt(2 / fi))  # reads shape[0] as fan_in for any layout
    fails_with(r"kaiming_normal: the standard deviation .*; it leaves out the kernel size: a conv weight "
               r"\(F, C, KH, KW\) has fan_in = C \* KH \* KW", conv_only_2d, "kaiming_normal", shape=(64, 32, 3, 3))
    with pytest.raises(ValueError, match="kind must be one of xavier_uniform, xavier_normal"):
        check_initializer(init.xavier_uniform, "glorot")


def test_lab03_exercises_pass_the_reference_and_name_mistakes():
    from course.checks import check_kaiming_normal, check_xavier_uniform
    from course.checks.runner import check
    for seed, shape in [(0, (512, 256)), (3, (300, 700))]:
        check_xavier_uniform(init.xavier_uniform, seed=seed, shape=shape)
        check_kaiming_normal(init.kaiming_normal, seed=seed, shape=shape)
    with pytest.raises(CheckFailed, match=r"^xavier_uniform: .*it uses only fan_in, 2 / fan_in"):
        check_xavier_uniform(student(uniform, lambda fi, fo: math.sqrt(6 / fi)))
    with pytest.raises(CheckFailed, match=r"^kaiming_normal: .*the variance 2 / fan_in is used as the standard "
                                          r"deviation: take its square root"):
        check_kaiming_normal(student(normal, lambda fi, fo: 2 / fi))
    with pytest.raises(CheckFailed, match=r"^kaiming_normal: .*it divides by fan_out = 700 instead of fan_in = 300"):
        check_kaiming_normal(student(normal, lambda fi, fo: math.sqrt(2 / fo)), shape=(300, 700))
    assert check(check_xavier_uniform, init.xavier_uniform) is True  # the summary knows it as xavier_uniform
    from course.checks.runner import _results
    assert _results["xavier_uniform"] is True
