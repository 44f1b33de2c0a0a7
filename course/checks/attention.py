"""Checks for lab 09: the attention masks, scaled dot-product attention forward and backward.

The checks run the student's functions on seeded float64 inputs, with and without boolean masks
(True = may attend, as torch's ``scaled_dot_product_attention``; every query keeps at least one
key): random masks, padding masks (N, 1, L) that hide the keys past each sequence's length, and
causal masks (L, L) that hide the future. They compare the output with the reference in
``course.layers`` and ``dq, dk, dv`` with the numeric gradient of the reference forward, and name
typical mistakes: the 1/sqrt(d) scale missing or wrong, the mask ignored, inverted, transposed or
applied after the softmax, the softmax over the wrong axis, the softmax backward without its sum
term.
"""
import numpy as np

from ..gradcheck import numerical_gradient
from ..layers import attention as reference
from .judging import (FORWARD_THRESHOLD, GRADIENT_THRESHOLD, CheckFailed, Mistake, call_student, compare, unpack,
                      upstream_gradient)
from .judging import random_generator
from .recurrent import judge_analytic

FORWARD_IDEA = ("each output row averages the values with the softmax, over the keys, of the query's dot products "
                "with every key divided by sqrt(d) (section 2's equation)")
MASK_IDEA = "the scores where the mask is False become -inf before the softmax (section 2, 'Masks')"
BACKWARD_IDEA = "section 3: back through the product with V, the softmax (with its sum term), then the scaled scores"


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


def _masks(rng, kind, batch, Lq, Lk):
    """A boolean mask (True = may attend) of ``kind`` "random", "causal" or "padding", broadcast to
    (batch, Lq, Lk), in which every query keeps at least one key."""
    if kind == "random":
        mask = rng.random((batch, Lq, Lk)) < 0.6
        mask[np.arange(batch)[:, None], np.arange(Lq)[None, :], rng.integers(0, Lk, size=(batch, Lq))] = True
        return mask
    if kind == "causal":
        return np.broadcast_to(np.tril(np.ones((Lq, Lk), dtype=bool)), (batch, Lq, Lk)).copy()
    if kind == "padding":
        lengths = rng.integers(1, Lk + 1, size=batch)
        lengths[0] = max(1, Lk - 1)  # at least one sequence is padded
        return np.broadcast_to(np.arange(Lk)[None, None, :] < lengths[:, None, None], (batch, Lq, Lk)).copy()
    raise ValueError(f"mask_kind must be 'random', 'causal' or 'padding', got {kind!r}.")


def _judge_forward(scaled_dot_product_attention, exercise, q, k, v, mask, label):
    """Call the student's forward with ``mask`` (or None) and compare ``out``; return the cache."""
    result = call_student(scaled_dot_product_attention, exercise, q, k, v, mask=mask)
    out, cache = unpack(result, ("out", "cache"), exercise, "scaled_dot_product_attention")
    expected = reference.scaled_dot_product_attention(q, k, v, mask=mask)[0]
    scale = 1.0 / np.sqrt(q.shape[-1])
    scores = q @ np.swapaxes(k, -1, -2)
    full = None if mask is None else np.broadcast_to(mask, scores.shape)
    restricted = (lambda s: reference.masked_softmax(s, full)) if mask is not None else _softmax
    mistakes = [
        (restricted(scores) @ v, "the scores are not divided by sqrt(d)"),
        (restricted(scores / q.shape[-1]) @ v, "the scores are divided by d instead of sqrt(d)"),
        (_softmax(scores * scale, axis=-2) @ v,
         "the softmax runs over the queries (axis -2) instead of over the keys (last axis)"),
    ]
    if mask is not None:
        mistakes += [
            (_softmax(scores * scale) @ v, "the mask is ignored"),
            (reference.masked_softmax(scores * scale, ~full) @ v,
             "the mask is inverted: True means 'may attend' (as torch's scaled_dot_product_attention)"),
            (np.where(full, _softmax(scores * scale), 0.0) @ v,
             "the masked weights are set to zero after the softmax, so the rest no longer sum to 1; "
             "mask the scores before it"),
        ]
        if full.shape[-1] == full.shape[-2]:
            mistakes.append((reference.masked_softmax(scores * scale, np.swapaxes(full, -1, -2)) @ v,
                             "the mask is transposed: mask[..., i, j] says whether query i may attend to key j"))
    compare(exercise, f"out ({label})", out, expected, FORWARD_THRESHOLD,
            hint=FORWARD_IDEA + (f"; {MASK_IDEA}." if mask is not None else "."),
            mistakes=mistakes)
    return cache


