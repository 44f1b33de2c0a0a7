"""The temperature sampler's state and controls, headless, with a stand-in for the model."""
import warnings

import numpy as np
import pytest

from course.widgets.temperature_sampler import TemperatureSampler, TemperatureSampling, softmax_at

CHARACTERS = list("abcde\n ")
LOGITS = np.array([2.0, 1.0, 0.5, 0.0, -1.0, 0.3, 1.5])


def fake_sample(temperature, length, seed):
    return f"T={temperature:g} n={length} seed={seed} <&>"


def test_probabilities_are_softmax_of_the_scaled_scores():
    state = TemperatureSampling(LOGITS, CHARACTERS, fake_sample, temperature=0.5)
    np.testing.assert_allclose(state.probabilities, np.exp(LOGITS / 0.5) / np.exp(LOGITS / 0.5).sum())
    assert state.top_characters()[0] == ("a", pytest.approx(state.probabilities[0]))


def test_low_temperature_is_almost_greedy_and_high_almost_uniform():
    cold, warm, hot = (TemperatureSampling(LOGITS, CHARACTERS, fake_sample, temperature=t) for t in (0.05, 1.0, 50.0))
    assert cold.probabilities[0] > 0.99 and cold.entropy < 0.1
    assert cold.entropy < warm.entropy < hot.entropy < np.log(len(CHARACTERS))
    assert hot.entropy == pytest.approx(np.log(len(CHARACTERS)), abs=0.01)
    assert softmax_at([1000.0, 0.0], 0.1)[0] == 1.0  # stable for large scores


def test_controls_resample_and_redraw():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sampler = TemperatureSampler(LOGITS, CHARACTERS, fake_sample, prompt="x<")
    image = sampler.view.image.value
    assert "T=1 n=300 seed=0 &lt;&amp;&gt;" in sampler.text.value and "x&lt;" in sampler.text.value
    sampler.temperature.value = 0.3
    assert sampler.state.temperature == pytest.approx(0.3) and "T=0.3" in sampler.text.value
    assert sampler.view.image.value != image
    heights = [bar.get_height() for bar in sampler.view.axes.patches]
    assert heights == pytest.approx([p for _, p in sampler.state.top_characters()])
    sampler.length.value = 100
    sampler.again.click()
    assert "n=100 seed=1" in sampler.text.value and "sample 1" in sampler.status.value
    labels = [label.get_text() for label in sampler.view.axes.get_xticklabels()]
    assert "\\n" in labels and "␣" in labels


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="7 scores for 3 characters"):
        TemperatureSampling(LOGITS, "abc", fake_sample)
    with pytest.raises(ValueError, match="temperature must be positive"):
        TemperatureSampling(LOGITS, CHARACTERS, fake_sample, temperature=0)
