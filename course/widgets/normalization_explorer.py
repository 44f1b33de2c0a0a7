"""Normalization explorer: a batch pushed through a deep stack of random affine + tanh (or ReLU)
layers, with no normalization, BatchNorm or LayerNorm before each activation. One histogram per
layer shows how the activations saturate or collapse without normalization and stay steady with it.

    explorer = NormalizationExplorer()      # shows it in a notebook

``DeepStackActivations`` holds the state and the maths (plain Python, the reference layers,
tested headless); ``NormalizationExplorer`` only wires controls to it and redraws.
"""
import numpy as np
import ipywidgets as widgets

from ..layers.batchnorm import batchnorm_forward
from ..layers.layer_group_norm import layernorm_forward
from .figure_view import FigureView

NORMALIZATIONS = ("none", "BatchNorm", "LayerNorm")
ACTIVATIONS = {"tanh": np.tanh, "ReLU": lambda z: np.maximum(z, 0.0)}
SHOWN_LAYERS = 6  # histograms drawn: spread evenly from the first layer to the last


class DeepStackActivations:
    """``depth`` layers ``h <- activation(normalize(h @ W + b))`` with ``W ~ N(0, weight_scale**2)``.

    ``normalization`` is 'none', 'BatchNorm' (training mode: batch statistics, gamma = 1,
    beta = 0) or 'LayerNorm'. ``activations`` holds each layer's output, ``means`` and ``stds``
    their statistics over all units. Every setter recomputes; the weights depend only on ``seed``.
    """

    def __init__(self, depth=10, weight_scale=0.05, normalization="none", activation="tanh",
                 batch_size=200, width=100, seed=0):
        if normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}.")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}, got {activation!r}.")
        if int(depth) < 1 or weight_scale <= 0:
            raise ValueError(f"depth must be >= 1 and weight_scale > 0, got {depth} and {weight_scale}.")
        self._depth, self._weight_scale = int(depth), float(weight_scale)
        self._normalization, self._activation = normalization, activation
        self.batch_size, self.width, self.seed = int(batch_size), int(width), seed
        self.recompute()

    def _setting(name):  # noqa: N805 - builds a property that recomputes when it is set
        def get(self):
            return getattr(self, "_" + name)

        def set_(self, value):
            setattr(self, "_" + name, value)
            self.recompute()
        return property(get, set_)

    depth = _setting("depth")
    weight_scale = _setting("weight_scale")
    normalization = _setting("normalization")
    activation = _setting("activation")
    del _setting

    def recompute(self):
        rng = np.random.default_rng(self.seed)
        h = rng.normal(size=(self.batch_size, self.width))
        ones, zeros = np.ones(self.width), np.zeros(self.width)
        activate = ACTIVATIONS[self._activation]
        self.activations = []
        with np.errstate(all="ignore"):
            for _ in range(int(self._depth)):
                z = h @ (self._weight_scale * rng.normal(size=(self.width, self.width)))
                if self._normalization == "BatchNorm":
                    z = batchnorm_forward(z, ones, zeros, {"mode": "train"})[0]
                elif self._normalization == "LayerNorm":
                    z = layernorm_forward(z, ones, zeros)[0]
                h = activate(z)
                self.activations.append(h)
        self.means = np.array([a.mean() for a in self.activations])
        self.stds = np.array([a.std() for a in self.activations])

    def shown_layers(self):
        """Indices (0-based) of the layers whose histograms are drawn."""
        spread = np.linspace(0, self._depth - 1, min(SHOWN_LAYERS, self._depth)).round()
        return sorted({int(i) for i in spread})


class NormalizationExplorer:
    """The widget: controls on top; per-layer histograms and the mean/std per layer below."""

    def __init__(self, depth=10, weight_scale=0.05, normalization="none", activation="tanh", seed=0):
        self.state = DeepStackActivations(depth, weight_scale, normalization, activation, seed=seed)
        style = {"description_width": "110px"}
        self.normalization = widgets.ToggleButtons(options=list(NORMALIZATIONS), value=normalization,
                                                   description="normalization", style=style)
        self.activation = widgets.ToggleButtons(options=list(ACTIVATIONS), value=activation,
                                                description="activation", style=style)
        self.depth = widgets.IntSlider(value=depth, min=1, max=50, description="depth", continuous_update=False,
                                       style=style)
        self.weight_scale = widgets.FloatLogSlider(value=weight_scale, base=10, min=-3, max=0.5, step=0.05,
                                                   description="weight scale", continuous_update=False, style=style)
        self.status = widgets.HTML()
        self.view = FigureView(figsize=(10, 5.5))
        self.view.figure.clear()
        grid = self.view.figure.add_gridspec(2, SHOWN_LAYERS)
        self.histogram_axes = [self.view.figure.add_subplot(grid[0, i]) for i in range(SHOWN_LAYERS)]
        self.statistics_axes = self.view.figure.add_subplot(grid[1, :])
        self.view.axes = [*self.histogram_axes, self.statistics_axes]

        for control, name in ((self.normalization, "normalization"), (self.activation, "activation"),
                              (self.depth, "depth"), (self.weight_scale, "weight_scale")):
            control.observe(self._on_change(name), names="value")
        controls = widgets.VBox([self.normalization, self.activation, self.depth, self.weight_scale])
        self.widget = widgets.VBox([controls, self.status, self.view.image])
        self.redraw()

    def _on_change(self, name):
        def handler(change):
            setattr(self.state, name, change["new"])
            self.redraw()
        return handler

    def redraw(self):
        state = self.state
        shown = state.shown_layers()
        limits = (-1.05, 1.05) if state.activation == "tanh" else (0.0, max(1e-3, max(a.max() for a in state.activations)))
        for i, ax in enumerate(self.histogram_axes):
            ax.clear()
            if i < len(shown):
                values = state.activations[shown[i]].ravel()
                ax.hist(values[np.isfinite(values)], bins=40, range=limits, color="C0")
                ax.set_title(f"layer {shown[i] + 1}", fontsize=9)
                ax.set_yticks([])
            else:
                ax.axis("off")
            ax.tick_params(labelsize=7)
        axes = self.statistics_axes
        axes.clear()
        layers = np.arange(1, state.depth + 1)
        axes.plot(layers, state.means, "o-", label="mean")
        axes.plot(layers, state.stds, "s-", label="std")
        axes.set_xlabel("layer")
        axes.set_title(f"{state.normalization}, {state.activation}, weight scale {state.weight_scale:.3g}")
        axes.legend(loc="upper right")
        self.view.refresh()
        self.status.value = (f"last layer: mean <b>{state.means[-1]:.3f}</b> &nbsp; "
                             f"std <b>{state.stds[-1]:.3f}</b>")

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
