"""Checks for lab 10: the GAN losses (the discriminator's, the minimax and the non-saturating
generator losses) and a DCGAN generator, all on the student's PyTorch code.

A loss is a function of the discriminator's **logits** (scores before the sigmoid, D = sigmoid(logit)).
Its value is compared with the stable log-sigmoid form, ``log D = -softplus(-logit)`` and
``log(1 - D) = -softplus(logit)`` (what ``F.binary_cross_entropy_with_logits`` computes), on
float64 logits that include confident ones (+-40, then +-1000), where ``log(1 - sigmoid(40))``
and ``log(sigmoid(-1000))`` are ``log(0)`` unless computed stably. Its slope is judged here, on
the judge's side: central finite differences of the values the student's loss returns for logits
moved along directions chosen here (also at +-1000), against autograd of the judge's own formula.
Whether the loss stays in autograd's graph cannot be seen from values; the lab says so.
The generator is reached only through ``call_student`` (to build it) and ``probe_student``; the
judge rebuilds the lab's DCGAN generator from the student's layers and compares the outputs.
torch is imported inside the checks, so importing ``course.checks`` stays cheap for the NumPy labs.
"""
import numpy as np

from .. import probes
from .judging import FORWARD_THRESHOLD, CheckFailed, call_student, compare, probe_student
from .judging import Mistake, mixed_seed
from ..optional_torch import torch_for_checks as _torch

SLOPE_THRESHOLD = 1e-5   # central differences in float64 with a step of 1e-5: rounding near 1e-8
STEP = 1e-5
DIRECTIONS = 3           # random directions along which the slope is measured
CONFIDENT_LOGITS = (40.0, -40.0)     # 1 - sigmoid(40) is 0.0 in float64
EXTREME_LOGITS = (1000.0, -1000.0)   # sigmoid(-1000) is 0.0 and exp(1000) is inf in float64
FLOAT32_THRESHOLD = 1e-5  # a float32 generator against the judge's float64 copy


def _softplus(x):
    return _torch().nn.functional.softplus(x)


def _logits(seed, n, shift=0.0):
    """float64 logits around ``shift`` with spread 3, the first (up to) two confident: +-40."""
    torch = _torch()
    generator = torch.Generator().manual_seed(mixed_seed(seed))
    logits = 3.0 * torch.randn(n, generator=generator, dtype=torch.float64) + shift
    confident = CONFIDENT_LOGITS[:n]
    logits[:len(confident)] = torch.tensor(confident, dtype=torch.float64)
    return logits


def _extreme(logits):
    """A copy of ``logits`` whose last (up to) two are +-1000."""
    torch = _torch()
    logits = logits.clone()
    extreme = EXTREME_LOGITS[:len(logits)]
    logits[len(logits) - len(extreme):] = torch.tensor(extreme, dtype=logits.dtype)
    return logits


def _moderate(seed, n):
    torch = _torch()
    generator = torch.Generator().manual_seed(mixed_seed(seed) + 7919)
    return torch.randn(n, generator=generator, dtype=torch.float64)


# ---------------------------------------------------------------- judging one loss


def _call_loss(loss, exercise, inputs, names):
    """The student's loss of ``inputs``: a tensor holding one number, the inputs left as they were."""
    torch = _torch()
    originals = [x.clone() for x in inputs]
    name = getattr(loss, "__name__", exercise)
    try:
        result = call_student(loss, exercise, *inputs)
    except CheckFailed as error:
        if "between 0 and 1" in str(error):  # F.binary_cross_entropy given logits
            raise CheckFailed(f"{error}; {PROBABILITIES_FOR_LOGITS}") from None
        raise
    for argument, x, before in zip(names, inputs, originals):
        if not torch.equal(x, before):
            raise CheckFailed(f"{exercise}: {name} changed its input {argument} in place; compute the loss without "
                              "modifying the logits (no +=, -= or in-place methods ending in _).")
    if isinstance(result, (int, float, np.floating)):
        raise CheckFailed(f"{exercise}: {name} returned a Python number ({type(result).__name__}), so no gradient can "
                          "flow back to the networks; return the tensor itself, computed with torch operations "
                          "(no .item(), no NumPy).")
    if not isinstance(result, torch.Tensor):
        raise CheckFailed(f"{exercise}: {name} returned a {type(result).__name__}; it should return the loss as a "
                          "tensor holding one number.")
    if result.numel() != 1:
        per_example = tuple(result.shape) == tuple(inputs[0].shape)
        raise CheckFailed(f"{exercise}: {name} returned a tensor of shape {tuple(result.shape)}, expected one number"
                          + ("; it is one loss per example: take the mean over the batch" if per_example else "")
                          + ". Hint: reduce with .mean().")
    return result.detach().double().reshape(())


