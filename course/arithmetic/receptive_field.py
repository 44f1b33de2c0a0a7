"""Receptive fields: how many input pixels (along one axis) one output value can see.

Going forward through the layers, each layer widens the field by ``(k - 1) * d`` of *its own*
input pixels; one of those is as far apart in the original input as the product of the strides
of all earlier layers (the "jump"). So with r_0 = 1 and jump_0 = 1:

    r_l = r_{l-1} + (k_l - 1) * d_l * jump_{l-1},        jump_l = jump_{l-1} * s_l

A layer's own stride does not widen its own field; it spreads out the next layer's taps.
Pooling counts exactly like a convolution with the same kernel and stride; padding does not
change the field.
"""
import numbers
from collections.abc import Iterable


def _layer(layer, index):
    if not isinstance(layer, (tuple, list)) or len(layer) not in (2, 3):
        raise ValueError(
            f"receptive_field: layer {index} must be (kernel, stride) or (kernel, stride, dilation), got {layer!r}."
        )
    values = tuple(layer) + ((1,) if len(layer) == 2 else ())
    for name, value in zip(("kernel", "stride", "dilation"), values):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"receptive_field: layer {index} has {name} {value!r}; it must be a positive integer.")
    return tuple(int(v) for v in values)


def receptive_field(layers):
    """The receptive field (in input pixels, along one axis) after each layer.

    ``layers``: a sequence of ``(kernel, stride)`` or ``(kernel, stride, dilation)``.
    Examples: three 3x3 convolutions -> [3, 5, 7];
    conv 3/1, max-pool 2/2, conv 1/1, max-pool 4/2 -> [3, 4, 4, 10].
    """
    if isinstance(layers, (str, bytes, dict)) or not isinstance(layers, Iterable):
        raise ValueError(
            "receptive_field: layers must be a list of (kernel, stride) or (kernel, stride, dilation) tuples, "
            f"one per layer, such as [(3, 1), (2, 2)]; got {layers!r}."
        )
    layers = list(layers)
    if layers and all(isinstance(value, numbers.Integral) for value in layers) and len(layers) in (2, 3):
        raise ValueError(
            f"receptive_field: layers must be a list of layers; {tuple(layers)!r} looks like one layer, "
            f"so pass [{tuple(layers)!r}]."
        )
    fields = []
    field, jump = 1, 1
    for index, layer in enumerate(layers):
        kernel, stride, dilation = _layer(layer, index)
        field += (kernel - 1) * dilation * jump
        jump *= stride
        fields.append(field)
    return fields
