"""Checks for lab 06: LeNet-5, the ResNet basic block, normalization statistics from the training
split, and a trained digits classifier — all on PyTorch modules the student wrote.

The student's classes and models are reached only through ``call_student`` (to build a model)
and ``probe_student`` with a measurement of ``course.probes`` (parameter shapes, state, forward,
gradients); while grading they live in a sandboxed kernel and only data comes back. Everything
that decides a verdict is built here: the reference networks (from the ``course.arithmetic`` spec
for LeNet-5, a functional basic block for ResNet), the inputs, the weights the student's model is
loaded with, and the comparison. torch is imported inside the checks, so importing
``course.checks`` stays cheap for the NumPy labs.
"""
import copy
import itertools
import math

import numpy as np

from ..arithmetic import LENET5, AvgPool, Tanh, conv_output_size, conv_params, to_torch
from .. import probes
from .judging import CheckFailed, Mistake, call_student, compare, probe_student, relative_error
from .judging import mixed_seed
from ..optional_torch import torch_for_checks as _torch

FLOAT32_THRESHOLD = 1e-5   # float32 forward passes computed in two ways agree to about 1e-7
STATISTICS_THRESHOLD = 1e-3  # lets the unbiased standard deviation (N - 1) pass on thousands of pixels
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)  # train, validation, test: the lab's split of the digits
SHIFTED_MARGIN = 0.05  # digits moved by one pixel may score this much below the split's own minimum

# ---------------------------------------------------------------- shared helpers


def _generator(seed):
    torch = _torch()
    return torch.Generator().manual_seed(mixed_seed(seed))


def _count(shapes):
    return sum(math.prod(shape) for shape, _ in shapes.values())


def _shape_text(shape):
    return "(" + ", ".join(str(n) for n in shape) + ")"


def _error(got, expected):
    """Relative error of two tensors, without a verdict (to try several readings of the student's layers)."""
    return relative_error(np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64))


def _groups(state):
    """The student's state grouped by module: ``{prefix: {leaf: tensor}}`` in registration order
    (``"conv1.weight"`` belongs to module ``"conv1"``)."""
    groups = {}
    for key, value in state.items():
        prefix, _, leaf = key.rpartition(".")
        groups.setdefault(prefix, {})[leaf] = value
    return groups


def _as_state(state, exercise, what):
    if not isinstance(state, dict):
        raise CheckFailed(f"{exercise}: {what} is not an nn.Module (its state_dict could not be read); "
                          "make it a class that subclasses torch.nn.Module and calls super().__init__().")
    return state


def _build(cls, exercise, *args):
    model = call_student(cls, exercise, *args)
    if not isinstance(getattr(model, "training", None), bool):
        raise CheckFailed(f"{exercise}: {getattr(cls, '__name__', 'the class')}(...) built a {type(model).__name__}, not a "
                          "torch.nn.Module; pass the class itself, which subclasses nn.Module.")
    return model


# ---------------------------------------------------------------- LeNet-5

_LENET_ROLES = {  # parameter shape -> what it is, for the student
    (6, 1, 5, 5): "C1's weights: 6 filters of 5x5 on the 1 input channel",
    (6,): "C1's 6 biases",
    (16, 6, 5, 5): "C3's weights: 16 filters of 5x5 over C1's 6 maps",
    (16,): "C3's 16 biases",
    (120, 16, 5, 5): "C5's weights: 120 filters of 5x5 over S4's 16 maps (or a Linear(400, 120))",
    (120,): "C5's 120 biases",
    (84, 120): "F6's weights: Linear(120, 84)",
    (84,): "F6's 84 biases",
    (10, 84): "the output layer's weights: Linear(84, 10)",
    (10,): "the output layer's 10 biases",
}
_C5_AS_LINEAR = (120, 400)


def _lenet_reference(seed):
    """The torch model of the LeNet-5 spec, initialised by ``seed`` (torch's default init)."""
    torch = _torch()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(mixed_seed(seed))
        return to_torch(LENET5.specs, LENET5.input_shape)


def _lenet_variants(reference):
    """Typical wrong LeNets with what each means: copies of ``reference`` (same weights) with
    some modules swapped."""
    from torch import nn

    def variant(replace):
        model = copy.deepcopy(reference)
        for index, spec in enumerate(LENET5.specs):
            new = replace(index, spec)
            if new is not None:
                model[index] = new
        return model

    relu = lambda i, s: nn.ReLU() if isinstance(s, Tanh) else None  # noqa: E731
    maxed = lambda i, s: nn.MaxPool2d(2) if isinstance(s, AvgPool) else None  # noqa: E731
    last_tanhs = [i for i, s in enumerate(LENET5.specs) if isinstance(s, Tanh)][-2:]
    return [
        (variant(relu), "it uses ReLU where LeNet-5 uses tanh"),
        (variant(maxed), "it uses max pooling where LeNet-5 uses average pooling (nn.AvgPool2d)"),
        (variant(lambda i, s: relu(i, s) or maxed(i, s)),
         "it uses ReLU and max pooling, the modern choices, where LeNet-5 uses tanh and average pooling"),
        (variant(lambda i, s: nn.Identity() if i == last_tanhs[0] else None), "the tanh after C5 is missing"),
        (variant(lambda i, s: nn.Identity() if i == last_tanhs[1] else None), "the tanh after F6 is missing"),
        (variant(lambda i, s: nn.Identity() if isinstance(s, Tanh) else None), "there are no tanh activations at all"),
    ]


