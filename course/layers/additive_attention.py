"""Additive (Bahdanau) attention: a small MLP scores each query against each key.

    score[n, i, j] = w_v . tanh(queries[n, i] @ Wq + keys[n, j] @ Wk)
    weights[n, i]  = softmax over j of score[n, i]          (keys where mask is False left out)
    context[n, i]  = sum_j weights[n, i, j] * values[n, j]

Shapes: ``queries`` (N, Lq, Dq), ``keys`` (N, Lk, Dk), ``values`` (N, Lk, Dv); ``Wq`` (Dq, A),
``Wk`` (Dk, A), ``w_v`` (A,) with A the width of the scoring MLP; ``mask`` boolean, broadcastable
to (N, Lq, Lk), True = may attend (as ``scaled_dot_product_attention``). The result ``context``
is (N, Lq, Dv). In Bahdanau et al. (2015) the query is the decoder state ``s_{t-1}`` and the keys
and values are the encoder states ``h_j``; the lecture notes leave the scoring function ``a(s, h)``
unspecified, and this is the form of the paper (without biases, as d2l.ai's ``AdditiveAttention``).

torch has no single module for it; the tests build it from ``torch.tanh`` and ``torch.softmax``.
"""
import numpy as np

from .attention import check_mask, masked_softmax, softmax_backward
from .validation import as_array


def additive_attention_forward(queries, keys, values, Wq, Wk, w_v, mask=None):
    """Returns ``(context, cache)``; see the module docstring for the formula and shapes."""
    layer = "additive_attention_forward"
    queries = as_array(queries, "queries", layer, ndim=3)
    keys = as_array(keys, "keys", layer, ndim=3)
    values = as_array(values, "values", layer, ndim=3)
    Wq = as_array(Wq, "Wq", layer, ndim=2)
    Wk = as_array(Wk, "Wk", layer, ndim=2)
    w_v = as_array(w_v, "w_v", layer, ndim=1)
    if queries.shape[0] != keys.shape[0] or keys.shape[:2] != values.shape[:2]:
        raise ValueError(f"{layer}: queries (N, Lq, Dq), keys (N, Lk, Dk) and values (N, Lk, Dv) must agree on N and Lk, "
                         f"got shapes {queries.shape}, {keys.shape} and {values.shape}.")
    hidden = w_v.shape[0]
    for name, weight, inputs in (("Wq", Wq, queries), ("Wk", Wk, keys)):
        if weight.shape != (inputs.shape[-1], hidden):
            raise ValueError(
                f"{layer}: {name} must have shape ({inputs.shape[-1]}, {hidden}) to match its inputs and w_v, "
                f"got {weight.shape}."
            )
    features = np.tanh((queries @ Wq)[:, :, None, :] + (keys @ Wk)[:, None, :, :])  # (N, Lq, Lk, A)
    scores = features @ w_v
    if mask is not None:
        mask = check_mask(mask, scores.shape, layer)
    weights = masked_softmax(scores, mask)
    return weights @ values, (queries, keys, values, Wq, Wk, w_v, features, weights)


def additive_attention_backward(dcontext, cache):
    """Gradients ``(dqueries, dkeys, dvalues, dWq, dWk, dw_v)``.

    The score gradient ``dscores`` (softmax backward) is spread over the MLP: ``dw_v`` sums
    ``dscores * features``; the tanh input gets ``dscores * w_v * (1 - features**2)``, which is
    summed over the keys for the query side and over the queries for the key side.
    """
    queries, keys, values, Wq, Wk, w_v, features, weights = cache
    dcontext = as_array(dcontext, "dcontext", "additive_attention_backward", ndim=3)
    expected = weights.shape[:2] + (values.shape[-1],)
    if dcontext.shape != expected:
        raise ValueError(
            f"additive_attention_backward: dcontext has shape {dcontext.shape} but context had shape {expected}."
        )
    dvalues = np.swapaxes(weights, -1, -2) @ dcontext
    dscores = softmax_backward(dcontext @ np.swapaxes(values, -1, -2), weights)
    dw_v = np.einsum("nqk,nqka->a", dscores, features)
    dpre = dscores[..., None] * w_v * (1.0 - features * features)  # gradient at the tanh input
    dquery_projection, dkey_projection = dpre.sum(axis=2), dpre.sum(axis=1)
    hidden = w_v.shape[0]
    dWq = queries.reshape(-1, queries.shape[-1]).T @ dquery_projection.reshape(-1, hidden)
    dWk = keys.reshape(-1, keys.shape[-1]).T @ dkey_projection.reshape(-1, hidden)
    return dquery_projection @ Wq.T, dkey_projection @ Wk.T, dvalues, dWq, dWk, dw_v
