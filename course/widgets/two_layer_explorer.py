"""Live two-layer-net explorer: sliders for hidden units, learning rate and regularization;
buttons to take one step, train, or start again; the decision boundary and the loss curve redraw.

    explorer = TwoLayerNetExplorer(X, y)          # X (N, 2), integer labels y
    explorer                                        # shows it in a notebook

``TwoLayerNetTrainer`` holds the state and the maths (plain Python, tested headless);
``TwoLayerNetExplorer`` only wires controls to it and redraws.
"""
import numpy as np
import ipywidgets as widgets

from ..plots import plot_decision_boundary, plot_loss_curve
from ..two_layer_net import init_two_layer_net, predict, sgd_step, two_layer_net_loss
from .figure_view import FigureView


class TwoLayerNetTrainer:
    """A two-layer net trained by full-batch gradient descent on 2-D points ``(X, y)``.

    ``loss_fn(params, X, y=None, reg=0.0)`` defaults to the reference; pass your own to watch
    your implementation learn. Changing ``hidden_size`` starts again from fresh weights.
    """

    def __init__(self, X, y, hidden_size=20, learning_rate=1.0, reg=1e-3, seed=0, loss_fn=two_layer_net_loss):
        self.X, self.y = np.asarray(X, dtype=np.float64), np.asarray(y)
        if self.X.ndim != 2 or self.X.shape[1] != 2 or len(self.X) != len(self.y):
            raise ValueError(f"TwoLayerNetTrainer needs X of shape (N, 2) and N labels, got {self.X.shape} and {self.y.shape}.")
        self.num_classes = int(self.y.max()) + 1
        self.learning_rate, self.reg, self.seed, self.loss_fn = learning_rate, reg, seed, loss_fn
        self._hidden_size = int(hidden_size)
        self.reset()

    @property
    def hidden_size(self):
        return self._hidden_size

    @hidden_size.setter
    def hidden_size(self, value):
        self._hidden_size = int(value)
        self.reset()

    def reset(self):
        self.params = init_two_layer_net(2, self._hidden_size, self.num_classes, seed=self.seed)
        self.losses = []
        self.diverged = False

    def step(self, steps=1):
        """``steps`` steps of gradient descent; returns the last loss."""
        with np.errstate(all="ignore"):  # a diverging run is shown, not warned about
            for _ in range(steps):
                if self.diverged:
                    break
                loss, grads = self.loss_fn(self.params, self.X, self.y, self.reg)
                blown_up = not np.isfinite(loss) or loss > 1e6
                if blown_up or not all(np.all(np.isfinite(g)) for g in grads.values()):
                    self.diverged = True  # keep the history and the last finite weights
                    break
                sgd_step(self.params, grads, self.learning_rate)
                self.losses.append(float(loss))
        return self.losses[-1] if self.losses else None

    def predict(self, X):
        with np.errstate(all="ignore"):
            return predict(self.params, X, self.loss_fn)

    def accuracy(self):
        return float(np.mean(self.predict(self.X) == self.y))


class TwoLayerNetExplorer:
    """The widget: controls on top, decision boundary and loss curve below."""

    def __init__(self, X, y, hidden_size=20, learning_rate=1.0, reg=1e-3, train_steps=200, seed=0,
                 loss_fn=two_layer_net_loss):
        self.trainer = TwoLayerNetTrainer(X, y, hidden_size, learning_rate, reg, seed, loss_fn)
        self.train_steps = train_steps
        style = {"description_width": "110px"}
        self.hidden_size = widgets.IntSlider(value=hidden_size, min=1, max=200, description="hidden units",
                                             continuous_update=False, style=style)
        self.learning_rate = widgets.FloatLogSlider(value=learning_rate, base=10, min=-3, max=1, step=0.1,
                                                    description="learning rate", continuous_update=False,
                                                    style=style)
        self.reg = widgets.FloatLogSlider(value=reg, base=10, min=-6, max=0, step=0.25,
                                          description="regularization", continuous_update=False, style=style)
        self.step_button = widgets.Button(description="Step")
        self.train_button = widgets.Button(description=f"Train {train_steps} steps", button_style="primary")
        self.reset_button = widgets.Button(description="Start again")
        self.status = widgets.HTML()
        self.view = FigureView(figsize=(9, 4), ncols=2)

        self.hidden_size.observe(self._on_hidden_size, names="value")
        self.learning_rate.observe(self._on_learning_rate, names="value")
        self.reg.observe(self._on_reg, names="value")
        self.step_button.on_click(lambda _: self._train(1))
        self.train_button.on_click(lambda _: self._train(self.train_steps))
        self.reset_button.on_click(self._on_reset)

        controls = widgets.VBox([self.hidden_size, self.learning_rate, self.reg])
        buttons = widgets.VBox([self.step_button, self.train_button, self.reset_button])
        self.widget = widgets.VBox([widgets.HBox([controls, buttons]), self.status, self.view.image])
        self.redraw()

    # -- events: change the state, then redraw ---------------------------------------------
    def _on_hidden_size(self, change):
        self.trainer.hidden_size = change["new"]
        self.redraw()

    def _on_learning_rate(self, change):
        self.trainer.learning_rate = change["new"]

    def _on_reg(self, change):
        self.trainer.reg = change["new"]

    def _on_reset(self, _button):
        self.trainer.reset()
        self.redraw()

    def _train(self, steps):
        self.trainer.step(steps)
        self.redraw()

    # -- display ------------------------------------------------------------------------------
    def redraw(self):
        boundary_axes, loss_axes = self.view.axes
        boundary_axes.clear()
        loss_axes.clear()
        self.boundary = plot_decision_boundary(boundary_axes, self.trainer.predict, self.trainer.X, self.trainer.y,
                                               resolution=80)
        boundary_axes.set_title(f"decision boundary, {self.trainer.hidden_size} hidden units")
        if self.trainer.losses:
            plot_loss_curve(loss_axes, self.trainer.losses)
        loss_axes.set_title("loss")
        self.view.refresh()
        steps = len(self.trainer.losses)
        loss = f"{self.trainer.losses[-1]:.3f}" if steps else "—"
        self.status.value = (f"<b>{steps}</b> steps &nbsp; loss <b>{loss}</b> &nbsp; "
                             f"training accuracy <b>{self.trainer.accuracy():.0%}</b>")
        if self.trainer.diverged:
            self.status.value += " &nbsp; ⚠️ the loss diverged: lower the learning rate and start again"

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