def _lenet_mismatch(exercise, student, expected_total, total):
    """A message naming the first parameter LeNet-5 should have but the student's model lacks."""
    shapes = [shape for shape, _ in student.values()]
    missing = [shape for shape in _LENET_ROLES if shape not in shapes
               and not (shape == (120, 16, 5, 5) and _C5_AS_LINEAR in shapes)]
    unexpected = [shape for shape in shapes if shape not in _LENET_ROLES and shape != _C5_AS_LINEAR]
    message = f"{exercise}: the model has {total:,} parameters but LeNet-5 has {expected_total:,}"
    if missing:
        message += f"; it has no parameter of shape {_shape_text(missing[0])} ({_LENET_ROLES[missing[0]]})"
    if unexpected:
        extra = unexpected[0]
        message += f" but one of shape {_shape_text(extra)}" if missing else f"; it has an extra parameter of shape {_shape_text(extra)}"
        if len(extra) == 2 and extra[0] in (120, 84) and extra[1] not in (400, 120):
            wanted = 400 if extra[0] == 120 else 120
            message += (f", a linear layer that gets {extra[1]} features where LeNet-5 has {wanted} "
                        "(S4's output is 16x5x5 = 400 without padding in C1; C5's is 120x1x1)")
    message += ". Hint: compare your layers with the table of section 1, row by row (no padding anywhere)."
    return message


def _lenet_values(student_state, reference_state):
    """The reference's weights under the student's names, matched by shape (C5 may be a Linear)."""
    by_shape = {tuple(value.shape): value for value in reference_state.values()}
    by_shape[_C5_AS_LINEAR] = by_shape[(120, 16, 5, 5)].reshape(_C5_AS_LINEAR)
    return {name: by_shape[tuple(value.shape)].clone() for name, value in student_state.items()}


def check_lenet5(LeNet5, seed=0, batch=3):
    """``LeNet5()`` builds LeNet-5 as in ``course.arithmetic.LENET5``: 1x32x32 input, 10 scores out.

    The parameter count must be the spec's 61,706 with the spec's shapes; then the student's model,
    loaded with the weights of the judge's own LeNet-5, must compute the same scores on random
    images (tanh, average pooling, no softmax at the end).
    """
    torch = _torch()
    exercise = "lenet5"
    expected_total = LENET5.table().total_parameters
    model = _build(LeNet5, exercise)
    shapes = probe_student(probes.parameter_shapes, exercise, model)
    total = _count(shapes)
    if total != expected_total or any(shape not in _LENET_ROLES and shape != _C5_AS_LINEAR for shape, _ in shapes.values()):
        raise CheckFailed(_lenet_mismatch(exercise, shapes, expected_total, total))
    if len({shape for shape, _ in shapes.values()}) != len(shapes):
        raise CheckFailed(f"{exercise}: two parameters have the same shape, so the model has a layer twice "
                          "and lacks another, although the count is right; build each layer of LeNet-5 once.")
    frozen = [name for name, (_, trainable) in shapes.items() if not trainable]
    if frozen:
        raise CheckFailed(f"{exercise}: the parameter {frozen[0]} has requires_grad=False; every layer of LeNet-5 is trained.")

    reference = _lenet_reference(seed)
    reference_state = {k: v.detach() for k, v in reference.state_dict().items()}
    student_state = _as_state(probe_student(probes.state, exercise, model), exercise, "LeNet5()")
    probe_student(probes.load_state, exercise, model, _lenet_values(student_state, reference_state))
    x = torch.randn(batch, *LENET5.input_shape, generator=_generator(seed + 1))
    try:
        out = probe_student(probes.forward, exercise, model, x)
    except CheckFailed as error:
        if "shapes cannot be multiplied" in str(error) or "size of tensor" in str(error):
            raise CheckFailed(f"{error}; the layers' sizes do not fit together for a 1x32x32 input. Hint: with no "
                              "padding C1 gives 6x28x28, S2 6x14x14, C3 16x10x10, S4 16x5x5 and C5 120x1x1.") from None
        raise
    if not isinstance(out, torch.Tensor):
        raise CheckFailed(f"{exercise}: the model returned a {type(out).__name__}; forward should return a tensor of scores.")
    if tuple(out.shape) != (batch, 10):
        raise CheckFailed(f"{exercise}: for a batch of {batch} images of 1x32x32 the model returned shape "
                          f"{tuple(out.shape)}, expected ({batch}, 10): one score per digit class. "
                          "Hint: C5's output is 120 maps of 1x1; F6 needs them as 120 features per image, one row each.")
    with torch.no_grad():
        expected = reference(x)
        mistakes = [(torch.softmax(expected, 1).numpy(), "the scores went through a softmax; return the raw scores "
                     "(logits): F.cross_entropy applies log-softmax itself"),
                    (torch.log_softmax(expected, 1).numpy(), "the scores went through log_softmax; return the raw "
                     "scores (logits): F.cross_entropy applies log-softmax itself"),
                    (torch.tanh(expected).numpy(), "there is a tanh after the output layer; the last Linear gives the scores")]
        mistakes += [(variant(x).numpy(), meaning) for variant, meaning in _lenet_variants(reference)]
    compare(exercise, "the scores", out, expected.numpy(), FLOAT32_THRESHOLD,
            hint="follow the table of section 1: the non-linearity and the pooling after each convolution, the "
                 "scores straight from the last linear layer.",
            mistakes=mistakes)


