"""The lab plots draw what they say: one line per curve with the right data and labels (not pixels)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course import layers  # noqa: E402
from course.plots import plot_activations, plot_line_fits, plot_loss_curve  # noqa: E402


@pytest.fixture
def two_axes():
    figure, axes = plt.subplots(1, 2)
    yield axes
    plt.close(figure)


def _not_implemented(*args):
    raise NotImplementedError()


def test_each_activation_and_its_derivative_are_drawn_with_its_label(two_axes):
    x = np.linspace(-3, 3, 61)
    drawn = plot_activations(two_axes, {
        "sigmoid": [(layers.sigmoid_forward, layers.sigmoid_backward)],
        "ReLU": [(layers.relu_forward, layers.relu_backward)],
        "ELU": [(layers.elu_forward, layers.elu_backward)],
    }, x=x)
    ax_value, ax_slope = two_axes
    assert [line.get_label() for line in ax_value.get_lines() if not line.get_label().startswith("_")] == \
        ["sigmoid", "ReLU", "ELU"]
    assert [text.get_text() for text in ax_slope.get_legend().get_texts()] == ["sigmoid", "ReLU", "ELU"]
    sigmoid_value, sigmoid_slope = drawn["sigmoid"]
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(sigmoid_value.get_ydata(), s)
    np.testing.assert_allclose(sigmoid_slope.get_ydata(), s * (1 - s))
    np.testing.assert_allclose(drawn["ReLU"][1].get_ydata(), (x > 0).astype(float))
    assert sigmoid_value.get_color() == sigmoid_slope.get_color()
    assert ax_value.get_title() == "f(x)" and ax_slope.get_title() == "f'(x)"
    assert ax_value.get_xlabel() == ax_slope.get_xlabel() == "x"


def test_the_students_version_is_drawn_when_it_runs(two_axes):
    def doubled_tanh(x):  # a wrong student tanh: the plot shows it as it is
        return 2 * np.tanh(x), x
    drawn = plot_activations(two_axes, {"tanh": [(doubled_tanh, lambda dout, x: dout),
                                                 (layers.tanh_forward, layers.tanh_backward)]}, x=np.array([0.5, 1.0]))
    np.testing.assert_allclose(drawn["tanh"][0].get_ydata(), 2 * np.tanh([0.5, 1.0]))
    assert drawn["tanh"][0].get_label() == "tanh"


def test_the_reference_stands_in_for_an_unfinished_exercise_and_says_so(two_axes):
    drawn = plot_activations(two_axes, {"tanh": [(_not_implemented, _not_implemented),
                                                 (layers.tanh_forward, layers.tanh_backward)]})
    value, slope = drawn["tanh"]
    assert value.get_label() == "tanh (reference: yours raised NotImplementedError)"
    np.testing.assert_allclose(slope.get_ydata(), 1 - np.tanh(value.get_xdata()) ** 2)


def test_a_curve_that_cannot_be_drawn_is_named_in_the_title(two_axes):
    def wrong_shape(x):
        return x.sum(), x
    drawn = plot_activations(two_axes, {"ReLU": [(layers.relu_forward, layers.relu_backward)],
                                        "mine": [(wrong_shape, lambda dout, cache: dout)],
                                        "unfinished": [(_not_implemented, _not_implemented)]})
    assert list(drawn) == ["ReLU"]
    assert two_axes[0].get_title() == "f(x)  (not drawn: mine, unfinished)"
    assert len([line for line in two_axes[1].get_lines() if not line.get_label().startswith("_")]) == 1


def test_line_fits_draw_the_points_the_outliers_and_one_line_per_fit():
    figure, ax = plt.subplots()
    x = np.array([0.0, 1.0, 2.0, 3.0, 10.0])
    y = np.array([1.0, 2.0, 3.0, 4.0, -20.0])
    outliers = x > 5
    drawn = plot_line_fits(ax, x, y, {"MSE": (-1.5, 3.0), "Huber": (1.0, 1.0)}, outliers=outliers)
    assert set(drawn) == {"MSE", "Huber"}
    np.testing.assert_allclose(drawn["MSE"].get_xdata(), [0.0, 10.0])
    np.testing.assert_allclose(drawn["MSE"].get_ydata(), [3.0, -12.0])
    np.testing.assert_allclose(drawn["Huber"].get_ydata(), [1.0, 11.0])
    points, marked = ax.collections
    np.testing.assert_allclose(points.get_offsets(), np.column_stack([x[:4], y[:4]]))
    np.testing.assert_allclose(marked.get_offsets(), [[10.0, -20.0]])
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert sorted(legend) == sorted(["MSE: y = -1.50 x + 3.00", "Huber: y = 1.00 x + 1.00", "data", "outliers"])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "y")
    plt.close(figure)


def test_line_fits_without_outliers_draw_one_set_of_points():
    figure, ax = plt.subplots()
    plot_line_fits(ax, [0, 1, 2], [0, 1, 2], {"MAE": (1.0, 0.0)})
    assert len(ax.collections) == 1
    plt.close(figure)


def test_the_loss_curve_still_switches_to_a_log_scale():
    figure, ax = plt.subplots()
    line = plot_loss_curve(ax, [100.0, 10.0, 1.0])
    np.testing.assert_allclose(line.get_xdata(), [1, 2, 3])
    assert ax.get_yscale() == "log" and line.get_label() == "training loss"
    plt.close(figure)
