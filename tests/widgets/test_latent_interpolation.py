"""The latent interpolator's state and controls, headless, with a stand-in for the generator."""
import warnings

import numpy as np
import pytest

from course.widgets.latent_interpolation import LatentInterpolation, LatentInterpolator, interpolate

START, END = np.array([3.0, 0.0, 0.0, 0.0]), np.array([0.0, 3.0, 0.0, 0.0])


def fake_decode(z):
    """An 'image' of 2x3 pixels per latent vector, its pixels the first entries of z."""
    z = np.asarray(z)
    return np.stack([np.resize(row[:3], (2, 3)) for row in z])[:, None]


def fake_sample(seed):
    return np.random.default_rng(seed).normal(size=4)


def test_linear_and_spherical_paths_meet_the_endpoints_and_keep_or_lose_the_norm():
    for method in ("linear", "spherical"):
        path = interpolate(START, END, [0.0, 1.0], method)
        np.testing.assert_allclose(path, np.stack([START, END]), atol=1e-12)
    middle_linear = interpolate(START, END, 0.5, "linear")[0]
    middle_spherical = interpolate(START, END, 0.5, "spherical")[0]
    assert np.linalg.norm(middle_linear) == pytest.approx(3 / np.sqrt(2))  # the shortcut through the middle
    assert np.linalg.norm(middle_spherical) == pytest.approx(3.0)          # along the circle
    np.testing.assert_allclose(interpolate(START, 2 * START, 0.5, "spherical"), [1.5 * START])  # parallel: linear
    with pytest.raises(ValueError, match="method must be one of"):
        interpolate(START, END, 0.5, "cubic")


def test_state_decodes_the_strip_and_the_picked_point():
    state = LatentInterpolation(fake_decode, START, END, steps=5, t=0.25)
    assert state.strip.shape == (5, 2, 3) and state.image.shape == (2, 3)
    np.testing.assert_allclose(state.image[0], [2.25, 0.75, 0.0])
    state.method = "spherical"
    assert state.norms == pytest.approx(np.full(5, 3.0))
    with pytest.raises(ValueError, match="new endpoints need sample_latent"):
        state.new_endpoints()
    with pytest.raises(ValueError, match="t must be in"):
        state.t = 1.5


def test_controls_move_the_point_change_the_path_and_draw_new_endpoints():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explorer = LatentInterpolator(fake_decode, START, END, sample_latent=fake_sample, steps=7)
    image = explorer.view.image.value
    assert bytes(image).startswith(b"\x89PNG") and "norm of z" in explorer.status.value
    explorer.t.value = 0.9
    assert explorer.state.t == pytest.approx(0.9) and explorer.view.image.value != image
    np.testing.assert_allclose(explorer.state.z, interpolate(START, END, 0.9)[0])
    image = explorer.view.image.value
    explorer.method.value = "spherical"
    assert explorer.state.method == "spherical" and explorer.view.image.value != image
    explorer.new.click()
    np.testing.assert_allclose(explorer.state.z_start, fake_sample(2))
    assert len(explorer.view.figure.axes) == 8


def test_bad_decoders_are_refused():
    with pytest.raises(ValueError, match="decode should return 9 images"):
        LatentInterpolation(lambda z: np.zeros((3, 2, 2)), START, END)
    assert LatentInterpolator(fake_decode, START, END).new.disabled
