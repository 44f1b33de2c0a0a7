import re

import pytest
import torch
import torch.nn.functional as F

from course.arithmetic.receptive_field import receptive_field


@pytest.mark.parametrize("layers, expected", [
    ([(3, 1)] * 3, [3, 5, 7]),                                # three 3x3 convolutions (seed-notes-001 §3 #11)
    ([(3, 1), (2, 2), (1, 1), (4, 2)], [3, 4, 4, 10]),       # conv, max-pool, 1x1 conv, max-pool (#12)
    ([(5, 1), (2, 2), (5, 1), (2, 2), (5, 1)], [5, 6, 14, 16, 32]),  # LeNet: C5 sees the whole 32x32 image (#13)
    ([(3, 1), (3, 1)], [3, 5]),                              # two 3x3 convolutions see as much as one 5x5
    ([(3, 1, 2), (3, 1, 4)], [5, 13]),                       # dilations 2 then 4
    ([(1, 2), (3, 1)], [1, 5]),                              # a stride spreads the taps of the *next* layer
    ([], []),
])
def test_receptive_field_worked_numbers(layers, expected):
    assert receptive_field(layers) == expected


def measured_receptive_field(layers):
    """Receptive field measured with torch: the extent of the input that the first output of each
    layer depends on. All-ones kernels and average pooling leave no cancellation to hide a pixel."""
    fields = []
    length = receptive_field(layers)[-1]  # no padding: the first output needs exactly this many pixels
    x = torch.ones(1, 1, length, dtype=torch.float64, requires_grad=True)
    h = x
    for kernel, stride, *dilation in layers:
        if dilation or kernel == 1 or stride == 1:
            h = F.conv1d(h, torch.ones(1, 1, kernel, dtype=torch.float64), stride=stride, dilation=dilation[0] if dilation else 1)
        else:
            h = F.avg_pool1d(h, kernel, stride)
        (grad,) = torch.autograd.grad(h[0, 0, 0], x, retain_graph=True)
        used = torch.nonzero(grad[0, 0]).flatten()
        fields.append(int(used.max() - used.min()) + 1)
    return fields


def test_receptive_field_matches_the_gradient_footprint_in_torch(rng):
    for _ in range(30):
        layers = []
        for _ in range(int(rng.integers(1, 6))):
            layer = (int(rng.integers(1, 5)), int(rng.integers(1, 4)))
            layers.append(layer + ((int(rng.integers(1, 4)),) if rng.random() < 0.3 else ()))
        assert receptive_field(layers) == measured_receptive_field(layers), layers


def test_receptive_field_rejects_bad_layers_in_one_sentence():
    with pytest.raises(ValueError, match=r"layer 1 must be \(kernel, stride\) or \(kernel, stride, dilation\), got 3"):
        receptive_field([(3, 1), 3])
    with pytest.raises(ValueError, match="layer 0 has stride 0; it must be a positive integer"):
        receptive_field([(3, 0)])


@pytest.mark.parametrize("layers", [3, None, "3x3", 2.5])
def test_receptive_field_asks_for_a_list_of_layers_in_one_sentence(layers):
    with pytest.raises(ValueError, match=r"^receptive_field: layers must be a list of \(kernel, stride\) or "
                                         r"\(kernel, stride, dilation\) tuples, one per layer, such as \[\(3, 1\), \(2, 2\)\]; got "):
        receptive_field(layers)


@pytest.mark.parametrize("layer", [(3, 1), [3, 2, 2]])
def test_receptive_field_recognizes_one_layer_passed_on_its_own(layer):
    with pytest.raises(ValueError, match=re.escape(f"looks like one layer, so pass [{tuple(layer)!r}].")):
        receptive_field(layer)


def test_receptive_field_accepts_any_iterable_of_layers():
    assert receptive_field(iter([(3, 1), (3, 1)])) == receptive_field(((3, 1), (3, 1))) == [3, 5]
