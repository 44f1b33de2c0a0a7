"""Lab 01's self-check quiz: neurons, layers, the chain rule, softmax cross-entropy.

Every number is computed here with ``course.layers`` and ``course.arithmetic``.
"""
import numpy as np

from ..arithmetic import linear_params
from ..layers import affine_backward, affine_forward, relu_forward, softmax_cross_entropy
from ..widgets.quiz import MultipleChoice, NumericAnswer, Option

TITLE = "Self-check quiz: neurons and backpropagation"


def mlp_parameter_count(widths):
    """Weights and biases of an MLP with these layer widths, input first (e.g. 4, 3, 2, 1)."""
    return sum(linear_params(n_in, n_out) for n_in, n_out in zip(widths[:-1], widths[1:]))


def worked_example_weight_gradient():
    """(dL/dY, dL/dW) for X = [[0, 1], [2, 3]], W = ones, Y = XW and L = sum(Y**2) (the lab's worked example)."""
    x, w = np.array([[0.0, 1.0], [2.0, 3.0]]), np.ones((2, 2))
    y, cache = affine_forward(x, w, np.zeros(2))
    _, dw, _ = affine_backward(2 * y, cache)  # dL/dY = 2Y
    return 2 * y, dw


def one_step_output_bias(learning_rate=0.1):
    """The lab's 2-3-1 ReLU network, one gradient step with L = (y - t)**2 / 2:
    ``(prediction, dL/dy, b2 before, b2 after)``."""
    x = np.array([[1.0, 2.0]])
    w1, b1 = np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]), np.array([0.1, 0.2, 0.3])
    w2, b2, target = np.array([[0.7], [0.8], [0.9]]), np.array([0.1]), 3.2
    h, _ = relu_forward(affine_forward(x, w1, b1)[0])
    y, cache = affine_forward(h, w2, b2)
    _, _, db2 = affine_backward(y - target, cache)  # d/dy of (y - t)^2 / 2
    return float(y[0, 0]), float((y - target)[0, 0]), float(b2[0]), float((b2 - learning_rate * db2)[0])


def initial_cross_entropy(classes):
    """The softmax cross-entropy when every class gets the same score."""
    loss, _ = softmax_cross_entropy(np.zeros((1, classes)), np.array([0]))
    return loss


def _matrix(values):
    return "[" + ", ".join("[" + ", ".join(f"{v:g}" for v in row) + "]" for row in values) + "]"


def questions():
    dy, dw = worked_example_weight_gradient()
    initial_loss = initial_cross_entropy(10)
    prediction, upstream, bias_before, bias_after = one_step_output_bias()
    return [
        NumericAnswer(
            "mlp_parameters",
            "An MLP has 4 inputs, hidden layers of 3 and 2 units and 1 output, every layer with biases. "
            "How many parameters does it have in all?",
            mlp_parameter_count([4, 3, 2, 1]), tolerance=0, relative=False,
            explanation=f"Each affine layer from n_in to n_out units has n_in·n_out weights and n_out biases: "
                        f"{linear_params(4, 3)} + {linear_params(3, 2)} + {linear_params(2, 1)}.",
            hint="count n_in·n_out weights plus n_out biases for each of the three layers, then add them up."),
        MultipleChoice(
            "weight_gradient_shape",
            "An affine layer computes `x @ w + b` with x of shape (N, D) and w of shape (D, M). "
            "What is the shape of dL/dw?",
            [Option("(D, M)", right=True,
                    why="A gradient always has the shape of the thing it is the gradient of; here x.T @ dout "
                        "gives (D, N) @ (N, M)."),
             Option("(N, M)", why="That is the shape of the upstream gradient dout, one row per example."),
             Option("(M, D)", why="That is how torch's nn.Linear stores its weight (it computes x @ W.T); our w "
                                  "is the transpose of that."),
             Option("(N, D)", why="That is the shape of x and of dL/dx, not of the weights.")]),
        NumericAnswer(
            "worked_example_gradient",
            "Take X = [[0, 1], [2, 3]], W the 2×2 matrix of ones, Y = XW (no bias) and L = sum of Y² over all "
            "entries. What is the bottom-left entry of dL/dW?",
            float(dw[1, 0]), tolerance=0, relative=False,
            explanation=f"dL/dY = 2Y = {_matrix(dy)} and dL/dW = Xᵀ · dL/dY = {_matrix(dw)}.",
            hint="the upstream gradient is 2Y; multiply it from the left by the transpose of X."),
        MultipleChoice(
            "layer_gradient_index",
            "In the column convention z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾, with δ⁽ˡ⁾ = ∂L/∂z⁽ˡ⁾, which is the gradient "
            "of the loss with respect to W⁽ˡ⁾?",
            [Option("δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ", right=True,
                    why="W⁽ˡ⁾ multiplies the activations coming into layer l, so its gradient pairs layer l's δ "
                        "with those inputs, a⁽ˡ⁻¹⁾; the shapes agree (n_l × n_(l−1))."),
             Option("δ⁽ˡ⁺¹⁾ (a⁽ˡ⁾)ᵀ",
                    why="This is off by one layer (a slip found in some notes): it is the gradient of W⁽ˡ⁺¹⁾, "
                        "and its shape does not even match W⁽ˡ⁾."),
             Option("(a⁽ˡ⁻¹⁾)ᵀ δ⁽ˡ⁾", why="The factors are in the wrong order: that product is not a matrix of "
                                           "W⁽ˡ⁾'s shape (for one example it is a single number).")]),
        NumericAnswer(
            "initial_cross_entropy",
            "A 10-class classifier starts with all scores equal. What is its softmax cross-entropy loss "
            "(natural log)? Three decimals are enough.",
            initial_loss, tolerance=0.002,
            explanation=f"Equal scores give every class probability 1/10, and −log(1/10) = ln 10 ≈ {initial_loss:.3f}. "
                        "A first loss far from ln C points to a bug or a bad initialisation.",
            hint="softmax of equal scores is uniform; the loss is −log of the true class's probability."),
        NumericAnswer(
            "one_step_bias",
            f"The lab's one-step example: x = (1, 2), three ReLU hidden units, one linear output, prediction "
            f"ŷ = {prediction:g}, target 3.2, learning rate 0.1, loss ½(ŷ − t)². The output bias starts at "
            f"{bias_before:g}. What is it after one gradient step?",
            bias_after, tolerance=1e-6, relative=False,
            explanation=f"dL/dŷ = ŷ − t = {upstream:.4g} and dL/db₂ = dL/dŷ, so b₂ = {bias_before:g} − 0.1 · "
                        f"{upstream:.4g} = {bias_after:.4g}. (With the loss (ŷ − t)², without the ½, the gradient "
                        "and so every step would be twice as large.)",
            hint="the bias's gradient is the upstream gradient ŷ − t itself; step against it."),
        MultipleChoice(
            "two_affine_layers",
            "What do two affine layers in a row, with no activation between them, compute?",
            [Option("One affine map: X(W₁W₂) + (b₁W₂ + b₂)", right=True,
                    why="Composing affine maps gives an affine map, so the extra layer adds no expressive "
                        "power; the non-linearity between layers is what makes depth useful."),
             Option("A non-linear function that can separate the spirals",
                    why="Without a non-linearity the decision boundary stays a straight line (a hyperplane), "
                        "however many affine layers are stacked."),
             Option("A function twice as expressive as one layer",
                    why="The product W₁W₂ is just another weight matrix: two layers can only reach maps that "
                        "one layer can reach too.")]),
    ]
