"""Convolution explorer: pick a handcrafted kernel, a stride and a padding; the (padded) input, the
kernel and the output feature map are drawn side by side, with the output size worked out below.

    explorer = ConvExplorer(image)          # image: a 2-D array (one grey channel)
    explorer                                # shows it in a notebook

``ConvExplorerState`` holds the state and the maths (plain Python, tested headless): the output is
the reference ``course.layers.conv_forward`` (cross-correlation, zero padding), the size comes from
``course.arithmetic.conv_output_size``. ``ConvExplorer`` only wires controls to it and redraws.
"""
import numpy as np
import ipywidgets as widgets
from matplotlib.patches import Rectangle

from ..arithmetic import conv_output_size
from ..layers import conv_forward
from .figure_view import FigureView

# The handcrafted kernels of the lecture. The 5x5 Gaussian's entries sum to 273, so it is divided
# by 273 (and its weights then sum to 1). Sobel x responds to brightness growing to the right,
# Sobel y to brightness growing downwards (cross-correlation: the kernel is not flipped).
KERNELS = {
    "box": np.ones((3, 3)) / 9,
    "Gaussian": np.array([[1, 4, 7, 4, 1],
                          [4, 16, 26, 16, 4],
                          [7, 26, 41, 26, 7],
                          [4, 16, 26, 16, 4],
                          [1, 4, 7, 4, 1]]) / 273,
    "Sobel x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float),
    "Sobel y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=float),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
    "edge": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=float),
}
NORMALIZERS = {"box": 9, "Gaussian": 273}  # the kernels above are whole numbers divided by these


def sample_image(size=32):
    """A grey ``size`` x ``size`` test picture in [0, 1]: a bright square, a disk and a soft ramp."""
    rows, cols = np.mgrid[0:size, 0:size] / size
    image = 0.25 * cols                                                  # ramp from left to right
    image[int(0.15 * size):int(0.5 * size), int(0.1 * size):int(0.45 * size)] = 1.0  # square
    image[(rows - 0.68) ** 2 + (cols - 0.65) ** 2 < 0.2 ** 2] = 0.7     # disk
    return image


class ConvExplorerState:
    """One grey image convolved with one handcrafted kernel at a given stride and padding."""

    def __init__(self, image=None, kernel="Sobel x", stride=1, padding=0):
        image = sample_image() if image is None else np.asarray(image, dtype=np.float64)
        if image.ndim != 2 or min(image.shape) < 1:
            raise ValueError(f"ConvExplorer needs a 2-D grey image (H, W), got an array of shape {image.shape}.")
        self.image = image
        self.kernel_name, self.stride, self.padding = kernel, stride, padding

    @property
    def kernel_name(self):
        return self._kernel_name

    @kernel_name.setter
    def kernel_name(self, name):
        if name not in KERNELS:
            raise ValueError(f"unknown kernel {name!r}; choose one of {', '.join(KERNELS)}.")
        self._kernel_name = name

    @property
    def kernel(self):
        return KERNELS[self._kernel_name]

    def fits(self):
        size = self.kernel.shape[0]
        return all(size <= n + 2 * self.padding for n in self.image.shape)

    def output_size(self):
        """``(H_out, W_out)``, or None if the kernel does not fit in the padded image."""
        if not self.fits():
            return None
        size = self.kernel.shape[0]
        return tuple(conv_output_size(n, size, self.stride, self.padding) for n in self.image.shape)

    def padded_image(self):
        return np.pad(self.image, self.padding)

    def feature_map(self):
        """The output of the reference convolution (2-D), or None if the kernel does not fit."""
        if not self.fits():
            return None
        out, _ = conv_forward(self.image[None, None], self.kernel[None, None], np.zeros(1), self.stride, self.padding)
        return out[0, 0]

    def describe(self):
        """One line: the output-size formula with this setting's numbers."""
        (height, width), size = self.image.shape, self.kernel.shape[0]
        p, s = self.padding, self.stride
        if not self.fits():
            return (f"the {size}×{size} kernel does not fit in the padded {height + 2 * p}×{width + 2 * p} input: "
                    f"add padding")
        h_out, w_out = self.output_size()
        line = f"H_out = ⌊({height} − {size} + 2·{p}) / {s}⌋ + 1 = {h_out}"
        if width != height:
            line += f", W_out = ⌊({width} − {size} + 2·{p}) / {s}⌋ + 1 = {w_out}"
        return f"{line} → output {h_out}×{w_out}"


