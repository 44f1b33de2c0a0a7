"""``to_torch(specs, input_shape)``: the torch ``nn.Sequential`` described by a list of layer specs.

Layer ``i`` of the spec list is module ``i`` of the Sequential, so a table row and a torch module
can be compared one to one.
"""
import numbers

from ..optional_torch import require_torch
from .specs import AvgPool, Conv, Dropout, Flatten, Linear, MaxPool, ReLU, Tanh, check_input_shape, layer_shapes


def _channel_only_shapes(specs, channels):
    """Input shapes when only the channel count is known: (C, None, None) for images, (None,) for a
    flat input of unknown length."""
    shapes = [(channels, None, None)]
    for spec in specs:
        shape = shapes[-1]
        if isinstance(spec, Conv):
            shape = (spec.out_channels, None, None)
        elif isinstance(spec, Flatten):
            shape = (None,)
        elif isinstance(spec, Linear):
            shape = (spec.out_features,)
        shapes.append(shape)
    return shapes


def _module(spec, input_shape):
    nn = require_torch("course.arithmetic.to_torch").nn

    if isinstance(spec, Conv):
        return nn.Conv2d(input_shape[0], spec.out_channels, spec.kernel, stride=spec.stride, padding=spec.padding,
                         dilation=spec.dilation, groups=spec.groups, bias=spec.bias)
    if isinstance(spec, (MaxPool, AvgPool)):
        pool = nn.MaxPool2d if isinstance(spec, MaxPool) else nn.AvgPool2d
        return pool(spec.kernel, stride=spec.stride, padding=spec.padding, ceil_mode=spec.ceil_mode)
    if isinstance(spec, Linear):
        if input_shape[0] is None:
            return nn.LazyLinear(spec.out_features, bias=spec.bias)
        return nn.Linear(input_shape[0], spec.out_features, bias=spec.bias)
    simple = {Flatten: nn.Flatten, ReLU: nn.ReLU, Tanh: nn.Tanh}
    if type(spec) in simple:
        return simple[type(spec)]()
    if isinstance(spec, Dropout):
        return nn.Dropout(spec.p)
    raise ValueError(f"to_torch: no torch module for {spec!r}.")


def to_torch(specs, input_shape):
    """``torch.nn.Sequential`` with one module per spec.

    ``input_shape`` is (C, H, W) of one example (then every size is checked and each Linear gets
    its exact in_features), or just the number of input channels C (then a Linear after Flatten
    becomes ``nn.LazyLinear``, which learns its input size on the first forward pass).
    Build inside ``with torch.device("meta"):`` to get shapes and parameter counts of a large
    network without allocating its weights.
    """
    nn = require_torch("course.arithmetic.to_torch").nn

    specs = list(specs)
    if isinstance(input_shape, numbers.Integral) and not isinstance(input_shape, bool):
        shapes = _channel_only_shapes(specs, check_input_shape((input_shape,), "to_torch")[0])
    else:
        shapes = layer_shapes(specs, input_shape)
    return nn.Sequential(*(_module(spec, shape) for spec, shape in zip(specs, shapes)))