def _not_finite(exercise, name, value, retry):
    """A loss that is inf or NaN: unstable for confident logits, or logits taken for probabilities."""
    if np.isfinite(float(value)):
        return
    moderate = retry()
    if np.isfinite(float(moderate)):
        raise CheckFailed(
            f"{exercise}: {name} is {float(value)} when some logits are large (+-40 or +-1000), where sigmoid(x) "
            "rounds to exactly 1 or 0 (or exp(x) overflows) and the log of it is -inf; the formula is not numerically "
            "stable. Hint: never take the log of a sigmoid; the section 'Work on logits, never on probabilities' gives "
            "log D and log(1 - D) directly in terms of the logit (F.logsigmoid and F.softplus compute them safely).",
            mistake=Mistake.named(exercise, name, "it is not numerically stable for large logits"))
    raise CheckFailed(
        f"{exercise}: {name} is {float(value)} even for moderate logits; it uses probabilities where logits are expected: "
        "the inputs are the discriminator's scores before the sigmoid (any real number), so log(x) or log(1 - x) of "
        "them is NaN for x <= 0 or x >= 1. Hint: D is the sigmoid of the logit; see 'Work on logits, never on "
        "probabilities' for the stable form of its logs.",
        mistake=Mistake.named(exercise, name, "it treats the logits as probabilities"))


def _judge_loss(loss, exercise, inputs, names, reference, mistakes, hint, moderate_inputs, seed):
    """Value and gradient of the student's ``loss(*inputs)`` against ``reference(*inputs)``.

    ``mistakes``: ``[(wrong_loss_function, meaning)]``; each is compared on the value and, through
    autograd, on the gradient, so that the diagnosis is the same for both.
    """
    torch = _torch()
    name = getattr(loss, "__name__", exercise)
    value = _call_loss(loss, exercise, inputs, names)
    _not_finite(exercise, f"the loss of {name}", value,
                lambda: _call_loss(loss, exercise, moderate_inputs, names))
    with torch.no_grad():
        expected = reference(*inputs)
        wrong_values = [(wrong(*inputs).numpy(), meaning) for wrong, meaning in mistakes]
    compare(exercise, f"the loss of {name}", value.numpy(), expected.numpy(), FORWARD_THRESHOLD,
            hint=hint, mistakes=wrong_values)
    extreme = tuple(_extreme(x) for x in inputs)
    extreme_value = _call_loss(loss, exercise, extreme, names)
    _not_finite(exercise, f"the loss of {name}", extreme_value,
                lambda: _call_loss(loss, exercise, moderate_inputs, names))
    with torch.no_grad():
        compare(exercise, f"the loss of {name} when some logits are +-800", extreme_value.numpy(),
                reference(*extreme).numpy(), FORWARD_THRESHOLD, hint=hint)

    for at, where in ((inputs, ""), (extreme, " when some logits are +-1000")):
        _judge_slopes(loss, exercise, name, at, names, reference, hint, where, seed)


def _directions(inputs, count, seed):
    """``count`` random directions, one tensor per input each, drawn from ``seed``."""
    torch = _torch()
    generator = torch.Generator().manual_seed(mixed_seed(seed) + 104729)
    return [[torch.randn(x.shape, generator=generator, dtype=torch.float64) for x in inputs] for _ in range(count)]


