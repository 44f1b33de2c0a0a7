"""A matplotlib figure shown as a PNG in an ipywidgets ``Image``.

This is the pattern for every widget of the course: the state lives in plain Python, a
``Figure`` (never pyplot, so no global state) is redrawn from it, and the PNG is pushed into an
``Image`` widget. PNG images work the same in ipywidgets 7.7 (Colab) and 8.x (JupyterLab 4),
need no extra front-end extension (ipympl), and are easy to test headless.
"""
import io

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..environment import grading


class FigureView:
    """``figure`` to draw on; ``refresh()`` renders it into ``image`` (the widget to display)."""

    def __init__(self, figsize=(9, 4), dpi=90, **subplot_kwargs):
        self.figure = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.figure)
        self.axes = self.figure.subplots(**subplot_kwargs) if subplot_kwargs else self.figure.subplots()
        self.image = widgets.Image(format="png")

    def refresh(self):
        if grading():  # no one sees it: keep the figure's data, skip the PNG
            return
        self.figure.tight_layout()
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png")
        self.image.value = buffer.getvalue()
