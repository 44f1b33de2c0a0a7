"""The optimizer race's state logic, driven headless through its controls."""
import numpy as np
import pytest

from course import optim
from course.optim import Adam
from course.widgets.optimizer_race import COURSE_OPTIMIZERS, OPTIMIZERS, SURFACES, OptimizerRace, OptimizerRaceExplorer


class StillSGD:
    """A stand-in for a student's SGD that never moves (momentum or not): which class ran shows."""

    def __init__(self, params, lr, momentum=0.0, nesterov=False):
        self.params, self.lr = list(params), lr

    def step(self, grads):
        pass


class DoubleSGD(optim.SGD):
    """Steps twice as far as plain SGD."""

    def step(self, grads):
        super().step([2.0 * g for g in grads])


def own(**classes):
    return {**COURSE_OPTIMIZERS, **classes}


@pytest.fixture
def explorer():
    return OptimizerRaceExplorer(steps=40)


def test_every_optimizer_runs_from_the_start_point_and_draws_a_path_and_a_loss_curve(explorer):
    start = SURFACES["elongated bowl"].start
    for name in OPTIMIZERS:
        path = explorer.race.paths[name]
        assert path.shape == (41, 2) and np.allclose(path[0], start)
        assert len(explorer.race.losses[name]) == 41
    contour_axes, loss_axes = explorer.view.axes
    assert len(contour_axes.get_lines()) == len(OPTIMIZERS) + 1  # the paths and the minimum's star
    assert np.allclose(loss_axes.get_lines()[-1].get_ydata(), explorer.race.losses["Adam"])
    assert "40</b> steps" in explorer.status.value


def test_the_paths_are_the_reference_optimizers_trajectories():
    race = OptimizerRace("banana valley", lr=0.01, steps=5)
    surface = SURFACES["banana valley"]
    point = np.array(surface.start)
    optimizer = Adam([point], lr=0.01)
    for step in range(1, 6):
        optimizer.step([surface.gradient(*point)])
        assert np.allclose(race.paths["Adam"][step], point)
    assert np.allclose(race.paths["Adam"][1], np.array(surface.start) - 0.01 * np.sign(surface.gradient(*surface.start)))


def test_surface_buttons_switch_the_problem_and_the_picture(explorer):
    image_before, path_before = explorer.view.image.value, explorer.race.paths["SGD"].copy()
    explorer.surface.value = "banana valley"
    assert explorer.race.surface.name == "banana valley"
    assert np.allclose(explorer.race.paths["SGD"][0], SURFACES["banana valley"].start)
    assert not np.array_equal(explorer.race.paths["SGD"][:2], path_before[:2])
    assert explorer.view.image.value != image_before
    assert "banana valley" in explorer.view.axes[0].get_title()


def test_learning_rate_slider_reruns_the_race(explorer):
    slow = explorer.race.losses["SGD"][-1]
    explorer.lr.value = 0.001
    assert explorer.race.lr == pytest.approx(0.001)
    assert explorer.race.losses["SGD"][-1] > slow
    explorer.default_button.click()
    assert explorer.lr.value == pytest.approx(SURFACES["elongated bowl"].default_lr)


def test_steps_slider_and_more_button_lengthen_the_race(explorer):
    explorer.steps.value = 10
    assert all(len(path) == 11 for path in explorer.race.paths.values())
    explorer.more_button.click()
    assert explorer.steps.value == 60 and len(explorer.race.paths["Adam"]) == 61


def test_a_diverging_optimizer_stops_cleanly_and_is_named(explorer):
    explorer.lr.value = 0.1  # above 2 / 25, the bowl's steep direction makes plain SGD blow up
    assert explorer.race.diverged["SGD"] and not explorer.race.diverged["Adam"]
    assert np.all(np.isfinite(explorer.race.losses["SGD"]))
    assert "diverged: SGD" in explorer.status.value and "(diverged)" in explorer.view.axes[1].get_lines()[0].get_label()
    assert explorer.race.leader() != "SGD"


def test_an_unknown_surface_is_refused_in_one_sentence():
    with pytest.raises(ValueError, match="unknown surface 'flat'"):
        OptimizerRace("flat")


def test_the_race_uses_the_classes_it_is_given_and_course_optim_by_default():
    assert OptimizerRace(steps=1).optimizers == {"SGD": optim.SGD, "RMSprop": optim.RMSprop, "Adam": optim.Adam}
    surface = SURFACES["elongated bowl"]
    race = OptimizerRace(lr=0.01, steps=3, optimizers=own(SGD=StillSGD))
    assert race.optimizers["SGD"] is StillSGD and race.optimizers["Adam"] is optim.Adam
    for name in ("SGD", "momentum 0.9"):  # both SGD racers run the given class
        assert np.allclose(race.paths[name], np.array(surface.start)) and len(race.paths[name]) == 4
    default = OptimizerRace(lr=0.01, steps=3)
    assert np.allclose(race.paths["Adam"], default.paths["Adam"])
    doubled = OptimizerRace(lr=0.01, steps=1, optimizers=own(SGD=DoubleSGD))
    assert np.allclose(doubled.paths["SGD"][1], np.array(surface.start) - 0.02 * surface.gradient(*surface.start))


def test_the_explorer_hands_its_classes_to_the_race():
    explorer = OptimizerRaceExplorer(steps=5, optimizers=own(SGD=StillSGD))
    assert explorer.race.optimizers["SGD"] is StillSGD
    explorer.lr.value = 0.02  # a rerun keeps the given classes
    assert np.allclose(explorer.race.paths["SGD"], np.array(SURFACES["elongated bowl"].start))


def test_missing_or_wrong_optimizers_are_refused_in_one_sentence():
    with pytest.raises(ValueError, match="optimizers has no 'Adam'; the race needs a class for each of"):
        OptimizerRace(optimizers={"SGD": optim.SGD, "RMSprop": optim.RMSprop})
    with pytest.raises(TypeError, match="optimizers must be a dict of classes"):
        OptimizerRace(optimizers=[optim.SGD, optim.RMSprop, optim.Adam])
    with pytest.raises(TypeError, match=r"optimizers\['RMSprop'\] should be an optimizer class, not str"):
        OptimizerRace(optimizers=own(RMSprop="RMSprop"))


def test_while_grading_the_race_runs_but_no_picture_is_drawn(monkeypatch):
    monkeypatch.setenv("COURSE_GRADING", "1")
    explorer = OptimizerRaceExplorer(steps=10, optimizers=own(SGD=DoubleSGD))
    assert explorer.view.image.value == b""
    assert len(explorer.race.paths["Adam"]) == 11 and "10</b> steps" in explorer.status.value
    explorer.more_button.click()
    assert len(explorer.race.paths["Adam"]) == 61 and explorer.view.image.value == b""
