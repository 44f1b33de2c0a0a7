"""Every optimizer next to torch.optim for 20 steps on the same problem, in float64."""
import numpy as np
import pytest
import torch

from course.gradcheck import rel_error
from course.optim import SGD, Adagrad, Adam, AdamW, RMSprop

STEPS = 20


class Problem:
    """A non-convex elementwise objective ``sum(scale * (p**4 / 4 - p**2 + 0.3 p))``; the scales span
    six orders of magnitude so that some gradients are tiny and epsilon's placement matters."""

    def __init__(self, seed):
        rng = np.random.default_rng(seed)
        self.start = [rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(2, 1, 3))]
        self.scales = [10.0 ** rng.uniform(-6, 0, size=p.shape) for p in self.start]

    def gradients(self, params):
        return [s * (p**3 - 2 * p + 0.3) for p, s in zip(params, self.scales)]


def run_both(ours_class, torch_class, kwargs, seed=0, lr_change=0.3):
    """Both trajectories; before step 11 the learning rate is multiplied by ``lr_change``."""
    problem = Problem(seed)
    params = [p.copy() for p in problem.start]
    tensors = [torch.tensor(p.copy()) for p in problem.start]
    ours, theirs = ours_class(params, **kwargs), torch_class(tensors, **kwargs)
    for step in range(1, STEPS + 1):
        if step == STEPS // 2 + 1:
            ours.lr *= lr_change
            theirs.param_groups[0]["lr"] *= lr_change
        ours.step(problem.gradients(params))
        for tensor, grad in zip(tensors, problem.gradients([t.numpy() for t in tensors])):
            tensor.grad = torch.from_numpy(grad)
        theirs.step()
        for index, (p, t) in enumerate(zip(params, tensors)):
            error = rel_error(p, t.numpy())
            assert error < 1e-11, f"parameter {index} differs from torch after step {step}: {error:.1e}"
    return params


CASES = [
    (SGD, torch.optim.SGD, dict(lr=0.1)),
    (SGD, torch.optim.SGD, dict(lr=0.1, weight_decay=0.05)),
    (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.4, weight_decay=0.01)),
    (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True)),
    (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    (Adagrad, torch.optim.Adagrad, dict()),
    (Adagrad, torch.optim.Adagrad, dict(lr=0.1, eps=1e-6)),
    (Adagrad, torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.01, initial_accumulator_value=0.1)),
    (RMSprop, torch.optim.RMSprop, dict()),
    (RMSprop, torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, eps=1e-6)),
    (RMSprop, torch.optim.RMSprop, dict(lr=0.01, momentum=0.9)),
    (RMSprop, torch.optim.RMSprop, dict(lr=0.01, centered=True, weight_decay=0.05)),
    (RMSprop, torch.optim.RMSprop, dict(lr=0.005, alpha=0.95, momentum=0.5, centered=True, weight_decay=0.01)),
    (Adam, torch.optim.Adam, dict()),
    (Adam, torch.optim.Adam, dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6)),
    (Adam, torch.optim.Adam, dict(lr=0.05, weight_decay=0.1)),
    (Adam, torch.optim.Adam, dict(lr=0.05, betas=(0.9, 0.9), amsgrad=True)),
    (Adam, torch.optim.Adam, dict(lr=0.05, betas=(0.0, 0.5), weight_decay=0.01, amsgrad=True)),
    (AdamW, torch.optim.AdamW, dict()),
    (AdamW, torch.optim.AdamW, dict(lr=0.05, weight_decay=0.1)),
    (AdamW, torch.optim.AdamW, dict(lr=0.05, betas=(0.5, 0.9), eps=1e-4, weight_decay=0.3, amsgrad=True)),
]


@pytest.mark.parametrize("ours, theirs, kwargs", CASES, ids=[f"{c[0].__name__}-{c[2]}" for c in CASES])
@pytest.mark.parametrize("seed", [0, 1])
def test_trajectory_matches_torch(ours, theirs, kwargs, seed):
    run_both(ours, theirs, kwargs, seed)


