"""Plots shared by the notebooks and the widgets (matplotlib, drawn on an ``Axes`` you pass)."""
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
