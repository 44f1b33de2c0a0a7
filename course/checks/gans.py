"""Checks for lab 10: the GAN losses (the discriminator's, the minimax and the non-saturating
generator losses) and a DCGAN generator, all on the student's PyTorch code.

A loss is a function of the discriminator's **logits** (scores before the sigmoid, D = sigmoid(logit)).
Its value is compared with the stable log-sigmoid form, ``log D = -softplus(-logit)`` and
``log(1 - D) = -softplus(logit)`` (what ``F.binary_cross_entropy_with_logits`` computes), on
float64 logits that include confident ones (+-40, then +-800), where ``log(1 - sigmoid(40))``
and ``log(sigmoid(-800))`` are ``log(0)`` unless computed stably. Its gradient with respect to the
logits is taken where the student's code lives, with ``course.probes.gradients``, and compared
with autograd of the judge's own formula.
The generator is reached only through ``call_student`` (to build it) and ``probe_student``.
torch is imported inside the checks, so importing ``course.checks`` stays cheap for the NumPy labs.
"""
import numpy as np

from .. import probes
from .judging import FORWARD_THRESHOLD, CheckFailed, call_student, compare, probe_student
from .judging import mixed_seed
from ..optional_torch import torch_for_checks as _torch

GRADIENT_THRESHOLD = 1e-7  # float64 autograd on both sides: only rounding differs
CONFIDENT_LOGITS = (40.0, -40.0)     # 1 - sigmoid(40) is 0.0 in float64
EXTREME_LOGITS = (800.0, -800.0)     # sigmoid(-800) is 0.0 and exp(800) is inf in float64


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
    """A copy of ``logits`` whose last (up to) two are +-800."""
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
            f"{exercise}: {name} is {float(value)} when some logits are large (+-40 or +-800), where sigmoid(x) "
            "rounds to exactly 1 or 0 (or exp(x) overflows) and the log of it is -inf; the formula is not numerically stable. Hint: compute the "
            "logs from the logits: log D = F.logsigmoid(x) = -F.softplus(-x), log(1 - D) = -F.softplus(x) "
            "(as F.binary_cross_entropy_with_logits does).")
    raise CheckFailed(
        f"{exercise}: {name} is {float(value)} even for moderate logits; it uses probabilities where logits are expected: "
        "the inputs are the discriminator's scores before the sigmoid (any real number), so log(x) or log(1 - x) of "
        "them is NaN for x <= 0 or x >= 1. Hint: D = sigmoid(x); better, log D = -F.softplus(-x), log(1 - D) = -F.softplus(x).")


def _judge_loss(loss, exercise, inputs, names, reference, mistakes, hint, moderate_inputs):
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

    upstream = torch.tensor(1.0, dtype=torch.float64)
    try:
        input_grads, _ = probe_student(probes.gradients, exercise, loss, tuple(inputs), upstream)
    except CheckFailed as error:
        text = str(error)
        if "does not require grad" in text or "not a tensor" in text:
            raise CheckFailed(f"{exercise}: no gradient flows back through {name}: the loss is not connected to the "
                              "logits in autograd's graph (computed under torch.no_grad(), with .detach(), .item(), "
                              "NumPy or torch.tensor(...) of a result); compute it with torch operations on the "
                              "logits themselves.") from None
        raise

    def gradients_of(function):
        leaves = [x.clone().requires_grad_(True) for x in inputs]
        grads = torch.autograd.grad(function(*leaves), leaves, allow_unused=True)
        return [torch.zeros_like(x) if g is None else g for g, x in zip(grads, inputs)]

    expected_grads = gradients_of(reference)
    wrong_grads = [(gradients_of(wrong), meaning) for wrong, meaning in mistakes]
    for index, (argument, got) in enumerate(zip(names, input_grads)):
        if got is None:
            raise CheckFailed(f"{exercise}: the loss of {name} does not depend on {argument}: no gradient reaches it.")
        compare(exercise, f"the gradient of {name} with respect to {argument}", got, expected_grads[index].numpy(),
                GRADIENT_THRESHOLD, hint=hint,
                mistakes=[(grads[index].numpy(), meaning) for grads, meaning in wrong_grads])


