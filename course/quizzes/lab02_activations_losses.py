"""Lab 02's self-check quiz: saturation, the ReLU family, label smoothing, BCE, robust losses.

Every number is computed here with ``course.layers``.
"""
import numpy as np

from ..layers import bce_with_logits, softmax_cross_entropy, tanh_backward, tanh_forward
from ..widgets.quiz import MultipleChoice, NumericAnswer, Option

TITLE = "Self-check quiz: activations and losses"


def tanh_derivative(x):
    out, cache = tanh_forward(np.array([float(x)]))
    return float(tanh_backward(np.ones(1), cache)[0])


def smoothed_target(epsilon, classes, label=0):
    """The target row that ``softmax_cross_entropy`` uses with label smoothing ``epsilon``, read
    back from its gradient: with equal scores p = 1/C, and dscores = (p - target) / N with N = 1."""
    _, dscores = softmax_cross_entropy(np.zeros((1, classes)), np.array([label]), label_smoothing=epsilon)
    return 1.0 / classes - dscores[0]


def bce_loss(logit, target):
    loss, _ = bce_with_logits(np.array([float(logit)]), np.array([float(target)]))
    return loss


def _row(values):
    return "(" + ", ".join(f"{v:.4g}" for v in values) + ")"


def questions():
    epsilon, classes = 0.1, 4
    torch_form = smoothed_target(epsilon, classes)
    other_valid = np.where(np.arange(classes) == 0, 1 - epsilon, epsilon / (classes - 1))
    notes_slip = np.where(np.arange(classes) == 0, 1 - epsilon, epsilon / (1 - classes))
    return [
        NumericAnswer(
            "tanh_derivative",
            "What is the derivative of tanh at x = 1? Three decimals are enough.",
            tanh_derivative(1.0), tolerance=0.002,
            explanation=f"tanh'(x) = 1 − tanh²(x); tanh(1) ≈ {np.tanh(1.0):.4f}, so tanh'(1) ≈ "
                        f"{tanh_derivative(1.0):.4f}. That is why the backward pass keeps the forward output.",
            hint="write the derivative with the output of the forward pass: 1 − tanh²."),
        MultipleChoice(
            "saturating_side",
            "For which of these activations does the derivative vanish (go to 0, or be 0) for very negative "
            "inputs?",
            [Option("sigmoid", right=True, why="σ' = σ(1 − σ) tends to 0 as σ tends to 0 (and to 1 on the other side)."),
             Option("tanh", right=True, why="1 − tanh² tends to 0 for large |x| of either sign."),
             Option("ReLU", right=True, why="Its slope is exactly 0 for x ≤ 0: a unit that is negative on every "
                                             "example passes no gradient (a dead ReLU)."),
             Option("ELU", right=True, why="For x ≤ 0 its slope is αeˣ, which fades to 0 far to the left."),
             Option("LeakyReLU", why="Its slope for x ≤ 0 is α (0.01 by default), never 0: that is its point.")],
            several=True),
        MultipleChoice(
            "elu_at_zero",
            "For which α is ELU differentiable at x = 0?",
            [Option("Only for α = 1", right=True,
                    why="The slope from the left is αe⁰ = α and from the right 1; they agree only when α = 1."),
             Option("For every α", why="A claim found in some notes, but the left slope α and the right slope 1 "
                                        "differ unless α = 1: there is a kink."),
             Option("For no α", why="With α = 1 both one-sided slopes equal 1, so ELU is differentiable there.")]),
        NumericAnswer(
            "label_smoothing_target",
            f"Cross-entropy with label smoothing ε = {epsilon:g} over C = {classes} classes, in PyTorch's form "
            "(the one this course uses). What target probability does the true class get?",
            float(torch_form[0]), tolerance=1e-4,
            explanation=f"The target is (1 − ε)·onehot + ε/C: {1 - epsilon:g} + {epsilon:g}/{classes} = "
                        f"{torch_form[0]:.4g} on the true class and {torch_form[1]:.4g} on each other class.",
            hint="PyTorch keeps 1 − ε of the mass on the true class and spreads ε evenly over all C classes, "
                 "the true one included."),
        MultipleChoice(
            "label_smoothing_rows",
            f"Which of these rows is NOT a valid smoothed target for ε = {epsilon:g}, C = {classes}, "
            "true class first?",
            [Option(_row(notes_slip), right=True,
                    why="This is ε/(1 − C) off the true class, a slip in some notes: it is negative for every "
                        "C ≥ 2, so the row is no probability distribution."),
             Option(_row(torch_form), why="PyTorch's form, (1 − ε)·onehot + ε/C; it sums to 1."),
             Option(_row(other_valid), why="The other correct form: 1 − ε on the true class and ε/(C − 1) on each "
                                          "other; it sums to 1 too.")]),
        NumericAnswer(
            "bce_confident_wrong",
            "Binary cross-entropy on a logit: the model outputs the logit x = 3 for an example whose target is "
            "t = 0. What is the loss (natural log)? Three decimals are enough.",
            bce_loss(3.0, 0.0), tolerance=0.002,
            explanation=f"BCE = −[t·log σ(x) + (1 − t)·log(1 − σ(x))] = −log(1 − σ(3)) = log(1 + e³) ≈ "
                        f"{bce_loss(3.0, 0.0):.4f}. The stable form max(x, 0) − x·t + log(1 + e^(−|x|)) gives the "
                        "same without ever taking log 0.",
            hint="with t = 0 only the second term is left: −log(1 − σ(x))."),
        MultipleChoice(
            "bce_sign",
            "Why does the binary cross-entropy start with a minus sign?",
            [Option("The sum of t·log ŷ + (1 − t)·log(1 − ŷ) is a log-likelihood, at most 0; the loss to minimise "
                    "is its negative", right=True,
                    why="Probabilities lie in (0, 1], so their logs are ≤ 0; negating them gives a loss ≥ 0 that "
                        "is small exactly when the likelihood is large."),
             Option("It is a convention; without it training works the same",
                    why="Without the minus, gradient descent would minimise the likelihood, pushing every "
                        "prediction towards the wrong label (some notes drop the sign by mistake)."),
             Option("It makes the gradient σ(x) − t positive",
                    why="The gradient σ(x) − t has either sign; the minus is what makes the loss a quantity "
                        "to minimise.")]),
        MultipleChoice(
            "outliers",
            "You fit one constant c to data with two gross outliers by gradient descent. Which loss leads c "
            "to the median of the data?",
            [Option("MAE", right=True,
                    why="Every residual pulls with the same force, sign(r), so c stops where as many points lie "
                        "above as below: the median."),
             Option("MSE", why="Its gradient grows with the residual, so the outliers drag c to the mean."),
             Option("Huber", why="Quadratic for small residuals, linear for large ones: each outlier pulls with "
                                  "a force of at most δ, so c stays near the bulk of the data, but it is not the "
                                  "median in general.")]),
    ]
