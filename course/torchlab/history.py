"""What ``fit`` measured, one entry per epoch, and the two curves every lab shows.

The record is ``course.nn``'s ``History`` (the NumPy labs' training loop keeps the same lists)
plus the seconds each epoch took; plain lists, so a student can print, index and plot them.
"""
from dataclasses import dataclass, field, fields

from course.nn.history import History as _NumPyHistory


@dataclass(repr=False)
class History(_NumPyHistory):
    """Per-epoch ``train_loss``, ``train_accuracy``, ``val_loss``, ``val_accuracy``, ``lr`` (the
    learning rate the epoch began with) and ``seconds``; a list stays empty when it was not
    measured (no validation loader, ``metrics=()``)."""

    seconds: list = field(default_factory=list)

    def __repr__(self):
        if not self.train_loss:
            return "History(no epochs yet)"
        text = f"History({len(self)} epochs, last train_loss {self.train_loss[-1]:.4g}"
        if self.val_accuracy:
            text += (f", best val_accuracy {self.best('val_accuracy'):.4g} at epoch "
                     f"{self.best_epoch('val_accuracy')}")
        elif self.val_loss:
            text += (f", best val_loss {self.best('val_loss'):.4g} at epoch "
                     f"{self.best_epoch('val_loss')}")
        return text + ")"

    def _values(self, metric):
        names = [f.name for f in fields(self)]
        if metric not in names or metric in ("lr", "seconds"):
            raise ValueError(f"History.best knows {', '.join(names[:4])}, not {metric!r}.")
        values = getattr(self, metric)
        if not values:
            raise ValueError(f"History has no {metric} yet (is there a validation loader, and "
                             "is 'accuracy' among fit's metrics?).")
        return values

    def best_epoch(self, metric="val_accuracy"):
        """The epoch (counted from 1) with the highest accuracy or the lowest loss."""
        values = self._values(metric)
        pick = max if metric.endswith("accuracy") else min
        return values.index(pick(values)) + 1

    def best(self, metric="val_accuracy"):
        """The highest accuracy or the lowest loss recorded for ``metric``."""
        return self._values(metric)[self.best_epoch(metric) - 1]

    def to_dict(self):
        return {f.name: list(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, values):
        return cls(**{f.name: list(values.get(f.name, [])) for f in fields(cls)})

    def plot(self, ax=None):
        """``plot_history(self, ax)``."""
        return plot_history(self, ax=ax)


def plot_history(history, ax=None):
    """Loss (training vs validation) and, when measured, accuracy side by side; returns the
    matplotlib Figure (leave it last in a cell, or ``display`` it, to see it).

    ``ax``: None (a new figure), one Axes (loss only) or a pair of Axes (loss, accuracy).
    """
    from matplotlib.figure import Figure

    has_accuracy = bool(history.train_accuracy or history.val_accuracy)
    if ax is None:
        figure = Figure(figsize=(10 if has_accuracy else 5, 3.5), layout="constrained")
        axes = figure.subplots(1, 2 if has_accuracy else 1, squeeze=False)[0]
    else:
        axes = [ax] if hasattr(ax, "plot") else list(getattr(ax, "flat", ax))
        figure = axes[0].figure
    panels = [("loss", history.train_loss, history.val_loss)]
    if has_accuracy and len(axes) > 1:
        panels.append(("accuracy", history.train_accuracy, history.val_accuracy))
    for axis, (name, train, val) in zip(axes, panels):
        for values, label in ((train, "training"), (val, "validation")):
            if values:
                axis.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=label)
        axis.set_xlabel("epoch")
        axis.set_ylabel(name)
        axis.set_title(name)
        axis.legend()
        axis.grid(alpha=0.3)
    return figure