# ---------------------------------------------------------------- the three losses


def _sigmoid_first(function):
    """``function`` applied to probabilities instead of logits: the typical double sigmoid."""
    torch = _torch()
    return lambda *logits: function(*(torch.sigmoid(x) for x in logits))


PROBABILITIES_FOR_LOGITS = ("it uses probabilities where logits are expected: F.binary_cross_entropy takes probabilities, "
                            "the inputs are logits; use F.binary_cross_entropy_with_logits or softplus")
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
         "the labels are swapped for real and fake: real images are labelled 1 (loss -log D(x) = softplus(-x)), "
         "generated ones 0 (loss -log(1 - D(G(z))) = softplus(x))"),
        (lambda r, f: 0.5 * (sp(-r).mean() + sp(-f).mean()),
         "the generated images are labelled real (1); for the discriminator they are fake (0): softplus(+fake_logits)"),
        (lambda r, f: 0.5 * (sp(r).mean() + sp(f).mean()),
         "the real images are labelled fake (0); for the discriminator they are real (1): softplus(-real_logits)"),
        (lambda r, f: sp(-r).mean() + sp(f).mean(),
         "it adds the two means, which is twice the loss: L_D averages over all 2N logits, (mean_real + mean_fake) / 2"),
        (lambda r, f: 0.5 * (sp(-r).sum() + sp(f).sum()),
         f"it sums over the batch where it should take the mean (mean vs sum: {batch} times too large)"),
        (lambda r, f: sp(-r).sum() + sp(f).sum(), "it sums over all 2N logits where it should take the mean"),
        (lambda r, f: 0.5 * sp(-r).mean(), "the term of the generated images, softplus(fake_logits), is missing"),
        (lambda r, f: 0.5 * sp(f).mean(), "the term of the real images, softplus(-real_logits), is missing"),
        (lambda r, f: sp(-r).mean(), "the term of the generated images, softplus(fake_logits), is missing"),
        (lambda r, f: sp(f).mean(), "the term of the real images, softplus(-real_logits), is missing"),
        (lambda r, f: -discriminator_value(r, f),
         "the sign is flipped: the discriminator minimizes the cross-entropy -[log D(x) + log(1 - D(G(z)))] / 2"),
        (_sigmoid_first(discriminator_value), PROBABILITIES),
    ]
    _judge_loss(discriminator_loss, exercise, (real, fake), ("real_logits", "fake_logits"), discriminator_value,
                mistakes, moderate_inputs=(_moderate(seed, batch), _moderate(seed + 1, batch)),
                hint="(softplus(-real_logits).mean() + softplus(fake_logits).mean()) / 2, which is "
                     "F.binary_cross_entropy_with_logits over both, real labelled 1 and fake 0.")


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
                hint=hint, moderate_inputs=(_moderate(seed, batch),))


def check_minimax_generator_loss(minimax_generator_loss, seed=0, batch=8):
    """``minimax_generator_loss(fake_logits)`` -> ``mean log(1 - D(G(z)))`` = ``-mean softplus(logits)``."""
    wrong_sign = (lambda f: _softplus(f).mean(),
                  "the minimax generator loss has the wrong sign: it is the discriminator's loss on the fakes, "
                  "-log(1 - D(G(z))); the generator minimizes the value of the game, mean log(1 - D(G(z))) = "
                  "-mean softplus(logits)")
    _judge_generator_loss(
        minimax_generator_loss, "minimax_generator_loss", seed, batch, minimax_generator_value, [wrong_sign],
        non_saturating_generator_value,
        "it is the non-saturating loss -log D(G(z)); this exercise asks for the minimax one, log(1 - D(G(z)))",
        hint="log(1 - sigmoid(x)) = -softplus(x), so the loss is -F.softplus(fake_logits).mean().")