# ---------------------------------------------------------------- the ResNet basic block


def _projection_needed(in_channels, out_channels, stride):
    return stride != 1 or in_channels != out_channels


def _block_parameters(in_channels, out_channels, stride):
    """Parameters of the basic block: two 3x3 convolutions without bias, a BatchNorm (2 per
    channel) after each, and a 1x1 projection with BatchNorm when the shape changes."""
    total = conv_params(in_channels, out_channels, 3, bias=False) + conv_params(out_channels, out_channels, 3, bias=False)
    total += 2 * (2 * out_channels)
    if _projection_needed(in_channels, out_channels, stride):
        total += conv_params(in_channels, out_channels, 1, bias=False) + 2 * out_channels
    return total


def _block_structure(exercise, groups, shapes, in_channels, out_channels, stride):
    """Fail with the structural mistake (a missing shortcut, bias or BatchNorm) before any value is compared."""
    project = _projection_needed(in_channels, out_channels, stride)
    setting = f"ResidualBlock({in_channels}, {out_channels}, stride={stride})"
    convs = {p: g for p, g in groups.items() if "weight" in g and g["weight"].dim() == 4}
    norms = {p: g for p, g in groups.items() if "weight" in g and g["weight"].dim() == 1}
    others = [p for p in groups if p not in convs and p not in norms and set(groups[p]) != {"num_batches_tracked"}]
    threes = [p for p, g in convs.items() if tuple(g["weight"].shape[2:]) == (3, 3)]
    ones = [p for p, g in convs.items() if tuple(g["weight"].shape[2:]) == (1, 1)]
    if others:
        raise CheckFailed(f"{exercise}: {setting} has a layer ({others[0] or 'the block itself'}) that is neither a "
                          "convolution nor a BatchNorm; the basic block needs only Conv2d and BatchNorm2d (and ReLU).")
    if len(threes) != 2 or len(convs) != len(threes) + len(ones):
        kernels = sorted(f"{g['weight'].shape[2]}x{g['weight'].shape[3]}" for g in convs.values())
        raise CheckFailed(f"{exercise}: {setting} has convolutions {kernels or 'none'}; the main path of the basic block "
                          "is two 3x3 convolutions (padding=1). Hint: see the main path in the bullets of section 3.")
    wanted = sorted([(out_channels, in_channels, 3, 3), (out_channels, out_channels, 3, 3)])
    got = sorted(tuple(convs[p]["weight"].shape) for p in threes)
    if got != wanted:
        raise CheckFailed(f"{exercise}: in {setting} the 3x3 convolutions have weights of shapes {got}, expected "
                          f"{wanted}: the first maps {in_channels} -> {out_channels} channels, the second "
                          f"{out_channels} -> {out_channels}.")
    if project and not ones:
        raise CheckFailed(f"{exercise}: {setting} changes the shape of x, so x cannot be added as it is; the projection "
                          "shortcut is missing: a 1x1 convolution with the block's stride, then a BatchNorm (see "
                          "'projection shortcut' in section 3).",
                          mistake=Mistake.named(exercise, setting.split("(")[0], "the projection shortcut is missing"))
    if not project and ones:
        raise CheckFailed(f"{exercise}: {setting} keeps the shape of x, so its shortcut should be the identity (x itself, "
                          "no parameters); it has a 1x1 projection. Use the projection only when stride != 1 or the "
                          "number of channels changes.")
    if len(ones) > 1 or (ones and tuple(convs[ones[0]]["weight"].shape) != (out_channels, in_channels, 1, 1)):
        raise CheckFailed(f"{exercise}: in {setting} the projection shortcut should be one 1x1 convolution with weights "
                          f"of shape {(out_channels, in_channels, 1, 1)}, got {[tuple(convs[p]['weight'].shape) for p in ones]}.")
    with_bias = [p for p, g in convs.items() if "bias" in g]
    if with_bias:
        raise CheckFailed(f"{exercise}: in {setting} the convolution {with_bias[0]} has a bias; the BatchNorm right after it "
                          "subtracts the mean, which cancels any bias, so ResNet uses bias=False on its convolutions.")
    needed = 3 if project else 2
    if len(norms) < needed:
        where = "after each 3x3 convolution and after the 1x1 projection" if project else "after each 3x3 convolution"
        raise CheckFailed(f"{exercise}: BatchNorm missing: {setting} has {len(norms)} normalization layer(s), it needs "
                          f"{needed}, one {where} (nn.BatchNorm2d({out_channels})).")
    if len(norms) > needed:
        raise CheckFailed(f"{exercise}: {setting} has {len(norms)} normalization layers, it needs {needed}: one after "
                          "each convolution (none after the addition).")
    if any(tuple(g["weight"].shape) != (out_channels,) for g in norms.values()):
        raise CheckFailed(f"{exercise}: in {setting} every BatchNorm normalizes the {out_channels} output channels "
                          f"(nn.BatchNorm2d({out_channels})); got sizes {[g['weight'].shape[0] for g in norms.values()]}.")
    if any("running_mean" not in g for g in norms.values()):
        raise CheckFailed(f"{exercise}: in {setting} a normalization layer keeps no running statistics; use "
                          f"nn.BatchNorm2d({out_channels}), which normalizes with them in eval mode.")
    expected_total = _block_parameters(in_channels, out_channels, stride)
    total = _count(shapes)
    if total != expected_total:
        raise CheckFailed(f"{exercise}: {setting} has {total:,} parameters, expected {expected_total:,}.")
    frozen = [name for name, (_, trainable) in shapes.items() if not trainable]
    if frozen:
        raise CheckFailed(f"{exercise}: the parameter {frozen[0]} has requires_grad=False; every layer of the block is trained.")
    first = [p for p in threes if convs[p]["weight"].shape[1] == in_channels]
    return threes, ones, list(norms), first


