"""Checks that judge a student's implementation; one function per graded exercise.

Each ``check_*`` raises CheckFailed (an AssertionError) with a one-line message on a mistake and
returns quietly otherwise; nbgrader test cells call them directly. In a notebook, wrap them in
``check(check_fn, ...)`` for a friendly ✅ / ❌ line.
"""
from .backprop import (
    check_affine_backward,
    check_affine_forward,
    check_relu_backward,
    check_sigmoid_backward,
    check_softmax_cross_entropy,
    check_two_layer_net,
)
from .judging import CheckFailed
from .runner import check, summary
