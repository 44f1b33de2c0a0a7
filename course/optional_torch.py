"""PyTorch is an optional extra of the course package: the NumPy labs (01-05) never import it.

``require_torch(what)`` imports torch for the parts that need it (``course.torchlab``, the
PyTorch labs' checks) and, where torch is not installed, says in one sentence how to get it:

    ModuleNotFoundError: course.torchlab: this needs PyTorch: pip install 'dl-course[torch]'
"""
INSTALL = "this needs PyTorch: pip install 'dl-course[torch]'"


def require_torch(what):
    """``import torch``, or a one-sentence ModuleNotFoundError naming ``what`` needs it."""
    try:
        import torch
    except ModuleNotFoundError as error:
        if error.name not in (None, "torch") and not error.name.startswith("torch."):
            raise  # torch is there but broken: let its own error speak
        raise ModuleNotFoundError(f"{what}: {INSTALL}", name="torch") from None
    return torch


def torch_for_checks():
    """``require_torch`` for the PyTorch labs' checks, which import without torch and ask for it
    when one runs (the NumPy labs do not install it)."""
    return require_torch("the checks of the PyTorch labs")