def _judge_slopes(loss, exercise, name, inputs, names, reference, hint, where, seed):
    """The slope of the student's loss along random directions, by central differences of the
    values it returns (the judge's side), against autograd of ``reference``: finite, and right."""
    torch = _torch()
    directions = _directions(inputs, DIRECTIONS, seed)
    got = []
    for direction in directions:
        plus = _call_loss(loss, exercise, tuple(x + STEP * v for x, v in zip(inputs, direction)), names)
        minus = _call_loss(loss, exercise, tuple(x - STEP * v for x, v in zip(inputs, direction)), names)
        got.append((float(plus) - float(minus)) / (2 * STEP))
    got = np.asarray(got)
    leaves = [x.clone().requires_grad_(True) for x in inputs]
    grads = torch.autograd.grad(reference(*leaves), leaves, allow_unused=True)
    grads = [torch.zeros_like(x) if g is None else g for g, x in zip(grads, inputs)]
    expected = np.asarray([sum(float((g * v).sum()) for g, v in zip(grads, direction)) for direction in directions])
    if not np.all(np.isfinite(got)):
        raise CheckFailed(f"{exercise}: the slope of {name}{where} is not finite (its values next to these logits are "
                          "inf or NaN); the loss must stay finite and smooth for confident logits. Hint: see 'Work on "
                          "logits, never on probabilities'.",
                          mistake=Mistake.named(exercise, name, "its slope is not finite for large logits"))
    compare(exercise, f"the slope of {name}{where} along random directions (finite differences)", got, expected,
            SLOPE_THRESHOLD, hint=hint)


# ---------------------------------------------------------------- the three losses


def _sigmoid_first(function):
    """``function`` applied to probabilities instead of logits: the typical double sigmoid."""
    torch = _torch()
    return lambda *logits: function(*(torch.sigmoid(x) for x in logits))


PROBABILITIES_FOR_LOGITS = ("it uses probabilities where logits are expected: F.binary_cross_entropy takes probabilities, "
                            "the inputs are logits (see 'Work on logits, never on probabilities')")
PROBABILITIES = ("it uses probabilities where logits are expected: the logits went through a sigmoid before a loss "
                 "that applies the sigmoid itself (softplus and F.binary_cross_entropy_with_logits take logits)")


def discriminator_value(real_logits, fake_logits):
    """The discriminator's loss: the mean binary cross-entropy over all 2N logits, real ones labelled
    1 and generated ones 0, ``-(1/2N) sum [log D(x_i) + log(1 - D(G(z_i)))]``; with logits,
    ``(mean softplus(-real) + mean softplus(fake)) / 2``. torch equivalent:
    ``F.binary_cross_entropy_with_logits(cat([real, fake]), cat([ones, zeros]))``."""
    return 0.5 * (_softplus(-real_logits).mean() + _softplus(fake_logits).mean())


def minimax_generator_value(fake_logits):
    """The generator's part of the minimax game: ``mean log(1 - D(G(z)))`` = ``-mean softplus(logit)``,
    which the generator minimizes (Goodfellow et al., 2014)."""
    return -_softplus(fake_logits).mean()


def non_saturating_generator_value(fake_logits):
    """The non-saturating generator loss ``-mean log D(G(z))`` = ``mean softplus(-logit)``; torch:
    ``F.binary_cross_entropy_with_logits(fake_logits, ones)``."""
    return _softplus(-fake_logits).mean()