def check_attention_forward(scaled_dot_product_attention, seed=0, batch=2, length=5, d=4, dv=3):
    """``scaled_dot_product_attention(q, k, v, mask=None) -> (out, cache)`` for self-attention
    shapes (Lq = Lk = ``length``): without a mask, with a padding mask of shape (batch, 1, length),
    with a causal mask of shape (length, length), and with both combined; ``out`` against the
    reference."""
    exercise = "attention_forward"
    rng = random_generator(seed)
    q, k, v = rng.normal(size=(batch, length, d)), rng.normal(size=(batch, length, d)), rng.normal(size=(batch, length, dv))
    padding = _masks(rng, "padding", batch, 1, length)          # (batch, 1, length): broadcasts over the queries
    causal = np.tril(np.ones((length, length), dtype=bool))       # (length, length): broadcasts over the batch
    for mask, label in ((None, "without a mask"), (padding, "with a padding mask of shape (N, 1, L)"),
                        (causal, "with a causal mask of shape (L, L)"), (padding & causal, "with padding and causal masks")):
        _judge_forward(scaled_dot_product_attention, exercise, q, k, v, mask, label)


def check_attention_backward(scaled_dot_product_attention, scaled_dot_product_attention_backward, seed=0,
                             batch=2, Lq=3, Lk=4, d=5, dv=3, masked=True, mask_kind="random"):
    """``scaled_dot_product_attention(q, k, v, mask=None) -> (out, cache)`` against the reference,
    without and (if ``masked``) with a mask, and ``scaled_dot_product_attention_backward(dout, cache)
    -> dq, dk, dv`` against numeric gradients (of the masked attention if ``masked``).
    ``mask_kind``: "random", "causal" (needs Lq = Lk) or "padding" (keys past each length hidden)."""
    exercise = "attention_backward"
    if mask_kind == "causal" and Lq != Lk:
        raise ValueError("check_attention_backward: a causal mask needs Lq == Lk.")
    rng = random_generator(seed)
    q, k, v = rng.normal(size=(batch, Lq, d)), rng.normal(size=(batch, Lk, d)), rng.normal(size=(batch, Lk, dv))
    mask = _masks(rng, mask_kind, batch, Lq, Lk)
    scale = 1.0 / np.sqrt(d)
    scores = q @ np.swapaxes(k, -1, -2)

    def judge_forward(use_mask):
        return _judge_forward(scaled_dot_product_attention, exercise, q, k, v, mask if use_mask else None,
                              "with a mask" if use_mask else "without a mask")

    cache = judge_forward(use_mask=False)
    if masked:
        cache = judge_forward(use_mask=True)
    dout = upstream_gradient(rng, (batch, Lq, dv))
    names = ("dq", "dk", "dv")

    def backward(cache, dout):
        result = call_student(scaled_dot_product_attention_backward, exercise, dout.copy(), cache)
        return dict(zip(names, unpack(result, names, exercise, "scaled_dot_product_attention_backward")))

    got = backward(cache, dout)
    given = mask if masked else None
    weights = reference.masked_softmax(scores * scale, given)
    variants = [
        (_attention_gradients(q, k, v, weights, dout, 1.0), "the 1/sqrt(d) scale is missing in the backward pass"),
        (_attention_gradients(q, k, v, weights, dout, scale, with_sum_term=False),
         "the softmax backward misses the sum term (section 3: the classic mistake)"),
    ]
    if masked:
        variants.append((_attention_gradients(q, k, v, _softmax(scores * scale), dout, scale),
                         "the backward pass ignores the mask: use the masked weights kept in the cache"))
    hints = {
        "dq": f"{BACKWARD_IDEA}; the query's gradient comes from the scores' gradient and the keys.",
        "dk": f"{BACKWARD_IDEA}; the keys' gradient is the transposed counterpart of the queries' (swap the last "
              "two axes of the scores' gradient).",
        "dv": f"{BACKWARD_IDEA}; the values' gradient uses the attention weights of the forward pass, transposed.",
    }
    arguments = {"q": q, "k": k, "v": v}
    for name in ("dq", "dk", "dv"):
        def forward(value, name=name):
            changed = dict(arguments, **{name[1:]: value})
            return reference.scaled_dot_product_attention(changed["q"], changed["k"], changed["v"], mask=given)[0]

        expected = numerical_gradient(forward, arguments[name[1:]].copy(), dout)
        mistakes = [(wrong[name], meaning) for wrong, meaning in variants]
        compare(exercise, name, got[name], expected, GRADIENT_THRESHOLD, hint=hints[name], mistakes=mistakes)

    def analytic(q, k, v, dout):
        _, reference_cache = reference.scaled_dot_product_attention(q, k, v, mask=given)
        return dict(zip(names, reference.scaled_dot_product_attention_backward(dout, reference_cache)))

    judge_analytic(exercise, got, analytic(q, k, v, dout), "the check's inputs", BACKWARD_IDEA)
    # Sharper softmaxes (queries and keys three times larger): finite differences lose precision.
    q, k, v = 3 * rng.normal(size=q.shape), 3 * rng.normal(size=k.shape), rng.normal(size=v.shape)
    dout = upstream_gradient(rng, dout.shape)
    result = call_student(scaled_dot_product_attention, exercise, q, k, v, mask=given)
    got = backward(unpack(result, ("out", "cache"), exercise, "scaled_dot_product_attention")[1], dout)
    expected = analytic(q, k, v, dout)
    for name in names:
        compare(exercise, f"{name} (larger queries and keys)", got[name], expected[name], GRADIENT_THRESHOLD,
                hint=hints[name])
    judge_analytic(exercise, got, expected, "larger queries and keys", BACKWARD_IDEA)


