"""Modules and Sequential against torch.nn in float64, with the weights copied across."""
import numpy as np
import pytest
import torch

from course import init, layers, optim
from course.layers.dropout import dropout_forward
from course.nn import (MSE, Dropout, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, SoftmaxCrossEntropy, Tanh)
from tests.torch_oracle import assert_close


def twin_models(seed=0):
    """The same network twice: ours (weights (in, out)) and torch's (weights (out, in))."""
    ours = Sequential(Linear(4, 6, seed=seed), ReLU(), Linear(6, 5, seed=seed + 1), Tanh(),
                      Linear(5, 5, seed=seed + 2), LeakyReLU(0.1), Dropout(0.5, seed=seed),
                      Linear(5, 4, seed=seed + 3), Sigmoid(), Linear(4, 3, seed=seed + 4))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 5), torch.nn.Tanh(),
                                 torch.nn.Linear(5, 5), torch.nn.LeakyReLU(0.1), torch.nn.Dropout(0.5),
                                 torch.nn.Linear(5, 4), torch.nn.Sigmoid(), torch.nn.Linear(4, 3)).double()
    with torch.no_grad():
        for mine, its in zip(ours, theirs):
            if isinstance(mine, Linear):
                its.weight.copy_(torch.from_numpy(mine.weight.T))
                its.bias.copy_(torch.from_numpy(mine.bias))
    return ours, theirs


def torch_gradients(theirs):
    grads = []
    for module in theirs:
        if isinstance(module, torch.nn.Linear):
            grads += [module.weight.grad.T.numpy(), module.bias.grad.numpy()]
    return grads


@pytest.mark.parametrize("seed", range(3))
def test_forward_and_backward_match_torch_nn_sequential(seed):
    rng = np.random.default_rng(seed)
    ours, theirs = twin_models(seed)
    ours.eval(), theirs.eval()  # dropout off on both sides
    x = rng.normal(size=(7, 4))
    y = rng.integers(0, 3, size=7)
    loss = SoftmaxCrossEntropy()
    value = loss(ours.forward(x), y)
    dx = ours.backward(loss.backward())

    tx = torch.tensor(x, requires_grad=True)
    scores = theirs(tx)
    torch_loss = torch.nn.functional.cross_entropy(scores, torch.from_numpy(y))
    torch_loss.backward()
    assert_close(ours.forward(x), scores, what="scores")
    assert abs(value - torch_loss.item()) < 1e-12
    assert_close(dx, tx.grad, what="dx")
    for index, (mine, its) in enumerate(zip(ours.gradients(), torch_gradients(theirs))):
        assert_close(mine, its, what=f"gradient {index}")


def test_adam_steps_on_sequential_match_torch_training():
    rng = np.random.default_rng(5)
    ours, theirs = twin_models(5)
    ours.eval(), theirs.eval()
    ours_optimizer = optim.Adam(ours.parameters(), lr=0.01, weight_decay=0.01)
    theirs_optimizer = torch.optim.Adam(theirs.parameters(), lr=0.01, weight_decay=0.01)
    x, y = rng.normal(size=(16, 4)), rng.integers(0, 3, size=16)
    loss = SoftmaxCrossEntropy(label_smoothing=0.1)
    for _ in range(5):
        loss(ours.forward(x), y)
        ours.backward(loss.backward())
        ours_optimizer.step(ours.gradients())
        theirs_optimizer.zero_grad()
        torch.nn.functional.cross_entropy(theirs(torch.from_numpy(x)), torch.from_numpy(y),
                                          label_smoothing=0.1).backward()
        theirs_optimizer.step()
    assert_close(ours.forward(x), theirs(torch.from_numpy(x)), tol=1e-9, what="scores after 5 Adam steps")


