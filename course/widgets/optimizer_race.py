"""An optimizer race on a 2-D loss surface: SGD, momentum, RMSprop and Adam start from the same
point; their paths are drawn over the contour lines, and their losses per step.

    OptimizerRaceExplorer()                                             # course.optim's optimizers
    OptimizerRaceExplorer(optimizers={"SGD": SGD, "RMSprop": RMSprop, "Adam": Adam})   # your own

``OptimizerRace`` holds the state and runs the optimizers (plain Python, tested headless);
``OptimizerRaceExplorer`` only wires controls to it and redraws.
"""
import numpy as np
import ipywidgets as widgets

from ..optim import SGD, Adam, RMSprop
from .figure_view import FigureView

DIVERGED = 1e6  # a loss above this (or not finite) ends that optimizer's run


class Surface:
    """A 2-D loss ``f(x, y)`` with its gradient, a start point and a window to draw."""

    def __init__(self, name, loss, gradient, start, window, minimum, default_lr):
        self.name, self.loss, self.gradient = name, loss, gradient
        self.start, self.window, self.minimum, self.default_lr = start, window, minimum, default_lr


def _bowl_loss(x, y):
    return 0.5 * (x**2 + 25.0 * y**2)


def _bowl_gradient(x, y):
    return np.array([x, 25.0 * y])


def _banana_loss(x, y):
    return (1.0 - x) ** 2 + 10.0 * (y - x**2) ** 2


def _banana_gradient(x, y):
    return np.array([-2.0 * (1.0 - x) - 40.0 * x * (y - x**2), 20.0 * (y - x**2)])


SURFACES = {
    "elongated bowl": Surface("elongated bowl", _bowl_loss, _bowl_gradient, start=(-4.5, 1.0),
                              window=((-5.0, 5.0), (-1.5, 1.5)), minimum=(0.0, 0.0), default_lr=0.05),
    "banana valley": Surface("banana valley", _banana_loss, _banana_gradient, start=(-1.5, 2.0),
                             window=((-2.0, 2.0), (-1.0, 3.0)), minimum=(1.0, 1.0), default_lr=0.01),
}

OPTIMIZERS = {  # racer -> (the optimizer class it runs, extra settings); all share the race's learning rate
    "SGD": ("SGD", {}),
    "momentum 0.9": ("SGD", {"momentum": 0.9}),
    "RMSprop": ("RMSprop", {}),
    "Adam": ("Adam", {}),
}
# The classes a race uses unless given others. Only module-level data names them: under lab 03's policy
# "reference" the grading kernel stubs course.optim's SGD, RMSprop and Adam, and with them any function
# or class whose code names them, so the race below must reach them only through this dict.
COURSE_OPTIMIZERS = {"SGD": SGD, "RMSprop": RMSprop, "Adam": Adam}
COLORS = {"SGD": "tab:blue", "momentum 0.9": "tab:orange", "RMSprop": "tab:green", "Adam": "tab:red"}


def _optimizer_classes(optimizers):
    """The race's classes by name: ``COURSE_OPTIMIZERS`` unless ``optimizers`` gives others."""
    if optimizers is None:
        return dict(COURSE_OPTIMIZERS)
    if not isinstance(optimizers, dict):
        raise TypeError("OptimizerRace: optimizers must be a dict of classes such as "
                        f"{{'SGD': SGD, 'RMSprop': RMSprop, 'Adam': Adam}}, not {type(optimizers).__name__}.")
    missing = [name for name in COURSE_OPTIMIZERS if name not in optimizers]
    if missing:
        raise ValueError(f"OptimizerRace: optimizers has no {', '.join(map(repr, missing))}; the race needs a class "
                         f"for each of {', '.join(map(repr, COURSE_OPTIMIZERS))}.")
    not_classes = [name for name in COURSE_OPTIMIZERS if not callable(optimizers[name])]
    if not_classes:
        raise TypeError(f"OptimizerRace: optimizers[{not_classes[0]!r}] should be an optimizer class, "
                        f"not {type(optimizers[not_classes[0]]).__name__}.")
    return {name: optimizers[name] for name in COURSE_OPTIMIZERS}