def _boolean(exercise, name, got, expected, mistakes, hint):
    """``got`` must be a boolean array equal to ``expected``; name the first matching mistake."""
    if got is None:
        raise CheckFailed(f"{exercise}: {name} returned None; did you forget to return the mask?")
    got = np.asarray(got)
    if got.shape != expected.shape:
        detail = next((meaning for wrong, meaning in mistakes if np.shape(wrong) == got.shape), None)
        raise CheckFailed(f"{exercise}: {name} has shape {got.shape} but should have shape {expected.shape}"
                          + (f"; {detail}" if detail else "") + f". Hint: {hint}",
                          mistake=Mistake.named(exercise, name, detail))
    if got.dtype != np.bool_:
        raise CheckFailed(f"{exercise}: {name} has dtype {got.dtype} but should be boolean (True = may attend). "
                          f"Hint: a comparison of positions with lengths gives booleans.")
    if np.array_equal(got, expected):
        return
    diagnosis = next((meaning for wrong, meaning in mistakes
                      if np.shape(wrong) == got.shape and np.array_equal(got, wrong)), None)
    wrong_at = tuple(int(i) for i in np.argwhere(got != expected)[0])
    raise CheckFailed(f"{exercise}: {name} is wrong at index {wrong_at}: expected {bool(expected[wrong_at])}, got "
                      f"{bool(got[wrong_at])}" + (f"; {diagnosis}" if diagnosis else "") + f". Hint: {hint}",
                      mistake=Mistake.named(exercise, name, diagnosis))


def check_attention_masks(padding_mask, causal_mask, seed=0, batch=3, length=5):
    """``padding_mask(lengths, max_length)`` -> boolean (N, 1, max_length), True at the positions
    j < lengths[n] (the real tokens; it broadcasts over the queries), and ``causal_mask(length)``
    -> boolean (length, length), True where key j <= query i (a position sees itself and the past)."""
    exercise = "attention_masks"
    rng = random_generator(seed)
    lengths = rng.integers(1, length + 1, size=batch)
    lengths[rng.integers(batch)] = max(1, length - 2)  # at least one padded sequence
    got = call_student(padding_mask, exercise, lengths, length)
    positions = np.arange(length)
    expected = positions[None, None, :] < lengths[:, None, None]
    _boolean(exercise, "padding_mask(lengths, max_length)", got, expected, [
        (expected[:, 0, :], "it has no axis for the queries: return (N, 1, max_length), which broadcasts over them"),
        (np.swapaxes(expected, 1, 2), "it is (N, max_length, 1), which would hide queries instead of keys"),
        (~expected, "it is inverted: True marks the real tokens (may attend), False the padding"),
        (positions[None, None, :] <= lengths[:, None, None], "it is off by one: position j is real when j < length"),
    ], hint="key j of sequence n is a real token when j is smaller than lengths[n], and the mask needs a query axis "
            "of size 1 between the two (section 2, 'Masks').")
    got = call_student(causal_mask, exercise, length)
    expected = np.tril(np.ones((length, length), dtype=bool))
    _boolean(exercise, f"causal_mask({length})", got, expected, [
        (expected.T, "it is transposed: the upper triangle lets every position see the future"),
        (~expected, "it is inverted: True means 'may attend', so True on and below the diagonal"),
        (np.tril(expected, -1), "the diagonal is missing: a position may attend to itself"),
        (np.ones((length, length), dtype=bool), "it hides nothing"),
    ], hint="query i may attend to the keys 0..i: the lower triangle, diagonal included (section 2, 'Masks').")
