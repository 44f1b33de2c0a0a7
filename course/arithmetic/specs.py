"""A small language for describing a network layer by layer, with no weights in it.

A network is a list of specs, for example ``[Conv(6, 5), ReLU(), MaxPool(2), Flatten(),
Linear(10)]``. Given the shape of one example, ``(C, H, W)`` for an image or ``(F,)`` once
flattened (no batch axis), each spec knows its output shape, its number of parameters, its
multiply-adds and its window (kernel, stride, dilation) for the receptive field. The same list
becomes a table (``architecture_table``) or a torch model (``to_torch``). Kernels are square.
"""
from dataclasses import dataclass

from .counts import conv_multiply_adds, conv_params, linear_multiply_adds, linear_params
from .sizes import conv_output_size, pool_output_size, whole_number


class LayerSpec:
    """Defaults for a layer that keeps the shape, has no parameters and looks at one pixel."""

    def output_shape(self, input_shape):
        return tuple(input_shape)

    def parameters(self, input_shape):
        return 0

    def multiply_adds(self, input_shape):
        return 0

    @property
    def window(self):
        """(kernel, stride, dilation) along one axis; None when every output sees the whole input."""
        return (1, 1, 1)

    def describe(self):
        return type(self).__name__

    def _check_whole_numbers(self, **minimums):
        for name, minimum in minimums.items():
            whole_number(getattr(self, name), name, type(self).__name__, minimum)

    def _image(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                f"{self.describe()} needs an image input (C, H, W), got shape {tuple(input_shape)}; "
                "it cannot follow Flatten or Linear."
            )
        return input_shape


def _settings(spec, defaults):
    """", stride 2, pad 1" for the fields of ``spec`` that differ from ``defaults``."""
    words = {"stride": "stride", "padding": "pad", "dilation": "dilation", "groups": "groups"}
    parts = [f", {words[name]} {getattr(spec, name)}" for name, default in defaults.items()
             if getattr(spec, name) not in (default, None)]
    return "".join(parts)


@dataclass(frozen=True)
class Conv(LayerSpec):
    """A 2-D convolution with ``out_channels`` square filters; torch twin ``nn.Conv2d``."""
    out_channels: int
    kernel: int
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    groups: int = 1
    bias: bool = True

    def __post_init__(self):
        self._check_whole_numbers(out_channels=1, kernel=1, stride=1, padding=0, dilation=1, groups=1)

    def output_shape(self, input_shape):
        _, h, w = self._image(input_shape)
        size = lambda n: conv_output_size(n, self.kernel, self.stride, self.padding, self.dilation)  # noqa: E731
        return (self.out_channels, size(h), size(w))

    def parameters(self, input_shape):
        return conv_params(self._image(input_shape)[0], self.out_channels, self.kernel, self.bias, self.groups)

    def multiply_adds(self, input_shape):
        _, out_h, out_w = self.output_shape(input_shape)
        return conv_multiply_adds(input_shape[0], self.out_channels, self.kernel, (out_h, out_w), self.groups)

    @property
    def window(self):
        return (self.kernel, self.stride, self.dilation)

    def describe(self):
        text = f"Conv {self.kernel}x{self.kernel}, {self.out_channels} filters"
        text += _settings(self, {"stride": 1, "padding": 0, "dilation": 1, "groups": 1})
        return text + ("" if self.bias else ", no bias")


@dataclass(frozen=True)
class _Pool(LayerSpec):
    kernel: int
    stride: int = None  # None: the kernel size, as torch
    padding: int = 0
    ceil_mode: bool = False

    def __post_init__(self):
        self._check_whole_numbers(kernel=1, padding=0)
        if self.stride is not None:
            self._check_whole_numbers(stride=1)

    def output_shape(self, input_shape):
        c, h, w = self._image(input_shape)
        size = lambda n: pool_output_size(n, self.kernel, self.stride, self.padding, self.ceil_mode)  # noqa: E731
        return (c, size(h), size(w))

    @property
    def window(self):
        return (self.kernel, self.kernel if self.stride is None else self.stride, 1)

    def describe(self):
        stride = self.kernel if self.stride is None else self.stride
        text = f"{type(self).__name__} {self.kernel}x{self.kernel}, stride {stride}"
        text += _settings(self, {"padding": 0})
        return text + (", ceil" if self.ceil_mode else "")


@dataclass(frozen=True)
class MaxPool(_Pool):
    """Max pooling, per channel, no parameters; torch twin ``nn.MaxPool2d``."""


@dataclass(frozen=True)
class AvgPool(_Pool):
    """Average pooling, per channel, no parameters; torch twin ``nn.AvgPool2d``."""


@dataclass(frozen=True)
class Flatten(LayerSpec):
    """(C, H, W) -> (C*H*W,); torch twin ``nn.Flatten``."""

    def output_shape(self, input_shape):
        size = 1
        for n in input_shape:
            size *= n
        return (size,)


@dataclass(frozen=True)
class Linear(LayerSpec):
    """A fully connected layer to ``out_features``; torch twin ``nn.Linear``. Needs a flat input."""
    out_features: int
    bias: bool = True

    def __post_init__(self):
        self._check_whole_numbers(out_features=1)

    def _features(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(
                f"{self.describe()} needs a flat input (features,), got shape {tuple(input_shape)}; put Flatten() before it."
            )
        return input_shape[0]

    def output_shape(self, input_shape):
        self._features(input_shape)
        return (self.out_features,)

    def parameters(self, input_shape):
        return linear_params(self._features(input_shape), self.out_features, self.bias)

    def multiply_adds(self, input_shape):
        return linear_multiply_adds(self._features(input_shape), self.out_features)

    @property
    def window(self):
        return None

    def describe(self):
        return f"Linear -> {self.out_features}" + ("" if self.bias else ", no bias")


@dataclass(frozen=True)
class ReLU(LayerSpec):
    """torch twin ``nn.ReLU``."""


@dataclass(frozen=True)
class Tanh(LayerSpec):
    """torch twin ``nn.Tanh``."""


@dataclass(frozen=True)
class Dropout(LayerSpec):
    """Inverted dropout with drop probability ``p``; torch twin ``nn.Dropout``."""
    p: float = 0.5

    def __post_init__(self):
        if not 0.0 <= self.p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {self.p!r}.")

    def describe(self):
        return f"Dropout p={self.p:g}"


def check_input_shape(input_shape, function):
    """``input_shape`` as a tuple: (C, H, W) for images or (F,) for flat inputs, without the batch."""
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else None
    if shape is None or len(shape) not in (1, 3):
        raise ValueError(
            f"{function}: input_shape must be the shape of one example, (C, H, W) or (F,), without the batch axis; "
            f"got {input_shape!r}."
        )
    return tuple(whole_number(n, "each entry of input_shape", function, 1) for n in shape)


def layer_shapes(specs, input_shape):
    """The input shape of each layer followed by the final output shape (len(specs) + 1 shapes).

    A layer that does not fit raises ValueError naming the layer, e.g. a kernel larger than its input.
    """
    shapes = [check_input_shape(input_shape, "layer_shapes")]
    for index, spec in enumerate(specs):
        if not isinstance(spec, LayerSpec):
            raise ValueError(f"layer {index} is {spec!r}, not a layer spec such as Conv(6, 5) or ReLU().")
        try:
            shapes.append(tuple(spec.output_shape(shapes[-1])))
        except ValueError as error:
            raise ValueError(f"layer {index} ({spec.describe()}) on input {shapes[-1]}: {error}") from None
    return shapes

