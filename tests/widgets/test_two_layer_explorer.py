"""The explorer's state logic, driven headless through its controls."""
import numpy as np
import pytest

from course.datasets import make_spirals
from course.widgets import TwoLayerNetExplorer, TwoLayerNetTrainer


@pytest.fixture(scope="module")
def spirals():
    return make_spirals(points_per_class=60, seed=3)


@pytest.fixture
def explorer(spirals):
    return TwoLayerNetExplorer(*spirals, hidden_size=30, learning_rate=1.0, train_steps=150)


def test_hidden_units_slider_rebuilds_the_model_and_the_picture(explorer):
    image_before, boundary_before = explorer.view.image.value, explorer.boundary.copy()
    explorer.hidden_size.value = 7
    assert explorer.trainer.params["W1"].shape == (2, 7) and explorer.trainer.params["W2"].shape == (7, 3)
    assert explorer.view.image.value != image_before
    assert not np.array_equal(explorer.boundary, boundary_before)
    assert "7 hidden units" in explorer.view.axes[0].get_title()


def test_train_button_lowers_the_loss_and_draws_the_curve(explorer):
    explorer.train_button.click()
    losses = explorer.trainer.losses
    assert len(losses) == 150 and losses[-1] < 0.7 * losses[0]
    curve = explorer.view.axes[1].get_lines()[0]
    assert np.allclose(curve.get_ydata(), losses)
    assert "150</b> steps" in explorer.status.value
    explorer.step_button.click()
    assert len(explorer.trainer.losses) == 151


def test_learning_rate_and_regularization_sliders_change_the_training(spirals):
    def final_loss(**settings):
        e = TwoLayerNetExplorer(*spirals, hidden_size=30, train_steps=50)
        for name, value in settings.items():
            getattr(e, name).value = value
        e.train_button.click()
        return e.trainer, e.trainer.losses[-1]

    base_trainer, base = final_loss()
    slow_trainer, slow = final_loss(learning_rate=0.01)
    assert slow_trainer.learning_rate == pytest.approx(0.01) and slow > base
    heavy_trainer, heavy = final_loss(reg=0.5)
    assert heavy_trainer.reg == pytest.approx(0.5)
    assert np.abs(heavy_trainer.params["W1"]).sum() < np.abs(base_trainer.params["W1"]).sum()


def test_start_again_forgets_the_history(explorer):
    explorer.step_button.click()
    explorer.reset_button.click()
    assert explorer.trainer.losses == [] and explorer.view.axes[1].get_lines() == []


def test_a_diverging_learning_rate_stops_cleanly_and_says_so(spirals):
    explorer = TwoLayerNetExplorer(*spirals, learning_rate=10.0, train_steps=300)
    explorer.learning_rate.value = 10.0
    explorer.trainer.learning_rate = 1e6  # beyond the slider: certain divergence
    explorer.train_button.click()
    assert explorer.trainer.diverged and all(np.isfinite(explorer.trainer.losses))
    assert "diverged" in explorer.status.value
    explorer.reset_button.click()
    assert not explorer.trainer.diverged


def test_students_own_loss_function_is_used(spirals):
    calls = []

    def my_loss(params, X, y=None, reg=0.0):
        from course.two_layer_net import two_layer_net_loss
        calls.append(y is None)
        return two_layer_net_loss(params, X, y, reg)

    TwoLayerNetExplorer(*spirals, loss_fn=my_loss).step_button.click()
    assert False in calls and True in calls  # trained with it and drew the boundary with it


def test_bad_data_is_refused_in_one_sentence():
    with pytest.raises(ValueError, match=r"needs X of shape \(N, 2\)"):
        TwoLayerNetTrainer(np.zeros((5, 3)), np.zeros(5, dtype=int))
