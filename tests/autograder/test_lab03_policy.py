"""Lab 03 graded under its policy, torch and the reference forbidden: the solution gets every
point and its whole notebook (demos, schedules, the optimizer race) runs in the grading kernel;
answers that hand the work to ``course.optim`` or ``course.init`` get nothing, and say why."""
import json
import re

import nbformat
import pytest

from autograder import gradebook
from autograder.autograde import autograde
from autograder.course_directory import ensure_assignment
from autograder.feedback import write_feedback
from autograder.fill_solutions import fill_solutions
from autograder.sandbox import Limits
from tests.notebook_tools import ROOT, read

ASSIGNMENT = "03_optimization"
SOURCE = read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
STUDENT = read(ROOT / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
TESTS = [c.metadata["nbgrader"]["grade_id"] for c in SOURCE.cells
         if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]

BORROWED = {  # every answer cell hands the work to the library: a subclass, an alias, a wrapper
    "sgd_momentum": "import course.optim\n\nclass SGD(course.optim.SGD):\n    pass\n",
    "adagrad": "from course.optim import Adagrad\n",
    "rmsprop": "from course import optim\n\nRMSprop = optim.RMSprop\n",
    "adam": "import course.optim\n\nclass Adam(course.optim.Adam):\n    pass\n",
    "xavier_uniform": ("from course import init\n\ndef xavier_uniform(shape, seed=None):\n"
                       "    return init.xavier_uniform(shape, seed=seed)\n"),
    "kaiming_normal": ("import course.init\n\ndef kaiming_normal(shape, seed=None):\n"
                       "    return course.init.kaiming_normal(shape, nonlinearity='relu', seed=seed)\n"),
}

HELPERS = {  # the initializers assembled from course.init's helpers, private ones included
    "xavier_uniform": ("import course.init\n\ndef xavier_uniform(shape, seed=None):\n"
                       "    return course.init._uniform(shape, course.init.xavier_std(shape), seed)\n"),
    "kaiming_normal": ("from course import init\n\ndef kaiming_normal(shape, seed=None):\n"
                       "    return init._normal(shape, init.kaiming_std(shape, nonlinearity='relu'), seed)\n"),
}
INITIALIZER_TESTS = ("test_xavier_uniform", "test_kaiming_normal")

SUBMISSIONS = {
    "solved": fill_solutions(STUDENT, SOURCE),
    "borrowed": fill_solutions(STUDENT, SOURCE, BORROWED),
    "helpers": fill_solutions(STUDENT, SOURCE, HELPERS),
    "untouched": STUDENT,
}

LIMITS = Limits(cell_timeout=120, notebook_timeout=600, memory_mb=3000)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = ensure_assignment(tmp_path_factory.mktemp("course"), ASSIGNMENT)
    for student, notebook in SUBMISSIONS.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{ASSIGNMENT}.ipynb")
    outcomes = autograde(course, ASSIGNMENT, workers=2, limits=LIMITS, progress=False)
    write_feedback(course, ASSIGNMENT)
    return course, {o.student: o for o in outcomes}


def _report(course, student):
    return json.loads(gradebook.report_path(course, ASSIGNMENT, student).read_text())


def _points(course, student):
    return {v["grade_id"]: v["points"] for v in _report(course, student)["verdicts"]}


def _feedback(course, student):
    return (course / "feedback" / student / ASSIGNMENT / "feedback.html").read_text()


def test_every_graded_test_forbids_torch_and_the_reference():
    policies = {c.metadata["nbgrader"]["grade_id"]: c.metadata.get("course", {}).get("forbid")
                for c in STUDENT.cells if c.metadata.get("nbgrader", {}).get("grade_id") in TESTS}
    assert len(policies) == 6 and all(sorted(forbid) == ["reference", "torch"] for forbid in policies.values())


def test_the_solution_gets_every_automatic_point_with_nothing_to_report(graded):
    course, outcomes = graded
    solved = outcomes["solved"]
    assert solved.tests_passed and solved.score == solved.max_score - solved.manual_points > 0, solved.notes
    assert solved.notes == "" and _report(course, "solved")["defects"] == []
    assert set(_points(course, "solved")) == set(TESTS)


def test_the_whole_solved_notebook_runs_in_the_grading_kernel(graded):
    course, _ = graded
    notebook = read(course / "autograded" / "solved" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    raised = [(i, o.get("ename"), o.get("evalue")) for i, c in enumerate(notebook.cells)
              for o in c.get("outputs", []) if o.output_type == "error"]
    assert raised == []
    race = next(c for c in notebook.cells if "OptimizerRaceExplorer(" in c.source)
    assert race.get("outputs"), "the race cell ran and showed its widget"


def test_answers_that_use_the_library_score_nothing_and_are_told_why(graded):
    course, outcomes = graded
    assert outcomes["borrowed"].score == 0 and not outcomes["borrowed"].tests_passed
    assert _points(course, "borrowed") == {grade_id: 0 for grade_id in TESTS}
    assert "is not available while grading" in _feedback(course, "borrowed")
    verdicts = _report(course, "borrowed")["verdicts"]
    assert all("not available while grading" in v["message"] for v in verdicts), verdicts


def test_the_untouched_notebook_scores_zero(graded):
    _, outcomes = graded
    assert outcomes["untouched"].score == 0 and not outcomes["untouched"].tests_passed


def test_initializers_built_from_the_private_helpers_score_nothing(graded):
    course, outcomes = graded
    points = _points(course, "helpers")
    assert set(INITIALIZER_TESTS) <= set(points), points
    assert all(points[test] == 0 for test in INITIALIZER_TESTS)
    assert all(points[test] > 0 for test in points if test not in INITIALIZER_TESTS)
    verdicts = {v["grade_id"]: v for v in _report(course, "helpers")["verdicts"]}
    for test in INITIALIZER_TESTS:
        assert re.search(r"course\.init\.\w+ is not available while grading", verdicts[test]["message"]), verdicts[test]
        assert verdicts[test]["mistake_id"].endswith("/it-calls-the-course-s-reference-implementation")


def test_borrowed_answers_are_diagnosed_as_calls_of_the_reference(graded):
    course, _ = graded
    verdicts = _report(course, "borrowed")["verdicts"]
    assert all(v["mistake"].endswith(": it calls the course's reference implementation") for v in verdicts), verdicts