def _random_block_state(student_state, seed):
    """Random values, under the student's own names: He-scaled conv weights, BatchNorm weights
    around 1 and biases around 0 (not the 1 and 0 of a fresh layer, which would hide which
    BatchNorm is which)."""
    torch = _torch()
    generator = _generator(seed)
    values = {}
    for name, value in student_state.items():
        leaf = name.rpartition(".")[2]
        if not value.is_floating_point():
            values[name] = value.clone()
        elif value.dim() == 4:
            fan_in = value.shape[1] * value.shape[2] * value.shape[3]
            values[name] = torch.randn(value.shape, generator=generator) * math.sqrt(2.0 / fan_in)
        elif leaf in ("weight", "running_var"):
            values[name] = 0.5 + torch.rand(value.shape, generator=generator)
        else:
            values[name] = 0.3 * torch.randn(value.shape, generator=generator)
    return values


def _block_forward(x, roles, stride, variant="right", training=True):
    """The basic block (or one typical wrong version of it) with the weights in ``roles``; its
    BatchNorms in training mode (batch statistics) or, with ``training=False``, in eval mode
    (the running statistics in ``roles``)."""
    from torch.nn import functional as F

    def bn(h, group):
        if training:
            return F.batch_norm(h, None, None, group["weight"], group["bias"], training=True, eps=1e-5)
        return F.batch_norm(h, group["running_mean"], group["running_var"], group["weight"], group["bias"],
                            training=False, eps=1e-5)

    first_stride, second_stride = (1, stride) if variant == "stride in the second convolution" else (stride, 1)
    h = F.conv2d(x, roles["conv1"]["weight"], stride=first_stride, padding=1)
    if variant == "ReLU before BatchNorm":
        h = bn(F.relu(h), roles["bn1"])
    elif variant == "no ReLU in the middle":
        h = bn(h, roles["bn1"])
    else:
        h = F.relu(bn(h, roles["bn1"]))
    h = bn(F.conv2d(h, roles["conv2"]["weight"], stride=second_stride, padding=1), roles["bn2"])
    shortcut = x
    if "projection" in roles:
        shortcut = bn(F.conv2d(shortcut, roles["projection"]["weight"], stride=stride), roles["bn_projection"])
    if variant == "no shortcut":
        return F.relu(h)
    if variant == "ReLU before the addition":
        return F.relu(h) + shortcut
    if variant == "ReLU before and after the addition":
        return F.relu(F.relu(h) + shortcut)
    if variant == "no final ReLU":
        return h + shortcut
    return F.relu(h + shortcut)


_BLOCK_MISTAKES = {
    "no shortcut": "the shortcut is missing: the block returns ReLU(F(x)) instead of ReLU(F(x) + x)",
    "ReLU before the addition": "ReLU is applied before the addition: the block returns ReLU(F(x)) + x "
                                "instead of ReLU(F(x) + x)",
    "ReLU before and after the addition": "ReLU is applied before the addition too: F(x) ends with BatchNorm, "
                                          "then comes the addition, then the one ReLU",
    "no final ReLU": "the ReLU after the addition is missing",
    "stride in the second convolution": "the stride sits on the second 3x3 convolution; the first one downsamples",
    "ReLU before BatchNorm": "the first ReLU comes before its BatchNorm; the order is conv -> BatchNorm -> ReLU",
    "no ReLU in the middle": "the ReLU between the two convolutions is missing",
}


