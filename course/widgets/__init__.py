"""Interactive widgets for the notebooks (ipywidgets 7.7 and 8.x)."""
from .figure_view import FigureView
from .two_layer_explorer import TwoLayerNetExplorer, TwoLayerNetTrainer