class ConvExplorer:
    """The widget: kernel, stride and padding on top; input, kernel and output below."""

    def __init__(self, image=None, kernel="Sobel x", stride=1, padding=0):
        self.state = ConvExplorerState(image, kernel, stride, padding)
        style = {"description_width": "70px"}
        self.kernel = widgets.Dropdown(options=list(KERNELS), value=kernel, description="kernel", style=style)
        self.stride = widgets.IntSlider(value=stride, min=1, max=4, description="stride",
                                        continuous_update=False, style=style)
        self.padding = widgets.IntSlider(value=padding, min=0, max=4, description="padding",
                                         continuous_update=False, style=style)
        self.status = widgets.HTML()
        self.view = FigureView(figsize=(10, 3.6), ncols=3)
        self.colorbar = None

        self.kernel.observe(self._on_kernel, names="value")
        self.stride.observe(self._on_stride, names="value")
        self.padding.observe(self._on_padding, names="value")

        controls = widgets.HBox([self.kernel, self.stride, self.padding])
        self.widget = widgets.VBox([controls, self.status, self.view.image])
        self.redraw()

    # -- events: change the state, then redraw ---------------------------------------------
    def _on_kernel(self, change):
        self.state.kernel_name = change["new"]
        self.redraw()

    def _on_stride(self, change):
        self.state.stride = change["new"]
        self.redraw()

    def _on_padding(self, change):
        self.state.padding = change["new"]
        self.redraw()

    # -- display ------------------------------------------------------------------------------
    def redraw(self):
        input_axes, kernel_axes, output_axes = self.view.axes
        for axes in self.view.axes:
            axes.clear()
            axes.set_xticks([])
            axes.set_yticks([])
        state, p = self.state, self.state.padding
        padded = state.padded_image()
        input_axes.imshow(padded, cmap="gray")
        height, width = state.image.shape
        size = state.kernel.shape[0]
        if p:  # the original image inside its frame of zeros
            input_axes.add_patch(Rectangle((p - 0.5, p - 0.5), width, height, fill=False, color="tab:orange",
                                           linestyle="--", linewidth=1))
        input_axes.add_patch(Rectangle((-0.5, -0.5), size, size, fill=False, color="tab:red", linewidth=2,
                                       clip_on=False))
        input_axes.set_title(f"input {height}×{width}" + (f", padded to {height + 2 * p}×{width + 2 * p}" if p else ""))

        limit = np.abs(state.kernel).max()
        kernel_axes.imshow(state.kernel, cmap="coolwarm", vmin=-limit, vmax=limit)
        scale = NORMALIZERS.get(state.kernel_name, 1)  # show whole numbers, the normalizer in the title
        for (row, col), value in np.ndenumerate(state.kernel):
            kernel_axes.text(col, row, f"{value * scale:.0f}", ha="center", va="center", fontsize=9)
        kernel_axes.set_title(f"{state.kernel_name} kernel {size}×{size}" + (f" (× 1/{scale})" if scale > 1 else ""))

        self.output = state.feature_map()
        if self.output is None:
            output_axes.set_title("no output: the kernel does not fit")
        else:
            output_axes.imshow(self.output, cmap="gray")
            output_axes.add_patch(Rectangle((-0.5, -0.5), 1, 1, fill=False, color="tab:red", linewidth=2,
                                       clip_on=False))
            output_axes.set_title(f"output {self.output.shape[0]}×{self.output.shape[1]}, stride {state.stride}")
        self.view.refresh()
        self.status.value = state.describe()
        if self.output is not None:
            self.status.value += " &nbsp; (the red square in the input is the window that gives the red output pixel)"

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