def _assignments(groups, threes, ones, norms, first):
    """Every way of reading the student's layers as conv1, conv2, BatchNorms (and projection):
    registration order first. Equal shapes cannot tell the layers apart, so all are tried."""
    conv_orders = [first + [p for p in threes if p not in first]] if len(first) == 1 else [threes, threes[::-1]]
    for conv1, conv2 in conv_orders:
        for order in itertools.permutations(norms):
            roles = {"conv1": groups[conv1], "conv2": groups[conv2], "bn1": groups[order[0]], "bn2": groups[order[1]]}
            if ones:
                roles["projection"], roles["bn_projection"] = groups[ones[0]], groups[order[2]]
            yield roles


def _shape_mistake(exercise, setting, error, project, stride):
    """A clearer message when adding the shortcut failed because the two paths differ in size."""
    text = str(error)
    if "must match" in text or "size of tensor" in text:
        extra = (f"; with stride={stride} both the first 3x3 convolution and the projection shortcut (the 1x1 "
                 f"convolution) take stride={stride}: is the projection shortcut missing a stride?") if project else \
            "; with stride 1 and padding=1 both 3x3 convolutions keep the height and width"
        raise CheckFailed(f"{exercise}: in {setting} the main path and the shortcut give different shapes, so they "
                          f"cannot be added{extra}") from None
    raise error


def check_residual_block(ResidualBlock, seed=0, batch=4, in_channels=4, out_channels=4, stride=1, size=6):
    """``ResidualBlock(in_channels, out_channels, stride)``: the ResNet basic block,
    ``ReLU(BN(conv3x3(ReLU(BN(conv3x3_stride(x))))) + shortcut(x))``.

    The shortcut is x itself when the shape stays, else a 1x1 convolution with the stride and a
    BatchNorm. Checked: the layers and parameter count, and the output (in training mode, with the
    student's layers loaded with random weights chosen here). Whether the gradient reaches x
    through the shortcut is not judged: only values come back from the student's code, and a
    detached shortcut computes the same values.
    """
    torch = _torch()
    exercise = "residual_block"
    setting = f"ResidualBlock({in_channels}, {out_channels}, stride={stride})"
    project = _projection_needed(in_channels, out_channels, stride)
    block = _build(ResidualBlock, exercise, in_channels, out_channels, stride)
    shapes = probe_student(probes.parameter_shapes, exercise, block)
    student_state = _as_state(probe_student(probes.state, exercise, block), exercise, setting)
    groups = _groups(student_state)
    threes, ones, norms, first = _block_structure(exercise, groups, shapes, in_channels, out_channels, stride)

    values = _random_block_state(student_state, seed)
    probe_student(probes.load_state, exercise, block, values)
    generator = _generator(seed + 1)
    x = torch.randn(batch, in_channels, size, size, generator=generator)
    try:
        out = probe_student(probes.forward, exercise, block, x)
    except CheckFailed as error:
        _shape_mistake(exercise, setting, error, project, stride)
    side = conv_output_size(size, 3, stride, 1)
    expected_shape = (batch, out_channels, side, side)
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != expected_shape:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        detail = "; the stride is ignored" if project and got == (batch, out_channels, size, size) and stride != 1 else ""
        raise CheckFailed(f"{exercise}: {setting} on x of shape {tuple(x.shape)} returned {got}, expected "
                          f"{expected_shape}{detail}. Hint: 3x3 convolutions with padding=1, the first with stride={stride}.")

    groups = _groups(values)
    candidates = list(_assignments(groups, threes, ones, norms, first))
    with torch.no_grad():
        if not any(_error(out, _block_forward(x, r, stride)) < FLOAT32_THRESHOLD for r in candidates):
            mistakes = [(_block_forward(x, r, stride, variant).numpy(), meaning)
                        for variant, meaning in _BLOCK_MISTAKES.items() for r in candidates]
            compare(exercise, f"the output of {setting}", out, _block_forward(x, candidates[0], stride).numpy(),
                    FLOAT32_THRESHOLD, mistakes=mistakes,
                    hint="revisit the block's equation in section 3: BatchNorm after every convolution, the shortcut "
                         "added to the main path, one ReLU after the addition.")

    # The gradient that reaches x is not judged: autograd's graph stays in the student's kernel,
    # and a detached shortcut computes the same values (the lab says so). The forward pass above,
    # with the judge's weights, is what the grade rests on.


# ---------------------------------------------------------------- normalization statistics


def _statistics_inputs(seed, N, C, H, W):
    """Images whose channels have different means and spreads, a training split, and the rest
    brighter and more spread out, so that statistics of the wrong images are far off."""
    torch = _torch()
    generator = _generator(seed)
    scale = 0.5 + torch.rand(C, generator=generator)
    shift = torch.rand(C, generator=generator)
    images = torch.randn(N, C, H, W, generator=generator) * scale.view(1, C, 1, 1) + shift.view(1, C, 1, 1)
    images += 0.5 * torch.rand(N, 1, 1, 1, generator=generator)  # each image a little brighter or darker
    train = torch.randperm(N, generator=generator)[: max(2, int(0.7 * N))].sort().values
    rest = torch.ones(N, dtype=torch.bool)
    rest[train] = False
    images[rest] = images[rest] * 1.5 + 1.0
    return images, train


