"""Measurements of a student's PyTorch model that a check needs, taken where the model lives.

A check never reaches into a student's model itself: it asks for one of these measurements
through ``course.checks.judging.probe_student``. In a notebook the probe runs right there; while
grading it runs in the student's sandboxed kernel, and only its result (tensors as data) comes
back to the judge, which decides. Nothing here knows a right answer.
"""


def floating_point_trouble(function, *args):
    """Call ``function(*args)`` with NumPy's overflow and invalid-value warnings turned into
    errors; the first one's text ("overflow encountered in exp"), or None when there is none.
    (A value can be right although an ``exp`` overflowed on the way: 1 / (1 + inf) is 0.)"""
    import numpy as np

    try:
        with np.errstate(over="raise", invalid="raise"):
            function(*args)
    except (FloatingPointError, OverflowError) as error:
        return str(error) or type(error).__name__
    return None


def _device_of(model):
    for tensor in list(model.parameters()) + list(model.buffers()):
        return tensor.device
    return None


def _to(value, device):
    import torch

    if device is not None and isinstance(value, torch.Tensor):
        return value.to(device)
    return value


def forward(model, *inputs):
    """``model(*inputs)`` with the inputs moved to the model's device, the output detached on the
    CPU (``torch.no_grad``; the model's train/eval mode is left as it is)."""
    import torch

    device = _device_of(model) if isinstance(model, torch.nn.Module) else None
    with torch.no_grad():
        output = model(*(_to(x, device) for x in inputs))
    return _detached(output)


def gradients(model, inputs, dout):
    """Gradients of ``sum(model(*inputs) * dout)``: ``(input gradients, {parameter name: gradient})``.

    No check may let these decide a verdict: they are computed in the student's (patchable)
    kernel, so a forged answer costs nothing. Checks take slopes on the judge's side instead
    (finite differences of returned values, or autograd on the judge's own copy of a model); this
    probe stays for the grading boundary's own tests and for hints at most.

    Inputs are copied with ``requires_grad=True``; an input or parameter the output does not
    depend on gets ``None``. The parameters' ``.grad`` are left as they were.
    """
    import torch

    is_module = isinstance(model, torch.nn.Module)
    device = _device_of(model) if is_module else None
    leaves = [_to(x, device).detach().clone().requires_grad_(True) for x in inputs]
    named = list(model.named_parameters()) if is_module else []
    output = model(*leaves)
    if not isinstance(output, torch.Tensor):
        raise TypeError(f"the model returned a {type(output).__name__}, not a tensor")
    wanted = leaves + [p for _, p in named if p.requires_grad]
    grads = torch.autograd.grad((output * _to(dout, output.device)).sum(), wanted, allow_unused=True)
    grads = [None if g is None else g.detach().cpu() for g in grads]
    input_grads = grads[:len(leaves)]
    trainable = iter(grads[len(leaves):])
    parameter_grads = {name: (next(trainable) if p.requires_grad else None) for name, p in named}
    return input_grads, parameter_grads


def parameter_shapes(model):
    """``{name: (shape, requires_grad)}`` for every parameter of ``model``, in order."""
    return {name: (tuple(p.shape), bool(p.requires_grad)) for name, p in model.named_parameters()}


def state(model):
    """``model.state_dict()`` as CPU tensors (parameters and buffers such as running means)."""
    return {name: value.detach().cpu().clone() for name, value in model.state_dict().items()}


def load_state(model, values):
    """``model.load_state_dict(values)`` onto the model's device, strictly; returns nothing."""
    device = _device_of(model)
    model.load_state_dict({name: _to(value, device) for name, value in values.items()})


def _detached(value):
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, (tuple, list)):
        return type(value)(_detached(v) for v in value)
    return value
