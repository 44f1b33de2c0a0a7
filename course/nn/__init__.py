"""A small NumPy model API on top of ``course.layers``, shaped like ``torch.nn``.

    from course.nn import Sequential, Linear, ReLU, SoftmaxCrossEntropy, fit
    from course.optim import Adam
    model = Sequential(Linear(2, 100, seed=0), ReLU(), Linear(100, 3, seed=1))
    history = fit(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=1e-2), X, y,
                  epochs=100, batch_size=32, seed=0)
    history.plot()
"""
from .history import History
from .losses import MSE, SoftmaxCrossEntropy
from .modules import Dropout, LeakyReLU, Linear, Module, ReLU, Sigmoid, Tanh
from .sequential import Sequential
from .training import evaluate, fit, predict

__all__ = ["Module", "Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Dropout", "Sequential",
           "SoftmaxCrossEntropy", "MSE", "fit", "evaluate", "predict", "History"]