def test_defaults_are_torchs():
    param = [np.zeros(2)]
    for ours, theirs in [(Adagrad, torch.optim.Adagrad), (RMSprop, torch.optim.RMSprop),
                         (Adam, torch.optim.Adam), (AdamW, torch.optim.AdamW)]:
        defaults = theirs([torch.zeros(2)]).defaults
        optimizer = ours(param)
        for name, value in optimizer._hyperparameters().items():
            assert defaults[name] == value, f"{ours.__name__}.{name}"
    sgd, torch_sgd = SGD(param, lr=0.1), torch.optim.SGD([torch.zeros(2)], lr=0.1).defaults
    assert all(torch_sgd[name] == value for name, value in sgd._hyperparameters().items())


def test_parameters_are_updated_in_place_and_keep_their_dtype():
    weight = np.ones((2, 3), dtype=np.float32)
    view = weight[0]
    optimizer = Adam([weight], lr=0.1)
    optimizer.step([np.full((2, 3), 2.0)])
    assert weight.dtype == np.float32 and optimizer.params[0] is weight
    np.testing.assert_allclose(view, 0.9, rtol=1e-6)  # the first Adam step is lr against the sign of g


def test_gradients_are_never_modified():
    grads = [np.array([1.0, -2.0])]
    for optimizer in [SGD([np.ones(2)], lr=0.1, momentum=0.9, weight_decay=0.1),
                      Adagrad([np.ones(2)], weight_decay=0.1),
                      RMSprop([np.ones(2)], momentum=0.9, weight_decay=0.1), Adam([np.ones(2)], weight_decay=0.1),
                      AdamW([np.ones(2)])]:
        optimizer.step(grads)
        optimizer.step(grads)
        np.testing.assert_array_equal(grads[0], [1.0, -2.0])


def test_none_gradient_skips_its_parameter_as_torch():
    a, b = np.ones(2), np.ones(3)
    optimizer = Adam([a, b], lr=0.1)
    optimizer.step([None, np.ones(3)])
    np.testing.assert_array_equal(a, 1.0)
    assert optimizer.state[0] == {} and optimizer.state[1]["step"] == 1


