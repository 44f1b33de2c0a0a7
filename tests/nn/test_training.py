"""The training loop: a small net learns the 3-class spirals; History records and plots."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course.datasets import make_spirals  # noqa: E402
from course.nn import (MSE, Dropout, Linear, ReLU, Sequential, SoftmaxCrossEntropy, Tanh,  # noqa: E402
                       evaluate, fit, predict)
from course.optim import SGD, Adam  # noqa: E402
from course.optim.lr_scheduler import StepLR  # noqa: E402


def spiral_net(seed=0, hidden=100):
    return Sequential(Linear(2, hidden, seed=seed), ReLU(), Linear(hidden, 3, seed=seed + 1))


def test_two_layer_net_learns_the_spirals():
    """Stated target: >= 90% training accuracy on 3-class spirals (300 points) in 100 epochs."""
    X, y = make_spirals(points_per_class=100, classes=3, seed=0)
    model = spiral_net()
    history = fit(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=1e-2), X, y,
                  epochs=100, batch_size=32, seed=0, progress=False)
    assert history.train_accuracy[-1] >= 0.9
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    loss, accuracy = evaluate(model, SoftmaxCrossEntropy(), X, y)
    assert accuracy >= 0.9 and np.mean(np.argmax(predict(model, X), axis=1) == y) == accuracy


def test_history_records_train_validation_and_lr_per_epoch():
    X, y = make_spirals(points_per_class=40, seed=1)
    X_val, y_val = make_spirals(points_per_class=20, seed=2)
    model = Sequential(Linear(2, 32, seed=0), Tanh(), Dropout(0.1, seed=0), Linear(32, 3, seed=1))
    optimizer = SGD(model.parameters(), lr=0.5, momentum=0.9)
    history = fit(model, SoftmaxCrossEntropy(), optimizer, X, y, epochs=6, batch_size=16, seed=0,
                  X_val=X_val, y_val=y_val, progress=False, scheduler=StepLR(optimizer, step_size=2, gamma=0.5))
    assert len(history) == 6
    assert all(len(series) == 6 for series in (history.train_accuracy, history.val_loss, history.val_accuracy))
    assert history.lr == [0.5, 0.5, 0.25, 0.25, 0.125, 0.125]
    assert model.training  # fit leaves the model in training mode; evaluate restores the mode it found
    val_loss, val_accuracy = evaluate(model, SoftmaxCrossEntropy(), X_val, y_val)
    assert model.training and abs(val_loss - history.val_loss[-1]) < 1e-12 and val_accuracy == history.val_accuracy[-1]


def test_same_seed_same_run():
    X, y = make_spirals(points_per_class=30, seed=3)

    def run(seed):
        model = spiral_net(hidden=20)
        return fit(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=1e-2), X, y,
                   epochs=3, batch_size=10, seed=seed, progress=False).train_loss

    assert run(0) == run(0)
    assert run(0) != run(1)  # another shuffle


def test_regression_with_mse_has_no_accuracy():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(200, 1))
    y = np.sin(X)
    model = Sequential(Linear(1, 32, seed=0), Tanh(), Linear(32, 1, seed=1))
    history = fit(model, MSE(), Adam(model.parameters(), lr=1e-2), X, y, epochs=60, batch_size=20,
                  seed=0, progress=False)
    assert history.train_accuracy == [] and history.train_loss[-1] < 0.05 * history.train_loss[0]


def test_progress_bar_shows_unless_disabled(capsys):
    X, y = make_spirals(points_per_class=10, seed=0)
    model = spiral_net(hidden=8)
    fit(model, SoftmaxCrossEntropy(), Adam(model.parameters()), X, y, epochs=2, batch_size=8, progress=False)
    assert capsys.readouterr().err == ""
    fit(model, SoftmaxCrossEntropy(), Adam(model.parameters()), X, y, epochs=2, batch_size=8, progress=True)
    assert "training" in capsys.readouterr().err


def test_history_plot_draws_loss_and_accuracy():
    X, y = make_spirals(points_per_class=20, seed=0)
    X_val, y_val = make_spirals(points_per_class=10, seed=1)
    model = spiral_net(hidden=8)
    history = fit(model, SoftmaxCrossEntropy(), Adam(model.parameters()), X, y, epochs=3, batch_size=16,
                  X_val=X_val, y_val=y_val, progress=False)
    loss_axes, accuracy_axes = history.plot()
    assert [line.get_label() for line in loss_axes.get_lines()] == ["train loss", "validation loss"]
    np.testing.assert_array_equal(accuracy_axes.get_lines()[1].get_ydata(), history.val_accuracy)
    _, ax = plt.subplots()
    assert history.plot(ax=ax)[0] is ax
    plt.close("all")


def test_bad_data_is_refused_in_one_sentence():
    model = spiral_net(hidden=4)
    optimizer = Adam(model.parameters())
    with pytest.raises(ValueError, match="fit: X has 5 examples but its targets have 4"):
        fit(model, SoftmaxCrossEntropy(), optimizer, np.ones((5, 2)), np.zeros(4, int), epochs=1, batch_size=2)
    with pytest.raises(ValueError, match="pass both X_val and y_val, or neither"):
        fit(model, SoftmaxCrossEntropy(), optimizer, np.ones((5, 2)), np.zeros(5, int), epochs=1, batch_size=2,
            X_val=np.ones((2, 2)))
