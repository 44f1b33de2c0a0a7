"""Output sizes of convolution, transposed convolution and pooling along one spatial axis.

Every formula counts how many positions a window can take. A kernel of size k with dilation d
spans ``d * (k - 1) + 1`` input pixels (its *effective* size); with ``padding`` zeros on each side
the padded input has ``n + 2 * padding`` pixels, and a window that would stick out at the end is
dropped (the floor), exactly as torch does.
"""
import numbers


def whole_number(value, name, function, minimum):
    """``value`` as an int, or a ValueError naming ``function`` if it is not an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{function}: {name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def effective_kernel_size(kernel, dilation=1):
    """Number of input pixels a dilated kernel spans: ``dilation * (kernel - 1) + 1``."""
    return dilation * (kernel - 1) + 1


def conv_output_size(n, kernel, stride=1, padding=0, dilation=1):
    """``floor((n + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1``.

    Output length of ``torch.nn.Conv2d`` (along one axis) on an input of length ``n``, with
    ``padding`` zeros on *each* side. Raises ValueError when the kernel does not fit at all.
    Example: (32, 5) -> 28, (7, 3, stride=2) -> 3, (227, 11, stride=4) -> 55.
    """
    function = "conv_output_size"
    n = whole_number(n, "n", function, 1)
    kernel = whole_number(kernel, "kernel", function, 1)
    stride = whole_number(stride, "stride", function, 1)
    padding = whole_number(padding, "padding", function, 0)
    dilation = whole_number(dilation, "dilation", function, 1)
    span = effective_kernel_size(kernel, dilation)
    padded = n + 2 * padding
    if span > padded:
        raise ValueError(
            f"{function}: the kernel does not fit: it spans {span} pixels (kernel {kernel}, dilation {dilation}) "
            f"but the padded input has only {padded} (n={n} plus {padding} on each side)."
        )
    return (padded - span) // stride + 1


def conv_transpose_output_size(n, kernel, stride=1, padding=0, output_padding=0, dilation=1):
    """``(n - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1``.

    Output length of ``torch.nn.ConvTranspose2d``: the input size of a convolution with the same
    settings that would produce ``n`` outputs. Several input sizes give the same conv output (the
    floor), and ``output_padding`` (smaller than the stride or the dilation) picks a larger one.
    """
    function = "conv_transpose_output_size"
    n = whole_number(n, "n", function, 1)
    kernel = whole_number(kernel, "kernel", function, 1)
    stride = whole_number(stride, "stride", function, 1)
    padding = whole_number(padding, "padding", function, 0)
    output_padding = whole_number(output_padding, "output_padding", function, 0)
    dilation = whole_number(dilation, "dilation", function, 1)
    if output_padding >= max(stride, dilation):
        raise ValueError(
            f"{function}: output_padding must be smaller than the stride or the dilation "
            f"(stride={stride}, dilation={dilation}), got {output_padding}."
        )
    size = (n - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    if size < 1:
        raise ValueError(f"{function}: the padding {padding} removes everything; the output would have size {size}.")
    return size


def pool_output_size(n, kernel, stride=None, padding=0, ceil_mode=False):
    """Output length of ``torch.nn.MaxPool2d`` / ``AvgPool2d``; ``stride`` defaults to ``kernel``.

    ``floor((n + 2 * padding - kernel) / stride) + 1``, or with ``ceil_mode`` the ceiling, which
    keeps a last, partial window, but only if that window starts inside the input or the left
    padding (torch's rule: a window lying entirely in the right padding is dropped).
    torch also requires ``padding <= kernel // 2``.
    """
    function = "pool_output_size"
    n = whole_number(n, "n", function, 1)
    kernel = whole_number(kernel, "kernel", function, 1)
    stride = kernel if stride is None else whole_number(stride, "stride", function, 1)
    padding = whole_number(padding, "padding", function, 0)
    if padding > kernel // 2:
        raise ValueError(f"{function}: padding must be at most half the kernel ({kernel // 2}), got {padding}.")
    round_up = stride - 1 if ceil_mode else 0  # integer ceiling: (a + s - 1) // s
    size = (n + 2 * padding - kernel + round_up) // stride + 1
    if ceil_mode and (size - 1) * stride >= n + padding:
        size -= 1  # the last window would start in the right padding
    if size < 1:
        raise ValueError(
            f"{function}: the kernel does not fit: it is {kernel} pixels wide but the padded input has only "
            f"{n + 2 * padding} (n={n} plus {padding} on each side)."
        )
    return size
