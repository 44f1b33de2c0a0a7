"""Checks for lab 09: scaled dot-product attention, forward and backward.

The check runs the student's functions on seeded float64 inputs, with and without a boolean mask
(True = may attend, as torch's ``scaled_dot_product_attention``; every query keeps at least one
key), compares the output with the reference in ``course.layers`` and ``dq, dk, dv`` with the
numeric gradient of the reference forward, and names typical mistakes: the 1/sqrt(d) scale
missing or wrong, the mask ignored or inverted, the softmax over the wrong axis, the softmax
backward without its sum term.
"""
import numpy as np

from ..gradcheck import numerical_gradient
from ..layers import attention as reference
from .judging import FORWARD_THRESHOLD, GRADIENT_THRESHOLD, call_student, compare, unchanged, unpack, upstream_gradient


def _softmax(scores, axis=-1):
    exps = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return exps / exps.sum(axis=axis, keepdims=True)


def _attention_gradients(q, k, v, weights, dout, scale, with_sum_term=True):
    """``dq, dk, dv`` from given attention weights (the reference formulas, or without the sum term)."""
    dweights = dout @ np.swapaxes(v, -1, -2)
    if with_sum_term:
        dscores = reference.softmax_backward(dweights, weights) * scale
    else:
        dscores = weights * dweights * scale
    return {"dq": dscores @ k, "dk": np.swapaxes(dscores, -1, -2) @ q, "dv": np.swapaxes(weights, -1, -2) @ dout}


def check_attention_backward(scaled_dot_product_attention, scaled_dot_product_attention_backward, seed=0,
                             batch=2, Lq=3, Lk=4, d=5, dv=3, masked=True):
    """``scaled_dot_product_attention(q, k, v, mask=None) -> (out, cache)`` against the reference,
    without and (if ``masked``) with a mask, and ``scaled_dot_product_attention_backward(dout, cache)
    -> dq, dk, dv`` against numeric gradients (of the masked attention if ``masked``)."""
    exercise = "attention_backward"
    rng = np.random.default_rng(seed)
    q, k, v = rng.normal(size=(batch, Lq, d)), rng.normal(size=(batch, Lk, d)), rng.normal(size=(batch, Lk, dv))
    mask = rng.random((batch, Lq, Lk)) < 0.6
    mask[np.arange(batch)[:, None], np.arange(Lq)[None, :], rng.integers(0, Lk, size=(batch, Lq))] = True
    scale = 1.0 / np.sqrt(d)
    scores = q @ np.swapaxes(k, -1, -2)
    originals = {"q": q.copy(), "k": k.copy(), "v": v.copy(), "mask": mask.copy()}

    def judge_forward(use_mask):
        given = mask if use_mask else None
        result = call_student(scaled_dot_product_attention, exercise, q, k, v, mask=given)
        out, cache = unpack(result, ("out", "cache"), exercise, "scaled_dot_product_attention")
        unchanged(exercise, "scaled_dot_product_attention", originals, {"q": q, "k": k, "v": v, "mask": mask})
        expected = reference.scaled_dot_product_attention(q, k, v, mask=given)[0]
        restricted = (lambda s: reference.masked_softmax(s, mask)) if use_mask else _softmax
        mistakes = [
            (restricted(scores) @ v, "the scores are not divided by sqrt(d)"),
            (restricted(scores / d) @ v, "the scores are divided by d instead of sqrt(d)"),
            (_softmax(scores * scale, axis=-2) @ v,
             "the softmax runs over the queries (axis -2) instead of over the keys (last axis)"),
        ]
        if use_mask:
            mistakes += [
                (_softmax(scores * scale) @ v, "the mask is ignored"),
                (reference.masked_softmax(scores * scale, ~mask) @ v,
                 "the mask is inverted: True means 'may attend' (as torch's scaled_dot_product_attention)"),
                (np.where(mask, _softmax(scores * scale), 0.0) @ v,
                 "the masked weights are set to zero after the softmax, so the rest no longer sum to 1; "
                 "mask the scores before it"),
            ]
        compare(exercise, f"out ({'with' if use_mask else 'without'} a mask)", out, expected, FORWARD_THRESHOLD,
                hint="out = softmax(q @ k^T / sqrt(d)) @ v, the softmax over the keys (last axis)"
                + ("; set the scores where mask is False to -inf (or drop them) before the softmax." if use_mask else "."),
                mistakes=mistakes)
        return cache

    cache = judge_forward(use_mask=False)
    if masked:
        cache = judge_forward(use_mask=True)
    dout = upstream_gradient(rng, (batch, Lq, dv))
    result = call_student(scaled_dot_product_attention_backward, exercise, dout.copy(), cache)
    names = ("dq", "dk", "dv")
    got = dict(zip(names, unpack(result, names, exercise, "scaled_dot_product_attention_backward")))
    unchanged(exercise, "scaled_dot_product_attention_backward", originals, {"q": q, "k": k, "v": v, "mask": mask})
    given = mask if masked else None
    weights = reference.masked_softmax(scores * scale, given)
    variants = [
        (_attention_gradients(q, k, v, weights, dout, 1.0), "the 1/sqrt(d) scale is missing in the backward pass"),
        (_attention_gradients(q, k, v, weights, dout, scale, with_sum_term=False),
         "the softmax backward misses the sum term: dscores = w * (dw - sum(dw * w, axis=-1))"),
    ]
    if masked:
        variants.append((_attention_gradients(q, k, v, _softmax(scores * scale), dout, scale),
                         "the backward pass ignores the mask: use the masked weights kept in the cache"))
    hints = {
        "dq": "with dscores = w * (dw - sum(dw * w, axis=-1)) / sqrt(d) and dw = dout @ v^T: dq = dscores @ k.",
        "dk": "dk = dscores^T @ q (swap the last two axes of dscores).",
        "dv": "dv = w^T @ dout, with w the attention weights of the forward pass.",
    }
    arguments = {"q": q, "k": k, "v": v}
    for name in ("dq", "dk", "dv"):
        def forward(value, name=name):
            changed = dict(arguments, **{name[1:]: value})
            return reference.scaled_dot_product_attention(changed["q"], changed["k"], changed["v"], mask=given)[0]

        expected = numerical_gradient(forward, arguments[name[1:]].copy(), dout)
        mistakes = [(wrong[name], meaning) for wrong, meaning in variants]
        compare(exercise, name, got[name], expected, GRADIENT_THRESHOLD, hint=hints[name], mistakes=mistakes)
