"""Mixed precision, only where it pays: on CUDA, bfloat16 where the GPU has it, else float16 with a
gradient scaler; plain float32 on the CPU and on MPS.

torch equivalents: ``torch.autocast``, ``torch.amp.GradScaler``, ``torch.cuda.is_bf16_supported``.
"""
import contextlib

import torch


def autocast_dtype(device, amp=True):
    """The dtype ``fit`` autocasts to on ``device``, or None for plain float32."""
    device = torch.device(device)
    if not amp or device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def autocast(device, dtype):
    """``torch.autocast`` to ``dtype``, or a context that changes nothing when it is None."""
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=dtype)


def grad_scaler(device, dtype):
    """A ``torch.amp.GradScaler`` for float16 (its small range needs one), else None."""
    if dtype != torch.float16:
        return None
    return torch.amp.GradScaler(torch.device(device).type)
