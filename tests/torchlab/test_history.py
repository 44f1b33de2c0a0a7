import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from course.torchlab import History, plot_history


def sample():
    return History(train_loss=[2.0, 1.0, 0.5], train_accuracy=[0.3, 0.6, 0.8],
                   val_loss=[2.1, 1.2, 1.4], val_accuracy=[0.25, 0.7, 0.65],
                   lr=[0.1, 0.1, 0.01], seconds=[1.0, 1.0, 1.0])


def test_best_picks_the_highest_accuracy_and_the_lowest_loss():
    history = sample()
    assert history.best("val_accuracy") == 0.7 and history.best_epoch("val_accuracy") == 2
    assert history.best("val_loss") == 1.2 and history.best() == 0.7
    assert history.best("train_loss") == 0.5
    assert "best val_accuracy 0.7 at epoch 2" in repr(history)
    with pytest.raises(ValueError, match="no val_accuracy yet"):
        History(train_loss=[1.0]).best("val_accuracy")
    with pytest.raises(ValueError, match="not 'lr'"):
        history.best("lr")
    assert History.from_dict(history.to_dict()) == history


def test_plot_shows_loss_and_accuracy_side_by_side():
    figure = sample().plot()
    assert isinstance(figure, Figure)
    loss, accuracy = figure.axes
    assert loss.get_ylabel() == "loss" and accuracy.get_ylabel() == "accuracy"
    assert [line.get_label() for line in loss.lines] == ["training", "validation"]
    assert list(accuracy.lines[1].get_ydata()) == [0.25, 0.7, 0.65]
    assert list(loss.lines[0].get_xdata()) == [1, 2, 3]
    assert plt.get_fignums() == []     # not left open in pyplot: shown once, where it is returned


def test_plot_without_accuracy_or_into_given_axes():
    only_loss = History(train_loss=[1.0, 0.5], val_loss=[1.1, 0.9])
    assert len(plot_history(only_loss).axes) == 1
    figure, axes = plt.subplots(1, 2)
    try:
        assert plot_history(sample(), ax=axes) is figure
        assert len(axes[0].lines) == 2 and len(axes[1].lines) == 2
    finally:
        plt.close(figure)
