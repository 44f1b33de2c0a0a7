import pytest
import torch
import torch.nn.functional as F

from course.arithmetic.sizes import conv_output_size, conv_transpose_output_size, pool_output_size


@pytest.mark.parametrize("args, expected", [
    # worked numbers of the lecture notes (derived test vectors of seed-notes-000-002 §6)
    ((32, 5, 1, 0), 28), ((32, 5, 1, 2), 32), ((7, 3, 2, 0), 3), ((7, 3, 3, 0), 2),  # the floor matters
    ((5, 3, 2, 1), 3), ((227, 11, 4, 0), 55),
    # the notes' common (kernel, stride, padding) settings on 224 and 225 pixels (seed-notes-001 §3 #10)
    ((224, 1, 1, 0), 224), ((224, 3, 1, 1), 224), ((224, 3, 2, 1), 112), ((224, 7, 4, 3), 56),
    ((225, 3, 2, 1), 113), ((225, 7, 4, 3), 57),
])
def test_conv_output_size_worked_numbers(args, expected):
    assert conv_output_size(*args) == expected


def test_pool_output_size_worked_numbers():
    assert pool_output_size(224, 2, 2) == 112
    assert pool_output_size(224, 2) == 112  # stride defaults to the kernel, as torch
    assert pool_output_size(55, 3, 2) == 27 and pool_output_size(27, 3, 2) == 13 and pool_output_size(13, 3, 2) == 6


def torch_length(run):
    """The output length torch computes, or None where torch refuses."""
    try:
        return run().shape[-1]
    except RuntimeError:
        return None


def ours_or_none(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except ValueError:
        return None


def test_conv_output_size_matches_torch_conv2d(rng):
    for _ in range(150):
        n, kernel, stride = int(rng.integers(1, 14)), int(rng.integers(1, 6)), int(rng.integers(1, 5))
        padding, dilation = int(rng.integers(0, 3)), int(rng.integers(1, 4))
        expected = torch_length(lambda: F.conv2d(torch.zeros(1, 1, 1, n), torch.zeros(1, 1, 1, kernel),
                                                 stride=stride, padding=(0, padding), dilation=dilation))
        assert ours_or_none(conv_output_size, n, kernel, stride, padding, dilation) == expected, (n, kernel, stride, padding, dilation)


def test_conv_transpose_output_size_matches_torch_conv_transpose2d(rng):
    for _ in range(150):
        n, kernel, stride = int(rng.integers(1, 8)), int(rng.integers(1, 6)), int(rng.integers(1, 4))
        padding, dilation = int(rng.integers(0, 3)), int(rng.integers(1, 3))
        output_padding = int(rng.integers(0, 3))
        expected = torch_length(lambda: F.conv_transpose2d(
            torch.zeros(1, 1, 1, n), torch.zeros(1, 1, 1, kernel), stride=stride, padding=(0, padding),
            output_padding=(0, output_padding), dilation=dilation))
        got = ours_or_none(conv_transpose_output_size, n, kernel, stride, padding, output_padding, dilation)
        assert got == expected, (n, kernel, stride, padding, output_padding, dilation)


def test_conv_transpose_inverts_the_size_of_a_convolution(rng):
    for _ in range(50):
        n, kernel, stride, padding = int(rng.integers(5, 20)), int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(0, 2))
        down = conv_output_size(n, kernel, stride, padding)
        lost = (n + 2 * padding - kernel) % stride  # pixels the floor dropped
        assert conv_transpose_output_size(down, kernel, stride, padding, output_padding=lost) == n


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
def test_pool_output_size_matches_torch_including_ceil_mode(rng, pool):
    for _ in range(200):
        n, kernel, stride = int(rng.integers(1, 13)), int(rng.integers(1, 6)), int(rng.integers(1, 5))
        padding, ceil_mode = int(rng.integers(0, kernel // 2 + 1)), bool(rng.integers(0, 2))
        expected = torch_length(lambda: pool(torch.zeros(1, 1, 1, n), (1, kernel), (1, stride), (0, padding), ceil_mode=ceil_mode))
        assert ours_or_none(pool_output_size, n, kernel, stride, padding, ceil_mode) == expected, (n, kernel, stride, padding, ceil_mode)


def test_ceil_mode_drops_a_last_window_that_would_start_in_the_right_padding():
    # 5 pixels, kernel 2, stride 2, padding 1: windows start at -1, 1, 3 and the ceiling would add
    # one starting at 5, which lies entirely in the right padding; torch drops it, so do we.
    assert pool_output_size(5, 2, 2, padding=1, ceil_mode=False) == 3
    assert pool_output_size(5, 2, 2, padding=1, ceil_mode=True) == 3
    assert pool_output_size(6, 2, 2, padding=1, ceil_mode=True) == 4
    assert pool_output_size(225, 2, 2, ceil_mode=True) == 113 and pool_output_size(225, 2, 2) == 112


def test_sizes_reject_bad_arguments_in_one_sentence():
    with pytest.raises(ValueError, match=r"kernel does not fit: it spans 5 pixels .* padded input has only 4"):
        conv_output_size(4, 5)
    with pytest.raises(ValueError, match=r"spans 7 pixels \(kernel 4, dilation 2\)"):
        conv_output_size(6, 4, dilation=2)
    with pytest.raises(ValueError, match="stride must be an integer >= 1, got 0"):
        conv_output_size(8, 3, stride=0)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 3.5"):
        conv_output_size(3.5, 3)
    with pytest.raises(ValueError, match=r"padding must be at most half the kernel \(1\), got 2"):
        pool_output_size(8, 3, padding=2)
    with pytest.raises(ValueError, match="output_padding must be smaller than the stride or the dilation"):
        conv_transpose_output_size(4, 3, stride=2, output_padding=2)
