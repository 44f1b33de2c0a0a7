"""Interactive widgets for the notebooks (ipywidgets 7.7 and 8.x).

Each is a plain-Python state class, tested headless, and a thin ipywidgets view on top of it
that draws through ``FigureView``.
"""
from .activation_explorer import ActivationCurves, ActivationExplorer
from .attention_explorer import AttentionExplorer, AttentionMap
from .conv_explorer import ConvExplorer, ConvExplorerState
from .figure_view import FigureView
from .latent_interpolation import LatentInterpolation, LatentInterpolator
from .gradient_flow import GradientFlow, GradientFlowExplorer
from .latent_explorer import LatentExplorer, LatentSpace
from .normalization_explorer import DeepStackActivations, NormalizationExplorer
from .optimizer_race import OptimizerRace, OptimizerRaceExplorer
from .quiz import MultipleChoice, NumericAnswer, Option, Quiz
from .temperature_sampler import TemperatureSampler, TemperatureSampling
from .two_layer_explorer import TwoLayerNetExplorer, TwoLayerNetTrainer
