"""Optimizers with torch.optim's semantics, on a list of NumPy arrays updated in place.

    from course.optim import Adam
    optimizer = Adam(model.parameters(), lr=1e-3)
    optimizer.step(model.gradients())          # one gradient per parameter, same order

Every optimizer has an ``lr`` attribute (a scheduler from ``course.optim.lr_scheduler`` changes
it between steps) and ``state``, one dict of buffers per parameter. Where the lecture notes
disagree with each other (epsilon inside or outside the square root), the library follows torch.
"""
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .base import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD
from . import lr_scheduler

__all__ = ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Optimizer", "lr_scheduler"]
