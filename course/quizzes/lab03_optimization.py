"""Lab 03's self-check quiz: momentum, RMSprop, Adam and its bias correction, schedules, init.

Every number is computed here with ``course.optim`` and ``course.init``.
"""
import numpy as np

from ..init import kaiming_std
from ..optim import SGD, Adam, RMSprop
from ..optim.lr_scheduler import step_lr
from ..widgets.quiz import MultipleChoice, NumericAnswer, Option

TITLE = "Self-check quiz: optimization"


def first_step_over_lr(optimizer_class, gradient, **hyperparameters):
    """|first update| / lr of ``optimizer_class`` on one weight with this gradient."""
    weight = np.zeros(1)
    optimizer = optimizer_class([weight], **hyperparameters)
    optimizer.step([np.array([float(gradient)])])
    return float(abs(weight[0]) / optimizer.lr)


def momentum_buffer(steps, gradient=1.0, momentum=0.9):
    """torch's momentum buffer after ``steps`` steps with a constant gradient."""
    optimizer = SGD([np.zeros(1)], lr=0.1, momentum=momentum)
    for _ in range(steps):
        optimizer.step([np.array([gradient])])
    return float(optimizer.state[0]["momentum_buffer"][0])


def questions():
    tiny = 1e-6
    adam_ratio = first_step_over_lr(Adam, tiny, lr=1e-3)
    adam_inside = tiny / np.sqrt(tiny**2 + 1e-8)  # what epsilon inside the square root would give
    rmsprop_ratio = first_step_over_lr(RMSprop, 0.5, lr=1e-2)
    he_variance = kaiming_std((512, 256), nonlinearity="relu") ** 2
    return [
        NumericAnswer(
            "momentum_buffer",
            "SGD with momentum μ = 0.9 in PyTorch's form, b_t = μ·b_(t−1) + g_t with b_0 = 0. The gradient is "
            "g = 1 at every step. What is the buffer b after 3 steps?",
            momentum_buffer(3), tolerance=1e-6,
            explanation=f"b = {momentum_buffer(1):g}, then 0.9·{momentum_buffer(1):g} + 1 = {momentum_buffer(2):.4g}, "
                        f"then 0.9·{momentum_buffer(2):.4g} + 1 = {momentum_buffer(3):.4g}. With a steady "
                        f"gradient it tends to g/(1 − μ) = {momentum_buffer(500):.4g}: a tenfold step.",
            hint="apply b ← 0.9·b + 1 three times, starting from 0."),
        NumericAnswer(
            "rmsprop_first_step",
            "RMSprop with PyTorch's defaults (α = 0.99, ε = 1e-8, no bias correction), learning rate η. "
            "The first gradient of a weight is 0.5. How many times η is the size of its first step?",
            rmsprop_ratio, tolerance=0.001,
            explanation=f"s₁ = (1 − α)·g² = 0.01·g², so the step is η·g/(√s₁ + ε) ≈ η·g/(0.1·|g|) = "
                        f"{rmsprop_ratio:.4g}·η, whatever the size of g: RMSprop's first steps are large.",
            hint="after one step the running average is (1 − α)·g²; divide g by its square root."),
        NumericAnswer(
            "adam_first_step",
            "Adam with the usual defaults (β₁ = 0.9, β₂ = 0.999, ε = 1e-8 added outside the square root). A weight's "
            "first gradient is tiny, g = 1e-6. Its first step is how many times the learning rate η? "
            "Three decimals are enough.",
            adam_ratio, tolerance=0.002,
            explanation=f"Bias correction gives m̂₁ = g and v̂₁ = g², so the step is η·g/(|g| + ε) = "
                        f"η·1e-6/(1e-6 + 1e-8) ≈ {adam_ratio:.3f}·η: about η, whatever the gradient's size.",
            hint="after bias correction, m̂₁ = g and v̂₁ = g²; then the step is η·m̂/(√v̂ + ε)."),
        MultipleChoice(
            "epsilon_placement",
            "Where do PyTorch's Adam and the Adam paper put ε in the update η·m̂/(… )?",
            [Option("Outside the square root: √v̂ + ε", right=True,
                    why=f"Then a tiny gradient (1e-6) still gets a step of about {adam_ratio:.2f}·η."),
             Option("Inside the square root: √(v̂ + ε)",
                    why=f"Some notes write it so, but with g = 1e-6 the step would shrink to about "
                        f"{adam_inside:.2g}·η: weights with small gradients would barely move."),
             Option("Added to the gradient before the moments are averaged",
                    why="ε only keeps the division away from 0; it never changes the gradient itself.")]),
        MultipleChoice(
            "adam_parts",
            "Adam combines a moving average of the gradients with which other idea?",
            [Option("RMSprop's moving average of the squared gradients", right=True,
                    why="The second moment v is RMSprop's running average of g², with bias correction added."),
             Option("AdaGrad's growing sum of the squared gradients",
                    why="A recap in some notes says so, but Adam forgets old gradients exponentially, as RMSprop "
                        "does; AdaGrad's sum only grows."),
             Option("Newton's method, using the Hessian",
                    why="Adam is a first-order method: it uses statistics of the gradient, no second "
                        "derivatives.")]),
        MultipleChoice(
            "adam_t",
            "In Adam's bias correction m̂ = m/(1 − β₁ᵗ), what does t count?",
            [Option("Parameter updates so far, starting at 1", right=True,
                    why="Each step adds one more term to the moving averages, so the correction follows the "
                        "number of updates."),
             Option("Epochs", why="Some notes say so, but an epoch holds many updates; the averages change at "
                                  "every update."),
             Option("Parameters in the model", why="t is a step counter; every parameter shares it.")]),
        NumericAnswer(
            "he_variance",
            "He (Kaiming) normal initialisation for a ReLU layer with n_in = 512 inputs. What is the variance of "
            "the weights?",
            he_variance, tolerance=1e-6,
            explanation=f"Var(w) = 2/n_in = {he_variance:.4g}; the standard deviation is √(2/n_in) ≈ "
                        f"{np.sqrt(he_variance):.4f}. (Writing N(0, √(2/n_in)) names the standard deviation, "
                        "not the variance.) The factor 2 makes up for ReLU zeroing half of its inputs.",
            hint="He's rule keeps n_in·Var(w) = 2."),
        NumericAnswer(
            "step_decay",
            "Step decay (PyTorch's StepLR): start at η₀ = 0.1, multiply by γ = 0.5 every 10 epochs. What is "
            "the learning rate at epoch 25?",
            step_lr(25, 0.1, 10, 0.5), tolerance=1e-6,
            explanation=f"η₀·γ^⌊25/10⌋ = 0.1·0.5² = {step_lr(25, 0.1, 10, 0.5):g}.",
            hint="count how many full blocks of 10 epochs have passed and multiply by γ that many times."),
    ]
