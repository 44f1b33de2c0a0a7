"""The plumbing every PyTorch lab shares, so that a lab notebook stays about its idea.

    from course.torchlab import pick_device, lab_size, seed_everything, fit, DeviceLoader

- ``device``: ``pick_device``, ``smoke`` (CUDA, then MPS, then the CPU in smoke size)
- ``sizes``: ``lab_size`` (one table per lab: what "full" and "smoke" mean)
- ``seed``: ``seed_everything``
- ``training``: ``fit`` (tqdm, AMP on CUDA, ``torch.compile``, clipping, schedules,
  checkpoint/resume), ``evaluate``; ``history``: ``History``, ``plot_history``
- ``loaders``: ``DeviceLoader`` (a data set on the GPU); ``augment``: ``random_crop_flip``
- ``cifar``, ``mnist``, ``digits``: readers of the official formats, ``download``: verified
  downloads; ``splits``: ``split_indices``

torch is imported here and only here: the NumPy parts of ``course`` never need it, and without
torch importing this package says in one sentence how to install it.
"""
from ..optional_torch import require_torch

require_torch("course.torchlab")

from .augment import random_crop_flip
from .cifar import load_cifar10
from .device import pick_device, smoke
from .digits import load_digits_images
from .download import DownloadError, download
from .history import History, plot_history
from .loaders import DeviceLoader
from .mnist import load_mnist
from .seed import seed_everything
from .sizes import lab_size
from .splits import split_indices
from .training import evaluate, fit

__all__ = ["pick_device", "smoke", "lab_size", "seed_everything", "fit", "evaluate", "History",
           "plot_history", "DeviceLoader", "random_crop_flip", "load_cifar10", "load_mnist",
           "load_digits_images", "download", "DownloadError", "split_indices"]
