"""The attention check passes the reference and names the typical mistakes of a student.

The "student" below is a complete, self-contained implementation; each test switches on one
deliberate mistake.
"""
import numpy as np
import pytest

from course.checks.attention import check_attention_backward
from course.checks.judging import CheckFailed
from course.layers.attention import scaled_dot_product_attention, scaled_dot_product_attention_backward


def attention_student(mistake=None):
    def softmax(s, axis=-1):
        e = np.exp(s - s.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    def forward(q, k, v, mask=None):
        d = q.shape[-1]
        divisor = {"no scale": 1.0, "scale by d": d}.get(mistake, np.sqrt(d))
        scores = q @ np.swapaxes(k, -1, -2) / divisor
        if mask is not None and mistake != "mask ignored":
            allowed = ~mask if mistake == "mask inverted" else mask
            if mistake != "mask after softmax":
                scores = np.where(allowed, scores, -1e30)
        w = softmax(scores, axis=-2 if mistake == "softmax over queries" else -1)
        if mask is not None and mistake == "mask after softmax":
            w = np.where(mask, w, 0.0)
        return w @ v, (q, k, v, w, divisor)

    def backward(dout, cache):
        q, k, v, w, divisor = cache
        if mistake == "mask ignored in backward":
            w = softmax(q @ np.swapaxes(k, -1, -2) / divisor)  # weights recomputed without the mask
        dv = np.swapaxes(w, -1, -2) @ dout
        dw = dout @ np.swapaxes(v, -1, -2)
        if mistake == "no sum term":
            dscores = w * dw
        else:
            dscores = w * (dw - np.sum(dw * w, axis=-1, keepdims=True))
        if mistake != "no scale in backward":
            dscores = dscores / divisor
        return dscores @ k, np.swapaxes(dscores, -1, -2) @ q, dv

    return forward, backward


def test_attention_check_passes_the_reference_and_a_correct_student():
    for seed in range(3):
        check_attention_backward(scaled_dot_product_attention, scaled_dot_product_attention_backward, seed=seed)
        check_attention_backward(*attention_student(), seed=seed)
    check_attention_backward(*attention_student(), batch=1, Lq=5, Lk=2, d=3, dv=4)
    check_attention_backward(*attention_student("mask ignored"), masked=False)


@pytest.mark.parametrize("mistake, message", [
    ("no scale", r"out \(without a mask\) is wrong .*the scores are not divided by sqrt\(d\)"),
    ("scale by d", r"out \(without a mask\) is wrong .*the scores are divided by d instead of sqrt\(d\)"),
    ("softmax over queries", r"out \(without a mask\) is wrong .*the softmax runs over the queries"),
    ("mask ignored", r"out \(with a mask\) is wrong .*the mask is ignored"),
    ("mask inverted", r"out \(with a mask\) is wrong .*the mask is inverted: True means 'may attend'"),
    ("mask after softmax", r"out \(with a mask\) is wrong .*set to zero after the softmax"),
    ("no scale in backward", r"dq is wrong .*the 1/sqrt\(d\) scale is missing in the backward pass"),
    ("no sum term", r"dq is wrong .*the softmax backward misses the sum term"),
    ("mask ignored in backward", r"dq is wrong .*the backward pass ignores the mask"),
])
def test_attention_check_names_the_mistake(mistake, message):
    with pytest.raises(CheckFailed, match=message):
        check_attention_backward(*attention_student(mistake))


def test_attention_check_explains_a_wrong_shape():
    forward, backward = attention_student()

    def backward_with_dk_untransposed(dout, cache):
        dq, dk, dv = backward(dout, cache)
        return dq, np.swapaxes(dk, -1, -2), dv
    with pytest.raises(CheckFailed, match=r"dk has shape \(2, 5, 4\) but should have shape \(2, 4, 5\)"):
        check_attention_backward(forward, backward_with_dk_untransposed)
