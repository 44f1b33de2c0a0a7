"""The gradient-flow explorer's state logic (BPTT through a random RNN), driven headless."""
import warnings

import numpy as np
import pytest

from course.widgets.gradient_flow import GradientFlow, GradientFlowExplorer


def plotted(explorer):
    return explorer.view.axes.get_lines()[0].get_ydata()


def test_builds_without_arguments_or_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explorer = GradientFlowExplorer()
    assert explorer.flow.nonlinearity == "tanh" and len(explorer.view.image.value) > 0
    assert len(plotted(explorer)) == explorer.flow.steps + 1


def test_the_recurrent_matrix_has_the_chosen_spectral_radius():
    for radius in (0.7, 1.0, 2.5):
        flow = GradientFlow(spectral_radius=radius)
        assert np.max(np.abs(np.linalg.eigvals(flow.W))) == pytest.approx(radius)


def test_backward_pass_matches_the_jacobian_product_of_a_linear_rnn():
    flow = GradientFlow(spectral_radius=0.9, nonlinearity="linear", steps=7, hidden=5)
    rng = np.random.default_rng(flow.seed)
    rng.normal(size=(5, 5)), rng.normal(size=(7, 5))  # W and the inputs, drawn as in update()
    gradient = rng.normal(size=5)
    gradient /= np.linalg.norm(gradient)
    for k in range(8):
        assert flow.norms[k] == pytest.approx(np.linalg.norm(gradient @ np.linalg.matrix_power(flow.W.T, k)))


def test_linear_rnn_vanishes_below_radius_one_and_explodes_above():
    assert GradientFlow(0.8, "linear", steps=60).verdict == "vanishing"
    assert GradientFlow(1.3, "linear", steps=60).verdict == "exploding"
    small, large = GradientFlow(1.0, "tanh", input_scale=0.1), GradientFlow(1.0, "tanh", input_scale=3.0)
    assert large.final_ratio < small.final_ratio  # saturated tanh units pass less gradient back


def test_controls_change_the_state_and_the_picture():
    explorer = GradientFlowExplorer()
    image = explorer.view.image.value
    explorer.nonlinearity.value = "linear"
    explorer.radius.value = 1.4
    assert explorer.flow.spectral_radius == pytest.approx(1.4) and explorer.flow.verdict == "exploding"
    assert explorer.view.image.value != image and "exploding" in explorer.status.value
    explorer.steps.value = 20
    assert len(plotted(explorer)) == 21
    np.testing.assert_allclose(explorer.view.axes.get_lines()[1].get_ydata(), 1.4 ** np.arange(21))
    explorer.radius.value = 0.5
    explorer.input_scale.value = 2.0
    assert explorer.flow.input_scale == pytest.approx(2.0) and "vanishing" in explorer.status.value


def test_overflow_is_drawn_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explorer = GradientFlowExplorer(spectral_radius=3.0, nonlinearity="ReLU", steps=100)
    assert explorer.flow.verdict == "exploding"


def test_unknown_nonlinearity_is_refused():
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        GradientFlow(nonlinearity="softplus")
