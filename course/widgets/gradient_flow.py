"""Gradient flow through time in a vanilla RNN: the spectral radius of the recurrent matrix, the
nonlinearity and the size of the inputs as controls; the norm of dL/dh_t, step by step back from
the last step, on a log scale.

    GradientFlowExplorer()                               # shows it in a notebook
    GradientFlowExplorer(spectral_radius=1.2, nonlinearity="linear")

``GradientFlow`` holds the state and the maths (plain NumPy, tested headless): a random recurrent
matrix ``W`` rescaled to the chosen spectral radius, the states ``h_t = f(u_t + h_{t-1} W)`` for
random inputs ``u_t``, and backpropagation through time of a random unit gradient at the last
step, ``g_{t-1} = (g_t * f'(a_t)) W^T``. For a linear RNN the norm behaves like radius^k after k
steps back; tanh can only shrink it further (|tanh'| <= 1), more so the larger the inputs.
``GradientFlowExplorer`` only wires controls to it and redraws.
"""
import numpy as np
import ipywidgets as widgets

from .figure_view import FigureView

# name -> (f, f' given the pre-activation a)
NONLINEARITIES = {
    "linear": (lambda a: a, lambda a: np.ones_like(a)),
    "tanh": (np.tanh, lambda a: 1.0 - np.tanh(a) ** 2),
    "ReLU": (lambda a: np.maximum(a, 0.0), lambda a: (a > 0).astype(float)),
}
VANISHED, EXPLODED = 1e-3, 1e3


class GradientFlow:
    """||dL/dh_t|| for t = T, T-1, ..., 0 in a random RNN with ``hidden`` units (seeded)."""

    def __init__(self, spectral_radius=1.0, nonlinearity="tanh", steps=50, input_scale=1.0, hidden=64, seed=0):
        self._radius, self._nonlinearity = float(spectral_radius), nonlinearity
        self._steps, self._input_scale = int(steps), float(input_scale)
        self.hidden, self.seed = int(hidden), int(seed)
        self.update()

    def _set(self, attribute, value):
        setattr(self, attribute, value)
        self.update()

    spectral_radius = property(lambda self: self._radius, lambda self, v: self._set("_radius", float(v)))
    nonlinearity = property(lambda self: self._nonlinearity, lambda self, v: self._set("_nonlinearity", v))
    steps = property(lambda self: self._steps, lambda self, v: self._set("_steps", int(v)))
    input_scale = property(lambda self: self._input_scale, lambda self, v: self._set("_input_scale", float(v)))

    def update(self):
        if self._nonlinearity not in NONLINEARITIES:
            raise ValueError(f"GradientFlow: unknown nonlinearity {self._nonlinearity!r}; choose one of "
                             f"{list(NONLINEARITIES)}.")
        if self._radius <= 0 or self._steps < 1 or self._input_scale < 0:
            raise ValueError("GradientFlow needs a positive spectral radius, at least one step and input_scale >= 0.")
        f, derivative = NONLINEARITIES[self._nonlinearity]
        rng = np.random.default_rng(self.seed)
        W = rng.normal(size=(self.hidden, self.hidden))
        self.W = W * (self._radius / np.max(np.abs(np.linalg.eigvals(W))))
        inputs = rng.normal(size=(self._steps, self.hidden)) * self._input_scale
        gradient = rng.normal(size=self.hidden)
        gradient /= np.linalg.norm(gradient)
        h, pre_activations = np.zeros(self.hidden), []
        with np.errstate(over="ignore", invalid="ignore"):
            for u in inputs:
                a = u + h @ self.W
                pre_activations.append(a)
                h = f(a)
            norms = [1.0]
            for a in reversed(pre_activations):
                gradient = (gradient * derivative(a)) @ self.W.T
                norms.append(float(np.linalg.norm(gradient)))
        self.norms = np.array(norms)              # norms[k] = ||dL/dh_{T-k}||, norms[0] = 1
        self.steps_back = np.arange(self._steps + 1)
        self.linear_rate = self._radius ** self.steps_back.astype(float)

    @property
    def final_ratio(self):
        """||dL/dh_0|| / ||dL/dh_T||: what is left of the gradient after all the steps back."""
        return float(self.norms[-1])

    @property
    def verdict(self):
        ratio = self.final_ratio
        if not np.isfinite(ratio) or ratio > EXPLODED:
            return "exploding"
        if ratio < VANISHED:
            return "vanishing"
        return "kept"


