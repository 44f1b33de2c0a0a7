"""Latent-space explorer: two sliders pick a point z = (z1, z2) of a two-dimensional latent space;
the decoder's image of that point is drawn beside the encoded data, coloured by class.

    LatentExplorer(decode, codes, labels)      # decode(z) -> image, z a NumPy array of 2 numbers

``decode`` turns one latent point into a picture (a NumPy array, any shape that reshapes to the
image), so the widget needs no torch and is tested headless with stand-ins; the notebook wraps
its decoder in it. ``LatentSpace`` holds the state: the point, its decoded image, the nearest
encoded example and how likely the point is under the standard normal prior. ``LatentExplorer``
wires two sliders to it and redraws through ``FigureView``.
"""
import math

import numpy as np
import ipywidgets as widgets

from .figure_view import FigureView


class LatentSpace:
    """The state: encoded examples ``codes`` (N, 2) with ``labels`` (N,), the chosen ``point`` and
    what ``decode`` makes of it."""

    def __init__(self, decode, codes, labels=None, image_shape=None, point=(0.0, 0.0)):
        if not callable(decode):
            raise ValueError("LatentSpace needs decode(z) -> image, a function of one latent point.")
        codes = np.asarray(codes, dtype=np.float64)
        if codes.ndim != 2 or codes.shape[1] != 2 or len(codes) == 0:
            raise ValueError(f"LatentSpace needs the codes as an array of shape (N, 2), got shape {codes.shape}: "
                             "the explorer shows a two-dimensional latent space.")
        labels = np.zeros(len(codes), dtype=int) if labels is None else np.asarray(labels).ravel()
        if len(labels) != len(codes):
            raise ValueError(f"LatentSpace: {len(labels)} labels for {len(codes)} codes.")
        self.decode, self.codes, self.labels = decode, codes, labels
        self.image_shape = None if image_shape is None else tuple(image_shape)
        self._point = np.zeros(2)
        self.point = point

    @property
    def point(self):
        return self._point.copy()

    @point.setter
    def point(self, value):
        value = np.asarray(value, dtype=np.float64).ravel()
        if value.shape != (2,):
            raise ValueError(f"a latent point has two coordinates, got {value.tolist()}.")
        self._point = value
        self.image = self._decoded()

    def move(self, axis, value):
        """Set one coordinate (0 or 1) of the point, keep the other."""
        point = self.point
        point[axis] = float(value)
        self.point = point

    def _decoded(self):
        image = np.asarray(self.decode(self.point.copy()), dtype=np.float64)
        if self.image_shape is not None:
            return image.reshape(self.image_shape)
        if image.ndim == 1:  # flat pixels of a square image
            side = math.isqrt(image.size)
            if side * side != image.size:
                raise ValueError(f"decode returned {image.size} values, not a square image; pass image_shape.")
            return image.reshape(side, side)
        return image.reshape(image.shape[-2:])

    def nearest(self):
        """``(index, label, distance)`` of the encoded example closest to the point."""
        distances = np.linalg.norm(self.codes - self._point, axis=1)
        index = int(np.argmin(distances))
        return index, self.labels[index], float(distances[index])

    def prior_density_ratio(self):
        """p(z) / p(0) under the standard normal prior: exp(-|z|^2 / 2)."""
        return math.exp(-0.5 * float(self._point @ self._point))

    def describe(self):
        _, label, distance = self.nearest()
        z1, z2 = self._point
        return (f"z = ({z1:+.2f}, {z2:+.2f}): the prior's density here is {100 * self.prior_density_ratio():.0f} % of "
                f"its peak at 0; the nearest encoded example is a {label} (distance {distance:.2f})")


class LatentExplorer:
    """The widget: sliders for z1 and z2 on top; the encoded data with the point marked, and the
    decoded image, below."""

    def __init__(self, decode, codes, labels=None, image_shape=None, limit=3.0, point=(0.0, 0.0), class_names=None):
        self.state = LatentSpace(decode, codes, labels, image_shape, point)
        style = {"description_width": "30px"}
        self.sliders = [widgets.FloatSlider(value=float(value), min=-limit, max=limit, step=0.05, description=name,
                                            continuous_update=False, style=style, readout_format=".2f")
                        for name, value in zip(("z1", "z2"), self.state.point)]
        self.z1, self.z2 = self.sliders
        self.status = widgets.HTML()
        self.view = FigureView(figsize=(9, 4.2), ncols=2, gridspec_kw={"width_ratios": [1.3, 1]})
        self._draw_static(limit, class_names)
        for axis, slider in enumerate(self.sliders):
            slider.observe(lambda change, axis=axis: self._on_slider(axis, change), names="value")
        self.widget = widgets.VBox([widgets.HBox(self.sliders), self.status, self.view.image])
        self.redraw()

    def _draw_static(self, limit, class_names):
        """The scatter of the codes and the image axes, once; ``redraw`` moves the marker only."""
        codes_axes, image_axes = self.view.axes
        labels = self.state.labels
        classes = np.unique(labels)
        ten_classes = np.issubdtype(labels.dtype, np.integer) and classes.min() >= 0 and classes.max() <= 9
        colours = dict(vmin=0, vmax=9) if ten_classes else {}  # the same colour for a digit in every plot
        scatter = codes_axes.scatter(self.state.codes[:, 0], self.state.codes[:, 1], c=labels, cmap="tab10", s=6,
                                     alpha=0.6, **colours)
        if len(classes) > 1:
            handles, names = scatter.legend_elements()
            if class_names is not None:
                names = [str(class_names[int(c)]) for c in classes]
            codes_axes.legend(handles, names, fontsize=7, loc="upper right", ncol=2, framealpha=0.6)
        codes_axes.set(xlim=(-limit, limit), ylim=(-limit, limit), xlabel="z1", ylabel="z2",
                       title="encoded examples (the means of q(z|x))")
        codes_axes.set_aspect("equal")
        (self.marker,) = codes_axes.plot([], [], marker="x", color="black", markersize=12, markeredgewidth=3)
        self.picture = image_axes.imshow(self.state.image, cmap="gray", vmin=0.0, vmax=1.0)
        image_axes.set_xticks([])
        image_axes.set_yticks([])

    def _on_slider(self, axis, change):
        self.state.move(axis, change["new"])
        self.redraw()

    def redraw(self):
        z1, z2 = self.state.point
        self.marker.set_data([z1], [z2])
        self.picture.set_data(self.state.image)
        self.view.axes[1].set_title(f"decoded image of z = ({z1:+.2f}, {z2:+.2f})")
        self.view.refresh()
        self.status.value = self.state.describe()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
