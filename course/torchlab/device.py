"""Which device a lab runs on, and whether it runs in smoke size, decided in one place.

torch equivalents: ``torch.cuda.is_available()``, ``torch.backends.mps.is_available()``,
``torch.device``. A lab calls ``pick_device()`` once; ``smoke()`` says whether to run the small
configuration (no GPU, or ``COURSE_SMOKE=1``).
"""
import os

import torch

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _mps_available():
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def gpu_available():
    """True when CUDA or Apple's MPS can be used."""
    return torch.cuda.is_available() or _mps_available()


def best_device():
    """CUDA, then MPS, then the CPU, without printing (``fit`` and ``DeviceLoader`` use it)."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def smoke_reason():
    """``(smoke, reason)``: the decision ``smoke()`` makes and the few words that explain it."""
    value = os.environ.get("COURSE_SMOKE", "").strip().lower()
    if value in _TRUE:
        return True, "COURSE_SMOKE=1"
    if value in _FALSE:
        return False, "COURSE_SMOKE=0"
    if value:
        raise ValueError(f"COURSE_SMOKE={value!r} is not understood: set it to 1 (smoke size) "
                         "or 0 (full size), or unset it to decide by the device.")
    if gpu_available():
        return False, "GPU"
    return True, "CPU"


def smoke():
    """True when the lab should run its small configuration: no GPU, or ``COURSE_SMOKE=1``.

    ``COURSE_SMOKE=0`` forces the full size even on a CPU.
    """
    return smoke_reason()[0]


def _describe(device):
    if device.type == "cuda":
        return f"Using {device} ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "Using mps (Apple GPU)"
    return "Using the CPU"


def pick_device(prefer=None):
    """The device to train on: CUDA, then MPS, then the CPU; prints one line saying which.

    ``prefer`` ("cpu", "cuda", "cuda:1", "mps" or a ``torch.device``) forces a device; asking for
    one that this machine lacks is a ``ValueError``. torch equivalent: ``torch.device(...)``.
    """
    if prefer is None:
        device = best_device()
    else:
        try:
            device = torch.device(prefer)
        except (RuntimeError, TypeError):
            raise ValueError(f"prefer={prefer!r} is not a device: use 'cpu', 'cuda', 'cuda:1', "
                             "'mps' or None (the best one available).") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"prefer={prefer!r} asks for CUDA, but torch finds no CUDA GPU here: "
                             "pass prefer=None to use the best device available.")
        if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
            raise ValueError(f"prefer={prefer!r} asks for a GPU this machine lacks "
                             f"(it has {torch.cuda.device_count()}).")
        if device.type == "mps" and not _mps_available():
            raise ValueError(f"prefer={prefer!r} asks for Apple's MPS, which is not available "
                             "here: pass prefer=None to use the best device available.")
    line = _describe(device)
    is_smoke, reason = smoke_reason()
    if device.type == "cpu" and prefer is None:
        line += " (no GPU found)"
    elif device.type == "cpu":
        line += " (as asked)"
    if is_smoke:
        line += ": the lab runs in smoke size" + ("." if reason == "CPU" else f" ({reason}).")
    elif reason != "GPU":
        line += f": the lab runs in full size ({reason})."
    else:
        line += "."
    print(line)
    return device
