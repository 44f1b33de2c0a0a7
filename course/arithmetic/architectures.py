"""Three classic CNNs written in the layer-spec language, with the variant of each stated.

    LENET5   61,706 parameters    the common modern variant, 1x32x32 input
    ALEXNET  62,378,344           single tower, ungrouped, 3x227x227 input
    VGG16    138,357,544          configuration D, 3x224x224 input

``architecture_table(VGG16.specs, VGG16.input_shape)`` (or ``VGG16.table()``) prints the
arithmetic; ``VGG16.to_torch()`` builds the same network in torch.
"""
from dataclasses import dataclass

from .specs import AvgPool, Conv, Dropout, Flatten, Linear, MaxPool, ReLU, Tanh
from .table import architecture_table


@dataclass(frozen=True)
class Architecture:
    name: str
    input_shape: tuple
    specs: tuple
    variant: str

    def table(self):
        return architecture_table(self.specs, self.input_shape)

    def to_torch(self):
        from .torch_model import to_torch  # torch is imported only when needed

        return to_torch(self.specs, self.input_shape)


LENET5 = Architecture(
    name="LeNet-5",
    input_shape=(1, 32, 32),
    specs=(
        Conv(6, 5), Tanh(), AvgPool(2),            # C1 6x28x28, S2 6x14x14
        Conv(16, 5), Tanh(), AvgPool(2),           # C3 16x10x10, S4 16x5x5
        Conv(120, 5), Tanh(), Flatten(),           # C5 120x1x1
        Linear(84), Tanh(), Linear(10),            # F6, output
    ),
    variant=(
        "The common modern variant of LeCun et al. (1998): 1x32x32 input, tanh, average pooling without "
        "parameters, C3 connected to all 6 maps (2,416 parameters instead of the original partial table's 1,516), "
        "and a 10-way linear output instead of the RBF units: 61,706 parameters. C5 is a 5x5 convolution on a "
        "5x5 map, the same as Linear(400 -> 120)."
    ),
)

ALEXNET = Architecture(
    name="AlexNet",
    input_shape=(3, 227, 227),
    specs=(
        Conv(96, 11, stride=4), ReLU(), MaxPool(3, stride=2),               # 96x55x55 -> 96x27x27
        Conv(256, 5, padding=2), ReLU(), MaxPool(3, stride=2),              # 256x27x27 -> 256x13x13
        Conv(384, 3, padding=1), ReLU(),
        Conv(384, 3, padding=1), ReLU(),
        Conv(256, 3, padding=1), ReLU(), MaxPool(3, stride=2),              # 256x6x6 = 9,216
        Flatten(),
        Dropout(0.5), Linear(4096), ReLU(),
        Dropout(0.5), Linear(4096), ReLU(),
        Linear(1000),
    ),
    variant=(
        "Krizhevsky et al. (2012) as one tower: 227x227 input (so that conv1 gives 55x55 without padding), "
        "96-256-384-384-256 filters with no grouping (the original split conv2, conv4 and conv5 over two GPUs, "
        "which halves their weights), no local response normalization (it has no parameters): 62,378,344 "
        "parameters. torchvision's alexnet is a different variant (64-192-384-256-256 filters, 224 input, "
        "61,100,840 parameters)."
    ),
)


def _vgg_features(configuration):
    """A VGG feature extractor: numbers are 3x3 convolutions (padding 1) with ReLU, "M" a 2x2 max-pool."""
    specs = []
    for item in configuration:
        specs += [MaxPool(2, stride=2)] if item == "M" else [Conv(item, 3, padding=1), ReLU()]
    return specs


VGG16 = Architecture(
    name="VGG-16",
    input_shape=(3, 224, 224),
    specs=tuple(
        _vgg_features([64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"])
        + [Flatten(),
           Linear(4096), ReLU(), Dropout(0.5),
           Linear(4096), ReLU(), Dropout(0.5),
           Linear(1000)]
    ),
    variant=(
        "Simonyan and Zisserman (2014), configuration D: 13 convolutions and 3 fully connected layers on a "
        "224x224 input, 138,357,544 parameters, as torchvision's vgg16 (whose adaptive average pooling to 7x7 "
        "does nothing at 224x224). VGG-19 (configuration E) has 143,667,240."
    ),
)

ARCHITECTURES = (LENET5, ALEXNET, VGG16)
