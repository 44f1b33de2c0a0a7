"""Activation explorer: pick an activation, its alpha and the input range; f(x) and f'(x) redraw,
with the "saturated" inputs (|f'(x)| < 0.01, where almost no gradient flows back) shaded.

    ActivationExplorer()                       # shows it in a notebook
    ActivationExplorer("ELU", alpha=0.5)

``ActivationCurves`` holds the state and the maths (plain Python, tested headless), using the
reference forward and backward passes of ``course.layers``; ``ActivationExplorer`` only wires
controls to it and redraws.
"""
import numpy as np
import ipywidgets as widgets

from .. import layers
from .figure_view import FigureView

SATURATION_THRESHOLD = 0.01

# name -> (forward, backward, takes alpha)
ACTIVATIONS = {
    "sigmoid": (layers.sigmoid_forward, layers.sigmoid_backward, False),
    "tanh": (layers.tanh_forward, layers.tanh_backward, False),
    "ReLU": (layers.relu_forward, layers.relu_backward, False),
    "LeakyReLU": (layers.leaky_relu_forward, layers.leaky_relu_backward, True),
    "ELU": (layers.elu_forward, layers.elu_backward, True),
}


class ActivationCurves:
    """f(x) and f'(x) of one activation on ``points`` inputs evenly spread over [-input_range, input_range]."""

    def __init__(self, name="sigmoid", alpha=0.1, input_range=6.0, points=601):
        self.points = int(points)
        self._name, self._alpha, self._input_range = name, float(alpha), float(input_range)
        self.update()

    def _set(self, attribute, value):
        setattr(self, attribute, value)
        self.update()

    name = property(lambda self: self._name, lambda self, value: self._set("_name", value))
    alpha = property(lambda self: self._alpha, lambda self, value: self._set("_alpha", float(value)))
    input_range = property(lambda self: self._input_range, lambda self, value: self._set("_input_range", float(value)))

    @property
    def uses_alpha(self):
        return ACTIVATIONS[self._name][2]

    def update(self):
        if self._name not in ACTIVATIONS:
            raise ValueError(f"ActivationCurves: unknown activation {self._name!r}; choose one of {list(ACTIVATIONS)}.")
        if self._input_range <= 0:
            raise ValueError(f"ActivationCurves: input_range must be positive, got {self._input_range}.")
        forward, backward, uses_alpha = ACTIVATIONS[self._name]
        self.x = np.linspace(-self._input_range, self._input_range, self.points)
        out, cache = forward(self.x, alpha=self._alpha) if uses_alpha else forward(self.x)
        self.values = out
        self.derivative = backward(np.ones_like(self.x), cache)  # dout = 1 gives f'(x) itself
        self.saturated = np.abs(self.derivative) < SATURATION_THRESHOLD

    @property
    def saturated_fraction(self):
        return float(np.mean(self.saturated))


class ActivationExplorer:
    """The widget: a dropdown and two sliders on top, f and f' side by side below."""

    def __init__(self, name="sigmoid", alpha=0.1, input_range=6.0):
        self.curves = ActivationCurves(name, alpha, input_range)
        style = {"description_width": "90px"}
        self.activation = widgets.Dropdown(options=list(ACTIVATIONS), value=name, description="activation",
                                           style=style)
        self.alpha = widgets.FloatSlider(value=alpha, min=0.0, max=2.0, step=0.01, description="alpha",
                                         continuous_update=False, style=style)
        self.input_range = widgets.FloatSlider(value=input_range, min=0.5, max=20.0, step=0.5,
                                               description="inputs ±", continuous_update=False, style=style)
        self.status = widgets.HTML()
        self.view = FigureView(figsize=(9, 3.6), ncols=2)

        self.activation.observe(self._on_activation, names="value")
        self.alpha.observe(self._on_alpha, names="value")
        self.input_range.observe(self._on_input_range, names="value")

        controls = widgets.HBox([self.activation, self.alpha, self.input_range])
        self.widget = widgets.VBox([controls, self.status, self.view.image])
        self.redraw()

    # -- events: change the state, then redraw ---------------------------------------------
    def _on_activation(self, change):
        self.curves.name = change["new"]
        self.redraw()

    def _on_alpha(self, change):
        self.curves.alpha = change["new"]
        self.redraw()

    def _on_input_range(self, change):
        self.curves.input_range = change["new"]
        self.redraw()

    # -- display ------------------------------------------------------------------------------
    def redraw(self):
        curves = self.curves
        self.alpha.disabled = not curves.uses_alpha
        value_axes, derivative_axes = self.view.axes
        label = f"{curves.name} (alpha = {curves.alpha:g})" if curves.uses_alpha else curves.name
        for axes, data, title in ((value_axes, curves.values, f"{label}: f(x)"),
                                  (derivative_axes, curves.derivative, f"f'(x), saturated where |f'| < {SATURATION_THRESHOLD}")):
            axes.clear()
            axes.fill_between(curves.x, 0, 1, where=curves.saturated, transform=axes.get_xaxis_transform(),
                              color="tab:red", alpha=0.15, linewidth=0)
            axes.plot(curves.x, data, color="tab:blue")
            axes.axhline(0, color="grey", linewidth=0.5)
            axes.axvline(0, color="grey", linewidth=0.5)
            axes.set_title(title)
            axes.set_xlabel("x")
        self.view.refresh()
        self.status.value = (f"<b>{curves.saturated_fraction:.0%}</b> of the inputs in [−{curves.input_range:g}, "
                             f"{curves.input_range:g}] are saturated (|f'(x)| &lt; {SATURATION_THRESHOLD}); "
                             f"max |f'| = <b>{np.max(np.abs(curves.derivative)):.3g}</b>")

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