class GradientFlowExplorer:
    """The widget: sliders for the spectral radius, the steps and the input size, a dropdown for
    the nonlinearity; the gradient norm through time below."""

    def __init__(self, spectral_radius=1.0, nonlinearity="tanh", steps=50, input_scale=1.0):
        self.flow = GradientFlow(spectral_radius, nonlinearity, steps, input_scale)
        style = {"description_width": "110px"}
        self.radius = widgets.FloatSlider(value=spectral_radius, min=0.5, max=3.0, step=0.05,
                                          description="spectral radius", continuous_update=False, style=style)
        self.nonlinearity = widgets.Dropdown(options=list(NONLINEARITIES), value=nonlinearity,
                                             description="nonlinearity", style=style)
        self.steps = widgets.IntSlider(value=steps, min=5, max=100, step=5, description="time steps",
                                       continuous_update=False, style=style)
        self.input_scale = widgets.FloatSlider(value=input_scale, min=0.0, max=3.0, step=0.1,
                                               description="input size", continuous_update=False, style=style)
        self.status = widgets.HTML()
        self.view = FigureView(figsize=(8, 3.6))
        for control, handler in ((self.radius, "spectral_radius"), (self.nonlinearity, "nonlinearity"),
                                 (self.steps, "steps"), (self.input_scale, "input_scale")):
            control.observe(lambda change, name=handler: self._on_change(name, change["new"]), names="value")
        controls = widgets.VBox([widgets.HBox([self.radius, self.nonlinearity]),
                                 widgets.HBox([self.steps, self.input_scale])])
        self.widget = widgets.VBox([controls, self.status, self.view.image])
        self.redraw()

    def _on_change(self, name, value):
        setattr(self.flow, name, value)
        self.redraw()

    def redraw(self):
        flow, axes = self.flow, self.view.axes
        axes.clear()
        finite = np.where(np.isfinite(flow.norms) & (flow.norms > 0), flow.norms, np.nan)
        axes.semilogy(flow.steps_back, finite, color="tab:blue", label=f"{flow.nonlinearity} RNN")
        axes.semilogy(flow.steps_back, flow.linear_rate, color="grey", linestyle="--",
                      label=f"radius^k = {flow.spectral_radius:g}^k")
        values = np.concatenate([finite[np.isfinite(finite)], flow.linear_rate])
        low, high = max(min(np.min(values), VANISHED) / 3, 1e-30), min(max(np.max(values), EXPLODED) * 3, 1e30)
        axes.set_ylim(low, high)
        axes.axhspan(low, VANISHED, color="tab:blue", alpha=0.07)
        axes.axhspan(EXPLODED, high, color="tab:red", alpha=0.07)
        axes.set_xlabel("k, steps back from the last step")
        axes.set_ylabel("||dL/dh_(T-k)||")
        axes.set_title(f"spectral radius {flow.spectral_radius:g}, {flow.nonlinearity}, input size {flow.input_scale:g}")
        axes.legend(loc="best")
        self.view.refresh()
        ratio = flow.final_ratio
        shown = f"{ratio:.2e}" if np.isfinite(ratio) else "overflow"
        self.status.value = (f"after {flow.steps} steps back the gradient norm is <b>{shown}</b> times its size at "
                             f"the last step: <b>{flow.verdict}</b>")

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