def check_discriminator_loss(discriminator_loss, seed=0, batch=8):
    """``discriminator_loss(real_logits, fake_logits)`` -> the mean BCE over all 2N logits, real
    labelled 1 and fake 0 (``discriminator_value``); value and both gradients."""
    exercise = "discriminator_loss"
    real, fake = _logits(seed, batch, shift=1.0), _logits(seed + 1, batch, shift=-1.0)
    sp = _softplus
    mistakes = [
        (lambda r, f: 0.5 * (sp(r).mean() + sp(-f).mean()),
         "the labels are swapped for real and fake: real images are labelled 1, generated ones 0"),
        (lambda r, f: 0.5 * (sp(-r).mean() + sp(-f).mean()),
         "the generated images are labelled real (1); for the discriminator they are fake (0)"),
        (lambda r, f: 0.5 * (sp(r).mean() + sp(f).mean()),
         "the real images are labelled fake (0); for the discriminator they are real (1)"),
        (lambda r, f: sp(-r).mean() + sp(f).mean(),
         "it adds the two means, which is twice the loss: L_D averages over all 2N logits, (mean_real + mean_fake) / 2"),
        (lambda r, f: 0.5 * (sp(-r).sum() + sp(f).sum()),
         f"it sums over the batch where it should take the mean (mean vs sum: {batch} times too large)"),
        (lambda r, f: sp(-r).sum() + sp(f).sum(), "it sums over all 2N logits where it should take the mean"),
        (lambda r, f: 0.5 * sp(-r).mean(), "the term of the generated images is missing"),
        (lambda r, f: 0.5 * sp(f).mean(), "the term of the real images is missing"),
        (lambda r, f: sp(-r).mean(), "the term of the generated images is missing"),
        (lambda r, f: sp(f).mean(), "the term of the real images is missing"),
        (lambda r, f: -discriminator_value(r, f),
         "the sign is flipped: the discriminator minimizes the cross-entropy -[log D(x) + log(1 - D(G(z)))] / 2"),
        (_sigmoid_first(discriminator_value), PROBABILITIES),
    ]
    _judge_loss(discriminator_loss, exercise, (real, fake), ("real_logits", "fake_logits"), discriminator_value,
                mistakes, moderate_inputs=(_moderate(seed, batch), _moderate(seed + 1, batch)), seed=seed,
                hint="L_D is the binary cross-entropy of all 2N logits, real labelled 1 and fake 0, averaged over "
                     "the 2N; write each log with the identities of 'Work on logits, never on probabilities'.")


def _judge_generator_loss(loss, exercise, seed, batch, right, mistakes, other, other_meaning, hint):
    """A generator loss of the logits of generated images (mostly rejected ones, around -2): its own
    typical ``mistakes``, the ``other`` generator loss, and the mistakes both losses invite."""
    mistakes = mistakes + [
        (other, other_meaning),
        (lambda f: right(f) * batch, f"it sums over the batch where it should take the mean (mean vs sum: "
                                     f"{batch} times too large)"),
        (_sigmoid_first(right), PROBABILITIES),
        (lambda f: 0.5 * right(f), "it is half the loss: the generator's loss averages over its N samples, no 1/2"),
    ]
    _judge_loss(loss, exercise, (_logits(seed, batch, shift=-2.0),), ("fake_logits",), right, mistakes,
                hint=hint, moderate_inputs=(_moderate(seed, batch),), seed=seed)


def check_minimax_generator_loss(minimax_generator_loss, seed=0, batch=8):
    """``minimax_generator_loss(fake_logits)`` -> ``mean log(1 - D(G(z)))`` = ``-mean softplus(logits)``."""
    wrong_sign = (lambda f: _softplus(f).mean(),
                  "the minimax generator loss has the wrong sign: it is the discriminator's loss on the fakes, "
                  "-log(1 - D(G(z))); the generator minimizes the value of the game, mean log(1 - D(G(z)))")
    _judge_generator_loss(
        minimax_generator_loss, "minimax_generator_loss", seed, batch, minimax_generator_value, [wrong_sign],
        non_saturating_generator_value,
        "it is the non-saturating loss -log D(G(z)); this exercise asks for the minimax one, log(1 - D(G(z)))",
        hint="the minimax loss is the mean of log(1 - D) over the batch, a negative number; section 2 writes "
             "it in terms of the logits.")


def check_non_saturating_generator_loss(non_saturating_generator_loss, seed=0, batch=8):
    """``non_saturating_generator_loss(fake_logits)`` -> ``-mean log D(G(z))`` = ``mean softplus(-logits)``."""
    mistakes = [
        (lambda f: _softplus(f).mean(),
         "the labels are swapped: it labels the generated images fake (0), as the discriminator does; the generator's "
         "non-saturating loss labels them real (1)"),
        (lambda f: -_softplus(-f).mean(),
         "the sign is flipped: the generator minimizes -log D(G(z)), a positive number"),
    ]
    _judge_generator_loss(
        non_saturating_generator_loss, "non_saturating_generator_loss", seed, batch, non_saturating_generator_value,
        mistakes, minimax_generator_value,
        "it is the minimax loss log(1 - D(G(z))), whose gradient vanishes when D rejects the samples; the "
        "non-saturating loss is -log D(G(z))",
        hint="the non-saturating loss is the cross-entropy of the generated images with the label real (1), "
             "averaged over the batch; section 2 writes it in terms of the logits.")


