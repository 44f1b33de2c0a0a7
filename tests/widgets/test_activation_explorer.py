"""The activation explorer's state logic, driven headless through its controls."""
import warnings

import numpy as np
import pytest

from course import layers
from course.widgets.activation_explorer import ActivationCurves, ActivationExplorer


@pytest.fixture
def explorer():
    return ActivationExplorer()


def plotted(axes):
    return axes.get_lines()[0].get_ydata()


def test_builds_without_arguments_or_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explorer = ActivationExplorer()
    assert explorer.curves.name == "sigmoid" and explorer.alpha.disabled
    assert len(explorer.view.image.value) > 0


def test_sigmoid_derivative_peaks_at_a_quarter_and_saturates_in_the_tails():
    curves = ActivationCurves("sigmoid", input_range=10.0, points=2001)
    assert np.max(curves.derivative) == pytest.approx(0.25, abs=1e-6)
    assert np.all(curves.saturated == (curves.derivative < 0.01))
    assert 0.5 < curves.saturated_fraction < 0.6  # |x| > 4.6 of [-10, 10]


def test_choosing_an_activation_redraws_f_and_its_derivative(explorer):
    image = explorer.view.image.value
    explorer.activation.value = "ReLU"
    assert explorer.curves.name == "ReLU" and explorer.alpha.disabled
    assert explorer.view.image.value != image
    x = explorer.curves.x
    assert np.allclose(plotted(explorer.view.axes[0]), np.maximum(x, 0))
    assert np.allclose(plotted(explorer.view.axes[1]), (x > 0).astype(float))
    assert explorer.curves.saturated_fraction == pytest.approx(np.mean(x <= 0))
    assert f"{explorer.curves.saturated_fraction:.0%}" in explorer.status.value


def test_alpha_slider_reaches_leaky_relu_and_elu(explorer):
    explorer.activation.value = "LeakyReLU"
    assert not explorer.alpha.disabled
    explorer.alpha.value = 0.3
    assert explorer.curves.alpha == pytest.approx(0.3)
    x = explorer.curves.x
    assert np.allclose(plotted(explorer.view.axes[0]), layers.leaky_relu_forward(x, 0.3)[0])
    assert explorer.curves.saturated_fraction == 0.0
    explorer.alpha.value = 0.005  # a slope below the threshold: the negative side counts as saturated
    assert explorer.curves.saturated_fraction == pytest.approx(np.mean(x <= 0))
    explorer.activation.value = "ELU"
    explorer.alpha.value = 0.5
    assert np.allclose(plotted(explorer.view.axes[1]), np.where(x > 0, 1.0, 0.5 * np.exp(np.minimum(x, 0))))
    assert "alpha = 0.5" in explorer.view.axes[0].get_title()


def test_input_range_slider_widens_the_inputs_and_the_saturated_share(explorer):
    explorer.activation.value = "tanh"
    before, image = explorer.curves.saturated_fraction, explorer.view.image.value
    explorer.input_range.value = 15.0
    assert explorer.curves.x[0] == pytest.approx(-15.0) and explorer.curves.x[-1] == pytest.approx(15.0)
    assert explorer.curves.saturated_fraction > before
    assert explorer.view.image.value != image


def test_unknown_activation_is_refused():
    with pytest.raises(ValueError, match="unknown activation"):
        ActivationCurves("swish")
