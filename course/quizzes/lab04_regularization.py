"""Lab 04's self-check quiz: weight decay, early stopping, inverted dropout, BatchNorm, LayerNorm.

Every number is computed here with ``course.layers`` and ``course.optim``.
"""
import numpy as np

from ..layers import batchnorm_forward, dropout_forward
from ..optim import SGD
from ..widgets.quiz import MultipleChoice, NumericAnswer, Option

TITLE = "Self-check quiz: regularization and normalization"


def kept_value(p, value=1.0):
    """What inverted dropout makes of ``value`` where it keeps the unit (training mode)."""
    out, _ = dropout_forward(np.full(1000, value), p, "train", seed=0)
    return float(out[out != 0][0])


def running_variance_after_one_batch(batch, momentum=0.1):
    """running_var after one training batch (one feature), starting from 1, as torch's BatchNorm1d."""
    bn_param = {"mode": "train", "momentum": momentum}
    column = np.asarray(batch, dtype=float)[:, None]
    batchnorm_forward(column, np.ones(1), np.zeros(1), bn_param)
    return float(bn_param["running_var"][0])


def weight_after_decay(weight, lr, weight_decay, steps=1):
    """A weight whose loss gradient is 0, after ``steps`` of SGD with weight decay."""
    parameter = np.array([float(weight)])
    optimizer = SGD([parameter], lr=lr, weight_decay=weight_decay)
    for _ in range(steps):
        optimizer.step([np.zeros(1)])
    return float(parameter[0])


def questions():
    p = 0.2
    batch = [1.0, 2.0, 3.0, 4.0]
    running_var = running_variance_after_one_batch(batch)
    biased, unbiased = np.var(batch), np.var(batch, ddof=1)
    decayed = weight_after_decay(1.0, lr=0.1, weight_decay=0.01)
    return [
        NumericAnswer(
            "inverted_dropout_scale",
            f"Inverted dropout with drop probability p = {p:g}, in training mode. A unit that is kept had the value "
            "1.0. What value does it pass on?",
            kept_value(p), tolerance=1e-6,
            explanation=f"Kept units are divided by the keep probability 1 − p = {1 - p:g}: 1/{1 - p:g} = "
                        f"{kept_value(p):g}. Then every unit's expected output equals its input.",
            hint="inverted dropout scales the kept units during training so that their mean stays the same."),
        MultipleChoice(
            "dropout_at_test_time",
            "A network trained with inverted dropout (as torch.nn.Dropout(p)) is evaluated. What does the "
            "dropout layer do at test time?",
            [Option("Nothing: it passes its input through unchanged", right=True,
                    why="The 1/(1 − p) scaling during training already keeps the expected values right, so no "
                        "test-time scaling is needed."),
             Option("It multiplies the outputs by p",
                    why="That rule belongs to the old, non-inverted scheme with p the *keep* probability; notes "
                        "that call p the drop probability and still scale by p contradict themselves."),
             Option("It multiplies the outputs by 1 − p",
                    why="That is the non-inverted scheme (scale at test time instead of training time). With "
                        "inverted dropout, scaling again would shrink every activation.")]),
        MultipleChoice(
            "dropout_fraction",
            f"Dropout with p = {p:g} on a layer of 100 units, one training batch. How many units are zeroed?",
            [Option(f"A random number, {100 * p:g} on average", right=True,
                    why="Each unit is dropped independently with probability p, so the count varies from draw "
                        "to draw; p is the dropped fraction only in expectation."),
             Option(f"Exactly {100 * p:g}",
                    why="Dropout does not pick a fixed number of units; every unit flips its own coin."),
             Option(f"Exactly {100 * (1 - p):g}",
                    why="That would be the expected number of *kept* units, and it is not fixed either.")]),
        NumericAnswer(
            "weight_decay_step",
            "SGD with learning rate 0.1 and weight_decay = 0.01 (torch's meaning). A weight equals 1.0 and the "
            "loss does not depend on it (its loss gradient is 0). What is the weight after one step?",
            decayed, tolerance=1e-9,
            explanation=f"The decay adds λ·w to the gradient, so w ← w − η·λ·w = (1 − ηλ)·w = {decayed:g}: for "
                        "SGD, weight decay and an L2 penalty (λ/2)·‖w‖² are the same thing.",
            hint="the gradient becomes 0 + λ·w; take one step against it."),
        MultipleChoice(
            "adamw",
            "Some notes write \"Adam with weight decay\" as θ ← θ − α·(m̂/√v̂ + λθ), the decay applied beside the "
            "Adam step. Which torch optimizer is that?",
            [Option("AdamW", right=True,
                    why="AdamW decouples the decay: every weight shrinks by the factor (1 − αλ), and the Adam step "
                        "uses the plain gradient."),
             Option("Adam(weight_decay=λ)",
                    why="torch's Adam adds λθ to the gradient before the moments, so the decay is divided by "
                        "√v̂ too: weights with large gradients are hardly decayed."),
             Option("SGD(weight_decay=λ)", why="There is no m̂ or v̂ in SGD; this is an adaptive method.")]),
        NumericAnswer(
            "batchnorm_running_var",
            "BatchNorm1d as torch keeps it: momentum 0.1, running_var starting at 1. One training batch holds the "
            f"values {', '.join(f'{v:g}' for v in batch)} for one feature. What is running_var afterwards?",
            running_var, tolerance=1e-6,
            explanation=f"The batch is normalised with the biased variance ({biased:.4g}) but torch remembers the "
                        f"unbiased one ({unbiased:.4g}, dividing by N − 1): 0.9·1 + 0.1·{unbiased:.4g} = "
                        f"{running_var:.4g}.",
            hint="running_var ← (1 − momentum)·running_var + momentum·(unbiased batch variance)."),
        MultipleChoice(
            "same_in_train_and_test",
            "Which of these layers compute exactly the same thing in training and at test time?",
            [Option("LayerNorm", right=True, why="It takes each example's own statistics, over its features, so "
                                                  "it needs no batch and no running averages."),
             Option("GroupNorm", right=True, why="Also per example, over a group of channels and all pixels."),
             Option("BatchNorm", why="It uses batch statistics in training and the running averages at test time.")],
            several=True),
        MultipleChoice(
            "early_stopping",
            "Early stopping with patience 5: the validation loss was lowest at epoch 12 and has not improved "
            "since; training stops at epoch 17. Which weights do you keep?",
            [Option("The copy saved at epoch 12", right=True,
                    why="The point of early stopping is to keep the model that generalised best, so save a copy "
                        "whenever the validation loss improves."),
             Option("The weights of epoch 17",
                    why="Those have had five more epochs to overfit; the validation loss says epoch 12 was better."),
             Option("An average of epochs 12 to 17", why="Early stopping keeps the best model it has seen; it "
                                                         "does not average weights.")]),
    ]
