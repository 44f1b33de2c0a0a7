"""The convolution explorer's state logic, driven headless through its controls."""
import numpy as np
import pytest
import torch

from course.arithmetic import conv_output_size
from course.widgets.conv_explorer import KERNELS, ConvExplorer, ConvExplorerState, sample_image


@pytest.fixture
def explorer():
    return ConvExplorer(sample_image(24), kernel="box")


def torch_feature_map(image, kernel, stride, padding):
    out = torch.nn.functional.conv2d(torch.from_numpy(image)[None, None], torch.from_numpy(kernel)[None, None],
                                     stride=stride, padding=padding)
    return out[0, 0].numpy()


def test_the_kernels_are_the_lectures_with_the_corrected_gaussian_normalizer():
    assert KERNELS["Gaussian"].shape == (5, 5) and np.isclose(KERNELS["Gaussian"].sum(), 1.0)
    assert np.isclose(KERNELS["Gaussian"][2, 2] * 273, 41) and np.isclose(KERNELS["box"].sum(), 1.0)
    for name in ("sharpen",):
        assert np.isclose(KERNELS[name].sum(), 1.0)
    for name in ("Sobel x", "Sobel y", "edge"):
        assert np.isclose(KERNELS[name].sum(), 0.0)
    assert np.array_equal(KERNELS["Sobel y"], KERNELS["Sobel x"].T)


def test_kernel_dropdown_changes_the_kernel_the_output_and_the_picture(explorer):
    image_before, output_before = explorer.view.image.value, explorer.output.copy()
    explorer.kernel.value = "Gaussian"
    assert explorer.state.kernel_name == "Gaussian" and explorer.state.kernel.shape == (5, 5)
    assert explorer.output.shape == (20, 20) and output_before.shape == (22, 22)
    assert explorer.view.image.value != image_before
    assert "Gaussian kernel 5×5" in explorer.view.axes[1].get_title()
    assert np.allclose(explorer.output, torch_feature_map(explorer.state.image, KERNELS["Gaussian"], 1, 0))


def test_stride_and_padding_sliders_change_the_output_size_and_the_status(explorer):
    explorer.kernel.value = "Sobel x"
    explorer.stride.value = 2
    explorer.padding.value = 1
    expected = conv_output_size(24, 3, stride=2, padding=1)
    assert explorer.state.stride == 2 and explorer.state.padding == 1
    assert explorer.output.shape == (expected, expected) == (12, 12)
    assert "⌊(24 − 3 + 2·1) / 2⌋ + 1 = 12" in explorer.status.value and "output 12×12" in explorer.status.value
    assert np.allclose(explorer.output, torch_feature_map(explorer.state.image, KERNELS["Sobel x"], 2, 1))
    assert explorer.view.axes[0].get_images()[0].get_array().shape == (26, 26)  # the padded input is shown


def test_sobel_x_finds_a_dark_to_bright_edge_going_right():
    image = np.zeros((6, 6))
    image[:, 3:] = 1.0
    output = ConvExplorerState(image, kernel="Sobel x").feature_map()
    assert output.shape == (4, 4) and np.allclose(output[:, 1:3], 4.0) and np.allclose(output[:, [0, 3]], 0.0)


def test_a_kernel_too_large_for_the_image_is_explained_not_raised():
    explorer = ConvExplorer(np.ones((4, 4)), kernel="box")
    explorer.kernel.value = "Gaussian"
    assert explorer.output is None and "does not fit" in explorer.status.value
    explorer.padding.value = 1
    assert explorer.output.shape == (2, 2)


def test_bad_inputs_are_refused_in_one_sentence():
    with pytest.raises(ValueError, match="2-D grey image"):
        ConvExplorerState(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="unknown kernel"):
        ConvExplorerState(kernel="blur")
