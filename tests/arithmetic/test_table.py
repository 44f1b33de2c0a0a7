import pytest
import torch

from course.arithmetic.specs import AvgPool, Conv, Dropout, Flatten, Linear, MaxPool, ReLU, Tanh, layer_shapes
from course.arithmetic.table import architecture_table
from course.arithmetic.torch_model import to_torch


def random_network(rng):
    """A small random CNN as specs, and its input shape."""
    specs = []
    channels, size = int(rng.integers(1, 4)), int(rng.integers(12, 20))
    for _ in range(int(rng.integers(1, 4))):
        kernel = int(rng.integers(1, 4))
        specs += [Conv(int(rng.integers(1, 6)), kernel, stride=int(rng.integers(1, 3)), padding=int(rng.integers(0, 2)),
                       dilation=int(rng.integers(1, 3))), ReLU()]
        pool = MaxPool if rng.random() < 0.5 else AvgPool
        specs.append(pool(2, ceil_mode=bool(rng.integers(0, 2))))
    specs += [Flatten(), Linear(int(rng.integers(2, 9))), Tanh(), Dropout(0.2), Linear(3)]
    return specs, (channels, size, size)


def test_random_networks_match_torch_shapes_and_parameter_counts(rng):
    compared = 0
    while compared < 6:
        specs, input_shape = random_network(rng)
        try:
            table = architecture_table(specs, input_shape)
        except ValueError:
            continue  # the random layers shrank the image below a kernel; that error is tested below
        compared += 1
        model = to_torch(specs, input_shape).eval()
        x = torch.zeros(2, *input_shape)
        with torch.no_grad():
            for row, module in zip(table, model):
                x = module(x)
                assert row.output_shape == tuple(x.shape[1:])
                assert row.parameters == sum(p.numel() for p in module.parameters())


def test_to_torch_with_only_the_channel_count_uses_lazy_linear(rng):
    specs = [Conv(4, 3), ReLU(), MaxPool(2), Flatten(), Linear(5), ReLU(), Linear(2)]
    model = to_torch(specs, 3)
    assert isinstance(model[4], torch.nn.LazyLinear) and model[6].in_features == 5
    with torch.no_grad():
        model(torch.zeros(1, 3, 10, 10))  # the lazy layer learns in_features = 4 * 4 * 4
    assert sum(p.numel() for p in model.parameters()) == architecture_table(specs, (3, 10, 10)).total_parameters


def test_table_prints_as_text_and_markdown():
    specs = [Conv(6, 5), ReLU(), MaxPool(2), Flatten(), Linear(10)]
    table = architecture_table(specs, (3, 32, 32))
    text = str(table)
    assert "receptive field" in text and "6x28x28" in text and "6x14x14" in text and "whole input" in text
    assert f"{456 + 1176 * 10 + 10:,}" in text.splitlines()[-1]  # the total line
    markdown = table.to_markdown()
    assert markdown == table._repr_markdown_()
    assert len(markdown.splitlines()) == len(specs) + 4  # header, alignment, input, layers, total
    assert markdown.splitlines()[3].startswith("| 0 | Conv 5x5, 6 filters | 6x28x28 | 456 | 352,800 | 5 |")
    assert "5 layers" in repr(table)


def test_specs_and_table_reject_bad_networks_in_one_sentence():
    with pytest.raises(ValueError, match=r"Linear -> 10 needs a flat input .* put Flatten\(\) before it"):
        architecture_table([Conv(6, 5), Linear(10)], (3, 32, 32))
    with pytest.raises(ValueError, match=r"layer 2 \(Conv 5x5, 16 filters\) on input \(6, 4, 4\): .*kernel does not fit"):
        architecture_table([Conv(6, 5), MaxPool(2), Conv(16, 5)], (1, 12, 12))
    with pytest.raises(ValueError, match="input_shape must be the shape of one example"):
        architecture_table([ReLU()], (1, 3, 32, 32))
    with pytest.raises(ValueError, match="Conv: kernel must be an integer >= 1, got 0"):
        Conv(6, 0)
    with pytest.raises(ValueError, match="needs an image input"):
        layer_shapes([Flatten(), MaxPool(2)], (1, 4, 4))
