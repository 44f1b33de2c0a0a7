"""The split/merge-heads check passes correct code and names the typical mistakes."""
import pytest

from course.checks.heads import check_split_heads
from course.checks.judging import take_notes
from tests.checks.failing import fails_with


def split(x, heads):
    n, length, embed = x.shape
    return x.reshape(n, length, heads, embed // heads).transpose(0, 2, 1, 3)


def merge(y):
    n, heads, length, width = y.shape
    return y.transpose(0, 2, 1, 3).reshape(n, length, heads * width)


@pytest.mark.parametrize("seed", range(3))
def test_heads_check_passes_correct_code(seed):
    check_split_heads(split, merge, seed=seed)
    check_split_heads(split, merge, seed=seed, batch=3, length=5, num_heads=4, head_size=3)


@pytest.mark.parametrize("wrong_split, wrong_merge, message", [
    (lambda x, h: x.reshape(x.shape[0], h, x.shape[1], -1), merge, r"split along the wrong axis"),
    (lambda x, h: x.reshape(*x.shape[:2], h, -1), merge, r"it is \(N, L, heads, head_size\): swap axes 1 and 2"),
    (lambda x, h: x.reshape(*x.shape[:2], -1, h).transpose(0, 3, 1, 2), merge, r"dealt out to the heads in turn"),
    (split, lambda y: y.reshape(y.shape[0], y.shape[2], -1), r"merged without moving the head axis back"),
    (split, lambda y: y.reshape(y.shape[0], y.shape[1], -1), r"merge_heads\(y\) has shape .*heads' axis was kept"),
])
def test_heads_check_names_the_mistake(wrong_split, wrong_merge, message):
    fails_with(message, check_split_heads, wrong_split, wrong_merge)


def test_a_split_that_changes_its_input_in_place_passes_with_a_note():
    def in_place(x, heads):
        n, length, embed = x.shape
        x.shape = (n, length, heads, embed // heads)  # reshapes the caller's array itself
        return x.transpose(0, 2, 1, 3)
    take_notes()
    check_split_heads(in_place, merge)
    assert [note.id for note in take_notes()] == ["split_heads/in-place/it-changes-its-input-in-place"]


def test_a_merge_that_returns_the_last_split_input_fails():
    kept = {}

    def remembering_split(x, heads):
        kept["x"] = x.copy()
        return split(x, heads)

    def stateful_merge(y):
        return kept["x"]
    fails_with(r"merge_heads\(y\) is wrong .*returns the input of the last split_heads call", check_split_heads,
               remembering_split, stateful_merge)