# ---------------------------------------------------------------- the DCGAN generator


def _sizes_hint(image_size):
    start = image_size // 4
    return (f"project z to feature maps of {start}x{start}, then two transposed convolutions with 4x4 kernels, "
            f"stride 2 and padding 1, each of which doubles the side: {start} -> {2 * start} -> {image_size}.")


def _generator_values(state, seed):
    """Random values for the student's generator, under its own names: weights scaled by their
    fan-in, BatchNorm weights around 1 and biases around 0 (not a fresh layer's 1 and 0)."""
    torch = _torch()
    generator = torch.Generator().manual_seed(mixed_seed(seed) + 31)
    values = {}
    for name, value in state.items():
        leaf = name.rpartition(".")[2]
        if not value.is_floating_point():
            values[name] = value.clone()
        elif value.dim() >= 2:
            fan_in = value.shape[1] * (value.shape[2] * value.shape[3] if value.dim() == 4 else 1)
            values[name] = torch.randn(value.shape, generator=generator) * (2.0 / fan_in) ** 0.5
        elif leaf in ("weight", "running_var"):
            values[name] = 0.5 + torch.rand(value.shape, generator=generator)
        else:
            values[name] = 0.3 * torch.randn(value.shape, generator=generator)
    return values


def _generator_layers(exercise, setting, state, latent_dim, image_size):
    """The student's layers read as the lab's DCGAN table (section 3): the projection, its
    BatchNorm, two transposed convolutions and the BatchNorm between them. Each DCGAN rule the
    state breaks fails here with its name."""
    groups = {}
    for key, value in state.items():
        prefix, _, leaf = key.rpartition(".")
        groups.setdefault(prefix, {})[leaf] = value
    linears = [g for g in groups.values() if "weight" in g and g["weight"].dim() == 2]
    convs = [g for g in groups.values() if "weight" in g and g["weight"].dim() == 4]
    norms = [g for g in groups.values() if "running_mean" in g]
    rules = "see the DCGAN rules and the table of section 3"
    if not convs:
        raise CheckFailed(f"{exercise}: {setting} has no convolution weights; a DCGAN generator upsamples with "
                          f"transposed convolutions ({rules}).",
                          mistake=Mistake.named(exercise, "the generator", "it has no transposed convolutions"))
    if not norms:
        raise CheckFailed(f"{exercise}: {setting} has no BatchNorm; DCGAN normalizes the generator's hidden layers, so "
                          f"that training starts and stays stable, but not its output ({rules}).",
                          mistake=Mistake.named(exercise, "the generator", "it has no BatchNorm"))
    if any(g["running_mean"].shape[0] == 1 for g in norms):
        raise CheckFailed(f"{exercise}: {setting} has a BatchNorm over 1 channel, on the output layer; DCGAN puts "
                          "BatchNorm on every hidden layer but never on the generator's output, whose values the tanh "
                          f"must be free to place ({rules}).",
                          mistake=Mistake.named(exercise, "the generator", "it has BatchNorm on its output layer"))
    if len(linears) != 1:
        raise CheckFailed(f"{exercise}: {setting} has {len(linears)} linear layers; the table has one, the projection "
                          f"of z to the first feature maps ({rules}).")
    if len(convs) != 2:
        raise CheckFailed(f"{exercise}: {setting} has {len(convs)} convolutions; the table has two transposed "
                          f"convolutions, each doubling the side ({rules}).")
    project = linears[0]
    if project["weight"].shape[1] != latent_dim:
        raise CheckFailed(f"{exercise}: the linear layer of {setting} takes {project['weight'].shape[1]} inputs; it "
                          f"projects z, which has latent_dim = {latent_dim} values.")
    last = [g for g in convs if g["weight"].shape[1] == 1]
    first = [g for g in convs if g is not (last[0] if last else None)]
    if not last or len(first) != 1:
        shapes = [tuple(g["weight"].shape) for g in convs]
        layout = any(g["weight"].shape[0] == 1 for g in convs)
        raise CheckFailed(f"{exercise}: the convolutions of {setting} have weights of shapes {shapes}"
                          + ("; one with 1 output channel in Conv2d's layout (out, in, k, k): DCGAN's generator "
                             "upsamples with transposed convolutions, not with Upsample and Conv2d" if layout else
                             "; the last transposed convolution should give 1 channel")
                          + f" ({rules}).",
                          mistake=Mistake.named(exercise, "the generator", "it does not upsample with transposed "
                                                                           "convolutions" if layout else None))
    first, last = first[0], last[0]
    channels, width = first["weight"].shape[0], first["weight"].shape[1]
    side = image_size // 4
    if last["weight"].shape[0] != width or project["weight"].shape[0] != channels * side * side:
        raise CheckFailed(f"{exercise}: the layers of {setting} do not chain as the table's: the projection gives "
                          f"{project['weight'].shape[0]} values, the first transposed convolution takes {channels} maps "
                          f"of {side}x{side} ({channels * side * side} values) and gives {width}, the last takes "
                          f"{last['weight'].shape[0]}.")
    if any(tuple(g["weight"].shape[2:]) != (4, 4) for g in convs):
        raise CheckFailed(f"{exercise}: the transposed convolutions of {setting} have kernels of "
                          f"{[tuple(g['weight'].shape[2:]) for g in convs]}; the table's have 4x4 kernels with stride 2 "
                          "and padding 1, which double the side exactly.")
    sizes = sorted(g["running_mean"].shape[0] for g in norms)
    after_projection = [g for g in norms if g["running_mean"].shape[0] in (channels * side * side, channels)]
    between = [g for g in norms if g["running_mean"].shape[0] == width and all(g is not a for a in after_projection)]
    if len(norms) != 2 or len(after_projection) != 1 or len(between) != 1:
        raise CheckFailed(f"{exercise}: {setting} has BatchNorms of sizes {sizes}; DCGAN normalizes both hidden layers "
                          f"of the table: the projection ({channels * side * side} values, or {channels} maps) and the "
                          f"first transposed convolution ({width} maps), and not the output ({rules}).",
                          mistake=Mistake.named(exercise, "the generator", "its BatchNorms are not on the hidden layers"))
    return project, after_projection[0], first, between[0], last, (channels, side, side)