def check_channel_statistics(channel_statistics, seed=0, N=40, C=3, H=8, W=8):
    """``channel_statistics(images, train_indices) -> (mean, std)``: one mean and one standard
    deviation per channel, over every pixel of the training images only (axes N, H, W).

    The biased (divide by n) and the unbiased (n - 1) standard deviation both pass: over
    thousands of pixels they differ by far less than the threshold.
    """
    torch = _torch()
    exercise = "channel_statistics"
    images, train = _statistics_inputs(seed, N, C, H, W)
    originals = images.clone()
    result = call_student(channel_statistics, exercise, images, train)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(f"{exercise}: channel_statistics should return two values (mean, std), got "
                          f"{type(result).__name__ if not isinstance(result, (tuple, list)) else f'{len(result)} values'}.")
    if not torch.equal(images, originals):
        raise CheckFailed(f"{exercise}: channel_statistics changed the images in place; compute the statistics "
                          "without modifying them (no -=, /= or in-place methods ending in _).")
    mean, std = (r.detach() if isinstance(r, torch.Tensor) else r for r in result)
    train_images = images[train].double()
    expected_mean = train_images.mean(dim=(0, 2, 3))
    expected_std = train_images.std(dim=(0, 2, 3), unbiased=False)
    n_train = len(train)
    for name, got in (("mean", mean), ("std", std)):
        shape = tuple(np.shape(got))
        meaning = {(n_train, C): "it has one value per training image and channel: average over the images too",
                   (N, C): "it has one value per image and channel: use the training images only, and all their pixels",
                   (C, H, W): "it has one value per pixel position: reduce over the height and width too",
                   (1, C, 1, 1): "it kept the reduced axes; return a vector of C values (or use .view(-1))",
                   (): "it is one number for all channels: compute one value per channel, over axes (0, 2, 3)",
                   }.get(shape)
        if shape != (C,):
            raise CheckFailed(f"{exercise}: {name} has shape {shape} but should have shape ({C},), one value per "
                              f"channel" + (f"; {meaning}." if meaning else ".") +
                              " Hint: reduce over the images, the height and the width of the training images (section 4.2).")
    everything = images.double()
    compare(exercise, "mean", mean, expected_mean.numpy(), STATISTICS_THRESHOLD,
            hint="the statistics come from the training images only, one value per channel over all their pixels "
                 "(section 4.2).",
            mistakes=[(everything.mean(dim=(0, 2, 3)).numpy(),
                       "it is the mean of all images, not only the training split: the validation and test images "
                       "must not leak into the normalization"),
                      (images[~_mask(N, train)].double().mean(dim=(0, 2, 3)).numpy(),
                       "it is the mean of the images that are NOT in the training split")])
    compare(exercise, "std", std, expected_std.numpy(), STATISTICS_THRESHOLD,
            hint="one standard deviation per channel over every pixel of every training image (section 4.2).",
            mistakes=[(everything.std(dim=(0, 2, 3), unbiased=False).numpy(),
                       "it is the standard deviation of all images, not only the training split: the validation "
                       "and test images must not leak into the normalization"),
                      *[(train_images.std(dim=(2, 3), unbiased=unbiased).mean(dim=0).numpy(),
                         "it averages the standard deviations of single images, which misses how much the images "
                         "differ from each other: take one std over all training pixels") for unbiased in (False, True)],
                      (expected_std.pow(2).numpy(), "it is the variance; take its square root"),
                      (train_images.mean(dim=(2, 3)).std(dim=0, unbiased=False).numpy(),
                       "it is the spread of the images' mean brightness, not of the pixels")])


def _mask(n, indices):
    torch = _torch()
    mask = torch.zeros(n, dtype=torch.bool)
    mask[indices] = True
    return mask


# ---------------------------------------------------------------- a trained classifier


def digits_splits(seed=0):
    """The lab's data for the graded run: scikit-learn's digits (N, 1, 8, 8) in [0, 1], split
    80/10/10 by ``course.torchlab.split_indices`` with ``seed``, normalized with the training
    split's per-channel mean and std.

    Returns ``(normalized, raw)``: two dicts ``{"train"|"validation"|"test": (images, labels)}``.
    """
    torch = _torch()
    from ..torchlab import load_digits_images, split_indices

    images, labels = load_digits_images()
    images, labels = torch.as_tensor(images, dtype=torch.float32), torch.as_tensor(labels)
    indices = [torch.as_tensor(np.asarray(i), dtype=torch.long)
               for i in split_indices(len(labels), SPLIT_FRACTIONS, seed=seed)]
    train = images[indices[0]]
    mean, std = train.mean(dim=(0, 2, 3)), train.std(dim=(0, 2, 3))
    normalized = (images - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)
    names = ("train", "validation", "test")
    return ({name: (normalized[i], labels[i]) for name, i in zip(names, indices)},
            {name: (images[i], labels[i]) for name, i in zip(names, indices)})


