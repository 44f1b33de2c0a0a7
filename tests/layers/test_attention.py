import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course.layers.attention import (
    causal_mask,
    positional_encoding,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
)
from tests.torch_oracle import assert_close, assert_gradients_match_numeric, tensor, torch_grads


def random_attention_inputs(rng, batch_shape):
    lq, lk, d, dv = (int(s) for s in rng.integers(1, 6, size=4))
    q = rng.normal(size=(*batch_shape, lq, d))
    k = rng.normal(size=(*batch_shape, lk, d))
    v = rng.normal(size=(*batch_shape, lk, dv))
    return q, k, v


def compare_with_torch(q, k, v, mask, dout):
    out, cache = scaled_dot_product_attention(q, k, v, mask=mask)
    grads = scaled_dot_product_attention_backward(dout, cache)
    tq, tk, tv = tensor(q), tensor(k), tensor(v)
    tout = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=None if mask is None else torch.from_numpy(mask))
    assert_close(out, tout, what="out")
    for ours, theirs, name in zip(grads, torch_grads(tout, dout, tq, tk, tv), ("dq", "dk", "dv")):
        assert_close(ours, theirs, what=name)
    return out, grads


@pytest.mark.parametrize("batch_shape", [(), (3,), (2, 3)])
def test_attention_matches_torch_without_mask(rng, batch_shape):
    q, k, v = random_attention_inputs(rng, batch_shape)
    compare_with_torch(q, k, v, None, rng.normal(size=q.shape[:-1] + v.shape[-1:]))


@pytest.mark.parametrize("trial", range(4))
def test_attention_matches_torch_with_a_broadcast_mask(rng, trial):
    q, k, v = random_attention_inputs(rng, (2, 3))
    lq, lk = q.shape[-2], k.shape[-2]
    mask_shape = [(lq, lk), (2, 1, lq, lk), (1, 3, 1, lk), (2, 3, lq, lk)][trial]
    mask = rng.random(mask_shape) < 0.7
    mask[..., 0] = True  # every query may attend to something (a fully masked row is tested below)
    compare_with_torch(q, k, v, mask, rng.normal(size=q.shape[:-1] + v.shape[-1:]))


def test_a_fully_masked_query_gives_zeros_not_nan_as_torch(rng):
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 2))
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False
    out, (dq, dk, dv) = compare_with_torch(q, k, v, mask, rng.normal(size=(2, 3, 2)))
    assert np.all(out[:, 1] == 0) and np.all(dq[:, 1] == 0)
    assert np.all(np.isfinite(dk)) and np.all(np.isfinite(dv))


def test_causal_mask_is_torchs_is_causal(rng):
    q, k, v = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 4))
    out, _ = scaled_dot_product_attention(q, k, v, mask=causal_mask(5))
    assert_close(out, F.scaled_dot_product_attention(tensor(q), tensor(k), tensor(v), is_causal=True), what="out")
    assert causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    # the first query can only see the first key, so its output is the first value
    assert np.allclose(out[:, 0], v[:, 0])


def test_attention_matches_numeric_gradient_with_mask():
    rng = np.random.default_rng(1)  # fixed: numeric gradients are judged elementwise
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 3))
    mask = rng.random((2, 3, 5)) < 0.6
    mask[..., 2] = True
    dout = rng.normal(size=(2, 3, 3))
    grads = scaled_dot_product_attention_backward(dout, scaled_dot_product_attention(q, k, v, mask)[1])
    assert_gradients_match_numeric(scaled_dot_product_attention, [q, k, v], grads, dout, tol=1e-6, mask=mask)


def test_attention_is_stable_for_large_scores():
    q = np.full((1, 2, 2), 1000.0)
    k = np.array([[[1000.0, 1000.0], [-1000.0, -1000.0]]])
    out, _ = scaled_dot_product_attention(q, k, np.array([[[1.0], [2.0]]]))
    assert np.allclose(out, 1.0)


@pytest.mark.parametrize("length, d_model", [(7, 8), (5, 7), (1, 1), (50, 16)])
def test_positional_encoding_matches_the_formula_computed_in_torch(length, d_model):
    pe = positional_encoding(length, d_model)
    position = torch.arange(length, dtype=torch.float64)[:, None]
    pair = torch.arange(0, d_model, 2, dtype=torch.float64)  # 2i
    angle = position / 10000.0 ** (pair / d_model)
    expected = torch.zeros(length, d_model, dtype=torch.float64)
    expected[:, 0::2] = torch.sin(angle)
    expected[:, 1::2] = torch.cos(angle[:, : d_model // 2])
    assert pe.shape == (length, d_model)
    assert_close(pe, expected, tol=1e-12, what="positional encoding")


def test_positional_encoding_starts_with_sin_zero_and_cos_one():
    pe = positional_encoding(4, 6)
    assert np.allclose(pe[0, 0::2], 0.0) and np.allclose(pe[0, 1::2], 1.0)
    assert np.isclose(pe[1, 0], np.sin(1.0)) and np.isclose(pe[1, 1], np.cos(1.0))


def test_attention_rejects_bad_input_in_one_sentence():
    q, k, v = np.zeros((2, 3, 4)), np.zeros((2, 5, 4)), np.zeros((2, 5, 6))
    with pytest.raises(ValueError, match=r"q and k must have the same last axis d"):
        scaled_dot_product_attention(q, np.zeros((2, 5, 3)), v)
    with pytest.raises(ValueError, match=r"k and v must have one row per key"):
        scaled_dot_product_attention(q, k, np.zeros((2, 4, 6)))
    with pytest.raises(ValueError, match=r"mask must be boolean \(True = may attend\)"):
        scaled_dot_product_attention(q, k, v, mask=np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"mask of shape \(5, 3\) does not broadcast"):
        scaled_dot_product_attention(q, k, v, mask=np.ones((5, 3), dtype=bool))
    with pytest.raises(ValueError, match="d_model must be a non-negative integer"):
        positional_encoding(4, 2.5)


def test_attention_over_no_keys_gives_zeros_as_in_torch(rng):
    q, k, v = rng.normal(size=(2, 3, 4)), np.zeros((2, 0, 4)), np.zeros((2, 0, 5))
    out, cache = scaled_dot_product_attention(q, k, v)  # used to crash: max of an empty axis
    tq, tk, tv = tensor(q), tensor(k), tensor(v)
    tout = F.scaled_dot_product_attention(tq, tk, tv)
    assert_close(out, tout, what="out")
    dout = rng.normal(size=out.shape)
    for ours, theirs, name in zip(scaled_dot_product_attention_backward(dout, cache), torch_grads(tout, dout, tq, tk, tv),
                                  ("dq", "dk", "dv")):
        assert_close(ours, theirs, what=name)


@pytest.mark.parametrize("function, arguments, message", [
    (causal_mask, ("4",), r"causal_mask: length must be a non-negative integer, got '4'\."),
    (causal_mask, (None,), r"causal_mask: length must be a non-negative integer, got None\."),
    (positional_encoding, ("8", 4), r"positional_encoding: length must be a non-negative integer, got '8'\."),
    (positional_encoding, (8, float("nan")), r"positional_encoding: d_model must be a non-negative integer, got nan\."),
])
def test_sizes_that_are_not_whole_numbers_are_refused_in_one_sentence(function, arguments, message):
    with pytest.raises(ValueError, match=message):
        function(*arguments)


def test_whole_numbers_written_as_floats_are_still_accepted():
    np.testing.assert_array_equal(causal_mask(3.0), causal_mask(3))
    np.testing.assert_array_equal(positional_encoding(4.0, 6.0), positional_encoding(4, 6))
