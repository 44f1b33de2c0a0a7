"""Plots shared by the notebooks and the widgets (matplotlib, drawn on an ``Axes`` you pass): decision
boundaries and loss curves (lab 01), activations with their derivatives and fitted lines (lab 02)."""
import numpy as np
from matplotlib.colors import ListedColormap

CLASS_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def decision_grid(predict, X, resolution=120, margin=0.25):
    """Predicted class on a grid covering the 2-D points ``X``: returns ``(xx, yy, classes)``."""
    (x_min, y_min), (x_max, y_max) = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))
    classes = predict(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    return xx, yy, classes


def plot_decision_boundary(ax, predict, X, y, resolution=120):
    """Shade the regions where ``predict`` picks each class and scatter the labelled points."""
    xx, yy, classes = decision_grid(predict, X, resolution)
    num_classes = int(max(y.max(), classes.max())) + 1
    colors = ListedColormap([CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(num_classes)])
    levels = np.arange(num_classes + 1) - 0.5
    ax.contourf(xx, yy, classes, levels=levels, cmap=colors, alpha=0.25)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=colors, vmin=-0.5, vmax=num_classes - 0.5, s=12,
               edgecolors="k", linewidths=0.3)
    ax.set_xticks([])
    ax.set_yticks([])
    return classes


def plot_loss_curve(ax, losses, label="training loss"):
    """The loss after every step, on a log scale once it spans more than a decade."""
    (line,) = ax.plot(np.arange(1, len(losses) + 1), losses, label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if len(losses) > 1 and max(losses) > 10 * max(min(losses), 1e-12):
        ax.set_yscale("log")
    return line


def _first_that_runs(pairs, x):
    """``(out, derivative, index, errors)``: the values of the first ``(forward, backward)`` pair
    that runs on ``x``, its index (None when none ran) and the error names of those that did not."""
    errors = []
    for index, (forward, backward) in enumerate(pairs):
        try:
            out, cache = forward(x.copy())
            derivative = backward(np.ones_like(x), cache)  # dout = 1 gives f'(x) itself
            out, derivative = np.asarray(out, dtype=float), np.asarray(derivative, dtype=float)
            if out.shape != x.shape or derivative.shape != x.shape:
                raise ValueError(f"it returned shapes {out.shape} and {derivative.shape} for {x.shape} inputs")
        except Exception as error:  # a plot shows what it can; the checks say what is wrong
            errors.append(type(error).__name__)
            continue
        return out, derivative, index, errors
    return None, None, None, errors


def plot_activations(axes, curves, x=None):
    """Draw activations on ``axes[0]`` and their derivatives on ``axes[1]``.

    ``curves`` maps a label to a list of ``(forward, backward)`` pairs in the layer API
    (``forward(x) -> (out, cache)``, ``backward(dout, cache) -> dx``), tried in order, for example
    the student's first and the reference second: the first that runs is drawn (the derivative is
    ``backward(ones, cache)``), and a label says when a later one stood in. A curve none of whose
    pairs runs is left out and named in the title. Returns ``{label: (value line, derivative line)}``.
    """
    x = np.linspace(-4.0, 4.0, 401) if x is None else np.asarray(x, dtype=float)
    ax_value, ax_slope = axes
    drawn, missing = {}, []
    for label, pairs in curves.items():
        out, derivative, index, errors = _first_that_runs(pairs, x)
        if index is None:
            missing.append(label)
            continue
        shown = label if index == 0 else f"{label} (reference: yours raised {errors[0]})"
        (value_line,) = ax_value.plot(x, out, label=shown)
        (slope_line,) = ax_slope.plot(x, derivative, label=shown, color=value_line.get_color())
        drawn[label] = (value_line, slope_line)
    ax_value.set_title("f(x)" + (f"  (not drawn: {', '.join(missing)})" if missing else ""))
    ax_slope.set_title("f'(x)")
    for ax in axes:
        ax.set_xlabel("x")
        ax.axhline(0.0, color="0.8", linewidth=0.8, zorder=0)
        ax.axvline(0.0, color="0.8", linewidth=0.8, zorder=0)
        if drawn:
            ax.legend(fontsize="small")
    return drawn


def plot_line_fits(ax, x, y, lines, outliers=None):
    """Scatter the points ``(x, y)`` (``outliers``, a boolean mask, marked apart) and draw each
    fitted line ``y = slope * x + intercept``; ``lines`` maps a label to ``(slope, intercept)``.
    Returns ``{label: line}``."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    outliers = np.zeros(x.shape, dtype=bool) if outliers is None else np.asarray(outliers, dtype=bool)
    ax.scatter(x[~outliers], y[~outliers], s=14, color="0.35", label="data")
    if outliers.any():
        ax.scatter(x[outliers], y[outliers], s=40, marker="x", color="#d62728", label="outliers")
    ends = np.array([x.min(), x.max()])
    drawn = {}
    for label, (slope, intercept) in lines.items():
        (drawn[label],) = ax.plot(ends, slope * ends + intercept, label=f"{label}: y = {slope:.2f} x + {intercept:.2f}")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(fontsize="small")
    return drawn
