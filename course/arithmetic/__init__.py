"""Convolution arithmetic: output sizes, parameter and multiply-add counts, receptive fields, and
a small layer-spec language that turns a list of layers into a table or a torch model.

All sizes follow torch (``nn.Conv2d``, ``nn.ConvTranspose2d``, ``nn.MaxPool2d``) along one
spatial axis, with ``padding`` counted per side.
"""
from .architectures import ALEXNET, ARCHITECTURES, LENET5, VGG16, Architecture
from .counts import conv_multiply_adds, conv_params, linear_multiply_adds, linear_params
from .receptive_field import receptive_field
from .sizes import conv_output_size, conv_transpose_output_size, effective_kernel_size, pool_output_size
from .specs import AvgPool, Conv, Dropout, Flatten, LayerSpec, Linear, MaxPool, ReLU, Tanh, layer_shapes
from .table import ArchitectureTable, LayerRow, architecture_table
from .torch_model import to_torch