def _generator_forward(z, layers, variant="right"):
    """The lab's DCGAN generator (or a typical wrong one) with the student's weights, BatchNorm in
    training mode, in float64."""
    torch = _torch()
    F = torch.nn.functional
    project, norm0, first, norm1, last, start = ((
        {k: v.double() if v.is_floating_point() else v for k, v in g.items()} if isinstance(g, dict) else g)
        for g in layers)
    act = (lambda h: F.leaky_relu(h, 0.2)) if variant == "LeakyReLU" else F.relu

    def bn(h, group):
        return F.batch_norm(h, None, None, group["weight"], group["bias"], training=True, eps=1e-5)

    h = F.linear(z.double(), project["weight"], project.get("bias"))
    if norm0["running_mean"].shape[0] == h.shape[1]:
        h = act(bn(h, norm0)).view(-1, *start)
    else:
        h = act(bn(h.view(-1, *start), norm0))
    h = act(bn(F.conv_transpose2d(h, first["weight"], first.get("bias"), stride=2, padding=1), norm1))
    h = F.conv_transpose2d(h, last["weight"], last.get("bias"), stride=2, padding=1)
    return h if variant == "no tanh" else torch.tanh(h)


_GENERATOR_MISTAKES = {
    "LeakyReLU": "it uses LeakyReLU in the generator; DCGAN's generator uses ReLU (LeakyReLU is the discriminator's)",
}


