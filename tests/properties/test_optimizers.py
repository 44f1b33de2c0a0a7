"""Every optimizer of course.optim against torch.optim: random hyperparameters, parameter
shapes and gradient sequences (tests/optim follows fixed settings on one problem)."""
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from course.optim import SGD, Adagrad, Adam, AdamW, RMSprop
from tests.properties.strategies import arrays, assert_matches, shapes

UNIT = st.floats(0.0, 1.0)
RATE = st.floats(0.0, 0.5)
EPSILON = st.sampled_from([1e-10, 1e-8, 1e-6, 1e-3])
DECAY = st.one_of(st.just(0.0), st.floats(0.0, 0.5))
BETA = st.one_of(st.just(0.0), st.floats(0.0, 0.999))


@st.composite
def sgd_settings(draw):
    nesterov = draw(st.booleans())
    momentum = draw(st.floats(0.05, 1.0) if nesterov else st.one_of(st.just(0.0), UNIT))
    dampening = 0.0 if nesterov else draw(st.one_of(st.just(0.0), UNIT))  # torch's Nesterov needs 0
    return dict(lr=draw(RATE), momentum=momentum, dampening=dampening, nesterov=nesterov, weight_decay=draw(DECAY))


SETTINGS = {
    "SGD": (SGD, torch.optim.SGD, sgd_settings()),
    "Adagrad": (Adagrad, torch.optim.Adagrad, st.fixed_dictionaries(
        {"lr": RATE, "eps": EPSILON, "lr_decay": DECAY, "weight_decay": DECAY, "initial_accumulator_value": DECAY})),
    "RMSprop": (RMSprop, torch.optim.RMSprop, st.fixed_dictionaries(
        # alpha = 0 with centered=True makes the variance square_avg - grad_avg**2 = g*g - g*g exactly
        # 0 here, while torch's addcmul leaves about ±1e-16 (NaN under the root when negative): rounding
        # noise that 1 / eps magnifies, not a difference of method.
        {"lr": st.floats(0.0, 0.05), "alpha": st.floats(0.01, 0.999), "eps": EPSILON, "weight_decay": DECAY,
         "momentum": st.one_of(st.just(0.0), UNIT), "centered": st.booleans()})),
    "Adam": (Adam, torch.optim.Adam, st.fixed_dictionaries(
        {"lr": RATE, "betas": st.tuples(BETA, BETA), "eps": EPSILON, "weight_decay": DECAY, "amsgrad": st.booleans()})),
    "AdamW": (AdamW, torch.optim.AdamW, st.fixed_dictionaries(
        {"lr": RATE, "betas": st.tuples(BETA, BETA), "eps": EPSILON, "weight_decay": DECAY, "amsgrad": st.booleans()})),
}


def assert_follows_torch(data, name, parameter_shapes):
    ours_class, torch_class, settings = SETTINGS[name]
    keywords = data.draw(settings, label="hyperparameters")
    params = [data.draw(arrays(shape), label="parameter") for shape in parameter_shapes]
    tensors = [torch.tensor(p.copy()) for p in params]
    ours, theirs = ours_class(params, **keywords), torch_class(tensors, **keywords)
    steps = data.draw(st.integers(1, 4), label="steps")
    lr_change = data.draw(st.tuples(st.integers(0, steps), st.floats(0.0, 2.0)), label="(step, lr factor)")
    for step in range(steps):
        if step == lr_change[0]:  # what a scheduler does between steps
            ours.lr *= lr_change[1]
            theirs.param_groups[0]["lr"] *= lr_change[1]
        grads = [data.draw(arrays(shape, 10.0), label="gradient") for shape in parameter_shapes]
        ours.step([g.copy() for g in grads])
        for tensor, grad in zip(tensors, grads):
            tensor.grad = torch.from_numpy(grad)
        theirs.step()
        for index, (p, t) in enumerate(zip(params, tensors)):
            assert_matches(p, t, what=f"{name}: parameter {index} after step {step + 1}")


@given(data=st.data(), name=st.sampled_from(sorted(SETTINGS)))
def test_optimizer_follows_torch_step_after_step(data, name):
    parameter_shapes = data.draw(st.lists(shapes(min_dims=1, max_dims=2), min_size=1, max_size=3), label="shapes")
    assert_follows_torch(data, name, parameter_shapes)


@pytest.mark.parametrize("name", sorted(SETTINGS))  # SGD once kept a 0-d momentum buffer as a NumPy scalar
@given(data=st.data())
def test_optimizer_follows_torch_on_zero_dimensional_parameters(name, data):
    assert_follows_torch(data, name, [()])
