"""How many parameters a layer has, and how many multiply-adds it costs for one example.

A convolution has one (C_in / groups) x k x k filter per output channel plus one bias per output
channel; a fully connected layer has one weight per (input, output) pair plus one bias per output.
Multiply-adds (MACs) count the products of weights with inputs, one per weight per output
position; bias additions, activations and pooling are not counted (the usual convention, and
what ``torch.utils.flop_counter`` reports, which counts one MAC as 2 FLOPs).
"""
from .sizes import whole_number


def _square_kernel(kernel, function):
    if isinstance(kernel, (tuple, list)):
        if len(kernel) != 2:
            raise ValueError(f"{function}: kernel must be an int or a pair (kh, kw), got {kernel!r}.")
        return tuple(whole_number(k, "kernel", function, 1) for k in kernel)
    kernel = whole_number(kernel, "kernel", function, 1)
    return kernel, kernel


def _check_groups(c_in, c_out, groups, function):
    groups = whole_number(groups, "groups", function, 1)
    if c_in % groups or c_out % groups:
        raise ValueError(
            f"{function}: groups={groups} must divide both c_in={c_in} and c_out={c_out} "
            "(each group connects c_in/groups inputs to c_out/groups outputs)."
        )
    return groups


def conv_params(c_in, c_out, kernel, bias=True, groups=1):
    """``c_out * (c_in / groups) * kh * kw`` weights, plus ``c_out`` biases if ``bias``.

    ``kernel`` is an int (square) or a pair (kh, kw). Equals the number of parameters of
    ``torch.nn.Conv2d(c_in, c_out, kernel, bias=bias, groups=groups)``.
    Example: 6 filters of 5x5 on 3 channels: 6 * 3 * 25 + 6 = 456.
    """
    function = "conv_params"
    c_in = whole_number(c_in, "c_in", function, 1)
    c_out = whole_number(c_out, "c_out", function, 1)
    kh, kw = _square_kernel(kernel, function)
    groups = _check_groups(c_in, c_out, groups, function)
    return c_out * (c_in // groups) * kh * kw + (c_out if bias else 0)


def linear_params(in_features, out_features, bias=True):
    """``in_features * out_features`` weights plus ``out_features`` biases, as ``torch.nn.Linear``."""
    in_features = whole_number(in_features, "in_features", "linear_params", 1)
    out_features = whole_number(out_features, "out_features", "linear_params", 1)
    return in_features * out_features + (out_features if bias else 0)


def conv_multiply_adds(c_in, c_out, kernel, output_size, groups=1):
    """Multiply-adds of one convolution on one example: every one of the ``c_out * out_h * out_w``
    outputs is a dot product of length ``(c_in / groups) * kh * kw``.

    ``output_size`` is the spatial size of the output, an int (square) or (out_h, out_w).
    """
    function = "conv_multiply_adds"
    kh, kw = _square_kernel(kernel, function)
    out_h, out_w = _square_kernel(output_size, function)
    groups = _check_groups(c_in, c_out, groups, function)
    return c_out * out_h * out_w * (c_in // groups) * kh * kw


def linear_multiply_adds(in_features, out_features):
    """Multiply-adds of a fully connected layer on one example: one per weight."""
    return linear_params(in_features, out_features, bias=False)