def _accuracy(scores, labels):
    return float((scores.argmax(dim=1) == labels).double().mean())


def _shifted(images, seed):
    """Each image moved by one pixel in one of the 8 directions, drawn from ``seed`` (zeros shifted
    in, as the lab's augmentation does on normalized images): digits no kernel was ever sent."""
    torch = _torch()
    from torch.nn import functional as F

    directions = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]
    choices = torch.randint(len(directions), (len(images),), generator=_generator(seed)).tolist()
    height, width = images.shape[2:]
    padded = F.pad(images, (1, 1, 1, 1))
    return torch.stack([padded[i, :, 1 + dy:1 + dy + height, 1 + dx:1 + dx + width]
                        for i, (dy, dx) in enumerate(directions[c] for c in choices)])


_STEM, _BLOCKS, _HEAD = "stem.", "blocks.", "head."


def _parameters_of(state):
    """``{name: (shape, True)}`` for the entries of a state that are parameters (not BatchNorm's buffers)."""
    buffers = ("running_mean", "running_var", "num_batches_tracked")
    return {name: (tuple(value.shape), True) for name, value in state.items() if name.rpartition(".")[2] not in buffers}


def _not_the_labs_resnet(exercise, what):
    return CheckFailed(f"{exercise}: the grader evaluates your weights in its own copy of the lab's ResNet (section 6: "
                       f"a stem, a sequence of your ResidualBlocks named blocks, a linear head), and {what}; train the "
                       "ResNet class of the lab as it is, with your ResidualBlock.")


def _eval_batch_norm(h, group):
    from torch.nn import functional as F

    return F.batch_norm(h, group["running_mean"], group["running_var"], group["weight"], group["bias"],
                        training=False, eps=1e-5)


def _mismatch(activations, group):
    """How far a batch's channel means are from what a BatchNorm's running mean says they are,
    in its running standard deviations: small for the BatchNorm that really follows them."""
    mean = activations.mean(dim=(0, 2, 3))
    return float(((mean - group["running_mean"]) / group["running_var"].clamp_min(1e-5).sqrt()).pow(2).mean())


def _block_reading_score(x, roles, stride):
    """How well ``roles`` (one reading of a trained block's layers) fits the block's running
    statistics on the activations ``x`` that reach it."""
    from torch.nn import functional as F

    first = F.conv2d(x, roles["conv1"]["weight"], stride=stride, padding=1)
    second = F.conv2d(F.relu(_eval_batch_norm(first, roles["bn1"])), roles["conv2"]["weight"], padding=1)
    score = _mismatch(first, roles["bn1"]) + _mismatch(second, roles["bn2"])
    if "projection" in roles:
        score += _mismatch(F.conv2d(x, roles["projection"]["weight"], stride=stride), roles["bn_projection"])
    return score


def _judge_resnet(exercise, state, images):
    """The judge's copy of the lab's ResNet, loaded with the student's trained ``state``: a function
    from normalized images to scores, computed here in eval mode (running statistics).

    Each block's layers are read as in ``check_residual_block``; where their shapes cannot tell
    the layers apart (the two BatchNorms, say), the reading whose running statistics fit the
    activations of the training ``images`` is taken.
    """
    torch = _torch()
    from torch.nn import functional as F

    groups = _groups(state)
    stem = [groups.get(p) for p in ("stem.0", "stem.1")]
    head = groups.get("head")
    if any(g is None for g in stem) or "running_mean" not in stem[1] or head is None or head["weight"].dim() != 2:
        raise _not_the_labs_resnet(exercise, "your model has no stem.0 (convolution), stem.1 (BatchNorm) or head "
                                             "(linear layer)")
    unknown = [name for name in state if not name.startswith((_STEM, _BLOCKS, _HEAD))]
    if unknown:
        raise _not_the_labs_resnet(exercise, f"your model has a layer it does not have ({unknown[0]})")
    count = 1 + max((int(name.split(".")[1]) for name in state if name.startswith(_BLOCKS)
                     and name.split(".")[1].isdigit()), default=-1)
    channels = stem[0]["weight"].shape[0]
    blocks = []
    with torch.no_grad():
        h = F.relu(_eval_batch_norm(F.conv2d(images, stem[0]["weight"], stem[0].get("bias"), padding=1), stem[1]))
        for index in range(count):
            prefix = f"{_BLOCKS}{index}."
            block_state = {name[len(prefix):]: value for name, value in state.items() if name.startswith(prefix)}
            norms = [v for k, v in block_state.items() if k.endswith("running_mean")]
            if not norms:
                raise _not_the_labs_resnet(exercise, f"block {index} has no BatchNorm")
            out_channels = norms[0].shape[0]
            stride = 1 if out_channels == channels else 2
            block_groups = _groups(block_state)
            try:
                threes, ones, norm_names, first = _block_structure(exercise, block_groups, _parameters_of(block_state),
                                                                   channels, out_channels, stride)
            except CheckFailed as error:
                raise _not_the_labs_resnet(exercise, f"block {index} does not fit it ({str(error).split(': ', 1)[1]})") from None
            candidates = list(_assignments(block_groups, threes, ones, norm_names, first))
            roles = min(candidates, key=lambda r: _block_reading_score(h, r, stride))
            blocks.append((roles, stride))
            h = _block_forward(h, roles, stride, training=False)
            channels = out_channels
    if head["weight"].shape[1] != channels:
        raise _not_the_labs_resnet(exercise, f"its head takes {head['weight'].shape[1]} features where the last block "
                                             f"gives {channels}")

    def scores(x):
        with torch.no_grad():
            h = F.relu(_eval_batch_norm(F.conv2d(x, stem[0]["weight"], stem[0].get("bias"), padding=1), stem[1]))
            for roles, stride in blocks:
                h = _block_forward(h, roles, stride, training=False)
            return F.linear(h.mean(dim=(2, 3)), head["weight"], head.get("bias"))

    return scores


