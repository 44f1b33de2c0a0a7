"""The normalization explorer's state logic, driven headless through its controls."""
import numpy as np
import pytest

from course.widgets.normalization_explorer import DeepStackActivations, NormalizationExplorer


@pytest.fixture
def explorer():
    return NormalizationExplorer(depth=8, weight_scale=0.05)


def test_small_weights_collapse_without_normalization_and_batchnorm_keeps_them_alive(explorer):
    assert explorer.state.stds[-1] < 0.01
    image, stds = explorer.view.image.value, explorer.state.stds.copy()
    explorer.normalization.value = "BatchNorm"
    assert explorer.state.normalization == "BatchNorm"
    assert explorer.state.stds[-1] > 0.5 and np.all(np.abs(explorer.state.means) < 0.05)
    assert explorer.view.image.value != image and not np.array_equal(explorer.state.stds, stds)
    assert np.allclose(explorer.statistics_axes.get_lines()[1].get_ydata(), explorer.state.stds)


def test_large_weights_saturate_tanh_and_layernorm_fixes_it():
    saturated = DeepStackActivations(depth=6, weight_scale=1.0)
    assert np.mean(np.abs(saturated.activations[-1]) > 0.99) > 0.5
    normalized = DeepStackActivations(depth=6, weight_scale=1.0, normalization="LayerNorm")
    assert np.mean(np.abs(normalized.activations[-1]) > 0.99) < 0.05


def test_depth_and_weight_scale_sliders_reach_the_state_and_redraw(explorer):
    image = explorer.view.image.value
    explorer.depth.value = 20
    assert len(explorer.state.activations) == 20 and explorer.state.shown_layers()[-1] == 19
    assert len(explorer.statistics_axes.get_lines()[0].get_xdata()) == 20
    assert explorer.view.image.value != image
    image = explorer.view.image.value
    explorer.weight_scale.value = 0.5
    assert explorer.state.weight_scale == pytest.approx(0.5)
    assert explorer.view.image.value != image
    assert "weight scale 0.5" in explorer.statistics_axes.get_title()


def test_relu_activations_and_a_shallow_stack(explorer):
    explorer.activation.value = "ReLU"
    assert explorer.state.activation == "ReLU" and np.all(explorer.state.activations[0] >= 0)
    explorer.depth.value = 1
    assert explorer.state.shown_layers() == [0] and "last layer" in explorer.status.value


def test_bad_settings_are_refused_in_one_sentence():
    with pytest.raises(ValueError, match="normalization must be one of"):
        DeepStackActivations(normalization="GroupNorm")
    with pytest.raises(ValueError, match="depth must be >= 1"):
        DeepStackActivations(depth=0)
