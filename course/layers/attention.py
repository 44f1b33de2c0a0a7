"""Scaled dot-product attention, its masks, and the sinusoidal positional encoding.

``out = softmax(q @ k.T / sqrt(d) + mask) @ v``: each query takes a weighted average of the
values, weighted by how well it matches each key. Dividing by ``sqrt(d)`` keeps the scores of
order one whatever the width ``d``, so that the softmax does not saturate.

Masks follow ``torch.nn.functional.scaled_dot_product_attention``'s boolean ``attn_mask``:
**True means "may attend"**. A query whose row is masked entirely has nothing to average; here,
as in torch's function, its weights are all zero, so its output is zero and so are its
gradients (never NaN). Note that ``torch.nn.MultiheadAttention`` uses the opposite convention
(True = blocked); see ``multihead_attention.py``.
"""
import numpy as np

from .validation import as_array, integer_argument


def masked_softmax(scores, mask=None):
    """Softmax over the last axis, with entries where ``mask`` is False left out (weight 0).

    A row with no allowed entry gets weights 0 everywhere instead of 0/0 = NaN; so does a row of
    no entries at all (no keys), which leaves an empty array of weights.
    """
    if scores.shape[-1] == 0:
        return np.zeros(scores.shape)
    if mask is None:
        shifted = scores - scores.max(axis=-1, keepdims=True)
        exps = np.exp(shifted)
        return exps / exps.sum(axis=-1, keepdims=True)
    allowed_max = np.where(mask, scores, -np.inf).max(axis=-1, keepdims=True)
    allowed_max = np.where(np.isfinite(allowed_max), allowed_max, 0.0)
    exps = np.where(mask, np.exp(np.minimum(scores - allowed_max, 0.0)), 0.0)
    totals = exps.sum(axis=-1, keepdims=True)
    return exps / np.where(totals > 0, totals, 1.0)


def softmax_backward(dweights, weights):
    """Gradient through ``weights = softmax(scores)`` along the last axis:
    ``dscores = weights * (dweights - sum(dweights * weights))``. Left-out entries (weight 0)
    get gradient 0."""
    return weights * (dweights - np.sum(dweights * weights, axis=-1, keepdims=True))


def check_mask(mask, score_shape, layer):
    """``mask`` as a boolean array that broadcasts to ``score_shape``; a clear error otherwise."""
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise ValueError(f"{layer}: mask must be boolean (True = may attend), got dtype {mask.dtype}.")
    try:
        np.broadcast_shapes(mask.shape, score_shape)
    except ValueError:
        raise ValueError(
            f"{layer}: mask of shape {mask.shape} does not broadcast to the scores' shape {score_shape} (..., Lq, Lk)."
        ) from None
    return mask


def scaled_dot_product_attention(q, k, v, mask=None):
    """``softmax(q @ k^T / sqrt(d), restricted to mask) @ v``.

    ``q`` (..., Lq, d), ``k`` (..., Lk, d), ``v`` (..., Lk, dv) with the same leading (batch,
    head) axes; ``mask`` boolean, broadcastable to (..., Lq, Lk), True = may attend. Returns
    ``(out, cache)`` with ``out`` (..., Lq, dv). torch twin:
    ``torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)``.
    """
    layer = "scaled_dot_product_attention"
    q = as_array(q, "q", layer, min_ndim=2)
    k = as_array(k, "k", layer, min_ndim=2)
    v = as_array(v, "v", layer, min_ndim=2)
    if q.shape[:-2] != k.shape[:-2] or k.shape[:-2] != v.shape[:-2]:
        raise ValueError(
            f"{layer}: q, k and v must share their leading (batch) axes, got shapes {q.shape}, {k.shape} and {v.shape}."
        )
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"{layer}: q and k must have the same last axis d, got shapes {q.shape} and {k.shape}.")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"{layer}: k and v must have one row per key (same Lk), got shapes {k.shape} and {v.shape}.")
    scale = 1.0 / np.sqrt(q.shape[-1])
    scores = (q @ np.swapaxes(k, -1, -2)) * scale
    if mask is not None:
        mask = check_mask(mask, scores.shape, layer)
    weights = masked_softmax(scores, mask)
    return weights @ v, (q, k, v, weights, scale)


def scaled_dot_product_attention_backward(dout, cache):
    """Gradients ``(dq, dk, dv)``. With ``weights = softmax(scores)``:
    ``dv = weights^T @ dout``, ``dweights = dout @ v^T``, ``dscores`` by the softmax backward
    (which keeps the sum term), then ``dq = dscores @ k / sqrt(d)``, ``dk = dscores^T @ q / sqrt(d)``.
    Masked pairs have weight 0 and so receive no gradient."""
    q, k, v, weights, scale = cache
    dout = as_array(dout, "dout", "scaled_dot_product_attention_backward")
    expected = weights.shape[:-1] + (v.shape[-1],)
    if dout.shape != expected:
        raise ValueError(
            f"scaled_dot_product_attention_backward: dout has shape {dout.shape} but the output had shape {expected}."
        )
    dv = np.swapaxes(weights, -1, -2) @ dout
    dscores = softmax_backward(dout @ np.swapaxes(v, -1, -2), weights) * scale
    dq = dscores @ k
    dk = np.swapaxes(dscores, -1, -2) @ q
    return dq, dk, dv


def causal_mask(length):
    """Boolean (length, length) mask, True on and below the diagonal: position t may attend to
    positions 0..t only. Same as ``torch.ones(L, L, dtype=torch.bool).tril()``, the mask that
    ``scaled_dot_product_attention(..., is_causal=True)`` uses."""
    length = integer_argument(length, "length", "causal_mask", minimum=0, integral_floats=True)
    return np.tril(np.ones((length, length), dtype=bool))


def positional_encoding(length, d_model):
    """The sinusoidal encoding of Vaswani et al. (2017), shape (length, d_model):
    ``PE[pos, 2i] = sin(pos / 10000**(2i / d_model))``, ``PE[pos, 2i+1] = cos(same angle)``.

    Column ``j`` uses the frequency of the pair it belongs to, ``2 * (j // 2) / d_model``; with
    an odd ``d_model`` the last column is a sine without its cosine partner.
    """
    length = integer_argument(length, "length", "positional_encoding", minimum=0, integral_floats=True)
    d_model = integer_argument(d_model, "d_model", "positional_encoding", minimum=0, integral_floats=True)
    positions = np.arange(length, dtype=np.float64)[:, None]
    columns = np.arange(d_model)
    angles = positions / 10000.0 ** (2 * (columns // 2) / d_model)
    return np.where(columns % 2 == 0, np.sin(angles), np.cos(angles))
