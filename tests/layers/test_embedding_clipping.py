import numpy as np
import pytest
import torch

from course.gradcheck import numerical_gradient, rel_error
from course.layers.clipping import clip_grad_norm
from course.layers.embedding import embedding_backward, embedding_forward
from tests.torch_oracle import assert_close, tensor


@pytest.mark.parametrize("trial", range(3))
def test_embedding_matches_torch_with_repeated_tokens(rng, trial):
    vocabulary, dim = int(rng.integers(2, 6)), int(rng.integers(1, 5))
    x = rng.integers(0, vocabulary, size=(3, 7))  # 21 ids from at most 5 tokens: repeats are certain
    W = rng.normal(size=(vocabulary, dim))
    out, cache = embedding_forward(x, W)
    dout = rng.normal(size=out.shape)
    dW = embedding_backward(dout, cache)

    embedding = torch.nn.Embedding(vocabulary, dim, dtype=torch.float64)
    with torch.no_grad():
        embedding.weight.copy_(torch.from_numpy(W))
    tout = embedding(torch.from_numpy(x))
    assert_close(out, tout, what="out")
    (tdW,) = torch.autograd.grad(tout, [embedding.weight], grad_outputs=tensor(dout, grad=False))
    assert_close(dW, tdW, what="dW")


def test_embedding_backward_sums_repeats_and_matches_numeric_gradient():
    rng = np.random.default_rng(0)
    x = np.array([[1, 1, 3], [0, 1, 3]])
    W = rng.normal(size=(5, 2))
    dout = rng.normal(size=(2, 3, 2))
    dW = embedding_backward(dout, embedding_forward(x, W)[1])
    assert np.allclose(dW[1], dout[0, 0] + dout[0, 1] + dout[1, 1])
    assert np.all(dW[[2, 4]] == 0)  # tokens that never occur get no gradient
    assert rel_error(dW, numerical_gradient(lambda v: embedding_forward(x, v)[0], W, dout)) < 1e-8


def test_embedding_rejects_bad_indices_in_one_sentence():
    with pytest.raises(ValueError, match=r"token ids must lie in 0..3 \(W has 4 rows\), got 0..4"):
        embedding_forward(np.array([0, 4]), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="must hold integer token ids, got dtype float64"):
        embedding_forward(np.array([0.0, 1.0]), np.zeros((4, 2)))


@pytest.mark.parametrize("max_norm, norm_type", [(0.5, 2.0), (100.0, 2.0), (0.3, 1.0), (0.2, np.inf), (1.0, 3.0)])
def test_clip_grad_norm_matches_torch(rng, max_norm, norm_type):
    shapes = [(3, 4), (4,), (2, 2, 2)]
    grads = [rng.normal(size=shape) for shape in shapes]
    parameters = [torch.nn.Parameter(torch.zeros(shape, dtype=torch.float64)) for shape in shapes]
    for parameter, grad in zip(parameters, grads):
        parameter.grad = torch.from_numpy(grad.copy())

    total = clip_grad_norm(grads, max_norm, norm_type=norm_type)
    torch_total = torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type=norm_type)

    assert isinstance(total, float)
    assert abs(total - torch_total.item()) <= 1e-12 * torch_total.item()
    for ours, parameter in zip(grads, parameters):
        assert_close(ours, parameter.grad, tol=1e-12, what="clipped gradient")


def test_clip_grad_norm_keeps_the_direction_and_works_on_a_dict():
    grads = {"W": np.array([[3.0, 0.0]]), "b": np.array([4.0])}  # joint norm 5
    total = clip_grad_norm(grads, 1.0)
    assert total == 5.0
    scale = 1.0 / (5.0 + 1e-6)  # the same tiny constant as torch
    assert np.allclose(grads["W"], [[3.0 * scale, 0.0]], rtol=0, atol=1e-15)
    assert np.allclose(grads["b"], [4.0 * scale], rtol=0, atol=1e-15)
    small = [np.array([0.1, -0.2])]
    clip_grad_norm(small, 1.0)
    assert np.array_equal(small[0], [0.1, -0.2])  # below the threshold nothing changes


def test_clip_grad_norm_rejects_what_it_cannot_scale_in_place():
    with pytest.raises(ValueError, match=r"grads\[1\] must be a floating-point NumPy array \(it is scaled in place\)"):
        clip_grad_norm([np.zeros(2), [1.0, 2.0]], 1.0)
    with pytest.raises(ValueError, match="got ndarray of dtype int64"):
        clip_grad_norm({"W": np.arange(3)}, 1.0)
    with pytest.raises(ValueError, match="max_norm must be a non-negative number, got -1"):
        clip_grad_norm([np.zeros(2)], -1.0)


@pytest.mark.parametrize("max_norm, norm_type, message", [
    (None, 2.0, r"max_norm must be a non-negative number, got None"),
    ("1.0", 2.0, r"max_norm must be a non-negative number, got '1.0'"),
    (np.nan, 2.0, r"max_norm must be a non-negative number, got nan"),
    (1.0, "2", r"norm_type must be a number p >= 1 or np.inf, got '2'"),
    (1.0, 0.5, r"norm_type must be a number p >= 1 or np.inf, got 0.5"),
])
def test_clip_grad_norm_explains_bad_settings_in_one_sentence(max_norm, norm_type, message):
    with pytest.raises(ValueError, match=r"^clip_grad_norm: " + message):
        clip_grad_norm([np.ones(3)], max_norm, norm_type=norm_type)


def test_clip_grad_norm_with_an_infinite_max_norm_only_measures_as_torch():
    grads = [np.array([3.0, 4.0])]
    parameter = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    parameter.grad = torch.tensor([3.0, 4.0], dtype=torch.float64)
    assert clip_grad_norm(grads, np.inf) == 5.0 == torch.nn.utils.clip_grad_norm_([parameter], np.inf).item()
    np.testing.assert_array_equal(grads[0], parameter.grad.numpy())  # nothing scaled