def test_state_uses_torchs_buffer_names():
    p = [np.ones(2)]
    sgd = SGD(p, lr=0.1, momentum=0.9)
    sgd.step([np.ones(2)])
    assert set(sgd.state[0]) == {"momentum_buffer"}
    adam = Adam([np.ones(2)], amsgrad=True)
    adam.step([np.ones(2)])
    assert set(adam.state[0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    rmsprop = RMSprop([np.ones(2)], momentum=0.5, centered=True)
    rmsprop.step([np.ones(2)])
    assert set(rmsprop.state[0]) == {"step", "square_avg", "momentum_buffer", "grad_avg"}
    assert set(Adagrad([np.ones(2)]).state[0]) == {"step", "sum"}


# Worked numbers (derived in the digest of the lecture notes, with epsilon outside the root) -------


def test_adam_first_step_is_about_lr_times_the_sign_of_g():
    g = np.array([3.0, -1e-3, 1e-6, -50.0])
    p = np.zeros(4)
    Adam([p], lr=0.01).step([g])
    np.testing.assert_allclose(p, -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    assert abs(p[2] / -0.01 - 0.990) < 1e-3  # E8: g = 1e-6, eps = 1e-8: 0.990 of lr (0.0100 with eps inside)


def test_momentum_with_constant_gradient_builds_up_geometrically():
    lr, beta, g = 0.1, 0.9, np.array([2.0])
    p = np.zeros(1)
    optimizer = SGD([p], lr=lr, momentum=beta)
    for t in range(1, 8):
        before = p.copy()
        optimizer.step([g])
        np.testing.assert_allclose(before - p, lr * g * (1 - beta**t) / (1 - beta), rtol=1e-12)


def test_adagrad_with_constant_gradient_takes_steps_shrinking_like_one_over_sqrt_t():
    lr, g = 0.1, np.array([0.5])
    p = np.zeros(1)
    optimizer = Adagrad([p], lr=lr)
    for t in range(1, 8):
        before = p.copy()
        optimizer.step([g])
        np.testing.assert_allclose(before - p, lr * g / (np.sqrt(t * g**2) + 1e-10), rtol=1e-12)


def test_adamw_differs_from_adam_only_through_weight_decay():
    grads = [np.array([0.3, -2.0])]
    pa, pw = np.ones(2), np.ones(2)
    Adam([pa], lr=0.1).step(grads)
    AdamW([pw], lr=0.1, weight_decay=0.0).step(grads)
    np.testing.assert_array_equal(pa, pw)
    AdamW([pw], lr=0.1, weight_decay=0.5).step(grads)
    Adam([pa], lr=0.1, weight_decay=0.5).step(grads)
    assert not np.allclose(pa, pw)


# Invalid input: one sentence, as torch --------------------------------------------------------


@pytest.mark.parametrize("make, message", [
    (lambda p: SGD(p, lr=-0.1), r"SGD: invalid learning rate -0.1; it must be >= 0"),
    (lambda p: SGD(p, lr=0.1, momentum=-0.5), r"invalid momentum -0.5"),
    (lambda p: SGD(p, lr=0.1, nesterov=True), r"Nesterov momentum requires a momentum > 0 and zero dampening"),
    (lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), r"Nesterov momentum requires"),
    (lambda p: SGD(p, lr=0.1, weight_decay=-1), r"invalid weight_decay -1"),
    (lambda p: Adagrad(p, eps=-1e-10), r"Adagrad: invalid eps"),
    (lambda p: Adagrad(p, lr_decay=-1), r"invalid lr_decay"),
    (lambda p: RMSprop(p, alpha=1.0), r"RMSprop: invalid alpha 1.0; it must be in \[0.0, 1.0\)"),
    (lambda p: RMSprop(p, lr=float("nan")), r"invalid learning rate nan"),
    (lambda p: Adam(p, betas=(0.9, 1.0)), r"Adam: invalid beta parameter at index 1: 1.0; it must lie in \[0, 1\)"),
    (lambda p: Adam(p, betas=(-0.1, 0.9)), r"invalid beta parameter at index 0: -0.1"),
    (lambda p: Adam(p, betas=0.9), r"betas must be a pair"),
    (lambda p: AdamW(p, lr=-1), r"AdamW: invalid learning rate -1"),
    (lambda p: Adam(p, lr="fast"), r"Adam: learning rate must be a number, got 'fast'"),
])
def test_invalid_hyperparameters_are_refused_in_one_sentence(make, message):
    with pytest.raises(ValueError, match=message):
        make([np.zeros(2)])


def test_invalid_parameters_and_gradients_are_refused_in_one_sentence():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match=r"parameter 1 is an array of dtype int64; .* floating-point"):
        SGD([np.zeros(2), np.arange(3)], lr=0.1)
    with pytest.raises(ValueError, match=r"parameter 0 is a list"):
        Adam([[1.0, 2.0]])
    optimizer = Adam([np.zeros(2), np.zeros((3, 4))])
    with pytest.raises(ValueError, match=r"Adam.step: got 1 gradients for 2 parameters"):
        optimizer.step([np.zeros(2)])
    with pytest.raises(ValueError, match=r"gradient 1 has shape \(4, 3\) but parameter 1 has shape \(3, 4\)"):
        optimizer.step([np.zeros(2), np.zeros((4, 3))])


def test_repr_names_the_hyperparameters():
    assert repr(SGD([np.zeros(1)], lr=0.1, momentum=0.9)) == (
        "SGD(1 parameters, lr=0.1, momentum=0.9, nesterov=False, weight_decay=0.0, dampening=0.0)")
