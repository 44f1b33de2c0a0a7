"""Checks for lab 09: splitting the embedding into attention heads and merging them back.

Multi-head attention with ``num_heads`` heads of width ``head_size = E / num_heads`` cuts the
last axis of (N, L, E) into ``num_heads`` consecutive blocks and moves the head axis in front of
the positions, (N, num_heads, L, head_size), so that each head attends on its own; merging is the
inverse. The reference is ``course.layers.multihead_attention`` (as ``nn.MultiheadAttention``).
"""
import numpy as np

from ..layers.multihead_attention import _merge_heads, _split_heads
from .judging import FORWARD_THRESHOLD, CheckFailed, call_student, compare
from .judging import random_generator


def _shape_fault(exercise, name, got, expected_shape, meanings, hint):
    shape = np.shape(got)
    if got is not None and shape != expected_shape:
        detail = meanings.get(shape)
        raise CheckFailed(f"{exercise}: {name} has shape {shape} but should have shape {expected_shape}"
                          + (f"; {detail}" if detail else "") + f". Hint: {hint}")


def check_split_heads(split_heads, merge_heads, seed=0, batch=2, length=3, num_heads=2, head_size=4):
    """``split_heads(x, num_heads)``: (N, L, E) -> (N, num_heads, L, E / num_heads), head h holding
    the columns h * head_size ... (h + 1) * head_size - 1; ``merge_heads(y)``: the inverse, checked
    on a tensor of heads that ``split_heads`` never saw (a merge that returns the last input of the
    split, kept aside, does not pass)."""
    exercise = "split_heads"
    rng = random_generator(seed)
    embed = num_heads * head_size
    x = rng.normal(size=(batch, length, embed))
    expected = _split_heads(x, num_heads)
    split_hint = ("cut the embedding axis into num_heads consecutive blocks of head_size, then move the heads' axis "
                  "in front of the positions (section 5, the shapes of multi-head attention).")
    got = call_student(split_heads, exercise, x, num_heads)
    _shape_fault(exercise, "split_heads(x, num_heads)", got, expected.shape, {
        (batch, length, num_heads, head_size): "it is (N, L, heads, head_size): swap axes 1 and 2 so that each head "
                                               "gets all its positions",
        (batch, head_size, length, num_heads): "it has head_size where the heads should be: the heads are the "
                                               "number of blocks, num_heads",
    }, split_hint)
    compare(exercise, "split_heads(x, num_heads)", got, expected, FORWARD_THRESHOLD, hint=split_hint, mistakes=[
        (x.reshape(batch, num_heads, length, head_size),
         "the heads are split along the wrong axis: reshaping straight to (N, heads, L, head_size) mixes positions "
         "into the heads; cut the embedding axis first, (N, L, heads, head_size), then move the heads"),
        (x.reshape(batch, length, head_size, num_heads).transpose(0, 3, 1, 2),
         "the columns are dealt out to the heads in turn (head h gets columns h, h + heads, ...); head h should get "
         "the consecutive block of columns h * head_size ... (h + 1) * head_size - 1"),
    ])
    y = rng.normal(size=expected.shape)  # heads that split_heads never produced
    merged = call_student(merge_heads, exercise, y)
    merge_hint = ("undo the split step by step in reverse order: the heads' axis back behind the positions, then the "
                  "blocks joined into one embedding axis (section 5).")
    _shape_fault(exercise, "merge_heads(y)", merged, x.shape, {
        (batch, num_heads, length * head_size): "the heads' axis was kept: move it back next to head_size first",
    }, merge_hint)
    compare(exercise, "merge_heads(y)", merged, _merge_heads(y), FORWARD_THRESHOLD, hint=merge_hint, mistakes=[
        (y.reshape(batch, length, embed),
         "the heads are merged without moving the head axis back: transpose (N, heads, L, d) to (N, L, heads, d) "
         "before the reshape"),
        (x, "it returns the input of the last split_heads call, not the merge of the heads it was given: merge_heads "
            "must compute its result from y alone"),
    ])
