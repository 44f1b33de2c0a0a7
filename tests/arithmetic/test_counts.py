import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from course.arithmetic.counts import conv_multiply_adds, conv_params, linear_multiply_adds, linear_params


def test_conv_params_worked_numbers():
    assert conv_params(3, 6, 5) == 456   # 6 filters of 5x5x3 (seed-notes-000-002 §3, derived)
    assert conv_params(3, 10, 5) == 760  # 10 filters of 5x5x3 (the brief's example, derived)
    assert conv_params(10, 5, 1) == 55   # a 1x1 convolution from 10 to 5 channels (seed-notes-001 §3 #15)
    assert conv_params(1, 6, 5) == 156 and conv_params(6, 16, 5) == 2416 and conv_params(16, 120, 5) == 48120  # LeNet-5


def test_linear_params_of_the_notes_4_3_2_1_mlp():
    layers = [(4, 3), (3, 2), (2, 1)]
    assert sum(linear_params(a, b, bias=False) for a, b in layers) == 20
    assert sum(linear_params(a, b) for a, b in layers) == 26


def test_conv_params_match_torch_conv2d(rng):
    with torch.device("meta"):
        for _ in range(40):
            groups = int(rng.integers(1, 4))
            c_in, c_out = groups * int(rng.integers(1, 5)), groups * int(rng.integers(1, 5))
            kernel = int(rng.integers(1, 6)) if rng.random() < 0.5 else (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
            bias = bool(rng.integers(0, 2))
            module = torch.nn.Conv2d(c_in, c_out, kernel, bias=bias, groups=groups)
            assert conv_params(c_in, c_out, kernel, bias=bias, groups=groups) == sum(p.numel() for p in module.parameters())


def test_multiply_adds_are_half_the_flops_torch_counts(rng):
    for _ in range(10):
        groups = int(rng.integers(1, 3))
        c_in, c_out = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
        kernel, h, w = int(rng.integers(1, 4)), int(rng.integers(4, 9)), int(rng.integers(4, 9))
        conv = torch.nn.Conv2d(c_in, c_out, kernel, groups=groups)
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            out = conv(torch.zeros(1, c_in, h, w))
        assert 2 * conv_multiply_adds(c_in, c_out, kernel, out.shape[-2:], groups=groups) == counter.get_total_flops()
    linear = torch.nn.Linear(7, 5)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        linear(torch.zeros(1, 7))
    assert 2 * linear_multiply_adds(7, 5) == counter.get_total_flops()


def test_counts_reject_bad_arguments_in_one_sentence():
    with pytest.raises(ValueError, match="groups=2 must divide both c_in=3 and c_out=4"):
        conv_params(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"kernel must be an int or a pair \(kh, kw\)"):
        conv_params(3, 4, (3, 3, 3))
    with pytest.raises(ValueError, match="c_out must be an integer >= 1, got 0"):
        conv_params(3, 0, 3)
