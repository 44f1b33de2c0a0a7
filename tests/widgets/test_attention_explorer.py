"""The attention explorer's state logic, driven headless through its controls."""
import numpy as np
import pytest

from course.widgets.attention_explorer import AttentionExplorer, AttentionMap


@pytest.fixture
def explorer():
    return AttentionExplorer(mask="none", temperature=1.0)


def test_rows_are_distributions_over_the_allowed_keys_for_every_mask():
    for mask in ("none", "padding", "causal", "padding + causal"):
        state = AttentionMap(mask=mask, length=5)
        allowed = state.allowed()
        assert np.allclose(state.weights.sum(axis=1), 1.0) and np.all(state.weights[~allowed] == 0)
    assert AttentionMap(mask="causal").weights[0, 0] == 1.0
    padded = AttentionMap(mask="padding", length=4)
    assert np.all(padded.weights[:, 4:] == 0) and np.all(padded.weights[:, :4] > 0)


def test_mask_control_reaches_the_state_and_redraws(explorer):
    image = explorer.view.image.value
    explorer.mask.value = "causal"
    assert explorer.state.mask == "causal" and np.allclose(np.triu(explorer.state.weights, 1), 0)
    assert explorer.view.image.value != image
    assert "mask: causal" in explorer.view.axes.get_title()


def test_temperature_sharpens_and_flattens(explorer):
    explorer.temperature.value = 0.05
    assert explorer.state.temperature == pytest.approx(0.05)
    cold = explorer.state.entropy.mean()
    image = explorer.view.image.value
    explorer.temperature.value = 20.0
    hot = explorer.state.entropy.mean()
    assert cold < 0.2 and hot > 0.95 * np.log(len(explorer.state.tokens)) and explorer.view.image.value != image
    assert "entropy" in explorer.status.value


def test_length_slider_moves_the_padding(explorer):
    explorer.mask.value = "padding"
    explorer.length.value = 3
    assert explorer.state.length == 3 and np.all(explorer.state.weights[:, 3:] == 0)


def test_scores_from_elsewhere_and_bad_settings():
    scores = np.array([[0.0, 5.0], [5.0, 0.0]])
    state = AttentionMap(scores=scores, tokens=("a", "b"), mask="none")
    assert state.weights[0, 1] > 0.99
    with pytest.raises(ValueError, match="mask must be one of"):
        AttentionMap(mask="future")
    with pytest.raises(ValueError, match="temperature must be positive"):
        state.temperature = 0
    with pytest.raises(ValueError, match="one row per token"):
        AttentionMap(scores=np.zeros((3, 3)), tokens=("a", "b"))
