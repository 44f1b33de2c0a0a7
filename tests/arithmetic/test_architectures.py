"""The three shipped networks against torch modules built from the same specs (on the meta device:
shapes and parameter counts without allocating 138 million weights) and against the corrected
numbers of the lecture notes."""
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from course.arithmetic.architectures import ALEXNET, ARCHITECTURES, LENET5, VGG16
from course.arithmetic.specs import Conv, MaxPool, AvgPool


def run_layer_by_layer_on_meta(architecture):
    """Output shape, parameter count and multiply-adds of each torch module, from a batch of 1."""
    with torch.device("meta"):
        model = architecture.to_torch()
        x = torch.zeros(1, *architecture.input_shape)
    shapes = []
    for module in model:
        module.register_forward_hook(lambda module, inputs, output: shapes.append(tuple(output.shape[1:])))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    flops = counter.get_flop_counts()
    multiply_adds = [sum(flops.get(f"Sequential.{i}", {}).values()) // 2 for i in range(len(model))]
    parameters = [sum(p.numel() for p in module.parameters()) for module in model]
    return shapes, parameters, multiply_adds


@pytest.mark.parametrize("architecture", ARCHITECTURES, ids=lambda a: a.name)
def test_table_matches_the_torch_model_layer_by_layer(architecture):
    table = architecture.table()
    shapes, parameters, multiply_adds = run_layer_by_layer_on_meta(architecture)
    assert [row.output_shape for row in table] == shapes
    assert [row.parameters for row in table] == parameters
    assert [row.multiply_adds for row in table] == multiply_adds


@pytest.mark.parametrize("architecture, total", [(LENET5, 61_706), (ALEXNET, 62_378_344), (VGG16, 138_357_544)],
                         ids=["LeNet-5", "AlexNet", "VGG-16"])
def test_total_parameters_are_the_corrected_numbers_of_the_notes(architecture, total):
    assert architecture.table().total_parameters == total
    assert f"{total:,}" in str(architecture.table()) and architecture.variant


def test_lenet5_receptive_fields_reach_the_whole_32x32_image():
    """seed-notes-001 §3 #13: C1, S2, C3, S4, C5 see 5, 6, 14, 16, 32 pixels; F6 sees everything."""
    rows = [row for row, spec in zip(LENET5.table(), LENET5.specs) if isinstance(spec, (Conv, MaxPool, AvgPool))]
    assert [row.receptive_field for row in rows] == [5, 6, 14, 16, 32]
    assert [row.parameters for row in rows] == [156, 0, 2416, 0, 48120]
    assert LENET5.table()[-1].receptive_field is None


def test_alexnet_layers_match_the_corrected_table_of_the_notes():
    """seed-notes-003-004 §3: conv and fully connected parameters with one bias per unit (the notes
    count one per layer for the FC layers; corrected here), output sizes 55, 27, 27, 13, 13, 13, 13, 6."""
    weighted = [row for row in ALEXNET.table() if row.parameters]
    assert [row.parameters for row in weighted] == [34_944, 614_656, 885_120, 1_327_488, 884_992,
                                                    37_752_832, 16_781_312, 4_097_000]
    spatial = [row.output_shape for row, spec in zip(ALEXNET.table(), ALEXNET.specs) if isinstance(spec, (Conv, MaxPool))]
    assert [shape[1:] for shape in spatial] == [(55, 55), (27, 27), (27, 27), (13, 13), (13, 13), (13, 13), (13, 13), (6, 6)]
    assert ALEXNET.table()[12].output_shape == (256, 6, 6)  # 9,216 values into the first FC layer


def test_vgg16_has_13_convolutions_and_3_fully_connected_layers():
    table = VGG16.table()
    layers = [row.layer.split()[0] for row in table]
    assert layers.count("Conv") == 13 and layers.count("Linear") == 3
    assert table[-1].output_shape == (1000,)
    assert table.total_multiply_adds == 15_470_264_320  # about 15.5 G multiply-adds per 224x224 image
