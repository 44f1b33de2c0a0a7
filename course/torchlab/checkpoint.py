"""Checkpoints that survive a Colab disconnect: everything ``fit`` needs to carry on, written
atomically after every epoch (a temporary file, then ``os.replace``), so a crash mid-write leaves
the previous checkpoint whole.

torch equivalents: ``torch.save`` / ``torch.load(weights_only=True)``, ``torch.get_rng_state``.
"""
import os
import random
import warnings
from pathlib import Path

import numpy as np
import torch

FORMAT = "course.torchlab checkpoint"
VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read or does not fit the model, optimizer or scheduler."""


def unusable(path, reason):
    return CheckpointError(f"The checkpoint {path} cannot be used ({reason}); delete it to "
                           "train from scratch, or pass another checkpoint= path.")


def rng_states():
    """The state of every random generator a training run draws from (only tensors, ints, tuples
    and strings, so that ``torch.load(weights_only=True)`` reads it back)."""
    kind, keys, position, has_gauss, cached = np.random.get_state()
    states = {
        "python": random.getstate(),
        "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), int(position), int(has_gauss),
                  float(cached)),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states):
    random.setstate(states["python"])
    kind, keys, position, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached))
    torch.set_rng_state(states["torch"])
    cuda = states.get("cuda")
    if cuda is not None and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)


def save(path, state):
    """Write ``state`` to ``path`` atomically: the old file stays whole until the new one is."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    try:
        torch.save({"format": FORMAT, "version": VERSION, **state}, temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def load(path, map_location=None):
    """The state saved by ``save``; a damaged or foreign file is a ``CheckpointError``."""
    try:
        with warnings.catch_warnings():      # a damaged file makes torch warn before failing
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises many kinds for a damaged file
        first_line = (str(error).strip().splitlines() or [""])[0][:200]
        raise unusable(path, f"{type(error).__name__}: {first_line}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise unusable(path, "it was not written by course.torchlab.fit")
    if state.get("version") != VERSION:
        raise unusable(path, f"format version {state.get('version')}, this course reads "
                             f"{VERSION}")
    return state
