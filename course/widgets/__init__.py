"""Interactive widgets for the notebooks (ipywidgets 7.7 and 8.x).

Each is a plain-Python state class, tested headless, and a thin ipywidgets view on top of it
that draws through ``FigureView``.
"""
from .conv_explorer import ConvExplorer, ConvExplorerState
from .figure_view import FigureView
from .optimizer_race import OptimizerRace, OptimizerRaceExplorer
from .two_layer_explorer import TwoLayerNetExplorer, TwoLayerNetTrainer
