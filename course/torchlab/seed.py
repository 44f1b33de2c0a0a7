"""One call makes a run repeatable: Python's ``random``, NumPy and torch (CPU and every GPU).

torch equivalent: ``torch.manual_seed`` (which seeds CUDA too); see also
``torch.use_deterministic_algorithms`` for bitwise-equal GPU runs.
"""
import random

import numpy as np
import torch


def seed_everything(seed=0):
    """Seed ``random``, ``numpy.random`` and torch's generators on every device with ``seed``."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed_everything needs a non-negative integer seed, got {seed!r}.")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