def check_generator(Generator, latent_dim=16, image_size=8, batch=6, seed=0):
    """``Generator(latent_dim, image_size)`` maps ``z`` of shape ``(N, latent_dim)`` to images
    ``(N, 1, image_size, image_size)`` in [-1, 1], following the DCGAN rules of the lab and its
    table: a projection with BatchNorm and ReLU, a transposed convolution with BatchNorm and ReLU,
    a transposed convolution to one channel and a tanh, no BatchNorm on the output.

    There is no single right set of weights, so the judge loads weights of its own choosing into
    the student's layers and compares the images with its own copy of the table's generator
    built from those layers: every layer used, every image made from its own z.
    """
    torch = _torch()
    exercise = "generator"
    setting = f"Generator({latent_dim}, {image_size})"
    model = call_student(Generator, exercise, latent_dim, image_size)
    if not isinstance(getattr(model, "training", None), bool):
        raise CheckFailed(f"{exercise}: {setting} built a {type(model).__name__}, not a torch.nn.Module; pass the "
                          "class itself, which subclasses nn.Module.")
    shapes = probe_student(probes.parameter_shapes, exercise, model)
    if not shapes:
        raise CheckFailed(f"{exercise}: {setting} has no parameters; create its layers in __init__.")
    state = probe_student(probes.state, exercise, model)
    if not isinstance(state, dict):
        raise CheckFailed(f"{exercise}: the state_dict of {setting} could not be read; make it an nn.Module.")
    layers = _generator_layers(exercise, setting, state, latent_dim, image_size)
    values = _generator_values(state, seed)
    probe_student(probes.load_state, exercise, model, values)
    layers = _generator_layers(exercise, setting, values, latent_dim, image_size)
    generator = torch.Generator().manual_seed(mixed_seed(seed))
    z = torch.randn(batch, latent_dim, generator=generator)
    images = probe_student(probes.forward, exercise, model, z)
    if not isinstance(images, torch.Tensor):
        raise CheckFailed(f"{exercise}: {setting} returned a {type(images).__name__}; forward should return a tensor of images.")
    wanted = (batch, 1, image_size, image_size)
    if tuple(images.shape) != wanted:
        flat = tuple(images.shape) == (batch, image_size * image_size)
        raise CheckFailed(f"{exercise}: for z of shape {(batch, latent_dim)} {setting} returned shape "
                          f"{tuple(images.shape)}, expected {wanted}"
                          + ("; reshape to images with one channel" if flat else "") + ". Hint: " + _sizes_hint(image_size))
    images = images.double()
    if not torch.isfinite(images).all():
        raise CheckFailed(f"{exercise}: {setting} returned NaN or inf.")
    if batch > 1 and float((images - images[:1]).abs().max()) == 0.0:
        raise CheckFailed(f"{exercise}: {setting} returned the same image for {batch} different z; the images do not "
                          "depend on z: the generator must start from z.",
                          mistake=Mistake.named(exercise, "the images", "they do not depend on z"))
    low, high = float(images.min()), float(images.max())
    if low < -1.0 - 1e-6 or high > 1.0 + 1e-6:
        raise CheckFailed(f"{exercise}: the images range from {low:.3g} to {high:.3g}, outside [-1, 1]; DCGAN's "
                          "generator ends with a tanh, so that its samples live where the real images (scaled to "
                          "[-1, 1]) do.", mistake=Mistake.named(exercise, "the images", "there is no tanh at the end"))
    if low >= 0.0:
        raise CheckFailed(f"{exercise}: all pixel values are >= 0 (from {low:.3g} to {high:.3g}): the generator ends "
                          "with a sigmoid or a ReLU; the real images are scaled to [-1, 1], and DCGAN's generator ends "
                          "with a tanh.", mistake=Mistake.named(exercise, "the images", "the output is not a tanh"))
    with torch.no_grad():
        expected = _generator_forward(z, layers)
        mistakes = [(_generator_forward(z, layers, variant).numpy(), meaning)
                    for variant, meaning in _GENERATOR_MISTAKES.items()]
    compare(exercise, f"the images of {setting} (with weights chosen by the check)", images.numpy(), expected.numpy(),
            FLOAT32_THRESHOLD, mistakes=mistakes,
            hint="follow the table of section 3 layer by layer: projection, BatchNorm, ReLU, reshape, transposed "
                 "convolution, BatchNorm, ReLU, transposed convolution, tanh; every layer used once, on z.")