def test_mse_matches_torch():
    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    tpred = torch.tensor(pred, requires_grad=True)
    torch_loss = torch.nn.functional.mse_loss(tpred, torch.from_numpy(target))
    torch_loss.backward()
    loss = MSE()
    assert abs(loss(pred, target) - torch_loss.item()) < 1e-12
    assert_close(loss.backward(), tpred.grad, what="dpred")


def test_dropout_module_uses_the_layer_and_is_the_identity_in_eval_mode():
    x = np.ones((200, 50))
    dropout = Dropout(0.3, seed=4)
    out = dropout(x)
    expected, _ = dropout_forward(x, 0.3, "train", seed=np.random.default_rng(4))
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(dropout.backward(np.ones_like(x)), out)  # same mask, same 1 / (1 - p)
    assert not np.array_equal(dropout(x), out)  # a fresh mask each call
    np.testing.assert_array_equal(dropout.eval()(x), x)


def test_linear_default_init_is_torchs_and_weight_init_is_pluggable():
    layer = Linear(400, 300, seed=0)
    bound = 1 / np.sqrt(400)  # torch.nn.Linear: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias
    assert layer.weight.shape == (400, 300) and np.abs(layer.weight).max() <= bound
    assert abs(layer.weight.std() / (bound / np.sqrt(3)) - 1) < 0.02
    assert np.abs(layer.bias).max() <= bound and layer.bias.std() > 0
    he = Linear(400, 300, weight_init=init.kaiming_normal, seed=0)
    assert abs(he.weight.std() / np.sqrt(2 / 400) - 1) < 0.02 and not he.bias.any()
    np.testing.assert_array_equal(Linear(3, 2, seed=1).weight, Linear(3, 2, seed=1).weight)


def test_optimizer_updates_reach_the_model_in_place():
    model = Sequential(Linear(3, 2, seed=0), ReLU(), Linear(2, 1, bias=False, seed=1))
    assert [p.shape for p in model.parameters()] == [(3, 2), (2,), (2, 1)]
    x = np.ones((4, 3))
    before = model(x).copy()
    loss = MSE()
    loss(model.forward(x), np.zeros((4, 1)))
    model.backward(loss.backward())
    optim.SGD(model.parameters(), lr=0.1).step(model.gradients())
    assert not np.allclose(model(x), before)
    np.testing.assert_array_equal(model[0].weight, model.parameters()[0])


def test_backward_uses_course_layers_gradients():
    rng = np.random.default_rng(2)
    layer = Linear(5, 3, seed=0)
    x, dout = rng.normal(size=(4, 5)), rng.normal(size=(4, 3))
    layer.forward(x)
    dx = layer.backward(dout)
    expected = layers.affine_backward(dout, layers.affine_forward(x, layer.weight, layer.bias)[1])
    for ours, theirs in zip((dx, layer.grad_weight, layer.grad_bias), expected):
        np.testing.assert_array_equal(ours, theirs)


def test_train_and_eval_reach_every_module():
    model = Sequential(Linear(2, 2), Dropout(0.5), ReLU())
    model.eval()
    assert not any(module.training for module in model) and not model.training
    model.train()
    assert all(module.training for module in model)
    assert "Linear(in_features=2, out_features=2, bias=True)" in repr(model) and len(model) == 3


def test_misuse_is_explained_in_one_sentence():
    with pytest.raises(RuntimeError, match="ReLU.backward was called before forward"):
        ReLU().backward(np.ones(3))
    with pytest.raises(RuntimeError, match="SoftmaxCrossEntropy.backward was called before the loss"):
        SoftmaxCrossEntropy().backward()
    with pytest.raises(TypeError, match="Sequential: argument 1 is a function, not a module"):
        Sequential(Linear(2, 2), lambda x: x)
    with pytest.raises(ValueError, match=r"Dropout: p is the probability of dropping a unit .* got 1.5"):
        Dropout(1.5)
    with pytest.raises(ValueError, match="affine_forward: each example of x has 3 values"):
        Linear(2, 2).forward(np.ones((4, 3)))