def check_non_saturating_generator_loss(non_saturating_generator_loss, seed=0, batch=8):
    """``non_saturating_generator_loss(fake_logits)`` -> ``-mean log D(G(z))`` = ``mean softplus(-logits)``."""
    mistakes = [
        (lambda f: _softplus(f).mean(),
         "the labels are swapped: it labels the generated images fake (0), as the discriminator does; the generator's "
         "non-saturating loss labels them real (1): -log D(G(z)) = softplus(-logits)"),
        (lambda f: -_softplus(-f).mean(),
         "the sign is flipped: the generator minimizes -log D(G(z)), a positive number, mean softplus(-logits)"),
    ]
    _judge_generator_loss(
        non_saturating_generator_loss, "non_saturating_generator_loss", seed, batch, non_saturating_generator_value,
        mistakes, minimax_generator_value,
        "it is the minimax loss log(1 - D(G(z))), whose gradient vanishes when D rejects the samples; the "
        "non-saturating loss is -log D(G(z))",
        hint="-log(sigmoid(x)) = softplus(-x), so the loss is F.softplus(-fake_logits).mean(), which is "
             "F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits)).")


# ---------------------------------------------------------------- the DCGAN generator


def _sizes_hint(image_size):
    start = image_size // 4
    return (f"project z to 2*width feature maps of {start}x{start}, then two nn.ConvTranspose2d(kernel_size=4, "
            f"stride=2, padding=1), each of which doubles the side: {start} -> {2 * start} -> {image_size}.")


def check_generator(Generator, latent_dim=16, image_size=8, batch=6, seed=0):
    """``Generator(latent_dim, image_size)`` maps ``z`` of shape ``(N, latent_dim)`` to images
    ``(N, 1, image_size, image_size)`` in [-1, 1] (a tanh at the end), with BatchNorm inside, every
    parameter used, and every image depending on its own ``z``.

    There is no single right set of weights, so this judges the properties a DCGAN generator must have.
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
    if not any(len(shape) == 4 for shape, _ in shapes.values()):
        raise CheckFailed(f"{exercise}: {setting} has no convolution weights; a DCGAN generator upsamples with "
                          "nn.ConvTranspose2d layers.")
    state = probe_student(probes.state, exercise, model)
    if not any(name.endswith("running_mean") for name in state):
        raise CheckFailed(f"{exercise}: {setting} has no BatchNorm; DCGAN normalizes the generator's hidden layers "
                          "(nn.BatchNorm1d after the projection, nn.BatchNorm2d after the first transposed convolution) "
                          "so that training starts and stays stable; none on the output.")
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
                          "depend on z: the generator must start from z (images = forward(z)).")
    low, high = float(images.min()), float(images.max())
    if low < -1.0 - 1e-6 or high > 1.0 + 1e-6:
        raise CheckFailed(f"{exercise}: the images range from {low:.3g} to {high:.3g}, outside [-1, 1]; end the "
                          "generator with a tanh, so that its samples live where the real images (scaled to [-1, 1]) do.")
    if low >= 0.0:
        raise CheckFailed(f"{exercise}: all pixel values are >= 0 (from {low:.3g} to {high:.3g}): the generator ends "
                          "with a sigmoid or a ReLU; the real images are scaled to [-1, 1], so end with a tanh.")
    dout = torch.randn(wanted, generator=generator)
    input_grads, parameter_grads = probe_student(probes.gradients, exercise, model, (z,), dout)
    unused = [name for name, g in parameter_grads.items() if g is None or not torch.any(g != 0)]
    if unused:
        raise CheckFailed(f"{exercise}: the parameter {unused[0]} gets no gradient; a layer created in __init__ is not "
                          "used in forward (or its output is thrown away).")
    dz = input_grads[0]
    if dz is None or not torch.any(dz != 0):
        raise CheckFailed(f"{exercise}: the images do not depend on z (no gradient reaches it); the generator must "
                          "start from z: images = forward(z).")
    single = torch.zeros(wanted, dtype=dout.dtype)
    single[0] = dout[0]
    per_image, _ = probe_student(probes.gradients, exercise, model, (z,), single)
    if per_image[0] is None or not torch.any(per_image[0][0] != 0):
        raise CheckFailed(f"{exercise}: the first image does not depend on its own z; each row of z should make one image.")