def check_trained_classifier(model, split="validation", minimum=0.95, seed=0):
    """A trained ResNet of the lab (``model``, in eval mode) reaches ``minimum`` accuracy on the
    lab's ``split`` ("validation" or "test"), and ``minimum - SHIFTED_MARGIN`` on the same digits
    shifted by one pixel.

    The student's weights (``probes.state``) are loaded into the judge's own copy of the lab's
    ResNet, which computes the scores here, in eval mode: no image is sent to the student's
    kernel, and the shifted digits are drawn anew (from ``seed`` and the grading run's secret),
    so a lookup of scikit-learn's digits cannot pass. The images are normalized with the
    training split's statistics (see ``digits_splits``).
    """
    torch = _torch()
    exercise = "trained_classifier"
    if split not in ("train", "validation", "test"):
        raise ValueError(f"check_trained_classifier: split must be 'train', 'validation' or 'test', got {split!r}.")
    training = getattr(model, "training", None)
    if not isinstance(training, bool):
        raise CheckFailed(f"{exercise}: expected a trained torch.nn.Module, got {type(model).__name__}.")
    if training:
        raise CheckFailed(f"{exercise}: the model is still in training mode; evaluation needs eval mode, where "
                          "BatchNorm uses its running statistics (and dropout keeps every unit): see the text of "
                          "Exercise 4.", mistake=Mistake.named(exercise, "the model", "it is still in training mode"))
    normalized, raw = digits_splits()
    state = probe_student(probes.state, exercise, model)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckFailed(f"{exercise}: the model's state_dict could not be read; pass the trained nn.Module itself.")
    state = {name: value.float() if value.is_floating_point() else value for name, value in state.items()}
    scores_of = _judge_resnet(exercise, state, normalized["train"][0][:512])
    images, labels = normalized[split]
    try:
        scores = scores_of(images)
    except RuntimeError as error:
        raise _not_the_labs_resnet(exercise, f"its weights do not fit it ({str(error).splitlines()[0][:120]})") from None
    if tuple(scores.shape) != (len(labels), 10):
        raise CheckFailed(f"{exercise}: for {len(labels)} digits the model gives scores of shape {tuple(scores.shape)}, "
                          f"expected ({len(labels)}, 10): one score per class.")
    accuracy = _accuracy(scores, labels)
    shifted_accuracy = _accuracy(scores_of(_shifted(images, seed)), labels)
    shifted_minimum = minimum - SHIFTED_MARGIN
    if accuracy >= minimum and shifted_accuracy >= shifted_minimum:
        return accuracy
    if accuracy >= minimum:
        raise CheckFailed(f"{exercise}: the {split} accuracy is {100 * accuracy:.1f}%, but on the same digits shifted "
                          f"by one pixel it is {100 * shifted_accuracy:.1f}%, below {100 * shifted_minimum:.0f}%; train with "
                          "the one-pixel shifts of section 4.3 (augmentation) so that the network learns that a moved "
                          "digit is the same digit.",
                          mistake=Mistake.named(exercise, "the shifted digits", "it does not recognise shifted digits"))
    message = (f"{exercise}: the {split} accuracy is {100 * accuracy:.1f}%, it should be at least {100 * minimum:.0f}% "
               f"({len(labels)} digits)")
    meaning = None
    raw_accuracy = _accuracy(scores_of(raw[split][0]), labels)
    if raw_accuracy >= minimum:
        meaning = "it was trained without the normalization"
        message += (f"; on images that are NOT normalized it reaches {100 * raw_accuracy:.1f}%, so it was trained "
                    "without the normalization: train on images normalized with the training split's mean and std")
    elif accuracy < 0.2:
        meaning = "it is at chance, as if untrained"
        message += "; that is about chance (10%), as if the model had not been trained at all"
    raise CheckFailed(message + ". Hint: train longer (more epochs) or with a larger learning rate, and watch the "
                      "validation curve.", mistake=Mistake.named(exercise, "the accuracy", meaning))
