"""The latent explorer's state and its sliders, driven headless with a stand-in decoder."""
import numpy as np
import pytest

from course.widgets import LatentExplorer, LatentSpace


def decode(point):
    """A stand-in decoder: a 4x4 picture whose left half is z1 and right half z2, squashed to [0, 1]."""
    image = np.zeros((4, 4))
    image[:, :2], image[:, 2:] = point
    return 1 / (1 + np.exp(-image))


CODES = np.array([[0.0, 0.0], [1.0, 1.0], [-2.0, 0.5], [0.5, -1.5]])
LABELS = np.array([3, 7, 1, 7])


@pytest.fixture
def explorer():
    return LatentExplorer(decode, CODES, LABELS, limit=3.0)


def test_the_sliders_move_the_point_and_redraw_the_decoded_image(explorer):
    image_before, picture_before = explorer.view.image.value, explorer.state.image.copy()
    explorer.z1.value = 1.5
    assert np.allclose(explorer.state.point, [1.5, 0.0])
    assert np.allclose(explorer.state.image, decode(np.array([1.5, 0.0])))
    assert not np.allclose(explorer.state.image, picture_before) and explorer.view.image.value != image_before
    explorer.z2.value = -1.0
    assert np.allclose(explorer.state.point, [1.5, -1.0])
    assert np.allclose(explorer.picture.get_array(), decode(np.array([1.5, -1.0])))
    assert np.allclose(explorer.marker.get_data(), [[1.5], [-1.0]])
    assert "z = (+1.50, -1.00)" in explorer.view.axes[1].get_title()


def test_the_status_names_the_nearest_example_and_the_prior_density(explorer):
    explorer.z1.value, explorer.z2.value = 0.9, 1.1
    assert explorer.state.nearest()[:2] == (1, 7)
    assert "nearest encoded example is a 7" in explorer.status.value
    assert np.isclose(explorer.state.prior_density_ratio(), np.exp(-0.5 * (0.9 ** 2 + 1.1 ** 2)))
    assert "density here is 36 % of its peak" in explorer.status.value


def test_the_scatter_shows_every_code_coloured_by_its_label(explorer):
    scatter = explorer.view.axes[0].collections[0]
    assert np.allclose(scatter.get_offsets(), CODES)
    assert np.array_equal(scatter.get_array(), LABELS)
    assert explorer.view.axes[0].get_xlim() == (-3.0, 3.0)


def test_flat_decoder_outputs_become_square_images():
    space = LatentSpace(lambda z: np.full(64, 0.5), CODES)
    assert space.image.shape == (8, 8)
    assert LatentSpace(lambda z: np.zeros(12), CODES, image_shape=(3, 4)).image.shape == (3, 4)
    with pytest.raises(ValueError, match="not a square image"):
        LatentSpace(lambda z: np.zeros(12), CODES)


def test_bad_inputs_are_refused_in_one_sentence():
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        LatentSpace(decode, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="3 labels for 4 codes"):
        LatentSpace(decode, CODES, labels=[1, 2, 3])
    with pytest.raises(ValueError, match="decode"):
        LatentSpace("not a function", CODES)
    with pytest.raises(ValueError, match="two coordinates"):
        LatentSpace(decode, CODES).point = (1.0, 2.0, 3.0)


def test_grading_mode_keeps_the_state_but_draws_no_picture(monkeypatch):
    monkeypatch.setenv("COURSE_GRADING", "1")
    explorer = LatentExplorer(decode, CODES, LABELS)
    explorer.z1.value = 2.0
    assert bytes(explorer.view.image.value) == b"" and np.allclose(explorer.state.point, [2.0, 0.0])
