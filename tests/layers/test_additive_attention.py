import numpy as np
import pytest
import torch

from course.layers.additive_attention import additive_attention_backward, additive_attention_forward
from tests.torch_oracle import assert_close, assert_gradients_match_numeric, tensor, torch_grads


def torch_additive_attention(queries, keys, values, Wq, Wk, w_v, mask=None):
    """Bahdanau attention written directly in torch, as d2l.ai's AdditiveAttention."""
    features = torch.tanh((queries @ Wq).unsqueeze(2) + (keys @ Wk).unsqueeze(1))
    scores = features @ w_v
    if mask is not None:
        scores = scores.masked_fill(~torch.from_numpy(mask), float("-inf"))
    return torch.softmax(scores, dim=-1) @ values


def random_inputs(rng):
    n, lq, lk, dq, dk, dv, hidden = (int(s) for s in rng.integers(1, 5, size=7))
    return [rng.normal(size=(n, lq, dq)), rng.normal(size=(n, lk, dk)), rng.normal(size=(n, lk, dv)),
            rng.normal(size=(dq, hidden)), rng.normal(size=(dk, hidden)), rng.normal(size=hidden)]


@pytest.mark.parametrize("with_mask", [False, True])
@pytest.mark.parametrize("trial", range(3))
def test_additive_attention_matches_torch(rng, trial, with_mask):
    arguments = random_inputs(rng)
    n, lk = arguments[0].shape[0], arguments[1].shape[1]
    mask = None
    if with_mask:
        mask = rng.random((n, 1, lk)) < 0.6  # padding of the keys, shared by every query
        mask[..., 0] = True
    context, cache = additive_attention_forward(*arguments, mask=mask)
    dcontext = rng.normal(size=context.shape)
    grads = additive_attention_backward(dcontext, cache)

    tensors = [tensor(a) for a in arguments]
    tcontext = torch_additive_attention(*tensors, mask=mask)
    assert_close(context, tcontext, what="context")
    names = ("dqueries", "dkeys", "dvalues", "dWq", "dWk", "dw_v")
    for ours, theirs, name in zip(grads, torch_grads(tcontext, dcontext, *tensors), names):
        assert_close(ours, theirs, what=name)


def test_additive_attention_matches_numeric_gradient():
    rng = np.random.default_rng(3)  # fixed: numeric gradients are judged elementwise
    arguments = [rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 2)),
                 rng.normal(size=(2, 5)), rng.normal(size=(3, 5)), rng.normal(size=5)]
    mask = np.array([True, True, False, True])
    context, cache = additive_attention_forward(*arguments, mask=mask)
    dcontext = rng.normal(size=context.shape)
    grads = additive_attention_backward(dcontext, cache)
    assert_gradients_match_numeric(additive_attention_forward, arguments, grads, dcontext, tol=1e-6, mask=mask)


def test_context_is_a_weighted_average_of_the_values(rng):
    arguments = random_inputs(rng)
    values = arguments[2]
    context, _ = additive_attention_forward(*arguments)
    assert context.shape == (arguments[0].shape[0], arguments[0].shape[1], values.shape[2])
    assert np.all(context <= values.max(axis=1, keepdims=True) + 1e-12)
    assert np.all(context >= values.min(axis=1, keepdims=True) - 1e-12)


def test_additive_attention_rejects_bad_input_in_one_sentence(rng):
    queries, keys, values = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 6)), rng.normal(size=(2, 5, 2))
    Wq, Wk, w_v = rng.normal(size=(4, 7)), rng.normal(size=(6, 7)), rng.normal(size=7)
    with pytest.raises(ValueError, match=r"Wk must have shape \(6, 7\)"):
        additive_attention_forward(queries, keys, values, Wq, Wk[:, :3], w_v)
    with pytest.raises(ValueError, match="must agree on N and Lk"):
        additive_attention_forward(queries, keys, values[:, :4], Wq, Wk, w_v)
    with pytest.raises(ValueError, match="does not broadcast"):
        additive_attention_forward(queries, keys, values, Wq, Wk, w_v, mask=np.ones((3, 4), dtype=bool))