class OptimizerRace:
    """Runs every optimizer of ``OPTIMIZERS`` for ``steps`` steps on ``surface`` from its start point.

    ``optimizers`` maps "SGD", "RMSprop" and "Adam" to the classes to race (same interface as
    ``course.optim``'s, which are the default): a lab passes the student's own classes.
    After ``run()``: ``paths[name]`` is an array (steps + 1, 2) of points (fewer rows if the run
    diverged), ``losses[name]`` the loss at each of them, ``diverged[name]`` a bool.
    Changing ``surface``, ``lr`` or ``steps`` runs the race again.
    """

    def __init__(self, surface="elongated bowl", lr=None, steps=100, optimizers=None):
        self.optimizers = _optimizer_classes(optimizers)
        self._surface = self._known(surface)
        self._lr = float(lr) if lr is not None else SURFACES[surface].default_lr
        self._steps = int(steps)
        self.run()

    @staticmethod
    def _known(surface):
        if surface not in SURFACES:
            raise ValueError(f"OptimizerRace: unknown surface {surface!r}; choose one of {', '.join(SURFACES)}.")
        return surface

    @property
    def surface(self):
        return SURFACES[self._surface]

    @surface.setter
    def surface(self, name):
        self._surface = self._known(name)
        self.run()

    @property
    def lr(self):
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = float(value)
        self.run()

    @property
    def steps(self):
        return self._steps

    @steps.setter
    def steps(self, value):
        self._steps = int(value)
        self.run()

    def run(self):
        surface = self.surface
        self.paths, self.losses, self.diverged = {}, {}, {}
        for name, (class_name, settings) in OPTIMIZERS.items():
            point = np.array(surface.start, dtype=np.float64)
            optimizer = self.optimizers[class_name]([point], lr=self._lr, **settings)
            path, losses, diverged = [point.copy()], [float(surface.loss(*point))], False
            with np.errstate(all="ignore"):  # a diverging run is shown, not warned about
                for _ in range(self._steps):
                    optimizer.step([surface.gradient(*point)])
                    loss = float(surface.loss(*point))
                    if not np.isfinite(loss) or loss > DIVERGED:
                        diverged = True
                        break
                    path.append(point.copy())
                    losses.append(loss)
            self.paths[name], self.losses[name], self.diverged[name] = np.array(path), np.array(losses), diverged

    def leader(self):
        """The optimizer with the lowest final loss among those that did not diverge (None if all did)."""
        finishers = [name for name in OPTIMIZERS if not self.diverged[name]]
        return min(finishers, key=lambda name: self.losses[name][-1]) if finishers else None


class OptimizerRaceExplorer:
    """The widget: surface, learning rate and steps on top; paths and loss curves below."""

    def __init__(self, surface="elongated bowl", lr=None, steps=100, optimizers=None):
        self.race = OptimizerRace(surface, lr, steps, optimizers)
        style = {"description_width": "110px"}
        self.surface = widgets.ToggleButtons(options=list(SURFACES), value=surface, description="surface",
                                             style=style)
        self.lr = widgets.FloatLogSlider(value=self.race.lr, base=10, min=-4, max=0, step=0.1,
                                         description="learning rate", continuous_update=False, style=style)
        self.steps = widgets.IntSlider(value=steps, min=1, max=500, description="steps",
                                       continuous_update=False, style=style)
        self.more_button = widgets.Button(description="50 more steps", button_style="primary")
        self.default_button = widgets.Button(description="Default rate")
        self.status = widgets.HTML()
        self.view = FigureView(figsize=(10, 4), ncols=2)

        self.surface.observe(self._on_surface, names="value")
        self.lr.observe(self._on_lr, names="value")
        self.steps.observe(self._on_steps, names="value")
        self.more_button.on_click(self._on_more)
        self.default_button.on_click(self._on_default)

        controls = widgets.VBox([self.surface, self.lr, self.steps])
        buttons = widgets.VBox([self.more_button, self.default_button])
        self.widget = widgets.VBox([widgets.HBox([controls, buttons]), self.status, self.view.image])
        self.redraw()

    # -- events: change the state, then redraw ---------------------------------------------
    def _on_surface(self, change):
        self.race.surface = change["new"]
        self.redraw()

    def _on_lr(self, change):
        self.race.lr = change["new"]
        self.redraw()

    def _on_steps(self, change):
        self.race.steps = change["new"]
        self.redraw()

    def _on_more(self, _button):
        self.steps.value = min(self.steps.max, self.steps.value + 50)  # the slider's observer reruns

    def _on_default(self, _button):
        self.lr.value = self.race.surface.default_lr

    # -- display ------------------------------------------------------------------------------
    def redraw(self):
        contour_axes, loss_axes = self.view.axes
        contour_axes.clear()
        loss_axes.clear()
        surface = self.race.surface
        (x_low, x_high), (y_low, y_high) = surface.window
        grid_x, grid_y = np.meshgrid(np.linspace(x_low, x_high, 200), np.linspace(y_low, y_high, 200))
        heights = surface.loss(grid_x, grid_y)
        contour_axes.contour(grid_x, grid_y, heights, levels=np.geomspace(1e-2, heights.max(), 20),
                             colors="0.75", linewidths=0.7)
        contour_axes.plot(*surface.minimum, marker="*", markersize=12, color="k", linestyle="none")
        for name, path in self.race.paths.items():
            label = name + (" (diverged)" if self.race.diverged[name] else "")
            contour_axes.plot(path[:, 0], path[:, 1], marker=".", markersize=3, linewidth=1,
                              color=COLORS[name], label=label)
            loss_axes.semilogy(np.maximum(self.race.losses[name], 1e-16), color=COLORS[name], label=label)
        contour_axes.set_xlim(x_low, x_high)
        contour_axes.set_ylim(y_low, y_high)
        contour_axes.set_title(f"{surface.name}, learning rate {self.race.lr:.3g}")
        contour_axes.legend(loc="lower right", fontsize=8)
        loss_axes.set_xlabel("step")
        loss_axes.set_title("loss")
        self.view.refresh()
        leader = self.race.leader()
        self.status.value = (f"<b>{self.race.steps}</b> steps &nbsp; lowest loss: <b>{leader or '—'}</b>"
                             + (f" ({self.race.losses[leader][-1]:.2e})" if leader else ""))
        crashed = [name for name, diverged in self.race.diverged.items() if diverged]
        if crashed:
            self.status.value += f" &nbsp; ⚠️ diverged: {', '.join(crashed)}"

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
