"""Data sets made on the spot, so that every lab runs offline and the same on every machine."""
import numpy as np


def make_spirals(points_per_class=100, classes=3, noise=0.2, seed=0):
    """Interleaved 2-D spirals, one arm per class (the classic CS231n toy problem).

    Returns ``X`` of shape (points_per_class * classes, 2), float64 in about [-1, 1], and integer
    labels ``y``. A linear classifier cannot separate the arms; a two-layer net can.
    """
    if points_per_class < 1 or classes < 2:
        raise ValueError("make_spirals needs at least 1 point per class and 2 classes.")
    rng = np.random.default_rng(seed)
    radius = np.linspace(0.0, 1.0, points_per_class)
    X, y = [], []
    for label in range(classes):
        start = label * 4.0
        angle = np.linspace(start, start + 4.0, points_per_class)
        angle = angle + rng.normal(scale=noise, size=points_per_class)
        X.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
        y.append(np.full(points_per_class, label))
    return np.concatenate(X), np.concatenate(y).astype(np.int64)
