"""The lab-09 attention checks: masks, the forward pass with padding and causal masks, and the
backward pass with those masks; each passes correct code over seeds and names typical mistakes."""
import numpy as np
import pytest

from course.checks.attention import check_attention_backward, check_attention_forward, check_attention_masks
from course.layers.attention import causal_mask, scaled_dot_product_attention, scaled_dot_product_attention_backward
from tests.checks.failing import fails_with
from tests.checks.test_attention_checks import attention_student


def padding_mask(lengths, max_length):
    return (np.arange(max_length)[None, :] < np.asarray(lengths)[:, None])[:, None, :]


@pytest.mark.parametrize("seed", range(4))
def test_mask_and_attention_checks_pass_correct_code(seed):
    check_attention_masks(padding_mask, causal_mask, seed=seed)
    check_attention_forward(scaled_dot_product_attention, seed=seed)
    check_attention_forward(attention_student()[0], seed=seed, batch=3, length=6, d=8, dv=2)
    for kind in ("random", "causal", "padding"):
        check_attention_backward(scaled_dot_product_attention, scaled_dot_product_attention_backward, seed=seed,
                                 Lq=4, Lk=4, mask_kind=kind)
        check_attention_backward(*attention_student(), seed=seed, Lq=4, Lk=4, mask_kind=kind)


@pytest.mark.parametrize("padding, causal, message", [
    (lambda l, m: padding_mask(l, m)[:, 0], causal_mask, r"shape .* no axis for the queries"),
    (lambda l, m: ~padding_mask(l, m), causal_mask, r"it is inverted: True marks the real tokens"),
    (lambda l, m: (np.arange(m)[None, :] <= np.asarray(l)[:, None])[:, None, :], causal_mask, r"off by one"),
    (lambda l, m: padding_mask(l, m).astype(int), causal_mask, r"dtype int64 but should be boolean"),
    (padding_mask, lambda n: causal_mask(n).T, r"transposed: the upper triangle lets every position see the future"),
    (padding_mask, lambda n: ~causal_mask(n), r"inverted: True means 'may attend'"),
    (padding_mask, lambda n: np.tril(causal_mask(n), -1), r"the diagonal is missing"),
])
def test_mask_check_names_the_mistake(padding, causal, message):
    fails_with(message, check_attention_masks, padding, causal)


@pytest.mark.parametrize("mistake, message", [
    ("no scale", r"without a mask.*not divided by sqrt\(d\)"),
    ("scale by d", r"divided by d instead of sqrt\(d\)"),
    ("softmax over queries", r"softmax runs over the queries"),
    ("mask ignored", r"with a padding mask of shape \(N, 1, L\).*the mask is ignored"),
    ("mask after softmax", r"with a padding mask.*set to zero after the softmax"),
])
def test_forward_check_names_the_mistake(mistake, message):
    fails_with(message, check_attention_forward, attention_student(mistake)[0])


def test_forward_check_names_a_transposed_causal_mask():
    forward = attention_student()[0]

    def transposed(q, k, v, mask=None):
        if mask is not None and mask.ndim == 2:
            mask = mask.T
        return forward(q, k, v, mask)
    fails_with(r"with a causal mask of shape \(L, L\).*the mask is transposed", check_attention_forward, transposed)


def test_backward_check_with_a_causal_mask_names_a_backward_that_ignores_it():
    fails_with(r"dq is wrong .*ignores the mask", check_attention_backward,
               *attention_student("mask ignored in backward"), Lq=4, Lk=4, mask_kind="causal")
    with pytest.raises(ValueError, match="Lq == Lk"):
        check_attention_backward(*attention_student(), Lq=3, Lk=4, mask_kind="causal")
