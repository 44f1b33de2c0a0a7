"""Self-check quizzes, one per lab, shown at the end of the lab's notebook:

    from course.quizzes import quiz
    quiz("01_backprop")

Each lab's module (``lab01_backprop`` ...) builds its questions in ``questions()``; every number
in them is computed by the course's own library when the quiz is built, never typed in.
While grading (``course.environment.grading()``) a quiz shows one line and computes nothing:
it earns no points, and the grading kernel's reference functions are not there to compute with.
"""
from importlib import import_module

from ..environment import grading

LABS = {
    "01_backprop": "lab01_backprop",
    "02_activations_losses": "lab02_activations_losses",
    "03_optimization": "lab03_optimization",
    "04_regularization": "lab04_regularization",
    "05_convolutions": "lab05_convolutions",
}


class SkippedWhileGrading:
    """What ``quiz`` gives in the autograder's kernels: a line of text, no widget."""

    def __init__(self, lab_name):
        self.lab_name = lab_name

    def __repr__(self):
        return (f"(The self-check quiz of lab {self.lab_name} is for practice: it is not shown while grading "
                "and earns no points.)")


def questions(lab_name):
    """The questions of a lab's quiz (``MultipleChoice`` and ``NumericAnswer``), freshly computed."""
    return import_module(f"{__name__}.{_module_name(lab_name)}").questions()


def quiz(lab_name):
    """The self-check quiz of ``lab_name`` (e.g. "01_backprop") as a ``course.widgets.Quiz``."""
    module_name = _module_name(lab_name)
    if grading():
        return SkippedWhileGrading(lab_name)
    from ..widgets.quiz import Quiz

    module = import_module(f"{__name__}.{module_name}")
    return Quiz(module.questions(), title=module.TITLE)


def _module_name(lab_name):
    if not isinstance(lab_name, str) or lab_name not in LABS:
        raise ValueError(f"quiz: there is no quiz for {lab_name!r}; the quizzes are {', '.join(map(repr, LABS))}.")
    return LABS[lab_name]
