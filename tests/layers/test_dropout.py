import numpy as np
import pytest
import torch

from course.gradcheck import numerical_gradient, rel_error
from course.layers.dropout import dropout_backward, dropout_forward
from tests.torch_oracle import assert_close, tensor, torch_grads


def standard_errors(p, count):
    return np.sqrt(p * (1 - p) / count)


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.8])
def test_dropout_drops_a_fraction_p_and_preserves_the_mean(p):
    x = np.full((400, 500), 2.0)
    out, _ = dropout_forward(x, p, "train", seed=1)
    dropped = np.mean(out == 0.0)
    assert abs(dropped - p) < 5 * standard_errors(p, x.size), f"dropped {dropped:.4f}, expected about {p}"
    kept_values = np.unique(out[out != 0.0])
    np.testing.assert_allclose(kept_values, [2.0 / (1.0 - p)])  # inverted: kept units scaled by 1/(1-p)
    assert abs(out.mean() - 2.0) < 5 * 2.0 / (1 - p) * standard_errors(p, x.size)


def torch_dropout(x, p, seed):
    with torch.random.fork_rng():  # leave torch's global generator as it was
        torch.manual_seed(seed)
        return torch.nn.functional.dropout(tensor(x, grad=False), p, training=True).numpy()


def test_dropout_agrees_with_torch_dropout_in_distribution():
    """The masks differ (two random generators), but the kept value and the dropped fraction agree."""
    p, shape = 0.35, (300, 400)
    ours = dropout_forward(np.ones(shape), p, "train", seed=3)[0]
    theirs = torch_dropout(np.ones(shape), p, seed=3)
    np.testing.assert_allclose(np.unique(ours[ours != 0]), np.unique(theirs[theirs != 0]), rtol=1e-12)
    assert abs(np.mean(ours == 0) - np.mean(theirs == 0)) < 7 * standard_errors(p, np.prod(shape))


def test_dropout_backward_uses_the_forward_mask_and_matches_torch_autograd(rng):
    x = rng.normal(size=(4, 3, 5))
    dout = rng.normal(size=x.shape)
    p = 0.4
    out, cache = dropout_forward(x, p, "train", seed=7)
    dx = dropout_backward(dout, cache)
    mask = out != 0.0
    assert np.all((dx != 0.0) == mask)
    # the same computation in torch, with our mask: out = x * mask / (1 - p)
    tx = tensor(x)
    tout = tx * torch.from_numpy(mask) / (1 - p)
    assert_close(out, tout, what="out")
    assert_close(dx, torch_grads(tout, dout, tx)[0], what="dx")


def test_dropout_backward_matches_numeric_gradient_for_a_fixed_seed():
    rng = np.random.default_rng(5)  # fixed: the elementwise relative error of central differences grows near dout = 0
    x, dout = rng.normal(size=(5, 6)), rng.normal(size=(5, 6))
    _, cache = dropout_forward(x, 0.5, "train", seed=11)
    expected = numerical_gradient(lambda v: dropout_forward(v, 0.5, "train", seed=11)[0], x, dout)
    assert rel_error(dropout_backward(dout, cache), expected) < 1e-6


def test_dropout_is_the_identity_in_test_mode_forward_and_backward(rng):
    x, dout = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    out, cache = dropout_forward(x, 0.7, "test", seed=0)
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(dropout_backward(dout, cache), dout)
    torch_out = torch.nn.functional.dropout(tensor(x, grad=False), 0.7, training=False)
    assert_close(out, torch_out, what="test-mode out")


def test_dropout_seed_makes_the_mask_reproducible(rng):
    x = rng.normal(size=(20, 30))
    first, _ = dropout_forward(x, 0.5, "train", seed=42)
    again, _ = dropout_forward(x, 0.5, "train", seed=42)
    other, _ = dropout_forward(x, 0.5, "train", seed=43)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_dropout_edge_cases_p_zero_keeps_everything_and_p_one_drops_everything(rng):
    x, dout = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    out, cache = dropout_forward(x, 0.0, "train", seed=0)
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(dropout_backward(dout, cache), dout)
    with np.errstate(all="raise"):  # no division by zero for p = 1
        out, cache = dropout_forward(x, 1.0, "train", seed=0)
        dx = dropout_backward(dout, cache)
    np.testing.assert_array_equal(out, np.zeros_like(x))
    np.testing.assert_array_equal(dx, np.zeros_like(x))
    np.testing.assert_array_equal(out, torch_dropout(x, 1.0, seed=0))


def test_dropout_rejects_bad_arguments_in_one_sentence():
    with pytest.raises(ValueError, match=r"must be a number in \[0, 1\], got 1.5"):
        dropout_forward(np.ones(3), 1.5, "train")
    with pytest.raises(ValueError, match=r"must be a number in \[0, 1\], got -0.1"):
        dropout_forward(np.ones(3), -0.1, "train")
    with pytest.raises(ValueError, match=r"got '0.5'"):
        dropout_forward(np.ones(3), "0.5", "train")
    with pytest.raises(ValueError, match="mode must be 'train' or 'test', got 'eval'"):
        dropout_forward(np.ones(3), 0.5, "eval")
    _, cache = dropout_forward(np.ones((2, 3)), 0.5, "train", seed=0)
    with pytest.raises(ValueError, match=r"dout has shape \(3, 2\)"):
        dropout_backward(np.ones((3, 2)), cache)


@pytest.mark.parametrize("seed", ["0", -1, 1.5, True])
def test_dropout_explains_a_bad_seed_in_one_sentence(seed):
    with pytest.raises(ValueError, match=r"dropout_forward: seed must be None \(a fresh mask each call\), "
                                         r"a non-negative integer or a np.random.Generator, got "):
        dropout_forward(np.ones(3), 0.5, "train", seed=seed)


def test_dropout_accepts_a_generator_as_its_seed():
    first = dropout_forward(np.ones(50), 0.5, "train", seed=np.random.default_rng(3))[0]
    np.testing.assert_array_equal(first, dropout_forward(np.ones(50), 0.5, "train", seed=3)[0])
